//! k3s and RKE2 nodes, secure and insecure.

mod common;
use common::*;

fn k3s(secure: bool) -> Root {
    let r = Root::new();
    let config = if secure {
        "protect-kernel-defaults: true\nsecrets-encryption: true\nkube-apiserver-arg:\n  - \"anonymous-auth=false\"\nkubelet-arg:\n  - \"streaming-connection-idle-timeout=5m\"\n  - \"rotate-certificates=true\"\n  - \"tls-cipher-suites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256\"\n  - \"seccomp-default=true\"\n"
    } else {
        "kube-apiserver-arg:\n  - \"anonymous-auth=true\"\nkubelet-arg:\n  - \"anonymous-auth=true\"\n  - \"read-only-port=10255\"\n  - \"authorization-mode=AlwaysAllow\"\n"
    };
    r.file("/etc/hostname", "k3s1\n", 0o644)
        .file("/etc/passwd", PASSWD, 0o644)
        .file("/etc/group", GROUP, 0o644)
        .file(
            "/etc/systemd/system/k3s.service",
            "[Unit]\nDescription=Lightweight Kubernetes\n[Service]\nType=notify\nEnvironmentFile=-/etc/systemd/system/k3s.service.env\nExecStart=/usr/local/bin/k3s \\\n    server \\\n\n",
            0o600,
        )
        .file("/etc/rancher/k3s/config.yaml", config, 0o600)
        .file("/etc/rancher/k3s/k3s.yaml", "apiVersion: v1\nkind: Config\n", if secure { 0o600 } else { 0o644 })
        .file("/var/lib/rancher/k3s/agent/client-ca.crt", "x", 0o600)
        .file("/var/lib/rancher/k3s/agent/kubelet.kubeconfig", "x", 0o600)
        .file("/var/lib/rancher/k3s/agent/kubeproxy.kubeconfig", "x", 0o600)
        .file("/var/lib/rancher/k3s/server/tls/server-ca.crt", "x", 0o600)
        .file("/var/lib/rancher/k3s/server/tls/server-ca.key", "x", 0o600)
        .dir("/var/lib/rancher/k3s/server/db/etcd", 0o700);
    if secure {
        r.file(
            "/var/lib/rancher/k3s/server/cred/encryption-config.json",
            "{\"kind\":\"EncryptionConfiguration\",\"apiVersion\":\"apiserver.config.k8s.io/v1\",\"resources\":[{\"resources\":[\"secrets\"],\"providers\":[{\"aescbc\":{\"keys\":[{\"name\":\"aescbckey\",\"secret\":\"c2VjcmV0\"}]}},{\"identity\":{}}]}]}\n",
            0o600,
        );
    }
    r
}

#[test]
fn k3s_secure_node() {
    let (scan, f) = k3s(true).scan();
    assert_eq!(scan.flavor, kubeward_node::Flavor::K3s);
    assert!(
        scan.kubelet.as_deref().unwrap().contains("k3s server"),
        "{:?}",
        scan.kubelet
    );
    for id in (101..=114).map(|n| format!("KW-NODE-{n}")) {
        assert!(
            fails(&f, &id).is_empty(),
            "{id}: {:?}",
            fails(&f, &id)
                .iter()
                .map(|f| &f.message)
                .collect::<Vec<_>>()
        );
    }
    let inv = &scan.loaded.inventory;
    let kc = inv.of_kind("KubeletConfiguration").next().unwrap();
    let origins = kc.annotation("kubeward.io/origins").unwrap();
    assert!(
        origins.contains("/readOnlyPort\tflag --read-only-port=0 (set by k3s itself)"),
        "{origins}"
    );
    assert!(origins.contains("/seccompDefault\tflag --seccomp-default=true (--kubelet-arg at /etc/rancher/k3s/config.yaml:"), "{origins}");
    // The k3s server stands for the API server; --secrets-encryption loads the config.
    assert!(inv.of_kind("EncryptionConfiguration").next().is_some());
    assert!(fails(&f, "KW-CP-002").is_empty());
    assert!(
        fails(&f, "KW-NODE-201").is_empty(),
        "{:?}",
        fails(&f, "KW-NODE-201")
            .iter()
            .map(|f| &f.message)
            .collect::<Vec<_>>()
    );
}

#[test]
fn k3s_insecure_node() {
    let (_, f) = k3s(false).scan();
    let anon = fails(&f, "KW-NODE-101");
    assert_eq!(anon.len(), 1);
    assert!(
        anon[0]
            .message
            .contains("--kubelet-arg at /etc/rancher/k3s/config.yaml:4"),
        "{}",
        anon[0].message
    );
    assert_eq!(fails(&f, "KW-NODE-104").len(), 1);
    assert_eq!(fails(&f, "KW-NODE-102").len(), 1);
    // API server flags through the k3s server pod.
    let cp = fails(&f, "KW-CP-002");
    assert_eq!(cp.len(), 1, "{:?}", cp);
    let m: Vec<&str> = fails(&f, "KW-NODE-201")
        .iter()
        .map(|f| f.message.as_str())
        .collect();
    assert!(
        m.iter()
            .any(|m| m.contains("/etc/rancher/k3s/k3s.yaml has mode 0644")),
        "{m:?}"
    );
}

fn rke2(secure: bool) -> Root {
    let r = Root::new();
    let kubelet = "/var/lib/rancher/rke2/data/v1.31.4-rke2r1-1a2b/bin/kubelet";
    let mut argv = vec![
        kubelet,
        "--config-dir=/var/lib/rancher/rke2/agent/etc/kubelet.conf.d",
        "--kubeconfig=/var/lib/rancher/rke2/agent/kubelet.kubeconfig",
        "--client-ca-file=/var/lib/rancher/rke2/agent/client-ca.crt",
        "--tls-cert-file=/var/lib/rancher/rke2/agent/serving-kubelet.crt",
        "--tls-private-key-file=/var/lib/rancher/rke2/agent/serving-kubelet.key",
    ];
    if !secure {
        argv.extend([
            "--read-only-port=10255",
            "--authorization-mode=AlwaysAllow",
            "--hostname-override=rke2-node",
        ]);
    }
    r.file("/etc/hostname", "rke2a\n", 0o644)
        .file("/etc/rancher/rke2/config.yaml", "profile: cis\n", 0o600)
        .file(
            "/var/lib/rancher/rke2/agent/etc/kubelet.conf.d/00-rke2-defaults.conf",
            "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nauthentication:\n  anonymous:\n    enabled: false\nauthorization:\n  mode: Webhook\nreadOnlyPort: 0\nrotateCertificates: true\nseccompDefault: true\nprotectKernelDefaults: true\ntlsCipherSuites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]\nstaticPodPath: /var/lib/rancher/rke2/agent/pod-manifests\n",
            0o600,
        )
        .file("/var/lib/rancher/rke2/agent/kubelet.kubeconfig", "x", 0o600)
        .file("/var/lib/rancher/rke2/agent/client-ca.crt", "x", 0o600)
        .file(
            "/var/lib/rancher/rke2/agent/pod-manifests/kube-apiserver.yaml",
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-apiserver\n  namespace: kube-system\nspec:\n  containers:\n  - name: kube-apiserver\n    image: index.docker.io/rancher/hardened-kubernetes:v1.31.4-rke2r1-build20250101\n    command: [kube-apiserver]\n    args:\n    - --anonymous-auth=false\n    - --authorization-mode=Node,RBAC\n",
            if secure { 0o600 } else { 0o644 },
        )
        .process(731, &argv);
    r
}

#[test]
fn rke2_secure_node() {
    let (scan, f) = rke2(true).scan();
    assert_eq!(scan.flavor, kubeward_node::Flavor::Rke2);
    assert_eq!(
        scan.version.as_deref(),
        Some("v1.31.4-rke2r1-build20250101")
    );
    for id in (101..=114).map(|n| format!("KW-NODE-{n}")) {
        assert!(
            fails(&f, &id).is_empty(),
            "{id}: {:?}",
            fails(&f, &id)
                .iter()
                .map(|f| &f.message)
                .collect::<Vec<_>>()
        );
    }
    let kc = scan
        .loaded
        .inventory
        .of_kind("KubeletConfiguration")
        .next()
        .unwrap();
    let origins = kc.annotation("kubeward.io/origins").unwrap();
    assert!(origins.contains("/readOnlyPort\t/var/lib/rancher/rke2/agent/etc/kubelet.conf.d/00-rke2-defaults.conf:8 (drop-in)"), "{origins}");
    assert_eq!(scan.loaded.inventory.of_kind("Pod").count(), 1);
}

#[test]
fn rke2_insecure_node() {
    let (_, f) = rke2(false).scan();
    let ro = fails(&f, "KW-NODE-104");
    assert_eq!(ro.len(), 1);
    assert!(
        ro[0].message.contains("/proc/731/cmdline"),
        "{}",
        ro[0].message
    );
    // Kubernetes 1.31: CIS 1.11 numbering.
    assert!(
        ro[0]
            .references
            .contains(&("cis", "4.2.4 (cis-1.11)".to_string()))
    );
    assert_eq!(fails(&f, "KW-NODE-102").len(), 1);
    let h = fails(&f, "KW-NODE-108");
    assert!(
        h[0].message.contains("rke2-node")
            && h[0]
                .references
                .contains(&("cis", "4.2.7 (cis-1.11)".to_string()))
    );
    let m: Vec<&str> = fails(&f, "KW-NODE-201")
        .iter()
        .map(|f| f.message.as_str())
        .collect();
    assert!(
        m.iter()
            .any(|m| m.contains("pod-manifests/kube-apiserver.yaml has mode 0644")),
        "{m:?}"
    );
}
