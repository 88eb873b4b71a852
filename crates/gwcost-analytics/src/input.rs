//! Naming inputs (files, directories, stdin), finding the log files under a directory, reading
//! them (gunzipping when needed) and choosing the reader by extension or, failing that, content.

use std::fmt;
use std::fs;
use std::io::{self, BufRead, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use flate2::read::MultiGzDecoder;

use crate::blocks::{self, BLOCK_BYTES, BlockReader};
use crate::error::AnalyticsError;
use crate::formats::message::MessageParser;
use crate::formats::{self, InputFormat, Messages, columns, jsonl, polars_io};
use crate::{AnalyzeOptions, Engine, Progress, Tally};

/// One input as named by the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A file, or a directory read recursively.
    Path(PathBuf),
    /// Standard input (`-`); its format is recognised from its content.
    Stdin,
    /// A named byte stream from elsewhere (an S3 object, a CloudWatch Logs page), read like
    /// stdin: format sniffed from content (or name), gzip by magic.
    Stream(StreamSource),
}

/// Opens a stream's bytes (called once per read).
pub type OpenStream = Arc<dyn Fn() -> io::Result<Box<dyn Read + Send>> + Send + Sync>;

/// A byte stream that is not a local file: its name (shown in messages, and a hint to its
/// format), its size when known (for the progress bar) and how to open it.
#[derive(Clone)]
pub struct StreamSource {
    pub name: String,
    pub size: Option<u64>,
    pub open: OpenStream,
}

impl fmt::Debug for StreamSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamSource")
            .field("name", &self.name)
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

impl PartialEq for StreamSource {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for StreamSource {}

impl Input {
    /// `-` is stdin, anything else a path.
    pub fn parse(s: &str) -> Self {
        if s == "-" {
            Self::Stdin
        } else {
            Self::Path(PathBuf::from(s))
        }
    }
}

/// Parses `YYYY-MM-DD` to ms since the epoch of 00:00 UTC that day.
pub fn parse_date(value: &str) -> Result<i64, AnalyticsError> {
    let bad = || AnalyticsError::BadDate {
        value: value.to_owned(),
    };
    let mut parts = value.trim().splitn(3, '-');
    let mut num = |len: usize| -> Result<u32, AnalyticsError> {
        let p = parts.next().ok_or_else(bad)?;
        if p.len() != len || !p.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        p.parse().map_err(|_| bad())
    };
    let (y, m, d) = (num(4)?, num(2)?, num(2)?);
    if !(1..=12).contains(&m) || d == 0 {
        return Err(bad());
    }
    let ms = gwcost_log::epoch_ms_of_date(i64::from(y), m, d);
    // Reject 2025-02-30 and the like: the date must survive the round trip.
    if gwcost_log::utc_date(ms) != (i64::from(y), m, d) {
        return Err(bad());
    }
    Ok(ms)
}

/// One file to read.
#[derive(Debug, Clone)]
pub(crate) struct SourceFile {
    /// As shown in messages: the path as given or found, `-` for stdin, a stream's name.
    pub(crate) name: String,
    pub(crate) path: Option<PathBuf>,
    pub(crate) stream: Option<StreamSource>,
    /// Found under a directory rather than named: one whose name says nothing (no log
    /// extension) and whose content is no log format is skipped, not reported line by line.
    pub(crate) found: bool,
}

impl SourceFile {
    /// The format its file name says (`None` for stdin and names that say nothing).
    pub(crate) fn format_by_name(&self) -> Option<Format> {
        match (&self.path, &self.stream) {
            (Some(p), _) => p
                .file_name()
                .and_then(|n| format_by_extension(&n.to_string_lossy())),
            (None, Some(s)) => s.name.rsplit('/').next().and_then(format_by_extension),
            (None, None) => None,
        }
    }

    /// Its size as stored, when known.
    pub(crate) fn size(&self) -> Option<u64> {
        match (&self.path, &self.stream) {
            (Some(p), _) => fs::metadata(p).ok().map(|m| m.len()),
            (None, Some(s)) => s.size,
            (None, None) => None,
        }
    }
}

/// The layout a file's name suggests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// One record per line; `clf` also accepts API Gateway CLF lines.
    JsonLines {
        clf: bool,
    },
    Csv,
    Parquet,
}

/// The extension that decides the format, looking through `.gz` and rotation numbers
/// (`access.log.1.gz` → `log`).
fn effective_extension(name: &str) -> Option<String> {
    let mut parts: Vec<&str> = name.split('.').skip(1).collect();
    while let Some(last) = parts.last() {
        if last.eq_ignore_ascii_case("gz")
            || (!last.is_empty() && last.bytes().all(|b| b.is_ascii_digit()))
        {
            parts.pop();
        } else {
            break;
        }
    }
    parts.last().map(|e| e.to_ascii_lowercase())
}

pub(crate) fn format_by_extension(name: &str) -> Option<Format> {
    match effective_extension(name)?.as_str() {
        "jsonl" | "json" | "ndjson" => Some(Format::JsonLines { clf: false }),
        "log" => Some(Format::JsonLines { clf: true }),
        "csv" => Some(Format::Csv),
        "parquet" => Some(Format::Parquet),
        _ => None,
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), AnalyticsError> {
    let shown = dir.display().to_string();
    let entries = fs::read_dir(dir).map_err(|e| AnalyticsError::io(&shown, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| AnalyticsError::io(&shown, e))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') {
            continue;
        }
        let path = entry.path();
        let ft = entry
            .file_type()
            .map_err(|e| AnalyticsError::io(&path.display().to_string(), e))?;
        let is_dir = if ft.is_symlink() {
            path.is_dir()
        } else {
            ft.is_dir()
        };
        if is_dir {
            walk(&path, out)?;
        } else {
            // Every file is looked at, whatever its name: logrotate's `access.log-20261001`,
            // Firehose's `<stream>-1-2026-…-<uuid>`, CloudWatch's `000000.gz`. One whose content
            // is no access log is skipped and said (see `read_into`).
            out.push(path);
        }
    }
    Ok(())
}

/// The files to read, and the files reached more than once (each `FILE: why`), read once.
#[derive(Debug, Default)]
pub(crate) struct Expanded {
    pub(crate) files: Vec<SourceFile>,
    pub(crate) repeats: Vec<String>,
}

/// Expands directories (recursively, every file but hidden ones, sorted for determinism) into
/// files; a file reached twice (the same directory given twice, a file and its directory, a
/// symlink) is read once: the bill of overlapping inputs is not doubled.
pub(crate) fn expand(inputs: &[Input]) -> Result<Expanded, AnalyticsError> {
    let files = expand_all(inputs)?;
    let mut seen: std::collections::HashMap<PathBuf, String> = std::collections::HashMap::new();
    let mut streams = std::collections::HashSet::new();
    let mut out = Expanded::default();
    for f in files {
        let first = match (&f.path, &f.stream) {
            (Some(p), _) => {
                let key = fs::canonicalize(p).unwrap_or_else(|_| p.clone());
                match seen.get(&key) {
                    Some(first) => Some(first.clone()),
                    None => {
                        seen.insert(key, f.name.clone());
                        None
                    }
                }
            }
            (None, Some(s)) => (!streams.insert(s.name.clone())).then(|| s.name.clone()),
            (None, None) => None,
        };
        match first {
            Some(first) if first == f.name => out
                .repeats
                .push(format!("{}: named more than once, read once", f.name)),
            Some(first) => out
                .repeats
                .push(format!("{}: the same file as {first}, read once", f.name)),
            None => out.files.push(f),
        }
    }
    Ok(out)
}

fn expand_all(inputs: &[Input]) -> Result<Vec<SourceFile>, AnalyticsError> {
    let mut files = Vec::new();
    for input in inputs {
        match input {
            Input::Stdin => files.push(SourceFile {
                name: "-".to_owned(),
                path: None,
                stream: None,
                found: false,
            }),
            Input::Stream(src) => files.push(SourceFile {
                name: src.name.clone(),
                path: None,
                stream: Some(src.clone()),
                found: false,
            }),
            Input::Path(p) => {
                let shown = p.display().to_string();
                let meta = fs::metadata(p).map_err(|e| AnalyticsError::io(&shown, e))?;
                if meta.is_dir() {
                    let mut found = Vec::new();
                    walk(p, &mut found)?;
                    found.sort();
                    files.extend(found.into_iter().map(|f| SourceFile {
                        name: f.display().to_string(),
                        path: Some(f),
                        stream: None,
                        found: true,
                    }));
                } else {
                    files.push(SourceFile {
                        name: shown,
                        path: Some(p.clone()),
                        stream: None,
                        found: false,
                    });
                }
            }
        }
    }
    Ok(files)
}

/// Counts the bytes read from a file as stored (before decompression) for the progress bar.
struct Counting<'p, R> {
    inner: R,
    progress: Option<&'p dyn Progress>,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(p) = self.progress {
            p.advance(n as u64, 0);
        }
        Ok(n)
    }
}

/// Counts the bytes read after decompression (`inputs.bytes`).
pub(crate) struct Tallied<R> {
    inner: R,
    bytes: u64,
}

impl<R: Read> Read for Tallied<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
}

/// Ends a file's content at the first read error, keeping the error: every reader then sees
/// the file as ending where it broke, so what came before is billed, and the caller names the
/// file once as damaged ([`Self::damage`]) instead of losing every line of the run.
pub(crate) struct Latched<R> {
    inner: R,
    /// Bytes of content delivered before the break.
    bytes: u64,
    error: Option<io::Error>,
}

impl<R: Read> Latched<R> {
    pub(crate) fn new(inner: R) -> Self {
        Self {
            inner,
            bytes: 0,
            error: None,
        }
    }

    /// Where and why the content broke, in words (`None` when it did not): said once,
    /// `gzip: ` prefixed when the bytes were gzip and the error does not say so itself.
    pub(crate) fn damage(&mut self, gz: bool, lines: u64) -> Option<String> {
        let e = self.error.take()?;
        let what = e.to_string();
        let what = if gz && !what.to_ascii_lowercase().contains("gzip") {
            format!("gzip: {what}")
        } else {
            what
        };
        Some(format!(
            "damaged after byte {} of its content ({lines} line{} read and kept): {what}",
            self.bytes,
            if lines == 1 { "" } else { "s" }
        ))
    }
}

impl<R: Read> Read for Latched<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.error.is_some() {
            return Ok(0);
        }
        loop {
            match self.inner.read(buf) {
                Ok(n) => {
                    self.bytes += n as u64;
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.error = Some(e);
                    return Ok(0);
                }
            }
        }
    }
}

/// Reads at most `limit` bytes (fewer only at the end of the input).
pub(crate) fn read_prefix(reader: &mut dyn Read, limit: usize) -> io::Result<Vec<u8>> {
    let mut prefix = Vec::with_capacity(limit);
    reader.take(limit as u64).read_to_end(&mut prefix)?;
    Ok(prefix)
}

/// A file on disk whose name says Parquet, or one no bigger than a block (gzip: an eighth of
/// one, for what it unpacks to): read whole by one worker of the pool
/// ([`read_side_by_side`]).
pub(crate) fn read_whole_by_one_worker(file: &SourceFile) -> bool {
    let Some(path) = &file.path else {
        return false;
    };
    if file.format_by_name() == Some(Format::Parquet) {
        return true;
    }
    let small = (BLOCK_BYTES / 8) as u64;
    fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() <= small)
}

/// Reads `files` on up to `threads` threads, one file per thread at a time, each into its own
/// tally; the tallies are merged in file order, so the result (and the first error, by file
/// order) is what reading them one after the other gives.
pub(crate) fn read_side_by_side(
    files: &[SourceFile],
    opts: &AnalyzeOptions,
    threads: usize,
    tally: &mut Tally<'_>,
    progress: Option<&dyn Progress>,
) -> Result<(), AnalyticsError> {
    let one = AnalyzeOptions {
        threads: Some(1),
        ..opts.clone()
    };
    let next = std::sync::atomic::AtomicUsize::new(0);
    let template = tally.empty_part();
    let mut done: Vec<(usize, Result<Tally<'_>, AnalyticsError>)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads.min(files.len()))
            .map(|_| {
                let (one, next, template) = (&one, &next, &template);
                s.spawn(move || {
                    let mut out = Vec::new();
                    // Files are taken in order; a thread stops at its first error, so every
                    // file before the first failing one is read.
                    loop {
                        let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(file) = files.get(k) else {
                            break;
                        };
                        let mut local = template.empty_part();
                        let r = read_into(file, one, &mut local, progress).map(|()| local);
                        let failed = r.is_err();
                        out.push((k, r));
                        if failed {
                            break;
                        }
                    }
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    done.sort_by_key(|(k, _)| *k);
    for (_, r) in done {
        tally.merge(r?);
    }
    Ok(())
}

/// Opens `file` (stdin when it has no path), counting the bytes as stored for `progress`, and
/// gunzips it when it starts with the gzip magic. Returns the decoded reader and whether it was
/// gzip (callers word their read errors by it).
pub(crate) fn open_decoded<'p>(
    file: &SourceFile,
    progress: Option<&'p dyn Progress>,
) -> Result<(Box<dyn Read + 'p>, bool), AnalyticsError> {
    let io_err = |e: io::Error| AnalyticsError::io(&file.name, e);
    let raw: Box<dyn Read> = match (&file.path, &file.stream) {
        (Some(p), _) => Box::new(fs::File::open(p).map_err(io_err)?),
        (None, Some(s)) => (s.open)().map_err(io_err)?,
        (None, None) => Box::new(io::stdin().lock()),
    };
    let mut buffered = io::BufReader::with_capacity(
        1 << 16,
        Counting {
            inner: raw,
            progress,
        },
    );
    let gz = buffered
        .fill_buf()
        .map_err(io_err)?
        .starts_with(&[0x1f, 0x8b]);
    let decoded: Box<dyn Read + 'p> = if gz {
        Box::new(MultiGzDecoder::new(buffered))
    } else {
        Box::new(buffered)
    };
    Ok((decoded, gz))
}

/// How much of a file without a telling name is read to recognise its content.
pub(crate) const SNIFF_BYTES: usize = 64 << 10;

/// The format to read `file` with: `--input-format`, else what the content says (the name is
/// only a hint: a `.json` file may be JSON lines or a CloudWatch Logs page; a `.csv` file
/// plain CSV or Logs Insights results).
pub(crate) fn choose(
    file: &SourceFile,
    forced: Option<InputFormat>,
    templated: bool,
    prefix: &[u8],
) -> InputFormat {
    if let Some(f) = forced {
        return f;
    }
    let detected = formats::detect(prefix);
    // Text that is no container is lines when the name says so (`.jsonl` starting with a
    // broken line) or under a stage template (a CSV template's lines look like CSV).
    let named_lines = matches!(file.format_by_name(), Some(Format::JsonLines { .. }));
    if (templated || named_lines) && detected == InputFormat::Csv {
        return InputFormat::Lines;
    }
    match file.format_by_name() {
        // A `.csv` whose first line is not recognised otherwise stays CSV; JSON lines named
        // `.csv` are still JSON lines.
        Some(Format::Csv) if detected == InputFormat::Lines => {
            if prefix.trim_ascii_start().starts_with(b"{") {
                InputFormat::Lines
            } else {
                InputFormat::Csv
            }
        }
        _ => detected,
    }
}

/// Metering's [`formats::Sink`]: every format's content folded into the tally.
struct TallySink<'a, 't, 'f, 'p> {
    name: &'a str,
    parser: MessageParser<'f>,
    tally: &'a mut Tally<'t>,
    /// Container messages (and malformed container events) seen: lines of the input.
    messages: u64,
    threads: usize,
    progress: Option<&'p dyn Progress>,
    /// `--engine polars` on JSON lines: polars' NDJSON reader instead of the block fold.
    polars_lines: bool,
}

impl formats::Sink for TallySink<'_, '_, '_, '_> {
    fn lines(&mut self, reader: &mut dyn Read, export: bool) -> Result<(), AnalyticsError> {
        let name = self.name;
        let io_err = |e: io::Error| AnalyticsError::io(name, e);
        if self.polars_lines && !export {
            let mut data = Vec::new();
            reader.read_to_end(&mut data).map_err(io_err)?;
            return polars_io::read_ndjson(name, &data, self.tally);
        }
        let parser = &self.parser;
        let fold = move |chunk: &[u8], first: u64, t: &mut Tally<'_>| {
            jsonl::fold_chunk(name, chunk, first, parser, export, t);
        };
        let progress = self.progress;
        let on_block = |_bytes: u64, lines: u64| {
            if let Some(p) = progress {
                p.advance(0, lines);
            }
        };
        let mut blocks = BlockReader::new(reader, BLOCK_BYTES);
        blocks::fold_all(
            name,
            &mut blocks,
            self.threads,
            self.tally,
            &fold,
            &on_block,
        )
        .map_err(io_err)
    }

    fn csv(&mut self, reader: &mut dyn Read) -> Result<(), AnalyticsError> {
        columns::read_csv(self.name, reader, self.tally);
        Ok(())
    }

    fn parquet(&mut self, reader: &mut dyn Read) -> Result<(), AnalyticsError> {
        let mut data = Vec::new();
        reader
            .read_to_end(&mut data)
            .map_err(|e| AnalyticsError::io(self.name, e))?;
        polars_io::read_parquet(self.name, data, self.tally)
    }
}

impl Messages for TallySink<'_, '_, '_, '_> {
    fn message(&mut self, line: u64, msg: &[u8], fallback_ms: Option<i64>) {
        self.messages += 1;
        self.parser
            .fold(self.name, line, msg, fallback_ms, self.tally);
    }
    fn malformed(&mut self, line: u64, reason: String) {
        self.messages += 1;
        self.tally.malformed(self.name, line, reason);
    }
}

/// Reads one file into the tally with the reader its content (or `--input-format`) calls for,
/// streaming: lines and CSV are read block by block (gzip decoded on the way), JSON containers
/// one event at a time, so memory does not grow with the file; Parquet is read by polars.
/// When the file held something but not one event was understood, its shape is noted on the
/// tally (see [`Tally::not_understood`]).
pub(crate) fn read_into(
    file: &SourceFile,
    opts: &AnalyzeOptions,
    tally: &mut Tally<'_>,
    progress: Option<&dyn Progress>,
) -> Result<(), AnalyticsError> {
    let threads = opts.threads.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    // polars reads a plain Parquet file itself, a row group at a time.
    if let (Some(p), None | Some(InputFormat::Parquet)) = (&file.path, opts.input_format)
        && file.format_by_name() == Some(Format::Parquet)
    {
        let mut magic = [0u8; 2];
        let gz = fs::File::open(p)
            .and_then(|mut f| f.read(&mut magic))
            .map_err(|e| AnalyticsError::io(&file.name, e))?
            == 2
            && magic == [0x1f, 0x8b];
        if !gz {
            return polars_io::read_parquet_file(&file.name, p, threads, tally);
        }
    }
    let (decoded, gz) = open_decoded(file, progress)?;
    let mut decoded = Latched::new(decoded);
    // `Latched` never fails a read: a break ends the content, and is said after it.
    let gz_err = |e: io::Error| AnalyticsError::io(&file.name, e);
    let prefix = read_prefix(&mut decoded, SNIFF_BYTES).map_err(gz_err)?;
    let format = choose(file, opts.input_format, opts.log_format.is_some(), &prefix);
    if file.found
        && file.format_by_name().is_none()
        && format == InputFormat::Csv
        && opts.input_format.is_none()
    {
        // A README or a binary next to the logs (every file under a directory is looked at):
        // not a log, not an error, but said.
        tally.skipped(&file.name, "not an access log".to_owned());
        return Ok(());
    }
    let clf = !matches!(
        file.format_by_name(),
        Some(Format::JsonLines { clf: false })
    );
    let mut reader = Tallied {
        inner: io::Cursor::new(prefix).chain(&mut decoded),
        bytes: 0,
    };
    let parser = MessageParser {
        template: opts.log_format.as_deref(),
        clf,
        reference: opts.engine == Engine::Reference,
    };
    let (lines_before, bad_before) = tally.line_counts();
    let mut sink = TallySink {
        name: &file.name,
        parser,
        tally,
        messages: 0,
        threads,
        progress,
        polars_lines: !clf && opts.engine == Engine::Polars && opts.log_format.is_none(),
    };
    let seen = formats::read(&file.name, format, &mut reader, &mut sink)?;
    let shape = seen.map(|s| s.shape());
    let messages = sink.messages;
    tally.add_lines(messages);
    tally.add_bytes(reader.bytes);
    let (lines_after, bad_after) = tally.line_counts();
    let (lines, bad) = (lines_after - lines_before, bad_after - bad_before);
    let content_bytes = reader.bytes;
    if let Some(damage) = decoded.damage(gz, lines) {
        tally.damaged(&file.name, damage);
        if opts.strict {
            return Err(AnalyticsError::Damaged(
                tally.damage_said().unwrap_or_default(),
            ));
        }
        return Ok(());
    }
    let nothing_read = lines == 0 && content_bytes > 0 && format.is_container();
    if (lines > 0 && bad == lines) || nothing_read {
        let what = match (format, shape) {
            (f, Some(shape)) => format!("looks like {}: {shape}", f.describe()),
            (f, None) if f.is_container() => {
                format!(
                    "looks like {} whose messages are not access logs",
                    f.describe()
                )
            }
            (f, None) => format!("{} none of which is an access-log record", f.describe()),
        };
        let first = tally.first_malformed_reason(&file.name);
        let with_example = match first {
            Some(r) if !nothing_read => format!("{what} (e.g. {r})"),
            _ => what,
        };
        tally.not_understood(&file.name, with_example);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(name: &str, bytes: Vec<u8>) -> Input {
        Input::Stream(StreamSource {
            name: name.to_owned(),
            size: Some(bytes.len() as u64),
            open: Arc::new(move || Ok(Box::new(io::Cursor::new(bytes.clone())) as _)),
        })
    }

    /// A stream bills like the same bytes in a file: gzip found by magic, format by content
    /// when the name says nothing, by extension when it does.
    #[test]
    fn streams_read_like_files() {
        use std::io::Write as _;
        let book = gwcost_pricing::PriceBook::aws_us_east_1();
        let opts = AnalyzeOptions::default();
        let lines = "{\"requestId\":\"a\",\"requestTimeEpoch\":1788220801000,\"status\":200,\"responseLength\":600000}\n\
                     {\"requestId\":\"b\",\"requestTimeEpoch\":1788220802000,\"status\":\"200\",\"responseLength\":\"-\"}\n";
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(lines.as_bytes()).unwrap();
        let gz = gz.finish().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.jsonl");
        std::fs::write(&file, lines).unwrap();
        let local = crate::analyze(&[Input::Path(file)], &opts, &book).unwrap();
        for input in [
            stream("s3://b/exports/000000.gz", gz.clone()),
            stream("s3://b/k/a.jsonl.gz", gz),
            stream("cloudwatch://group", lines.as_bytes().to_vec()),
        ] {
            let a = crate::analyze(std::slice::from_ref(&input), &opts, &book).unwrap();
            assert_eq!(a.inputs.malformed_lines, 0, "{input:?}");
            assert_eq!(a.months, local.months, "{input:?}");
            assert_eq!(a.inputs.lines, 2);
        }
        // An error opening the stream names it.
        let failing = Input::Stream(StreamSource {
            name: "s3://b/k".to_owned(),
            size: None,
            open: Arc::new(|| Err(io::Error::other("AccessDenied: no"))),
        });
        let err = crate::analyze(&[failing], &opts, &book).unwrap_err();
        assert!(err.to_string().contains("s3://b/k"), "{err}");
        assert!(err.to_string().contains("AccessDenied"), "{err}");
    }

    /// A stream that fails halfway (an S3 object whose connection drops after the SDK's
    /// retries) keeps the lines before the break and is counted as damaged; under `strict` it
    /// is an error naming it.
    #[test]
    fn a_stream_failing_halfway_keeps_what_came_before() {
        struct Failing(io::Cursor<Vec<u8>>);
        impl Read for Failing {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                match self.0.read(buf)? {
                    0 => Err(io::Error::other("connection reset by peer")),
                    n => Ok(n),
                }
            }
        }
        let lines: String = (0..10)
            .map(|i| format!("{{\"requestId\":\"r{i}\",\"requestTimeEpoch\":1788220801000}}\n"))
            .collect();
        let input = Input::Stream(StreamSource {
            name: "s3://b/k.jsonl".to_owned(),
            size: None,
            open: Arc::new(move || {
                Ok(Box::new(Failing(io::Cursor::new(lines.clone().into_bytes()))) as _)
            }),
        });
        let book = gwcost_pricing::PriceBook::aws_us_east_1();
        let mut opts = AnalyzeOptions::default();
        let a = crate::analyze(std::slice::from_ref(&input), &opts, &book).unwrap();
        assert_eq!(a.total_usage().requests, 10);
        assert_eq!(a.inputs.damaged_files, 1);
        assert_eq!(a.damaged.len(), 1);
        assert!(
            a.damaged[0].starts_with("s3://b/k.jsonl: damaged"),
            "{:?}",
            a.damaged
        );
        assert!(
            a.damaged[0].contains("connection reset by peer"),
            "{:?}",
            a.damaged
        );
        opts.strict = true;
        let err = crate::analyze(&[input], &opts, &book)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("s3://b/k.jsonl") && err.contains("--strict"),
            "{err}"
        );
    }

    #[test]
    fn extensions_look_through_gz_and_rotation() {
        assert_eq!(
            format_by_extension("access.log.1.gz"),
            Some(Format::JsonLines { clf: true })
        );
        assert_eq!(format_by_extension("a.csv.gz"), Some(Format::Csv));
        assert_eq!(format_by_extension("a.PARQUET"), Some(Format::Parquet));
        assert_eq!(
            format_by_extension("a.jsonl"),
            Some(Format::JsonLines { clf: false })
        );
        assert_eq!(format_by_extension("README.md"), None);
        assert_eq!(format_by_extension("noext"), None);
    }

    #[test]
    fn dates() {
        assert_eq!(parse_date("2025-12-01").unwrap(), 1_764_547_200_000);
        for bad in ["2025-13-01", "2025-02-30", "25-12-01", "2025-12-1", "x", ""] {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
    }
}
