//! Control-plane components as the API (or a static-pod manifest folder) shows them: the
//! kube-apiserver, kube-controller-manager, kube-scheduler and etcd containers of mirror pods
//! (kubeadm puts the flags in `command`, RKE2 in `args`) and k3s servers (one `k3s server`
//! process whose component flags are `--kube-apiserver-arg=K=V` and friends, on top of the
//! defaults k3s sets itself).

use kubeward_core::inventory::{ClusterInfo, Inventory, Object, SourceId};
use kubeward_core::platform::{self, Platform};
use kubeward_core::podspec::{Container, PodSpec, WORKLOAD_KINDS};
use kubeward_core::{Emitter, InventoryCtx, Node, Status};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    ApiServer,
    ControllerManager,
    Scheduler,
    Etcd,
}

impl Kind {
    pub fn binary(self) -> &'static str {
        match self {
            Kind::ApiServer => "kube-apiserver",
            Kind::ControllerManager => "kube-controller-manager",
            Kind::Scheduler => "kube-scheduler",
            Kind::Etcd => "etcd",
        }
    }

    /// The k3s server option that passes flags to this component.
    fn k3s_option(self) -> &'static str {
        match self {
            Kind::ApiServer => "kube-apiserver-arg",
            Kind::ControllerManager => "kube-controller-manager-arg",
            Kind::Scheduler => "kube-scheduler-arg",
            Kind::Etcd => "etcd-arg",
        }
    }
}

/// How the component was deployed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// A static pod whose container runs the component binary (kubeadm: flags in `command`;
    /// RKE2: flags in `args`).
    StaticPod,
    /// A `k3s server` process.
    K3s,
}

/// One flag as written (or as k3s sets it by default).
#[derive(Clone, Debug)]
pub struct Flag {
    pub name: String,
    pub value: Option<String>,
    /// Where it is written; for k3s defaults, the `server` argument.
    pub pointer: String,
    /// Set by k3s itself, not written.
    pub implied: bool,
}

/// A control-plane component found in the inventory.
pub struct Component<'a> {
    pub object: &'a Object,
    pub kind: Kind,
    pub style: Style,
    pub container: Container<'a>,
    flags: Vec<Flag>,
    /// The list to point at when a flag is missing.
    missing: String,
}

impl<'a> Component<'a> {
    /// The flag as the component reads it: the last occurrence wins, as with Go's flag package.
    pub fn flag(&self, name: &str) -> Option<&Flag> {
        self.flags.iter().rev().find(|f| f.name == name)
    }

    /// The value of `--name=value`; `Some("true")` for a bare boolean flag.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.flag(name)
            .map(|f| f.value.as_deref().unwrap_or("true"))
    }

    /// Whether the flag is given a non-empty value.
    pub fn is_set(&self, name: &str) -> bool {
        self.value(name).is_some_and(|v| !v.trim().is_empty())
    }

    /// A comma-separated flag value as a list.
    pub fn list(&self, name: &str) -> Vec<&str> {
        self.value(name)
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Where a finding about `name` points: the flag when written, else the argument list.
    pub fn ptr(&self, name: &str) -> String {
        self.flag(name)
            .map(|f| f.pointer.clone())
            .unwrap_or_else(|| self.missing.clone())
    }

    /// Whether the boolean flag is explicitly false.
    pub fn is_false(&self, name: &str) -> bool {
        self.value(name)
            .is_some_and(|v| v.eq_ignore_ascii_case("false") || v == "0")
    }

    /// Whether the boolean flag is true.
    pub fn is_true(&self, name: &str) -> bool {
        self.value(name)
            .is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
    }

    /// `kube-apiserver in Pod kube-system/kube-apiserver-cp1` (with `(k3s)` for k3s servers).
    pub fn describe(&self) -> String {
        format!(
            "{}{} in {}",
            self.kind.binary(),
            if self.style == Style::K3s {
                " (k3s)"
            } else {
                ""
            },
            self.object.display()
        )
    }

    /// `` `--flag=value` `` as k3s takes it, or `` `--flag` ``, for fix hints.
    pub fn spell(&self, flag_and_value: &str) -> String {
        match self.style {
            Style::StaticPod => format!("`--{flag_and_value}`"),
            Style::K3s => format!("`--{}={flag_and_value}`", self.kind.k3s_option()),
        }
    }
}

/// The basename of an executable path.
fn basename(s: &str) -> &str {
    s.rsplit('/').next().unwrap_or(s)
}

/// Splits `--name=value` / `--name value` / `--name` tokens into flags.
fn parse_flags(tokens: &[(String, String)], out: &mut Vec<Flag>) {
    let mut i = 0;
    while i < tokens.len() {
        let (tok, ptr) = &tokens[i];
        i += 1;
        let Some(body) = tok.strip_prefix("--").or_else(|| tok.strip_prefix('-')) else {
            continue;
        };
        let (name, value) = match body.split_once('=') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None => match tokens.get(i) {
                Some((next, _)) if !next.starts_with('-') => {
                    i += 1;
                    (body.to_string(), Some(next.clone()))
                }
                _ => (body.to_string(), None),
            },
        };
        out.push(Flag {
            name,
            value,
            pointer: ptr.clone(),
            implied: false,
        });
    }
}

/// What k3s sets on its components unless told otherwise (k3s server defaults; see the k3s CIS
/// hardening guide). Flags not listed here fall back to the upstream default.
const K3S_DEFAULTS: &[(Kind, &str, &str)] = &[
    (Kind::ApiServer, "anonymous-auth", "false"),
    (Kind::ApiServer, "authorization-mode", "Node,RBAC"),
    (
        Kind::ApiServer,
        "enable-admission-plugins",
        "NodeRestriction",
    ),
    (Kind::ApiServer, "profiling", "false"),
    (
        Kind::ApiServer,
        "kubelet-client-certificate",
        "/var/lib/rancher/k3s/server/tls/client-kube-apiserver.crt",
    ),
    (
        Kind::ApiServer,
        "kubelet-client-key",
        "/var/lib/rancher/k3s/server/tls/client-kube-apiserver.key",
    ),
    (
        Kind::ApiServer,
        "kubelet-certificate-authority",
        "/var/lib/rancher/k3s/server/tls/server-ca.crt",
    ),
    (Kind::ControllerManager, "bind-address", "127.0.0.1"),
    (Kind::ControllerManager, "profiling", "false"),
    (Kind::Scheduler, "bind-address", "127.0.0.1"),
    (Kind::Scheduler, "profiling", "false"),
];

/// Containers that may be control-plane components: found once per scan and shared by every
/// control-plane rule (each used to walk every workload again).
struct Candidates(Vec<(kubeward_core::ObjectId, kubeward_core::ContainerKind, usize)>);

/// Every control-plane component in the inventory, in inventory order.
pub fn components(inv: &Inventory) -> Vec<Component<'_>> {
    let candidates = inv.memo(|| {
        let mut v = Vec::new();
        for kind in WORKLOAD_KINDS {
            for object in inv.of_kind(kind) {
                let Some(pod) = PodSpec::of(object) else {
                    continue;
                };
                for c in pod.containers() {
                    if c.kind == kubeward_core::ContainerKind::Regular && may_be_component(c) {
                        v.push((object.id, c.kind, c.index));
                    }
                }
            }
        }
        Candidates(v)
    });
    let mut out = Vec::new();
    for (id, kind, index) in &candidates.0 {
        let object = inv.object(*id);
        let Some(pod) = PodSpec::of(object) else {
            continue;
        };
        if let Some(c) = pod
            .containers()
            .find(|c| c.kind == *kind && c.index == *index)
        {
            collect(object, c, &mut out);
        }
    }
    out.sort_by_key(|c| (c.object.id, c.kind));
    out
}

/// The cheap test: the first word of `command` (or of `args` without a command) names a
/// control-plane binary. Most containers fail it.
fn may_be_component(container: Container<'_>) -> bool {
    let first = |field: &str| {
        container
            .node
            .get(field)
            .and_then(|n| n.index(0))
            .and_then(Node::as_str)
    };
    let head = first("command").or_else(|| first("args")).map(basename);
    if head.is_none() {
        return false;
    }
    matches!(
        head,
        Some(
            "kube-apiserver"
                | "kube-controller-manager"
                | "kube-scheduler"
                | "etcd"
                | "k3s"
                | "server"
        )
    ) || container.node.get("command").is_none()
}

fn collect<'a>(object: &'a Object, container: Container<'a>, out: &mut Vec<Component<'a>>) {
    if !may_be_component(container) {
        return;
    }
    let strings = |field: &str| -> Vec<(String, String)> {
        container
            .node
            .get(field)
            .map(Node::items)
            .unwrap_or(&[])
            .iter()
            .enumerate()
            .filter_map(|(i, n)| {
                n.as_str()
                    .map(|s| (s.to_string(), container.ptr(&[field, &i.to_string()])))
            })
            .collect()
    };
    let command = strings("command");
    let args = strings("args");
    let mut all: Vec<(String, String)> = command.clone();
    all.extend(args.iter().cloned());
    let Some((exe, _)) = all.first() else { return };
    let exe = basename(exe);
    let missing = if !args.is_empty() || command.is_empty() {
        container.ptr(&["args"])
    } else {
        container.ptr(&["command"])
    };
    let static_kind = [
        Kind::ApiServer,
        Kind::ControllerManager,
        Kind::Scheduler,
        Kind::Etcd,
    ]
    .into_iter()
    .find(|k| k.binary() == exe);
    if let Some(kind) = static_kind {
        let mut flags = Vec::new();
        parse_flags(&all[1..], &mut flags);
        out.push(Component {
            object,
            kind,
            style: Style::StaticPod,
            container,
            flags,
            missing,
        });
        return;
    }
    // k3s: `k3s server ...`, or an image whose entrypoint is k3s and whose args start with
    // `server` (k3d, the rancher/k3s image).
    let server_at = all.iter().position(|(t, _)| t == "server");
    let is_k3s = (exe == "k3s" && server_at == Some(1))
        || (command.is_empty() && args.first().is_some_and(|(t, _)| t == "server"));
    if !is_k3s {
        return;
    }
    let server_at = server_at.unwrap_or(0);
    let server_ptr = all[server_at].1.clone();
    let mut server_flags = Vec::new();
    parse_flags(&all[server_at + 1..], &mut server_flags);
    let server_flag = |name: &str| server_flags.iter().rev().find(|f| f.name == name);
    for kind in [Kind::ApiServer, Kind::ControllerManager, Kind::Scheduler] {
        let mut flags: Vec<Flag> = K3S_DEFAULTS
            .iter()
            .filter(|(k, _, _)| *k == kind)
            .map(|(_, n, v)| Flag {
                name: n.to_string(),
                value: Some(v.to_string()),
                pointer: server_ptr.clone(),
                implied: true,
            })
            .collect();
        if kind == Kind::ApiServer {
            // `--secrets-encryption` makes k3s write and pass an encryption provider config.
            if let Some(f) = server_flag("secrets-encryption") {
                if f.value.as_deref().is_none_or(|v| v == "true") {
                    flags.push(Flag {
                        name: "encryption-provider-config".into(),
                        value: Some(
                            "/var/lib/rancher/k3s/server/cred/encryption-config.json".into(),
                        ),
                        pointer: f.pointer.clone(),
                        implied: true,
                    });
                }
            }
        }
        for f in server_flags.iter().filter(|f| f.name == kind.k3s_option()) {
            let Some(v) = &f.value else { continue };
            let (name, value) = match v.split_once('=') {
                Some((n, v)) => (n.to_string(), Some(v.to_string())),
                None => (v.to_string(), None),
            };
            flags.push(Flag {
                name: name.trim_start_matches('-').to_string(),
                value,
                pointer: f.pointer.clone(),
                implied: false,
            });
        }
        out.push(Component {
            object,
            kind,
            style: Style::K3s,
            container,
            flags,
            missing: server_ptr.clone(),
        });
    }
}

/// Runs `check` on every component of `kind`. When the inventory holds a cluster and none of
/// its components of that kind is visible, says once per cluster why: not applicable on a
/// managed control plane, unknown otherwise. Never a FAIL for what cannot be seen.
pub fn check_each(
    ctx: &InventoryCtx<'_>,
    out: &mut Emitter<'_>,
    kind: Kind,
    mut check: impl FnMut(&Component<'_>, &mut Emitter<'_>),
) {
    let all = components(ctx.inventory);
    let mut seen_sources: Vec<SourceId> = Vec::new();
    for c in all.iter().filter(|c| c.kind == kind) {
        seen_sources.push(c.object.source);
        check(c, out);
    }
    for (source, info) in ctx.inventory.clusters() {
        if seen_sources.contains(&source) {
            continue;
        }
        invisible(ctx.inventory, source, info, kind, out);
    }
}

/// The N/A or UNKNOWN finding for a cluster whose `kind` component is not visible.
fn invisible(
    inv: &Inventory,
    source: SourceId,
    info: &ClusterInfo,
    kind: Kind,
    out: &mut Emitter<'_>,
) {
    let bin = kind.binary();
    let ctx = &info.context;
    if let Some(p) = platform::detect(inv, source, info) {
        if p.platform.is_managed() {
            out.report_global(format!(
                "cluster `{ctx}`: {} runs the control plane ({}), so {bin}'s flags are not visible \
                 through the Kubernetes API; this check does not apply here (check the provider's \
                 settings, e.g. its CIS benchmark)",
                p.platform.name(),
                p.evidence
            ))
            .status(Status::NotApplicable);
            return;
        }
        if p.platform == Platform::K3s && kind != Kind::Etcd {
            out.report_global(format!(
                "cluster `{ctx}`: k3s ({}) runs {bin} inside the k3s server process, whose \
                 arguments the API does not show; scan the k3s server's pod or service definition",
                p.evidence
            ))
            .status(Status::Unknown);
            return;
        }
    }
    let pods_gap = info
        .gaps
        .iter()
        .find(|g| g.resource == "pods" && g.group.is_empty());
    let reason = if let Some(g) = pods_gap {
        format!("pods could not be listed ({})", g.reason)
    } else if info
        .namespaces
        .as_ref()
        .is_some_and(|ns| !ns.iter().any(|n| n == "kube-system"))
    {
        "the scan was restricted to namespaces that do not include kube-system".to_string()
    } else if kind == Kind::Etcd {
        "no etcd pod is visible: etcd may run outside the cluster (external etcd) or the \
         control plane is hosted"
            .to_string()
    } else {
        format!(
            "no {bin} pod is visible in kube-system: the control plane may run outside the \
             cluster (hosted, or as system services)"
        )
    };
    out.report_global(format!(
        "cluster `{ctx}`: {bin}'s flags cannot be checked: {reason}"
    ))
    .status(Status::Unknown);
}

#[cfg(test)]
pub(crate) mod fixtures {
    /// A kubeadm kube-apiserver static pod with the given flags.
    pub fn kubeadm(component: &str, flags: &[&str]) -> String {
        let mut y = format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {component}-cp1\n  namespace: kube-system\n  labels: {{component: {component}, tier: control-plane}}\nspec:\n  containers:\n  - name: {component}\n    image: registry.k8s.io/{component}:v1.33.1\n    command:\n    - {component}\n"
        );
        for f in flags {
            y.push_str(&format!("    - {f}\n"));
        }
        y
    }

    /// An RKE2 static pod: the binary in `command`, the flags in `args`.
    pub fn rke2(component: &str, flags: &[&str]) -> String {
        let mut y = format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {component}-node1\n  namespace: kube-system\n  labels: {{component: {component}, tier: control-plane}}\nspec:\n  containers:\n  - name: {component}\n    image: index.docker.io/rancher/hardened-kubernetes:v1.33.1-rke2r1\n    command: [\"{component}\"]\n    args:\n"
        );
        for f in flags {
            y.push_str(&format!("    - {f}\n"));
        }
        y
    }

    /// A k3s server container (as k3d runs it) with the given server arguments.
    pub fn k3s(args: &[&str]) -> String {
        let mut y = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: k3s-server-0\n  namespace: kube-system\nspec:\n  containers:\n  - name: k3s\n    image: rancher/k3s:v1.33.1-k3s1\n    command: [/bin/k3s]\n    args:\n    - server\n".to_string();
        for a in args {
            y.push_str(&format!("    - {a}\n"));
        }
        y
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::*;
    use super::*;
    use kubeward_core::testing::load;

    #[test]
    fn parses_kubeadm_rke2_and_k3s() {
        let l = load(&kubeadm(
            "kube-apiserver",
            &[
                "--anonymous-auth=false",
                "--profiling",
                "--audit-log-path",
                "/var/log/a.log",
            ],
        ));
        let c = components(&l.inventory);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].kind, Kind::ApiServer);
        assert!(c[0].is_false("anonymous-auth"));
        assert!(c[0].is_true("profiling"));
        assert_eq!(c[0].value("audit-log-path"), Some("/var/log/a.log"));
        assert_eq!(c[0].ptr("anonymous-auth"), "/spec/containers/0/command/1");
        assert_eq!(c[0].ptr("token-auth-file"), "/spec/containers/0/command");

        let l = load(&rke2(
            "etcd",
            &["--client-cert-auth=true", "--client-cert-auth=false"],
        ));
        let c = components(&l.inventory);
        assert_eq!(c[0].kind, Kind::Etcd);
        assert!(c[0].is_false("client-cert-auth"), "last one wins");
        assert_eq!(c[0].ptr("client-cert-auth"), "/spec/containers/0/args/1");
        assert_eq!(c[0].ptr("cert-file"), "/spec/containers/0/args");

        let l = load(&k3s(&[
            "--kube-apiserver-arg=anonymous-auth=true",
            "--kube-scheduler-arg",
            "bind-address=0.0.0.0",
        ]));
        let c = components(&l.inventory);
        assert_eq!(c.len(), 3);
        let api = &c[0];
        assert_eq!((api.kind, api.style), (Kind::ApiServer, Style::K3s));
        assert!(api.is_true("anonymous-auth"));
        assert_eq!(api.ptr("anonymous-auth"), "/spec/containers/0/args/1");
        assert_eq!(api.list("authorization-mode"), vec!["Node", "RBAC"]);
        assert!(api.flag("authorization-mode").unwrap().implied);
        let sched = c.iter().find(|c| c.kind == Kind::Scheduler).unwrap();
        assert_eq!(sched.value("bind-address"), Some("0.0.0.0"));
    }
}
