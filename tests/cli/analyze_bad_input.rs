//! Bad input: malformed lines are reported and skipped (exit 0), `--strict` makes them fatal,
//! missing or unreadable inputs and bad flags are one-line errors with exit status 2.

use crate::util::{Scratch, assert_contract_shape, dec, usd};

/// tests/fixtures/malformed.jsonl has 9 lines: 1 and 7 are good requests, 4 is blank, and
/// 2 (not JSON), 3 (requestTimeEpoch "yesterday"), 5 (no timestamp), 6 (eventType PING),
/// 8 (responseLength true) and 9 (truncated) are malformed.
#[test]
fn malformed_lines_are_reported_counted_and_skipped() {
    let s = Scratch::new();
    s.copy_fixture("malformed.jsonl");
    let r = s
        .run(&["analyze", "malformed.jsonl", "--format", "json"])
        .success()
        .stderr_has("malformed.jsonl:2: not JSON")
        .stderr_has("malformed.jsonl:3: bad field")
        .stderr_has("yesterday")
        .stderr_has("malformed.jsonl:5: no timestamp")
        .stderr_has("malformed.jsonl:6: bad field")
        .stderr_has("PING")
        .stderr_has("malformed.jsonl:8: bad field")
        .stderr_has("malformed.jsonl:9: not JSON")
        .stderr_has("skipped 6 malformed lines of 8 lines");
    assert!(!r.stderr.contains("malformed.jsonl:1:"));
    assert!(!r.stderr.contains("malformed.jsonl:7:"));
    assert!(!r.stderr.contains("malformed.jsonl:4:"));
    let v = r.json();
    assert_contract_shape(&v);
    assert_eq!(v["inputs"]["lines"], 8);
    assert_eq!(v["inputs"]["malformed_lines"], 6);
    // The two good requests: 1 HTTP unit each, $0.000002; responseLength "-" reads as 0.
    assert_eq!(v["total"]["http_api"]["requests"], 2);
    assert_eq!(v["total"]["http_api"]["billed_units"], 2);
    assert_eq!(usd(&v["total"]["http_api"]["cost_usd"]), dec("0.000002"));
    assert_eq!(v["total"]["data_transfer_out"]["bytes"], 100);
}

#[test]
fn quiet_hides_the_list_but_not_the_count_in_the_report() {
    let s = Scratch::new();
    s.copy_fixture("malformed.jsonl");
    let r = s
        .run(&["analyze", "malformed.jsonl", "--quiet"])
        .success()
        .stdout_has("6 malformed line");
    assert!(r.stderr.is_empty(), "{}", r.stderr);
}

#[test]
fn strict_makes_malformed_lines_an_error() {
    let s = Scratch::new();
    s.copy_fixture("malformed.jsonl");
    let r = s
        .run(&["analyze", "malformed.jsonl", "--strict", "--format", "json"])
        .status(2)
        .stderr_has("malformed.jsonl:2:")
        .stderr_has("gwcost: error: 6 malformed lines (--strict)");
    assert!(r.stdout.is_empty(), "no report on a strict failure");

    // A clean file passes --strict.
    s.copy_fixture("gwcost.jsonl");
    s.run(&["analyze", "gwcost.jsonl", "--strict"]).success();
}

#[test]
fn only_the_first_ten_are_listed_then_a_count() {
    let s = Scratch::new();
    let mut text = String::new();
    for i in 0..25 {
        text.push_str(&format!("garbage {i}\n"));
    }
    text.push_str("{\"requestTimeEpoch\":1761955200000}\n");
    s.write("many.jsonl", text.as_bytes());
    let r = s
        .run(&["analyze", "many.jsonl"])
        .success()
        .stderr_has("many.jsonl:10: not JSON")
        .stderr_has("and 15 more malformed lines");
    assert!(!r.stderr.contains("many.jsonl:11:"), "{}", r.stderr);
}

fn one_line_error(r: &crate::util::Run) {
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "expected a one-line error: {:?}", r.stderr);
    assert!(lines[0].starts_with("gwcost: error: "), "{:?}", r.stderr);
}

#[test]
fn missing_path_is_a_one_line_error() {
    let s = Scratch::new();
    let r = s
        .run(&["analyze", "nope.jsonl"])
        .status(2)
        .stderr_has("nope.jsonl: no such file or directory");
    one_line_error(&r);
    assert!(r.stdout.is_empty());
}

#[test]
fn unreadable_inputs_are_one_line_errors() {
    let s = Scratch::new();
    // Gzip magic followed by garbage.
    s.write("broken.jsonl.gz", &[0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5, 6, 7]);
    let r = s
        .run(&["analyze", "broken.jsonl.gz"])
        .status(2)
        .stderr_has("broken.jsonl.gz");
    one_line_error(&r);

    s.write("broken.parquet", b"PAR1 this is not parquet");
    let r = s
        .run(&["analyze", "broken.parquet"])
        .status(2)
        .stderr_has("broken.parquet");
    one_line_error(&r);

    // A path through a file ("Not a directory").
    s.copy_fixture("gwcost.jsonl");
    let r = s
        .run(&["analyze", "gwcost.jsonl/inside.jsonl"])
        .status(2)
        .stderr_has("gwcost.jsonl/inside.jsonl");
    one_line_error(&r);
}

#[test]
fn bad_flags_exit_2() {
    let s = Scratch::new();
    s.copy_fixture("gwcost.jsonl");
    for args in [
        vec!["analyze", "gwcost.jsonl", "--format", "xml"],
        vec!["analyze", "gwcost.jsonl", "--bogus"],
        vec!["analyze", "gwcost.jsonl", "--by", "colour"],
        vec!["analyze", "gwcost.jsonl", "--metering-basis", "avg"],
        vec!["analyze"],
        vec!["frobnicate"],
    ] {
        let r = s.run(&args).status(2);
        assert!(r.stdout.is_empty(), "{args:?}");
    }
    for (args, needle) in [
        (
            vec!["analyze", "gwcost.jsonl", "--since", "2025-13-01"],
            "2025-13-01",
        ),
        (
            vec!["analyze", "gwcost.jsonl", "--until", "yesterday"],
            "yesterday",
        ),
        (
            vec![
                "analyze",
                "gwcost.jsonl",
                "--since",
                "2025-12-02",
                "--until",
                "2025-12-01",
            ],
            "--until is before --since",
        ),
    ] {
        let r = s.run(&args).status(2).stderr_has(needle);
        one_line_error(&r);
    }
}

#[test]
fn bad_price_book_names_the_key() {
    let s = Scratch::new();
    s.copy_fixture("gwcost.jsonl");
    let good = s.run(&["prices", "--format", "toml"]).success().stdout;
    let bad = good.replacen(
        "price_per_million = \"1.00\"",
        "price_per_million = \"-1\"",
        1,
    );
    assert_ne!(bad, good, "the default book has an HTTP tier at 1.00");
    s.write("bad.toml", bad.as_bytes());
    let r = s
        .run(&["analyze", "gwcost.jsonl", "--price-book", "bad.toml"])
        .status(2)
        .stderr_has("bad.toml")
        .stderr_has("price_per_million");
    one_line_error(&r);
    let r = s
        .run(&["analyze", "gwcost.jsonl", "--price-book", "missing.toml"])
        .status(2)
        .stderr_has("missing.toml");
    one_line_error(&r);
}

#[test]
fn empty_input_is_a_zero_bill() {
    let s = Scratch::new();
    s.write("empty.jsonl", b"");
    s.write("blank.jsonl", b"\n\n   \n");
    for args in [
        vec!["analyze", "empty.jsonl", "--format", "json"],
        vec!["analyze", "blank.jsonl", "--format", "json"],
        vec!["analyze", "-", "--format", "json"],
    ] {
        let r = s.run_with_stdin(&args, Some(b"")).success();
        let v = r.json();
        assert_contract_shape(&v);
        assert_eq!(v["months"].as_array().unwrap().len(), 0);
        assert_eq!(v["inputs"]["lines"], 0);
        assert_eq!(v["total"]["http_api"]["requests"], 0);
        assert_eq!(usd(&v["total"]["http_api"]["cost_usd"]), dec("0"));
        assert_eq!(usd(&v["total"]["websocket"]["cost_usd"]), dec("0"));
        assert_eq!(usd(&v["total"]["data_transfer_out"]["cost_usd"]), dec("0"));
    }
    // The table renders.
    s.run(&["analyze", "empty.jsonl"])
        .success()
        .stdout_has("Total");
    // An empty directory has nothing to read: exit 2 (tests/cli/analyze_files.rs).
}

/// A line longer than the documented limit (1 MiB) is reported `FILE:LINE: line longer than N
/// bytes` and skipped; the lines around it bill as without it, gzipped or not, on both engines.
#[test]
fn an_overlong_line_is_skipped_and_named() {
    let s = Scratch::new();
    let good = std::fs::read_to_string(crate::util::fixture("gwcost.jsonl")).unwrap();
    let mut lines: Vec<String> = good.lines().map(str::to_owned).collect();
    // Junk of 3 MiB without a newline, as line 4.
    lines.insert(3, "x".repeat(3 << 20));
    let text = lines.join("\n") + "\n";
    s.write("long.jsonl", text.as_bytes());
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, text.as_bytes()).unwrap();
    s.write("long.jsonl.gz", &gz.finish().unwrap());
    s.copy_fixture("gwcost.jsonl");
    let plain = s
        .run(&["analyze", "gwcost.jsonl", "--format", "json"])
        .success()
        .json();
    for args in [
        vec!["analyze", "long.jsonl", "--format", "json"],
        vec!["analyze", "long.jsonl.gz", "--format", "json"],
        vec![
            "analyze",
            "long.jsonl",
            "--format",
            "json",
            "--threads",
            "1",
        ],
    ] {
        let r = s
            .run(&args)
            .success()
            .stderr_has(&format!("{}:4: line longer than 1048576 bytes", args[1]));
        let v = r.json();
        assert_eq!(crate::util::bill(&v), crate::util::bill(&plain), "{args:?}");
        assert_eq!(v["inputs"]["malformed_lines"], 1, "{args:?}");
        assert_eq!(v["inputs"]["lines"], 14, "{args:?}");
    }
}

/// A CSV record over the limit — a quoted field of 3 MiB with no newline, or one spanning
/// lines — is reported `FILE:LINE: line longer than N bytes` at the line it starts on and
/// skipped; the rows around it bill as without it, gzipped or not.
#[test]
fn an_overlong_csv_record_is_skipped_and_named() {
    let s = Scratch::new();
    let good = std::fs::read_to_string(crate::util::fixture("gwcost-header.csv")).unwrap();
    let mut lines: Vec<String> = good.lines().map(str::to_owned).collect();
    // Line 4: a row whose quoted requestId holds 3 MiB and no newline.
    lines.insert(
        3,
        format!("\"{}\",1763193600000,REQUEST", "x".repeat(3 << 20)),
    );
    // Line 7: a quoted field spanning 3 lines of 1 MiB each (lines 7 to 9).
    let mib = "y".repeat(1 << 20);
    lines.insert(6, format!("r0,\"{mib}\n{mib}\n{mib}\",REQUEST"));
    let text = lines.join("\n") + "\n";
    s.write("long.csv", text.as_bytes());
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, text.as_bytes()).unwrap();
    s.write("long.csv.gz", &gz.finish().unwrap());
    s.copy_fixture("gwcost-header.csv");
    let plain = s
        .run(&["analyze", "gwcost-header.csv", "--format", "json"])
        .success()
        .json();
    for file in ["long.csv", "long.csv.gz"] {
        let r = s
            .run(&["analyze", file, "--format", "json"])
            .success()
            .stderr_has(&format!("{file}:4: line longer than 1048576 bytes"))
            .stderr_has(&format!("{file}:7: line longer than 1048576 bytes"));
        let v = r.json();
        assert_eq!(crate::util::bill(&v), crate::util::bill(&plain), "{file}");
        assert_eq!(v["inputs"]["malformed_lines"], 2, "{file}");
        assert_eq!(
            v["inputs"]["lines"],
            plain["inputs"]["lines"].as_u64().unwrap() + 2,
            "{file}"
        );
    }
    // A file with no newline at all, read as CSV, is one overlong record and nothing else:
    // nothing understood (exit 2), saying why.
    s.write("flat.csv", "z,".repeat(2 << 20).as_bytes());
    s.run(&[
        "analyze",
        "flat.csv",
        "--input-format",
        "csv",
        "--format",
        "json",
    ])
    .status(2)
    .stderr_has(
        "flat.csv: CSV none of which is an access-log record (e.g. line longer than 1048576 bytes)",
    );
}
