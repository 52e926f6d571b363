//! Fake node roots built by the tests: files with the modes the test sets, and `/proc`
//! entries whose `cmdline` holds a process's arguments.

#![allow(dead_code)]

use kubeward_core::config::Config;
use kubeward_core::engine::Engine;
use kubeward_core::{Finding, Registry, Status};
use kubeward_node::{NodeOptions, NodeScan};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

pub struct Root {
    pub dir: tempfile::TempDir,
}

impl Root {
    pub fn new() -> Root {
        Root {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    fn at(&self, p: &str) -> PathBuf {
        self.dir.path().join(p.trim_start_matches('/'))
    }

    /// Writes a file with `mode`.
    pub fn file(&self, p: &str, text: &str, mode: u32) -> &Self {
        let f = self.at(p);
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(&f, text).unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(mode)).unwrap();
        self
    }

    pub fn dir(&self, p: &str, mode: u32) -> &Self {
        let f = self.at(p);
        std::fs::create_dir_all(&f).unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(mode)).unwrap();
        self
    }

    /// A running process: `ROOT/proc/PID/cmdline`.
    pub fn process(&self, pid: u32, argv: &[&str]) -> &Self {
        let mut raw = argv.join("\0");
        raw.push('\0');
        self.file(&format!("/proc/{pid}/cmdline"), &raw, 0o444)
    }

    /// Owner change; false when the test does not run as root.
    pub fn chown(&self, p: &str, uid: u32, gid: u32) -> bool {
        std::os::unix::fs::chown(self.at(p), Some(uid), Some(gid)).is_ok()
    }

    pub fn scan(&self) -> (NodeScan, Vec<Finding>) {
        let scan = kubeward_node::scan(&NodeOptions {
            root: self.path().to_path_buf(),
            version: None,
        });
        let mut reg = Registry::new();
        reg.extend(kubeward_rules::rules());
        let config = Config::default();
        let out = Engine {
            registry: &reg,
            config: &config,
        }
        .run(&scan.loaded.inventory, &scan.loaded.duplicates, None);
        (scan, out.findings)
    }
}

/// Failed findings of `rule`.
pub fn fails<'a>(f: &'a [Finding], rule: &str) -> Vec<&'a Finding> {
    f.iter()
        .filter(|f| f.rule.id == rule && f.status == Status::Fail)
        .collect()
}

pub fn unknowns<'a>(f: &'a [Finding], rule: &str) -> Vec<&'a Finding> {
    f.iter()
        .filter(|f| f.rule.id == rule && f.status == Status::Unknown)
        .collect()
}

pub const PASSWD: &str =
    "root:x:0:0:root:/root:/bin/bash\netcd:x:998:998::/var/lib/etcd:/usr/sbin/nologin\n";
pub const GROUP: &str = "root:x:0:\netcd:x:998:\n";

/// A kubelet configuration with every checked setting secure.
pub const SECURE_KUBELET: &str = "apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: true
  x509:
    clientCAFile: /etc/kubernetes/pki/ca.crt
authorization:
  mode: Webhook
readOnlyPort: 0
streamingConnectionIdleTimeout: 5m
protectKernelDefaults: true
makeIPTablesUtilChains: true
eventRecordQPS: 5
rotateCertificates: true
serverTLSBootstrap: true
tlsCipherSuites:
- TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
- TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
seccompDefault: true
staticPodPath: /etc/kubernetes/manifests
";

/// A kubeadm static pod.
pub fn static_pod(component: &str, flags: &[&str]) -> String {
    let mut y = format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {component}\n  namespace: kube-system\nspec:\n  hostNetwork: true\n  containers:\n  - name: {component}\n    image: registry.k8s.io/{component}:v1.33.1\n    command:\n    - {component}\n"
    );
    for f in flags {
        y.push_str(&format!("    - {f}\n"));
    }
    y
}

pub const KUBEADM_DROPIN: &str = "[Service]
Environment=\"KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf\"
Environment=\"KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml\"
EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env
EnvironmentFile=-/etc/default/kubelet
ExecStart=
ExecStart=/usr/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS
";

/// A kubeadm control-plane node; `secure` picks good or bad settings and modes.
pub fn kubeadm(secure: bool) -> Root {
    let r = Root::new();
    let m = if secure { 0o600 } else { 0o644 };
    r.file("/etc/hostname", "cp1\n", 0o644)
        .file("/etc/passwd", PASSWD, 0o644)
        .file("/etc/group", GROUP, 0o644)
        .file("/lib/systemd/system/kubelet.service", "[Service]\nExecStart=/usr/bin/kubelet\n", m)
        .file("/etc/systemd/system/kubelet.service.d/10-kubeadm.conf", KUBEADM_DROPIN, m)
        .file(
            "/var/lib/kubelet/kubeadm-flags.env",
            "KUBELET_KUBEADM_ARGS=\"--container-runtime-endpoint=unix:///run/containerd/containerd.sock --pod-infra-container-image=registry.k8s.io/pause:3.10\"\n",
            0o644,
        )
        .file(
            "/etc/default/kubelet",
            if secure {
                "KUBELET_EXTRA_ARGS=\n"
            } else {
                "KUBELET_EXTRA_ARGS=--read-only-port=10255 --anonymous-auth=true\n"
            },
            0o644,
        )
        .file("/var/lib/kubelet/config.yaml", SECURE_KUBELET, m)
        .file("/etc/kubernetes/kubelet.conf", "apiVersion: v1\nkind: Config\n", m)
        .file("/etc/kubernetes/admin.conf", "apiVersion: v1\nkind: Config\n", if secure { 0o600 } else { 0o644 })
        .file("/etc/kubernetes/scheduler.conf", "apiVersion: v1\nkind: Config\n", 0o600)
        .file("/etc/kubernetes/controller-manager.conf", "apiVersion: v1\nkind: Config\n", 0o600)
        .file("/etc/kubernetes/pki/ca.crt", "-----BEGIN CERTIFICATE-----\n", 0o600)
        .file("/etc/kubernetes/pki/ca.key", "-----BEGIN PRIVATE KEY-----\n", if secure { 0o600 } else { 0o644 })
        .file("/etc/kubernetes/pki/etcd/ca.crt", "-----BEGIN CERTIFICATE-----\n", 0o600)
        .file("/etc/kubernetes/pki/etcd/ca.key", "-----BEGIN PRIVATE KEY-----\n", 0o600)
        .dir("/var/lib/etcd", if secure { 0o700 } else { 0o755 })
        .file(
            "/etc/kubernetes/enc/enc.yaml",
            "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers:\n  - secretbox:\n      keys:\n      - name: k1\n        secret: c2VjcmV0IGlzIHNlY3JldCBpcyBzZWNyZXQgaXMgc2VjcmV0IQ==\n  - identity: {}\n",
            0o600,
        )
        .file(
            "/etc/kubernetes/audit/policy.yaml",
            "apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n- level: Metadata\n",
            0o600,
        )
        .file(
            "/etc/kubernetes/admission/admission.yaml",
            "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n- name: ImagePolicyWebhook\n  path: imagepolicy.yaml\n",
            0o600,
        )
        .file(
            "/etc/kubernetes/admission/imagepolicy.yaml",
            "imagePolicy:\n  kubeConfigFile: /etc/kubernetes/admission/webhook.kubeconfig\n  allowTTL: 50\n  denyTTL: 50\n  retryBackoff: 500\n  defaultAllow: false\n",
            0o600,
        );
    let anon = if secure {
        "--anonymous-auth=false"
    } else {
        "--anonymous-auth=true"
    };
    r.file(
        "/etc/kubernetes/manifests/kube-apiserver.yaml",
        &static_pod(
            "kube-apiserver",
            &[
                anon,
                "--authorization-mode=Node,RBAC",
                "--encryption-provider-config=/etc/kubernetes/enc/enc.yaml",
                "--audit-policy-file=/etc/kubernetes/audit/policy.yaml",
                "--admission-control-config-file=/etc/kubernetes/admission/admission.yaml",
                "--enable-admission-plugins=NodeRestriction,ImagePolicyWebhook",
            ],
        ),
        m,
    )
    .file(
        "/etc/kubernetes/manifests/etcd.yaml",
        &static_pod(
            "etcd",
            &["--data-dir=/var/lib/etcd", "--client-cert-auth=true"],
        ),
        m,
    );
    if secure {
        r.chown("/var/lib/etcd", 998, 998);
    }
    r
}
