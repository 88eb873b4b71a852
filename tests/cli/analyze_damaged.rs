//! Damaged input keeps the good input: a gzip file cut short (a copy still running) in a folder
//! of good files bills the good files and what the cut file held before the break, names the
//! file once with where it broke, says the bill is partial and exits 3; `--strict` stops at it
//! with exit 2.

use std::io::{Read, Write};

use flate2::Compression;
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;

use crate::util::Scratch;

/// `n` HTTP API lines (requestIds `{tag}0…`), one request each.
fn lines(tag: &str, n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                "{{\"requestId\":\"{tag}{i}\",\"requestTimeEpoch\":{},\"routeKey\":\"GET /x\",\"status\":200,\"responseLength\":{}}}\n",
                1_790_812_800_000i64 + i as i64 * 1000,
                i * 37
            )
        })
        .collect()
}

/// 5,000 lines gzipped and cut at half their compressed size, and how many whole lines a
/// plain gunzip gets out of the cut file before it fails (the independent answer: flate2's
/// own decoder, reading until its error).
fn truncated_gzip() -> (Vec<u8>, usize) {
    let text = lines("b", 5_000);
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    gz.write_all(text.as_bytes()).unwrap();
    let gz = gz.finish().unwrap();
    let cut = gz[..gz.len() / 2].to_vec();
    let mut out = Vec::new();
    let mut d = MultiGzDecoder::new(&cut[..]);
    let mut buf = [0u8; 4096];
    loop {
        match d.read(&mut buf) {
            Ok(0) => panic!("a cut gzip must fail"),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(_) => break,
        }
    }
    let whole = out.iter().filter(|&&b| b == b'\n').count();
    assert!(whole > 100 && whole < 5_000, "{whole}");
    (cut, whole)
}

#[test]
fn a_truncated_gzip_among_good_files_bills_the_good_input_and_exits_3() {
    let s = Scratch::new();
    s.write("logs/a.jsonl", lines("a", 300).as_bytes());
    let (cut, whole) = truncated_gzip();
    s.write("logs/b.jsonl.gz", &cut);
    s.write("logs/c.jsonl", lines("c", 200).as_bytes());
    let r = s
        .run(&["analyze", "logs", "--format", "json"])
        .status(3)
        .stderr_has("logs/b.jsonl.gz");
    // Said once, with where it broke (the line the cut went through may also be listed as
    // malformed, by its line number).
    assert_eq!(r.stderr.matches("damaged").count(), 1, "{}", r.stderr);
    assert_eq!(
        r.stderr.matches("incomplete deflate stream").count(),
        1,
        "{}",
        r.stderr
    );
    let v = r.json();
    assert_eq!(
        v["total"]["http_api"]["requests"].as_u64(),
        Some(300 + 200 + whole as u64),
        "{}",
        r.stderr
    );
    let i = &v["inputs"];
    assert_eq!(i["damaged_files"], 1);
    assert_eq!(i["files"], 3);
    let (lines, billed, bad) = (
        i["lines"].as_u64().unwrap(),
        i["billed_lines"].as_u64().unwrap(),
        i["malformed_lines"].as_u64().unwrap(),
    );
    assert_eq!(billed, 500 + whole as u64);
    // At most the one line the cut went through is malformed.
    assert!(bad <= 1, "{i}");
    assert_eq!(billed + bad, lines);

    // Every other output says the bill is partial; the status is still 3.
    s.run(&["analyze", "logs"])
        .status(3)
        .stdout_has("Partial input: 1 damaged file");
    s.run(&["compare", "logs"])
        .status(3)
        .stdout_has("Partial input: 1 damaged file");

    // --strict stops at it: exit 2, nothing on stdout.
    let r = s
        .run(&["analyze", "logs", "--format", "json", "--strict"])
        .status(2)
        .stderr_has("b.jsonl.gz");
    assert!(r.stdout.is_empty(), "{}", r.stdout);
}

#[test]
fn a_truncated_gzip_alone_on_stdin_keeps_what_was_read() {
    let s = Scratch::new();
    let (cut, whole) = truncated_gzip();
    let r = s
        .run_with_stdin(&["analyze", "-", "--format", "json"], Some(&cut))
        .status(3);
    let v = r.json();
    assert_eq!(
        v["total"]["http_api"]["requests"].as_u64(),
        Some(whole as u64)
    );
    assert_eq!(v["inputs"]["damaged_files"], 1);
}
