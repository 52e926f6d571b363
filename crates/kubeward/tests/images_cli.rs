//! `scan --images` end to end: a real registry (Debian `docker-registry`) on loopback, an image
//! built and pushed by the test, OSV records written by the test, and the exposure ranking of
//! the workload that runs the image.

#[path = "../../kubeward-image/tests/support/mod.rs"]
mod support;

use assert_cmd::Command;
use serde_json::{Value, json};
use support::{Compression, Pusher, sample_image, start_registry};

fn kubeward() -> Command {
    let mut c = Command::cargo_bin("kubeward").unwrap();
    c.env("NO_COLOR", "1").env_remove("KUBEWARD_VULN_DB");
    c
}

#[test]
fn scan_images_matches_what_the_workloads_run_and_ranks_by_exposure() {
    let Some(reg) = start_registry(None) else {
        return;
    };
    Pusher::new(&reg.addr, None).image(
        "team/shop",
        "1.0",
        &sample_image(Compression::Gzip, Compression::Zstd),
    );
    let dir = tempfile::tempdir().unwrap();
    // An advisory on the source package of the image's libssl3 (3.0.11-1~deb12u2).
    let osv = dir.path().join("osv");
    std::fs::create_dir(&osv).unwrap();
    let record = json!({
        "id": "KWT-DEB-9001", "modified": "2026-11-01T00:00:00Z",
        "upstream": ["CVE-2099-9001"], "summary": "openssl: test flaw",
        "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
        "affected": [{"package": {"ecosystem": "Debian:12", "name": "openssl"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.0.15-1~deb12u1"}]}]}]
    });
    std::fs::write(osv.join("KWT-DEB-9001.json"), record.to_string()).unwrap();
    let db = dir.path().join("db");
    kubeward()
        .args(["vuln", "db", "import", "--vuln-db"])
        .arg(&db)
        .arg(&osv)
        .assert()
        .success();
    let manifest = dir.path().join("app.yaml");
    std::fs::write(
        &manifest,
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: shop, namespace: web}}\n\
             spec:\n  selector: {{matchLabels: {{app: shop}}}}\n  template:\n    metadata: {{labels: {{app: shop}}}}\n\
             \x20   spec:\n      containers:\n      - name: shop\n        image: {a}/team/shop:1.0\n\
             \x20       securityContext: {{privileged: true}}\n      - name: gone\n        image: {a}/team/missing:2.0\n",
            a = reg.addr
        ),
    )
    .unwrap();
    let cache = dir.path().join("cache");
    let scan = || {
        let out = kubeward()
            .args([
                "scan",
                "--no-config",
                "-f",
                "json",
                "--fail-on",
                "none",
                "--images",
            ])
            .arg("--vuln-db")
            .arg(&db)
            .arg("--image-cache")
            .arg(&cache)
            .arg(&manifest)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(out.status.code(), Some(0), "{err}");
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        (v, err)
    };
    let (v, err) = scan();
    assert!(
        err.contains("images: 1 of 2 read (0 from the cache)"),
        "{err}"
    );
    let findings = v["findings"].as_array().unwrap();
    let vuln: Vec<&Value> = findings
        .iter()
        .filter(|f| f["rule_id"] == "KW-VULN-001")
        .collect();
    assert_eq!(vuln.len(), 1, "{findings:#?}");
    let m = vuln[0]["message"].as_str().unwrap();
    for part in [
        "KWT-DEB-9001",
        "CVE-2099-9001",
        "libssl3",
        "3.0.15-1~deb12u1",
        "privileged",
    ] {
        assert!(m.contains(part), "{part} not in {m}");
    }
    assert_eq!(vuln[0]["severity"], "critical", "{m}");
    assert_eq!(
        vuln[0]["location"]["pointer"],
        "/spec/template/spec/containers/0/image"
    );
    // The image that is not in the registry: UNKNOWN, with the reason.
    let unknown: Vec<&Value> = findings
        .iter()
        .filter(|f| f["rule_id"] == "KW-VULN-003")
        .collect();
    assert_eq!(unknown.len(), 1, "{findings:#?}");
    assert_eq!(unknown[0]["status"], "unknown");
    let m = unknown[0]["message"].as_str().unwrap();
    assert!(
        m.contains("team/missing:2.0") && m.contains("could not be read"),
        "{m}"
    );
    // Second scan: the image's contents come from the cache (only the manifest is fetched),
    // and the report is the same.
    let (again, err) = scan();
    assert!(err.contains("(1 from the cache)"), "{err}");
    assert_eq!(again["findings"], v["findings"]);
    // Without the database: a usage error that says what to do.
    let out = kubeward()
        .args(["scan", "--no-config", "--images", "--vuln-db"])
        .arg(dir.path().join("no-db"))
        .arg(&manifest)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("vulnerability database"));
}
