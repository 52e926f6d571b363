//! `scan --format html` rendered by a real browser (headless Chromium): the page loads without
//! script errors, shows the summary, the attack paths as SVG and every finding, and its
//! filters work (the page's `#selftest` applies a severity filter and records the count).
//! Secret values never reach the page.

use assert_cmd::Command;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn kw() -> Command {
    let mut c = Command::cargo_bin("kubeward").unwrap();
    c.current_dir(root());
    c
}

fn chromium() -> Option<&'static str> {
    let bin = "/usr/bin/chromium";
    if Path::new(bin).exists() {
        return Some(bin);
    }
    if std::env::var_os("KUBEWARD_REQUIRE_SERVICES").is_some_and(|v| v == "1") {
        panic!(
            "chromium is required (KUBEWARD_REQUIRE_SERVICES=1) but {bin} is missing: apt-get install chromium"
        );
    }
    eprintln!("skipped: {bin} not installed (apt-get install chromium)");
    None
}

/// Runs headless Chromium on `url` with `mode` (`--dump-dom` or `--screenshot=FILE`), with
/// a time limit, offline.
fn browse(bin: &str, profile: &Path, mode: &str, url: &str) -> String {
    let out = std::process::Command::new("timeout")
        .args(["90", bin])
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--window-size=1280,1600",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(mode)
        .arg(url)
        .output()
        .expect("run chromium");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn html_report_renders_in_chromium() {
    let Some(bin) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    kw().args([
        "scan",
        "examples/insecure-app",
        "--fail-on",
        "none",
        "--sort",
        "risk",
    ])
    .arg("--output")
    .arg(format!("html={}", page.display()))
    .assert()
    .success();
    let json = kw()
        .args([
            "scan",
            "examples/insecure-app",
            "--fail-on",
            "none",
            "-f",
            "json",
        ])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let findings = v["findings"].as_array().unwrap();
    let critical = findings
        .iter()
        .filter(|f| f["severity"] == "critical" && f["status"] == "fail")
        .count();
    let url = format!("file://{}", page.display());
    let profile = dir.path().join("profile");
    let dom = browse(bin, &profile, "--dump-dom", &format!("{url}#selftest"));
    assert!(dom.contains("data-kw-ready=\"1\""), "script did not finish");
    assert!(
        !dom.contains("<div id=\"kw-js-error\""),
        "script error on the page"
    );
    assert!(
        dom.contains(&format!("data-kw-selftest=\"critical={critical}\"")),
        "severity filter: expected {critical} critical findings shown"
    );
    assert!(dom.contains("Top attack paths"));
    assert!(dom.contains("<svg class=\"path\""));
    assert!(dom.contains("cluster-admin equivalent"));
    assert_eq!(
        dom.matches("<article class=\"finding").count(),
        findings.len()
    );
    assert!(dom.contains("on 8 attack paths"));
    // The filter form is shown once the script runs.
    assert!(!dom.contains("id=\"filters\" hidden"));
    let shot = dir.path().join("report.png");
    browse(
        bin,
        &profile,
        &format!("--screenshot={}", shot.display()),
        &url,
    );
    let png = std::fs::read(&shot).unwrap();
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 20_000,
        "screenshot too small"
    );
    if let Ok(keep) = std::env::var("KUBEWARD_KEEP_SCREENSHOT") {
        std::fs::copy(&shot, keep).unwrap();
    }
}

#[test]
fn html_never_shows_secret_values() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("app.yaml");
    std::fs::write(
        &f,
        "apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: shop}\ntype: Opaque\nstringData:\n  password: hunter2-very-secret\n---\n\
         apiVersion: v1\nkind: Pod\nmetadata: {name: app, namespace: shop}\nspec:\n  containers:\n  - name: app\n    image: nginx\n    env:\n    - {name: AWS_SECRET_ACCESS_KEY, value: wJalrXUtnFEMIK7MDENGbPxRfiCYzz9sEcReTkEy}\n",
    )
    .unwrap();
    let out = kw()
        .args(["scan", "--fail-on", "none", "-f", "html"])
        .arg(&f)
        .output()
        .unwrap();
    let html = String::from_utf8(out.stdout).unwrap();
    assert!(html.contains("<article class=\"finding"));
    assert!(!html.contains("hunter2-very-secret"));
    assert!(!html.contains("wJalrXUtnFEMIK7MDENGbPxRfiCYzz9sEcReTkEy"));
    assert!(html.contains("source line not shown"));
    // Self-contained: nothing is fetched (no links, sources or remote URLs; reference URLs are plain text).
    assert!(!html.contains("<link") && !html.contains("src=\""));
    assert!(!html.contains("href=\"http") && !html.contains("url(http"));
}
