//! What a request knows about the client connection it came on, and the upstream client of the
//! data thread serving it.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Mutex;

use http::HeaderValue;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::{Client, connect::HttpConnector};
use tokio::sync::OwnedSemaphorePermit;
use tokio::time::Sleep;

use crate::body::CountingBody;

/// The pooled upstream client (http:// and https://, keep-alive).
pub type UpstreamClient = Client<HttpsConnector<HttpConnector>, CountingBody>;

/// What the proxy knows about the client connection a request came on.
#[derive(Debug)]
pub struct ConnInfo {
    pub peer: SocketAddr,
    /// The peer address as a header value, made once per connection.
    pub peer_header: HeaderValue,
    pub tls: bool,
    /// This connection's number in the process (`clientConnectionId` on its lines).
    pub id: u64,
    /// When it was accepted, ms since the Unix epoch (`clientConnectedAt`).
    pub connected_at: i64,
    /// The legacy client of the thread serving this connection (see `server`): its pooled
    /// connections live on that thread's runtime, so each data thread has its own.
    pub client: UpstreamClient,
    /// The integration timeout's timer, reused by this connection's requests one after another
    /// (HTTP/1.1 serves one at a time): moving a registered timer's deadline later is one atomic
    /// store, where a new timer per request is inserted into and removed from the runtime's timer
    /// wheel. A request that finds it taken (HTTP/2, several at once) makes its own.
    pub integration_timer: Mutex<Option<Pin<Box<Sleep>>>>,
    /// This connection's share of `max_connections`, released when the last holder (the
    /// connection, or the WebSocket relay it became) drops it.
    _permit: OwnedSemaphorePermit,
}

impl ConnInfo {
    pub fn new(
        peer: SocketAddr,
        tls: bool,
        id: u64,
        client: UpstreamClient,
        permit: OwnedSemaphorePermit,
    ) -> Self {
        let peer_header = HeaderValue::from_str(&peer.ip().to_string())
            .unwrap_or_else(|_| HeaderValue::from_static("unknown"));
        Self {
            peer,
            peer_header,
            tls,
            id,
            connected_at: crate::state::now_ms(),
            client,
            integration_timer: Mutex::new(None),
            _permit: permit,
        }
    }
}
