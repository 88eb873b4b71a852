//! TLS termination with ALPN (h2 and http/1.1) and https upstreams trusted through a CA file.

use std::sync::Arc;

use bytes::Bytes;
use http::{StatusCode, Version};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};

use crate::util::*;

fn client_config(cert_pem: &str, alpn: &[&[u8]]) -> rustls::ClientConfig {
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(cert_pem.as_bytes()) {
        roots.add(c.unwrap()).unwrap();
    }
    let mut cfg = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    cfg.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    cfg
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_termination_negotiates_h2_and_http11_by_alpn() {
    let upstream = Upstream::start().await;
    let (cert, key) = self_signed();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cert.pem"), &cert).unwrap();
    std::fs::write(dir.path().join("key.pem"), &key).unwrap();
    let cert_path = dir.path().join("cert.pem").display().to_string();
    let key_path = dir.path().join("key.pem").display().to_string();
    let sc = Sidecar::start_in(
        dir,
        "",
        &[
            "--upstream",
            &upstream.url(),
            "--tls-cert",
            &cert_path,
            "--tls-key",
            &key_path,
        ],
    );
    for (alpn, version) in [
        (&b"h2"[..], Version::HTTP_2),
        (&b"http/1.1"[..], Version::HTTP_11),
    ] {
        let connector = tokio_rustls::TlsConnector::from(Arc::new(client_config(&cert, &[alpn])));
        let tcp = tokio::net::TcpStream::connect(sc.addr).await.unwrap();
        let tls = connector
            .connect(ServerName::try_from("localhost").unwrap(), tcp)
            .await
            .unwrap();
        assert_eq!(tls.get_ref().1.alpn_protocol(), Some(alpn));
        let io = TokioIo::new(tls);
        let path = if version == Version::HTTP_2 {
            "/echo?h2"
        } else {
            "/echo?h1"
        };
        let body = chunked(vec![pattern(3000), pattern(77)]);
        let resp = if version == Version::HTTP_2 {
            let (mut s, conn) = hyper::client::conn::http2::handshake(TokioExecutor::new(), io)
                .await
                .unwrap();
            tokio::spawn(conn);
            let req = http::Request::post(format!("https://localhost{path}"))
                .body(body)
                .unwrap();
            s.send_request(req).await.unwrap()
        } else {
            let (mut s, conn) = hyper::client::conn::http1::handshake(io).await.unwrap();
            tokio::spawn(conn);
            let req = http::Request::post(path)
                .header("host", "localhost")
                .body(body)
                .unwrap();
            s.send_request(req).await.unwrap()
        };
        let got = read_whole(resp).await;
        assert_eq!(got.status, StatusCode::OK);
        assert_eq!(got.version, version);
        assert_eq!(got.body.len(), 3077);
    }
    let recs = sc.wait_log(2).await;
    assert_eq!(recs.len(), 2);
    let protos: Vec<_> = recs.iter().map(|r| r.protocol.clone().unwrap()).collect();
    assert!(protos.contains(&"HTTP/2.0".to_owned()) && protos.contains(&"HTTP/1.1".to_owned()));
    assert!(
        recs.iter()
            .all(|r| r.request_length == Some(3077) && r.response_length == Some(3077))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_upstream_trusted_by_ca_file() {
    let (cert, key) = self_signed();
    let upstream = Upstream::start_with_tls(Some((cert.clone(), key))).await;
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &cert).unwrap();
    let ca = ca.display().to_string();
    let url = format!("https://localhost:{}", upstream.addr.port());
    let sc = Sidecar::start_in(dir, "", &["--upstream", &url, "--upstream-ca", &ca]);
    let got = get(sc.addr, "/fixed/2048").await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.body.len(), 2048);
    let got = get(sc.addr, "/fixed/10").await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(upstream.hits(), 2);

    // Without the CA file the upstream's certificate is not trusted: 502.
    let sc2 = Sidecar::start("", &["--upstream", &url]);
    let got = get(sc2.addr, "/fixed/10").await;
    assert_eq!(got.status, StatusCode::BAD_GATEWAY);
    assert_eq!(upstream.hits(), 2);
    let _ = Bytes::new();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_the_tls_certificate() {
    let upstream = Upstream::start().await;
    let (cert1, key1) = self_signed();
    let (cert2, key2) = self_signed();
    let dir = tempfile::tempdir().unwrap();
    let cert_path = dir.path().join("cert.pem");
    let key_path = dir.path().join("key.pem");
    std::fs::write(&cert_path, &cert1).unwrap();
    std::fs::write(&key_path, &key1).unwrap();
    let (c, k) = (
        cert_path.display().to_string(),
        key_path.display().to_string(),
    );
    let sc = Sidecar::start_in(
        dir,
        "",
        &[
            "--upstream",
            &upstream.url(),
            "--tls-cert",
            &c,
            "--tls-key",
            &k,
        ],
    );
    let handshake = |trusted: &str| {
        let connector =
            tokio_rustls::TlsConnector::from(Arc::new(client_config(trusted, &[b"http/1.1"])));
        let addr = sc.addr;
        async move {
            let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
            connector
                .connect(ServerName::try_from("localhost").unwrap(), tcp)
                .await
                .is_ok()
        }
    };
    assert!(handshake(&cert1).await);
    assert!(!handshake(&cert2).await);
    // Renewed files, then SIGHUP: new connections get the new certificate.
    std::fs::write(&cert_path, &cert2).unwrap();
    std::fs::write(&key_path, &key2).unwrap();
    sc.signal("HUP");
    let mut reloaded = false;
    for _ in 0..50 {
        if handshake(&cert2).await {
            reloaded = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(reloaded);
    assert!(!handshake(&cert1).await);
    // A broken pair on the next SIGHUP keeps the certificate in use.
    std::fs::write(&key_path, "not a key").unwrap();
    sc.signal("HUP");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(handshake(&cert2).await);
}
