//! The answers the gateway writes itself, as API Gateway writes them: a JSON `message`, the
//! status, and the `errorResponseType` the log line carries (which decides whether the request is
//! billed). Blame follows Pingora's split: the client's fault is 4xx, the upstream's 502/503/504.

use std::sync::Arc;

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Response, StatusCode};

use crate::body::{MeteredBody, ProxyBody};
use crate::logging::PendingLog;
use crate::state::State;

/// Why a phase answered instead of the upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No route matches (404 `RESOURCE_NOT_FOUND`).
    NotFound,
    /// A path that cannot be routed safely, or a URI that cannot be sent on (400).
    BadRequest,
    /// No valid token (401).
    Unauthorized,
    /// A valid token without a required scope (403).
    Forbidden,
    /// A request body over the limit (413).
    TooLarge,
    /// Over the stage's or the route's rate (429 `THROTTLED`, not billed).
    Throttled,
    /// The upstream could not be reached, failed, or refused an upgrade (502).
    IntegrationFailure,
    /// The upstream's connections are all busy and its wait queue is full (503).
    Unavailable,
    /// The upstream did not answer in time (504).
    IntegrationTimeout,
}

impl Refusal {
    /// Status, body and `errorResponseType`.
    pub fn parts(self) -> (StatusCode, &'static [u8], &'static str) {
        match self {
            Self::NotFound => (
                StatusCode::NOT_FOUND,
                br#"{"message":"Not Found"}"#,
                "RESOURCE_NOT_FOUND",
            ),
            Self::BadRequest => (
                StatusCode::BAD_REQUEST,
                br#"{"message":"Bad Request"}"#,
                "BAD_REQUEST_PARAMETERS",
            ),
            Self::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                br#"{"message":"Unauthorized"}"#,
                "UNAUTHORIZED",
            ),
            Self::Forbidden => (
                StatusCode::FORBIDDEN,
                br#"{"message":"Forbidden"}"#,
                "ACCESS_DENIED",
            ),
            Self::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                br#"{"message":"Request Entity Too Large"}"#,
                "REQUEST_TOO_LARGE",
            ),
            Self::Throttled => (
                StatusCode::TOO_MANY_REQUESTS,
                br#"{"message":"Too Many Requests"}"#,
                "THROTTLED",
            ),
            Self::IntegrationFailure => (
                StatusCode::BAD_GATEWAY,
                br#"{"message":"Bad Gateway"}"#,
                "INTEGRATION_FAILURE",
            ),
            Self::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                br#"{"message":"Service Unavailable"}"#,
                "INTEGRATION_FAILURE",
            ),
            Self::IntegrationTimeout => (
                StatusCode::GATEWAY_TIMEOUT,
                br#"{"message":"Endpoint request timed out"}"#,
                "INTEGRATION_TIMEOUT",
            ),
        }
    }
}

/// The gateway's own answer; its body's end writes the log line.
pub fn respond(
    state: &Arc<State>,
    mut pending: Box<PendingLog>,
    why: Refusal,
) -> Response<MeteredBody> {
    let (status, body, error_type) = why.parts();
    pending.event.status = status.as_u16();
    pending.event.error_type = Some(error_type);
    let mut resp = Response::new(MeteredBody::new(
        ProxyBody::Fixed(Some(Bytes::from_static(body))),
        pending,
        state.clone(),
    ));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}
