//! The controls of each framework: IDs and short titles written for kubeward from the public
//! documents (CIS Kubernetes Benchmark v1.9 numbering, NSA/CISA Kubernetes Hardening Guide v1.2
//! sections, Pod Security Standards checks, MITRE ATT&CK for Containers techniques). Each
//! control says where its evidence lives, so that a control kubeward cannot see is reported as
//! not checked with the reason, never as passed.

/// Where a control's evidence lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Objects of the manifests or the cluster (workloads, RBAC, policies).
    Objects,
    /// Control-plane component settings (API server, controller manager, scheduler, etcd
    /// static pods or their flags).
    ControlPlane,
    /// Files and processes on a node (`kubeward` must run there).
    NodeOnly,
    /// The cloud provider's settings.
    CloudOnly,
    /// Only a live cluster shows it (audit pipeline, running state).
    Cluster,
}

impl Scope {
    pub fn why_unseen(self) -> &'static str {
        match self {
            Scope::Objects => "no object of the input is concerned",
            Scope::ControlPlane => {
                "needs the control-plane configuration (a cluster scan or the static pod manifests)"
            }
            Scope::NodeOnly => "node-only: files and processes on the node",
            Scope::CloudOnly => "cloud-only: a setting of the cloud provider",
            Scope::Cluster => "needs a cluster",
        }
    }
}

pub struct Control {
    pub id: &'static str,
    pub title: &'static str,
    pub scope: Scope,
}

const fn c(id: &'static str, title: &'static str, scope: Scope) -> Control {
    Control { id, title, scope }
}

use Scope::*;

pub static CIS: &[Control] = &[
    c("1.1.1", "API server pod spec file permissions", NodeOnly),
    c("1.1.2", "API server pod spec file ownership", NodeOnly),
    c(
        "1.1.3",
        "Controller manager pod spec file permissions",
        NodeOnly,
    ),
    c(
        "1.1.4",
        "Controller manager pod spec file ownership",
        NodeOnly,
    ),
    c("1.1.5", "Scheduler pod spec file permissions", NodeOnly),
    c("1.1.6", "Scheduler pod spec file ownership", NodeOnly),
    c("1.1.7", "etcd pod spec file permissions", NodeOnly),
    c("1.1.8", "etcd pod spec file ownership", NodeOnly),
    c("1.1.9", "CNI file permissions", NodeOnly),
    c("1.1.10", "CNI file ownership", NodeOnly),
    c("1.1.11", "etcd data directory permissions", NodeOnly),
    c("1.1.12", "etcd data directory ownership", NodeOnly),
    c("1.1.13", "admin.conf permissions", NodeOnly),
    c("1.1.14", "admin.conf ownership", NodeOnly),
    c("1.1.15", "scheduler.conf permissions", NodeOnly),
    c("1.1.16", "scheduler.conf ownership", NodeOnly),
    c("1.1.17", "controller-manager.conf permissions", NodeOnly),
    c("1.1.18", "controller-manager.conf ownership", NodeOnly),
    c("1.1.19", "PKI directory ownership", NodeOnly),
    c("1.1.20", "PKI certificate file permissions", NodeOnly),
    c("1.1.21", "PKI key file permissions", NodeOnly),
    c("1.2.1", "API server: anonymous auth off", ControlPlane),
    c("1.2.2", "API server: no static token file", ControlPlane),
    c("1.2.3", "API server: DenyServiceExternalIPs", ControlPlane),
    c(
        "1.2.4",
        "API server: kubelet client certificate and key",
        ControlPlane,
    ),
    c(
        "1.2.5",
        "API server: kubelet certificate authority",
        ControlPlane,
    ),
    c(
        "1.2.6",
        "API server: authorization mode not AlwaysAllow",
        ControlPlane,
    ),
    c(
        "1.2.7",
        "API server: authorization mode includes Node",
        ControlPlane,
    ),
    c(
        "1.2.8",
        "API server: authorization mode includes RBAC",
        ControlPlane,
    ),
    c(
        "1.2.9",
        "API server: EventRateLimit admission",
        ControlPlane,
    ),
    c(
        "1.2.10",
        "API server: AlwaysAdmit admission off",
        ControlPlane,
    ),
    c(
        "1.2.11",
        "API server: AlwaysPullImages admission",
        ControlPlane,
    ),
    c(
        "1.2.12",
        "API server: ServiceAccount admission",
        ControlPlane,
    ),
    c(
        "1.2.13",
        "API server: NamespaceLifecycle admission",
        ControlPlane,
    ),
    c(
        "1.2.14",
        "API server: NodeRestriction admission",
        ControlPlane,
    ),
    c("1.2.15", "API server: profiling off", ControlPlane),
    c("1.2.16", "API server: audit log path", ControlPlane),
    c("1.2.17", "API server: audit log max age", ControlPlane),
    c("1.2.18", "API server: audit log max backups", ControlPlane),
    c("1.2.19", "API server: audit log max size", ControlPlane),
    c("1.2.20", "API server: request timeout", ControlPlane),
    c("1.2.21", "API server: service account lookup", ControlPlane),
    c(
        "1.2.22",
        "API server: service account key file",
        ControlPlane,
    ),
    c(
        "1.2.23",
        "API server: etcd client certificate and key",
        ControlPlane,
    ),
    c(
        "1.2.24",
        "API server: TLS certificate and key",
        ControlPlane,
    ),
    c("1.2.25", "API server: client CA file", ControlPlane),
    c("1.2.26", "API server: etcd CA file", ControlPlane),
    c(
        "1.2.27",
        "API server: encryption provider config",
        ControlPlane,
    ),
    c(
        "1.2.28",
        "API server: encryption providers configured",
        ControlPlane,
    ),
    c(
        "1.2.29",
        "API server: strong TLS cipher suites",
        ControlPlane,
    ),
    c(
        "1.3.1",
        "Controller manager: terminated pod GC threshold",
        ControlPlane,
    ),
    c("1.3.2", "Controller manager: profiling off", ControlPlane),
    c(
        "1.3.3",
        "Controller manager: service account credentials",
        ControlPlane,
    ),
    c(
        "1.3.4",
        "Controller manager: service account private key",
        ControlPlane,
    ),
    c("1.3.5", "Controller manager: root CA file", ControlPlane),
    c(
        "1.3.6",
        "Controller manager: kubelet server certificate rotation",
        ControlPlane,
    ),
    c(
        "1.3.7",
        "Controller manager: bind address 127.0.0.1",
        ControlPlane,
    ),
    c("1.4.1", "Scheduler: profiling off", ControlPlane),
    c("1.4.2", "Scheduler: bind address 127.0.0.1", ControlPlane),
    c("2.1", "etcd: client certificate and key", ControlPlane),
    c("2.2", "etcd: client certificate auth", ControlPlane),
    c("2.3", "etcd: no auto TLS", ControlPlane),
    c("2.4", "etcd: peer certificate and key", ControlPlane),
    c("2.5", "etcd: peer client certificate auth", ControlPlane),
    c("2.6", "etcd: no peer auto TLS", ControlPlane),
    c("2.7", "etcd: its own certificate authority", ControlPlane),
    c(
        "3.1.1",
        "Client certificate authentication not used for users",
        Cluster,
    ),
    c(
        "3.1.2",
        "Service account token authentication not used for users",
        Cluster,
    ),
    c(
        "3.1.3",
        "Bootstrap token authentication not used for users",
        Cluster,
    ),
    c("3.2.1", "A minimal audit policy exists", ControlPlane),
    c(
        "3.2.2",
        "The audit policy covers key security concerns",
        ControlPlane,
    ),
    c("4.1.1", "kubelet service file permissions", NodeOnly),
    c("4.1.2", "kubelet service file ownership", NodeOnly),
    c("4.1.3", "Proxy kubeconfig file permissions", NodeOnly),
    c("4.1.4", "Proxy kubeconfig file ownership", NodeOnly),
    c("4.1.5", "kubelet.conf permissions", NodeOnly),
    c("4.1.6", "kubelet.conf ownership", NodeOnly),
    c(
        "4.1.7",
        "Certificate authorities file permissions",
        NodeOnly,
    ),
    c("4.1.8", "Client CA file ownership", NodeOnly),
    c("4.1.9", "kubelet config file permissions", NodeOnly),
    c("4.1.10", "kubelet config file ownership", NodeOnly),
    c("4.2.1", "kubelet: anonymous auth off", NodeOnly),
    c(
        "4.2.2",
        "kubelet: authorization mode not AlwaysAllow",
        NodeOnly,
    ),
    c("4.2.3", "kubelet: client CA file", NodeOnly),
    c("4.2.4", "kubelet: read-only port off", NodeOnly),
    c(
        "4.2.5",
        "kubelet: streaming connection idle timeout",
        NodeOnly,
    ),
    c("4.2.6", "kubelet: make iptables util chains", NodeOnly),
    c("4.2.7", "kubelet: hostname override not set", NodeOnly),
    c("4.2.8", "kubelet: event record QPS", NodeOnly),
    c("4.2.9", "kubelet: TLS certificate and key", NodeOnly),
    c("4.2.10", "kubelet: rotate client certificates", NodeOnly),
    c("4.2.11", "kubelet: rotate server certificates", NodeOnly),
    c("4.2.12", "kubelet: strong TLS cipher suites", NodeOnly),
    c("4.2.13", "kubelet: pod PID limit", NodeOnly),
    c("5.1.1", "cluster-admin used only where required", Objects),
    c("5.1.2", "Minimise access to secrets", Objects),
    c("5.1.3", "Minimise wildcards in roles", Objects),
    c("5.1.4", "Minimise access to create pods", Objects),
    c("5.1.5", "Default service accounts are not used", Objects),
    c(
        "5.1.6",
        "Service account tokens mounted only where needed",
        Objects,
    ),
    c("5.1.7", "system:masters not used", Cluster),
    c("5.1.8", "Limit bind, impersonate and escalate", Objects),
    c(
        "5.1.9",
        "Minimise access to create persistent volumes",
        Objects,
    ),
    c("5.1.10", "Minimise access to nodes/proxy", Objects),
    c("5.1.11", "Minimise access to approve CSRs", Objects),
    c(
        "5.1.12",
        "Minimise access to webhook configurations",
        Objects,
    ),
    c(
        "5.1.13",
        "Minimise access to service account token creation",
        Objects,
    ),
    c("5.2.1", "At least one policy control mechanism", Objects),
    c("5.2.2", "Minimise privileged containers", Objects),
    c("5.2.3", "Minimise sharing the host PID namespace", Objects),
    c("5.2.4", "Minimise sharing the host IPC namespace", Objects),
    c(
        "5.2.5",
        "Minimise sharing the host network namespace",
        Objects,
    ),
    c("5.2.6", "Minimise allowPrivilegeEscalation", Objects),
    c("5.2.7", "Minimise root containers", Objects),
    c("5.2.8", "Minimise the NET_RAW capability", Objects),
    c("5.2.9", "Minimise added capabilities", Objects),
    c(
        "5.2.10",
        "Minimise containers with capabilities assigned",
        Objects,
    ),
    c("5.2.11", "Minimise Windows HostProcess containers", Objects),
    c("5.2.12", "Minimise hostPath volumes", Objects),
    c("5.2.13", "Minimise containers using hostPorts", Objects),
    c("5.3.1", "The CNI supports NetworkPolicies", Cluster),
    c("5.3.2", "Every namespace has NetworkPolicies", Objects),
    c(
        "5.4.1",
        "Secrets as files rather than environment variables",
        Objects,
    ),
    c("5.4.2", "External secret storage", CloudOnly),
    c(
        "5.5.1",
        "Image provenance (ImagePolicyWebhook)",
        ControlPlane,
    ),
    c(
        "5.6.1",
        "Administrative boundaries with namespaces",
        Objects,
    ),
    c("5.6.2", "Seccomp profile RuntimeDefault", Objects),
    c("5.6.3", "Security context on pods and containers", Objects),
    c("5.6.4", "The default namespace is not used", Objects),
];

pub static NSA: &[Control] = &[
    c("NSA-1", "Pod security: non-root containers", Objects),
    c(
        "NSA-2",
        "Pod security: immutable container file systems",
        Objects,
    ),
    c(
        "NSA-3",
        "Pod security: least privilege (no privileged containers or added capabilities)",
        Objects,
    ),
    c("NSA-4", "Pod security: host namespaces not shared", Objects),
    c("NSA-5", "Pod security: no host path volumes", Objects),
    c(
        "NSA-6",
        "Pod security: service account tokens only where needed",
        Objects,
    ),
    c(
        "NSA-7",
        "Pod security: hardened container environments (seccomp, AppArmor, SELinux)",
        Objects,
    ),
    c(
        "NSA-8",
        "Pod security: resource policies (requests, limits, quotas)",
        Objects,
    ),
    c("NSA-9", "Network separation: namespaces", Objects),
    c("NSA-10", "Network separation: network policies", Objects),
    c(
        "NSA-11",
        "Network separation: TLS for control-plane and workload traffic",
        ControlPlane,
    ),
    c(
        "NSA-12",
        "Network separation: control plane hardening",
        ControlPlane,
    ),
    c("NSA-13", "Secrets: encryption at rest", ControlPlane),
    c("NSA-14", "Secrets: encryption in transit", ControlPlane),
    c(
        "NSA-15",
        "Secrets: kept in Secrets, not in code or configuration",
        Objects,
    ),
    c(
        "NSA-16",
        "Authentication and authorization (RBAC, no anonymous access)",
        Objects,
    ),
    c("NSA-17", "Audit logging", ControlPlane),
    c(
        "NSA-18",
        "Threat detection: image scanning and admission",
        Objects,
    ),
    c("NSA-19", "Upgrading and patching", Cluster),
];

/// Key phrases that tie a rule's free-text NSA reference to a control (lower case).
pub fn nsa_keys(id: &str) -> &'static [&'static str] {
    match id {
        "NSA-1" => &["non-root"],
        "NSA-2" => &["immutable"],
        "NSA-3" => &["least privilege", "unprivileged"],
        "NSA-4" => &["host namespaces"],
        "NSA-5" => &["host path"],
        "NSA-6" => &["service account token"],
        "NSA-7" => &["hardening container environments"],
        "NSA-8" => &["resource policies"],
        "NSA-9" => &["hardening, namespaces"],
        "NSA-10" => &["network separation and hardening"],
        "NSA-11" => &["tls"],
        "NSA-12" => &["control plane"],
        "NSA-13" => &["encryption at rest"],
        "NSA-14" => &["encryption in transit"],
        "NSA-15" => &["secrets"],
        "NSA-16" => &["authentication", "authorization", "rbac"],
        "NSA-17" => &["audit", "logging"],
        "NSA-18" => &["image scanning", "threat detection"],
        "NSA-19" => &["upgrad"],
        _ => &[],
    }
}

pub static PSS: &[Control] = &[
    c(
        "windowsHostProcess",
        "Baseline: no Windows HostProcess",
        Objects,
    ),
    c(
        "hostNamespaces",
        "Baseline: no host network, PID or IPC",
        Objects,
    ),
    c("privileged", "Baseline: no privileged containers", Objects),
    c(
        "capabilities_baseline",
        "Baseline: capabilities within the default set",
        Objects,
    ),
    c("hostPathVolumes", "Baseline: no hostPath volumes", Objects),
    c("hostPorts", "Baseline: no host ports", Objects),
    c(
        "hostProbesAndHostLifecycle",
        "Baseline: probes and hooks stay on the pod",
        Objects,
    ),
    c(
        "appArmorProfile",
        "Baseline: AppArmor not unconfined",
        Objects,
    ),
    c(
        "seLinuxOptions",
        "Baseline: no custom SELinux type, user or role",
        Objects,
    ),
    c("procMount", "Baseline: default /proc mount", Objects),
    c(
        "seccompProfile_baseline",
        "Baseline: seccomp not unconfined",
        Objects,
    ),
    c("sysctls", "Baseline: only safe sysctls", Objects),
    c(
        "restrictedVolumes",
        "Restricted: allowed volume types only",
        Objects,
    ),
    c(
        "allowPrivilegeEscalation",
        "Restricted: no privilege escalation",
        Objects,
    ),
    c("runAsNonRoot", "Restricted: run as non-root", Objects),
    c("runAsUser", "Restricted: not UID 0", Objects),
    c(
        "seccompProfile_restricted",
        "Restricted: RuntimeDefault or Localhost seccomp",
        Objects,
    ),
    c(
        "capabilities_restricted",
        "Restricted: drop ALL, add only NET_BIND_SERVICE",
        Objects,
    ),
];

pub static MITRE: &[Control] = &[
    c(
        "T1190",
        "Initial Access: Exploit Public-Facing Application",
        Objects,
    ),
    c("T1133", "Initial Access: External Remote Services", Objects),
    c(
        "T1078",
        "Initial Access / Persistence: Valid Accounts",
        Objects,
    ),
    c(
        "T1609",
        "Execution: Container Administration Command",
        Objects,
    ),
    c("T1610", "Execution: Deploy Container", Objects),
    c(
        "T1053.007",
        "Execution: Container Orchestration Job",
        Objects,
    ),
    c("T1204.003", "Execution: Malicious Image", Objects),
    c("T1098", "Persistence: Account Manipulation", Objects),
    c("T1525", "Persistence: Implant Internal Image", Objects),
    c("T1543.005", "Persistence: Container Service", Objects),
    c("T1611", "Privilege Escalation: Escape to Host", Objects),
    c(
        "T1068",
        "Privilege Escalation: Exploitation for Privilege Escalation",
        Cluster,
    ),
    c("T1612", "Defense Evasion: Build Image on Host", Objects),
    c("T1562", "Defense Evasion: Impair Defenses", Objects),
    c("T1070", "Defense Evasion: Indicator Removal", Cluster),
    c("T1036", "Defense Evasion: Masquerading", Objects),
    c(
        "T1550.001",
        "Defense Evasion / Lateral Movement: Application Access Token",
        Objects,
    ),
    c("T1110", "Credential Access: Brute Force", Cluster),
    c(
        "T1528",
        "Credential Access: Steal Application Access Token",
        Objects,
    ),
    c("T1552", "Credential Access: Unsecured Credentials", Objects),
    c(
        "T1613",
        "Discovery: Container and Resource Discovery",
        Objects,
    ),
    c("T1046", "Discovery: Network Service Discovery", Objects),
    c("T1069", "Discovery: Permission Groups Discovery", Objects),
    c(
        "T1210",
        "Lateral Movement: Exploitation of Remote Services",
        Objects,
    ),
    c(
        "T1557",
        "Collection / Credential Access: Adversary-in-the-Middle",
        Objects,
    ),
    c("T1485", "Impact: Data Destruction", Cluster),
    c("T1490", "Impact: Inhibit System Recovery", Cluster),
    c("T1496", "Impact: Resource Hijacking", Objects),
    c("T1498", "Impact: Network Denial of Service", Cluster),
    c("T1499", "Impact: Endpoint Denial of Service", Objects),
];
