//! `kubeward node` on a fake kubeadm control-plane root built here: discovery (processes,
//! units, configuration, manifests, file facts) and the rules over what it found.
//!
//! `cargo bench -p kubeward-node --bench node`

use criterion::{Criterion, criterion_group, criterion_main};
use kubeward_core::Registry;
use kubeward_core::config::Config;
use kubeward_core::engine::Engine;
use kubeward_node::{NodeOptions, scan};
use std::hint::black_box;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

fn write(root: &Path, p: &str, text: &str, mode: u32) {
    let f = root.join(p.trim_start_matches('/'));
    std::fs::create_dir_all(f.parent().unwrap()).unwrap();
    std::fs::write(&f, text).unwrap();
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn static_pod(component: &str, flags: usize) -> String {
    let mut y = format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {component}\n  namespace: kube-system\nspec:\n  hostNetwork: true\n  containers:\n  - name: {component}\n    image: registry.k8s.io/{component}:v1.33.1\n    command:\n    - {component}\n"
    );
    for i in 0..flags {
        y.push_str(&format!("    - --flag-{i}=value-{i}\n"));
    }
    y
}

/// A kubeadm control plane: 4 static pods, a kubelet unit with drop-in and environment
/// files, a configuration file, 200 processes (one of them the kubelet), 24 PKI files, 4
/// kubeconfigs.
fn fake_root() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    write(r, "/etc/hostname", "cp1\n", 0o644);
    write(
        r,
        "/etc/passwd",
        "root:x:0:0::/root:/bin/sh\netcd:x:998:998::/:/bin/false\n",
        0o644,
    );
    write(r, "/etc/group", "root:x:0:\netcd:x:998:\n", 0o644);
    for (c, n) in [
        ("kube-apiserver", 40),
        ("kube-controller-manager", 20),
        ("kube-scheduler", 6),
        ("etcd", 20),
    ] {
        write(
            r,
            &format!("/etc/kubernetes/manifests/{c}.yaml"),
            &static_pod(c, n),
            0o600,
        );
    }
    write(
        r,
        "/etc/systemd/system/kubelet.service.d/10-kubeadm.conf",
        "[Service]\nEnvironment=\"KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml\"\nEnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env\nEnvironmentFile=-/etc/default/kubelet\nExecStart=\nExecStart=/usr/bin/kubelet $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS\n",
        0o600,
    );
    write(
        r,
        "/lib/systemd/system/kubelet.service",
        "[Service]\nExecStart=/usr/bin/kubelet\n",
        0o644,
    );
    write(
        r,
        "/var/lib/kubelet/kubeadm-flags.env",
        "KUBELET_KUBEADM_ARGS=\"--container-runtime-endpoint=unix:///run/containerd/containerd.sock\"\n",
        0o644,
    );
    write(
        r,
        "/etc/default/kubelet",
        "KUBELET_EXTRA_ARGS=--read-only-port=0\n",
        0o644,
    );
    write(
        r,
        "/var/lib/kubelet/config.yaml",
        "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nauthentication:\n  anonymous:\n    enabled: false\n  webhook:\n    enabled: true\n  x509:\n    clientCAFile: /etc/kubernetes/pki/ca.crt\nauthorization:\n  mode: Webhook\nrotateCertificates: true\nserverTLSBootstrap: true\nstaticPodPath: /etc/kubernetes/manifests\n",
        0o600,
    );
    for k in [
        "admin",
        "super-admin",
        "scheduler",
        "controller-manager",
        "kubelet",
    ] {
        write(
            r,
            &format!("/etc/kubernetes/{k}.conf"),
            "apiVersion: v1\nkind: Config\n",
            0o600,
        );
    }
    for i in 0..12 {
        write(r, &format!("/etc/kubernetes/pki/c{i}.crt"), "x", 0o644);
        write(r, &format!("/etc/kubernetes/pki/c{i}.key"), "x", 0o600);
    }
    for pid in 1..=200u32 {
        let argv = if pid == 150 {
            "/usr/bin/kubelet\0--config=/var/lib/kubelet/config.yaml\0--kubeconfig=/etc/kubernetes/kubelet.conf\0".to_string()
        } else {
            format!("/usr/sbin/daemon-{pid}\0--option\0{pid}\0")
        };
        write(r, &format!("/proc/{pid}/cmdline"), &argv, 0o444);
    }
    d
}

fn bench(c: &mut Criterion) {
    let root = fake_root();
    let opts = NodeOptions {
        root: root.path().to_path_buf(),
        version: None,
    };
    let mut reg = Registry::new();
    reg.extend(kubeward_rules::rules());
    let config = Config::default();
    c.bench_function("node discovery (kubeadm control plane)", |b| {
        b.iter(|| black_box(scan(&opts).loaded.inventory.len()))
    });
    c.bench_function("node discovery + rules", |b| {
        b.iter(|| {
            let s = scan(&opts);
            let out = Engine {
                registry: &reg,
                config: &config,
            }
            .run(&s.loaded.inventory, &s.loaded.duplicates, None);
            black_box(out.findings.len())
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
