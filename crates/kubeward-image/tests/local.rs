//! Inventory from `docker save` archives (legacy and Docker 25+ layouts) and OCI layout
//! directories, the output formats, and hostile input.

mod support;

use kubeward_image::{Options, PackageKind, Source, inventory, output};
use support::*;

fn oci(dir: &std::path::Path, tag: Option<&str>) -> Source {
    Source::OciLayout {
        path: dir.to_path_buf(),
        tag: tag.map(str::to_string),
    }
}

#[test]
fn oci_layout_with_gzip_and_zstd_layers() {
    let dir = tempfile::tempdir().unwrap();
    let img = sample_image(Compression::Zstd, Compression::Gzip);
    img.write_oci_layout(dir.path(), "1.0");
    let inv = inventory(&oci(dir.path(), None), &Options::default()).unwrap();
    check_sample(&inv);
    assert_eq!(inv.layers[0].compression, "zstd");
    let tagged = inventory(&oci(dir.path(), Some("1.0")), &Options::default()).unwrap();
    assert_eq!(tagged.packages.len(), inv.packages.len());
    let e = inventory(&oci(dir.path(), Some("2.0")), &Options::default()).unwrap_err();
    assert!(
        e.to_string().contains("no image tagged `2.0` (tags: 1.0)"),
        "{e}"
    );
    // The JSON output is deterministic.
    let again = inventory(&oci(dir.path(), None), &Options::default()).unwrap();
    assert_eq!(output::json(&inv), output::json(&again));
}

#[test]
fn docker_save_archives_legacy_and_oci() {
    let dir = tempfile::tempdir().unwrap();
    let img = sample_image(Compression::None, Compression::None);
    for legacy in [true, false] {
        let f = dir.path().join(format!("save-{legacy}.tar"));
        img.write_docker_archive(&f, "shop:1.0", legacy);
        let inv = inventory(
            &Source::Archive {
                path: f.clone(),
                tag: None,
            },
            &Options::default(),
        )
        .unwrap();
        check_sample(&inv);
        assert_eq!(inv.source.kind, "docker-archive");
        assert_eq!(inv.source.config_digest, sha256(&img.config));
        // Legacy layers have no blob digest: the diff ID stands for them.
        assert_eq!(inv.layers[1].digest, img.diff_ids[1]);
        let e = inventory(
            &Source::Archive {
                path: f,
                tag: Some("2.0".into()),
            },
            &Options::default(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("no image tagged `2.0`"), "{e}");
    }
}

#[test]
fn a_missing_archive_is_an_io_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing.tar");
    let e = inventory(
        &Source::Archive {
            path: path.clone(),
            tag: None,
        },
        &Options::default(),
    )
    .unwrap_err();
    match &e {
        kubeward_image::Error::Io { path: p, source } => {
            assert_eq!(p, &path);
            assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
        }
        other => panic!("expected an I/O error, got {other:?}"),
    }
    assert!(
        e.to_string().starts_with(&path.display().to_string()),
        "{e}"
    );
}

#[test]
fn cyclonedx_and_spdx_documents() {
    let dir = tempfile::tempdir().unwrap();
    sample_image(Compression::Gzip, Compression::Gzip).write_oci_layout(dir.path(), "x");
    let inv = inventory(&oci(dir.path(), None), &Options::default()).unwrap();
    let cdx: serde_json::Value = serde_json::from_str(&output::cyclonedx::render(&inv)).unwrap();
    assert_eq!(cdx["bomFormat"], "CycloneDX");
    assert_eq!(cdx["specVersion"], "1.5");
    assert!(
        cdx["serialNumber"]
            .as_str()
            .unwrap()
            .starts_with("urn:uuid:")
    );
    assert_eq!(cdx["metadata"]["component"]["type"], "container");
    let comps = cdx["components"].as_array().unwrap();
    assert_eq!(comps[0]["type"], "operating-system");
    assert_eq!(comps.len(), inv.packages.len() + 1);
    let refs: std::collections::HashSet<&str> = comps
        .iter()
        .map(|c| c["bom-ref"].as_str().unwrap())
        .collect();
    assert_eq!(refs.len(), comps.len(), "bom-refs are unique");
    let ct = comps.iter().find(|c| c["name"] == "commons-text").unwrap();
    assert_eq!(ct["group"], "org.apache.commons");
    assert_eq!(ct["purl"], "pkg:maven/org.apache.commons/commons-text@1.9");
    let spdx: serde_json::Value = serde_json::from_str(&output::spdx::render(&inv)).unwrap();
    assert_eq!(spdx["spdxVersion"], "SPDX-2.3");
    assert_eq!(
        spdx["packages"].as_array().unwrap().len(),
        inv.packages.len() + 1
    );
    assert_eq!(
        spdx["relationships"].as_array().unwrap().len(),
        inv.packages.len() + 1
    );
    let text = output::text(&inv);
    assert!(
        text.contains("os: Debian GNU/Linux 12 (bookworm) (Debian:12)"),
        "{text}"
    );
}

#[test]
fn rpm_sqlite_go_pointer_format_opaque_whiteout() {
    let rpmdb = rpmdb_sqlite(&[
        rpm_header(
            &[
                (1000, "openssl-libs"),
                (1001, "3.0.7"),
                (1002, "25.el9_3"),
                (1022, "x86_64"),
                (1044, "openssl-3.0.7-25.el9_3.src.rpm"),
            ],
            Some(1),
        ),
        rpm_header(
            &[
                (1000, "bash"),
                (1001, "5.1.8"),
                (1002, "6.el9_1"),
                (1022, "x86_64"),
                (1044, "bash-5.1.8-6.el9_1.src.rpm"),
            ],
            None,
        ),
        rpm_header(
            &[(1000, "gpg-pubkey"), (1001, "fd431d51"), (1002, "4ae0493b")],
            None,
        ),
        vec![0, 0, 0, 9],
    ]);
    let l1 = LayerBuilder::new()
        .file("etc/os-release", b"NAME=\"Rocky Linux\"\nID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"9.3\"\n")
        .file("var/lib/rpm/rpmdb.sqlite", &rpmdb)
        .file("opt/old/status/x.dist-info/METADATA", &dist_info("gone", "1.0"))
        .file_mode("usr/bin/legacy-go", &go_binary_pointers("go1.16.15", GO_MODINFO), 0o755)
        .finish();
    // An opaque whiteout hides lower children of opt/old, not this layer's own files.
    let l2 = LayerBuilder::new()
        .file("opt/old/new.dist-info/METADATA", &dist_info("fresh", "2.0"))
        .opaque("opt/old")
        .finish();
    let dir = tempfile::tempdir().unwrap();
    Image::build(
        vec![(l1, Compression::Gzip), (l2, Compression::Gzip)],
        "amd64",
    )
    .write_oci_layout(dir.path(), "r");
    let inv = inventory(&oci(dir.path(), None), &Options::default()).unwrap();
    let os = inv.os.as_ref().unwrap();
    assert_eq!(os.osv_ecosystem, "Rocky Linux:9");
    let ssl = inv
        .packages
        .iter()
        .find(|p| p.name == "openssl-libs")
        .unwrap();
    assert_eq!(ssl.version, "1:3.0.7-25.el9_3");
    assert_eq!(ssl.source_name.as_deref(), Some("openssl"));
    assert_eq!(
        ssl.purl,
        "pkg:rpm/rocky/openssl-libs@3.0.7-25.el9_3?arch=x86_64&epoch=1&distro=rocky-9.3&upstream=openssl"
    );
    assert_eq!(ssl.osv_ecosystem, "Rocky Linux:9");
    assert!(
        inv.packages
            .iter()
            .any(|p| p.name == "bash" && p.version == "5.1.8-6.el9_1")
    );
    assert!(inv.packages.iter().all(|p| p.name != "gpg-pubkey"));
    // The broken header is reported, not dropped silently.
    assert!(
        inv.unknown
            .iter()
            .any(|u| u.path == "var/lib/rpm/rpmdb.sqlite" && u.reason.contains("header")),
        "{:?}",
        inv.unknown
    );
    let std = inv
        .packages
        .iter()
        .find(|p| p.kind == PackageKind::GoStdlib)
        .unwrap();
    assert_eq!(std.version, "1.16.15");
    assert!(
        inv.packages
            .iter()
            .any(|p| p.name == "golang.org/x/net" && p.version == "0.17.0")
    );
    assert!(inv.packages.iter().any(|p| p.name == "fresh"));
    assert!(
        inv.packages.iter().all(|p| p.name != "gone"),
        "opaque whiteout ignored"
    );
}

#[test]
fn distroless_status_d_and_berkeley_rpmdb_unknown() {
    let l = LayerBuilder::new()
        .file(
            "etc/os-release",
            b"PRETTY_NAME=\"Distroless\"\nID=debian\nVERSION_ID=\"12\"\n",
        )
        .file(
            "var/lib/dpkg/status.d/libc6",
            b"Package: libc6\nVersion: 2.36-9+deb12u4\nArchitecture: amd64\nSource: glibc\n",
        )
        .file("var/lib/dpkg/status.d/libc6.md5sums", b"abc  lib/x\n")
        .file("var/lib/rpm/Packages", &[0u8; 100])
        .finish();
    let dir = tempfile::tempdir().unwrap();
    Image::build(vec![(l, Compression::Gzip)], "amd64").write_oci_layout(dir.path(), "d");
    let inv = inventory(&oci(dir.path(), None), &Options::default()).unwrap();
    assert!(inv.os.as_ref().unwrap().distroless);
    assert_eq!(inv.packages.len(), 1);
    assert_eq!(inv.packages[0].source_name.as_deref(), Some("glibc"));
    assert_eq!(inv.unknown.len(), 1);
    assert!(inv.unknown[0].reason.contains("BerkeleyDB"));
}

/// Writes a one-layer layout whose layer blob is `blob` (declared with `digest`, `size`).
fn layout_with_blob(dir: &std::path::Path, blob: &[u8], digest: &str, size: usize, diff_id: &str) {
    let config = serde_json::to_vec(&serde_json::json!({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[diff_id]}})).unwrap();
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha256(&config), "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": digest, "size": size}],
    }))
    .unwrap();
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    std::fs::write(blobs.join(&sha256(&config)[7..]), &config).unwrap();
    std::fs::write(blobs.join(&sha256(&manifest)[7..]), &manifest).unwrap();
    std::fs::write(blobs.join(&digest[7..]), blob).unwrap();
    let index = serde_json::json!({"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":sha256(&manifest),"size":manifest.len()}]});
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
}

fn hostile(blob: &[u8], digest: Option<&str>, size: Option<usize>, diff_id: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let d = digest.map(str::to_string).unwrap_or_else(|| sha256(blob));
    layout_with_blob(dir.path(), blob, &d, size.unwrap_or(blob.len()), diff_id);
    inventory(&oci(dir.path(), None), &Options::default())
        .unwrap_err()
        .to_string()
}

/// A raw tar header (bypassing the tar crate's path checks).
fn raw_entry(path: &str, declared: u64, data: &[u8]) -> Vec<u8> {
    let mut h = tar::Header::new_ustar();
    h.as_old_mut().name[..path.len()].copy_from_slice(path.as_bytes());
    h.set_size(declared);
    h.set_mode(0o644);
    h.set_entry_type(tar::EntryType::Regular);
    h.set_cksum();
    let mut out = h.as_bytes().to_vec();
    out.extend_from_slice(data);
    while !out.len().is_multiple_of(512) {
        out.push(0);
    }
    out
}

#[test]
fn hostile_layers_give_clear_errors() {
    let tar = LayerBuilder::new()
        .file("etc/os-release", b"ID=debian\n")
        .file("var/lib/dpkg/status", DPKG_STATUS.as_bytes())
        .finish();
    let gz = compress(&tar, Compression::Gzip);
    let diff = sha256(&tar);
    // Truncated gzip stream (digest and size of the truncated blob, so only the content is wrong).
    let cut = &gz[..gz.len() / 2];
    let e = hostile(cut, None, None, &diff);
    assert!(
        e.contains("layer 1 of 1") && (e.contains("truncated") || e.contains("unexpected end")),
        "{e}"
    );
    // Content that does not match its digest.
    let mut bad = gz.clone();
    let n = bad.len();
    bad[n - 8] ^= 0xff; // the gzip CRC: the stream itself says it is corrupt
    let e = hostile(&bad, Some(&sha256(&gz)), None, &diff);
    assert!(e.contains("layer 1 of 1") && e.contains("checksum"), "{e}");
    let e = hostile(&gz, Some(&sha256(b"other")), None, &diff);
    assert!(e.contains("digest mismatch"), "{e}");
    // More bytes than the descriptor declares.
    let e = hostile(&gz, None, Some(10), &diff);
    assert!(e.contains("declares"), "{e}");
    // Diff ID mismatch.
    let e = hostile(&gz, None, None, &sha256(b"x"));
    assert!(e.contains("diff ID"), "{e}");
    // Path traversal.
    let mut t = raw_entry("../../etc/passwd", 4, b"root");
    t.extend_from_slice(&[0; 1024]);
    let e = hostile(&compress(&t, Compression::Gzip), None, None, &sha256(&t));
    assert!(e.contains("escapes the image root"), "{e}");
    // A huge declared entry size with little data behind it.
    let mut t = raw_entry("var/lib/dpkg/status", 1 << 40, b"Package: x\n");
    t.extend_from_slice(&[0; 1024]);
    let e = hostile(&compress(&t, Compression::Gzip), None, None, &sha256(&t));
    assert!(e.contains("layer 1 of 1"), "{e}");
    assert!(
        e.contains("truncated") || e.contains("unexpected") || e.contains("larger"),
        "{e}"
    );
    // A truncated plain tar.
    let e = hostile(&tar[..700], None, None, &diff);
    assert!(e.contains("layer 1 of 1"), "{e}");
    // A bare `.wh.`.
    let t = LayerBuilder::new().file("etc/.wh.", b"").finish();
    let e = hostile(&compress(&t, Compression::Gzip), None, None, &sha256(&t));
    assert!(e.contains("whiteout without a name"), "{e}");
    // Not a layout at all.
    let dir = tempfile::tempdir().unwrap();
    let e = inventory(&oci(dir.path(), None), &Options::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("no index.json"), "{e}");
}
