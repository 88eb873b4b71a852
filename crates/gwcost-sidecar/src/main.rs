//! The `gwcost-sidecar` binary: reads flags and config, runs the proxy until SIGTERM/SIGINT.
//! Exit codes: 0 after a clean drain, 2 for a bad flag or setting (one line naming the key),
//! 1 for anything else (a port in use, an unwritable log).

use std::io::Write as _;
use std::process::ExitCode;

use gwcost_sidecar::config::{self, Loaded};
use gwcost_sidecar::server::{self, RunError};

fn main() -> ExitCode {
    let cfg = match config::load(std::env::args_os()) {
        Ok(Loaded::Run(cfg)) => cfg,
        Ok(Loaded::Print(text)) => {
            let _ = std::io::stdout().write_all(text.as_bytes());
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("gwcost-sidecar: {e}");
            return ExitCode::from(2);
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("GWCOST_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
    // This runtime runs the control plane (signals, admin listener, JWKS refresh, shutdown);
    // the data path runs on its own threads, one per core or `--workers` (see `server`).
    let mut rt = tokio::runtime::Builder::new_multi_thread();
    rt.enable_all().worker_threads(1);
    let rt = match rt.build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("gwcost-sidecar: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let result = rt.block_on(server::run(*cfg, |proxy, admin| {
        // One plain line on stderr that scripts and tests can wait for.
        match admin {
            Some(a) => eprintln!("gwcost-sidecar listening on {proxy} admin {a}"),
            None => eprintln!("gwcost-sidecar listening on {proxy}"),
        }
    }));
    // Do not wait for tasks still parked on finished connections.
    rt.shutdown_timeout(std::time::Duration::from_millis(200));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(RunError::Config(e)) => {
            eprintln!("gwcost-sidecar: {e}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("gwcost-sidecar: {e}");
            ExitCode::from(1)
        }
    }
}
