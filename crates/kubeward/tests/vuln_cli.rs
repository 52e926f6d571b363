//! `kubeward vuln ...` and `scan --vuln-report` end to end: OSV records and reports written
//! here, `db update` against a loopback HTTP server serving a zip the test builds.

use assert_cmd::Command;
use serde_json::json;
use std::io::{Read, Write};
use std::path::Path;

fn run(args: &[&str], env_db: &Path) -> (String, String, i32) {
    let out = Command::cargo_bin("kubeward")
        .unwrap()
        .env("NO_COLOR", "1")
        .env("KUBEWARD_VULN_DB", env_db)
        .args(args)
        .output()
        .unwrap();
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
        out.status.code().unwrap_or(-1),
    )
}

fn records() -> Vec<serde_json::Value> {
    vec![
        json!({"id": "KWT-DEB-0100", "modified": "2026-02-01T00:00:00Z", "upstream": ["CVE-2099-5100"],
               "summary": "test flaw in curl",
               "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}],
               "affected": [{"package": {"ecosystem": "Debian:12", "name": "curl"},
                 "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "7.88.1-10+deb12u6"}]}]}]}),
        json!({"id": "KWT-NPM-0100", "modified": "2026-02-01T00:00:00Z", "aliases": ["CVE-2099-5200"],
               "database_specific": {"severity": "CRITICAL"},
               "affected": [{"package": {"ecosystem": "npm", "name": "tiny-template"},
                 "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "3.0.1"}]}]}]}),
    ]
}

fn zip_bytes() -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let o = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for r in records() {
            z.start_file(format!("{}.json", r["id"].as_str().unwrap()), o)
                .unwrap();
            z.write_all(r.to_string().as_bytes()).unwrap();
        }
        z.finish().unwrap();
    }
    buf.into_inner()
}

#[test]
fn import_info_and_match() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("osv");
    std::fs::create_dir_all(src.join("nested")).unwrap();
    for (i, r) in records().iter().enumerate() {
        let dir = if i == 0 {
            src.clone()
        } else {
            src.join("nested")
        };
        std::fs::write(dir.join(format!("r{i}.json")), r.to_string()).unwrap();
    }
    let db = tmp.path().join("db");
    let (out, err, code) = run(&["vuln", "db", "import", src.to_str().unwrap()], &db);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("2 records: Debian 1, npm 1"), "{out}");
    assert!(db.join("osv.kwdb").is_file());
    let (out, _, code) = run(&["vuln", "db", "info"], &db);
    assert_eq!(code, 0);
    assert!(out.starts_with("OSV database imported 20"), "{out}");

    let (out, err, code) = run(
        &[
            "vuln",
            "match",
            "--package",
            "npm:tiny-template@2.9.0",
            "--package",
            "npm:tiny-template@3.0.1",
        ],
        &db,
    );
    assert_eq!(code, 1, "{err}");
    assert!(
        out.contains("npm tiny-template 2.9.0: 1 vulnerability"),
        "{out}"
    );
    assert!(
        out.contains("CRITICAL KWT-NPM-0100 (CVE-2099-5200), fixed in 3.0.1"),
        "{out}"
    );
    assert!(
        out.contains("npm tiny-template 3.0.1: no known vulnerabilities"),
        "{out}"
    );

    // A JSON list with a binary → source mapping, JSON output.
    let list = tmp.path().join("pkgs.json");
    std::fs::write(&list, json!([{"ecosystem": "Debian:12", "name": "libcurl4", "version": "7.88.1-10+deb12u5", "source_name": "curl"}]).to_string()).unwrap();
    let (out, _, code) = run(
        &[
            "vuln",
            "match",
            "--packages",
            list.to_str().unwrap(),
            "-f",
            "json",
        ],
        &db,
    );
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["database"]["records"], 2);
    let m = &v["packages"][0]["vulnerabilities"][0];
    assert_eq!(m["id"], "KWT-DEB-0100");
    assert_eq!(m["record_package"], "curl");
    assert_eq!(m["fixed"], "7.88.1-10+deb12u6");
    assert_eq!(m["score"], 7.5);
    assert_eq!(m["severity"], "high");

    let (_, err, code) = run(&["vuln", "match", "--package", "nonsense"], &db);
    assert_eq!(code, 2);
    assert!(err.contains("expected ECOSYSTEM:NAME@VERSION"), "{err}");
    let (_, err, code) = run(
        &["vuln", "match", "--package", "npm:x@1"],
        &tmp.path().join("none"),
    );
    assert_eq!(code, 2);
    assert!(err.contains("no vulnerability database here"), "{err}");
}

/// Serves `body` for `path` and 404 for anything else, on loopback, for a bounded number of
/// connections.
fn serve(path: &'static str, body: Vec<u8>) -> (String, std::thread::JoinHandle<Vec<String>>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let h = std::thread::spawn(move || {
        let mut seen = Vec::new();
        for _ in 0..2 {
            let Ok((mut s, _)) = listener.accept() else {
                break;
            };
            s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
                .unwrap();
            let mut req = Vec::new();
            let mut buf = [0u8; 1024];
            while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                match s.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => req.extend_from_slice(&buf[..n]),
                }
            }
            let line = String::from_utf8_lossy(&req)
                .lines()
                .next()
                .unwrap_or("")
                .to_string();
            let target = line.split(' ').nth(1).unwrap_or("").to_string();
            seen.push(target.clone());
            if target == path {
                let _ = write!(
                    s,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/zip\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = s.write_all(&body);
            } else {
                let _ = write!(
                    s,
                    "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
            }
        }
        seen
    });
    (format!("http://{addr}"), h)
}

#[test]
fn update_fetches_exports_from_the_configured_url() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    let (base, server) = serve("/crates.io/all.zip", zip_bytes());
    let (out, err, code) = run(
        &[
            "vuln",
            "db",
            "update",
            "--url",
            &base,
            "--ecosystem",
            "crates.io",
        ],
        &db,
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains(&format!("fetching {base}/crates.io/all.zip")),
        "{err}"
    );
    assert!(
        out.contains(&format!("from {base}/crates.io/all.zip (2 records")),
        "{out}"
    );
    let (out, _, _) = run(
        &["vuln", "match", "--package", "npm:tiny-template@1.0.0"],
        &db,
    );
    assert!(out.contains("KWT-NPM-0100"), "{out}");
    // A missing export is an error naming the URL; the database stays as it was.
    let (_, err, code) = run(
        &[
            "vuln",
            "db",
            "update",
            "--url",
            &base,
            "--ecosystem",
            "Red Hat",
        ],
        &db,
    );
    assert_eq!(code, 2);
    assert!(err.contains("/Red%20Hat/all.zip: HTTP 404"), "{err}");
    assert_eq!(
        server.join().unwrap(),
        vec!["/crates.io/all.zip", "/Red%20Hat/all.zip"]
    );
    assert!(db.join("osv.kwdb").is_file());
}

#[test]
fn scan_attaches_reports_to_workloads() {
    let tmp = tempfile::tempdir().unwrap();
    let manifest = tmp.path().join("app.yaml");
    std::fs::write(
        &manifest,
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      automountServiceAccountToken: false\n      containers:\n        - name: api\n          image: ghcr.io/acme/api:2.0\n          securityContext: {privileged: true}\n",
    )
    .unwrap();
    let report = tmp.path().join("trivy.json");
    std::fs::write(
        &report,
        json!({"SchemaVersion": 2, "ArtifactName": "ghcr.io/acme/api:2.0", "ArtifactType": "container_image",
               "Results": [{"Target": "ghcr.io/acme/api:2.0 (alpine 3.19.1)", "Class": "os-pkgs", "Type": "alpine",
                 "Vulnerabilities": [{"VulnerabilityID": "CVE-2099-6000", "PkgName": "libcrypto3",
                   "InstalledVersion": "3.1.4-r0", "FixedVersion": "3.1.4-r1", "Severity": "HIGH"}]}]})
        .to_string(),
    )
    .unwrap();
    let (out, err, code) = run(
        &[
            "scan",
            manifest.to_str().unwrap(),
            "--vuln-report",
            report.to_str().unwrap(),
            "--format",
            "json",
            "--no-config",
        ],
        tmp.path(),
    );
    assert_eq!(code, 1, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "KW-VULN-001")
        .unwrap_or_else(|| panic!("{out}"));
    assert_eq!(f["severity"], "critical");
    let msg = f["message"].as_str().unwrap();
    assert!(
        msg.contains("CVE-2099-6000 in libcrypto3 3.1.4-r0"),
        "{msg}"
    );
    assert!(
        msg.contains("Ranks first: the container is privileged (raised from high to critical)"),
        "{msg}"
    );
    // A report that is not one is a usage error before any work.
    std::fs::write(&report, "{}").unwrap();
    let (_, err, code) = run(
        &[
            "scan",
            manifest.to_str().unwrap(),
            "--vuln-report",
            report.to_str().unwrap(),
        ],
        tmp.path(),
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("not a Trivy JSON, Grype JSON or CycloneDX report"),
        "{err}"
    );
}
