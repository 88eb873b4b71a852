//! Reading an AWS Cost and Usage Report export (`--cur FILE`): CSV, gzipped CSV or Parquet, in
//! either layout (CUR 2.0 or legacy). The columns and rows are understood by
//! `gwcost_report::CurColumns`; this module only turns the file into rows of strings.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use anyhow::{Context, Result};
use gwcost_report::{CurColumns, CurLine, CurSummary};
use polars::prelude::*;

/// The API Gateway usage lines of the CUR at `path`, and what was read.
pub(crate) fn read_cur(path: &Path) -> Result<(Vec<CurLine>, CurSummary)> {
    let shown = path.display().to_string();
    let mut file = File::open(path).with_context(|| format!("opening {shown}"))?;
    let mut magic = [0u8; 4];
    let n = file
        .read(&mut magic)
        .with_context(|| format!("reading {shown}"))?;
    drop(file);
    let result = if n == 4 && &magic == b"PAR1" {
        read_parquet(path)
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
/// decimal form, which is the number AWS wrote; everything else cast to text by polars.
fn strings(c: &Column) -> PolarsResult<Vec<String>> {
    if c.dtype().is_float() {
        let f = c.cast(&DataType::Float64)?;
        let a = f.f64()?.rechunk();
        Ok((0..a.len())
            .map(|i| a.get(i).map(|v| format!("{v}")).unwrap_or_default())
            .collect())
    } else {
        let s = c.cast(&DataType::String)?;
        let a = s.str()?.rechunk();
        Ok((0..a.len())
            .map(|i| a.get(i).unwrap_or_default().to_owned())
            .collect())
    }
}

fn read_parquet(path: &Path) -> Result<(Vec<CurLine>, CurSummary)> {
    let file = File::open(path)?;
    let mut reader = ParquetReader::new(file);
    let schema = reader.schema()?;
    let header: Vec<String> = schema.iter_names().map(|n| n.to_string()).collect();
    let columns = CurColumns::find(&header)?;
    // Only the columns reconcile reads (a CUR has a hundred and more).
    let wanted = columns.wanted(&header);
    let df = ParquetReader::new(File::open(path)?)
        .with_columns(Some(wanted.clone()))
        .finish()?;
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
