//! The command-line contract scripts lean on (docs/exit-codes.md, README "Exit codes"): one
//! error line with one prefix (clap's too) and status 2 for usage and input errors; `-` as
//! stdin and `-o -` as stdout; outputs written whole or not at all; a closed pipe ends quietly
//! with 0; a projection window that would bill events twice refused; completions and a man page
//! generated from the clap definitions.

use std::io::Read;
use std::process::{Command, Stdio};

use crate::util::Scratch;

const DAY_MS: i64 = 86_400_000;
/// 2026-10-01T12:00:00Z.
const OCT_1: i64 = 1_790_856_000_000;

/// One request a day on 1–31 October 2026: the whole month logged.
fn whole_october(s: &Scratch) {
    let lines: Vec<String> = (0..31)
        .map(|i| {
            format!(
                r#"{{"requestId":"o{i}","requestTimeEpoch":{},"eventType":"REQUEST","stage":"prod","routeKey":"GET /items","status":200,"requestLength":0,"responseLength":0}}"#,
                OCT_1 + i * DAY_MS
            )
        })
        .collect();
    s.write("oct.jsonl", (lines.join("\n") + "\n").as_bytes());
}

/// True when `cmd` runs (`groff -v`). Otherwise says `SKIPPED: WHAT is not available`, or fails
/// under CI (`CI` set), where `.ci/run` installs it.
fn tool_peer(cmd: &str, what: &str) -> bool {
    let ok = Command::new(cmd)
        .arg("--version")
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

/// stderr is exactly one line, `gwcost: error: …`.
fn one_error_line(stderr: &str) {
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("gwcost: error: "), "{stderr}");
}

#[test]
fn clap_errors_are_one_line_with_the_gwcost_prefix_and_exit_2() {
    let s = Scratch::new();
    whole_october(&s);
    for args in [
        vec!["analyze", "oct.jsonl", "--frobnicate"],
        vec!["analyze"],
        vec!["analyze", "oct.jsonl", "--format", "yaml"],
        vec!["frobnicate"],
        vec!["quote", "http", "--requests", "lots"],
    ] {
        let r = s.run(&args).status(2);
        one_error_line(&r.stderr);
        assert!(r.stderr.contains("--help"), "{}", r.stderr);
    }
    // --help and --version are answers, not errors.
    s.run(&["--version"]).success().stdout_has("gwcost ");
    s.run(&["analyze", "--help"]).success().stdout_has("Usage:");
}

/// `--scale -1` used to be "unexpected argument '-1'": clap read it as a flag.
#[test]
fn a_negative_scale_is_called_negative() {
    let s = Scratch::new();
    whole_october(&s);
    for cmd in ["analyze", "compare"] {
        let r = s.run(&[cmd, "oct.jsonl", "--scale", "-1"]).status(2);
        one_error_line(&r.stderr);
        assert!(r.stderr.contains("-1 is negative"), "{}", r.stderr);
    }
    let r = s.run(&["analyze", "oct.jsonl", "--scale=-0.5"]).status(2);
    assert!(r.stderr.contains("-0.5 is negative"), "{}", r.stderr);
    // Every other numeric flag names the value it refuses instead of calling `-1` a flag.
    for args in [
        vec!["compare", "oct.jsonl", "--top-routes", "-1"],
        vec!["generate", "--months", "-1", "-o", "x.jsonl"],
        vec!["quote", "http", "--requests", "-5"],
    ] {
        let r = s.run(&args).status(2);
        one_error_line(&r.stderr);
        assert!(
            r.stderr.contains("invalid value '-"),
            "{args:?}: {}",
            r.stderr
        );
        assert!(!r.stderr.contains("unexpected argument"), "{}", r.stderr);
        assert!(
            r.stderr.contains(&format!("(see gwcost {} ", args[0])),
            "{}",
            r.stderr
        );
    }
}

/// A fully logged October with `--window 2026-10-01..2026-10-10` was billed ×3.1 (31 requests
/// became 96): the 21 days after the window were stretched and counted again. Now it is refused,
/// and `--until` (which leaves those days out) gives the 10-day projection: 10 × 31/10 = 31.
#[test]
fn a_window_narrower_than_the_events_is_refused() {
    let s = Scratch::new();
    whole_october(&s);
    for cmd in ["analyze", "compare"] {
        let r = s
            .run(&[
                cmd,
                "oct.jsonl",
                "--project-month",
                "--window",
                "2026-10-01..2026-10-10",
            ])
            .status(2)
            .stderr_has(
                "leaves out 21 requests and messages logged on 21 days (2026-10-11..2026-10-31)",
            )
            .stderr_has("--since/--until");
        one_error_line(&r.stderr);
    }
    let v = s
        .run(&[
            "analyze",
            "oct.jsonl",
            "--format",
            "json",
            "--project-month",
            "--window",
            "2026-10-01..2026-10-10",
            "--until",
            "2026-10-10",
        ])
        .success()
        .json();
    assert_eq!(v["months"][0]["projection"]["factor"], "3.1");
    assert_eq!(v["months"][0]["http_api"]["requests"], 31);
    // A window holding every event still projects (all of October: ×1).
    let v = s
        .run(&[
            "analyze",
            "oct.jsonl",
            "--format",
            "json",
            "--project-month",
            "--window",
            "2026-10-01..2026-10-31",
        ])
        .success()
        .json();
    assert_eq!(v["months"][0]["http_api"]["requests"], 31);
}

/// `-o -` is stdout in every command that takes `-o` (it used to write a file named `-`).
#[test]
fn dash_o_dash_is_stdout_everywhere() {
    let s = Scratch::new();
    whole_october(&s);
    for cmd in ["analyze", "compare"] {
        let v = s
            .run(&[cmd, "oct.jsonl", "--format", "json", "-o", "-"])
            .success()
            .json();
        assert!(v["months"].is_array(), "{cmd}: {v}");
        assert!(!s.path("-").exists(), "{cmd} wrote a file named -");
    }
    let cur = "line_item_line_item_type,line_item_product_code,line_item_usage_type,line_item_usage_start_date,line_item_usage_amount,line_item_unblended_cost\nUsage,AmazonApiGateway,USE1-ApiGatewayHttpRequest,2026-10-01T00:00:00Z,31,0.000031\n";
    s.write("cur.csv", cur.as_bytes());
    let v = s
        .run(&[
            "reconcile",
            "--cur",
            "cur.csv",
            "oct.jsonl",
            "--format",
            "json",
            "-o",
            "-",
        ])
        .success()
        .json();
    assert_eq!(v["months"][0]["month"], "2026-10");
    assert!(!s.path("-").exists(), "reconcile wrote a file named -");
    s.run(&["prices", "import", "missing.json", "-o", "-"])
        .status(2);
    assert!(!s.path("-").exists());
    // `-` as an input is stdin.
    let log = std::fs::read(s.path("oct.jsonl")).unwrap();
    let v = s
        .run_with_stdin(&["analyze", "-", "--format", "json"], Some(&log))
        .success()
        .json();
    assert_eq!(v["total"]["http_api"]["requests"], 31);
}

/// A run that fails leaves what was at `-o` as it was: `generate --months 0` used to empty the
/// file before refusing the flag.
#[test]
fn a_failed_run_never_truncates_the_output() {
    let s = Scratch::new();
    whole_october(&s);
    s.write("keep.jsonl", b"precious\n");
    let r = s
        .run(&[
            "generate",
            "--events",
            "10",
            "--months",
            "0",
            "-o",
            "keep.jsonl",
        ])
        .status(2);
    one_error_line(&r.stderr);
    assert_eq!(std::fs::read(s.path("keep.jsonl")).unwrap(), b"precious\n");

    s.write("report.json", b"last week's\n");
    s.run(&[
        "analyze",
        "oct.jsonl",
        "--format",
        "json",
        "--project-month",
        "--window",
        "2026-10-01..2026-10-10",
        "-o",
        "report.json",
    ])
    .status(2);
    assert_eq!(
        std::fs::read(s.path("report.json")).unwrap(),
        b"last week's\n"
    );

    // A good run replaces it whole, and leaves no temporary file beside it.
    s.run(&[
        "analyze",
        "oct.jsonl",
        "--format",
        "json",
        "-o",
        "report.json",
    ])
    .success();
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(s.path("report.json")).unwrap()).unwrap();
    assert_eq!(v["total"]["http_api"]["requests"], 31);
    let left: Vec<String> = std::fs::read_dir(s.path(""))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// `report -o new/NAME.md` whose charts cannot be written (their names run past the 255-byte
/// limit) used to leave `new/deeper/` behind, empty; now nothing is created and the status is 2
/// (the name is the command's fault).
#[test]
fn a_failed_report_leaves_no_empty_folder() {
    let s = Scratch::new();
    whole_october(&s);
    let name = format!("new/deeper/{}.md", "r".repeat(240));
    let r = s
        .run(&["report", "oct.jsonl", "-o", &name])
        .status(2)
        .stderr_has("-monthly-cost.png: the file name is longer than 255 bytes");
    one_error_line(&r.stderr);
    assert!(!s.path("new").exists(), "{}", r.stderr);
    // The same report under a short name is written with its charts.
    s.run(&["report", "oct.jsonl", "-o", "new/deeper/r.md"])
        .success();
    assert!(s.path("new/deeper/r.md").is_file());
    assert!(s.path("new/deeper/r-monthly-cost.png").is_file());
}

/// `gwcost generate -o - | head -c 100` ends with 0 and says nothing on stderr.
#[test]
fn a_closed_pipe_ends_quietly_with_0() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gwcost"))
        .args(["generate", "--events", "2000000", "-o", "-"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 100];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    // The read end is closed here (the ChildStdout was dropped), like `head` exiting.
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(!err.contains("error"), "{err}");
    assert!(
        first.starts_with(b"{"),
        "{}",
        String::from_utf8_lossy(&first)
    );
}

/// `gwcost completions bash`, sourced by a real bash, completes a subcommand and a flag.
#[test]
fn bash_completion_completes_subcommands() {
    let s = Scratch::new();
    let r = s.run(&["completions", "bash"]).success();
    let script = s.write("gwcost.bash", r.stdout.as_bytes());
    let complete = |line: &str| -> Vec<String> {
        let words: Vec<&str> = line.split(' ').collect();
        let probe = format!(
            "source {}; COMP_WORDS=({}); COMP_CWORD={}; COMP_LINE={line:?}; \
             COMP_POINT=${{#COMP_LINE}}; _gwcost gwcost {} {}; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            script.display(),
            line,
            words.len() - 1,
            words[words.len() - 1],
            words[words.len() - 2],
        );
        let out = Command::new("bash").args(["-c", &probe]).output().unwrap();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(complete("gwcost ana"), vec!["analyze"]);
    let flags = complete("gwcost analyze --pro");
    assert!(flags.contains(&"--project-month".to_owned()), "{flags:?}");
    assert!(flags.contains(&"--profile".to_owned()), "{flags:?}");
    for shell in ["zsh", "fish", "powershell"] {
        let r = s.run(&["completions", shell]).success();
        assert!(r.stdout.contains("reconcile"), "{shell}: {}", r.stdout);
    }
    let r = s.run(&["completions", "tcsh"]).status(2);
    one_error_line(&r.stderr);
}

/// `gwcost man` is a roff page groff renders with every warning on and nothing said, holding
/// every subcommand's options.
#[test]
fn the_man_page_renders_without_warnings() {
    let s = Scratch::new();
    let page = s.run(&["man"]).success().stdout;
    assert!(
        page.starts_with(".ie") || page.contains(".TH gwcost"),
        "{page}"
    );
    for needle in [
        "GWCOST ANALYZE",
        "GWCOST RECONCILE",
        "project\\-month",
        "\\-\\-cur",
    ] {
        assert!(page.contains(needle), "{needle}");
    }
    if !tool_peer("groff", "groff (apt-get install groff-base)") {
        return;
    }
    let mut groff = Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(groff.stdin.as_mut().unwrap(), page.as_bytes()).unwrap();
    let rendered = groff.wait_with_output().unwrap();
    assert!(rendered.status.success());
    assert_eq!(String::from_utf8_lossy(&rendered.stderr), "");
}

/// An S3 endpoint that refuses connections used to print the SDK's `Debug` dump
/// (`DispatchFailure(DispatchFailure { source: ConnectorError { … } })`); now one line in words,
/// naming the location and what to check, exit 1 (retrying may help, unlike a missing bucket).
#[cfg(feature = "aws")]
#[test]
fn an_unreachable_s3_endpoint_is_one_line_in_words_and_exit_1() {
    let s = Scratch::new();
    // A port nobody listens on: bound, then closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gwcost"));
    for (k, _) in std::env::vars() {
        if k.starts_with("AWS_") {
            cmd.env_remove(k);
        }
    }
    let out = cmd
        .args(["analyze", "s3://gwcost-logs/api/"])
        .current_dir(s.path(""))
        .env("HOME", s.path(""))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", "not-a-real-secret")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{port}"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    one_error_line(&err);
    assert!(err.contains("s3://gwcost-logs/api/"), "{err}");
    assert!(err.contains("could not reach AWS"), "{err}");
    assert!(err.contains("Connection refused"), "{err}");
    assert!(err.contains("AWS_ENDPOINT_URL"), "{err}");
    for debug in ["DispatchFailure", "ConnectorError", "source:", "{"] {
        assert!(!err.contains(debug), "Debug output ({debug}): {err}");
    }
}

/// A failed `convert` used to leave its output folder behind (created before the inputs were
/// even opened); now the Parquet is written under a temporary name and renamed when whole.
#[test]
fn a_failed_convert_leaves_no_folder() {
    let s = Scratch::new();
    whole_october(&s);
    s.run(&["convert", "missing.jsonl", "--to", "parquet", "out/parquet"])
        .status(2)
        .stderr_has("missing.jsonl");
    assert!(!s.path("out").exists());
    // The first input converts, the second is cut off mid-gzip: nothing of the first is left.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &std::fs::read(s.path("oct.jsonl")).unwrap()).unwrap();
    let gz = gz.finish().unwrap();
    s.write("cut.jsonl.gz", &gz[..gz.len() / 2]);
    let r = s
        .run(&[
            "convert",
            "oct.jsonl",
            "cut.jsonl.gz",
            "--to",
            "parquet",
            "out/parquet",
        ])
        .status(2);
    one_error_line(&r.stderr);
    assert!(!s.path("out").exists(), "{}", r.stderr);

    // A good run: the partition is in place, nothing temporary beside it, and it bills the same.
    std::fs::create_dir(s.path("empty")).unwrap();
    s.run(&["convert", "oct.jsonl", "--to", "parquet", "empty"])
        .success();
    assert!(s.path("empty/month=2026-10/part-00000.parquet").is_file());
    let left: Vec<String> = std::fs::read_dir(s.path(""))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".gwcost-"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    let v = s
        .run(&["analyze", "empty", "--format", "json"])
        .success()
        .json();
    assert_eq!(v["total"]["http_api"]["requests"], 31);
    // Into a folder that is not empty: refused before anything is read.
    s.run(&["convert", "oct.jsonl", "--to", "parquet", "empty"])
        .status(2)
        .stderr_has("not empty");
}

/// An error listing several things (each input nothing was understood in) is still one line.
#[test]
fn a_multi_line_error_is_said_on_one_line() {
    let s = Scratch::new();
    let events = r#"{"events":[{"logStreamName":"s","timestamp":1790856000000,"message":"hello world","ingestionTime":1,"eventId":"1"}]}"#;
    s.write("a/events.json", events.as_bytes());
    s.write("b/events.json", events.as_bytes());
    let r = s
        .run(&["analyze", "a", "b"])
        .status(2)
        .stderr_has("access log: a/events.json: looks like")
        .stderr_has("; b/events.json: looks like");
    one_error_line(&r.stderr);
}

/// `convert` refused CSV and Parquet though its help offered them; now it reads every input
/// `analyze` reads, and the converted Parquet bills exactly like the input.
#[test]
fn convert_reads_csv_and_parquet_like_analyze() {
    let s = Scratch::new();
    let mut csv = String::from(
        "requestId,requestTimeEpoch,eventType,stage,routeKey,status,requestLength,responseLength\n",
    );
    for i in 0..31 {
        // Day 13 returns 1.5 MB: 3 HTTP units, so the bill is not just a count of rows.
        let bytes = if i == 12 { 1_572_864 } else { 100 };
        csv.push_str(&format!(
            "c{i},{},REQUEST,prod,GET /items,200,0,{bytes}\n",
            OCT_1 + i * DAY_MS
        ));
    }
    s.write("oct.csv", csv.as_bytes());
    let total = |path: &str| {
        s.run(&["analyze", path, "--format", "json"])
            .success()
            .json()["total"]
            .clone()
    };
    let expected = total("oct.csv");
    assert_eq!(expected["http_api"]["requests"], 31);
    assert_eq!(expected["http_api"]["billed_units"], 33);
    s.run(&["convert", "oct.csv", "--to", "parquet", "from-csv"])
        .success()
        .stderr_has("wrote 31 rows");
    assert_eq!(total("from-csv"), expected);
    // Parquet in (the files just written), Parquet out: the same rows, the same bill.
    s.run(&["convert", "from-csv", "--to", "parquet", "from-parquet"])
        .success()
        .stderr_has("wrote 31 rows");
    assert_eq!(total("from-parquet"), expected);
    // A bad row is left out and counted, as analyze does.
    s.write(
        "bad.csv",
        format!("{csv}c99,yesterday,REQUEST,prod,GET /items,200,0,0\n").as_bytes(),
    );
    s.run(&["convert", "bad.csv", "--to", "parquet", "from-bad"])
        .success()
        .stderr_has("bad.csv:33:")
        .stderr_has("wrote 31 rows");
}
