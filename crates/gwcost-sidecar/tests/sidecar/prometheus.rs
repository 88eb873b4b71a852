//! A real Prometheus (Debian's `prometheus`, on 127.0.0.1, its own port and temp directory)
//! scrapes a running sidecar every second and evaluates `examples/prometheus-rules.yml`; the
//! rules' series and alerts and every query of `examples/grafana-dashboard.json` are read back
//! through Prometheus' HTTP API and checked against hand-computed values.
//! Without `prometheus` on PATH the test says SKIPPED, or fails under CI (`.ci/run` installs it).

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use http::StatusCode;

use crate::util::*;

const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples");

/// A Prometheus server, killed on drop.
struct Prometheus {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Prometheus {
    /// Starts Prometheus scraping `target` (the sidecar's admin listener) with `rules`.
    fn start(dir: &Path, target: SocketAddr, rules: &str) -> Option<Self> {
        if Command::new("prometheus")
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_err()
        {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but prometheus is missing (.ci/run installs Debian's prometheus)"
            );
            eprintln!("SKIPPED: prometheus is not available");
            return None;
        }
        std::fs::write(dir.join("rules.yml"), rules).unwrap();
        std::fs::write(
            dir.join("prometheus.yml"),
            format!(
                "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
                 rule_files: [rules.yml]\n\
                 scrape_configs:\n  - job_name: gwcost\n    static_configs:\n      - targets: ['{target}']\n"
            ),
        )
        .unwrap();
        // A free port: bound by the OS, released, then taken by Prometheus.
        let addr = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let child = Command::new("prometheus")
            .arg(format!(
                "--config.file={}",
                dir.join("prometheus.yml").display()
            ))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("data").display()
            ))
            .arg(format!("--web.listen-address={addr}"))
            .arg("--log.level=warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        Some(Self { child, addr })
    }

    /// An instant query's `data.result`, or `None` while Prometheus is not answering.
    async fn query(&self, promql: &str) -> Option<Vec<serde_json::Value>> {
        let got = tokio::time::timeout(
            Duration::from_secs(5),
            try_get(
                self.addr,
                &format!("/api/v1/query?query={}", encode(promql)),
            ),
        )
        .await
        .ok()??;
        assert_eq!(
            got.status,
            StatusCode::OK,
            "{promql}: {}",
            String::from_utf8_lossy(&got.body)
        );
        let v: serde_json::Value = serde_json::from_slice(&got.body).unwrap();
        assert_eq!(v["status"], "success", "{promql}: {v}");
        Some(v["data"]["result"].as_array().unwrap().clone())
    }

    /// Polls `promql` (at most 60 s) until `done` holds for its result; returns the result.
    async fn wait_for(
        &self,
        promql: &str,
        done: impl Fn(&[serde_json::Value]) -> bool,
    ) -> Vec<serde_json::Value> {
        let end = Instant::now() + Duration::from_secs(60);
        let mut last = None;
        while Instant::now() < end {
            if let Some(r) = self.query(promql).await {
                if done(&r) {
                    return r;
                }
                last = Some(r);
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        panic!("{promql}: not as expected within 60 s; last result {last:?}");
    }
}

/// A GET that returns `None` when nothing answers yet (Prometheus starting).
async fn try_get(addr: SocketAddr, path: &str) -> Option<Got> {
    tokio::net::TcpStream::connect(addr).await.ok()?;
    Some(get(addr, path).await)
}

/// Percent-encodes a query parameter.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A sample's value as a number (Prometheus sends `[time, "value"]`).
fn value(sample: &serde_json::Value) -> f64 {
    sample["value"][1].as_str().unwrap().parse().unwrap()
}

fn by_label<'a>(r: &'a [serde_json::Value], label: &str, v: &str) -> Option<&'a serde_json::Value> {
    r.iter().find(|s| s["metric"][label] == v)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1e-12)
}

/// The month's cost, projection, throttling and dropped-line rules and the dashboard's queries,
/// over a sidecar that served 2 requests (billed: $1.00 and $3.50 per million in us-east-1,
/// AWS's published HTTP and REST API prices), throttled 4 (not billed) and could not write its
/// log (`/dev/full`: every line dropped).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_prometheus_evaluates_the_rules_and_dashboard_queries() {
    let upstream = Upstream::start().await;
    let dir = tempfile::tempdir().unwrap();
    let prom_dir = dir.path().join("prometheus");
    std::fs::create_dir(&prom_dir).unwrap();
    let sc = Sidecar::start_logging_to(
        dir,
        "/dev/full".into(),
        "[throttle]\nrate_limit = 0.001\nburst = 2\n",
        &["--upstream", &upstream.url()],
    );
    // The shipped rules with a budget this small traffic passes ($0.000001 as an HTTP API).
    let rules = std::fs::read_to_string(format!("{EXAMPLES}/prometheus-rules.yml")).unwrap();
    let budget = "label_replace(vector(500), \"front_door\", \"http_api\", \"\", \"\")";
    assert!(rules.contains(budget), "the budget line changed");
    let rules = rules.replace(budget, &budget.replace("vector(500)", "vector(0.000001)"));
    let Some(prom) = Prometheus::start(&prom_dir, sc.admin, &rules) else {
        return;
    };
    // Counters must be scraped at zero first, or increase() and rate() see no change.
    prom.wait_for("up{job=\"gwcost\"}", |r| {
        r.len() == 1 && value(&r[0]) == 1.0
    })
    .await;
    prom.wait_for(
        "count_over_time(gwcost_requests_throttled_total[1m])",
        |r| r.first().is_some_and(|s| value(s) >= 2.0),
    )
    .await;

    let mut statuses = Vec::new();
    for i in 0..6 {
        statuses.push(get(sc.addr, &format!("/fixed/{}", 1000 + i)).await.status);
    }
    let ok = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    let throttled = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!((ok, throttled), (2, 4), "{statuses:?}");

    // The sidecar's own month cost, as scraped: 2 x $1.00/M and 2 x $3.50/M.
    let cost = prom
        .wait_for("gwcost_month_cost_usd", |r| {
            by_label(r, "api", "http").is_some_and(|s| value(s) > 0.0)
        })
        .await;
    let api = |name: &str| value(by_label(&cost, "api", name).unwrap());
    assert!(close(api("http"), 2.0 / 1e6), "{cost:?}");
    assert!(close(api("rest"), 7.0 / 1e6), "{cost:?}");
    assert_eq!(api("websocket"), 0.0);
    let dto = api("data_transfer_out");

    // The recording rules: the front doors' month cost.
    let month = prom
        .wait_for("gwcost:month_cost_usd", |r| {
            by_label(r, "front_door", "http_api").is_some_and(|s| value(s) > 0.0)
        })
        .await;
    let door =
        |r: &[serde_json::Value], name: &str| value(by_label(r, "front_door", name).unwrap());
    assert!(
        close(door(&month, "http_api"), 2.0 / 1e6 + dto),
        "{month:?}"
    );
    assert!(
        close(door(&month, "rest_api"), 7.0 / 1e6 + dto),
        "{month:?}"
    );

    // Seconds left in this UTC month, from the clock here (minute resolution, as the rule).
    let left = prom
        .wait_for("gwcost:month_seconds_left", |r| r.len() == 1)
        .await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let secs = value(&left[0]) as i64;
    let end = now + secs;
    // The month's end is a midnight on day 1 (UTC) 28..31 days after the month's start.
    let (y, m) = gwcost_log::utc_month(now * 1000);
    let (y2, m2) = gwcost_log::utc_month((end + 120) * 1000);
    assert_eq!(
        (y2 * 12 + i64::from(m2)),
        y * 12 + i64::from(m) + 1,
        "{secs} s left"
    );
    assert!(end.rem_euclid(86_400) < 120 || end.rem_euclid(86_400) > 86_400 - 120);

    // Projected past the budget (pending: the rule waits 30 min), over budget now (firing),
    // lines dropped (firing), throttling (firing).
    let projected = prom
        .wait_for("gwcost:month_projected_cost_usd", |r| {
            by_label(r, "front_door", "http_api").is_some_and(|s| value(s) > 2.0 / 1e6 + dto)
        })
        .await;
    assert!(door(&projected, "rest_api") > door(&month, "rest_api"));
    for (alert, state) in [
        ("GwcostMonthCostOverBudget", "firing"),
        ("GwcostMonthCostProjectedOverBudget", "pending"),
        ("GwcostLogLinesDropped", "firing"),
        ("GwcostThrottling", "firing"),
    ] {
        let r = prom
            .wait_for(&format!("ALERTS{{alertname=\"{alert}\"}}"), |r| {
                r.iter().any(|s| s["metric"]["alertstate"] == state)
            })
            .await;
        if alert.contains("Cost") {
            // Only the front door with a budget.
            assert!(
                r.iter().all(|s| s["metric"]["front_door"] == "http_api"),
                "{r:?}"
            );
        }
    }
    let dropped = prom
        .wait_for("increase(gwcost_log_lines_dropped_total[5m])", |r| {
            r.first().is_some_and(|s| value(s) > 0.0)
        })
        .await;
    assert_eq!(dropped.len(), 1);

    // Every dashboard query runs and returns series over this sidecar.
    let dash: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{EXAMPLES}/grafana-dashboard.json")).unwrap(),
    )
    .unwrap();
    let mut checked = 0;
    for panel in dash["panels"].as_array().unwrap() {
        for t in panel["targets"].as_array().unwrap() {
            let expr = t["expr"].as_str().unwrap();
            let r = prom.wait_for(expr, |r| !r.is_empty()).await;
            if expr == "sum by (api) (gwcost_month_cost_usd)" {
                assert!(close(
                    value(by_label(&r, "api", "http").unwrap()),
                    2.0 / 1e6
                ));
            }
            if expr.starts_with("sum(rate(gwcost_requests_throttled_total") {
                assert!(value(&r[0]) > 0.0, "{expr}: {r:?}");
            }
            checked += 1;
        }
    }
    assert!(checked >= 8, "{checked} dashboard queries");
}
