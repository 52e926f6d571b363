//! One object and where it came from: ids, sources, cluster facts, and which kinds are
//! namespaced. Depends only on the document tree, so the pod-spec walkers can name an
//! [`Object`] without depending on the inventory that indexes them.

use crate::tree::{Node, Span};
use compact_str::CompactString;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::Arc;

/// The annotation that suppresses findings on an object or its pod template:
/// `kubeward.io/ignore: "KW-PSS-003,KW-CTR-001 -- reason"`.
pub const IGNORE_ANNOTATION: &str = "kubeward.io/ignore";

/// Index of an object in its inventory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ObjectId(pub u32);

/// Index of a source in its inventory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct SourceId(pub u32);

/// Where objects came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceKind {
    /// A file on disk.
    File,
    /// Standard input.
    Stdin,
    /// The output of `kubectl kustomize` on a folder.
    Kustomize,
    /// A live cluster, through a kubeconfig context.
    Cluster { context: String },
    /// A saved snapshot of a cluster.
    Snapshot { context: String },
    /// An admission request or audit event.
    Runtime,
}

#[derive(Clone, Debug)]
pub struct Source {
    /// What to show a user: the path as given, `-` for stdin, `cluster:<context>`.
    pub name: String,
    pub path: Option<PathBuf>,
    pub kind: SourceKind,
    /// The text, kept for sources that cannot be read again (stdin, Kustomize output, inline
    /// text). Files on disk are not kept in memory: [`Source::read_text`] reads them again
    /// when a renderer needs a line.
    pub text: Option<Arc<str>>,
}

impl Source {
    /// The source text: the kept copy, or the file read again. `None` for cluster objects or
    /// a file that can no longer be read.
    pub fn read_text(&self) -> Option<Arc<str>> {
        match (&self.text, &self.path, &self.kind) {
            (Some(t), _, _) => Some(Arc::clone(t)),
            (None, Some(p), SourceKind::File) => std::fs::read_to_string(p).ok().map(Arc::from),
            _ => None,
        }
    }

    /// The 1-based line `line` of the kept text, without its line break (see [`line_of`]).
    pub fn line(&self, line: u32) -> Option<String> {
        line_of(&self.read_text()?, line).map(str::to_string)
    }

    /// The cluster context for cluster-backed sources.
    pub fn context(&self) -> Option<&str> {
        match &self.kind {
            SourceKind::Cluster { context } | SourceKind::Snapshot { context } => Some(context),
            _ => None,
        }
    }
}

/// What a live cluster (or a snapshot of one) said about itself besides its objects. Filled by
/// the cluster source; read by rules (version support, managed control planes, coverage).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ClusterInfo {
    /// The kubeconfig context (or `in-cluster`).
    pub context: String,
    /// The API server URL.
    #[serde(default)]
    pub server: Option<String>,
    /// What `/version` answered.
    #[serde(default)]
    pub version: Option<ServerVersion>,
    /// Namespaces the scan was restricted to (`None`: all).
    #[serde(default)]
    pub namespaces: Option<Vec<String>>,
    /// Resources that could not be read, each said once.
    #[serde(default)]
    pub gaps: Vec<CoverageGap>,
}

/// The API server's `/version`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerVersion {
    pub major: String,
    pub minor: String,
    pub git_version: String,
    #[serde(default)]
    pub platform: String,
}

impl ServerVersion {
    /// `(major, minor)` from `gitVersion` (`v1.31.4-eks-1234` → `(1, 31)`), falling back to the
    /// `major`/`minor` fields (which some distributions suffix with `+`).
    pub fn major_minor(&self) -> Option<(u32, u32)> {
        parse_major_minor(&self.git_version).or_else(|| {
            let num = |s: &str| s.trim_end_matches('+').parse::<u32>().ok();
            Some((num(&self.major)?, num(&self.minor)?))
        })
    }
}

/// `(major, minor)` of a Kubernetes version string such as `v1.31.4+k3s1` or `1.30`.
pub fn parse_major_minor(v: &str) -> Option<(u32, u32)> {
    let v = v.trim().trim_start_matches('v');
    let mut it = v.split(['.', '-', '+']);
    let major = it.next()?.parse().ok()?;
    let minor = it.next()?.parse().ok()?;
    Some((major, minor))
}

/// A resource the scan could not read, and why.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CoverageGap {
    /// API group (`""` for the core group).
    pub group: String,
    pub version: String,
    /// Plural resource name (`secrets`).
    pub resource: String,
    pub kind: String,
    /// The namespace, when only one namespace was refused.
    #[serde(default)]
    pub namespace: Option<String>,
    /// The verb that was refused (`list`).
    pub verb: String,
    /// What the server said (HTTP status and message).
    pub reason: String,
}

/// Facts about an input file that rules may need (kubeconfig permissions). The input layer
/// gathers them; rules never touch files.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileMeta {
    /// Permission bits (`0o600`).
    pub mode: Option<u32>,
    /// The file's owner.
    pub owner_uid: Option<u32>,
    /// The user running the scan.
    pub reader_uid: Option<u32>,
}

/// A Kubernetes object with the tree it was read from.
#[derive(Clone, Debug)]
pub struct Object {
    pub id: ObjectId,
    pub source: SourceId,
    /// 0-based document index within the source.
    pub doc: u32,
    /// Pointer of this object inside its document (`/items/3` for a List item, else empty).
    pub base_pointer: String,
    pub api_version: CompactString,
    pub kind: CompactString,
    pub name: CompactString,
    /// The namespace after defaulting; `None` for cluster-scoped kinds.
    pub namespace: Option<CompactString>,
    /// True when the namespace was not written and was defaulted.
    pub namespace_defaulted: bool,
    pub root: Node,
}

impl Object {
    /// The API group (`""` for the core group).
    pub fn group(&self) -> &str {
        match self.api_version.rsplit_once('/') {
            Some((g, _)) => g,
            None => "",
        }
    }

    pub fn metadata(&self) -> Option<&Node> {
        self.root.get("metadata")
    }

    pub fn labels(&self) -> Option<&Node> {
        self.root.path(&["metadata", "labels"])
    }

    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels()?.str_at(key)
    }

    pub fn annotations(&self) -> Option<&Node> {
        self.root.path(&["metadata", "annotations"])
    }

    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.annotations()?.str_at(key)
    }

    pub fn namespace(&self) -> Option<&str> {
        self.namespace.as_deref()
    }

    pub fn is(&self, group: &str, kind: &str) -> bool {
        self.kind == kind && self.group() == group
    }

    /// `Kind ns/name` or `Kind name`, for messages.
    pub fn display(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {}/{}", self.kind, ns, self.name),
            None => format!("{} {}", self.kind, self.name),
        }
    }

    pub fn resource(&self) -> ResourceRef {
        ResourceRef {
            api_version: self.api_version.to_string(),
            kind: self.kind.to_string(),
            namespace: self.namespace.as_ref().map(|s| s.to_string()),
            name: self.name.to_string(),
        }
    }

    /// The span for `pointer`, relative to this object.
    pub fn span_of(&self, pointer: &str) -> Span {
        self.root.locate(pointer).span()
    }
}

/// The identity of an object, as written in reports.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ResourceRef {
    pub api_version: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
}

/// The 1-based line `line` of `text`, without its line break.
pub fn line_of(text: &str, line: u32) -> Option<&str> {
    if line == 0 {
        return None;
    }
    text.split('\n')
        .nth(line as usize - 1)
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
}

/// Built-in kinds that are cluster-scoped (group, kind).
const CLUSTER_SCOPED: &[(&str, &str)] = &[
    ("", "Namespace"),
    ("", "Node"),
    ("", "PersistentVolume"),
    ("", "ComponentStatus"),
    ("rbac.authorization.k8s.io", "ClusterRole"),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("storage.k8s.io", "StorageClass"),
    ("storage.k8s.io", "CSIDriver"),
    ("storage.k8s.io", "CSINode"),
    ("storage.k8s.io", "VolumeAttachment"),
    ("storage.k8s.io", "VolumeAttributesClass"),
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
    ("apiregistration.k8s.io", "APIService"),
    (
        "admissionregistration.k8s.io",
        "MutatingWebhookConfiguration",
    ),
    (
        "admissionregistration.k8s.io",
        "ValidatingWebhookConfiguration",
    ),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
    (
        "admissionregistration.k8s.io",
        "ValidatingAdmissionPolicyBinding",
    ),
    ("admissionregistration.k8s.io", "MutatingAdmissionPolicy"),
    (
        "admissionregistration.k8s.io",
        "MutatingAdmissionPolicyBinding",
    ),
    ("scheduling.k8s.io", "PriorityClass"),
    ("node.k8s.io", "RuntimeClass"),
    ("networking.k8s.io", "IngressClass"),
    ("networking.k8s.io", "IPAddress"),
    ("networking.k8s.io", "ServiceCIDR"),
    ("certificates.k8s.io", "CertificateSigningRequest"),
    ("certificates.k8s.io", "ClusterTrustBundle"),
    ("flowcontrol.apiserver.k8s.io", "FlowSchema"),
    ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"),
    ("resource.k8s.io", "DeviceClass"),
    ("resource.k8s.io", "ResourceSlice"),
    ("storagemigration.k8s.io", "StorageVersionMigration"),
    ("policy.networking.k8s.io", "AdminNetworkPolicy"),
    ("policy.networking.k8s.io", "BaselineAdminNetworkPolicy"),
    ("authentication.k8s.io", "TokenReview"),
    ("authentication.k8s.io", "SelfSubjectReview"),
    ("authorization.k8s.io", "SubjectAccessReview"),
    ("authorization.k8s.io", "SelfSubjectAccessReview"),
    ("authorization.k8s.io", "SelfSubjectRulesReview"),
    // A kubeconfig file (`apiVersion: v1`, `kind: Config`) is read as an object too.
    ("", "Config"),
];

/// Built-in namespaced kinds (group, kind).
const NAMESPACED: &[(&str, &str)] = &[
    ("", "Pod"),
    ("", "Service"),
    ("", "ConfigMap"),
    ("", "Secret"),
    ("", "ServiceAccount"),
    ("", "Endpoints"),
    ("", "Event"),
    ("", "LimitRange"),
    ("", "ResourceQuota"),
    ("", "PersistentVolumeClaim"),
    ("", "PodTemplate"),
    ("", "ReplicationController"),
    ("", "Binding"),
    ("apps", "Deployment"),
    ("apps", "StatefulSet"),
    ("apps", "DaemonSet"),
    ("apps", "ReplicaSet"),
    ("apps", "ControllerRevision"),
    ("extensions", "Deployment"),
    ("extensions", "DaemonSet"),
    ("extensions", "ReplicaSet"),
    ("extensions", "Ingress"),
    ("extensions", "NetworkPolicy"),
    ("batch", "Job"),
    ("batch", "CronJob"),
    ("autoscaling", "HorizontalPodAutoscaler"),
    ("networking.k8s.io", "Ingress"),
    ("networking.k8s.io", "NetworkPolicy"),
    ("policy", "PodDisruptionBudget"),
    ("rbac.authorization.k8s.io", "Role"),
    ("rbac.authorization.k8s.io", "RoleBinding"),
    ("coordination.k8s.io", "Lease"),
    ("discovery.k8s.io", "EndpointSlice"),
    ("events.k8s.io", "Event"),
    ("storage.k8s.io", "CSIStorageCapacity"),
    ("resource.k8s.io", "ResourceClaim"),
    ("resource.k8s.io", "ResourceClaimTemplate"),
    ("authorization.k8s.io", "LocalSubjectAccessReview"),
    ("gateway.networking.k8s.io", "Gateway"),
    ("gateway.networking.k8s.io", "HTTPRoute"),
];

/// Whether `(group, kind)` is a built-in Kubernetes kind.
pub fn is_builtin_kind(group: &str, kind: &str) -> bool {
    CLUSTER_SCOPED
        .iter()
        .chain(NAMESPACED)
        .any(|(g, k)| *g == group && *k == kind)
        || is_host_config_kind(group, kind)
}

/// Groups of files and facts that belong to a host, not to a namespace: component
/// configuration (`kubelet.config.k8s.io`, `apiserver.config.k8s.io`, `audit.k8s.io`, ...) and
/// the facts `kubeward node` gathers (`node.kubeward.io`).
pub(crate) fn is_host_scoped(group: &str) -> bool {
    group.ends_with(".config.k8s.io")
        || matches!(
            group,
            "audit.k8s.io" | "apiserver.k8s.io" | "node.kubeward.io"
        )
}

/// Cluster-scoped kinds of well-known projects whose pod specs kubeward checks, for scans
/// without their CRD: such an object is not put in the default namespace.
pub(crate) const KNOWN_CLUSTER_SCOPED_CUSTOM: &[(&str, &str)] =
    &[("argoproj.io", "ClusterWorkflowTemplate")];

pub(crate) fn builtin_cluster_scoped(group: &str, kind: &str) -> bool {
    CLUSTER_SCOPED
        .iter()
        .any(|(g, k)| *g == group && *k == kind)
        || is_host_config_kind(group, kind)
}

/// Configuration files of control-plane components that are read from hosts, not served by the
/// API: they carry no `metadata.name` (the file name stands in for it) and no namespace.
const HOST_CONFIG_KINDS: &[(&str, &str)] = &[
    ("apiserver.config.k8s.io", "EncryptionConfiguration"),
    ("audit.k8s.io", "Policy"),
];

/// Whether `(group, kind)` is a component configuration file kind (see `HOST_CONFIG_KINDS`).
pub fn is_host_config_kind(group: &str, kind: &str) -> bool {
    HOST_CONFIG_KINDS
        .iter()
        .any(|(g, k)| *g == group && *k == kind)
}
