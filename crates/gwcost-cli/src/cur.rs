//! Reading an AWS Cost and Usage Report export (`--cur PATH`) as AWS writes it: CSV, gzipped
//! CSV or Parquet, in either layout (CUR 2.0 Data Exports or legacy CUR), one file, `-` (stdin),
//! or the export's folder as copied from S3 (`aws s3 sync s3://bucket/prefix/export/ DIR`).
//!
//! A folder is read through its manifests when it has any — CUR 2.0 writes
//! `metadata/BILLING_PERIOD=YYYY-MM/NAME-Manifest.json` naming its `dataFiles`, legacy CUR
//! `YYYYMMDD-YYYYMMDD/NAME-Manifest.json` naming its `reportKeys` — so a superseded legacy
//! assembly left beside the current one is not billed twice; without a manifest every data file
//! under it is read. The columns and rows are understood by `gwcost_report::CurColumns`; this
//! module only turns files into rows of strings (AWS's TIMESTAMP and DATE columns as their UTC
//! `YYYY-MM-DD`, DOUBLE amounts as the number AWS wrote).

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{BufReader, Cursor, Read};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use gwcost_report::{CurColumns, CurLine, CurSummary};
use polars::io::mmap::MmapBytesReader;
use polars::prelude::*;

/// The API Gateway usage lines of the CUR at `path` (a file, `-` or a folder), and what was read.
pub(crate) fn read_cur(path: &Path) -> Result<(Vec<CurLine>, CurSummary)> {
    if crate::output::is_stdout(path) {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .context("reading the CUR from stdin")?;
        return read_bytes(bytes).context("CUR from stdin");
    }
    if !path.is_dir() {
        return read_file(path);
    }
    let files = export_files(path)?;
    let mut lines = Vec::new();
    let mut summary: Option<CurSummary> = None;
    for f in &files {
        let (l, s) = read_file(f)?;
        lines.extend(l);
        summary = Some(match summary {
            None => s,
            Some(mut sum) => {
                if sum.layout != s.layout {
                    bail!(
                        "{}: a {} file among {} ones; give one export at a time",
                        f.display(),
                        layout_name(s.layout),
                        layout_name(sum.layout)
                    );
                }
                sum.rows += s.rows;
                sum.api_gateway_rows += s.api_gateway_rows;
                sum
            }
        });
    }
    let summary = summary.with_context(|| format!("{}: no CUR data files", path.display()))?;
    eprintln!(
        "gwcost: read the CUR from {} ({})",
        path.display(),
        crate::common::plural(files.len() as u64, "file", "files")
    );
    Ok((lines, summary))
}

fn layout_name(l: gwcost_report::CurLayout) -> &'static str {
    match l {
        gwcost_report::CurLayout::Cur2 => "CUR 2.0",
        gwcost_report::CurLayout::Legacy => "legacy CUR",
    }
}

fn read_file(path: &Path) -> Result<(Vec<CurLine>, CurSummary)> {
    let shown = path.display().to_string();
    let mut file = File::open(path).with_context(|| format!("opening {shown}"))?;
    let mut magic = [0u8; 4];
    let n = file
        .read(&mut magic)
        .with_context(|| format!("reading {shown}"))?;
    drop(file);
    let result = if n == 4 && &magic == b"PAR1" {
        File::open(path)
            .map_err(anyhow::Error::from)
            .and_then(read_parquet)
    } else {
        let file = File::open(path).with_context(|| format!("opening {shown}"))?;
        let reader: Box<dyn Read> = if n >= 2 && magic[..2] == [0x1f, 0x8b] {
            Box::new(flate2::read::MultiGzDecoder::new(BufReader::new(file)))
        } else {
            Box::new(BufReader::new(file))
        };
        read_csv(reader)
    };
    result.with_context(|| format!("CUR {shown}"))
}

/// A CUR read whole from stdin (Parquet needs to seek).
fn read_bytes(bytes: Vec<u8>) -> Result<(Vec<CurLine>, CurSummary)> {
    if bytes.starts_with(b"PAR1") {
        return read_parquet(Cursor::new(bytes));
    }
    let reader: Box<dyn Read> = if bytes.starts_with(&[0x1f, 0x8b]) {
        Box::new(flate2::read::MultiGzDecoder::new(Cursor::new(bytes)))
    } else {
        Box::new(Cursor::new(bytes))
    };
    read_csv(reader)
}

/// The data files of an export folder: those its manifests name, else every CSV, gzip or
/// Parquet file under it (sorted, so errors and sums come in a stable order).
fn export_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut manifests = Vec::new();
    let mut data = Vec::new();
    walk(dir, &mut |p| {
        let name = p.file_name().map(|n| n.to_string_lossy().to_lowercase());
        let name = name.as_deref().unwrap_or("");
        if name.starts_with('.') {
            // Hidden files (an editor's, a sync tool's partial download) are not the export.
        } else if name.ends_with("manifest.json") {
            manifests.push(p.to_path_buf());
        } else if [".csv", ".csv.gz", ".gz", ".parquet"]
            .iter()
            .any(|e| name.ends_with(e))
        {
            data.push(p.to_path_buf());
        }
    })
    .with_context(|| format!("reading {}", dir.display()))?;
    // Legacy CUR copies the period's manifest into each assembly folder; only the period's one
    // (the folder above) names the current assembly.
    manifests.retain(|m| !is_assembly_copy(m));
    if manifests.is_empty() {
        data.sort();
        if data.is_empty() {
            bail!(
                "{}: no CUR data files (.csv, .csv.gz, .parquet) and no manifest under it",
                dir.display()
            );
        }
        return Ok(data);
    }
    manifests.sort();
    let mut files = BTreeSet::new();
    for m in &manifests {
        for key in manifest_keys(m)? {
            let local = local_path(dir, &key).with_context(|| {
                format!(
                    "{}: names {key}, which is not under {}",
                    m.display(),
                    dir.display()
                )
            })?;
            files.insert(local);
        }
    }
    Ok(files.into_iter().collect())
}

fn walk(dir: &Path, f: &mut dyn FnMut(&Path)) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for e in entries {
        let p = e.path();
        if p.is_dir() {
            walk(&p, f)?;
        } else {
            f(&p);
        }
    }
    Ok(())
}

/// `PERIOD/ASSEMBLY/NAME-Manifest.json` when `PERIOD/NAME-Manifest.json` exists.
fn is_assembly_copy(manifest: &Path) -> bool {
    let (Some(name), Some(grandparent)) = (
        manifest.file_name(),
        manifest.parent().and_then(Path::parent),
    ) else {
        return false;
    };
    grandparent.join(name).is_file()
}

/// The object keys a manifest names: `dataFiles` (CUR 2.0, `s3://` URIs) or `reportKeys`
/// (legacy CUR, keys in its `bucket`).
fn manifest_keys(path: &Path) -> Result<Vec<String>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let v: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("{}: not a CUR manifest (JSON)", path.display()))?;
    let list = v
        .get("dataFiles")
        .or_else(|| v.get("reportKeys"))
        .and_then(serde_json::Value::as_array)
        .with_context(|| {
            format!(
                "{}: a manifest without dataFiles (CUR 2.0) or reportKeys (legacy CUR)",
                path.display()
            )
        })?;
    list.iter()
        .map(|k| {
            k.as_str().map(str::to_owned).with_context(|| {
                format!("{}: a data file that is not a string: {k}", path.display())
            })
        })
        .collect()
}

/// Where an S3 key of the export is in the local copy: the longest tail of the key (after
/// `s3://bucket/`) that is a file under `dir`.
fn local_path(dir: &Path, key: &str) -> Option<PathBuf> {
    let key = key
        .strip_prefix("s3://")
        .map_or(key, |rest| rest.split_once('/').map_or("", |(_, k)| k));
    let parts: Vec<&str> = key.split('/').filter(|p| !p.is_empty()).collect();
    (0..parts.len())
        .map(|i| parts[i..].iter().fold(dir.to_path_buf(), |p, c| p.join(c)))
        .find(|p| p.is_file())
}

fn read_csv(reader: Box<dyn Read>) -> Result<(Vec<CurLine>, CurSummary)> {
    let mut csv = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
    let header: Vec<String> = csv.headers()?.iter().map(str::to_owned).collect();
    let columns = CurColumns::find(&header)?;
    let mut lines = Vec::new();
    let mut rows = 0;
    for (i, record) in csv.records().enumerate() {
        // Row numbers count the header as line 1, as a spreadsheet shows them.
        let line_no = i as u64 + 2;
        let record = record.with_context(|| format!("line {line_no}"))?;
        rows += 1;
        let cells: Vec<&str> = record.iter().collect();
        if let Some(l) = columns.line(&cells, line_no)? {
            lines.push(l);
        }
    }
    let summary = CurSummary {
        layout: columns.layout,
        rows,
        api_gateway_rows: lines.len() as u64,
    };
    Ok((lines, summary))
}

/// One Parquet column as strings: floats (usage amounts, costs) in Rust's shortest round-trip
/// decimal form, which is the number AWS wrote; TIMESTAMP (with or without a zone: both are
/// stored as UTC instants) and DATE as the UTC day `YYYY-MM-DD`; everything else cast to text.
fn strings(c: &Column) -> PolarsResult<Vec<String>> {
    let day = |ms: Option<i64>| {
        ms.map(|ms| gwcost_analytics::Day::of_epoch_ms(ms).to_string())
            .unwrap_or_default()
    };
    match c.dtype() {
        DataType::Datetime(unit, _) => {
            let per_ms = match unit {
                TimeUnit::Nanoseconds => 1_000_000,
                TimeUnit::Microseconds => 1_000,
                TimeUnit::Milliseconds => 1,
            };
            let i = c.cast(&DataType::Int64)?;
            let a = i.i64()?.rechunk();
            Ok((0..a.len())
                .map(|r| day(a.get(r).map(|v| v.div_euclid(per_ms))))
                .collect())
        }
        DataType::Date => {
            let i = c.cast(&DataType::Int32)?;
            let a = i.i32()?.rechunk();
            Ok((0..a.len())
                .map(|r| day(a.get(r).map(|d| i64::from(d) * 86_400_000)))
                .collect())
        }
        t if t.is_float() => {
            let f = c.cast(&DataType::Float64)?;
            let a = f.f64()?.rechunk();
            Ok((0..a.len())
                .map(|i| a.get(i).map(|v| format!("{v}")).unwrap_or_default())
                .collect())
        }
        _ => {
            let s = c.cast(&DataType::String)?;
            let a = s.str()?.rechunk();
            Ok((0..a.len())
                .map(|i| a.get(i).unwrap_or_default().to_owned())
                .collect())
        }
    }
}

fn read_parquet(source: impl MmapBytesReader) -> Result<(Vec<CurLine>, CurSummary)> {
    let mut reader = ParquetReader::new(source);
    let schema = reader.schema()?;
    let header: Vec<String> = schema.iter_names().map(|n| n.to_string()).collect();
    let columns = CurColumns::find(&header)?;
    // Only the columns reconcile reads (a CUR has a hundred and more, MAPs among them).
    let wanted = columns.wanted(&header);
    let df = reader.with_columns(Some(wanted.clone())).finish()?;
    let mut data: Vec<Vec<String>> = Vec::with_capacity(header.len());
    for name in &header {
        if wanted.contains(name) {
            data.push(strings(df.column(name.as_str())?)?);
        } else {
            data.push(Vec::new());
        }
    }
    let mut lines = Vec::new();
    let rows = df.height();
    for r in 0..rows {
        let cells: Vec<&str> = data
            .iter()
            .map(|col| col.get(r).map_or("", String::as_str))
            .collect();
        if let Some(l) = columns.line(&cells, r as u64 + 1)? {
            lines.push(l);
        }
    }
    let summary = CurSummary {
        layout: columns.layout,
        rows: rows as u64,
        api_gateway_rows: lines.len() as u64,
    };
    Ok((lines, summary))
}
