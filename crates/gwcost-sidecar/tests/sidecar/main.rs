//! Integration tests: the real `gwcost-sidecar` binary between real clients and a real upstream,
//! all on 127.0.0.1. One test binary (one link) with a module per concern.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

mod util;

mod attacks;
mod contract;
mod faults;
mod gateway_rules;
mod http_proxy;
mod jwt;
mod lifecycle;
mod limits;
mod prometheus;
mod resources;
mod tls;
mod websocket;
