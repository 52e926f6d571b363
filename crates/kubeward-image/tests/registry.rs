//! Inventory through a real registry (Debian `docker-registry`) started on loopback: images
//! built by the test, pushed through the distribution API (blob uploads, manifest PUT).

mod support;

use kubeward_image::{ImageRef, Options, Platform, RegistryOptions, Source, inventory};
use support::*;

fn src(reference: &str) -> Source {
    Source::Registry(ImageRef::parse(reference).unwrap())
}

#[test]
fn anonymous_pull_of_a_pushed_image() {
    let Some(reg) = start_registry(None) else {
        return;
    };
    let push = Pusher::new(&reg.addr, None);
    let img = sample_image(Compression::Gzip, Compression::Zstd);
    push.image("team/shop", "1.0", &img);
    let inv = inventory(
        &src(&format!("{}/team/shop:1.0", reg.addr)),
        &Options::default(),
    )
    .unwrap();
    check_sample(&inv);
    assert_eq!(inv.source.kind, "registry");
    assert_eq!(
        inv.source.manifest_digest.as_deref(),
        Some(img.manifest_digest().as_str())
    );
    assert_eq!(inv.layers[0].compression, "gzip");
    assert_eq!(inv.layers[1].compression, "zstd");
    assert_eq!(inv.layers[1].diff_id, img.diff_ids[1]);
    // By digest too.
    let by_digest = inventory(
        &src(&format!("{}/team/shop@{}", reg.addr, img.manifest_digest())),
        &Options::default(),
    )
    .unwrap();
    assert_eq!(by_digest.packages.len(), inv.packages.len());
    // Unknown tag: a clear error.
    let e = inventory(
        &src(&format!("{}/team/shop:nope", reg.addr)),
        &Options::default(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("HTTP 404"), "{e}");
}

#[test]
fn multi_arch_index_and_platform_choice() {
    let Some(reg) = start_registry(None) else {
        return;
    };
    let push = Pusher::new(&reg.addr, None);
    let amd = sample_image(Compression::Gzip, Compression::Gzip);
    let alpine = LayerBuilder::new()
        .file(
            "etc/os-release",
            b"ID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME=\"Alpine Linux v3.19\"\n",
        )
        .file("lib/apk/db/installed", APK_INSTALLED.as_bytes())
        .finish();
    let arm = Image::build(vec![(alpine, Compression::Gzip)], "arm64");
    for (img, tag) in [(&amd, "amd"), (&arm, "arm")] {
        push.image("multi", tag, img);
    }
    let index = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": amd.manifest_digest(), "size": amd.manifest.len(), "platform": {"os": "linux", "architecture": "amd64"}},
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": arm.manifest_digest(), "size": arm.manifest.len(), "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": amd.manifest_digest(), "size": amd.manifest.len(), "platform": {"os": "unknown", "architecture": "unknown"},
             "annotations": {"vnd.docker.reference.type": "attestation-manifest"}},
        ],
    }))
    .unwrap();
    push.manifest(
        "multi",
        "latest",
        "application/vnd.oci.image.index.v1+json",
        &index,
    );
    let r = format!("{}/multi:latest", reg.addr);
    let opts = |p: &str| Options {
        platform: Some(Platform::parse(p).unwrap()),
        ..Options::default()
    };
    let inv = inventory(&src(&r), &opts("linux/arm64")).unwrap();
    let os = inv.os.as_ref().unwrap();
    assert_eq!(os.osv_ecosystem, "Alpine:v3.19");
    assert_eq!(inv.source.platform, "linux/arm64");
    assert_eq!(
        inv.source.index_digest.as_deref(),
        Some(support::sha256(&index).as_str())
    );
    assert_eq!(
        inv.source.manifest_digest.as_deref(),
        Some(arm.manifest_digest().as_str())
    );
    let musl = inv.packages.iter().find(|p| p.name == "musl").unwrap();
    assert_eq!(
        (musl.osv_ecosystem.as_str(), musl.purl.as_str()),
        (
            "Alpine:v3.19",
            "pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=alpine-3.19.1"
        )
    );
    check_sample(&inventory(&src(&r), &opts("linux/amd64")).unwrap());
    let e = inventory(&src(&r), &opts("linux/s390x"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("no image for platform linux/s390x") && e.contains("linux/arm64/v8"),
        "{e}"
    );
}

#[test]
fn basic_auth_with_docker_config_credentials() {
    let Some(reg) = start_registry(Some(("ci", "s3cret"))) else {
        return;
    };
    let push = Pusher::new(&reg.addr, Some(("ci", "s3cret")));
    let img = sample_image(Compression::Gzip, Compression::None);
    push.image("private/shop", "v1", &img);
    let r = format!("{}/private/shop:v1", reg.addr);
    let dir = tempfile::tempdir().unwrap();
    // No credentials: a clear error.
    let empty = dir.path().join("empty.json");
    std::fs::write(&empty, "{}").unwrap();
    let mut opts = Options {
        registry: RegistryOptions {
            docker_config: Some(empty),
            ..Default::default()
        },
        ..Options::default()
    };
    let e = inventory(&src(&r), &opts).unwrap_err().to_string();
    assert!(
        e.contains("basic authentication") && e.contains("no credentials"),
        "{e}"
    );
    // Wrong password.
    let bad = dir.path().join("bad.json");
    let b64 = |s: &str| base64::Engine::encode(&base64::engine::general_purpose::STANDARD, s);
    std::fs::write(
        &bad,
        format!(
            r#"{{"auths":{{"{}":{{"auth":"{}"}}}}}}"#,
            reg.addr,
            b64("ci:wrong")
        ),
    )
    .unwrap();
    opts.registry.docker_config = Some(bad);
    let e = inventory(&src(&r), &opts).unwrap_err().to_string();
    assert!(e.contains("HTTP 401") && e.contains("rejected"), "{e}");
    // The right one, as `docker login` writes it.
    let good = dir.path().join("config.json");
    std::fs::write(
        &good,
        format!(
            r#"{{"auths":{{"http://{}":{{"auth":"{}"}}}}}}"#,
            reg.addr,
            b64("ci:s3cret")
        ),
    )
    .unwrap();
    opts.registry.docker_config = Some(good);
    check_sample(&inventory(&src(&r), &opts).unwrap());
}
