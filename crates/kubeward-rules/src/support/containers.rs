//! Helpers shared by the container, data and network rules: what the active Pod Security
//! profile already reports, security-context inheritance, capability names as the container
//! runtimes read them, and host paths as the node resolves them.

use kubeward_core::config::{PssLevel, PssProfile, Settings};
use kubeward_core::{Container, Node, PodSpec, Severity};

// ---------------------------------------------------------------------------------------------
// Pod Security Standards coverage
// ---------------------------------------------------------------------------------------------

/// What the active Pod Security profile (`settings.pod_security`) already reports. Rules that
/// overlap with a PSS control stay quiet where the profile covers the same misconfiguration, so
/// one mistake never yields two findings that say the same thing.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PssCover {
    pub profile: PssProfile,
}

impl PssCover {
    pub fn of(settings: &Settings) -> PssCover {
        PssCover {
            profile: settings.pss_profile(),
        }
    }

    fn at_least(&self, level: PssLevel) -> bool {
        self.profile.level >= level
    }

    /// `hostPorts` (baseline, every version).
    pub fn host_ports(&self) -> bool {
        self.at_least(PssLevel::Baseline)
    }

    /// `appArmorProfile` (baseline, every version; annotations and fields).
    pub fn apparmor(&self) -> bool {
        self.at_least(PssLevel::Baseline)
    }

    /// An explicit `Unconfined` seccomp field (`seccompProfile_baseline` checks the fields from
    /// v1.19; before that only the annotations).
    pub fn seccomp_unconfined_field(&self) -> bool {
        self.at_least(PssLevel::Baseline) && self.profile.minor >= 19
    }

    /// A missing seccomp profile (`seccompProfile_restricted`, v1.19+, Windows pods exempt from
    /// v1.25).
    pub fn seccomp_required(&self, pod: &PodSpec<'_>) -> bool {
        self.profile.level == PssLevel::Restricted
            && self.profile.minor >= 19
            && !(self.profile.minor >= 25 && pod.is_windows())
    }

    /// `runAsUser: 0` (`runAsUser`, restricted, v1.23+, exempt with `hostUsers: false` from
    /// v1.35).
    pub fn run_as_user_zero(&self, pod: &PodSpec<'_>) -> bool {
        self.profile.level == PssLevel::Restricted
            && self.profile.minor >= 23
            && !(self.profile.minor >= 35 && host_users_false(pod))
    }

    /// `drop: [ALL]` required (`capabilities_restricted`, v1.22+, Windows pods exempt from
    /// v1.25).
    pub fn drop_all(&self, pod: &PodSpec<'_>) -> bool {
        self.profile.level == PssLevel::Restricted
            && self.profile.minor >= 22
            && !(self.profile.minor >= 25 && pod.is_windows())
    }
}

/// `spec.hostUsers: false`: the pod runs in its own user namespace.
pub(crate) fn host_users_false(pod: &PodSpec<'_>) -> bool {
    pod.spec.bool_at("hostUsers") == Some(false)
}

// ---------------------------------------------------------------------------------------------
// Security context inheritance
// ---------------------------------------------------------------------------------------------

/// Where an effective security setting comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    /// The container's own `securityContext`.
    Container,
    /// Inherited from the pod's `securityContext`.
    Pod,
}

/// A security-context field as the kubelet resolves it: the container's value, else the pod's.
/// Only call this for fields that exist in `PodSecurityContext` (runAsUser, runAsGroup,
/// runAsNonRoot, seLinuxOptions, seccompProfile, appArmorProfile, windowsOptions).
pub(crate) struct Effective<'a> {
    pub node: &'a Node,
    pub origin: Origin,
}

impl Effective<'_> {
    /// Where the value is written (built only when a finding needs it).
    pub fn pointer(&self, pod: &PodSpec<'_>, c: &Container<'_>, key: &str) -> String {
        match self.origin {
            Origin::Container => c.ptr(&["securityContext", key]),
            Origin::Pod => pod.ptr(&["securityContext", key]),
        }
    }
}

pub(crate) fn inherited<'a>(
    pod: &PodSpec<'a>,
    c: &Container<'a>,
    key: &str,
) -> Option<Effective<'a>> {
    if let Some(n) = c.security_context().and_then(|sc| sc.get(key)) {
        return Some(Effective {
            node: n,
            origin: Origin::Container,
        });
    }
    pod.security_context()
        .and_then(|sc| sc.get(key))
        .map(|n| Effective {
            node: n,
            origin: Origin::Pod,
        })
}

/// `"container \"a\""`, `"container \"a\" and init container \"b\""`, for messages about a
/// pod-level value several containers inherit.
pub(crate) fn describe_all(cs: &[Container<'_>]) -> String {
    let names: Vec<String> = cs.iter().map(Container::describe).collect();
    match names.len() {
        0 => String::new(),
        1 => names[0].clone(),
        n => format!("{} and {}", names[..n - 1].join(", "), names[n - 1]),
    }
}

// ---------------------------------------------------------------------------------------------
// Capabilities
// ---------------------------------------------------------------------------------------------

/// A capability entry of `capabilities.add` or `.drop`, read the way the runtimes read it.
///
/// containerd and CRI-O compare `ALL` case-insensitively and upper-case every other name.
/// containerd then always prepends `CAP_` (so `CAP_SYS_ADMIN` becomes `CAP_CAP_SYS_ADMIN`, which
/// runc ignores as unknown); CRI-O prepends it only when it is missing. A `CAP_` spelling
/// therefore takes effect on CRI-O only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CapEntry {
    /// Upper-case name without `CAP_` (`ALL` for the wildcard).
    pub name: String,
    /// Written with a `CAP_` prefix (effective on CRI-O only).
    pub prefixed: bool,
}

impl CapEntry {
    pub fn parse(raw: &str) -> CapEntry {
        if raw.eq_ignore_ascii_case("ALL") {
            return CapEntry {
                name: "ALL".into(),
                prefixed: false,
            };
        }
        let up = raw.to_ascii_uppercase();
        match up.strip_prefix("CAP_") {
            // `CAP_ALL` is not the wildcard for either runtime.
            Some(rest) if rest != "ALL" => CapEntry {
                name: rest.to_string(),
                prefixed: true,
            },
            _ => CapEntry {
                name: up,
                prefixed: false,
            },
        }
    }

    pub fn is_all(&self) -> bool {
        self.name == "ALL" && !self.prefixed
    }
}

/// The entries of `securityContext.capabilities.<list>` with their index, skipping non-strings.
pub(crate) fn cap_list<'a>(c: &Container<'a>, list: &str) -> Vec<(usize, &'a str, CapEntry)> {
    c.security_context()
        .and_then(|sc| sc.path(&["capabilities", list]))
        .map(Node::items)
        .unwrap_or(&[])
        .iter()
        .enumerate()
        .filter_map(|(i, n)| n.as_str().map(|s| (i, s, CapEntry::parse(s))))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Host paths
// ---------------------------------------------------------------------------------------------

/// A host path resolved the way the node sees it: `.` and `..` applied, repeated and trailing
/// slashes removed, and `/var/run` read as `/run` (a symlink on every current distribution).
/// `None` for paths that are not absolute POSIX paths (Windows paths, relative paths).
pub(crate) fn canonical_host_path(path: &str) -> Option<String> {
    if !path.starts_with('/') || path.contains('\\') {
        return None;
    }
    let mut parts: Vec<&str> = Vec::new();
    for p in path.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    if parts.len() >= 2 && parts[0] == "var" && parts[1] == "run" {
        parts.remove(0);
    }
    let mut out = String::with_capacity(path.len());
    for p in &parts {
        out.push('/');
        out.push_str(p);
    }
    if out.is_empty() {
        out.push('/');
    }
    Some(out)
}

/// Whether canonical path `a` is `b` or one of its ancestors.
pub(crate) fn is_same_or_ancestor(a: &str, b: &str) -> bool {
    a == "/" || a == b || (b.starts_with(a) && b.as_bytes().get(a.len()) == Some(&b'/'))
}

/// Like [`is_same_or_ancestor`], where a `*` component of `pattern` matches any one component.
pub(crate) fn is_same_or_ancestor_of_pattern(a: &str, pattern: &str) -> bool {
    if a == "/" {
        return true;
    }
    let mut pc = pattern.split('/').skip(1);
    a.split('/')
        .skip(1)
        .all(|x| pc.next().is_some_and(|p| p == "*" || p == x))
}

/// One container's mount of a hostPath volume.
pub(crate) struct HostMount<'a> {
    pub container: Container<'a>,
    pub mount_index: usize,
    pub mount: &'a Node,
    pub volume_index: usize,
    pub volume: &'a Node,
    /// The host path as written, with the mount's `subPath` appended.
    pub written: String,
    /// [`canonical_host_path`] of `written`.
    pub canonical: Option<String>,
    pub read_only: bool,
    /// The mount uses `subPathExpr`, which is expanded at run time; `written` is the volume's
    /// path, and the container sees something at or below it.
    pub sub_path_expr: bool,
}

impl HostMount<'_> {
    pub fn volume_name(&self) -> &str {
        self.volume.str_at("name").unwrap_or("")
    }

    pub fn mount_ptr(&self, tokens: &[&str]) -> String {
        let idx = self.mount_index.to_string();
        let mut t: Vec<&str> = vec!["volumeMounts", &idx];
        t.extend_from_slice(tokens);
        self.container.ptr(&t)
    }

    pub fn volume_ptr(&self, pod: &PodSpec<'_>) -> String {
        pod.ptr(&[
            "volumes",
            &self.volume_index.to_string(),
            "hostPath",
            "path",
        ])
    }

    /// `volume "x" (node path /etc)` plus the subPath, for messages.
    pub fn describe(&self) -> String {
        let mut s = format!(
            "hostPath volume \"{}\" (node path {}",
            self.volume_name(),
            self.written
        );
        if self.sub_path_expr {
            s.push_str(", narrowed at run time by subPathExpr");
        }
        s.push(')');
        s
    }
}

/// Every container mount of a hostPath volume, in container order.
pub(crate) fn host_path_mounts<'a>(pod: &PodSpec<'a>) -> Vec<HostMount<'a>> {
    let host_volumes: Vec<(usize, &'a Node, &'a str, &'a str)> = pod
        .volumes()
        .filter_map(|(i, v)| {
            let path = v.get("hostPath")?.str_at("path")?;
            Some((i, v, v.str_at("name").unwrap_or(""), path))
        })
        .collect();
    if host_volumes.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for c in pod.containers() {
        for (mi, m) in c.items("volumeMounts") {
            let Some(name) = m.str_at("name") else {
                continue;
            };
            let Some(&(vi, v, _, path)) = host_volumes.iter().find(|(_, _, n, _)| *n == name)
            else {
                continue;
            };
            let sub = m.str_at("subPath").filter(|s| !s.is_empty());
            let written = match sub {
                Some(s) => format!("{}/{}", path.trim_end_matches('/'), s),
                None => path.to_string(),
            };
            out.push(HostMount {
                container: c,
                mount_index: mi,
                mount: m,
                volume_index: vi,
                volume: v,
                canonical: canonical_host_path(&written),
                written,
                read_only: m.bool_at("readOnly") == Some(true),
                sub_path_expr: m
                    .str_at("subPathExpr")
                    .is_some_and(|s| !s.is_empty() && sub.is_none()),
            });
        }
    }
    out
}

/// A container runtime API endpoint on the node.
pub(crate) struct RuntimeSocket {
    /// Canonical path; a `*` component matches any one component.
    pub path: &'static str,
    pub runtime: &'static str,
    /// The highest folder above the socket that this rule claims; mounting a folder above it
    /// (`/`, `/var`) is reported as a sensitive path instead.
    pub claim_from: &'static str,
}

pub(crate) const RUNTIME_SOCKETS: &[RuntimeSocket] = &[
    RuntimeSocket {
        path: "/run/docker.sock",
        claim_from: "/run",
        runtime: "Docker",
    },
    RuntimeSocket {
        path: "/run/user/*/docker.sock",
        claim_from: "/run",
        runtime: "rootless Docker",
    },
    RuntimeSocket {
        path: "/run/containerd/containerd.sock",
        claim_from: "/run",
        runtime: "containerd",
    },
    RuntimeSocket {
        path: "/run/k3s/containerd/containerd.sock",
        claim_from: "/run",
        runtime: "containerd (k3s)",
    },
    RuntimeSocket {
        path: "/var/snap/microk8s/common/run/containerd.sock",
        claim_from: "/var/snap/microk8s",
        runtime: "containerd (MicroK8s)",
    },
    RuntimeSocket {
        path: "/run/crio/crio.sock",
        claim_from: "/run",
        runtime: "CRI-O",
    },
    RuntimeSocket {
        path: "/run/podman/podman.sock",
        claim_from: "/run",
        runtime: "Podman",
    },
    RuntimeSocket {
        path: "/run/user/*/podman/podman.sock",
        claim_from: "/run",
        runtime: "rootless Podman",
    },
    RuntimeSocket {
        path: "/run/cri-dockerd.sock",
        claim_from: "/run",
        runtime: "cri-dockerd",
    },
    RuntimeSocket {
        path: "/run/dockershim.sock",
        claim_from: "/run",
        runtime: "dockershim",
    },
    RuntimeSocket {
        path: "/run/buildkit/buildkitd.sock",
        claim_from: "/run",
        runtime: "BuildKit",
    },
];

/// Windows named pipes of container runtimes (compared case-insensitively).
pub(crate) const RUNTIME_PIPES: &[(&str, &str)] = &[
    (r"\\.\pipe\docker_engine", "Docker"),
    (r"\\.\pipe\containerd-containerd", "containerd"),
];

/// The runtime sockets a host path exposes (the socket itself or a folder above it). `/` is
/// left to the sensitive-path rule, which reports the whole filesystem.
pub(crate) fn sockets_exposed(m: &HostMount<'_>) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    match &m.canonical {
        Some(p) if p != "/" => {
            for s in RUNTIME_SOCKETS {
                if is_same_or_ancestor(s.claim_from, p)
                    && is_same_or_ancestor_of_pattern(p, s.path)
                    && !out.contains(&s.runtime)
                {
                    out.push(s.runtime);
                }
            }
        }
        Some(_) => {}
        None => {
            let w = m.written.to_ascii_lowercase().replace('/', "\\");
            for (pipe, runtime) in RUNTIME_PIPES {
                if w.trim_end_matches('\\') == *pipe {
                    out.push(runtime);
                }
            }
        }
    }
    out
}

/// A host path that must not be handed to a container.
pub(crate) struct SensitivePath {
    pub path: &'static str,
    /// Whatever is below the path is sensitive too (not only the path and its parents).
    pub subtree: bool,
    pub severity: Severity,
    pub what: &'static str,
}

const fn sp(
    path: &'static str,
    subtree: bool,
    severity: Severity,
    what: &'static str,
) -> SensitivePath {
    SensitivePath {
        path,
        subtree,
        severity,
        what,
    }
}

/// The built-in list (canonical paths). Broad folders such as `/etc` are exact entries: the
/// folder and its parents are sensitive, but a narrow child such as `/etc/localtime` is not.
pub(crate) const SENSITIVE_PATHS: &[SensitivePath] = &[
    sp(
        "/etc",
        false,
        Severity::High,
        "the node's configuration (users, sudoers, cron, systemd units, kubelet and runtime settings)",
    ),
    sp(
        "/etc/kubernetes",
        true,
        Severity::Critical,
        "the cluster PKI, kubeconfigs such as admin.conf and kubelet.conf, and static pod manifests",
    ),
    sp(
        "/etc/shadow",
        true,
        Severity::High,
        "the node's password hashes",
    ),
    sp(
        "/etc/sudoers",
        true,
        Severity::High,
        "who may become root on the node",
    ),
    sp(
        "/etc/sudoers.d",
        true,
        Severity::High,
        "who may become root on the node",
    ),
    sp(
        "/etc/crontab",
        true,
        Severity::High,
        "jobs the node runs as root",
    ),
    sp(
        "/etc/cron.d",
        true,
        Severity::High,
        "jobs the node runs as root",
    ),
    sp(
        "/etc/systemd",
        true,
        Severity::High,
        "services the node starts as root",
    ),
    sp(
        "/etc/ssh",
        true,
        Severity::High,
        "the node's SSH host keys and login settings",
    ),
    sp(
        "/etc/containerd",
        true,
        Severity::High,
        "the container runtime's configuration",
    ),
    sp(
        "/etc/crio",
        true,
        Severity::High,
        "the container runtime's configuration",
    ),
    sp(
        "/etc/docker",
        true,
        Severity::High,
        "the container runtime's configuration",
    ),
    sp(
        "/etc/cni",
        true,
        Severity::High,
        "the pod network configuration",
    ),
    sp(
        "/proc",
        true,
        Severity::High,
        "the node's processes (their memory maps and environments) and kernel tunables such as /proc/sys and /proc/sysrq-trigger",
    ),
    sp(
        "/sys",
        true,
        Severity::High,
        "kernel and device settings and the cgroup tree",
    ),
    sp(
        "/dev",
        true,
        Severity::High,
        "the node's devices (disks, memory, terminals)",
    ),
    sp(
        "/boot",
        true,
        Severity::High,
        "the kernel images and boot configuration",
    ),
    sp("/lib/modules", true, Severity::High, "kernel modules"),
    sp("/usr/lib/modules", true, Severity::High, "kernel modules"),
    sp(
        "/bin",
        true,
        Severity::High,
        "programs the node runs as root",
    ),
    sp(
        "/sbin",
        true,
        Severity::High,
        "programs the node runs as root",
    ),
    sp(
        "/usr/bin",
        true,
        Severity::High,
        "programs the node runs as root",
    ),
    sp(
        "/usr/sbin",
        true,
        Severity::High,
        "programs the node runs as root",
    ),
    sp(
        "/usr/local/bin",
        true,
        Severity::High,
        "programs the node runs as root",
    ),
    sp(
        "/lib/systemd",
        true,
        Severity::High,
        "services the node starts as root",
    ),
    sp(
        "/usr/lib/systemd",
        true,
        Severity::High,
        "services the node starts as root",
    ),
    sp(
        "/root",
        true,
        Severity::High,
        "root's home on the node (SSH keys, shell history, cloud credentials)",
    ),
    sp(
        "/home",
        true,
        Severity::High,
        "the home folders of the node's users (SSH keys, credentials)",
    ),
    sp(
        "/run",
        false,
        Severity::High,
        "runtime sockets and the state of system services",
    ),
    sp(
        "/var/lib/kubelet",
        true,
        Severity::Critical,
        "the kubelet's credentials and every pod's Secret and service-account token volumes on the node",
    ),
    sp(
        "/var/lib/etcd",
        true,
        Severity::Critical,
        "the etcd database, which holds every Secret of the cluster",
    ),
    sp(
        "/var/lib/docker",
        true,
        Severity::High,
        "the images and writable layers of every container on the node",
    ),
    sp(
        "/var/lib/containerd",
        true,
        Severity::High,
        "the images and writable layers of every container on the node",
    ),
    sp(
        "/var/lib/containers",
        true,
        Severity::High,
        "the images and writable layers of every container on the node",
    ),
    sp(
        "/var/lib/rancher",
        true,
        Severity::Critical,
        "k3s/RKE2 state, including the server token and the embedded datastore",
    ),
    sp(
        "/var/lib/cni",
        true,
        Severity::High,
        "the pod network state",
    ),
    sp(
        "/opt/cni",
        true,
        Severity::High,
        "CNI plugins, which the kubelet runs as root",
    ),
    sp(
        "/var/spool/cron",
        true,
        Severity::High,
        "jobs the node runs on users' behalf",
    ),
    sp(
        "/var/log",
        true,
        Severity::Medium,
        "the logs of every pod and system service on the node, which often hold tokens and personal data",
    ),
    sp(
        "/srv/kubernetes",
        true,
        Severity::Critical,
        "control-plane credentials on older installers",
    ),
];

/// What a canonical host path exposes.
pub(crate) struct Exposure {
    pub severity: Severity,
    /// `(path, what)` of each sensitive path reached, most severe first.
    pub hits: Vec<(String, String)>,
}

/// The sensitive paths `canonical` exposes: the path itself, a sensitive folder above it whose
/// whole subtree is sensitive, or sensitive paths below it (mounting a parent exposes them).
pub(crate) fn sensitive_exposure(canonical: &str, extra: &[String]) -> Option<Exposure> {
    let mut hits: Vec<(Severity, String, String)> = Vec::new();
    let mut consider = |path: &str, subtree: bool, sev: Severity, what: &str| {
        let exact_or_parent = is_same_or_ancestor(canonical, path);
        let inside = subtree && is_same_or_ancestor(path, canonical);
        if exact_or_parent || inside {
            hits.push((sev, path.to_string(), what.to_string()));
        }
    };
    for s in SENSITIVE_PATHS {
        consider(s.path, s.subtree, s.severity, s.what);
    }
    for e in extra {
        if let Some(c) = canonical_host_path(e) {
            consider(
                &c,
                true,
                Severity::High,
                "a path listed in settings.extra_sensitive_host_paths",
            );
        }
    }
    if hits.is_empty() {
        return None;
    }
    hits.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    hits.dedup_by(|a, b| a.1 == b.1);
    let severity = if canonical == "/" {
        Severity::Critical
    } else {
        hits[0].0
    };
    Some(Exposure {
        severity,
        hits: hits.into_iter().map(|(_, p, w)| (p, w)).collect(),
    })
}

// ---------------------------------------------------------------------------------------------
// Test fixtures
// ---------------------------------------------------------------------------------------------

#[cfg(test)]
pub(crate) mod fixtures {
    use serde_json::{Value, json};

    /// A pod spec whose one container mounts hostPath `path` read-only at `/host` (through
    /// `subPath` when given).
    pub fn host_mount(path: &str, sub: Option<&str>) -> Value {
        let mut m = json!({"name": "v", "mountPath": "/host", "readOnly": true});
        if let Some(s) = sub {
            m["subPath"] = json!(s);
        }
        json!({"containers": [{"name": "a", "image": "x", "volumeMounts": [m]}],
               "volumes": [{"name": "v", "hostPath": {"path": path}}]})
    }

    /// `spec` wrapped as each workload kind: (kind, JSON text, pod spec pointer prefix,
    /// pod metadata pointer prefix). `meta` is the pod metadata (labels, annotations).
    pub fn all_kinds(spec: &Value, meta: &Value) -> Vec<(&'static str, String, &'static str)> {
        let tmpl = json!({"metadata": meta, "spec": spec});
        let objs = [
            (
                "Pod",
                json!({"apiVersion": "v1", "kind": "Pod",
                       "metadata": merge(json!({"name": "w", "namespace": "team"}), meta),
                       "spec": spec}),
                "/spec",
            ),
            (
                "Deployment",
                json!({"apiVersion": "apps/v1", "kind": "Deployment",
                       "metadata": {"name": "w", "namespace": "team"},
                       "spec": {"template": tmpl}}),
                "/spec/template/spec",
            ),
            (
                "StatefulSet",
                json!({"apiVersion": "apps/v1", "kind": "StatefulSet",
                       "metadata": {"name": "w", "namespace": "team"},
                       "spec": {"template": tmpl}}),
                "/spec/template/spec",
            ),
            (
                "DaemonSet",
                json!({"apiVersion": "apps/v1", "kind": "DaemonSet",
                       "metadata": {"name": "w", "namespace": "team"},
                       "spec": {"template": tmpl}}),
                "/spec/template/spec",
            ),
            (
                "ReplicaSet",
                json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
                       "metadata": {"name": "w", "namespace": "team"},
                       "spec": {"template": tmpl}}),
                "/spec/template/spec",
            ),
            (
                "ReplicationController",
                json!({"apiVersion": "v1", "kind": "ReplicationController",
                       "metadata": {"name": "w", "namespace": "team"},
                       "spec": {"template": tmpl}}),
                "/spec/template/spec",
            ),
            (
                "Job",
                json!({"apiVersion": "batch/v1", "kind": "Job",
                       "metadata": {"name": "w", "namespace": "team"},
                       "spec": {"template": tmpl}}),
                "/spec/template/spec",
            ),
            (
                "CronJob",
                json!({"apiVersion": "batch/v1", "kind": "CronJob",
                       "metadata": {"name": "w", "namespace": "team"},
                       "spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": tmpl}}}}),
                "/spec/jobTemplate/spec/template/spec",
            ),
            (
                "PodTemplate",
                json!({"apiVersion": "v1", "kind": "PodTemplate",
                       "metadata": {"name": "w", "namespace": "team"},
                       "template": tmpl}),
                "/template/spec",
            ),
        ];
        objs.into_iter()
            .map(|(k, v, p)| (k, serde_json::to_string(&v).unwrap(), p))
            .collect()
    }

    fn merge(mut a: Value, b: &Value) -> Value {
        if let (Some(am), Some(bm)) = (a.as_object_mut(), b.as_object()) {
            for (k, v) in bm {
                am.insert(k.clone(), v.clone());
            }
        }
        a
    }

    /// Sorted, for comparing pointer lists regardless of document order (the fixtures are JSON
    /// on one line, so findings sort by pointer).
    pub fn sorted<S: AsRef<str>>(v: Vec<S>) -> Vec<String> {
        let mut v: Vec<String> = v.iter().map(|s| s.as_ref().to_string()).collect();
        v.sort();
        v
    }

    /// The hit at `pointer` (panics when there is none).
    pub fn at<'a>(
        hits: &'a [kubeward_core::testing::Hit],
        pointer: &str,
    ) -> &'a kubeward_core::testing::Hit {
        hits.iter()
            .find(|h| h.pointer == pointer)
            .unwrap_or_else(|| panic!("no hit at {pointer}: {hits:?}"))
    }

    /// A pod spec JSON value with `containers` only.
    pub fn pod(containers: Value) -> Value {
        json!({"containers": containers})
    }

    /// A Pod object (JSON text) in namespace `team` with this spec.
    pub fn pod_yaml(spec: Value) -> String {
        serde_json::to_string(&json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p", "namespace": "team"}, "spec": spec}))
        .unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_paths_are_canonical() {
        for (input, want) in [
            ("/", Some("/")),
            ("//", Some("/")),
            ("/etc/", Some("/etc")),
            ("/etc//kubernetes/./pki/", Some("/etc/kubernetes/pki")),
            ("/var/log/../lib/kubelet", Some("/var/lib/kubelet")),
            ("/../../etc", Some("/etc")),
            ("/var/run/docker.sock", Some("/run/docker.sock")),
            ("/var/run", Some("/run")),
            ("/var", Some("/var")),
            ("relative/path", None),
            (r"C:\Windows", None),
        ] {
            assert_eq!(canonical_host_path(input).as_deref(), want, "{input}");
        }
    }

    #[test]
    fn ancestors() {
        assert!(is_same_or_ancestor("/", "/etc"));
        assert!(is_same_or_ancestor("/etc", "/etc"));
        assert!(is_same_or_ancestor("/etc", "/etc/kubernetes"));
        assert!(!is_same_or_ancestor("/et", "/etc"));
        assert!(!is_same_or_ancestor("/etc/kubernetes", "/etc"));
        assert!(is_same_or_ancestor_of_pattern(
            "/run/user/1000",
            "/run/user/*/docker.sock"
        ));
        assert!(!is_same_or_ancestor_of_pattern(
            "/run/users",
            "/run/user/*/docker.sock"
        ));
    }

    #[test]
    fn sensitive_paths_cover_parents_and_subtrees_but_not_narrow_children() {
        let sev = |p: &str| sensitive_exposure(p, &[]).map(|e| e.severity);
        assert_eq!(sev("/"), Some(Severity::Critical));
        assert_eq!(sev("/etc"), Some(Severity::Critical)); // parent of /etc/kubernetes
        assert_eq!(sev("/etc/kubernetes/pki"), Some(Severity::Critical));
        assert_eq!(sev("/var"), Some(Severity::Critical)); // parent of /var/lib/kubelet
        assert_eq!(sev("/var/log/pods"), Some(Severity::Medium));
        assert_eq!(sev("/proc/1/root"), Some(Severity::High));
        assert_eq!(sev("/etc/localtime"), None);
        assert_eq!(sev("/etc/ssl/certs"), None);
        assert_eq!(sev("/data/app"), None);
        assert_eq!(sev("/var/lib/kubeletx"), None);
        let extra = vec!["/data/secrets/".to_string()];
        assert_eq!(
            sensitive_exposure("/data/secrets/x", &extra).map(|e| e.severity),
            Some(Severity::High)
        );
        assert_eq!(
            sensitive_exposure("/data", &extra).map(|e| e.severity),
            Some(Severity::High)
        );
    }

    #[test]
    fn capability_spellings() {
        assert!(CapEntry::parse("all").is_all());
        assert!(!CapEntry::parse("CAP_ALL").is_all());
        let c = CapEntry::parse("cap_sys_admin");
        assert_eq!((c.name.as_str(), c.prefixed), ("SYS_ADMIN", true));
        let c = CapEntry::parse("net_raw");
        assert_eq!((c.name.as_str(), c.prefixed), ("NET_RAW", false));
    }
}
