//! `gwcost`: the command-line front end. Thin by design: it parses arguments (`cli.rs`, every
//! clap type), loads the price book, calls `gwcost-analytics` / `gwcost-report` /
//! `gwcost-corpus`, and writes what they return (`output.rs`). One module per command. Every
//! error is one line, `gwcost: error: …`, and the exit status follows `docs/exit-codes.md`:
//! 2 for usage and input errors (clap's too), 1 for failures that are not the input's fault
//! (writing the output, reaching AWS).

mod analyze;
mod cli;
mod cloud;
mod common;
mod compare;
mod cur;
mod generate;
mod input_formats;
mod inputs;
mod output;
mod prices;
mod quote;
mod reconcile;
mod report;
mod scale;

use std::io;
use std::process::ExitCode;

use anyhow::Result;
use clap::{CommandFactory, FromArgMatches};

use crate::cli::{Cli, Command};

/// mimalloc keeps freed memory for reuse, where glibc returns polars' decoded Parquet columns to
/// the kernel and faults them in again for the next file (a fifth of a Parquet analysis).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = match command()
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m))
    {
        Ok(cli) => cli,
        Err(e) => return clap_exit(&e),
    };
    match run(cli) {
        Ok(()) if inputs::PARTIAL.load(std::sync::atomic::Ordering::Relaxed) => ExitCode::from(3),
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // A closed pipe (`gwcost analyze … | head`) is not an error worth reporting.
            if e.chain().any(|c| {
                c.downcast_ref::<io::Error>()
                    .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            eprintln!("gwcost: error: {}", one_line(&format!("{e:#}")));
            ExitCode::from(exit_status(&e))
        }
    }
}

/// An error spanning lines (a list of files and what each looked like) on one line: a line
/// ending in `:` runs into the next, the others are separated by `; `.
fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if !out.is_empty() {
            out.push_str(if out.ends_with(':') { " " } else { "; " });
        }
        out.push_str(line);
    }
    if out.is_empty() {
        out.push_str("failed");
    }
    out
}

/// `docs/exit-codes.md`: 1 when the output could not be written or AWS could not be reached
/// (retrying may help), else 2 (the command, a value or the input is wrong — a missing bucket or
/// denied access included: retrying fails the same way).
fn exit_status(e: &anyhow::Error) -> u8 {
    for cause in e.chain() {
        if cause.is::<output::WriteFailed>() {
            return 1;
        }
        #[cfg(feature = "aws")]
        if let Some(c) = cause.downcast_ref::<gwcost_cloud::CloudError>() {
            return if c.is_unreachable() { 1 } else { 2 };
        }
    }
    2
}

/// The clap command, with `-1` read as a value of any flag that takes one (so `--top-routes -1`
/// is refused as a value, not as an unknown flag `-1`), in every subcommand.
fn command() -> clap::Command {
    fn negatives(c: clap::Command) -> clap::Command {
        c.allow_negative_numbers(true).mut_subcommands(negatives)
    }
    negatives(Cli::command())
}

/// clap's own outcome: `--help` and `--version` print and succeed; an error is one line with
/// gwcost's prefix and the usual hint, exit 2.
fn clap_exit(e: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        let _ = e.print();
        return ExitCode::SUCCESS;
    }
    if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        // `gwcost` alone: the help is the answer, on stderr, as a usage error.
        let _ = e.print();
        return ExitCode::from(2);
    }
    eprintln!("gwcost: error: {}", clap_line(e));
    ExitCode::from(2)
}

/// clap's message on one line: its first paragraph (the problem, and the missing arguments or
/// possible values clap lists under it) without clap's `error: ` prefix, plus the subcommand's
/// `--help` to read.
fn clap_line(e: &clap::Error) -> String {
    let rendered = e.render().to_string();
    let problem: Vec<&str> = rendered
        .lines()
        .map(str::trim)
        .skip_while(|l| l.is_empty())
        .take_while(|l| !l.is_empty())
        .collect();
    let joined = problem.join(" ");
    let first = joined.strip_prefix("error: ").unwrap_or(&joined);
    let first = if first.is_empty() {
        "invalid arguments"
    } else {
        first
    };
    // The usage line names the subcommand (`Usage: gwcost analyze [OPTIONS] …`).
    let usage = rendered
        .lines()
        .find_map(|l| l.trim().strip_prefix("Usage: "))
        .map(|u| {
            u.split_whitespace()
                .take_while(|w| !w.starts_with(['[', '<', '-']))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .filter(|u| !u.is_empty())
        .or_else(|| {
            // Not every clap error shows the usage: the subcommand typed, if it is one.
            let sub = std::env::args().nth(1)?;
            Cli::command()
                .find_subcommand(&sub)
                .map(|_| format!("gwcost {sub}"))
        })
        .unwrap_or_else(|| "gwcost".to_owned());
    format!("{first} (see {usage} --help)")
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
        Command::Completions(c) => completions(c.shell),
        Command::Man => man(),
    }
}

/// `gwcost completions SHELL`: the completion script, from the clap definitions.
fn completions(shell: clap_complete::Shell) -> Result<()> {
    let mut cmd = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, "gwcost", &mut script);
    output::write(None, &script)
}

/// `gwcost man`: the man page (roff), with every subcommand, from the clap definitions.
fn man() -> Result<()> {
    let cmd = Cli::command();
    let mut page = Vec::new();
    // One page for the whole tool: each subcommand's description, synopsis and options follow
    // the main ones under its own heading (clap_mangen's SUBCOMMANDS section would point at
    // separate `gwcost-analyze(1)` pages, which are not installed).
    let main = clap_mangen::Man::new(cmd.clone());
    main.render_title(&mut page)?;
    main.render_name_section(&mut page)?;
    main.render_synopsis_section(&mut page)?;
    main.render_description_section(&mut page)?;
    main.render_options_section(&mut page)?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("gwcost {}", sub.get_name());
        let sub = sub
            .clone()
            .display_name(name.clone())
            .bin_name(name.clone());
        page.extend_from_slice(format!(".SH \"{}\"\n", name.to_uppercase()).as_bytes());
        let mut body = Vec::new();
        let man = clap_mangen::Man::new(sub);
        man.render_description_section(&mut body)?;
        man.render_synopsis_section(&mut body)?;
        man.render_options_section(&mut body)?;
        page.extend_from_slice(&demote_sections(&body));
    }
    output::write(None, roff_ascii(&page).as_bytes())
}

/// Non-ASCII characters (×, ÷, —, ’ in the help text) as groff's `\[uXXXX]` escapes: groff
/// reads its input as Latin-1 unless a preprocessor says otherwise, and `man -l` on a page
/// piped from `gwcost man` may not run one.
fn roff_ascii(page: &[u8]) -> String {
    let text = String::from_utf8_lossy(page);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            out.push_str(&format!("\\[u{:04X}]", u32::from(c)));
        }
    }
    out
}

/// A subcommand's `.SH` headings become `.SS` under its own `.SH`.
fn demote_sections(roff: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(roff);
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        match line.strip_prefix(".SH ") {
            Some(rest) => out.push_str(&format!(".SS {rest}")),
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out.into_bytes()
}
