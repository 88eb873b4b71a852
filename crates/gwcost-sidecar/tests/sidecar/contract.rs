//! The command-line contract `gwcost` shares (docs/exit-codes.md): an access log that cannot be
//! opened is exit 2 (so the systemd unit's `RestartPreventExitStatus=2` stops the restart loop),
//! errors are one line prefixed `gwcost-sidecar: error:` naming only settings the sidecar has,
//! and the completion script and man page come from the same clap definitions.

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::util::bin;

/// Runs the sidecar with `args`; kills it if it is still running after 10 s (a run that should
/// have been refused started serving).
fn run(args: &[&str]) -> Output {
    let mut child = Command::new(bin())
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let end = Instant::now() + Duration::from_secs(10);
    while child.try_wait().unwrap().is_none() && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(10));
    }
    if child.try_wait().unwrap().is_none() {
        let _ = child.kill();
    }
    child.wait_with_output().unwrap()
}

/// True when `cmd` runs (`groff -v`). Otherwise says `SKIPPED: WHAT is not available`, or fails
/// under CI (`CI` set), where `.ci/run` installs it.
fn tool_peer(cmd: &str, what: &str) -> bool {
    let ok = Command::new(cmd)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but {what} is missing (.ci/run installs it)"
        );
        eprintln!("SKIPPED: {what} is not available");
    }
    ok
}

fn one_error_line(out: &Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.starts_with("gwcost-sidecar: error: "), "{err}");
    err
}

#[test]
fn an_unwritable_access_log_is_exit_2_so_systemd_stops_restarting() {
    let dir = tempfile::tempdir().unwrap();
    // A log inside a folder that does not exist cannot be created, whoever runs the test.
    let log = dir.path().join("missing-folder").join("access.log");
    let out = run(&[
        "--listen",
        "127.0.0.1:0",
        "--upstream",
        "http://127.0.0.1:1",
        "--access-log",
        log.to_str().unwrap(),
    ]);
    let err = one_error_line(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--access-log"), "{err}");
    assert!(err.contains("missing-folder"), "{err}");

    // The shipped unit relies on exactly this status.
    let unit = include_str!("../../../../examples/gwcost-sidecar.service");
    assert!(unit.contains("RestartPreventExitStatus=2"), "{unit}");
}

#[test]
fn a_metrics_region_without_a_book_names_the_sidecars_own_setting() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("s.toml");
    std::fs::write(
        &cfg,
        "upstream = \"http://127.0.0.1:1\"\n[metrics]\nregion = \"mars-north-1\"\n",
    )
    .unwrap();
    let log = dir.path().join("a.log");
    let out = run(&[
        "--config",
        cfg.to_str().unwrap(),
        "--access-log",
        log.to_str().unwrap(),
    ]);
    let err = one_error_line(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("metrics.region"), "{err}");
    assert!(err.contains("[metrics] price_book"), "{err}");
    // The sidecar has no --price-book flag.
    assert!(!err.contains("--price-book"), "{err}");
}

#[test]
fn completions_from_the_clap_definitions_complete_flags_in_bash() {
    let out = run(&["completions", "bash"]);
    assert_eq!(out.status.code(), Some(0));
    let script = String::from_utf8(out.stdout).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gwcost-sidecar.bash");
    std::fs::write(&path, &script).unwrap();
    // Source the script in a real bash and ask the function it registers for `--acc<TAB>`.
    let probe = format!(
        "source {}; COMP_WORDS=(gwcost-sidecar --acc); COMP_CWORD=1; \
         COMP_LINE='gwcost-sidecar --acc'; COMP_POINT=${{#COMP_LINE}}; \
         f=$(complete -p gwcost-sidecar | sed -E 's/.*-F ([^ ]+).*/\\1/'); \
         \"$f\" gwcost-sidecar --acc gwcost-sidecar; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        path.display()
    );
    let got = Command::new("bash").args(["-c", &probe]).output().unwrap();
    let words = String::from_utf8_lossy(&got.stdout);
    assert!(
        words.lines().any(|w| w == "--access-log"),
        "{words}\n{}",
        String::from_utf8_lossy(&got.stderr)
    );

    let out = run(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
    one_error_line(&out);
}

#[test]
fn the_man_page_renders_without_warnings() {
    let out = run(&["man"]);
    assert_eq!(out.status.code(), Some(0));
    let page = String::from_utf8(out.stdout).unwrap();
    assert!(page.contains(".TH gwcost-sidecar"), "{page}");
    assert!(page.contains("access\\-log"), "{page}");
    // groff (man's formatter) renders it to text with every warning on, and says nothing.
    if !tool_peer("groff", "groff (apt-get install groff-base)") {
        return;
    }
    let mut groff = Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(groff.stdin.as_mut().unwrap(), page.as_bytes()).unwrap();
    let rendered = groff.wait_with_output().unwrap();
    assert!(rendered.status.success());
    assert_eq!(String::from_utf8_lossy(&rendered.stderr), "");
}
