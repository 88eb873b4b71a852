//! Streaming a line-oriented input through fixed-size, line-aligned blocks, folded by one worker
//! thread per core, so memory stays flat however big the input is: a few blocks in flight plus
//! each worker's counters, never the file. Blocks are read with `read()` into recycled buffers
//! (not mapped: mapped file pages would count in the process's resident memory).

use std::collections::BTreeMap;
use std::io::{self, Read};
use std::sync::{Mutex, mpsc};

use crate::Tally;

/// Bytes per block: big enough that handing a block to a thread costs nothing next to parsing
/// it, small enough that the blocks in flight stay a few tens of MB.
pub(crate) const BLOCK_BYTES: usize = 8 << 20;

/// Bytes of an input's first block (see [`BlockReader::next_block`]).
const FIRST_BLOCK_BYTES: usize = 64 << 10;

/// The longest line (or record) read, in bytes, newline excluded. CloudWatch Logs caps an event
/// at 256 KB, so a real access-log line is far below it; a longer one is junk (a binary, a file
/// with no newlines) and is skipped as malformed without ever being held whole, so memory stays
/// flat whatever the input.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// The reason given for a line over [`MAX_LINE_BYTES`].
pub(crate) fn overlong_reason() -> String {
    format!("line longer than {MAX_LINE_BYTES} bytes")
}

/// Cuts a reader into runs of whole lines, each with the 1-based number of its first line.
/// A line longer than `max_line` is emptied (its newline kept, so numbering holds) and its
/// number noted in `overlong`; one longer than the buffer is read past, never held.
pub(crate) struct BlockReader<'r> {
    reader: &'r mut dyn Read,
    /// Bytes read past the last block's final newline: the start of the next block.
    carry: Vec<u8>,
    next_line: u64,
    eof: bool,
    block_bytes: usize,
    max_line: usize,
    /// Numbers of the lines over `max_line` met so far (drained by the caller).
    pub(crate) overlong: Vec<u64>,
}

impl<'r> BlockReader<'r> {
    pub(crate) fn new(reader: &'r mut dyn Read, block_bytes: usize) -> Self {
        Self::with_max_line(reader, block_bytes, MAX_LINE_BYTES)
    }

    pub(crate) fn with_max_line(
        reader: &'r mut dyn Read,
        block_bytes: usize,
        max_line: usize,
    ) -> Self {
        Self {
            reader,
            carry: Vec::new(),
            next_line: 1,
            eof: false,
            block_bytes: block_bytes.max(1),
            max_line: max_line.max(1),
            overlong: Vec::new(),
        }
    }

    /// Reads into `buf[filled..]` until it is full or the input ends.
    fn fill(&mut self, buf: &mut [u8], mut filled: usize) -> io::Result<usize> {
        while !self.eof && filled < buf.len() {
            match self.reader.read(&mut buf[filled..]) {
                Ok(0) => self.eof = true,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(filled)
    }

    /// Fills `buf` with the next run of whole lines (the last block may end without a newline)
    /// and returns its length and first line number; `None` at the end. `buf` keeps its size
    /// between calls, so a recycled buffer is never zeroed again.
    pub(crate) fn next_block(&mut self, buf: &mut Vec<u8>) -> io::Result<Option<(usize, u64)>> {
        if self.eof && self.carry.is_empty() {
            return Ok(None);
        }
        // The first block of an input is small: most inputs AWS writes are small files, and a
        // block buffer is zeroed when it grows (8 MiB per small file was most of the time of
        // reading 20,000 of them).
        let block = if self.next_line == 1 && self.carry.is_empty() {
            self.block_bytes.min(FIRST_BLOCK_BYTES)
        } else {
            self.block_bytes
        };
        let want = block.max(self.carry.len().saturating_mul(2));
        if buf.len() < want {
            buf.resize(want, 0);
        }
        let mut filled = self.carry.len();
        buf[..filled].copy_from_slice(&self.carry);
        self.carry.clear();
        let len = loop {
            filled = self.fill(buf, filled)?;
            if self.eof {
                break filled;
            }
            match memchr::memrchr(b'\n', &buf[..filled]) {
                Some(nl) => {
                    self.carry.extend_from_slice(&buf[nl + 1..filled]);
                    break nl + 1;
                }
                // One line from the start of the buffer, no end in sight.
                None if filled > self.max_line => {
                    // Too long: noted, and read past up to its newline, which is kept (the
                    // block then starts with an empty line, so numbering holds).
                    self.overlong.push(self.next_line);
                    filled = 0;
                    loop {
                        let n = self.fill(buf, 0)?;
                        if let Some(nl) = memchr::memchr(b'\n', &buf[..n]) {
                            buf.copy_within(nl..n, 0);
                            filled = n - nl;
                            break;
                        }
                        if self.eof {
                            break;
                        }
                    }
                }
                None => {
                    let bigger = buf.len().saturating_mul(2);
                    buf.resize(bigger, 0);
                }
            }
        };
        if len == 0 {
            return Ok(None);
        }
        let first = self.next_line;
        // Count the lines, and empty any longer than the limit that fitted in the buffer.
        let mut line = first;
        let mut start = 0;
        let mut cut: Vec<(usize, usize)> = Vec::new();
        for nl in memchr::memchr_iter(b'\n', &buf[..len]).chain(std::iter::once(len)) {
            if nl - start > self.max_line {
                let noted = self.overlong.last() == Some(&line);
                if !noted {
                    self.overlong.push(line);
                }
                cut.push((start, nl));
            }
            if nl < len {
                line += 1;
            }
            start = nl + 1;
        }
        self.next_line = line;
        let len = if cut.is_empty() {
            len
        } else {
            // Rare: close the gaps in place.
            let mut out = 0;
            let mut from = 0;
            for (a, b) in cut {
                buf.copy_within(from..a, out);
                out += a - from;
                from = b;
            }
            buf.copy_within(from..len, out);
            out + len - from
        };
        if len == 0 {
            return self.next_block(buf);
        }
        Ok(Some((len, first)))
    }

    /// Notes each overlong line met so far as malformed in `tally` (one line read each).
    pub(crate) fn report_overlong(&mut self, name: &str, tally: &mut Tally<'_>) {
        for line in self.overlong.drain(..) {
            tally.add_lines(1);
            tally.malformed(name, line, overlong_reason());
        }
    }
}

/// Folds one block (its bytes and the number of its first line) into a tally.
pub(crate) type FoldBlock<'f> = dyn Fn(&[u8], u64, &mut Tally<'_>) + Sync + 'f;

/// Reads every block of `blocks` and folds it with `fold`, on `threads` worker threads (or on
/// this thread when `threads <= 1` or the tally must see events in order, as `--dedupe` needs).
/// `on_block(bytes, lines)` is called for every block read (progress).
pub(crate) fn fold_all(
    name: &str,
    blocks: &mut BlockReader<'_>,
    threads: usize,
    tally: &mut Tally<'_>,
    fold: &FoldBlock<'_>,
    on_block: &dyn Fn(u64, u64),
) -> io::Result<()> {
    if threads <= 1 || tally.dedupes() {
        let mut buf = Vec::new();
        while let Some((len, first)) = blocks.next_block(&mut buf)? {
            blocks.report_overlong(name, tally);
            fold(&buf[..len], first, tally);
            on_block(len as u64, blocks.next_line - first);
        }
        blocks.report_overlong(name, tally);
        return Ok(());
    }
    // Each block is folded into its own part tally, and the parts are merged into `tally` in
    // input order as they come back: a WebSocket connection that opens in one block and closes
    // in a later one is joined at the merge, so only connections still open are held.
    // Every buffer is free, queued, being folded or waiting (folded) to be merged in order;
    // bounding their number bounds memory.
    let buffers = 2 * threads + 1;
    let (work_tx, work_rx) = mpsc::sync_channel::<(Vec<u8>, usize, u64, u64)>(buffers);
    let work_rx = Mutex::new(work_rx);
    let (done_tx, done_rx) = mpsc::channel::<(u64, Tally<'_>, Vec<u8>)>();
    let template = tally.empty_part();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let work_rx = &work_rx;
                let done_tx = done_tx.clone();
                let template = &template;
                s.spawn(move || {
                    loop {
                        let next = match work_rx.lock() {
                            Ok(rx) => rx.recv(),
                            Err(_) => break,
                        };
                        let Ok((buf, len, first, seq)) = next else {
                            break;
                        };
                        let mut part = template.empty_part();
                        fold(&buf[..len], first, &mut part);
                        // The reader may have stopped early (an I/O error); then nobody waits.
                        if done_tx.send((seq, part, buf)).is_err() {
                            break;
                        }
                    }
                })
            })
            .collect();
        drop(done_tx);
        let mut result = Ok(());
        let mut free: Vec<Vec<u8>> = (0..buffers).map(|_| Vec::new()).collect();
        let mut waiting: BTreeMap<u64, Tally<'_>> = BTreeMap::new();
        let (mut next_seq, mut next_merge, mut in_flight) = (0u64, 0u64, 0usize);
        let mut eof = false;
        loop {
            while !eof && in_flight + waiting.len() < buffers {
                let Some(mut buf) = free.pop() else { break };
                match blocks.next_block(&mut buf) {
                    Ok(Some((len, first))) => {
                        blocks.report_overlong(name, tally);
                        on_block(len as u64, blocks.next_line - first);
                        if work_tx.send((buf, len, first, next_seq)).is_err() {
                            eof = true;
                            break;
                        }
                        next_seq += 1;
                        in_flight += 1;
                    }
                    Ok(None) => eof = true,
                    Err(e) => {
                        result = Err(e);
                        eof = true;
                    }
                }
            }
            if in_flight == 0 {
                break;
            }
            // Every worker gone (one panicked): stop, the join says why.
            let Ok((seq, part, buf)) = done_rx.recv() else {
                break;
            };
            in_flight -= 1;
            free.push(buf);
            waiting.insert(seq, part);
            while let Some(part) = waiting.remove(&next_merge) {
                tally.merge(part);
                next_merge += 1;
            }
        }
        drop(work_tx);
        blocks.report_overlong(name, tally);
        for h in handles {
            h.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
        }
        result
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocks_of(data: &[u8], size: usize) -> Vec<(Vec<u8>, u64)> {
        let mut r = data;
        let mut br = BlockReader::new(&mut r, size);
        let mut buf = Vec::new();
        let mut out = Vec::new();
        while let Some((len, first)) = br.next_block(&mut buf).unwrap() {
            out.push((buf[..len].to_vec(), first));
        }
        out
    }

    #[test]
    fn blocks_are_whole_lines_numbered_in_order() {
        let data = b"a\nbb\n\nccc\ndddddddddd\ne";
        for size in 1..30 {
            let blocks = blocks_of(data, size);
            let joined: Vec<u8> = blocks.iter().flat_map(|(b, _)| b.clone()).collect();
            assert_eq!(joined, data.to_vec(), "size {size}");
            let mut expected_line = 1;
            for (i, (b, first)) in blocks.iter().enumerate() {
                assert_eq!(*first, expected_line, "size {size}");
                if i + 1 < blocks.len() {
                    assert!(b.ends_with(b"\n"), "size {size}: {b:?}");
                }
                expected_line += b.iter().filter(|c| **c == b'\n').count() as u64;
            }
        }
        assert!(blocks_of(b"", 4).is_empty());
    }

    /// Lines over the limit are emptied (numbering kept) and noted once each, in order,
    /// whatever the block size — shorter or longer than the line — and at the end of input.
    #[test]
    fn overlong_lines_are_emptied_and_noted_once() {
        let data: &[u8] =
            b"ok\n0123456789abc\nfive5\n\nsixsix\nx\n0123456789012345678901234567890123456789";
        // By hand: lines 2 (13 bytes), 5 (6) and 7 (40) are over 5 bytes.
        let expected: Vec<u8> = b"ok\n\nfive5\n\n\nx\n".to_vec();
        for size in 1..60 {
            let mut r = data;
            let mut br = BlockReader::with_max_line(&mut r, size, 5);
            let mut buf = Vec::new();
            let mut joined = Vec::new();
            let mut expected_line = 1;
            while let Some((len, first)) = br.next_block(&mut buf).unwrap() {
                assert_eq!(first, expected_line, "size {size}");
                expected_line += buf[..len].iter().filter(|c| **c == b'\n').count() as u64;
                joined.extend_from_slice(&buf[..len]);
                assert!(
                    buf.len() <= size.max(12) * 2 + 2,
                    "size {size}: held {}",
                    buf.len()
                );
            }
            assert_eq!(joined, expected, "size {size}");
            assert_eq!(br.overlong, vec![2, 5, 7], "size {size}");
        }
    }
}
