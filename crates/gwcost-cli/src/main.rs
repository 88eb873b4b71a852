//! `gwcost`: the command-line front end. Thin by design: it parses arguments (`cli.rs`, every
//! clap type), loads the price book, calls `gwcost-analytics` / `gwcost-report` /
//! `gwcost-corpus`, and writes what they return (`common.rs`). One module per command. Usage and
//! input errors print one line and exit with status 2.

mod analyze;
mod cli;
mod cloud;
mod common;
mod compare;
mod cur;
mod generate;
mod input_formats;
mod inputs;
mod prices;
mod quote;
mod reconcile;
mod report;
mod scale;

use std::io;
use std::process::ExitCode;

use anyhow::Result;
use clap::Parser;

use crate::cli::{Cli, Command};

/// mimalloc keeps freed memory for reuse, where glibc returns polars' decoded Parquet columns to
/// the kernel and faults them in again for the next file (a fifth of a Parquet analysis).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) if inputs::PARTIAL.load(std::sync::atomic::Ordering::Relaxed) => ExitCode::from(3),
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // A closed pipe (`gwcost analyze … | head`) is not an error worth reporting.
            if e.downcast_ref::<io::Error>()
                .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
            {
                return ExitCode::SUCCESS;
            }
            eprintln!("gwcost: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Analyze(a) => analyze::analyze(&a),
        Command::Prices(p) => prices::prices(&p),
        Command::Quote(q) => quote::quote(&q),
        Command::Generate(g) => generate::generate(&g),
        Command::Compare(c) => compare::compare(&c),
        Command::Report(r) => report::report(&r),
        Command::Reconcile(r) => reconcile::reconcile(&r),
        Command::Convert(c) => scale::convert(&c),
        Command::Sql(s) => scale::sql(&s),
    }
}
