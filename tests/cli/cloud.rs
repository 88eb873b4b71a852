//! `s3://` and `cloudwatch://` inputs against a local AWS endpoint: `moto_server` (PyPI
//! `moto[server]`) on 127.0.0.1, filled with boto3 (AWS's own Python SDK), read by the real
//! `gwcost` binary through the AWS SDK for Rust. What is read from the bucket or the log group
//! must bill exactly like the same files or lines read locally.
//!
//! The log group and the export/Firehose tests also feed gwcost AWS's containers (a CloudWatch
//! Logs export, a Firehose delivery, `filter-log-events` JSON pages), read by content.
//!
//! Needs `python3` with `moto[server]` and `boto3`; without them each test says `SKIPPED` and
//! passes, except under CI (`CI` set), where `.ci/run` installs them and their absence fails.

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use flate2::Compression;
use flate2::write::GzEncoder;
use gwcost_corpus::api_gateway::{http_api_json_line, websocket_json_line};
use gwcost_corpus::{CorpusSpec, generate};
use gwcost_log::{EventType, LogRecord, epoch_ms_of_date, utc_date};
use serde_json::Value;

use crate::util::{Run, Scratch, python, python_peer};

/// A distinctive secret key: it must never show up in anything gwcost prints.
const SECRET: &str = "gwcostTestSecretKeyNeverPrinted0123456789";

/// A `moto_server` on a free port of 127.0.0.1, stopped when dropped.
struct Moto {
    child: Child,
    url: String,
}

impl Moto {
    /// Starts moto, or says SKIPPED (fails under CI) when moto or boto3 is missing.
    fn start() -> Option<Self> {
        if !python_peer(
            "import moto.server, boto3",
            "moto[server] and boto3 (python3 -m pip install 'moto[server]' boto3)",
        ) {
            return None;
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("python3")
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let moto = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto_server did not start");
            std::thread::sleep(Duration::from_millis(200));
        }
        Some(moto)
    }

    /// The environment every AWS SDK reads: a local endpoint, a region and made-up keys.
    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.url.clone()),
            ("AWS_REGION", "us-east-1".to_owned()),
            ("AWS_ACCESS_KEY_ID", "AKIAGWCOSTTEST".to_owned()),
            ("AWS_SECRET_ACCESS_KEY", SECRET.to_owned()),
        ]
    }

    /// Runs a boto3 script against moto with `request` (JSON) on stdin.
    fn boto3(&self, script: &str, request: &Value) {
        let mut env = self.env();
        // boto3 reads its region from AWS_DEFAULT_REGION (the Rust SDK from AWS_REGION).
        env.push(("AWS_DEFAULT_REGION", "us-east-1".to_owned()));
        python(script, &request.to_string(), &env);
    }

    /// Creates `bucket` and puts each local file under its key.
    fn put_objects(&self, bucket: &str, objects: &[(String, PathBuf)]) {
        const SCRIPT: &str = r#"
import boto3, json, sys
req = json.load(sys.stdin)
s3 = boto3.client("s3")
s3.create_bucket(Bucket=req["bucket"])
for key, path in req["objects"]:
    with open(path, "rb") as f:
        s3.put_object(Bucket=req["bucket"], Key=key, Body=f.read())
"#;
        let objects: Vec<(String, String)> = objects
            .iter()
            .map(|(k, p)| (k.clone(), p.display().to_string()))
            .collect();
        self.boto3(
            SCRIPT,
            &serde_json::json!({"bucket": bucket, "objects": objects}),
        );
    }

    /// Creates `group` and puts `(stream, [(timestamp_ms, message)])` events, in time order.
    fn put_log_events(&self, group: &str, streams: &[(String, Vec<(i64, String)>)]) {
        const SCRIPT: &str = r#"
import boto3, json, sys
req = json.load(sys.stdin)
logs = boto3.client("logs")
logs.create_log_group(logGroupName=req["group"])
for stream, events in req["streams"]:
    logs.create_log_stream(logGroupName=req["group"], logStreamName=stream)
    events = sorted(events, key=lambda e: e[0])
    for i in range(0, len(events), 5000):
        batch = [{"timestamp": t, "message": m} for t, m in events[i:i + 5000]]
        r = logs.put_log_events(logGroupName=req["group"], logStreamName=stream, logEvents=batch)
        assert not r.get("rejectedLogEventsInfo"), r["rejectedLogEventsInfo"]
"#;
        self.boto3(
            SCRIPT,
            &serde_json::json!({"group": group, "streams": streams}),
        );
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the real binary in `s`'s directory with `env` added and no AWS settings inherited
/// (HOME is the scratch directory, so no `~/.aws` of the machine is read). The instance
/// metadata service is turned off: a run without credentials must fail on the spot, not send
/// the SDK's last-resort request to 169.254.169.254.
fn run_env(s: &Scratch, args: &[&str], env: &[(&str, String)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gwcost"));
    for (k, _) in std::env::vars() {
        if k.starts_with("AWS_") {
            cmd.env_remove(k);
        }
    }
    let out = cmd
        .args(args)
        .current_dir(s.path(""))
        .env("HOME", s.path(""))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let run = Run {
        command: format!("gwcost {}", args.join(" ")),
        dir: s.path(""),
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(
        !run.stdout.contains(SECRET) && !run.stderr.contains(SECRET),
        "the secret key was printed:\n{}\n{}",
        run.stdout,
        run.stderr
    );
    run
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

/// Every file under `dir`, as `(path relative to dir with /, path)`, sorted.
fn files_under(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().display().to_string();
                out.push((rel, p));
            }
        }
    }
    out.sort();
    out
}

/// The local logs of the S3 tests: `sample-logs/` as shipped (schema v1 plain and gzipped, API
/// Gateway HTTP and WebSocket JSON) plus a generated corpus cut into 40 objects, every third
/// gzipped and every fifth gzipped as two members, so several objects are in flight at once.
fn bucket_files(s: &Scratch) -> PathBuf {
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sample-logs");
    for (rel, p) in files_under(&samples) {
        s.write(&format!("local/{rel}"), &std::fs::read(p).unwrap());
    }
    let mut raw = Vec::new();
    generate(
        &CorpusSpec {
            events: 8_000,
            seed: 41,
            ..CorpusSpec::default()
        },
        &mut raw,
    )
    .unwrap();
    let lines: Vec<&[u8]> = raw.split_inclusive(|&b| b == b'\n').collect();
    for (i, part) in lines.chunks(lines.len().div_ceil(40)).enumerate() {
        let text = part.concat();
        if i % 5 == 0 {
            let (a, b) = text.split_at(text.len() / 2);
            let mut two = gzip(a);
            two.extend(gzip(b));
            s.write(&format!("local/parts/part-{i:03}.jsonl.gz"), &two);
        } else if i % 3 == 0 {
            s.write(&format!("local/parts/part-{i:03}.jsonl.gz"), &gzip(&text));
        } else {
            s.write(&format!("local/parts/part-{i:03}.jsonl"), &text);
        }
    }
    s.path("local")
}

/// `analyze s3://bucket/prefix/` gives the JSON of `analyze` on the same files on disk: every
/// month, every count and cost, the inputs summary; and so does `compare`. Also with
/// `--by route` and `--since`/`--until`. stderr says how many objects were read.
#[test]
fn s3_prefix_bills_like_the_same_files_read_locally() {
    let Some(moto) = Moto::start() else { return };
    let s = Scratch::new();
    let local = bucket_files(&s);
    let mut objects: Vec<(String, PathBuf)> = files_under(&local)
        .into_iter()
        .map(|(rel, p)| (format!("api-logs/{rel}"), p))
        .collect();
    let n_logs = objects.len();
    // What else a real prefix holds: a folder placeholder, a CloudWatch export's permission
    // check object, and a neighbouring prefix that must not be read.
    let empty = s.write("empty", b"");
    let marker = s.write("marker", b"Permission Check Successful");
    objects.push(("api-logs/2026/".to_owned(), empty));
    objects.push(("api-logs/aws-logs-write-test".to_owned(), marker.clone()));
    objects.push(("api-logs-old/x.jsonl".to_owned(), marker));
    moto.put_objects("gw-logs", &objects);
    let env = moto.env();
    let local = local.display().to_string();
    for extra in [
        &[][..],
        &["--by", "route"][..],
        &["--since", "2026-09-15", "--until", "2026-10-10"][..],
        &["--free-tier"][..],
    ] {
        fn with<'a>(input: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
            let mut a = vec!["analyze", input, "--format", "json"];
            a.extend_from_slice(extra);
            a
        }
        let want = run_env(&s, &with(&local, extra), &env).success().json();
        let got = run_env(&s, &with("s3://gw-logs/api-logs/", extra), &env).success();
        assert!(
            got.stderr.contains(&format!("read {n_logs} objects (")),
            "{}",
            got.stderr
        );
        assert!(got.stderr.contains("from s3://gw-logs/api-logs/"));
        assert_eq!(got.json(), want, "{extra:?}");
        assert!(want["inputs"]["lines"].as_u64() > Some(20_000));
    }
    let want = run_env(&s, &["compare", &local, "--format", "json"], &env)
        .success()
        .json();
    let got = run_env(
        &s,
        &[
            "compare",
            "s3://gw-logs/api-logs/",
            "--format",
            "json",
            "-q",
        ],
        &env,
    )
    .success();
    assert!(got.stderr.is_empty(), "--quiet: {}", got.stderr);
    assert_eq!(got.json(), want);
    // One object by its full key, mixed with a local file.
    let one = run_env(
        &s,
        &[
            "analyze",
            "s3://gw-logs/api-logs/sidecar/access-2026-10.jsonl.gz",
            &format!("{local}/sidecar/access-2026-09.jsonl"),
            "--format",
            "json",
        ],
        &env,
    )
    .success()
    .json();
    let both = run_env(
        &s,
        &["analyze", &format!("{local}/sidecar"), "--format", "json"],
        &env,
    )
    .success()
    .json();
    assert_eq!(one["months"], both["months"]);
}

/// `convert s3://…` writes the same Parquet rows as converting the files on disk, and Parquet
/// objects in S3 bill like the same files on disk.
#[test]
fn convert_reads_s3_like_local_files() {
    let Some(moto) = Moto::start() else { return };
    let s = Scratch::new();
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sample-logs/sidecar");
    let objects: Vec<(String, PathBuf)> = files_under(&samples)
        .into_iter()
        .map(|(rel, p)| (format!("sidecar/{rel}"), p))
        .collect();
    moto.put_objects("conv", &objects);
    let env = moto.env();
    let samples = samples.canonicalize().unwrap().display().to_string();
    run_env(
        &s,
        &["convert", &samples, "--to", "parquet", "out-local"],
        &env,
    )
    .success();
    run_env(
        &s,
        &["convert", "s3://conv/sidecar/", "--to", "parquet", "out-s3"],
        &env,
    )
    .success();
    let a = run_env(&s, &["analyze", "out-local", "--format", "json"], &env)
        .success()
        .json();
    let b = run_env(&s, &["analyze", "out-s3", "--format", "json"], &env)
        .success()
        .json();
    assert_eq!(a["months"], b["months"]);
    assert_eq!(a["inputs"]["lines"], b["inputs"]["lines"]);
    // And the Parquet parts, uploaded with their month= folders, bill like them on disk.
    let parts: Vec<(String, PathBuf)> = files_under(&s.path("out-local"))
        .into_iter()
        .map(|(rel, p)| (format!("parquet/{rel}"), p))
        .collect();
    assert_eq!(parts.len(), 2);
    moto.put_objects("conv-parquet", &parts);
    let c = run_env(
        &s,
        &["analyze", "s3://conv-parquet/parquet/", "--format", "json"],
        &env,
    )
    .success()
    .json();
    assert_eq!(c, a);
}

/// What AWS says reaches the user, named, with exit status 2; nothing secret is printed
/// (`run_env` checks every run for the secret key).
#[test]
fn aws_errors_name_the_bucket_or_log_group_and_exit_2() {
    let Some(moto) = Moto::start() else { return };
    let s = Scratch::new();
    let env = moto.env();
    run_env(&s, &["analyze", "s3://no-such-bucket/logs/"], &env)
        .status(2)
        .stderr_has("s3://no-such-bucket/logs/")
        .stderr_has("NoSuchBucket");
    run_env(
        &s,
        &["analyze", "cloudwatch:///aws/apigateway/missing"],
        &env,
    )
    .status(2)
    .stderr_has("cloudwatch:///aws/apigateway/missing")
    .stderr_has("ResourceNotFoundException");
    moto.put_objects("empty-bucket", &[]);
    run_env(&s, &["analyze", "s3://empty-bucket/nothing/"], &env)
        .status(2)
        .stderr_has("s3://empty-bucket/nothing/: no objects under this prefix");
    run_env(&s, &["analyze", "s3:///x"], &env)
        .status(2)
        .stderr_has("no bucket");
    // No region anywhere: said, not guessed.
    let no_region: Vec<(&str, String)> = env
        .iter()
        .filter(|(k, _)| *k != "AWS_REGION")
        .cloned()
        .collect();
    run_env(&s, &["analyze", "s3://gw/x/"], &no_region)
        .status(2)
        .stderr_has("no AWS region")
        .stderr_has("--region");
    // A local endpoint that is not listening: the connection error, named; exit 1 (AWS could
    // not be reached: retrying may help, docs/exit-codes.md).
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut dead = env.clone();
    dead[0].1 = format!("http://127.0.0.1:{port}");
    run_env(&s, &["analyze", "s3://gw/x/", "-q"], &dead)
        .status(1)
        .stderr_has("s3://gw/x/")
        .stderr_has("could not reach AWS");
}

/// Credentials and region from a `~/.aws` profile chosen with `--profile`, and `--region`
/// over the environment's: the standard chain, as every AWS tool reads it.
#[test]
fn profile_and_region_come_from_the_standard_chain() {
    let Some(moto) = Moto::start() else { return };
    let s = Scratch::new();
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sample-logs/sidecar");
    let file = samples.join("access-2026-09.jsonl");
    moto.put_objects(
        "prof",
        &[("a/access-2026-09.jsonl".to_owned(), file.clone())],
    );
    s.write(
        ".aws/config",
        b"[profile gw-test]\nregion = eu-west-1\n\n[default]\nregion = us-east-1\n",
    );
    s.write(
        ".aws/credentials",
        format!("[gw-test]\naws_access_key_id = AKIAPROFILE\naws_secret_access_key = {SECRET}\n")
            .as_bytes(),
    );
    let endpoint = vec![("AWS_ENDPOINT_URL", moto.url.clone())];
    let want = run_env(
        &s,
        &["analyze", &file.display().to_string(), "--format", "json"],
        &endpoint,
    )
    .success()
    .json();
    let got = run_env(
        &s,
        &[
            "analyze",
            "s3://prof/a/",
            "--profile",
            "gw-test",
            "--format",
            "json",
        ],
        &endpoint,
    )
    .success()
    .json();
    assert_eq!(got["months"], want["months"]);
    // The same through AWS_PROFILE, with --region given. One --region names both the AWS
    // clients' region and the price book's: a region without an embedded book needs
    // --price-book (here us-east-1's, so the bill compares), and says so without it.
    let mut env = endpoint.clone();
    env.push(("AWS_PROFILE", "gw-test".to_owned()));
    let book = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../gwcost-pricing/price-books/aws-us-east-1.toml")
        .display()
        .to_string();
    let got = run_env(
        &s,
        &[
            "analyze",
            "s3://prof/a/",
            "--region",
            "mx-central-1",
            "--price-book",
            &book,
            "--format",
            "json",
        ],
        &env,
    )
    .success()
    .json();
    assert_eq!(got["months"], want["months"]);
    run_env(
        &s,
        &["analyze", "s3://prof/a/", "--region", "mx-central-1", "-q"],
        &env,
    )
    .status(2)
    .stderr_has("mx-central-1")
    .stderr_has("prices import");
    // A profile that does not exist has no credentials: an error, exit 2.
    run_env(
        &s,
        &["analyze", "s3://prof/a/", "--profile", "nobody", "-q"],
        &endpoint,
    )
    .status(2)
    .stderr_has("s3://prof/a/");
}

/// API Gateway access-log lines (HTTP API and WebSocket JSON, AWS's formats) dated within the
/// last 12 days (CloudWatch Logs, and moto, refuse events older than 14 days), with their
/// requestTime as CloudWatch timestamp, split over two log streams.
fn recent_api_gateway_events() -> Vec<(String, Vec<(i64, String)>)> {
    let now = i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap();
    let (y, m, d) = utc_date(now - 12 * 86_400_000);
    let start = epoch_ms_of_date(y, m, d);
    let mut streams = Vec::new();
    for (name, seed, ws) in [("http-stream-1", 51, 0), ("ws-stream-1", 52, 100)] {
        let mut raw = Vec::new();
        generate(
            &CorpusSpec {
                events: 3_000,
                seed,
                start_ms: start,
                months: 2,
                ws_fraction_percent: ws,
                ..CorpusSpec::default()
            },
            &mut raw,
        )
        .unwrap();
        let mut events = Vec::new();
        for line in raw.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            let rec = LogRecord::from_json(line).unwrap();
            let t = rec.request_time_epoch.unwrap();
            // Two months from 12 days ago reach into the future: keep the past.
            if t > now - 60_000 {
                continue;
            }
            let message = if rec.event() == EventType::Request {
                http_api_json_line(&rec)
            } else {
                websocket_json_line(&rec)
            };
            events.push((t, message));
        }
        streams.push((name.to_owned(), events));
    }
    streams
}

/// `cloudwatch://GROUP` bills like the same messages as local lines (`analyze` and
/// `compare`), `?stream=` reads only the matching streams, and `--since` (pushed down to
/// FilterLogEvents) gives what `--since` gives locally.
#[test]
fn cloudwatch_log_group_bills_like_the_same_lines() {
    let Some(moto) = Moto::start() else { return };
    let s = Scratch::new();
    let streams = recent_api_gateway_events();
    let group = "/aws/apigateway/gw-test";
    moto.put_log_events(group, &streams);
    let env = moto.env();
    let mut all = String::new();
    for (name, events) in &streams {
        let text: String = events.iter().map(|(_, m)| format!("{m}\n")).collect();
        s.write(&format!("local/{name}.log"), text.as_bytes());
        all.push_str(&text);
    }
    let n_events: usize = streams.iter().map(|(_, e)| e.len()).sum();
    let url = format!("cloudwatch://{group}");
    let local = s.path("local").display().to_string();
    let want = run_env(&s, &["analyze", &local, "--format", "json"], &env)
        .success()
        .json();
    let got = run_env(&s, &["analyze", &url, "--format", "json"], &env).success();
    assert!(
        got.stderr.contains(&format!("read {n_events} events in ")),
        "{}",
        got.stderr
    );
    assert_eq!(got.json()["months"], want["months"]);
    assert_eq!(got.json()["inputs"]["malformed_lines"], 0);
    let want = run_env(&s, &["compare", &local, "--format", "json"], &env)
        .success()
        .json();
    let got = run_env(&s, &["compare", &url, "--format", "json", "-q"], &env)
        .success()
        .json();
    assert_eq!(got["months"], want["months"]);
    // One stream by its prefix.
    let http_only = s.path("local/http-stream-1.log").display().to_string();
    let want = run_env(&s, &["analyze", &http_only, "--format", "json"], &env)
        .success()
        .json();
    let got = run_env(
        &s,
        &[
            "analyze",
            &format!("{url}?stream=http-"),
            "--format",
            "json",
        ],
        &env,
    )
    .success()
    .json();
    assert_eq!(got["months"], want["months"]);
    // --since five days ago.
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let (y, m, d) = utc_date(i64::try_from(now).unwrap() - 5 * 86_400_000);
    let since = format!("{y:04}-{m:02}-{d:02}");
    let want = run_env(
        &s,
        &["analyze", &local, "--since", &since, "--format", "json"],
        &env,
    )
    .success()
    .json();
    let got = run_env(
        &s,
        &["analyze", &url, "--since", &since, "--format", "json"],
        &env,
    )
    .success()
    .json();
    assert_eq!(got["months"], want["months"]);
    assert!(got["months"].as_array().is_some_and(|m| !m.is_empty()));
}

/// A bucket holding what AWS delivers: a CloudWatch Logs export (`aws logs
/// create-export-task`: `<prefix>/<task-id>/<stream>/000000.gz`, lines `<ISO time>Z <message>`,
/// plus its `aws-logs-write-test` object) and a Firehose delivery of a subscription (one
/// multi-member gzip object of DATA_MESSAGE envelopes, and a CONTROL_MESSAGE). Each bills like
/// the same messages as local lines.
#[test]
fn s3_export_and_firehose_objects_bill_like_the_lines() {
    let Some(moto) = Moto::start() else { return };
    let s = Scratch::new();
    let streams = recent_api_gateway_events();
    let mut all = String::new();
    let mut export = Vec::new();
    let mut firehose = Vec::new();
    firehose.extend(gzip(
        br#"{"messageType":"CONTROL_MESSAGE","owner":"CloudwatchLogs","logGroup":"","logStream":"","subscriptionFilters":[],"logEvents":[{"id":"","timestamp":1,"message":"CWL CONTROL MESSAGE: Checking health of destination Firehose."}]}"#,
    ));
    for (name, events) in &streams {
        let mut lines = String::new();
        for (t, m) in events {
            all.push_str(m);
            all.push('\n');
            let secs = t / 1000;
            let (y, mo, d) = utc_date(*t);
            let sod = secs.rem_euclid(86_400);
            lines.push_str(&format!(
                "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z {m}\n",
                sod / 3600,
                sod / 60 % 60,
                sod % 60,
                t % 1000
            ));
        }
        export.push((
            format!("exports/0a1b2c3d-task/{name}/000000.gz"),
            s.write(&format!("export-{name}.gz"), &gzip(lines.as_bytes())),
        ));
        for (k, chunk) in events.chunks(500).enumerate() {
            let log_events: Vec<Value> = chunk
                .iter()
                .enumerate()
                .map(|(i, (t, m))| {
                    serde_json::json!({"id": format!("{t}{k:04}{i:04}"), "timestamp": t, "message": m})
                })
                .collect();
            let envelope = serde_json::json!({
                "messageType": "DATA_MESSAGE",
                "owner": "123456789012",
                "logGroup": "/aws/apigateway/gw-test",
                "logStream": name,
                "subscriptionFilters": ["to-firehose"],
                "logEvents": log_events,
            });
            firehose.extend(gzip(envelope.to_string().as_bytes()));
        }
    }
    let marker = s.write("marker", b"Permission Check Successful");
    export.push(("exports/aws-logs-write-test".to_owned(), marker));
    let firehose = s.write("firehose-object", &firehose);
    let mut objects = export;
    objects.push((
        "firehose/2026/11/30/23/gw-delivery-1-2026-11-30-23-00-00-0a1b2c3d".to_owned(),
        firehose,
    ));
    moto.put_objects("aws-containers", &objects);
    let env = moto.env();
    s.write("local/all.log", all.as_bytes());
    let want = run_env(&s, &["analyze", "local", "--format", "json"], &env)
        .success()
        .json();
    for url in [
        "s3://aws-containers/exports/",
        "s3://aws-containers/firehose/",
    ] {
        let got = run_env(&s, &["analyze", url, "--format", "json"], &env).success();
        let got = got.json();
        assert_eq!(got["months"], want["months"], "{url}");
        assert_eq!(got["inputs"]["malformed_lines"], 0, "{url}");
    }
}

/// A stand-in CloudWatch Logs endpoint on 127.0.0.1: answers the first call with AWS's
/// ThrottlingException, then two pages of FilterLogEvents (the first with a nextToken), and
/// records every request body.
struct FakeLogs {
    url: String,
    bodies: std::sync::Arc<std::sync::Mutex<Vec<Value>>>,
}

impl FakeLogs {
    fn start(pages: [Value; 2]) -> Self {
        use std::io::{BufRead, BufReader, Read};
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let bodies = std::sync::Arc::new(std::sync::Mutex::new(Vec::<Value>::new()));
        let seen = std::sync::Arc::clone(&bodies);
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { return };
                let seen = std::sync::Arc::clone(&seen);
                let pages = pages.clone();
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(conn.try_clone().unwrap());
                    let mut conn = conn;
                    loop {
                        let mut len = 0usize;
                        let mut line = String::new();
                        loop {
                            line.clear();
                            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                                return;
                            }
                            if line == "\r\n" {
                                break;
                            }
                            let lower = line.to_ascii_lowercase();
                            if let Some(v) = lower.strip_prefix("content-length:") {
                                len = v.trim().parse().unwrap();
                            }
                        }
                        let mut body = vec![0; len];
                        reader.read_exact(&mut body).unwrap();
                        let body: Value = serde_json::from_slice(&body).unwrap();
                        let n = {
                            let mut seen = seen.lock().unwrap();
                            seen.push(body.clone());
                            seen.len()
                        };
                        let (status, extra, text) = if n == 1 {
                            (
                                "400 Bad Request",
                                "x-amzn-ErrorType: ThrottlingException\r\n",
                                r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#
                                    .to_owned(),
                            )
                        } else if body.get("nextToken").is_some() {
                            ("200 OK", "", pages[1].to_string())
                        } else {
                            ("200 OK", "", pages[0].to_string())
                        };
                        let response = format!(
                            "HTTP/1.1 {status}\r\nContent-Type: application/x-amz-json-1.1\r\n\
                             x-amzn-RequestId: fake\r\n{extra}Content-Length: {}\r\n\r\n{text}",
                            text.len()
                        );
                        if conn.write_all(response.as_bytes()).is_err() {
                            return;
                        }
                    }
                });
            }
        });
        Self { url, bodies }
    }
}

/// FilterLogEvents as gwcost calls it: the log group and `?stream=` prefix as given,
/// `--since`/`--until` pushed down as startTime/endTime (widened by an hour each side), a
/// throttled call retried, every page followed by its nextToken, and every event counted.
#[test]
fn cloudwatch_pushes_the_time_range_down_retries_throttling_and_follows_pages() {
    let event = |id: &str, t: i64, rid: &str| {
        serde_json::json!({
            "logStreamName": "prod-1", "timestamp": t, "ingestionTime": t + 500, "eventId": id,
            "message": format!(r#"{{ "requestId":"{rid}", "ip": "192.0.2.1", "requestTime":"-", "requestTimeEpoch":"{t}", "httpMethod":"GET","routeKey":"GET /pets", "status":"200","protocol":"HTTP/1.1", "responseLength":"600000" }}"#),
        })
    };
    let oct_2 = epoch_ms_of_date(2026, 10, 2);
    let fake = FakeLogs::start([
        serde_json::json!({"events": [event("e1", oct_2, "r1")], "nextToken": "page-2", "searchedLogStreams": []}),
        serde_json::json!({"events": [event("e2", oct_2 + 1000, "r2"), event("e3", oct_2 + 2000, "r3")]}),
    ]);
    let s = Scratch::new();
    let env = vec![
        ("AWS_ENDPOINT_URL", fake.url.clone()),
        ("AWS_REGION", "us-east-1".to_owned()),
        ("AWS_ACCESS_KEY_ID", "AKIAGWCOSTTEST".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", SECRET.to_owned()),
    ];
    let run = run_env(
        &s,
        &[
            "analyze",
            "cloudwatch:///aws/apigateway/fake?stream=prod-",
            "--since",
            "2026-10-01",
            "--until",
            "2026-10-31",
        ],
        &env,
    )
    .success();
    assert!(
        run.stderr.contains(
            "read 3 events in 2 pages from cloudwatch:///aws/apigateway/fake?stream=prod-"
        ),
        "{}",
        run.stderr
    );
    let bodies = fake.bodies.lock().unwrap().clone();
    assert_eq!(
        bodies.len(),
        3,
        "throttled call, its retry, the second page: {bodies:?}"
    );
    let hour = 3_600_000;
    for body in &bodies {
        assert_eq!(body["logGroupName"], "/aws/apigateway/fake");
        assert_eq!(body["logStreamNamePrefix"], "prod-");
        assert_eq!(body["startTime"], epoch_ms_of_date(2026, 10, 1) - hour);
        assert_eq!(body["endTime"], epoch_ms_of_date(2026, 11, 1) + hour);
    }
    assert_eq!(bodies[0], bodies[1], "the retry repeats the throttled call");
    assert_eq!(bodies[2]["nextToken"], "page-2");
    assert!(bodies[1].get("nextToken").is_none());
}
