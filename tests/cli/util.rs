//! Runs the real `gwcost` binary in a fresh scratch directory; on failure shows the command,
//! the directory, the status, stdout and stderr.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::str::FromStr;

use rust_decimal::Decimal;
use serde_json::Value;

/// The checked-in fixtures directory (tests/fixtures).
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(name)
}

/// A scratch directory that the binary runs in.
pub struct Scratch {
    dir: tempfile::TempDir,
}

/// What one run of the binary did.
pub struct Run {
    pub command: String,
    pub dir: PathBuf,
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Scratch {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Writes a file (creating parent directories) and returns its path.
    pub fn write(&self, rel: &str, bytes: &[u8]) -> PathBuf {
        let p = self.path(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&p, bytes).unwrap();
        p
    }

    /// Copies a fixture into the scratch directory under the same name.
    pub fn copy_fixture(&self, name: &str) -> PathBuf {
        self.write(name, &std::fs::read(fixture(name)).unwrap())
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with_stdin(args, None)
    }

    pub fn run_with_stdin(&self, args: &[&str], stdin: Option<&[u8]>) -> Run {
        let bin = env!("CARGO_BIN_EXE_gwcost");
        let mut cmd = Command::new(bin);
        cmd.args(args)
            .current_dir(self.dir.path())
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        if let Some(input) = stdin {
            let mut pipe = child.stdin.take().unwrap();
            pipe.write_all(input).unwrap();
        }
        let out = child.wait_with_output().unwrap();
        Run {
            command: format!("gwcost {}", args.join(" ")),
            dir: self.dir.path().to_owned(),
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

impl Run {
    fn describe(&self) -> String {
        let listing: Vec<String> = walk(&self.dir)
            .into_iter()
            .map(|p| {
                p.strip_prefix(&self.dir)
                    .unwrap_or(&p)
                    .display()
                    .to_string()
            })
            .collect();
        format!(
            "\n--- command: {}\n--- dir: {} [{}]\n--- status: {:?}\n--- stdout:\n{}\n--- stderr:\n{}\n",
            self.command,
            self.dir.display(),
            listing.join(", "),
            self.code,
            self.stdout,
            self.stderr
        )
    }

    /// Asserts exit status 0.
    pub fn success(self) -> Self {
        assert_eq!(self.code, Some(0), "expected success{}", self.describe());
        assert!(!self.stderr.contains("panicked"), "{}", self.describe());
        self
    }

    /// Asserts the given exit status and no panic.
    pub fn status(self, code: i32) -> Self {
        assert_eq!(
            self.code,
            Some(code),
            "expected status {code}{}",
            self.describe()
        );
        assert!(!self.stderr.contains("panicked"), "{}", self.describe());
        self
    }

    /// Asserts stderr contains `needle`.
    pub fn stderr_has(self, needle: &str) -> Self {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}{}",
            self.describe()
        );
        self
    }

    /// Asserts stdout contains `needle`.
    pub fn stdout_has(self, needle: &str) -> Self {
        assert!(
            self.stdout.contains(needle),
            "stdout lacks {needle:?}{}",
            self.describe()
        );
        self
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}){}", self.describe()))
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

pub fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

/// A `cost_usd` field: must be a JSON string holding an exact decimal.
pub fn usd(v: &Value) -> Decimal {
    let s = v
        .as_str()
        .unwrap_or_else(|| panic!("cost_usd must be a decimal string, got {v}"));
    Decimal::from_str(s).unwrap_or_else(|e| panic!("cost_usd {s:?} is not a decimal: {e}"))
}

/// Data transfer out at $0.09/GB (GB = 2^30 B, first tier), exactly: bytes × 9 / (100 × 2^30).
/// The bill carries 28 decimal places (rust_decimal's limit) where the exact value may need 32,
/// so it must be within one unit of the 28th place.
pub fn assert_transfer_cost(v: &Value, bytes: u64) {
    let exact = Decimal::from(bytes) * dec("0.09") / Decimal::from(1u64 << 30);
    let got = usd(v);
    assert!(
        (got - exact).abs() <= dec("0.0000000000000000000000000001"),
        "data transfer of {bytes} B: got {got}, expected {exact}"
    );
}

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v
        .as_object()
        .unwrap_or_else(|| panic!("expected an object, got {v}"))
        .keys()
        .cloned()
        .collect();
    k.sort();
    k
}

fn sorted(k: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = k.iter().map(|s| (*s).to_owned()).collect();
    v.sort();
    v
}

/// Checks the shape of the four bill lines (the same in months and total).
fn assert_lines_shape(v: &Value, extra: &[&str]) {
    let mut expected = vec!["http_api", "rest_api", "websocket", "data_transfer_out"];
    expected.extend_from_slice(extra);
    assert_eq!(keys(v), sorted(&expected), "{v}");
    for api in ["http_api", "rest_api"] {
        assert_eq!(
            keys(&v[api]),
            sorted(&["requests", "billed_units", "cost_usd"])
        );
        assert!(v[api]["requests"].is_u64() && v[api]["billed_units"].is_u64());
        usd(&v[api]["cost_usd"]);
    }
    assert_eq!(
        keys(&v["websocket"]),
        sorted(&[
            "connections",
            "messages",
            "billed_units",
            "connection_minutes",
            "cost_usd"
        ])
    );
    usd(&v["websocket"]["cost_usd"]);
    assert_eq!(
        keys(&v["data_transfer_out"]),
        sorted(&["bytes", "cost_usd"])
    );
    usd(&v["data_transfer_out"]["cost_usd"]);
}

/// The `price_book` block every JSON output shares (docs/output-vocabulary.md): which book, and
/// for a file its path and content hash.
pub fn assert_price_book_shape(b: &Value) {
    let k = keys(b);
    for required in ["name", "region", "as_of", "source"] {
        assert!(
            k.contains(&required.to_owned()),
            "price_book lacks {required}: {b}"
        );
    }
    let optional = ["path", "sha256", "data_transfer_out_source"];
    assert!(
        k.iter().all(
            |x| ["name", "region", "as_of", "source"].contains(&x.as_str())
                || optional.contains(&x.as_str())
        ),
        "price_book has unknown keys: {b}"
    );
    match b["source"].as_str() {
        Some("embedded") => assert!(b.get("path").is_none() && b.get("sha256").is_none()),
        Some("file") => {
            assert!(b["path"].is_string(), "{b}");
            let h = b["sha256"].as_str().unwrap_or("");
            assert!(
                h.len() == 64 && h.bytes().all(|c| c.is_ascii_hexdigit()),
                "{b}"
            );
        }
        other => panic!("price_book.source {other:?}"),
    }
}

/// Checks that `v` has exactly the fields of the JSON contract (issue 2 item 5).
pub fn assert_contract_shape(v: &Value) {
    assert_eq!(
        keys(v),
        sorted(&[
            "schema_version",
            "currency",
            "price_book",
            "free_tier",
            "inputs",
            "months",
            "total"
        ])
    );
    assert_eq!(v["schema_version"], 2);
    assert_eq!(v["currency"], "USD");
    assert_price_book_shape(&v["price_book"]);
    assert!(v["free_tier"].is_boolean());
    assert_eq!(
        keys(&v["inputs"]),
        sorted(&[
            "files",
            "skipped_files",
            "damaged_files",
            "lines",
            "billed_lines",
            "not_billed",
            "malformed_lines",
            "malformed",
            "unclosed_connections"
        ])
    );
    let mut previous = String::new();
    for m in v["months"].as_array().unwrap() {
        let extra: Vec<&str> = ["by_route", "by_stage", "by_status"]
            .into_iter()
            .filter(|k| m.get(*k).is_some())
            .collect();
        let mut with_month = extra.clone();
        with_month.push("month");
        assert_lines_shape(m, &with_month);
        let month = m["month"].as_str().unwrap();
        assert!(
            month.len() == 7 && month.as_bytes()[4] == b'-',
            "month {month:?} is not YYYY-MM"
        );
        assert!(month > previous.as_str(), "months out of order");
        previous = month.to_owned();
    }
    assert_lines_shape(&v["total"], &[]);
}

/// The bill part of a report (months and total), for comparing formats.
pub fn bill(v: &Value) -> Value {
    serde_json::json!({ "months": v["months"], "total": v["total"] })
}

/// True when `python3 -c IMPORT` succeeds. Otherwise says `SKIPPED: WHAT is not available`, or
/// fails under CI (`CI` set), where `.ci/run` installs every Python peer the tests use.
pub fn python_peer(import: &str, what: &str) -> bool {
    let ok = Command::new("python3")
        .args(["-c", import])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but {what} is missing (.ci/run installs it)"
        );
        eprintln!("SKIPPED: {what} is not available");
    }
    ok
}

/// Runs `python3 -c SCRIPT` with `stdin` and the extra environment; returns its stdout, or
/// panics with its stderr and the input.
pub fn python(script: &str, stdin: &str, envs: &[(&str, String)]) -> String {
    let mut child = Command::new("python3")
        .args(["-c", script])
        .envs(envs.iter().map(|(k, v)| (*k, v.as_str())))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "python3 failed:\n{}\n--- input ---\n{stdin}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}
