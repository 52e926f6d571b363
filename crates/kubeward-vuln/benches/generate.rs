//! Generated OSV records and package queries for the benchmarks (shared by `benches/vuln.rs`
//! and `examples/figures.rs`).

use kubeward_vuln::PackageQuery;
use serde_json::json;
use std::io::Write;
use std::path::Path;

pub const ECOS: [&str; 8] = [
    "Debian:12",
    "Ubuntu:22.04:LTS",
    "Alpine:v3.19",
    "npm",
    "PyPI",
    "Go",
    "Maven",
    "crates.io",
];

/// A version in the ecosystem's usual shape.
pub fn version(eco: &str, minor: usize, patch: usize) -> String {
    match eco {
        "Debian:12" => format!("1.{minor}.{patch}-1+deb12u1"),
        "Ubuntu:22.04:LTS" | "Ubuntu:22.04" => format!("1.{minor}.{patch}-0ubuntu0.22.04.1"),
        "Alpine:v3.19" => format!("1.{minor}.{patch}-r0"),
        "Go" => format!("v1.{minor}.{patch}"),
        _ => format!("1.{minor}.{patch}"),
    }
}

pub fn record(i: usize) -> serde_json::Value {
    let eco = ECOS[i % ECOS.len()];
    let name = match eco {
        "Maven" => format!("org.example{}:artifact", (i / 8) % 5000),
        "Go" => format!("example.test/mod{}", (i / 8) % 5000),
        _ => format!("pkg{}", (i / 8) % 5000),
    };
    let m = i % 10;
    let kind = if matches!(eco, "npm" | "Go" | "crates.io") {
        "SEMVER"
    } else {
        "ECOSYSTEM"
    };
    let ev = |v: String| {
        if eco == "Go" {
            v.trim_start_matches('v').to_string()
        } else {
            v
        }
    };
    let mut r = json!({
        "id": format!("GEN-{i:07}"),
        "modified": "2026-01-01T00:00:00Z",
        "aliases": [format!("CVE-2099-{i}")],
        "summary": format!("generated record {i}"),
        "affected": [{
            "package": {"ecosystem": eco, "name": name},
            "ranges": [{"type": kind, "events": [
                {"introduced": ev(version(eco, m, 0))},
                {"fixed": ev(version(eco, m + 1, 0))}
            ]}]
        }],
        "references": [{"type": "ADVISORY", "url": format!("https://example.test/GEN-{i}")}]
    });
    if i.is_multiple_of(2) {
        r["severity"] =
            json!([{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:N"}]);
    } else {
        r["database_specific"] = json!({"severity": "HIGH"});
    }
    r
}

pub fn write_zip(path: &Path, n: usize) {
    let f = std::fs::File::create(path).unwrap();
    let mut z = zip::ZipWriter::new(std::io::BufWriter::new(f));
    let o = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for i in 0..n {
        z.start_file(format!("GEN-{i:07}.json"), o).unwrap();
        z.write_all(record(i).to_string().as_bytes()).unwrap();
    }
    z.finish().unwrap();
}

pub fn queries(n: usize) -> Vec<PackageQuery> {
    (0..n)
        .map(|j| {
            let eco = ECOS[j % ECOS.len()];
            let id = j % 6000; // names 5000..5999 are in no record
            let name = match eco {
                "Maven" => format!("org.example{id}:artifact"),
                "Go" => format!("example.test/mod{id}"),
                _ => format!("pkg{id}"),
            };
            let q_eco = if eco == "Ubuntu:22.04:LTS" {
                "Ubuntu:22.04"
            } else {
                eco
            };
            PackageQuery::new(q_eco, &name, &version(q_eco, j % 12, 3))
        })
        .collect()
}
