//! Where each distribution keeps things: kubeadm, k3s, RKE2, EKS, GKE and AKS.

use crate::cmdline::{self, Arg, CommandLine, Flag, parse_flags};
use crate::kubelet::KubeletInput;
use crate::render::quote;
use crate::{Host, warning};
use kubeward_core::input::Diagnostic;

/// The node's distribution layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    Kubeadm,
    K3s,
    Rke2,
    Eks,
    Gke,
    Aks,
    Unknown,
}

impl Flavor {
    pub fn name(self) -> &'static str {
        match self {
            Flavor::Kubeadm => "kubeadm",
            Flavor::K3s => "k3s",
            Flavor::Rke2 => "RKE2",
            Flavor::Eks => "EKS",
            Flavor::Gke => "GKE",
            Flavor::Aks => "AKS",
            Flavor::Unknown => "unknown",
        }
    }

    /// The Rancher data and configuration folders (k3s, RKE2).
    fn rancher(self) -> Option<(&'static str, &'static str)> {
        match self {
            Flavor::K3s => Some(("/var/lib/rancher/k3s", "/etc/rancher/k3s")),
            Flavor::Rke2 => Some(("/var/lib/rancher/rke2", "/etc/rancher/rke2")),
            _ => None,
        }
    }
}

/// Recognises the layout by the folders each distribution creates.
pub fn detect(host: &Host) -> Flavor {
    let any = |ps: &[&str]| ps.iter().any(|p| host.exists(p));
    if any(&["/etc/rancher/rke2", "/var/lib/rancher/rke2"]) {
        Flavor::Rke2
    } else if any(&["/etc/rancher/k3s", "/var/lib/rancher/k3s"]) {
        Flavor::K3s
    } else if any(&[
        "/etc/eks",
        "/etc/kubernetes/kubelet/kubelet-config.json",
        "/etc/kubernetes/kubelet/config.json",
    ]) {
        Flavor::Eks
    } else if any(&[
        "/home/kubernetes/kubelet-config.yaml",
        "/home/kubernetes/bin",
    ]) {
        Flavor::Gke
    } else if any(&["/etc/kubernetes/azure.json", "/var/lib/waagent"])
        && any(&["/etc/default/kubelet", "/var/lib/kubelet"])
    {
        Flavor::Aks
    } else if any(&[
        "/etc/kubernetes/manifests",
        "/etc/kubernetes/kubelet.conf",
        "/var/lib/kubelet/kubeadm-flags.env",
    ]) {
        Flavor::Kubeadm
    } else {
        Flavor::Unknown
    }
}

/// The kubelet configuration file a distribution uses when the command line is not known.
fn default_config(host: &Host, flavor: Flavor) -> Option<String> {
    let candidates: &[&str] = match flavor {
        Flavor::Eks => &[
            "/etc/kubernetes/kubelet/config.json",
            "/etc/kubernetes/kubelet/kubelet-config.json",
        ],
        Flavor::Gke => &["/home/kubernetes/kubelet-config.yaml"],
        _ => &["/var/lib/kubelet/config.yaml"],
    };
    candidates
        .iter()
        .find(|p| host.exists(p))
        .map(|p| p.to_string())
}

/// The k3s / RKE2 server: flags as `k3s server` takes them.
pub struct ServerInfo {
    pub found_in: String,
    pub args: Vec<Arg>,
}

/// What discovery learned about the kubelet.
#[derive(Default)]
pub struct KubeletDiscovery {
    pub input: KubeletInput,
    /// Unit file and drop-ins of the service that runs the kubelet.
    pub unit_files: Vec<String>,
    /// A k3s server (its components run in the same process).
    pub k3s_server: Option<ServerInfo>,
    /// A version seen on the way (an RKE2 data folder).
    pub version_hint: Option<String>,
}

/// What k3s and RKE2 pass to their kubelet themselves (their agent's built-in arguments).
fn rancher_implied(data: &str, origin: &str) -> Vec<Flag> {
    [
        ("anonymous-auth", "false".to_string()),
        ("authentication-token-webhook", "true".to_string()),
        ("authorization-mode", "Webhook".to_string()),
        ("client-ca-file", format!("{data}/agent/client-ca.crt")),
        ("read-only-port", "0".to_string()),
        ("tls-cert-file", format!("{data}/agent/serving-kubelet.crt")),
        (
            "tls-private-key-file",
            format!("{data}/agent/serving-kubelet.key"),
        ),
        ("kubeconfig", format!("{data}/agent/kubelet.kubeconfig")),
    ]
    .into_iter()
    .map(|(n, v)| Flag {
        name: n.to_string(),
        value: Some(v),
        origin: origin.to_string(),
    })
    .collect()
}

/// Finds the kubelet's command line.
pub fn kubelet_input(host: &Host, flavor: Flavor, diags: &mut Vec<Diagnostic>) -> KubeletDiscovery {
    let mut d = KubeletDiscovery {
        input: KubeletInput {
            default_config: default_config(host, flavor),
            ..Default::default()
        },
        ..Default::default()
    };
    // A kubelet process (kubeadm, RKE2, EKS, GKE, AKS).
    let procs = cmdline::processes(host, &["kubelet", "hyperkube"]);
    if let Some(p) = procs.first() {
        let skip = if p.exe() == "hyperkube" { 2 } else { 1 };
        d.version_hint = p.args.first().and_then(|a| crate::version_in(&a.text));
        d.input.flags = p.flags(skip);
        d.input.command_line_known = true;
        d.input.found_in = Some(p.found_in.clone());
        if procs.len() > 1 {
            diags.push(warning(
                "/proc",
                format!(
                    "{} kubelet processes: the first ({}) was used",
                    procs.len(),
                    p.found_in
                ),
            ));
        }
    }
    // The kubelet's systemd unit.
    for name in ["kubelet.service"] {
        if let Some(u) = cmdline::unit(host, name) {
            d.unit_files.extend(u.files.iter().cloned());
            if !d.input.command_line_known {
                if let Some(cl) = &u.exec_start {
                    d.input.flags = cl.flags(1);
                    d.input.command_line_known = true;
                    d.input.found_in =
                        Some(format!("{} (not running under this root)", cl.found_in));
                }
            }
        }
    }
    // k3s / RKE2: the service and its configuration.
    if let Some((data, etc)) = flavor.rancher() {
        let bin = if flavor == Flavor::K3s { "k3s" } else { "rke2" };
        let units: &[&str] = if flavor == Flavor::K3s {
            &["k3s.service", "k3s-agent.service"]
        } else {
            &["rke2-server.service", "rke2-agent.service"]
        };
        // The process (`k3s server ...`), else the unit's ExecStart.
        let mut service: Option<CommandLine> =
            cmdline::processes(host, &[bin]).into_iter().find(|p| {
                matches!(
                    p.args.get(1).map(|a| a.text.as_str()),
                    Some("server" | "agent")
                )
            });
        for u in units {
            if let Some(unit) = cmdline::unit(host, u) {
                d.unit_files.extend(unit.files.iter().cloned());
                if service.is_none() {
                    service = unit.exec_start.clone();
                }
            }
        }
        let config = cmdline::rancher_config(host, etc);
        if let Some(svc) = &service {
            let role = svc.args.get(1).map(|a| a.text.clone()).unwrap_or_default();
            // The service's own flags, then the configuration file's keys as flags (the
            // command line wins over the file in k3s: it is read last here).
            let mut server_args: Vec<Arg> = config
                .iter()
                .map(|(k, v, at)| Arg {
                    text: format!("--{k}={v}"),
                    origin: at.clone(),
                })
                .collect();
            server_args.extend(svc.args.iter().skip(2).cloned());
            let server_flags = parse_flags(&server_args);
            if !d.input.command_line_known {
                let mut flags = rancher_implied(data, &format!("set by {bin} itself"));
                for f in server_flags.iter().filter(|f| f.name == "kubelet-arg") {
                    let Some(v) = &f.value else { continue };
                    let arg = Arg {
                        text: format!("--{}", v.trim_start_matches('-')),
                        origin: format!("--kubelet-arg at {}", f.origin),
                    };
                    flags.extend(parse_flags(&[arg]));
                }
                if server_flags
                    .iter()
                    .any(|f| f.name == "protect-kernel-defaults")
                {
                    flags.push(Flag {
                        name: "protect-kernel-defaults".into(),
                        value: Some("true".into()),
                        origin: format!("{bin} --protect-kernel-defaults"),
                    });
                }
                d.input.flags = flags;
                d.input.command_line_known = true;
                d.input.found_in = Some(format!("{} ({bin} {role})", svc.found_in));
            }
            if flavor == Flavor::K3s && role == "server" {
                d.k3s_server = Some(ServerInfo {
                    found_in: svc.found_in.clone(),
                    args: server_args,
                });
            }
        }
        if d.version_hint.is_none() {
            if let Ok(rd) = std::fs::read_dir(host.path(&format!("{data}/data"))) {
                let mut names: Vec<String> = rd
                    .flatten()
                    .map(|e| format!("{data}/data/{}", e.file_name().to_string_lossy()))
                    .collect();
                names.sort();
                d.version_hint = names.iter().rev().find_map(|n| crate::version_in(n));
            }
        }
    }
    d
}

/// A Pod that stands for the k3s server process, so the control-plane rules read its flags
/// (`--kube-apiserver-arg=...` and k3s's own defaults), and the API server flags it implies.
pub fn k3s_server_pod(flavor: Flavor, hostname: &str, server: &ServerInfo) -> (String, Vec<Flag>) {
    let mut t = format!(
        "# The k3s server on {hostname} ({}), as a Pod so that the control-plane rules read its\n\
         # flags. Each argument's comment says where it was written.\n\
         apiVersion: v1\nkind: Pod\nmetadata:\n  name: {}\n  namespace: kube-system\n  annotations:\n    kubeward.io/synthetic: \"k3s server process\"\nspec:\n  containers:\n  - name: k3s\n    command:\n    - k3s\n    - server\n",
        server.found_in,
        quote(&format!("k3s-server-{hostname}"))
    );
    for a in &server.args {
        t.push_str(&format!("    - {}  # {}\n", quote(&a.text), a.origin));
    }
    let flags = parse_flags(&server.args);
    let mut api = Vec::new();
    for f in &flags {
        if f.name == "kube-apiserver-arg" {
            if let Some(v) = &f.value {
                api.extend(parse_flags(&[Arg {
                    text: format!("--{}", v.trim_start_matches('-')),
                    origin: f.origin.clone(),
                }]));
            }
        }
        if f.name == "secrets-encryption" && f.value.as_deref().is_none_or(|v| v == "true") {
            let data = flavor.rancher().map_or("/var/lib/rancher/k3s", |r| r.0);
            api.push(Flag {
                name: "encryption-provider-config".into(),
                value: Some(format!("{data}/server/cred/encryption-config.json")),
                origin: f.origin.clone(),
            });
        }
    }
    (t, api)
}

/// Where static pod manifests live, by layout (the kubelet's staticPodPath comes first).
pub fn manifest_dirs(flavor: Flavor) -> &'static [&'static str] {
    match flavor {
        Flavor::Rke2 => &["/var/lib/rancher/rke2/agent/pod-manifests"],
        Flavor::K3s => &[],
        _ => &["/etc/kubernetes/manifests"],
    }
}

/// Control-plane kubeconfigs and their roles.
pub fn control_plane_kubeconfigs(flavor: Flavor) -> Vec<(&'static str, &'static str)> {
    match flavor {
        Flavor::K3s => vec![
            (
                "/var/lib/rancher/k3s/server/cred/admin.kubeconfig",
                "admin-kubeconfig",
            ),
            ("/etc/rancher/k3s/k3s.yaml", "admin-kubeconfig"),
            (
                "/var/lib/rancher/k3s/server/cred/scheduler.kubeconfig",
                "scheduler-kubeconfig",
            ),
            (
                "/var/lib/rancher/k3s/server/cred/controller.kubeconfig",
                "controller-manager-kubeconfig",
            ),
        ],
        Flavor::Rke2 => vec![
            (
                "/var/lib/rancher/rke2/server/cred/admin.kubeconfig",
                "admin-kubeconfig",
            ),
            ("/etc/rancher/rke2/rke2.yaml", "admin-kubeconfig"),
            (
                "/var/lib/rancher/rke2/server/cred/scheduler.kubeconfig",
                "scheduler-kubeconfig",
            ),
            (
                "/var/lib/rancher/rke2/server/cred/controller.kubeconfig",
                "controller-manager-kubeconfig",
            ),
        ],
        _ => vec![
            ("/etc/kubernetes/admin.conf", "admin-kubeconfig"),
            ("/etc/kubernetes/super-admin.conf", "admin-kubeconfig"),
            ("/etc/kubernetes/scheduler.conf", "scheduler-kubeconfig"),
            (
                "/etc/kubernetes/controller-manager.conf",
                "controller-manager-kubeconfig",
            ),
        ],
    }
}

/// PKI folders.
pub fn pki_dirs(flavor: Flavor) -> &'static [&'static str] {
    match flavor {
        Flavor::K3s => &["/var/lib/rancher/k3s/server/tls"],
        Flavor::Rke2 => &["/var/lib/rancher/rke2/server/tls"],
        _ => &["/etc/kubernetes/pki"],
    }
}

/// Embedded etcd data folders (k3s, RKE2).
pub fn etcd_data_dirs(flavor: Flavor) -> &'static [&'static str] {
    match flavor {
        Flavor::K3s => &["/var/lib/rancher/k3s/server/db/etcd"],
        Flavor::Rke2 => &["/var/lib/rancher/rke2/server/db/etcd"],
        _ => &[],
    }
}

/// kube-proxy configuration files (a `KubeProxyConfiguration`) on the host.
pub fn kube_proxy_configs(host: &Host, _flavor: Flavor) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in cmdline::processes(host, &["kube-proxy"]) {
        if let Some(c) = p.flags(1).iter().rev().find(|f| f.name == "config") {
            if let Some(v) = &c.value {
                out.push(v.clone());
            }
        }
    }
    for c in [
        "/var/lib/kube-proxy/config.conf",
        "/var/lib/kube-proxy-config/config",
        "/etc/kubernetes/kube-proxy/config.yaml",
    ] {
        if host.exists(c) && !out.iter().any(|o| o == c) {
            out.push(c.to_string());
        }
    }
    out
}

/// kube-proxy kubeconfigs that exist on the host.
pub fn kube_proxy_kubeconfigs(host: &Host, flavor: Flavor) -> Vec<String> {
    let mut cands: Vec<String> = Vec::new();
    for p in cmdline::processes(host, &["kube-proxy"]) {
        if let Some(v) = p
            .flags(1)
            .iter()
            .rev()
            .find(|f| f.name == "kubeconfig")
            .and_then(|f| f.value.clone())
        {
            cands.push(v);
        }
    }
    if let Some((data, _)) = flavor.rancher() {
        cands.push(format!("{data}/agent/kubeproxy.kubeconfig"));
    }
    cands.push("/var/lib/kube-proxy/kubeconfig".into());
    cands.push("/var/lib/kube-proxy/kubeconfig.conf".into());
    cands.push("/etc/kubernetes/kube-proxy.conf".into());
    cands.dedup();
    cands.into_iter().filter(|c| host.exists(c)).collect()
}

/// The ImagePolicyWebhook configuration file an AdmissionConfiguration names, if any.
pub fn image_policy_path(host: &Host, admission_config: &str) -> Option<String> {
    let text = host.read(admission_config).ok()?;
    let docs = kubeward_core::yaml::load_stream(&text, &Default::default());
    let root = docs.into_iter().next()?.result.ok()??;
    for p in root.get("plugins")?.items() {
        if p.str_at("name") == Some("ImagePolicyWebhook") {
            let path = p.str_at("path")?;
            if path.starts_with('/') {
                return Some(path.to_string());
            }
            let dir = admission_config.rsplit_once('/').map_or("", |(d, _)| d);
            return Some(format!("{dir}/{path}"));
        }
    }
    None
}

/// An ImagePolicyWebhook configuration file (`imagePolicy: {...}`, without apiVersion and
/// kind) made an object without moving its lines: the type is added at the end (YAML) or
/// right after the opening brace (JSON).
pub fn tag_image_policy(text: &str) -> String {
    const AV: &str = "apiserver.config.k8s.io/v1";
    const KIND: &str = "ImagePolicyWebhookConfiguration";
    let trimmed = text.trim_start();
    if let Some(rest) = trimmed.strip_prefix('{') {
        let lead = &text[..text.len() - trimmed.len()];
        let sep = if rest.trim_start().starts_with('}') {
            ""
        } else {
            ","
        };
        format!("{lead}{{\"apiVersion\":\"{AV}\",\"kind\":\"{KIND}\"{sep}{rest}")
    } else {
        let mut t = text.to_string();
        if !t.ends_with('\n') && !t.is_empty() {
            t.push('\n');
        }
        t.push_str(&format!(
            "# added by kubeward node: the file has no apiVersion/kind of its own\napiVersion: {AV}\nkind: {KIND}\n"
        ));
        t
    }
}
