//! `gwcost report`: the self-contained HTML page, the Markdown report with its PNG charts, and
//! the committed report of `sample-logs/` (reports/), which must be what the current code writes.

use std::path::{Path, PathBuf};

use crate::util::Scratch;

const LOG: &str = concat!(
    r#"{"requestId":"r1","requestTimeEpoch":1763193600000,"eventType":"REQUEST","stage":"prod","routeKey":"GET /files","status":200,"requestLength":0,"responseLength":1572864}"#,
    "\n",
    r#"{"requestId":"r2","requestTimeEpoch":1763300000000,"eventType":"REQUEST","stage":"prod","routeKey":"GET /ping","status":200,"requestLength":0,"responseLength":10}"#,
    "\n",
);

#[test]
fn html_report_is_one_self_contained_file() {
    let s = Scratch::new();
    s.write("log.jsonl", LOG.as_bytes());
    s.run(&["report", "log.jsonl", "-o", "out/r.html"])
        .success()
        .stderr_has("wrote out/r.html");
    let html = std::fs::read_to_string(s.path("out/r.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert_eq!(html.matches("<svg").count(), 4, "four inline SVG charts");
    for forbidden in ["<script", "<link", "<img", "src=", "href=", "url("] {
        assert!(!html.contains(forbidden), "the report contains {forbidden}");
    }
    for section in [
        "Monthly cost by API type",
        "Billed units per day",
        "Payload sizes",
        "Cost by route",
        "Input summary",
        "HTTP API 512 KB increments",
    ] {
        assert!(html.contains(section), "no {section:?} in the report");
    }
    // Only the report was written.
    let written: Vec<_> = std::fs::read_dir(s.path("out")).unwrap().collect();
    assert_eq!(written.len(), 1);
}

#[test]
fn markdown_report_writes_its_png_charts_beside_it() {
    let s = Scratch::new();
    s.write("log.jsonl", LOG.as_bytes());
    s.run(&[
        "report",
        "log.jsonl",
        "--format",
        "markdown",
        "-o",
        "docs/cost.md",
    ])
    .success();
    let md = std::fs::read_to_string(s.path("docs/cost.md")).unwrap();
    for chart in ["monthly-cost", "daily-units", "payload-sizes", "route-cost"] {
        let name = format!("cost-{chart}.png");
        assert!(
            md.contains(&format!("]({name})")),
            "{name} not linked:\n{md}"
        );
        let png = std::fs::read(s.path(&format!("docs/{name}"))).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        // IHDR: 900 × 380 pixels.
        assert_eq!(&png[16..24], &[0, 0, 3, 0x84, 0, 0, 1, 0x7c]);
    }
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The committed files of `reports/` that `gwcost report` writes for `sample-logs/`.
const SAMPLE_FILES: [&str; 6] = [
    "sample.html",
    "sample.md",
    "sample-monthly-cost.png",
    "sample-daily-units.png",
    "sample-payload-sizes.png",
    "sample-route-cost.png",
];

/// The sample projected to a production-like volume: ×9,000 takes its ~5,300–5,900 requests a
/// month to ~47–53 M (`reports/sample-at-scale.*`).
const SCALE: &str = "9000";

/// Fails when reports/ is stale (the observed sample and the sample at scale). Regenerate with
/// the commands in reports/README.md.
#[test]
fn committed_sample_report_is_fresh() {
    let s = Scratch::new();
    let logs = repo().join("sample-logs").display().to_string();
    s.run(&["report", &logs, "-o", "sample.html"]).success();
    s.run(&["report", &logs, "--format", "markdown", "-o", "sample.md"])
        .success();
    s.run(&[
        "report",
        &logs,
        "--scale",
        SCALE,
        "-o",
        "sample-at-scale.html",
    ])
    .success();
    s.run(&[
        "report",
        &logs,
        "--scale",
        SCALE,
        "--format",
        "markdown",
        "-o",
        "sample-at-scale.md",
    ])
    .success();
    let mut stale = Vec::new();
    let at_scale = SAMPLE_FILES.map(|n| n.replacen("sample", "sample-at-scale", 1));
    for name in SAMPLE_FILES
        .iter()
        .copied()
        .chain(at_scale.iter().map(String::as_str))
    {
        let fresh = std::fs::read(s.path(name)).unwrap();
        let committed = std::fs::read(repo().join("reports").join(name)).unwrap_or_default();
        if fresh != committed {
            stale.push(name.to_owned());
        }
    }
    assert!(
        stale.is_empty(),
        "reports/ is stale ({stale:?}); regenerate it with the commands in reports/README.md"
    );
}

/// The sample at scale says in dollars what the sample cannot: at ~50 M requests a month the
/// tiers and the 512 KB increments are worth real money. Its projected figures are exactly ×9,000
/// of the observed counts (no rounding: the factor is whole).
#[test]
fn the_sample_at_scale_is_the_observed_sample_times_9000() {
    let s = Scratch::new();
    let logs = repo().join("sample-logs").display().to_string();
    let v = s
        .run(&["compare", &logs, "--scale", SCALE, "--format", "json"])
        .success()
        .json();
    for m in v["months"].as_array().unwrap() {
        let obs = m["observed"]["http_api"]["requests"].as_u64().unwrap();
        let proj = m["http_api"]["requests"].as_u64().unwrap();
        assert_eq!(proj, obs * 9000);
        assert!(
            (40_000_000..60_000_000).contains(&proj),
            "{proj} requests a month"
        );
        let obs_units = m["observed"]["http_api"]["billed_units"].as_u64().unwrap();
        assert_eq!(
            m["http_api"]["billed_units"].as_u64().unwrap(),
            obs_units * 9000
        );
        // Under 300 M units a month the HTTP price is $1.00/M: cost = units / 1,000,000.
        assert_eq!(
            crate::util::usd(&m["http_api"]["cost_usd"]),
            rust_decimal::Decimal::from(obs_units * 9000)
                / rust_decimal::Decimal::from(1_000_000u64)
        );
    }
}

#[test]
fn reports_are_byte_for_byte_reproducible() {
    let s = Scratch::new();
    s.write("log.jsonl", LOG.as_bytes());
    s.run(&["report", "log.jsonl", "-o", "a.html"]).success();
    s.run(&["report", "log.jsonl", "-o", "b.html"]).success();
    assert_eq!(
        std::fs::read(s.path("a.html")).unwrap(),
        std::fs::read(s.path("b.html")).unwrap()
    );
}

/// Opens a fresh report of `sample-logs/` in headless Chromium through
/// scripts/check-report-in-chromium.sh (no console messages, the four charts in the rendered
/// DOM, a screenshot). Chromium is a system package: without it the test says so and passes,
/// except under CI (`CI` set), where `.ci/run` installs it and its absence is a failure.
#[test]
fn html_report_renders_in_headless_chromium() {
    let has_chromium = ["chromium", "chromium-browser"].iter().any(|b| {
        std::process::Command::new("sh")
            .args(["-c", &format!("command -v {b}")])
            .output()
            .is_ok_and(|o| o.status.success())
    });
    if !has_chromium {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but chromium is missing: .ci/run installs it (apt-get install -y chromium)"
        );
        eprintln!("skipped: no chromium on PATH (apt-get install -y chromium)");
        return;
    }
    let s = Scratch::new();
    let logs = repo().join("sample-logs").display().to_string();
    s.run(&["report", &logs, "-o", "sample.html"]).success();
    let out = std::process::Command::new("bash")
        .arg(repo().join("scripts/check-report-in-chromium.sh"))
        .arg(s.path("sample.html"))
        .arg(s.path("shot.png"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "check-report-in-chromium.sh failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let shot = std::fs::read(s.path("shot.png")).unwrap();
    assert_eq!(&shot[..8], b"\x89PNG\r\n\x1a\n");
}

#[test]
fn format_follows_the_file_extension_unless_given() {
    let s = Scratch::new();
    s.write("log.jsonl", LOG.as_bytes());
    s.run(&["report", "log.jsonl", "-o", "r.md"]).success();
    assert!(
        std::fs::read_to_string(s.path("r.md"))
            .unwrap()
            .starts_with("# ")
    );
    assert!(s.path("r-monthly-cost.png").exists());
    s.run(&["report", "log.jsonl", "-o", "r.txt", "--format", "html"])
        .success();
    assert!(
        std::fs::read_to_string(s.path("r.txt"))
            .unwrap()
            .starts_with("<!DOCTYPE html>")
    );
}

/// `--by` (shared with `compare`): the HTML and Markdown reports gain a section per breakdown;
/// without it they have none.
#[test]
fn by_stage_adds_its_section_to_both_reports() {
    let s = Scratch::new();
    s.write("log.jsonl", LOG.as_bytes());
    s.run(&["report", "log.jsonl", "--by", "stage", "-o", "r.html"])
        .success();
    let html = std::fs::read_to_string(s.path("r.html")).unwrap();
    assert!(html.contains("By stage (all months, USD)"), "{html}");
    s.run(&["report", "log.jsonl", "--by", "status", "-o", "r.md"])
        .success();
    let md = std::fs::read_to_string(s.path("r.md")).unwrap();
    assert!(md.contains("### By status (all months, USD)"), "{md}");
    assert!(md.contains("| 200 "), "{md}");
    s.run(&["report", "log.jsonl", "-o", "plain.md"]).success();
    let plain = std::fs::read_to_string(s.path("plain.md")).unwrap();
    assert!(!plain.contains("By stage") && !plain.contains("By status"));
}
