//! The `gwcost-sidecar` binary: reads flags and config, runs the proxy until SIGTERM/SIGINT.
//! Exit codes, as `docs/exit-codes.md` (shared with `gwcost`) and the systemd unit's
//! `RestartPreventExitStatus=2` expect: 0 after a clean drain, 2 for a bad flag or setting,
//! including an access log that cannot be opened (one line naming the key, so systemd does not
//! restart it in a loop), 1 for anything else (a port in use). Every error is one line,
//! `gwcost-sidecar: error: …`.
//!
//! `gwcost-sidecar completions SHELL` and `gwcost-sidecar man` print the completion script and
//! the man page, generated from the same clap definitions as the flags.

use std::io::Write as _;
use std::process::ExitCode;

use gwcost_sidecar::config::{self, Loaded};
use gwcost_sidecar::server::{self, RunError};

fn main() -> ExitCode {
    if let Some(code) = generate() {
        return code;
    }
    let cfg = match config::load(std::env::args_os()) {
        Ok(Loaded::Run(cfg)) => cfg,
        Ok(Loaded::Print(text)) => {
            let _ = std::io::stdout().write_all(text.as_bytes());
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("gwcost-sidecar: error: {e}");
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
            eprintln!("gwcost-sidecar: error: cannot start the runtime: {e}");
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
            eprintln!("gwcost-sidecar: error: {e}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("gwcost-sidecar: error: {e}");
            ExitCode::from(1)
        }
    }
}

/// `gwcost-sidecar completions SHELL` / `gwcost-sidecar man`: the proxy takes no positional
/// arguments, so these words cannot be mistaken for a run. `None` when neither was asked.
fn generate() -> Option<ExitCode> {
    use clap::CommandFactory;
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let what = args.get(1)?.to_str()?;
    if what != "completions" && what != "man" {
        return None;
    }
    let mut cmd = config::Cli::command();
    let mut out = Vec::new();
    if what == "man" {
        if let Err(e) = clap_mangen::Man::new(cmd).render(&mut out) {
            eprintln!("gwcost-sidecar: error: man: {e}");
            return Some(ExitCode::from(1));
        }
    } else {
        let shells = ["bash", "zsh", "fish", "powershell", "elvish"];
        let shell = args
            .get(2)
            .and_then(|s| s.to_str())
            .and_then(|s| <clap_complete::Shell as clap::ValueEnum>::from_str(s, true).ok());
        let Some(shell) = shell else {
            eprintln!(
                "gwcost-sidecar: error: completions needs a shell: {}",
                shells.join(", ")
            );
            return Some(ExitCode::from(2));
        };
        clap_complete::generate(shell, &mut cmd, "gwcost-sidecar", &mut out);
    }
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(&out).and_then(|()| stdout.flush()) {
        Ok(()) => Some(ExitCode::SUCCESS),
        // A closed pipe (`… | head`) ends quietly.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Some(ExitCode::SUCCESS),
        Err(e) => {
            eprintln!("gwcost-sidecar: error: writing stdout: {e}");
            Some(ExitCode::from(1))
        }
    }
}
