//! `verify` against a real etcd on loopback with TLS and client certificates.

mod support;

use etcd_client::PutOptions;
use kubeward_etcd::{Options, verify};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_counts_every_format_by_namespace() {
    let Some(bin) = support::etcd_binary() else {
        return;
    };
    let _ = rustls::crypto::ring::default_provider().install_default();
    let etcd = support::start(&bin);
    let mut c = etcd.client().await;
    let secrets: &[(&str, &str, &str)] = &[
        ("default", "pb1", "protobuf"),
        ("default", "pb2", "protobuf"),
        ("default", "js", "json"),
        ("apps", "cbc", "k8s:enc:aescbc:v1:key1:"),
        ("apps", "cbc-old", "k8s:enc:aescbc:v1:key0:"),
        ("apps", "gcm", "k8s:enc:aesgcm:v1:gcmkey:"),
        ("prod", "sb1", "k8s:enc:secretbox:v1:box:"),
        ("prod", "sb2", "k8s:enc:secretbox:v1:box:"),
        ("prod", "kms", "k8s:enc:kms:v2:vault:"),
        ("prod", "kms1", "k8s:enc:kms:v1:legacy:"),
    ];
    for (ns, name, kind) in secrets {
        c.put(
            format!("/registry/secrets/{ns}/{name}"),
            support::value(kind, 64),
            None,
        )
        .await
        .unwrap();
    }
    // A large value: received whole (etcd cannot return part of it) and truncated at once.
    c.put(
        "/registry/secrets/prod/big",
        support::value("k8s:enc:kms:v2:vault:", 1_000_000),
        Some(PutOptions::new()),
    )
    .await
    .unwrap();
    c.put(
        "/registry/configmaps/default/cm",
        support::value("protobuf", 10),
        None,
    )
    .await
    .unwrap();
    // Neighbouring keys that must not be counted.
    c.put(
        "/registry/secretsx/default/a",
        support::value("protobuf", 1),
        None,
    )
    .await
    .unwrap();
    c.put(
        "/registry/serviceaccounts/default/a",
        support::value("protobuf", 1),
        None,
    )
    .await
    .unwrap();

    // Small pages and batches so that paging and batching are exercised.
    let opts = Options {
        page: 3,
        batch: 2,
        ..etcd.options()
    };
    let r = verify(&opts).await.unwrap();
    assert!(r.revision > 0);
    let s = &r.resources[0];
    assert_eq!(s.key_prefix, "/registry/secrets/");
    assert_eq!(s.counts.total, 11);
    assert_eq!(
        (
            s.counts.plaintext_protobuf,
            s.counts.plaintext_json,
            s.counts.unknown
        ),
        (2, 1, 0)
    );
    let enc: Vec<(&str, u64)> = s
        .counts
        .encrypted
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    assert_eq!(
        enc,
        [
            ("aescbc:v1:key0", 1),
            ("aescbc:v1:key1", 1),
            ("aesgcm:v1:gcmkey", 1),
            ("kms:v1:legacy", 1),
            ("kms:v2:vault", 2),
            ("secretbox:v1:box", 2),
        ]
    );
    assert_eq!(s.namespaces["default"].plaintext(), 3);
    assert_eq!(s.namespaces["prod"].encrypted["kms:v2:vault"], 2);
    assert_eq!(r.resources[1].counts.plaintext_protobuf, 1);

    let f = kubeward_etcd::findings(&r);
    let ids: Vec<&str> = f.iter().map(|f| f.rule.id).collect();
    assert_eq!(ids, ["KW-CP-151", "KW-CP-153", "KW-CP-154", "KW-CP-152"]);
    assert!(f[0].message.contains("3 of 11 secrets"), "{}", f[0].message);
    // Counts and names only, never a value.
    let json = serde_json::to_string(&r).unwrap();
    assert!(!json.contains("password") && !f.iter().any(|f| f.message.contains("password")));

    // Same answer with the default page and batch sizes.
    assert_eq!(
        verify(&etcd.options()).await.unwrap().resources,
        r.resources
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_certificate_is_required_and_sent() {
    let Some(bin) = support::etcd_binary() else {
        return;
    };
    let _ = rustls::crypto::ring::default_provider().install_default();
    let etcd = support::start(&bin);
    let _ = etcd.client().await;
    let no_cert = Options {
        cert: None,
        key: None,
        timeout: std::time::Duration::from_secs(3),
        ..etcd.options()
    };
    assert!(
        verify(&no_cert).await.is_err(),
        "etcd accepted a client without a certificate"
    );
    let r = verify(&etcd.options()).await.unwrap();
    assert!(r.resources.iter().all(|r| r.counts.total == 0));
    let f = kubeward_etcd::findings(&r);
    assert!(
        f.iter()
            .all(|f| f.rule.id == "KW-CP-155" && f.status == kubeward_core::Status::Unknown)
    );
}
