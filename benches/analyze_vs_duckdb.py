#!/usr/bin/env python3
"""gwcost analyze vs DuckDB on the same access logs, in several producers' styles, in one run.

Builds one deterministic corpus with `gwcost generate` (1,500,000 events by default) and writes
the same events in each style (kept under benches/data between runs):

- compact:   what `gwcost generate` writes (schema-v1 JSON lines, no spaces);
- spaced:    the same objects as Python's `json.dumps` writes them (`, ` and `: `);
- apigw:     API Gateway's own JSON access-log style: every value a string, `-` for empty,
             `requestTime` in CLF form (no `requestTimeEpoch` on HTTP requests);
- cwexport:  the apigw lines as a CloudWatch Logs export to S3: gzip, each line
             `<ISO-8601 ms>Z <message>`.

Then, for each style, it warms the page cache and runs `gwcost analyze --format json --quiet
FILE` and one DuckDB query doing the same monthly metering (HTTP units, REST units, messages,
message units, connection minutes per UTC month) on that file, --runs times each (best counts).
It checks that both give the same monthly numbers and prints wall time, peak RSS and the ratio
gwcost/DuckDB per style. With --parquet it also converts the compact corpus with `gwcost
convert` and times both engines on the Parquet copy.

Needs: python3 >= 3.9 with the `duckdb` package (python3 -m pip install duckdb) and a built
gwcost (cargo build --release -p gwcost-cli). Standard library otherwise.

Usage:
    python3 benches/analyze_vs_duckdb.py                        # 1.5 M events, every style
    python3 benches/analyze_vs_duckdb.py --styles compact,apigw --runs 3
    python3 benches/analyze_vs_duckdb.py --events 25M --styles compact --runs 1   # memory
    python3 benches/analyze_vs_duckdb.py --parquet
    python3 benches/analyze_vs_duckdb.py --duckdb-only --corpus FILE   # just the DuckDB half

Exit status: 0 when both engines agree, 1 when their numbers differ, 2 on a usage or setup
error.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# The gateway rejections AWS does not bill (the default price book's unbilled_error_types).
UNBILLED = (
    "UNAUTHORIZED",
    "ACCESS_DENIED",
    "MISSING_AUTHENTICATION_TOKEN",
    "INVALID_API_KEY",
    "EXPIRED_TOKEN",
    "INVALID_SIGNATURE",
    "THROTTLED",
    "QUOTA_EXCEEDED",
)

# The fields the bill needs, with explicit types: what a DuckDB user who knows the schema
# writes (auto-detection over a multi-GB file costs DuckDB a sampling pass and more memory).
COLUMNS = {
    "requestTimeEpoch": "BIGINT",
    "eventType": "VARCHAR",
    "requestLength": "BIGINT",
    "responseLength": "BIGINT",
    "dataProcessed": "BIGINT",
    "errorResponseType": "VARCHAR",
    "messageLength": "BIGINT",
    "connectedAt": "BIGINT",
}

METRICS = ("http_units", "rest_units", "messages", "message_units", "connection_minutes")


def metering_sql(source: str) -> str:
    """The monthly metering as a DuckDB user would write it by hand.

    HTTP units: max(1, ceil(bytes / 512 KiB)) of dataProcessed, else request + response body,
    for requests the gateway did not reject; REST units: one per such request; message units:
    max(1, ceil(bytes / 32 KiB)), unknown size 1; connection minutes: per DISCONNECT,
    ceil((requestTimeEpoch - connectedAt) / 60 s), at least 1, in the month it ends.
    """
    unbilled = ", ".join(f"'{t}'" for t in UNBILLED)
    return f"""
WITH ev AS (
  SELECT *,
    coalesce(eventType, 'REQUEST') AS kind,
    coalesce(errorResponseType, '') NOT IN ({unbilled}) AS billable
  FROM {source}
)
SELECT
  strftime(epoch_ms(requestTimeEpoch), '%Y-%m') AS month,
  sum(CASE WHEN kind = 'REQUEST' AND billable THEN greatest(1,
        (coalesce(dataProcessed, coalesce(requestLength, 0) + coalesce(responseLength, 0))
         + 524287) // 524288) ELSE 0 END) AS http_units,
  count(*) FILTER (WHERE kind = 'REQUEST' AND billable) AS rest_units,
  count(*) FILTER (WHERE kind = 'MESSAGE') AS messages,
  sum(CASE WHEN kind = 'MESSAGE' THEN greatest(1, (coalesce(messageLength, 0) + 32767) // 32768)
      ELSE 0 END) AS message_units,
  sum(CASE WHEN kind = 'DISCONNECT' THEN greatest(1,
        (requestTimeEpoch - coalesce(connectedAt, requestTimeEpoch) + 59999) // 60000)
      ELSE 0 END) AS connection_minutes
FROM ev
WHERE requestTimeEpoch IS NOT NULL
GROUP BY 1
ORDER BY 1
"""


# The same columns, typed, from API Gateway-style lines: every value a string, `-` for empty,
# `requestTime` in CLF form where `requestTimeEpoch` is absent.
APIGW_TYPED = """(SELECT
    coalesce(TRY_CAST(nullif(requestTimeEpoch, '-') AS BIGINT),
             epoch_ms(strptime(requestTime, '%d/%b/%Y:%H:%M:%S %z'))) AS requestTimeEpoch,
    nullif(eventType, '-') AS eventType,
    TRY_CAST(nullif(requestLength, '-') AS BIGINT) AS requestLength,
    TRY_CAST(nullif(responseLength, '-') AS BIGINT) AS responseLength,
    TRY_CAST(nullif(dataProcessed, '-') AS BIGINT) AS dataProcessed,
    nullif(errorResponseType, '-') AS errorResponseType,
    TRY_CAST(nullif(messageLength, '-') AS BIGINT) AS messageLength,
    TRY_CAST(nullif(connectedAt, '-') AS BIGINT) AS connectedAt
  FROM {raw})"""


def apigw_source(path: Path) -> str:
    cols = ", ".join(f"{k}: 'VARCHAR'" for k in list(COLUMNS) + ["requestTime"])
    raw = (f"read_json('{path}', format = 'newline_delimited', ignore_errors = true, "
           f"columns = {{{cols}}})")
    return APIGW_TYPED.format(raw=raw)


def cwexport_source(path: Path) -> str:
    """A CloudWatch Logs export: one text column, the message after the timestamp, its fields
    pulled out with DuckDB's JSON functions."""
    fields = list(COLUMNS) + ["requestTime"]
    pulls = ",\n    ".join(f"json_extract_string(msg, '$.{f}') AS {f}" for f in fields)
    raw = (f"(SELECT {pulls} FROM (SELECT substr(line, strpos(line, ' ') + 1) AS msg FROM "
           f"read_csv('{path}', columns = {{'line': 'VARCHAR'}}, header = false, "
           f"delim = '\\t', quote = '', escape = '', compression = 'gzip')))")
    return APIGW_TYPED.format(raw=raw)


def json_source(path: Path) -> str:
    cols = ", ".join(f"{k}: '{v}'" for k, v in COLUMNS.items())
    # ignore_errors: a broken line (a corpus made with --malformed-per-million) is skipped, as
    # gwcost skips it, instead of failing the whole query.
    return (f"read_json('{path}', format = 'newline_delimited', ignore_errors = true, "
            f"columns = {{{cols}}})")


def parquet_source(directory: Path) -> str:
    return f"read_parquet('{directory}/**/*.parquet', union_by_name = true)"


# Runs in a child process so its peak RSS is DuckDB's alone. Prints one JSON object: the
# query's own wall time (without interpreter start and import) and the rows.
DUCKDB_CHILD = r"""
import json, sys, time
import duckdb
sql = sys.stdin.read()
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")  # it would print to stdout
t0 = time.perf_counter()
rows = con.execute(sql).fetchall()
elapsed = time.perf_counter() - t0
print(json.dumps({"query_s": elapsed, "version": duckdb.__version__,
                  "rows": [[str(v) for v in r] for r in rows]}))
"""


def run_measured(cmd: list[str], stdin: bytes | None = None) -> tuple[float, int, bytes, bytes, int]:
    """Runs cmd; returns (wall seconds, peak RSS bytes, stdout, stderr, exit status).

    Peak RSS comes from wait4's rusage of this one child (ru_maxrss, KiB on Linux), so other
    processes on the machine do not count.
    """
    out_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"gwcost-bench-{os.getpid()}.out"
    err_path = out_path.with_suffix(".err")
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                                stdout=out, stderr=err)
        if stdin is not None:
            assert proc.stdin is not None
            proc.stdin.write(stdin)
            proc.stdin.close()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
    stdout, stderr = out_path.read_bytes(), err_path.read_bytes()
    out_path.unlink(missing_ok=True)
    err_path.unlink(missing_ok=True)
    rss = usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024)
    return wall, rss, stdout, stderr, proc.returncode


def fail(msg: str, code: int = 2) -> None:
    print(f"analyze_vs_duckdb: {msg}", file=sys.stderr)
    sys.exit(code)


def parse_count(s: str) -> int:
    t = s.strip().replace("_", "").replace(",", "")
    mult = {"K": 1_000, "M": 1_000_000, "B": 1_000_000_000}.get(t[-1:].upper(), 1)
    if mult != 1:
        t = t[:-1]
    try:
        value = float(t) * mult if "." in t else int(t) * mult
    except ValueError:
        raise argparse.ArgumentTypeError(f"{s!r} is not a count (e.g. 5000000, 5M)")
    if value != int(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{s!r} is not a positive whole count")
    return int(value)


def mb(n: int) -> str:
    return f"{n / 2**20:,.0f} MB"


class Result:
    def __init__(self, name: str):
        self.name = name
        self.walls: list[float] = []
        self.rss: list[int] = []
        self.query: list[float] = []
        self.months: dict[str, dict[str, int]] = {}

    @property
    def best(self) -> float:
        return min(self.walls)

    @property
    def peak(self) -> int:
        return max(self.rss)


def run_duckdb(source: str, runs: int, label: str) -> Result:
    res = Result(label)
    sql = metering_sql(source).encode()
    for _ in range(runs):
        wall, rss, out, err, code = run_measured([sys.executable, "-c", DUCKDB_CHILD], stdin=sql)
        if code != 0:
            fail(f"DuckDB failed ({code}):\n{err.decode(errors='replace')}")
        doc = json.loads(out)
        res.walls.append(wall)
        res.rss.append(rss)
        res.query.append(doc["query_s"])
        res.version = doc["version"]
        res.months = {
            row[0]: {m: int(v) for m, v in zip(METRICS, row[1:])} for row in doc["rows"]
        }
    return res


def gwcost_months(report: dict) -> dict[str, dict[str, int]]:
    months = {}
    for m in report.get("months", []):
        http, rest, ws = m["http_api"], m["rest_api"], m["websocket"]
        months[m["month"]] = {
            "http_units": int(http["billed_units"]),
            "rest_units": int(rest["billed_units"]),
            "messages": int(ws["messages"]),
            "message_units": int(ws["billed_units"]),
            "connection_minutes": int(ws["connection_minutes"]),
        }
    return months


def run_gwcost(gwcost: Path, target: Path, runs: int, label: str) -> Result:
    res = Result(label)
    cmd = [str(gwcost), "analyze", "--format", "json", "--quiet", str(target)]
    for _ in range(runs):
        wall, rss, out, err, code = run_measured(cmd)
        if code != 0:
            fail(f"{' '.join(cmd)} failed ({code}):\n{err.decode(errors='replace')}")
        res.walls.append(wall)
        res.rss.append(rss)
        res.months = gwcost_months(json.loads(out))
    return res


def warm(path: Path) -> float:
    """Reads every file under path once (into the page cache); returns the seconds it took."""
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    t0 = time.perf_counter()
    for f in files:
        with open(f, "rb") as fh:
            while fh.read(1 << 24):
                pass
    return time.perf_counter() - t0


def compare(a: Result, b: Result) -> list[str]:
    problems = []
    for month in sorted(set(a.months) | set(b.months)):
        ma, mb_ = a.months.get(month), b.months.get(month)
        if ma is None or mb_ is None:
            problems.append(f"{month}: only in {a.name if ma else b.name}")
            continue
        for metric in METRICS:
            if ma[metric] != mb_[metric]:
                problems.append(
                    f"{month} {metric}: {a.name} {ma[metric]:,} vs {b.name} {mb_[metric]:,}"
                    f" (diff {ma[metric] - mb_[metric]:+,})"
                )
    return problems


def print_months(res: Result) -> None:
    print(f"  monthly numbers ({res.name}):")
    print(f"    {'month':8} " + " ".join(f"{m:>18}" for m in METRICS))
    for month, vals in sorted(res.months.items()):
        print(f"    {month:8} " + " ".join(f"{vals[m]:>18,}" for m in METRICS))


def print_result(res: Result) -> None:
    runs = " ".join(f"{w:.2f}" for w in res.walls)
    extra = ""
    if res.query:
        extra = f"  (query alone {min(res.query):.2f} s; DuckDB {getattr(res, 'version', '?')})"
    print(f"  {res.name:16} best {res.best:7.2f} s   runs [{runs}]   peak RSS {mb(res.peak):>9}{extra}")


def generate(gwcost: Path, events: int, corpus: Path, ws_percent: int = 10) -> None:
    """Writes the corpus unless a complete one is already there (same event count)."""
    marker = corpus.with_suffix(corpus.suffix + ".done")
    if corpus.exists() and marker.exists() and marker.read_text().strip() == str(events):
        return
    corpus.parent.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(corpus.parent).free
    need = events * 420  # ~405 bytes a line, with margin
    if free < need:
        fail(f"{corpus.parent} has {mb(free)} free; the corpus needs about {mb(need)}")
    print(f"generating {events:,} events into {corpus} ...", flush=True)
    marker.unlink(missing_ok=True)
    cmd = [str(gwcost), "generate", "--events", str(events), "--ws-percent", str(ws_percent),
           "-o", str(corpus)]
    if subprocess.run(cmd).returncode != 0:
        fail(f"{' '.join(cmd)} failed")
    marker.write_text(f"{events}\n")


STYLES = ("compact", "spaced", "apigw", "cwexport", "small-files")

# small-files: the first SMALL_FILES x SMALL_LINES lines of the compact corpus written as that
# many files of SMALL_LINES lines (how AWS writes logs: a Firehose object per buffer interval,
# an export file per log stream), and the same lines as one file beside them.
SMALL_FILES = 20_000
SMALL_LINES = 10


def clf_time(ms: int) -> str:
    t = time.gmtime(ms // 1000)
    months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    return f"{t.tm_mday:02d}/{months[t.tm_mon - 1]}/{t.tm_year}:{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"


def iso_time(ms: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + f".{ms % 1000:03d}Z"


def apigw_line(rec: dict) -> str:
    """One event as API Gateway writes its JSON access logs: strings, `-`, CLF requestTime;
    WebSocket events keep requestTimeEpoch (their connection minutes need milliseconds)."""
    out = {"requestId": rec.get("requestId"), "ip": rec.get("ip")}
    ms = rec.get("requestTimeEpoch")
    out["requestTime"] = clf_time(ms)
    ws = rec.get("eventType", "REQUEST") != "REQUEST"
    if ws:
        out["requestTimeEpoch"] = ms
    for k, v in rec.items():
        if k in ("requestId", "ip", "requestTimeEpoch", "schema") or (k == "eventType" and not ws):
            continue
        out[k] = v
    for k in ("errorResponseType", "integrationLatency"):
        out.setdefault(k, None)
    return "{" + ", ".join(
        f'"{k}":' + json.dumps("-" if v is None or v == "" else str(v)) for k, v in out.items()
    ) + "}"


def write_small_files(compact: Path, out: Path) -> None:
    """The first SMALL_FILES x SMALL_LINES lines as files of SMALL_LINES lines under `out`, and
    as one file `out`.one.jsonl. WebSocket events of a connection whose DISCONNECT is not among
    those lines are left out: gwcost bills such a connection up to its last event, the DuckDB
    query only at a DISCONNECT, and the slice must not make the engines differ."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    with open(compact, encoding="utf-8") as src:
        lines = [line for _, line in zip(range(SMALL_FILES * SMALL_LINES), src)]
    closed = {json.loads(line).get("connectionId") for line in lines if '"DISCONNECT"' in line}
    kept = [line for line in lines
            if '"connectionId"' not in line or json.loads(line).get("connectionId") in closed]
    with open(small_one(out), "w", encoding="utf-8") as one:
        for k in range(0, len(kept), SMALL_LINES):
            chunk = "".join(kept[k:k + SMALL_LINES])
            (out / f"part-{k // SMALL_LINES:05d}.jsonl").write_text(chunk, encoding="utf-8")
            one.write(chunk)


def small_one(out: Path) -> Path:
    return out.with_name(out.name + ".one.jsonl")


def write_style(style: str, compact: Path, out: Path) -> None:
    """Writes the compact corpus's events in `style` (kept when already complete)."""
    marker = out.with_suffix(out.suffix + ".done")
    if out.exists() and marker.exists() and marker.read_text().strip() == str(compact.stat().st_size):
        return
    print(f"writing the {style} style into {out} ...", flush=True)
    marker.unlink(missing_ok=True)
    t0 = time.perf_counter()
    if style == "small-files":
        write_small_files(compact, out)
        marker.write_text(f"{compact.stat().st_size}\n")
        print(f"  {time.perf_counter() - t0:.0f} s", flush=True)
        return
    if style == "cwexport":
        import gzip
        sink = gzip.open(out, "wt", compresslevel=6, encoding="utf-8")
    else:
        sink = open(out, "w", encoding="utf-8")
    with open(compact, encoding="utf-8") as src, sink:
        for line in src:
            rec = json.loads(line)
            if style == "spaced":
                sink.write(json.dumps(rec) + "\n")
            elif style == "apigw":
                sink.write(apigw_line(rec) + "\n")
            else:
                sink.write(f"{iso_time(rec['requestTimeEpoch'])} {apigw_line(rec)}\n")
    marker.write_text(f"{compact.stat().st_size}\n")
    print(f"  {time.perf_counter() - t0:.0f} s", flush=True)


def style_source(style: str, path: Path) -> str:
    if style == "small-files":
        return json_source(Path(f"{path}/*.jsonl"))
    return {"compact": json_source, "spaced": json_source, "apigw": apigw_source,
            "cwexport": cwexport_source}[style](path)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 2**20:.0f} GB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{cpu}, {os.cpu_count()} cores{mem}, {platform.system()} {platform.release()}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=parse_count, default=1_500_000,
                    help="events in the corpus (default 1,500,000; 5M and 25M work)")
    ap.add_argument("--styles", default=",".join(STYLES),
                    help=f"comma-separated styles to time (default all: {','.join(STYLES)})")
    ap.add_argument("--ws-percent", type=int, default=10,
                    help="share of WebSocket events in the generated corpus (default 10)")
    ap.add_argument("--gwcost", type=Path, default=REPO / "target" / "release" / "gwcost",
                    help="the gwcost binary (default target/release/gwcost)")
    ap.add_argument("--workdir", type=Path, default=REPO / "benches" / "data",
                    help="where the corpora are written and kept between runs")
    ap.add_argument("--corpus", type=Path,
                    help="use this compact JSON-lines file instead of generating one")
    ap.add_argument("--runs", type=int, default=1, help="runs per engine; the best counts")
    ap.add_argument("--parquet", action="store_true",
                    help="also convert with `gwcost convert --to parquet` and time both on it")
    ap.add_argument("--duckdb-only", action="store_true",
                    help="only the DuckDB half (no gwcost binary needed; needs --corpus)")
    ap.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = ap.parse_args()

    try:
        import duckdb  # noqa: F401
    except ImportError:
        fail("the duckdb Python package is missing: python3 -m pip install duckdb")
    if args.runs < 1:
        fail("--runs must be at least 1")
    styles = [st.strip() for st in args.styles.split(",") if st.strip()]
    for st in styles:
        if st not in STYLES:
            fail(f"unknown style {st!r}: expected some of {', '.join(STYLES)}")

    if args.duckdb_only:
        if not args.corpus:
            fail("--duckdb-only needs --corpus FILE (there is no gwcost to generate one)")
    elif not args.gwcost.is_file():
        fail(f"no gwcost binary at {args.gwcost}: build it with "
             "`cargo build --release -p gwcost-cli` or pass --gwcost PATH")

    suffix = "" if args.ws_percent == 10 else f"-ws{args.ws_percent}"
    compact = args.corpus or args.workdir / f"corpus-{args.events}{suffix}.jsonl"
    if args.corpus:
        if not compact.is_file():
            fail(f"{compact} is not a file")
    else:
        generate(args.gwcost, args.events, compact, args.ws_percent)

    print(f"machine: {machine()}")
    figures: dict = {"machine": machine(), "events": args.events, "styles": {}}
    problems: list[str] = []
    rows = []
    for style in styles:
        ext = {"cwexport": ".log.gz", "small-files": ".d"}.get(style, ".jsonl")
        path = compact if style == "compact" else compact.with_name(
            compact.stem + f".{style}" + ext)
        if style != "compact":
            write_style(style, compact, path)
        size = (sum(p.stat().st_size for p in path.iterdir()) if path.is_dir()
                else path.stat().st_size)
        warm(path)
        floor = warm(path)
        print(f"{style}: {path} ({size / 1e9:.2f} GB); page-cache read {floor:.2f} s")
        duck = run_duckdb(style_source(style, path), args.runs, "duckdb")
        print_result(duck)
        fig = {"bytes": size, "duckdb": {"best_s": duck.best, "query_best_s": min(duck.query),
                                         "peak_rss_bytes": duck.peak, "version": duck.version}}
        if not args.duckdb_only:
            gw = run_gwcost(args.gwcost, path, args.runs, "gwcost analyze")
            print_result(gw)
            ratio = gw.best / duck.best
            print(f"  ratio gwcost/DuckDB: wall {ratio:.2f}x (vs its query alone "
                  f"{gw.best / min(duck.query):.2f}x), peak RSS {gw.peak / duck.peak:.2f}x")
            fig["gwcost"] = {"best_s": gw.best, "peak_rss_bytes": gw.peak}
            fig["ratio_wall"] = ratio
            found = compare(gw, duck)
            if style == "small-files":
                # The same lines in one file: the same bill, and what the files cost in time.
                one = run_gwcost(args.gwcost, small_one(path), args.runs, "gwcost, one file")
                print_result(one)
                print(f"  {SMALL_FILES:,} files / one file: {gw.best / one.best:.1f}x")
                fig["gwcost_one_file"] = {"best_s": one.best, "peak_rss_bytes": one.peak}
                found += [f"files vs one file: {p}" for p in compare(gw, one)]
            problems += [f"{style}: {p}" for p in found]
            rows.append((style, size, gw, duck, ratio, not found))
        figures["styles"][style] = fig
    if rows:
        print()
        print(f"| style | size | gwcost (peak RSS) | DuckDB {rows[0][3].version} (peak RSS) | ratio | same numbers |")
        print("|---|---|---|---|---|---|")
        for style, size, gw, duck, ratio, same in rows:
            print(f"| {style} | {size / 1e9:.2f} GB | {gw.best:.2f} s ({mb(gw.peak)}) | "
                  f"{duck.best:.2f} s ({mb(duck.peak)}) | {ratio:.2f}x | {'yes' if same else 'NO'} |")

    if args.parquet and not args.duckdb_only:
        pq_dir = compact.with_suffix(".parquet.d")
        if pq_dir.exists():
            shutil.rmtree(pq_dir)
        cmd = [str(args.gwcost), "convert", str(compact), "--to", "parquet", str(pq_dir)]
        t0 = time.perf_counter()
        if subprocess.run(cmd).returncode != 0:
            fail(f"{' '.join(cmd)} failed")
        print(f"Parquet: converted in {time.perf_counter() - t0:.1f} s "
              f"({sum(p.stat().st_size for p in pq_dir.rglob('*') if p.is_file()) / 1e9:.2f} GB)")
        warm(pq_dir)
        dpq = run_duckdb(parquet_source(pq_dir), args.runs, "duckdb parquet")
        gpq = run_gwcost(args.gwcost, pq_dir, args.runs, "gwcost parquet")
        print_result(dpq)
        print_result(gpq)
        print(f"  gwcost/DuckDB on Parquet: {gpq.best / dpq.best:.2f}x")
        figures["parquet"] = {"duckdb": {"best_s": dpq.best, "peak_rss_bytes": dpq.peak},
                              "gwcost": {"best_s": gpq.best, "peak_rss_bytes": gpq.peak}}
        problems += compare(gpq, dpq)

    if args.json:
        figures["agree"] = not problems
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    if args.duckdb_only:
        return 0
    if problems:
        print("MISMATCH between engines:")
        for p in problems:
            print(f"  {p}")
        return 1
    print(f"results: identical in every style ({', '.join(METRICS)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
