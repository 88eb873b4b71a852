//! Process life: config errors exit 2 on one line, SIGTERM drains in-flight requests and exits 0
//! with every line on disk, SIGHUP reopens the log, and /metrics, /healthz, /ready answer.

use std::time::{Duration, Instant};

use http::StatusCode;

use crate::util::*;

#[test]
fn bad_config_or_flag_exits_2_with_one_line_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("bad.toml");
    let cases: Vec<(String, Vec<String>, &str)> = vec![
        (
            "upstream = \"http://127.0.0.1:1\"\n[limits]\nmax_body_bytes = \"lots\"\n".into(),
            vec![],
            "limits.max_body_bytes",
        ),
        (
            "upstream = \"http://127.0.0.1:1\"\n[[routes]]\nkey = \"FETCH /x\"\n".into(),
            vec![],
            "routes[0].key",
        ),
        (
            "upstream = \"http://127.0.0.1:1\"\nlisten = \"nowhere\"\n".into(),
            vec![],
            "listen",
        ),
        (
            "upstream = \"http://127.0.0.1:1\"\n".into(),
            vec!["--listen".into(), "1.2.3".into()],
            "--listen",
        ),
        ("".into(), vec![], "--upstream"),
        (
            "upstream = \"http://127.0.0.1:1\"\n".into(),
            vec!["--frobnicate".into()],
            "--frobnicate",
        ),
        (
            "upstream = \"http://127.0.0.1:1\"\n[metrics]\nregion = \"mars-north-1\"\n".into(),
            vec![],
            "metrics.region",
        ),
        (
            "upstream = \"http://127.0.0.1:1\"\n[metrics]\nprice_book = \"/nonexistent/book.toml\"\n"
                .into(),
            vec![],
            "metrics.price_book",
        ),
    ];
    for (toml, flags, key) in cases {
        std::fs::write(&cfg, toml).unwrap();
        let mut child = std::process::Command::new(bin())
            .arg("--access-log")
            .arg(dir.path().join("a.log"))
            .arg("--config")
            .arg(&cfg)
            .args(&flags)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Bounded: a config wrongly accepted would start serving; kill it then.
        let end = Instant::now() + Duration::from_secs(10);
        while child.try_wait().unwrap().is_none() && Instant::now() < end {
            std::thread::sleep(Duration::from_millis(10));
        }
        if child.try_wait().unwrap().is_none() {
            let _ = child.kill();
        }
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{key}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{key}: {err}");
        assert!(
            err.starts_with(&format!("gwcost-sidecar: error: {key}")),
            "{key}: {err}"
        );
        if key == "metrics.region" {
            // The sidecar has no --price-book flag: the error names its own setting.
            assert!(
                !err.contains("--price-book") && err.contains("[metrics] price_book"),
                "{err}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_in_flight_requests_and_exits_0() {
    let upstream = Upstream::start().await;
    let mut sc = Sidecar::start(
        "",
        &["--upstream", &upstream.url(), "--drain-grace-secs", "10"],
    );
    // Two quick requests done before, five slow ones in flight at SIGTERM.
    get(sc.addr, "/fixed/10").await;
    get(sc.addr, "/fixed/20").await;
    let addr = sc.addr;
    let inflight: Vec<_> = (0..5)
        .map(|i| {
            tokio::spawn(async move {
                let proto = if i % 2 == 0 { Proto::H1 } else { Proto::H2c };
                send(
                    addr,
                    proto,
                    request("GET", addr, "/slow/1500", proto, full(bytes::Bytes::new())),
                )
                .await
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(upstream.hits(), 7, "all five in flight");
    let t = Instant::now();
    sc.signal("TERM");
    for h in inflight {
        let got = h.await.unwrap();
        assert_eq!(got.status, StatusCode::OK);
        assert_eq!(&got.body[..], b"slow");
    }
    let code = tokio::task::block_in_place(|| sc.wait_exit(Duration::from_secs(15)));
    assert_eq!(code, Some(0), "stderr: {}", sc.stderr());
    assert!(t.elapsed() < Duration::from_secs(8), "{:?}", t.elapsed());
    // New connections are refused once it stopped.
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
    let recs = sc.log();
    assert_eq!(recs.len(), 7, "{recs:#?}");
    let slow: Vec<_> = recs
        .iter()
        .filter(|r| r.path.as_deref() == Some("/slow/1500"))
        .collect();
    assert_eq!(slow.len(), 5);
    assert!(
        slow.iter()
            .all(|r| r.status == Some(200) && r.response_length == Some(4))
    );
    let raw = std::fs::read_to_string(&sc.log_path).unwrap();
    assert!(raw.ends_with('\n'));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reopens_the_log_file_by_name() {
    let upstream = Upstream::start().await;
    let sc = Sidecar::start("", &["--upstream", &upstream.url()]);
    get(sc.addr, "/one").await;
    assert_eq!(sc.wait_log(1).await.len(), 1);
    // What logrotate does: move the file away, then signal.
    let rotated = sc.dir.path().join("access.log.1");
    std::fs::rename(&sc.log_path, &rotated).unwrap();
    get(sc.addr, "/two").await;
    // Still written to the moved file until SIGHUP.
    let end = Instant::now() + Duration::from_secs(10);
    while read_log(&rotated).len() < 2 && Instant::now() < end {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(read_log(&rotated).len(), 2);
    sc.signal("HUP");
    let end = Instant::now() + Duration::from_secs(10);
    while !sc.log_path.exists() && Instant::now() < end {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    get(sc.addr, "/three").await;
    let fresh = sc.wait_log(1).await;
    assert_eq!(fresh.len(), 1);
    assert_eq!(fresh[0].path.as_deref(), Some("/three"));
    assert_eq!(read_log(&rotated).len(), 2);
}

fn metric(text: &str, series: &str) -> String {
    text.lines()
        .find_map(|l| l.strip_prefix(series).and_then(|r| r.strip_prefix(' ')))
        .unwrap_or_else(|| panic!("no {series} in\n{text}"))
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_metrics_health_and_ready() {
    let upstream = Upstream::start().await;
    let config = format!(
        "upstream = \"{}\"\n[[routes]]\nkey = \"GET /fixed/{{n}}\"\n[[routes]]\nkey = \"$default\"\n",
        upstream.url()
    );
    let sc = Sidecar::start(&config, &[]);
    // Two responses of 600000 bytes: 2 HTTP API units each (512 KB increments).
    for _ in 0..2 {
        assert_eq!(get(sc.addr, "/fixed/600000").await.body.len(), 600000);
    }
    get(sc.addr, "/other").await;
    let _ws_free = sc.wait_log(3).await;
    let m = get(sc.admin, "/metrics").await;
    assert_eq!(m.status, StatusCode::OK);
    let text = String::from_utf8(m.body.to_vec()).unwrap();
    assert_eq!(
        metric(
            &text,
            r#"gwcost_requests_total{route="GET /fixed/{n}",status="200"}"#
        ),
        "2"
    );
    assert_eq!(
        metric(
            &text,
            r#"gwcost_requests_total{route="$default",status="200"}"#
        ),
        "1"
    );
    assert_eq!(
        metric(
            &text,
            r#"gwcost_response_bytes_total{route="GET /fixed/{n}"}"#
        ),
        "1200000"
    );
    assert_eq!(
        metric(
            &text,
            r#"gwcost_request_bytes_total{route="GET /fixed/{n}"}"#
        ),
        "0"
    );
    assert_eq!(
        metric(
            &text,
            r#"gwcost_http_billed_units_total{route="GET /fixed/{n}"}"#
        ),
        "4"
    );
    assert_eq!(
        metric(&text, r#"gwcost_http_billed_units_total{route="$default"}"#),
        "1"
    );
    assert_eq!(metric(&text, "gwcost_log_lines_dropped_total"), "0");
    assert_eq!(metric(&text, "gwcost_websocket_connections_open"), "0");
    assert!(text.contains("# TYPE gwcost_requests_total counter"));
    // 5 HTTP API units at $1.00 per million; 3 REST API requests at $3.50 per million.
    let cost = |api: &str| {
        let line = text
            .lines()
            .find(|l| {
                l.starts_with("gwcost_month_cost_usd{") && l.contains(&format!("api=\"{api}\""))
            })
            .unwrap();
        line.rsplit(' ')
            .next()
            .unwrap()
            .parse::<rust_decimal::Decimal>()
            .unwrap()
    };
    assert_eq!(cost("http"), "0.000005".parse().unwrap());
    assert_eq!(cost("rest"), "0.0000105".parse().unwrap());
    for (path, want) in [
        ("/healthz", StatusCode::OK),
        ("/ready", StatusCode::OK),
        ("/nope", StatusCode::NOT_FOUND),
    ] {
        assert_eq!(get(sc.admin, path).await.status, want, "{path}");
    }
}

/// `[metrics] price_book` prices `/metrics` with that book and names it: a book whose HTTP API
/// price is $2.00 per million (the embedded one says $1.00) doubles the HTTP cost of the same
/// traffic, and `gwcost_price_book_info` carries the book's name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_use_the_configured_price_book() {
    let upstream = Upstream::start().await;
    let dir = tempfile::tempdir().unwrap();
    let embedded = include_str!("../../../gwcost-pricing/price-books/aws-us-east-1.toml");
    let first_tier = "up_to_millions = 300\nprice_per_million = \"1.00\"";
    assert!(embedded.contains(first_tier));
    let book = embedded
        .replacen(
            first_tier,
            "up_to_millions = 300\nprice_per_million = \"2.00\"",
            1,
        )
        .replacen("name = \"aws-us-east-1\"", "name = \"negotiated\"", 1);
    let book_path = dir.path().join("book.toml");
    std::fs::write(&book_path, book).unwrap();
    let config = format!(
        "upstream = \"{}\"\n[metrics]\nprice_book = \"{}\"\n",
        upstream.url(),
        book_path.display()
    );
    let sc = Sidecar::start_in(dir, &config, &[]);
    // Three small requests: 3 HTTP API units at $2.00 per million = $0.000006.
    for _ in 0..3 {
        assert_eq!(get(sc.addr, "/fixed/10").await.status, StatusCode::OK);
    }
    let _lines = sc.wait_log(3).await;
    let text = String::from_utf8(get(sc.admin, "/metrics").await.body.to_vec()).unwrap();
    let http = text
        .lines()
        .find(|l| l.starts_with("gwcost_month_cost_usd{") && l.contains("api=\"http\""))
        .unwrap();
    assert_eq!(
        http.rsplit(' ')
            .next()
            .unwrap()
            .parse::<rust_decimal::Decimal>()
            .unwrap(),
        "0.000006".parse().unwrap()
    );
    assert!(
        text.contains(
            "gwcost_price_book_info{name=\"negotiated\",region=\"us-east-1\",as_of=\"2026-11-01\"} 1"
        ),
        "{text}"
    );
}

/// The data listeners use `SO_REUSEPORT` (one per thread); a second sidecar on the same port
/// must still fail as with any port in use, not silently take half the connections.
#[tokio::test]
async fn a_second_sidecar_on_the_same_port_fails() {
    let up = Upstream::start().await;
    let first = Sidecar::start(
        &format!("upstream = \"{}\"\n", up.url()),
        &["--workers", "2"],
    );
    let dir = tempfile::tempdir().unwrap();
    let mut second = std::process::Command::new(bin())
        .arg("--listen")
        .arg(first.addr.to_string())
        .arg("--access-log")
        .arg(dir.path().join("a.log"))
        .args(["--upstream", &up.url(), "--workers", "2"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let end = Instant::now() + Duration::from_secs(10);
    while second.try_wait().unwrap().is_none() && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(10));
    }
    if second.try_wait().unwrap().is_none() {
        let _ = second.kill();
    }
    let out = second.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains(&format!("cannot listen on {}", first.addr)),
        "{err}"
    );
    // The first one still serves everything.
    for _ in 0..20 {
        assert_eq!(get(first.addr, "/x").await.status, StatusCode::OK);
    }
    assert_eq!(up.hits(), 20);
}
