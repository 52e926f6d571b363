//! A kubeadm control-plane node, secure and insecure, read through its systemd unit.

mod common;
use common::*;

#[test]
fn kubeadm_secure_node() {
    let r = kubeadm(true);
    let (scan, f) = r.scan();
    assert_eq!(scan.flavor, kubeward_node::Flavor::Kubeadm);
    assert_eq!(scan.version.as_deref(), Some("v1.33.1"));
    assert!(scan.kubelet.as_deref().unwrap().contains("kubelet.service"));
    let inv = &scan.loaded.inventory;
    for kind in [
        "KubeletConfiguration",
        "EncryptionConfiguration",
        "Policy",
        "AdmissionConfiguration",
        "ImagePolicyWebhookConfiguration",
        "HostFile",
    ] {
        assert!(inv.of_kind(kind).next().is_some(), "{kind} loaded");
    }
    assert_eq!(inv.of_kind("Pod").count(), 2);
    let kc = inv.of_kind("KubeletConfiguration").next().unwrap();
    let origins = kc.annotation("kubeward.io/origins").unwrap();
    assert!(
        origins.contains("/readOnlyPort\t/var/lib/kubelet/config.yaml:12"),
        "{origins}"
    );
    let flags = kc.annotation("kubeward.io/kubelet-flags").unwrap();
    assert!(
        flags.contains("kubeconfig=/etc/kubernetes/kubelet.conf"),
        "{flags}"
    );
    for id in (101..=114).map(|n| format!("KW-NODE-{n}")) {
        assert!(fails(&f, &id).is_empty(), "{id}: {:?}", fails(&f, &id));
    }
    for id in ["KW-NODE-201", "KW-NODE-203", "KW-NODE-204"] {
        assert!(
            fails(&f, id).is_empty(),
            "{id}: {:?}",
            fails(&f, id).iter().map(|f| &f.message).collect::<Vec<_>>()
        );
    }
    // Ownership: the etcd data folder is etcd's only when the test may chown.
    let running_as_root = std::fs::metadata(r.path())
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
        .unwrap_or(false);
    if running_as_root {
        assert!(
            fails(&f, "KW-NODE-202").is_empty(),
            "{:?}",
            fails(&f, "KW-NODE-202")
                .iter()
                .map(|f| &f.message)
                .collect::<Vec<_>>()
        );
    }
    assert!(fails(&f, "KW-CP-002").is_empty());
}

#[test]
fn kubeadm_insecure_node() {
    let r = kubeadm(false);
    let (scan, f) = r.scan();
    // /etc/default/kubelet's flags override the secure file.
    let ro = fails(&f, "KW-NODE-104");
    assert_eq!(ro.len(), 1);
    assert!(ro[0].message.contains("10255"), "{}", ro[0].message);
    assert!(
        ro[0]
            .message
            .contains("$KUBELET_EXTRA_ARGS set at /etc/default/kubelet:1"),
        "{}",
        ro[0].message
    );
    assert_eq!(fails(&f, "KW-NODE-101").len(), 1);
    // The reported line is the effective configuration's line with the origin comment.
    let inv = &scan.loaded.inventory;
    let kc = inv.object(ro[0].object.unwrap());
    let line = kc.span_of(&ro[0].pointer).line;
    let src = inv.source(kc.source);
    assert!(
        src.line(line)
            .unwrap()
            .contains("# flag --read-only-port=10255")
    );
    // Modes.
    let modes: Vec<&str> = fails(&f, "KW-NODE-201")
        .iter()
        .map(|f| f.message.as_str())
        .collect();
    assert!(
        modes
            .iter()
            .any(|m| m.contains("/etc/kubernetes/manifests/kube-apiserver.yaml has mode 0644")),
        "{modes:?}"
    );
    assert!(
        modes
            .iter()
            .any(|m| m.contains("/etc/kubernetes/pki/ca.key")),
        "{modes:?}"
    );
    assert!(
        modes
            .iter()
            .any(|m| m.contains("/var/lib/etcd has mode 0755")),
        "{modes:?}"
    );
    assert!(
        modes
            .iter()
            .any(|m| m.contains("/etc/kubernetes/admin.conf")),
        "{modes:?}"
    );
    let node: Vec<&str> = fails(&f, "KW-NODE-203")
        .iter()
        .map(|f| f.message.as_str())
        .collect();
    assert!(
        node.iter()
            .any(|m| m.contains("/var/lib/kubelet/config.yaml")),
        "{node:?}"
    );
    assert!(
        node.iter().any(|m| m.contains("10-kubeadm.conf")),
        "{node:?}"
    );
    // The static pod: the control-plane flag rule applies.
    assert_eq!(fails(&f, "KW-CP-002").len(), 1);
}

#[test]
fn unreadable_and_absent_files_are_unknown() {
    let r = Root::new();
    r.file("/etc/kubernetes/kubelet.conf", "x", 0o600).process(
        4242,
        &[
            "/usr/bin/kubelet",
            "--config=/var/lib/kubelet/config.yaml",
            "--kubeconfig=/etc/kubernetes/kubelet.conf",
            "--read-only-port=0",
        ],
    );
    let (scan, f) = r.scan();
    assert_eq!(scan.kubelet.as_deref(), Some("process 4242"));
    // The configuration file is absent: flags still count, the rest is unknown.
    assert!(fails(&f, "KW-NODE-104").is_empty());
    for id in ["KW-NODE-101", "KW-NODE-102", "KW-NODE-103", "KW-NODE-111"] {
        let u = unknowns(&f, id);
        assert_eq!(u.len(), 1, "{id}");
        assert!(
            u[0].message.contains("/var/lib/kubelet/config.yaml"),
            "{}",
            u[0].message
        );
        assert!(fails(&f, id).is_empty());
    }
    let u = unknowns(&f, "KW-NODE-203");
    assert!(
        u.iter().any(|u| u.message.contains("absent")),
        "{:?}",
        u.iter().map(|f| &f.message).collect::<Vec<_>>()
    );
}
