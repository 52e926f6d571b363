//! Hostile input and faults, end to end: closed and full standard output, diagnostics on
//! standard error, unreadable inputs, folder walks, coverage gaps.

use assert_cmd::Command;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Stdio;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn raw() -> std::process::Command {
    let mut c = std::process::Command::new(bin());
    c.current_dir(root()).env("NO_COLOR", "1");
    c
}

fn kubeward() -> Command {
    let mut c = Command::cargo_bin("kubeward").unwrap();
    c.current_dir(root()).env("NO_COLOR", "1");
    c
}

fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("kubeward")
}

/// Runs the binary with standard output a pipe whose reader goes away after one byte
/// (`| head -c1`); returns the exit code and standard error.
fn closed_stdout(args: &[&str]) -> (i32, String) {
    let mut child = std::process::Command::new(bin())
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut one = [0u8; 1];
    out.read_exact(&mut one).unwrap();
    drop(out);
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    (status.code().expect("exited, not killed by a signal"), err)
}

#[test]
fn a_closed_stdout_ends_quietly_with_the_usual_status() {
    // The rule list in JSON is larger than a pipe's buffer, so the write does fail.
    let (code, err) = closed_stdout(&["rules", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.is_empty(), "{err}");
    let (code, err) = closed_stdout(&["rules", "--format", "markdown"]);
    assert_eq!((code, err.as_str()), (0, ""));
    // scan's usual status on the insecure example is 1 (findings).
    let (code, err) = closed_stdout(&[
        "scan",
        "examples/insecure-app",
        "--no-config",
        "--format",
        "sarif",
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn a_report_that_cannot_be_written_is_an_error() {
    if !Path::new("/dev/full").exists() {
        eprintln!("skipped: no /dev/full");
        return;
    }
    for format in ["text", "json", "sarif", "junit"] {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = raw()
            .args([
                "scan",
                "examples/hardened-app",
                "--no-config",
                "--format",
                format,
            ])
            .stdout(full)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{format}: {err}");
        assert!(err.contains("cannot write"), "{format}: {err}");
    }
    let full = std::fs::File::options()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let out = raw()
        .args(["rules", "--format", "json"])
        .stdout(full)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    // --output to a full device as well.
    let out = kubeward()
        .args([
            "scan",
            "examples/hardened-app",
            "--no-config",
            "--output",
            "json=/dev/full",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/dev/full"));
}

#[test]
fn diagnostics_go_to_stderr_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "apiVersion: v1\nkind: [\n").unwrap();
    for format in ["text", "json", "sarif", "junit"] {
        let out = kubeward()
            .args(["scan", "--no-config", "--format", format])
            .arg(&bad)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{format}");
        assert!(
            stderr.contains("bad.yaml:3:") && stderr.contains("invalid YAML"),
            "{format}: {stderr}"
        );
        if format == "text" {
            assert!(!stdout.contains("invalid YAML"), "{stdout}");
        }
    }
}
