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
    assert_eq!(e.http_status(), Some(404), "{e:?}");
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
    let e = inventory(&src(&r), &opts).unwrap_err();
    assert!(
        matches!(&e, kubeward_image::Error::Status { status: 401, hint, .. } if hint.contains("rejected")),
        "{e:?}"
    );
    let e = e.to_string();
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

/// Signs registry tokens (ES256 JWTs with the issuer certificate in `x5c`), as a token
/// service does for Docker's token authentication.
struct Issuer {
    key: ring::signature::EcdsaKeyPair,
    cert_der: Vec<u8>,
    cert_pem: String,
}

impl Issuer {
    fn new() -> Issuer {
        use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .unwrap();
        let kp = rcgen::KeyPair::try_from(pkcs8.as_ref()).unwrap();
        let mut params =
            rcgen::CertificateParams::new(vec!["kubeward-token-issuer".to_string()]).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::DigitalSignature,
            rcgen::KeyUsagePurpose::KeyCertSign,
        ];
        let cert = params.self_signed(&kp).unwrap();
        Issuer {
            key,
            cert_der: cert.der().to_vec(),
            cert_pem: cert.pem(),
        }
    }

    fn token(&self, repo: &str, actions: &[&str]) -> String {
        use base64::Engine;
        let url = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let std = base64::engine::general_purpose::STANDARD;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let header =
            serde_json::json!({"typ": "JWT", "alg": "ES256", "x5c": [std.encode(&self.cert_der)]});
        let claims = serde_json::json!({
            "iss": "kubeward-test-issuer", "sub": "ci", "aud": "kubeward-registry",
            "exp": now + 600, "nbf": now - 60, "iat": now - 60, "jti": format!("{now}-{repo}"),
            "access": [{"type": "repository", "name": repo, "actions": actions}],
        });
        let msg = format!(
            "{}.{}",
            url.encode(header.to_string()),
            url.encode(claims.to_string())
        );
        let sig = self
            .key
            .sign(&ring::rand::SystemRandom::new(), msg.as_bytes())
            .unwrap();
        format!("{msg}.{}", url.encode(sig.as_ref()))
    }
}

#[test]
fn bearer_token_flow() {
    use std::io::{BufRead, BufReader, Write};
    let issuer = std::sync::Arc::new(Issuer::new());
    // The token service: answers GET /token?service=..&scope=.. with a pull token for the
    // scope's repository, and records each request line.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let realm = format!("http://{}/token", listener.local_addr().unwrap());
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    {
        let (issuer, seen) = (issuer.clone(), seen.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming().take(20) {
                let Ok(mut s) = conn else { continue };
                let mut r = BufReader::new(s.try_clone().unwrap());
                let mut line = String::new();
                r.read_line(&mut line).unwrap();
                loop {
                    let mut h = String::new();
                    if r.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                        break;
                    }
                }
                seen.lock().unwrap().push(line.clone());
                let scope = line
                    .split(['?', '&', ' '])
                    .find_map(|p| p.strip_prefix("scope="))
                    .unwrap_or("");
                let scope = scope.replace("%3A", ":").replace("%2F", "/");
                let repo = scope.split(':').nth(1).unwrap_or("").to_string();
                let body =
                    serde_json::json!({"token": issuer.token(&repo, &["pull"]), "expires_in": 600})
                        .to_string();
                let _ = write!(
                    s,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
    }
    let Some(reg) = start_registry_with(Some(Auth::Token {
        realm: realm.clone(),
        service: "kubeward-registry".into(),
        issuer: "kubeward-test-issuer".into(),
        cert_pem: issuer.cert_pem.clone(),
    })) else {
        return;
    };
    let mut push = Pusher::new(&reg.addr, None);
    push.auth = Some(format!(
        "Bearer {}",
        issuer.token("tok/shop", &["pull", "push"])
    ));
    let img = sample_image(Compression::Gzip, Compression::Gzip);
    push.image("tok/shop", "1", &img);
    let inv = inventory(
        &src(&format!("{}/tok/shop:1", reg.addr)),
        &Options::default(),
    )
    .unwrap();
    check_sample(&inv);
    let seen = seen.lock().unwrap();
    assert!(!seen.is_empty(), "the token service was not asked");
    assert!(
        seen[0].contains("service=kubeward-registry")
            && seen[0].contains("scope=repository%3Atok%2Fshop%3Apull"),
        "{}",
        seen[0]
    );
}
