//! The admin listener, apart from the data path: `/metrics` (Prometheus text), `/healthz`
//! (the process answers) and `/ready` (503 once draining, so a load balancer stops sending).

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use http::{Request, Response, StatusCode, header};
use http_body_util::Full;
use hyper::body::Incoming;

use crate::state::{State, now_ms};

pub async fn handle(
    req: Request<Incoming>,
    state: Arc<State>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (status, ctype, body) = match req.uri().path() {
        "/metrics" => {
            let text = state.metrics.render(state.log.counters(), now_ms());
            (
                StatusCode::OK,
                "text/plain; version=0.0.4; charset=utf-8",
                Bytes::from(text),
            )
        }
        "/healthz" | "/live" => (StatusCode::OK, "text/plain", Bytes::from_static(b"ok\n")),
        "/ready" => {
            if state.draining.load(Ordering::Relaxed) {
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "text/plain",
                    Bytes::from_static(b"draining\n"),
                )
            } else {
                (StatusCode::OK, "text/plain", Bytes::from_static(b"ready\n"))
            }
        }
        _ => (
            StatusCode::NOT_FOUND,
            "text/plain",
            Bytes::from_static(b"not found\n"),
        ),
    };
    let mut resp = Response::new(Full::new(body));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(ctype),
    );
    Ok(resp)
}
