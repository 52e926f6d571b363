//! `kubeward node`: what one Kubernetes node runs and how, read from its filesystem.
//!
//! Given a root (`/` on the node, or a mounted node filesystem with its `/proc`), discovery
//! finds the layout (kubeadm, k3s, RKE2, EKS, GKE, AKS), the kubelet's command line (running
//! process, systemd unit with drop-ins and environment files, or the k3s / RKE2 configuration
//! that becomes flags), its configuration file and drop-ins, static pod manifests, the files
//! the API server names (EncryptionConfiguration, audit policy, admission configuration and the
//! ImagePolicyWebhook configuration), kube-proxy's configuration, and the modes and owners of
//! the files the CIS benchmark names.
//!
//! Everything becomes located objects in one inventory, so the rules that check manifests and
//! clusters check the node too:
//! - the effective `KubeletConfiguration` (values carry their origin; defaults are marked);
//! - static pod manifests as `Pod`s (the control-plane flag rules apply), a k3s server as a
//!   `Pod` whose command is the server's;
//! - configuration files as themselves;
//! - `HostFile` facts for modes and owners.
//!
//! Nothing is executed and nothing is written; private keys are `stat`ed, never read.

pub mod cmdline;
mod files;
pub mod kubelet;
mod layout;
pub mod render;

pub use layout::Flavor;

use cmdline::{Arg, Flag, parse_flags};
use kubeward_core::input::{Diagnostic, Level, LoadOptions, Loaded, load_text};
use kubeward_core::inventory::NewObject;
use std::path::{Path, PathBuf};

/// The node's filesystem, seen from a root.
#[derive(Clone, Debug)]
pub struct Host {
    root: PathBuf,
}

impl Host {
    pub fn new(root: impl Into<PathBuf>) -> Host {
        Host { root: root.into() }
    }

    /// The host path `p` (`/etc/kubernetes`) under the root.
    pub fn path(&self, p: &str) -> PathBuf {
        cmdline::under(&self.root, p)
    }

    pub fn exists(&self, p: &str) -> bool {
        self.path(p).exists()
    }

    pub fn read(&self, p: &str) -> std::io::Result<String> {
        std::fs::read_to_string(self.path(p))
    }

    pub fn root(&self) -> &Path {
        &self.root
    }
}

pub(crate) fn warning(file: &str, message: String) -> Diagnostic {
    Diagnostic {
        file: file.to_string(),
        line: 0,
        column: 0,
        level: Level::Warning,
        message,
    }
}

/// What `kubeward node` was asked.
#[derive(Clone, Debug, Default)]
pub struct NodeOptions {
    /// The node's root (default `/`).
    pub root: PathBuf,
    /// The Kubernetes version, when detection should be overridden (`v1.33.1`).
    pub version: Option<String>,
}

/// What discovery found, besides the inventory.
#[derive(Debug)]
pub struct NodeScan {
    pub loaded: Loaded,
    pub flavor: Flavor,
    pub hostname: String,
    pub version: Option<String>,
    /// Where the kubelet's command line came from (`process 812`, `systemd unit ...`).
    pub kubelet: Option<String>,
    /// Files loaded as objects (host paths).
    pub loaded_files: Vec<String>,
    /// Host file facts gathered.
    pub host_files: usize,
}

/// Adds everything of `from` to `into` (sources, objects, diagnostics).
pub fn absorb(into: &mut Loaded, from: Loaded) {
    let base = into.inventory.len() as u32;
    let mut source_map = Vec::new();
    for s in from.inventory.sources() {
        source_map.push(into.inventory.add_source(s.clone()));
    }
    let objects: Vec<NewObject> = from
        .inventory
        .objects()
        .iter()
        .map(|o| NewObject {
            source: source_map[o.source.0 as usize],
            doc: o.doc,
            base_pointer: o.base_pointer.clone(),
            api_version: o.api_version.clone(),
            kind: o.kind.clone(),
            name: o.name.clone(),
            namespace: if o.namespace_defaulted {
                None
            } else {
                o.namespace.clone()
            },
            root: o.root.clone(),
        })
        .collect();
    into.inventory.add_objects(objects, "default");
    into.duplicates.extend(
        from.duplicates
            .into_iter()
            .map(|(id, d)| (kubeward_core::ObjectId(id.0 + base), d)),
    );
    into.diagnostics.extend(from.diagnostics);
    into.skipped.extend(from.skipped);
    into.stats.files += from.stats.files;
    into.stats.bytes += from.stats.bytes;
    into.stats.documents += from.stats.documents;
}

/// Loads `text` as the file `name` into `into`.
fn add_text(into: &mut Loaded, name: &str, text: &str) {
    let mut l = load_text(name, text, &LoadOptions::default());
    l.stats.files = 1;
    l.stats.bytes = text.len() as u64;
    absorb(into, l);
}

/// Reads a host file and loads it; a missing file is a warning.
fn add_file(into: &mut Loaded, host: &Host, path: &str, what: &str) -> bool {
    match host.read(path) {
        Ok(text) => {
            add_text(into, path, &text);
            true
        }
        Err(e) => {
            into.diagnostics
                .push(warning(path, format!("{what} cannot be read: {e}")));
            false
        }
    }
}

/// Strings of a container's command and args, with their origin.
fn container_args(o: &kubeward_core::Object, file: &str) -> Vec<Vec<Arg>> {
    let mut out = Vec::new();
    let Some(pod) = kubeward_core::PodSpec::of(o) else {
        return out;
    };
    for c in pod.containers() {
        let mut args = Vec::new();
        for field in ["command", "args"] {
            for (i, n) in c
                .node
                .get(field)
                .map(|n| n.items())
                .unwrap_or(&[])
                .iter()
                .enumerate()
            {
                if let Some(s) = n.as_str() {
                    args.push(Arg {
                        text: s.to_string(),
                        origin: format!("{file}:{} ({field}[{i}])", n.span.line),
                    });
                }
            }
        }
        out.push(args);
    }
    out
}

fn basename(s: &str) -> &str {
    s.rsplit('/').next().unwrap_or(s)
}

/// The Kubernetes version from an image tag (`registry.k8s.io/kube-apiserver:v1.33.1`) or a
/// path (`/var/lib/rancher/rke2/data/v1.33.1-rke2r1-abc/bin/kubelet`).
fn version_in(s: &str) -> Option<String> {
    let i = s.find(":v1.").or_else(|| s.find("/v1."))?;
    let rest = &s[i + 1..];
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '+'))
        .unwrap_or(rest.len());
    let v = &rest[..end];
    kubeward_core::inventory::parse_major_minor(v).map(|_| v.to_string())
}

/// Discovers the node under `opts.root` and loads what it found.
pub fn scan(opts: &NodeOptions) -> NodeScan {
    let root = if opts.root.as_os_str().is_empty() {
        PathBuf::from("/")
    } else {
        opts.root.clone()
    };
    let host = Host::new(root);
    let mut loaded = Loaded::default();
    let flavor = layout::detect(&host);
    let hostname = host
        .read("/etc/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "node".to_string());
    let mut loaded_files = Vec::new();

    // The kubelet's command line.
    let kin = layout::kubelet_input(&host, flavor, &mut loaded.diagnostics);

    // Static pods: where the kubelet reads them (a first pass to learn staticPodPath).
    let first = kubelet::effective(&host, &kin.input, &hostname, None, &mut Vec::new());
    let mut manifest_dirs: Vec<String> = layout::manifest_dirs(flavor)
        .iter()
        .map(|s| s.to_string())
        .collect();
    if let Some(p) = &first.static_pod_path {
        if !manifest_dirs.contains(p) {
            manifest_dirs.insert(0, p.clone());
        }
    }
    let mut manifests: Vec<String> = Vec::new();
    for d in &manifest_dirs {
        if let Ok(rd) = std::fs::read_dir(host.path(d)) {
            let mut v: Vec<String> = rd
                .flatten()
                .filter(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false))
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|f| f.ends_with(".yaml") || f.ends_with(".yml") || f.ends_with(".json"))
                .collect();
            v.sort();
            manifests.extend(
                v.into_iter()
                    .map(|f| format!("{}/{f}", d.trim_end_matches('/'))),
            );
        }
    }
    let mut version = opts.version.clone();
    if version.is_none() {
        for m in &manifests {
            if let Ok(t) = host.read(m) {
                if let Some(v) = t.lines().find_map(|l| {
                    let l = l.trim().trim_start_matches("- ");
                    l.strip_prefix("image:").and_then(|i| version_in(i.trim()))
                }) {
                    version = Some(v);
                    break;
                }
            }
        }
    }
    if version.is_none() {
        version = kin.version_hint.clone();
    }

    // The effective kubelet configuration.
    let eff = kubelet::effective(
        &host,
        &kin.input,
        &hostname,
        version.as_deref(),
        &mut loaded.diagnostics,
    );
    let have_kubelet = kin.input.command_line_known || eff.config_file.is_some();
    if have_kubelet {
        add_text(
            &mut loaded,
            "kubeward-node/kubelet-effective.yaml",
            &eff.text,
        );
    } else {
        loaded.diagnostics.push(warning(
            &host.root().display().to_string(),
            "no kubelet found (no kubelet process, unit or configuration file): the kubelet \
             checks were not run"
                .into(),
        ));
    }

    // Static pod manifests and the files the control plane names.
    let mut facts = files::Facts::new(&host, version.as_deref());
    let mut apiserver_flags: Vec<Flag> = Vec::new();
    let mut etcd_flags: Vec<Flag> = Vec::new();
    for m in &manifests {
        let Ok(text) = host.read(m) else {
            facts.add(
                &host,
                m,
                manifest_role(m).unwrap_or("other"),
                "static pod manifest",
            );
            continue;
        };
        let l = load_text(m, &text, &LoadOptions::default());
        for o in l.inventory.objects() {
            for args in container_args(o, m) {
                let Some(first) = args.first() else { continue };
                match basename(&first.text) {
                    "kube-apiserver" => apiserver_flags.extend(parse_flags(&args[1..])),
                    "etcd" => etcd_flags.extend(parse_flags(&args[1..])),
                    _ => {}
                }
            }
        }
        let mut l = l;
        l.stats.files = 1;
        l.stats.bytes = text.len() as u64;
        absorb(&mut loaded, l);
        loaded_files.push(m.clone());
        if let Some(role) = manifest_role(m) {
            facts.add(&host, m, role, "static pod manifest");
        }
    }

    // k3s: the server process stands for the API server, controller manager and scheduler.
    if let Some(server) = &kin.k3s_server {
        let (text, flags) = layout::k3s_server_pod(flavor, &hostname, server);
        add_text(&mut loaded, "kubeward-node/k3s-server-pod.yaml", &text);
        apiserver_flags.extend(flags);
    }

    // Files the API server names.
    let flag = |flags: &[Flag], n: &str| {
        flags
            .iter()
            .rev()
            .find(|f| f.name == n)
            .and_then(|f| f.value.clone())
    };
    if let Some(p) = flag(&apiserver_flags, "encryption-provider-config") {
        if add_file(&mut loaded, &host, &p, "the EncryptionConfiguration") {
            loaded_files.push(p.clone());
        }
        facts.add(
            &host,
            &p,
            "encryption-config",
            "--encryption-provider-config",
        );
    }
    if let Some(p) = flag(&apiserver_flags, "audit-policy-file") {
        if add_file(&mut loaded, &host, &p, "the audit policy") {
            loaded_files.push(p);
        }
    }
    if let Some(p) = flag(&apiserver_flags, "admission-control-config-file") {
        if add_file(&mut loaded, &host, &p, "the admission configuration") {
            loaded_files.push(p.clone());
            if let Some(ipw) = layout::image_policy_path(&host, &p) {
                match host.read(&ipw) {
                    Ok(text) => {
                        add_text(&mut loaded, &ipw, &layout::tag_image_policy(&text));
                        loaded_files.push(ipw);
                    }
                    Err(e) => loaded.diagnostics.push(warning(
                        &ipw,
                        format!("the ImagePolicyWebhook configuration cannot be read: {e}"),
                    )),
                }
            }
        }
    }

    // kube-proxy.
    for p in layout::kube_proxy_configs(&host, flavor) {
        if add_file(&mut loaded, &host, &p, "the kube-proxy configuration") {
            loaded_files.push(p);
        }
    }
    for p in layout::kube_proxy_kubeconfigs(&host, flavor) {
        facts.add(&host, &p, "proxy-kubeconfig", "kube-proxy kubeconfig");
    }

    // Host file facts.
    for f in &kin.unit_files {
        facts.add(&host, f, "kubelet-service", "kubelet service unit");
    }
    if let Some(c) = &eff.config_file {
        facts.add(&host, c, "kubelet-config", "kubelet --config");
    }
    for c in &eff.config_dir_files {
        facts.add(&host, c, "kubelet-config", "kubelet --config-dir");
    }
    if let Some(k) = &eff.kubeconfig {
        facts.add(&host, k, "kubelet-kubeconfig", "kubelet --kubeconfig");
    }
    if let Some(c) = &eff.client_ca {
        facts.add(&host, c, "client-ca", "kubelet client CA file");
    }
    for (p, role) in layout::control_plane_kubeconfigs(flavor) {
        if host.exists(p) {
            facts.add(&host, p, role, "control-plane kubeconfig");
        }
    }
    for dir in layout::pki_dirs(flavor) {
        if host.path(dir).is_dir() {
            facts.add(&host, dir, "pki-dir", "PKI directory");
            facts.add_tree(&host, dir, 2, "PKI directory", &|n| {
                if n.ends_with(".key") {
                    Some("pki-key")
                } else if n.ends_with(".crt") || n.ends_with(".pem") {
                    Some("pki-cert")
                } else {
                    None
                }
            });
        }
    }
    let etcd_dir = flag(&etcd_flags, "data-dir").or_else(|| {
        manifests
            .iter()
            .any(|m| manifest_role(m) == Some("etcd-manifest"))
            .then(|| "/var/lib/etcd".to_string())
            .or_else(|| {
                layout::etcd_data_dirs(flavor)
                    .iter()
                    .find(|d| host.exists(d))
                    .map(|d| d.to_string())
            })
    });
    if let Some(d) = etcd_dir {
        facts.add(&host, &d, "etcd-data-dir", "etcd --data-dir");
    }
    facts.add_tree(&host, "/etc/cni/net.d", 0, "CNI configuration", &|_| {
        Some("cni-config")
    });
    let host_files = facts.count;
    if facts.count > 0 {
        add_text(&mut loaded, "kubeward-node/host-files.yaml", &facts.text);
    }
    NodeScan {
        loaded,
        flavor,
        hostname,
        version,
        kubelet: kin.input.found_in.clone(),
        loaded_files,
        host_files,
    }
}

/// The role of a static pod manifest, by file name.
fn manifest_role(path: &str) -> Option<&'static str> {
    let f = basename(path);
    let stem = f.rsplit_once('.').map_or(f, |(s, _)| s);
    Some(match stem {
        "kube-apiserver" => "apiserver-manifest",
        "kube-controller-manager" => "controller-manager-manifest",
        "kube-scheduler" => "scheduler-manifest",
        "etcd" => "etcd-manifest",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(
            version_in("registry.k8s.io/kube-apiserver:v1.33.1").as_deref(),
            Some("v1.33.1")
        );
        assert_eq!(
            version_in("/var/lib/rancher/rke2/data/v1.31.4-rke2r1-abc/bin/kubelet").as_deref(),
            Some("v1.31.4-rke2r1-abc")
        );
        assert_eq!(version_in("nginx:1.27"), None);
    }
}
