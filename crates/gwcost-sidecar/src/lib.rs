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
//! Layout, one concern per module: [`config`] (flags + TOML), [`routes`] (route keys and
//! matching), [`auth`] (JWT), [`proxy`] (the request path), [`upstream_pool`] (per-thread http/1.1 upstream
//! connections), [`body`] (byte counting and the log
//! line at end of body), [`ws`] (WebSocket relay), [`access_log`] (queue + writer thread),
//! [`metrics`] and [`admin`], [`tls`], [`server`] (listeners, signals, drain).

pub mod access_log;
pub mod admin;
pub mod auth;
pub mod body;
pub mod config;
pub mod metrics;
pub mod proxy;
pub mod routes;
pub mod server;
pub mod tls;
pub mod upstream_pool;
pub mod ws;
