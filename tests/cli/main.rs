//! Integration tests of the real `gwcost` binary: every input format, bad input, the JSON
//! contract, quotes and price books, and snapshots of the human-readable reports.
//!
//! One test binary (declared in crates/gwcost-cli/Cargo.toml) whose modules group tests by area;
//! `util` runs the binary in a scratch directory and prints everything on failure.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

mod util;

mod analyze_accounting;
mod analyze_aws;
mod analyze_bad_input;
mod analyze_damaged;
mod analyze_files;
mod analyze_formats;
mod analyze_options;
#[cfg(feature = "aws")]
mod cloud;
mod compare;
mod contract;
mod engines;
mod log_format;
mod prices;
mod projection;
mod quote;
mod reconcile;
mod regions;
mod report;
mod scale;
mod schemas;
mod sidecar_end_to_end;
mod snapshots;
mod sql_engines;
