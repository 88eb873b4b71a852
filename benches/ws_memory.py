"""WebSocket peers for benches/ws_memory.sh (Python `websockets`, asyncio).

    python3 ws_memory.py echo PORT          # the service: echoes every message
    python3 ws_memory.py hold URL N         # N connections, one echoed message each, held open

`hold` prints "ready N" once every connection has had its echo, then keeps them open (idle)
until stdin closes, then closes them all.
"""

import asyncio
import sys

import websockets


async def echo(port: int) -> None:
    async def handler(ws):
        async for m in ws:
            await ws.send(m)

    # Small buffers on the service side too, so the service is not what limits the run.
    async with websockets.serve(handler, "127.0.0.1", port, max_queue=1, write_limit=1024,
                                ping_interval=None, compression=None, backlog=4096):
        await asyncio.Future()


async def hold(url: str, n: int) -> None:
    conns = []
    sem = asyncio.Semaphore(200)

    async def one(i: int):
        async with sem:
            for attempt in range(5):
                try:
                    ws = await websockets.connect(url, ping_interval=None, compression=None,
                                                  max_queue=1, open_timeout=30)
                    break
                except OSError:
                    await asyncio.sleep(0.2 * (attempt + 1))
            else:
                raise RuntimeError(f"connection {i} failed")
            msg = f"hello {i}"
            await ws.send(msg)
            got = await asyncio.wait_for(ws.recv(), 30)
            assert got == msg, (got, msg)
            conns.append(ws)

    await asyncio.gather(*(one(i) for i in range(n)))
    print(f"ready {len(conns)}", flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)
    await asyncio.gather(*(ws.close() for ws in conns), return_exceptions=True)


if __name__ == "__main__":
    if sys.argv[1] == "echo":
        asyncio.run(echo(int(sys.argv[2])))
    else:
        asyncio.run(hold(sys.argv[2], int(sys.argv[3])))
