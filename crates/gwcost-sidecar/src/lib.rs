//! gwcost-sidecar: a metering reverse proxy that runs next to one service and records, request
//! by request and message by message, what AWS API Gateway would meter.
//!
//! It owns the data path (HTTP/1.1, h2c and h2 over TLS from clients; pooled http/https
//! upstreams; WebSocket relaying), API Gateway's behaviour where it matters to the bill and to
//! clients (routes and stages, the JWT authorizer, payload and time limits, error answers), the
//! access log in schema v1 (`gwcost-log`) and the admin listener (`/metrics` priced with
//! `gwcost-pricing`). It must not depend on polars, plotters or any analytics crate: it is the
//! small binary people put in front of production traffic.
//!
//! Layout, one concern per module, dependencies pointing one way (no module imports one that
//! imports it back):
//!
//! - [`config`] (flags + TOML), [`routes`] (route keys and matching), [`path`] (canonical
//!   paths), [`throttle`] (token buckets), [`auth`] (JWT), [`tls`], [`access_log`] (queue +
//!   writer thread), [`log_line`] (one JSON line), [`metrics`];
//! - [`state`] (what all requests share), [`logging`] (one line per request, whichever phase
//!   answered), [`body`] (byte counting), [`conn`] (the client connection), [`answer`] (the
//!   gateway's own answers), [`upstream_pool`] (per-thread http/1.1 upstream connections);
//! - [`phase`]: the request path, one module per phase (route → throttle → authorize →
//!   limits → websocket | rewrite → forward);
//! - [`admin`] and [`server`] (listeners, signals, drain) on top.

pub mod access_log;
pub mod admin;
pub mod answer;
pub mod auth;
pub mod body;
pub mod config;
pub mod conn;
pub mod log_line;
pub mod logging;
pub mod metrics;
pub mod path;
pub mod phase;
pub mod routes;
pub mod server;
pub mod spare_timer;
pub mod state;
pub mod throttle;
pub mod tls;
pub mod upstream_pool;
