//! Every kubelet check through real discovery: from the configuration file, from flags that
//! override the file (both ways), and from defaults (with and without `--config`).

mod common;
use common::*;
use serde_json::{Value, json};

struct Case {
    rule: &'static str,
    path: &'static [&'static str],
    bad: Value,
    good: Value,
    flag_bad: &'static str,
    flag_good: &'static str,
}

fn cases() -> Vec<Case> {
    let c = |rule, path, bad, good, flag_bad, flag_good| Case {
        rule,
        path,
        bad,
        good,
        flag_bad,
        flag_good,
    };
    vec![
        c(
            "KW-NODE-101",
            &["authentication", "anonymous", "enabled"],
            json!(true),
            json!(false),
            "--anonymous-auth=true",
            "--anonymous-auth=false",
        ),
        c(
            "KW-NODE-102",
            &["authorization", "mode"],
            json!("AlwaysAllow"),
            json!("Webhook"),
            "--authorization-mode=AlwaysAllow",
            "--authorization-mode=Webhook",
        ),
        c(
            "KW-NODE-103",
            &["authentication", "x509", "clientCAFile"],
            json!(""),
            json!("/etc/kubernetes/pki/ca.crt"),
            "--client-ca-file=",
            "--client-ca-file=/etc/kubernetes/pki/ca.crt",
        ),
        c(
            "KW-NODE-104",
            &["readOnlyPort"],
            json!(10255),
            json!(0),
            "--read-only-port=10255",
            "--read-only-port=0",
        ),
        c(
            "KW-NODE-105",
            &["streamingConnectionIdleTimeout"],
            json!("0s"),
            json!("5m"),
            "--streaming-connection-idle-timeout=0",
            "--streaming-connection-idle-timeout=5m",
        ),
        c(
            "KW-NODE-106",
            &["protectKernelDefaults"],
            json!(false),
            json!(true),
            "--protect-kernel-defaults=false",
            "--protect-kernel-defaults=true",
        ),
        c(
            "KW-NODE-107",
            &["makeIPTablesUtilChains"],
            json!(false),
            json!(true),
            "--make-iptables-util-chains=false",
            "--make-iptables-util-chains=true",
        ),
        c(
            "KW-NODE-109",
            &["eventRecordQPS"],
            json!(0),
            json!(5),
            "--event-qps=0",
            "--event-qps=5",
        ),
        c(
            "KW-NODE-110",
            &["serverTLSBootstrap"],
            json!(false),
            json!(true),
            "--rotate-server-certificates=false",
            "--rotate-server-certificates=true",
        ),
        c(
            "KW-NODE-111",
            &["rotateCertificates"],
            json!(false),
            json!(true),
            "--rotate-certificates=false",
            "--rotate-certificates=true",
        ),
        c(
            "KW-NODE-112",
            &["featureGates", "RotateKubeletServerCertificate"],
            json!(false),
            json!(true),
            "--feature-gates=RotateKubeletServerCertificate=false",
            "--feature-gates=RotateKubeletServerCertificate=true",
        ),
        c(
            "KW-NODE-113",
            &["tlsCipherSuites"],
            json!(["TLS_RSA_WITH_AES_128_CBC_SHA"]),
            json!(["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"]),
            "--tls-cipher-suites=TLS_RSA_WITH_AES_128_CBC_SHA",
            "--tls-cipher-suites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        ),
        c(
            "KW-NODE-114",
            &["seccompDefault"],
            json!(false),
            json!(true),
            "--seccomp-default=false",
            "--seccomp-default=true",
        ),
    ]
}

/// The secure configuration with `path` set to `value`, as pretty JSON (one value per line).
fn config(path: &[&str], value: &Value) -> String {
    let docs = kubeward_core::yaml::load_stream(SECURE_KUBELET, &Default::default());
    let mut v = docs[0].result.as_ref().unwrap().as_ref().unwrap().to_json();
    let mut cur = &mut v;
    for (i, p) in path.iter().enumerate() {
        if i + 1 == path.len() {
            cur[*p] = value.clone();
        } else {
            if cur.get(*p).is_none() {
                cur[*p] = json!({});
            }
            cur = cur.get_mut(*p).unwrap();
        }
    }
    serde_json::to_string_pretty(&v).unwrap()
}

fn node(cfg: &str, flags: &[&str]) -> Root {
    let r = Root::new();
    r.file("/var/lib/kubelet/config.json", cfg, 0o600);
    let mut argv = vec!["/usr/bin/kubelet", "--config=/var/lib/kubelet/config.json"];
    argv.extend_from_slice(flags);
    r.process(100, &argv);
    r
}

#[test]
fn from_the_file() {
    for c in cases() {
        let (_, f) = node(&config(c.path, &c.bad), &[]).scan();
        let hits = fails(&f, c.rule);
        assert_eq!(
            hits.len(),
            1,
            "{}: {:?}",
            c.rule,
            f.iter()
                .filter(|x| x.rule.id == c.rule)
                .map(|x| &x.message)
                .collect::<Vec<_>>()
        );
        let (_, f) = node(&config(c.path, &c.good), &[]).scan();
        assert!(fails(&f, c.rule).is_empty(), "{} good", c.rule);
    }
}

#[test]
fn flags_override_the_file() {
    for c in cases() {
        let (_, f) = node(&config(c.path, &c.good), &[c.flag_bad]).scan();
        let hits = fails(&f, c.rule);
        assert_eq!(hits.len(), 1, "{} flag bad", c.rule);
        if c.rule != "KW-NODE-110" {
            // (110 points at tlsCertFile, which the flag does not set.)
            assert!(
                hits[0].message.contains("/proc/100/cmdline"),
                "{}: {}",
                c.rule,
                hits[0].message
            );
        }
        let (_, f) = node(&config(c.path, &c.bad), &[c.flag_good]).scan();
        assert!(
            fails(&f, c.rule).is_empty(),
            "{} flag good over bad file",
            c.rule
        );
    }
    // Hostname override exists only as a flag.
    let (_, f) = node(
        &config(&["readOnlyPort"], &json!(0)),
        &["--hostname-override=other"],
    )
    .scan();
    assert!(
        fails(&f, "KW-NODE-108")[0]
            .message
            .contains("--hostname-override=other")
    );
    let (_, f) = node(&config(&["readOnlyPort"], &json!(0)), &[]).scan();
    assert!(f.iter().all(|x| x.rule.id != "KW-NODE-108"));
}

#[test]
fn defaults_with_and_without_a_config_file() {
    // An empty configuration file: the v1beta1 defaults.
    let r = Root::new();
    r.file(
        "/var/lib/kubelet/config.yaml",
        "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n",
        0o600,
    )
    .process(7, &["kubelet", "--config", "/var/lib/kubelet/config.yaml"]);
    let (_, f) = r.scan();
    let fired = |f: &[kubeward_core::Finding]| {
        let mut v: Vec<&str> = f
            .iter()
            .filter(|x| {
                x.rule.id.starts_with("KW-NODE-1") && x.status == kubeward_core::Status::Fail
            })
            .map(|x| x.rule.id)
            .collect();
        v.sort();
        v.dedup();
        v
    };
    assert_eq!(
        fired(&f),
        vec![
            "KW-NODE-103",
            "KW-NODE-106",
            "KW-NODE-110",
            "KW-NODE-111",
            "KW-NODE-113",
            "KW-NODE-114"
        ]
    );
    let d = fails(&f, "KW-NODE-111");
    assert!(
        d[0].message
            .contains("default (KubeletConfiguration v1beta1)"),
        "{}",
        d[0].message
    );
    // No --config: the kubelet keeps its legacy flag defaults (anonymous, AlwaysAllow, 10255).
    let r = Root::new();
    r.process(
        7,
        &[
            "/usr/bin/kubelet",
            "--kubeconfig=/etc/kubernetes/kubelet.conf",
        ],
    );
    let (_, f) = r.scan();
    let got = fired(&f);
    for id in ["KW-NODE-101", "KW-NODE-102", "KW-NODE-104"] {
        assert!(got.contains(&id), "{id} in {got:?}");
    }
    assert!(
        fails(&f, "KW-NODE-104")[0]
            .message
            .contains("legacy flag default")
    );
}
