//! OSV records written here (never copied from the real database), imported from a folder and
//! from a zip export, matched per ecosystem.

use kubeward_vuln::db::{Database, SevSource};
use kubeward_vuln::import::import_paths;
use kubeward_vuln::{Level, PackageQuery};
use serde_json::json;
use std::io::Write;
use std::path::Path;

const V3_CRITICAL: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
const V3_MEDIUM: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N";

fn ecosystem_range(events: serde_json::Value) -> serde_json::Value {
    json!([{ "type": "ECOSYSTEM", "events": events }])
}

fn records() -> Vec<serde_json::Value> {
    vec![
        json!({
            "id": "KWT-DEB-0001", "modified": "2026-01-02T00:00:00Z",
            "upstream": ["CVE-2099-1001"], "summary": "openssl: test flaw",
            "severity": [{"type": "CVSS_V3", "score": V3_CRITICAL}],
            "affected": [
                {"package": {"ecosystem": "Debian:12", "name": "openssl"},
                 "ranges": ecosystem_range(json!([{"introduced": "0"}, {"fixed": "3.0.11-1~deb12u2"}]))},
                {"package": {"ecosystem": "Debian:11", "name": "openssl"},
                 "ranges": ecosystem_range(json!([{"introduced": "0"}, {"fixed": "1.1.1w-0+deb11u1"}]))}
            ],
            "references": [{"type": "WEB", "url": "https://example.test/w"}, {"type": "ADVISORY", "url": "https://example.test/a"}]
        }),
        json!({
            "id": "KWT-DEB-0002", "modified": "2026-01-02T00:00:00Z",
            "upstream": ["CVE-2099-1002"],
            "affected": [{"package": {"ecosystem": "Debian:12", "name": "glibc"},
                "ecosystem_specific": {"urgency": "unimportant"},
                "ranges": ecosystem_range(json!([{"introduced": "0"}]))}]
        }),
        json!({
            "id": "KWT-UBU-0001", "modified": "2026-01-02T00:00:00Z",
            "severity": [{"type": "Ubuntu", "score": "high"}],
            "affected": [{"package": {"ecosystem": "Ubuntu:22.04:LTS", "name": "curl"},
                "ranges": ecosystem_range(json!([{"introduced": "0"}, {"fixed": "7.81.0-1ubuntu1.15"}]))}]
        }),
        json!({
            "id": "KWT-APK-0001", "modified": "2026-01-02T00:00:00Z", "aliases": ["CVE-2099-2001"],
            "affected": [{"package": {"ecosystem": "Alpine:v3.19", "name": "openssl"},
                "ranges": ecosystem_range(json!([{"introduced": "0"}, {"fixed": "3.1.4-r1"}]))}]
        }),
        json!({
            "id": "KWT-WOLFI-0001", "modified": "2026-01-02T00:00:00Z",
            "affected": [{"package": {"ecosystem": "Wolfi", "name": "busybox"},
                "ranges": ecosystem_range(json!([{"introduced": "0"}, {"fixed": "1.36.1_p20240101-r0"}]))}]
        }),
        json!({
            "id": "KWT-RH-0001", "modified": "2026-01-02T00:00:00Z",
            "severity": [{"type": "CVSS_V3", "score": V3_MEDIUM}],
            "affected": [{"package": {"ecosystem": "Red Hat:enterprise_linux:9::appstream", "name": "openssl"},
                "ranges": ecosystem_range(json!([{"introduced": "0"}, {"fixed": "1:3.0.7-18.el9_2"}]))}]
        }),
        json!({
            "id": "KWT-ROCKY-0001", "modified": "2026-01-02T00:00:00Z",
            "affected": [{"package": {"ecosystem": "Rocky Linux:9", "name": "bash"},
                "ranges": ecosystem_range(json!([{"introduced": "0"}, {"fixed": "5.1.8-9.el9"}]))}]
        }),
        json!({
            "id": "KWT-NPM-0001", "modified": "2026-01-02T00:00:00Z", "aliases": ["CVE-2099-3001"],
            "database_specific": {"severity": "MODERATE"},
            "affected": [{"package": {"ecosystem": "npm", "name": "@acme/widget"},
                "ranges": [{"type": "SEMVER", "events": [{"introduced": "1.0.0"}, {"fixed": "1.4.2"}, {"introduced": "2.0.0-alpha.1"}, {"fixed": "2.1.0"}]}]}]
        }),
        json!({
            "id": "KWT-NPM-0002", "modified": "2026-01-02T00:00:00Z",
            "affected": [{"package": {"ecosystem": "npm", "name": "leftpad2"}, "versions": ["0.0.3", "0.0.4"]}]
        }),
        json!({
            "id": "KWT-CRATE-0001", "modified": "2026-01-02T00:00:00Z",
            "affected": [{"package": {"ecosystem": "crates.io", "name": "fastparse"},
                "ranges": [{"type": "SEMVER", "events": [{"introduced": "0.3.0"}, {"last_affected": "0.5.7"}]}]}]
        }),
        json!({
            "id": "KWT-GO-0001", "modified": "2026-01-02T00:00:00Z",
            "affected": [{"package": {"ecosystem": "Go", "name": "example.test/mod"},
                "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.2.4"}]}]}]
        }),
        json!({
            "id": "KWT-GO-0002", "modified": "2026-01-02T00:00:00Z",
            "affected": [{"package": {"ecosystem": "Go", "name": "example.test/old"},
                "ranges": [{"type": "SEMVER", "events": [{"introduced": "2.0.0"}, {"limit": "3.0.0"}]}]}]
        }),
        json!({
            "id": "KWT-PY-0001", "modified": "2026-01-02T00:00:00Z",
            "affected": [{"package": {"ecosystem": "PyPI", "name": "Foo_Bar"},
                "ranges": ecosystem_range(json!([{"introduced": "0"}, {"fixed": "2.0.0rc1"}]))}]
        }),
        json!({
            "id": "KWT-MVN-0001", "modified": "2026-01-02T00:00:00Z", "aliases": ["CVE-2099-4001"],
            "severity": [{"type": "CVSS_V3", "score": V3_CRITICAL}],
            "affected": [{"package": {"ecosystem": "Maven", "name": "org.example:logger-core"},
                "ranges": ecosystem_range(json!([{"introduced": "2.0-beta9"}, {"fixed": "2.15.0"}]))}]
        }),
        json!({
            "id": "KWT-WITHDRAWN-0001", "modified": "2026-01-02T00:00:00Z", "withdrawn": "2026-01-03T00:00:00Z",
            "affected": [{"package": {"ecosystem": "npm", "name": "leftpad2"}, "versions": ["0.0.3"]}]
        }),
    ]
}

fn write_dir(dir: &Path) {
    for r in records() {
        let id = r["id"].as_str().unwrap();
        std::fs::write(
            dir.join(format!("{id}.json")),
            serde_json::to_vec_pretty(&r).unwrap(),
        )
        .unwrap();
    }
}

fn write_zip(path: &Path) {
    let f = std::fs::File::create(path).unwrap();
    let mut z = zip::ZipWriter::new(f);
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for r in records() {
        z.start_file(format!("{}.json", r["id"].as_str().unwrap()), opts)
            .unwrap();
        z.write_all(&serde_json::to_vec(&r).unwrap()).unwrap();
    }
    z.finish().unwrap();
}

fn ids(db: &Database, q: &PackageQuery) -> Vec<String> {
    db.matches(q).matches.into_iter().map(|m| m.id).collect()
}

fn db_from_dir() -> Database {
    let dir = tempfile::tempdir().unwrap();
    write_dir(dir.path());
    let imported = import_paths(&[dir.path().to_path_buf()]).unwrap();
    assert!(imported.errors.is_empty(), "{:?}", imported.errors);
    imported.db
}

#[test]
fn debian_matches_by_source_package_and_release() {
    let db = db_from_dir();
    let q =
        PackageQuery::new("Debian:12", "libssl3", "3.0.11-1~deb12u1").with_source("openssl", None);
    let out = db.matches(&q);
    assert_eq!(out.matches.len(), 1, "{out:?}");
    let m = &out.matches[0];
    assert_eq!(m.id, "KWT-DEB-0001");
    assert_eq!(m.aliases, vec!["CVE-2099-1001"]);
    assert_eq!(m.package, "libssl3");
    assert_eq!(m.record_package, "openssl");
    assert_eq!(m.fixed.as_deref(), Some("3.0.11-1~deb12u2"));
    assert_eq!((m.severity, m.score), (Level::Critical, Some(9.8)));
    assert_eq!(m.severity_source, SevSource::CvssV3);
    assert_eq!(m.url, "https://example.test/a");
    // Fixed version, the other release, the binary name alone: nothing.
    let fixed =
        PackageQuery::new("Debian:12", "libssl3", "3.0.11-1~deb12u2").with_source("openssl", None);
    assert!(ids(&db, &fixed).is_empty());
    let newer =
        PackageQuery::new("Debian:12", "libssl3", "3.0.11-1+deb12u3").with_source("openssl", None);
    assert!(ids(&db, &newer).is_empty());
    let other_release =
        PackageQuery::new("Debian:13", "libssl3", "3.0.11-1~deb12u1").with_source("openssl", None);
    assert!(ids(&db, &other_release).is_empty());
    assert!(
        ids(
            &db,
            &PackageQuery::new("Debian:12", "libssl3", "3.0.11-1~deb12u1")
        )
        .is_empty()
    );
    // A binNMU binary: the source version decides.
    let binnmu = PackageQuery::new("Debian:12", "libssl3", "3.0.11-1~deb12u2+b1")
        .with_source("openssl", Some("3.0.11-1~deb12u1"));
    assert_eq!(ids(&db, &binnmu), vec!["KWT-DEB-0001"]);
    // Debian urgency as severity; unfixed (introduced 0 only) means no fix.
    let glibc =
        db.matches(&PackageQuery::new("Debian:12", "libc6", "2.36-9").with_source("glibc", None));
    assert_eq!(glibc.matches[0].severity, Level::Negligible);
    assert!(!glibc.matches[0].fix_available());
}

#[test]
fn ubuntu_alpine_wolfi_and_rpm_families() {
    let db = db_from_dir();
    let m = db.matches(&PackageQuery::new(
        "Ubuntu:22.04",
        "curl",
        "7.81.0-1ubuntu1.14",
    ));
    assert_eq!(m.matches[0].id, "KWT-UBU-0001");
    assert_eq!(m.matches[0].severity, Level::High);
    assert!(
        ids(
            &db,
            &PackageQuery::new("Ubuntu:22.04:LTS", "curl", "7.81.0-1ubuntu1.15")
        )
        .is_empty()
    );

    let apk =
        |v: &str| PackageQuery::new("Alpine:v3.19", "libssl3", v).with_source("openssl", None);
    assert_eq!(ids(&db, &apk("3.1.4-r0")), vec!["KWT-APK-0001"]);
    assert!(ids(&db, &apk("3.1.4-r1")).is_empty());
    assert!(ids(&db, &apk("3.1.4_p1-r0")).is_empty());
    assert_eq!(ids(&db, &apk("3.1.4_rc1-r5")), vec!["KWT-APK-0001"]);
    assert_eq!(
        ids(
            &db,
            &PackageQuery::new("Alpine:3.19.4", "libssl3", "3.1.3-r0").with_source("openssl", None)
        ),
        vec!["KWT-APK-0001"]
    );
    assert_eq!(
        ids(&db, &PackageQuery::new("Wolfi", "busybox", "1.36.1-r7")),
        vec!["KWT-WOLFI-0001"]
    );
    assert!(
        ids(
            &db,
            &PackageQuery::new("Wolfi", "busybox", "1.36.1_p20240101-r0")
        )
        .is_empty()
    );

    let rh =
        |v: &str| PackageQuery::new("Red Hat:9", "openssl-libs", v).with_source("openssl", None);
    let m = db.matches(&rh("1:3.0.7-17.el9"));
    assert_eq!(m.matches[0].id, "KWT-RH-0001");
    assert_eq!(
        (m.matches[0].severity, m.matches[0].score),
        (Level::Medium, Some(6.1))
    );
    assert!(ids(&db, &rh("1:3.0.7-18.el9_2")).is_empty());
    assert!(ids(&db, &rh("1:3.0.7-18.el9_2.1")).is_empty());
    // The epoch counts: without one the package is older than every 1: fix.
    assert_eq!(ids(&db, &rh("3.0.7-99.el9")), vec!["KWT-RH-0001"]);
    assert!(
        ids(
            &db,
            &PackageQuery::new("Red Hat:8", "openssl", "1:1.1.1k-1.el8")
        )
        .is_empty()
    );
    assert_eq!(
        ids(
            &db,
            &PackageQuery::new("Rocky Linux:9.3", "bash", "5.1.8-6.el9_1")
        ),
        vec!["KWT-ROCKY-0001"]
    );
}

#[test]
fn language_ecosystems() {
    let db = db_from_dir();
    let npm = |v: &str| ids(&db, &PackageQuery::new("npm", "@acme/widget", v));
    assert_eq!(npm("1.4.1"), vec!["KWT-NPM-0001"]);
    assert!(npm("1.4.2").is_empty());
    assert!(npm("0.9.0").is_empty());
    assert_eq!(npm("2.0.0-beta.1"), vec!["KWT-NPM-0001"]);
    assert!(npm("2.0.0-alpha.0").is_empty());
    let m = db.matches(&PackageQuery::new("npm", "@acme/widget", "2.0.5"));
    assert_eq!(m.matches[0].fixed.as_deref(), Some("2.1.0"));
    assert_eq!(m.matches[0].severity, Level::Medium);
    assert_eq!(m.matches[0].severity_source, SevSource::Label);
    // `versions` lists; the withdrawn record is not there.
    assert_eq!(
        ids(&db, &PackageQuery::new("npm", "leftpad2", "0.0.3")),
        vec!["KWT-NPM-0002"]
    );
    assert!(ids(&db, &PackageQuery::new("npm", "leftpad2", "0.0.5")).is_empty());

    let crate_ = |v: &str| ids(&db, &PackageQuery::new("crates.io", "fastparse", v));
    assert_eq!(crate_("0.5.7"), vec!["KWT-CRATE-0001"]);
    assert!(crate_("0.5.8").is_empty());
    let m = db.matches(&PackageQuery::new("crates.io", "fastparse", "0.4.0"));
    assert!(!m.matches[0].fix_available(), "last_affected gives no fix");

    let go = |name: &str, v: &str| ids(&db, &PackageQuery::new("Go", name, v));
    assert_eq!(go("example.test/mod", "v1.2.3"), vec!["KWT-GO-0001"]);
    assert_eq!(
        go("example.test/mod", "v1.2.4-0.20240101120000-abcdef123456"),
        vec!["KWT-GO-0001"]
    );
    assert!(go("example.test/mod", "v1.2.4").is_empty());
    assert_eq!(
        go("example.test/old", "v2.5.0+incompatible"),
        vec!["KWT-GO-0002"]
    );
    assert!(go("example.test/old", "v3.0.0+incompatible").is_empty());

    let py = |name: &str, v: &str| ids(&db, &PackageQuery::new("PyPI", name, v));
    assert_eq!(py("foo-bar", "2.0.0b3"), vec!["KWT-PY-0001"]);
    assert_eq!(py("FOO.BAR", "1.9"), vec!["KWT-PY-0001"]);
    assert!(py("foo-bar", "2.0.0rc1").is_empty());
    assert!(py("foo-bar", "2.0").is_empty());

    let mvn = |v: &str| {
        ids(
            &db,
            &PackageQuery::new("Maven", "org.example:logger-core", v),
        )
    };
    assert_eq!(mvn("2.14.1"), vec!["KWT-MVN-0001"]);
    assert_eq!(mvn("2.0"), vec!["KWT-MVN-0001"]);
    assert!(mvn("2.0-beta8").is_empty());
    assert!(mvn("2.15.0").is_empty());
    assert!(mvn("2.17.1").is_empty());
}

#[test]
fn zip_import_round_trips_through_the_index_file() {
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("all.zip");
    write_zip(&zip);
    let imported = import_paths(std::slice::from_ref(&zip)).unwrap();
    assert!(imported.errors.is_empty());
    let db = imported.db;
    assert_eq!(db.meta.records, 14);
    assert_eq!(db.meta.withdrawn, 1);
    assert!(db.meta.ecosystems.contains(&("Debian".to_string(), 2)));
    assert!(db.describe().contains("14 records"), "{}", db.describe());
    let store = dir.path().join("db");
    let path = db.save(&store).unwrap();
    assert!(path.ends_with("osv.kwdb"));
    let loaded = Database::load(&store).unwrap();
    assert_eq!(loaded.meta, db.meta);
    assert_eq!(loaded.all_vulns(), db.all_vulns());
    assert_eq!(loaded.vuln_count(), 14);
    assert_eq!(loaded.all_entries(), db.all_entries());
    assert_eq!(loaded.entry_count(), 15);
    let q = PackageQuery::new("Maven", "org.example:logger-core", "2.14.1");
    assert_eq!(loaded.matches(&q), db.matches(&q));
    // Corruption is an error, not a panic.
    let mut bytes = std::fs::read(&path).unwrap();
    let n = bytes.len();
    bytes.truncate(n / 2);
    assert!(Database::decode(&bytes).is_err());
    assert!(Database::decode(b"not a database").is_err());
    assert!(matches!(
        Database::decode(b"not a database"),
        Err(kubeward_vuln::DecodeError::NotADatabase)
    ));
    let e = Database::load(&dir.path().join("nowhere")).unwrap_err();
    assert!(e.to_string().contains("vuln db import"), "{e}");
    assert!(matches!(e, kubeward_vuln::DbError::Missing { .. }), "{e:?}");
}

#[test]
fn malformed_records_are_reported_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    write_dir(dir.path());
    std::fs::write(
        dir.path().join("broken.json"),
        "{\n  \"id\": \"X\",\n  \"affected\": 5\n}\n",
    )
    .unwrap();
    let imported = import_paths(&[dir.path().to_path_buf()]).unwrap();
    assert_eq!(imported.errors.len(), 1, "{:?}", imported.errors);
    assert!(
        imported.errors[0].contains("broken.json: line 3 column"),
        "{}",
        imported.errors[0]
    );
    assert_eq!(imported.db.meta.records, 14);
    let Err(e) = import_paths(&[dir.path().join("missing.zip")]) else {
        panic!("a missing file is an error")
    };
    assert!(
        matches!(&e, kubeward_vuln::ImportError::Io { path, .. } if path.ends_with("missing.zip")),
        "{e:?}"
    );
    let empty = tempfile::tempdir().unwrap();
    assert!(matches!(
        import_paths(&[empty.path().to_path_buf()]),
        Err(kubeward_vuln::ImportError::NoFiles { .. })
    ));
}
