//! Every file accounted for (issue 18): a file under a directory is read by its content whatever
//! it is named (logrotate's `dateext`, a `.txt`), what is skipped is listed, nothing readable is
//! exit 2 naming what was seen, and a file reached twice is read once and said.

use std::io::Write;

use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::Value;

use crate::util::Scratch;

/// `n` requests (ids `{tag}0…`) in October 2026.
fn lines(tag: &str, n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                "{{\"requestId\":\"{tag}{i}\",\"requestTimeEpoch\":{},\"routeKey\":\"GET /x\",\"status\":200}}\n",
                1_790_812_800_000i64 + i as i64 * 60_000
            )
        })
        .collect()
}

fn gzip(text: &str) -> Vec<u8> {
    let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
    gz.write_all(text.as_bytes()).unwrap();
    gz.finish().unwrap()
}

fn json(s: &Scratch, args: &[&str]) -> (Value, String) {
    let mut all = vec!["analyze", "--format", "json"];
    all.extend_from_slice(args);
    let r = s.run(&all).success();
    (r.json(), r.stderr)
}

#[test]
fn rotated_files_are_read_whatever_their_name() {
    let s = Scratch::new();
    // logrotate with and without `dateext` (RHEL's and Amazon Linux's default), compressed.
    s.write("log/access.log", lines("a", 11).as_bytes());
    s.write("log/access.log.1", lines("b", 13).as_bytes());
    s.write("log/access.log-20261001", lines("c", 17).as_bytes());
    s.write("log/access.log-20260901.gz", &gzip(&lines("d", 19)));
    s.write("log/access.txt", lines("e", 23).as_bytes());
    s.write("log/README.md", b"# Access logs\nRotated daily.\n");
    let (v, stderr) = json(&s, &["log"]);
    assert_eq!(v["total"]["http_api"]["requests"], 11 + 13 + 17 + 19 + 23);
    assert_eq!(v["inputs"]["files"], 5);
    assert_eq!(v["inputs"]["skipped_files"], 1);
    assert_eq!(v["inputs"]["malformed_lines"], 0);
    assert!(
        stderr.contains("skipped log/README.md: not an access log"),
        "{stderr}"
    );
}

#[test]
fn nothing_readable_is_exit_2_naming_what_was_seen() {
    let s = Scratch::new();
    s.write("txt/access.txt", b"GET / 200\nsome notes\n");
    s.write(
        "txt/photo.jpg",
        &[0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46],
    );
    let r = s.run(&["analyze", "txt"]).status(2);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    assert!(r.stderr.contains("txt/access.txt"), "{}", r.stderr);
    assert!(r.stderr.contains("txt/photo.jpg"), "{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    // An empty directory likewise.
    std::fs::create_dir_all(s.path("empty")).unwrap();
    s.run(&["analyze", "empty"])
        .status(2)
        .stderr_has("empty: no files");
}

#[test]
fn a_file_reached_twice_is_read_once_and_said() {
    let s = Scratch::new();
    s.write("log/access.log", lines("a", 7).as_bytes());
    s.write("log/old/access.log.1", lines("b", 5).as_bytes());
    let (once, _) = json(&s, &["log"]);
    assert_eq!(once["total"]["http_api"]["requests"], 12);
    for args in [
        vec!["log", "log"],
        vec!["log", "log/old/access.log.1"],
        vec!["log/access.log", "log", "./log/access.log"],
    ] {
        let (v, stderr) = json(&s, &args);
        assert_eq!(v["total"], once["total"], "{args:?}");
        assert_eq!(v["months"], once["months"], "{args:?}");
        assert_eq!(v["inputs"]["files"], 2, "{args:?}");
        assert!(stderr.contains("read once"), "{args:?}: {stderr}");
    }
}

/// Many small files (how AWS writes logs): a generated corpus with WebSocket connections cut
/// into 2,000 files of 15 lines, some gzipped, read by the worker pool, bills exactly like the
/// same lines in one file — months, routes, connections spanning files, malformed lines.
#[test]
fn many_small_files_bill_like_one_file() {
    use gwcost_corpus::{CorpusSpec, generate};
    let s = Scratch::new();
    let spec = CorpusSpec {
        events: 30_000,
        seed: 11,
        malformed_per_million: 2_000,
        ..CorpusSpec::default()
    };
    let mut bytes = Vec::new();
    generate(&spec, &mut bytes).unwrap();
    s.write("one.jsonl", &bytes);
    let text = String::from_utf8(bytes).unwrap();
    let all: Vec<&str> = text.lines().collect();
    for (k, chunk) in all.chunks(15).enumerate() {
        let body = chunk.join("\n") + "\n";
        if k % 7 == 0 {
            s.write(&format!("many/{k:05}.jsonl.gz"), &gzip(&body));
        } else {
            s.write(&format!("many/{k:05}.jsonl"), body.as_bytes());
        }
    }
    let one = s
        .run(&[
            "analyze",
            "one.jsonl",
            "--by",
            "route",
            "--format",
            "json",
            "-q",
        ])
        .success()
        .json();
    let many = s
        .run(&["analyze", "many", "--by", "route", "--format", "json", "-q"])
        .success()
        .json();
    assert!(all.len() / 15 >= 2_000, "{}", all.len());
    assert_eq!(many["months"], one["months"]);
    assert_eq!(many["total"], one["total"]);
    assert_eq!(many["inputs"]["lines"], one["inputs"]["lines"]);
    assert_eq!(
        many["inputs"]["malformed_lines"],
        one["inputs"]["malformed_lines"]
    );
    assert_eq!(
        many["inputs"]["unclosed_connections"],
        one["inputs"]["unclosed_connections"]
    );
    assert!(one["total"]["websocket"]["connections"].as_u64().unwrap() > 10);
}
