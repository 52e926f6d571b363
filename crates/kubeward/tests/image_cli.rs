//! `kubeward image inventory` end to end on an OCI layout written by the test.

use assert_cmd::Command;
use kubeward_image::sha256_digest as sha256;
use std::path::Path;

/// A ustar entry (header + data padded to 512 bytes).
fn entry(path: &str, data: &[u8]) -> Vec<u8> {
    let mut h = [0u8; 512];
    h[..path.len()].copy_from_slice(path.as_bytes());
    h[100..108].copy_from_slice(b"0000644\0");
    h[108..116].copy_from_slice(b"0000000\0");
    h[116..124].copy_from_slice(b"0000000\0");
    h[124..136].copy_from_slice(format!("{:011o}\0", data.len()).as_bytes());
    h[136..148].copy_from_slice(b"00000000000\0");
    h[156] = b'0';
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|&b| b as u32).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    let mut out = h.to_vec();
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(512) * 512, 0);
    out
}

fn layout(dir: &Path, corrupt: bool) {
    let mut tar = entry(
        "etc/os-release",
        b"ID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME=\"Alpine Linux v3.19\"\n",
    );
    tar.extend(entry(
        "lib/apk/db/installed",
        b"P:libcrypto3\nV:3.1.4-r5\nA:x86_64\no:openssl\n\nP:musl\nV:1.2.4-r2\nA:x86_64\no:musl\n",
    ));
    tar.extend([0u8; 1024]);
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    let put = |b: &[u8]| {
        let d = sha256(b);
        std::fs::write(blobs.join(&d[7..]), b).unwrap();
        d
    };
    let config = serde_json::to_vec(&serde_json::json!({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[sha256(&tar)]}})).unwrap();
    let layer = put(&tar);
    if corrupt {
        std::fs::write(blobs.join(&layer[7..]), b"not the layer").unwrap();
    }
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": put(&config), "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer, "size": tar.len()}],
    }))
    .unwrap();
    let index = serde_json::json!({"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":put(&manifest),"size":manifest.len(),"annotations":{"org.opencontainers.image.ref.name":"3.19"}}]});
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
}

#[test]
fn inventory_formats_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    layout(dir.path(), false);
    let arg = format!("{}:3.19", dir.path().display());
    let out = Command::cargo_bin("kubeward")
        .unwrap()
        .args(["image", "inventory", "--oci-layout", &arg])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["os"]["osv_ecosystem"], "Alpine:v3.19");
    let pk = v["packages"].as_array().unwrap();
    assert_eq!(pk.len(), 2);
    assert_eq!(pk[0]["name"], "libcrypto3");
    assert_eq!(pk[0]["source_name"], "openssl");
    assert_eq!(pk[0]["path"], "lib/apk/db/installed");
    for (fmt, needle) in [
        ("cyclonedx", "\"bomFormat\": \"CycloneDX\""),
        ("spdx-json", "SPDX-2.3"),
        ("text", "libcrypto3"),
    ] {
        let out = Command::cargo_bin("kubeward")
            .unwrap()
            .args(["image", "inventory", "--oci-layout", &arg, "--format", fmt])
            .output()
            .unwrap();
        assert!(out.status.success());
        assert!(
            String::from_utf8_lossy(&out.stdout).contains(needle),
            "{fmt}"
        );
    }
    let bad = tempfile::tempdir().unwrap();
    layout(bad.path(), true);
    let out = Command::cargo_bin("kubeward")
        .unwrap()
        .args(["image", "inventory", "--oci-layout"])
        .arg(bad.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("layer 1 of 1"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
