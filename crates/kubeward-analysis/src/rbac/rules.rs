//! The RBAC rules (layer pod-to-api, KW-RBAC-001 and up). Each reads the shared
//! [`Analysis`] and reports chains subject → binding → role → rule, located at the rule (or,
//! for binding-level weaknesses, at the binding's subject), with the other objects of the
//! chain as related locations.

use super::analysis::{Analysis, Cap, Evidence, Hit};
use super::authz::{ANONYMOUS, AUTHENTICATED, SERVICEACCOUNTS, UNAUTHENTICATED};
use super::caps::Level;
use super::model::{Binding, BindingKind, Model, Origin, Principal};
use kubeward_core::finding::Finding;
use kubeward_core::{Check, Emitter, Inventory, InventoryCtx, Layer, Rule, RuleMeta, Severity};

const GOOD_PRACTICES: (&str, &str) = (
    "docs",
    "https://kubernetes.io/docs/concepts/security/rbac-good-practices/",
);

/// How the catalogue rules grade a hit (see `hit_severity`), said in `explain`.
macro_rules! severity_note {
    () => {
        " Severity: the default is for a grant in one namespace. It is one step higher \
         cluster-wide or in kube-system and for groups that stand for everyone \
         (system:authenticated, system:serviceaccounts, anonymous); one step lower when the grant \
         is limited to named objects (resourceNames), to the binding's own Namespace object, or \
         works only on older clusters."
    };
}

/// The role-level fallback (see `role_level`), said in `explain` of every capability rule.
macro_rules! fallback_note {
    () => {
        " A Role or ClusterRole of the input that grants this but that no binding grants is \
         reported on its rule, one severity step lower, as not bound in the scanned input \
         (ClusterRoles aggregated into admin, edit or view count as bound)."
    };
}

pub static CLUSTER_ADMIN_BINDING: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-001",
        name: "cluster-admin-binding",
        layer: Layer::PodToApi,
        severity: Severity::Critical,
        title: "Subject bound to cluster-admin outside the allow-list",
        why: "cluster-admin is every permission on every resource, including ones added later, plus every \
     non-resource URL. A ClusterRoleBinding to it makes the subject the owner of the cluster; a \
     RoleBinding to it makes the subject admin of the namespace, secrets included. A stolen \
     token or credential of such a subject is a full takeover.",
        fix: "Bind a role with only the permissions the subject needs (a namespace RoleBinding to `edit` or \
     `view`, or a purpose-built role). If the subject really needs it, add it to \
     `settings.cluster_admin_allowed` (`user:NAME`, `group:NAME`, `sa:NS/NAME`) in .kubeward.yaml.",
        references: &[
            ("cis", "5.1.1"),
            ("kubescape", "C-0035"),
            ("mitre", "T1078"),
            GOOD_PRACTICES,
        ],
        default_enabled: true,
    },
    check: Check::Inventory(check_cluster_admin),
};

pub static FULL_WILDCARD: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-002",
        name: "wildcard-admin-grant",
        layer: Layer::PodToApi,
        severity: Severity::Critical,
        title: "Role grants every verb on every resource",
        why: concat!(
            "A rule with `*` verbs (or every write verb listed: create, update, patch, delete and \
     deletecollection), `*` resources and `*` API groups is cluster-admin (or namespace admin \
     through a RoleBinding) under another name: every escalation path below is open to the \
     subject, including resources that do not exist yet.",
            " Severity: critical cluster-wide and in kube-system (cluster-admin or its \
                equivalent), one step lower in any other single namespace, and one step lower \
                again when the binding only reaches its own Namespace object.",
            fallback_note!()
        ),
        fix: "List the API groups, resources and verbs the subject needs instead of `*`, and bind the role \
     only where it is needed.",
        references: &[
            ("cis", "5.1.3"),
            ("kubescape", "C-0187"),
            ("checkov", "CKV_K8S_49"),
            ("mitre", "T1078"),
            GOOD_PRACTICES,
        ],
        default_enabled: true,
    },
    check: Check::Inventory(|ctx, out| emit_capability(ctx, out, Cap::FullAdmin)),
};

pub static WILDCARD_RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-003",
        name: "wildcard-rule",
        layer: Layer::PodToApi,
        severity: Severity::Medium,
        title: "Role rule uses a wildcard for verbs or resources",
        why: "`*` in verbs or resources grants everything of that kind, now and later: `resources: [\"*\"]` \
     includes secrets, `verbs: [\"*\"]` includes escalate, bind, impersonate and delete, and a new \
     CRD or subresource is granted the day it is installed. Broad `get`/`list` or \
     `create`/`delete` on `*` reads or destroys everything in scope.",
        fix: "Name the resources and verbs the subject needs. Keep wildcards to roles given to cluster \
     operators, and review each one.",
        references: &[
            ("cis", "5.1.3"),
            ("kubescape", "C-0187"),
            ("checkov", "CKV_K8S_49"),
            GOOD_PRACTICES,
        ],
        default_enabled: true,
    },
    check: Check::Inventory(check_wildcard_rule),
};

pub static READ_SECRETS: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-004",
        name: "read-secrets",
        layer: Layer::PodToApi,
        severity: Severity::High,
        title: "Subject can read secrets",
        why: concat!(
            "get, list or watch on secrets returns their contents: database passwords, TLS keys, cloud \
     credentials and (where they still exist) service-account token secrets, which are other \
     identities. A `list` or `watch` response carries every secret in full, not only names.",
            severity_note!(),
            fallback_note!()
        ),
        fix: "Grant get on the named secrets the subject needs (`resourceNames`), or mount them into the \
     workload instead of reading them through the API. Never grant list/watch on secrets to \
     workloads.",
        references: &[
            ("cis", "5.1.2"),
            ("kubescape", "C-0015"),
            ("mitre", "T1552.007"),
            GOOD_PRACTICES,
        ],
        default_enabled: true,
    },
    check: Check::Inventory(|ctx, out| emit_capability(ctx, out, Cap::ReadSecrets)),
};

pub static CREATE_WORKLOADS: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-005",
        name: "create-workloads",
        layer: Layer::PodToApi,
        severity: Severity::High,
        title: "Subject can create pods or pod controllers",
        why: concat!(
            "Creating a pod (directly or through a Deployment, DaemonSet, StatefulSet, ReplicaSet, \
     ReplicationController, Job or CronJob) lets the subject run it as any service account of the \
     namespace, mount any secret, ConfigMap or volume there, and, unless admission stops it, run \
     a privileged pod on a node.",
            severity_note!(),
            fallback_note!()
        ),
        fix: "Limit workload creation to deployment pipelines, enforce Pod Security Admission (restricted) \
     in the namespace, and keep powerful service accounts out of namespaces where others can \
     create pods.",
        references: &[
            ("cis", "5.1.4"),
            ("kubescape", "C-0188"),
            ("mitre", "T1610"),
            GOOD_PRACTICES,
        ],
        default_enabled: true,
    },
    check: Check::Inventory(|ctx, out| emit_capability(ctx, out, Cap::CreateWorkloads)),
};

pub static MODIFY_PODS: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-006",
        name: "modify-pods",
        layer: Layer::PodToApi,
        severity: Severity::Medium,
        title: "Subject can update running pods",
        why: concat!(
            "update or patch on pods can swap the image of a running container, so the subject runs its \
     code with that pod's service account, volumes and network position.",
            severity_note!(),
            fallback_note!()
        ),
        fix: "Drop update/patch on pods; change workloads through their controllers in a reviewed \
     pipeline.",
        references: &[("mitre", "T1525"), GOOD_PRACTICES],
        default_enabled: true,
    },
    check: Check::Inventory(|ctx, out| emit_capability(ctx, out, Cap::ModifyPods)),
};

pub static EXEC: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-007",
        name: "exec-into-pods",
        layer: Layer::PodToApi,
        severity: Severity::High,
        title: "Subject can exec into or attach to pods",
        why: concat!(
            "create on pods/exec or pods/attach runs commands in existing containers, which hands the \
     subject every token, secret and file those pods hold. Before Kubernetes 1.31 (or with \
     AuthorizePodWebsocketUpgradeCreatePermission off), `get` on pods/exec was enough through a \
     websocket.",
            severity_note!(),
            fallback_note!()
        ),
        fix: "Remove exec and attach from standing roles; grant them temporarily to named people for \
     debugging, and audit their use.",
        references: &[("kubescape", "C-0002"), ("mitre", "T1609"), GOOD_PRACTICES],
        default_enabled: true,
    },
    check: Check::Inventory(|ctx, out| emit_capability(ctx, out, Cap::Exec)),
};

pub static EPHEMERAL: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-008",
        name: "ephemeral-containers",
        layer: Layer::PodToApi,
        severity: Severity::High,
        title: "Subject can add ephemeral containers to running pods",
        why: concat!(
            "update or patch on pods/ephemeralcontainers adds a debug container to a running pod, with \
     the pod's service account and volumes, and it can ask for privileges the pod's other \
     containers do not have.",
            severity_note!(),
            fallback_note!()
        ),
        fix: "Grant pods/ephemeralcontainers only to on-call debugging roles, and enforce Pod Security \
     Admission so added containers cannot be privileged.",
        references: &[("mitre", "T1609"), GOOD_PRACTICES],
        default_enabled: true,
    },
    check: Check::Inventory(|ctx, out| emit_capability(ctx, out, Cap::Ephemeral)),
};

pub static NODES_PROXY: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-009",
        name: "nodes-proxy",
        layer: Layer::PodToApi,
        severity: Severity::Critical,
        title: "Subject can reach the kubelet API through nodes/proxy",
        why: concat!(
            "nodes/proxy forwards requests to the kubelet, whose API runs commands in every pod on the \
     node, outside API-server audit and admission. `get` alone is enough: the kubelet authorizes \
     its websocket exec endpoint as a get. Monitoring agents are often given this for metrics.",
            severity_note!(),
            fallback_note!()
        ),
        fix: "Grant nodes/metrics or nodes/stats for metrics, never nodes/proxy. If a tool needs the \
     kubelet API, give it a dedicated identity and review it.",
        references: &[("cis", "5.1.10"), ("mitre", "T1609"), GOOD_PRACTICES],
        default_enabled: true,
    },
    check: Check::Inventory(|ctx, out| emit_capability(ctx, out, Cap::NodesProxy)),
};

pub static ESCALATE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-010",
        name: "escalate-verb",
        layer: Layer::PodToApi,
        severity: Severity::Critical,
        title: "Subject can write roles with permissions it does not hold (escalate)",
        why: concat!(
            "The `escalate` verb on roles or clusterroles switches off the check that stops a subject \
     from granting permissions it does not have itself; with write access to a role it is bound \
     to, it can give itself anything.",
            severity_note!(),
            fallback_note!()
        ),
        fix: "Remove `escalate` (and `*` verbs) on roles and clusterroles from every subject but cluster \
     administrators.",
        references: &[
            ("cis", "5.1.8"),
            ("checkov", "CKV_K8S_158"),
            ("mitre", "T1098"),
            GOOD_PRACTICES,
        ],
        default_enabled: true,
    },
    check: Check::Inventory(|ctx, out| emit_capability(ctx, out, Cap::Escalate)),
};

pub static BIND: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-011",
        name: "bind-verb",
        layer: Layer::PodToApi,
        severity: Severity::Critical,
        title: "Subject can bind roles it does not hold (bind and write bindings)",
        why: concat!(
            "With `bind` on a role (checked against the role named in the binding, in the binding's \
     namespace) and create/update on (cluster)rolebindings, a subject can bind itself to a more \
     powerful role, up to cluster-admin.",
            severity_note!(),
            fallback_note!()
        ),
        fix: "Remove `bind` from standing roles, or limit it with resourceNames to the roles the subject \
     may hand out; keep write access to bindings with cluster administrators.",
        references: &[
            ("cis", "5.1.8"),
            ("checkov", "CKV_K8S_157"),
            ("mitre", "T1098"),
            GOOD_PRACTICES,
        ],
        default_enabled: true,
    },
    check: Check::Inventory(|ctx, out| emit_capability(ctx, out, Cap::Bind)),
};

pub static IMPERSONATE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-012",
        name: "impersonate",
        layer: Layer::PodToApi,
        severity: Severity::Critical,
        title: "Subject can impersonate other identities",
        why: concat!(
            "`impersonate` on users, groups, service accounts or uids lets the subject act as them; \
     impersonating the group system:masters is all power in the cluster, and impersonating a \
     service account gives its permissions.",
            severity_note!(),
            fallback_note!()
        ),
        fix: "Remove impersonate from every subject that is not an authenticating proxy, and limit \
     proxies with resourceNames.",
        references: &[
            ("cis", "5.1.8"),
            ("kubescape", "C-0065"),
            ("mitre", "T1078"),
            GOOD_PRACTICES,
        ],
        default_enabled: true,
    },
    check: Check::Inventory(|ctx, out| emit_capability(ctx, out, Cap::Impersonate)),
};

pub static APPROVE_CSR: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-013",
        name: "approve-client-certificates",
        layer: Layer::PodToApi,
        severity: Severity::Critical,
        title: "Subject can create and approve API client certificates",
        why: concat!(
            "Creating a CertificateSigningRequest, updating its approval and approving the \
     kubernetes.io/kube-apiserver-client signer lets the subject mint a client certificate for \
     any user and group, system:masters included, valid until it expires and impossible to \
     revoke.",
            severity_note!(),
            fallback_note!()
        ),
        fix: "Keep CSR approval for the kube-apiserver-client signer with cluster administrators; \
     automated approvers should approve only their own signer names.",
        references: &[
            ("cis", "5.1.11"),
            ("checkov", "CKV_K8S_156"),
            ("mitre", "T1649"),
            GOOD_PRACTICES,
        ],
        default_enabled: true,
    },
    check: Check::Inventory(|ctx, out| emit_capability(ctx, out, Cap::ApproveCsr)),
};

pub static TOKEN_REQUEST: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-014",
        name: "token-request",
        layer: Layer::PodToApi,
        severity: Severity::High,
        title: "Subject can mint tokens for service accounts",
        why: concat!(
            "create on serviceaccounts/token issues a token for any service account in scope (or the \
     named ones), so the subject can act as the most powerful of them.",
            severity_note!(),
            fallback_note!()
        ),
        fix: "Grant serviceaccounts/token only with resourceNames naming the accounts that need it, and \
     never across namespaces that hold powerful service accounts.",
        references: &[("cis", "5.1.13"), ("mitre", "T1528"), GOOD_PRACTICES],
        default_enabled: true,
    },
    check: Check::Inventory(|ctx, out| emit_capability(ctx, out, Cap::TokenRequest)),
};

pub static WRITE_SECRETS: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-015",
        name: "write-secrets",
        layer: Layer::PodToApi,
        severity: Severity::High,
        title: "Subject can create or change secrets",
        why: concat!(
            "A subject that can create secrets can create a `kubernetes.io/service-account-token` secret \
     for a powerful service account; the token controller fills in a long-lived token it can \
     then read back (or mount). Changing secrets also redirects workloads to attacker-controlled \
     credentials.",
            severity_note!(),
            fallback_note!()
        ),
        fix: "Limit secret writes to the controllers and pipelines that own them, with resourceNames \
     where possible.",
        references: &[("mitre", "T1528"), GOOD_PRACTICES],
        default_enabled: true,
    },
    check: Check::Inventory(|ctx, out| emit_capability(ctx, out, Cap::WriteSecrets)),
};

pub static ADMISSION: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-016",
        name: "admission-control",
        layer: Layer::PodToApi,
        severity: Severity::High,
        title: "Subject can change admission webhooks or policies",
        why: concat!(
            "A validating or mutating webhook sees every object it matches (secrets included), and a \
     mutating one can change pods as they are created; deleting a webhook or admission policy \
     switches off the checks a policy engine enforces.",
            severity_note!(),
            fallback_note!()
        ),
        fix: "Keep admissionregistration.k8s.io write access with cluster administrators and the policy \
     engine's own controller.",
        references: &[
            ("cis", "5.1.12"),
            ("checkov", "CKV_K8S_155"),
            ("mitre", "T1562"),
            GOOD_PRACTICES,
        ],
        default_enabled: true,
    },
    check: Check::Inventory(|ctx, out| emit_capability(ctx, out, Cap::Admission)),
};

pub static CREATE_PV: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-017",
        name: "create-persistent-volumes",
        layer: Layer::PodToApi,
        severity: Severity::High,
        title: "Subject can create persistent volumes",
        why: concat!(
            "A PersistentVolume can be a hostPath; a pod that claims it reads and writes the node's \
     filesystem, even where Pod Security forbids hostPath volumes in pods.",
            severity_note!(),
            fallback_note!()
        ),
        fix: "Leave PersistentVolume creation to storage provisioners; users create PersistentVolumeClaims \
     against StorageClasses.",
        references: &[("cis", "5.1.9"), ("mitre", "T1611"), GOOD_PRACTICES],
        default_enabled: true,
    },
    check: Check::Inventory(|ctx, out| emit_capability(ctx, out, Cap::CreatePv)),
};

pub static MODIFY_NAMESPACES: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-018",
        name: "modify-namespaces",
        layer: Layer::PodToApi,
        severity: Severity::High,
        title: "Subject can relabel namespaces",
        why: concat!(
            "patch or update on namespaces changes their labels: `pod-security.kubernetes.io/enforce: \
     privileged` switches off Pod Security Admission there, and new labels make NetworkPolicy \
     namespaceSelectors match the namespace and let its traffic in. A RoleBinding is enough for \
     the binding's own namespace, because a request for a Namespace carries its own name as its \
     namespace.",
            severity_note!(),
            fallback_note!()
        ),
        fix: "Do not grant patch/update on namespaces (not even through a RoleBinding); manage namespace \
     labels from a reviewed pipeline, and pin Pod Security labels with a policy engine.",
        references: &[("mitre", "T1562"), GOOD_PRACTICES],
        default_enabled: true,
    },
    check: Check::Inventory(|ctx, out| emit_capability(ctx, out, Cap::ModifyNamespaces)),
};

pub static STEAL_PODS: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-019",
        name: "steal-pods",
        layer: Layer::PodToApi,
        severity: Severity::Medium,
        title: "Subject can evict pods and change nodes",
        why: concat!(
            "Deleting or evicting pods while cordoning or tainting nodes moves workloads, including \
     powerful ones, onto a node the subject controls, where their tokens and secrets can be \
     taken.",
            severity_note!(),
            fallback_note!()
        ),
        fix: "Keep node updates with node-lifecycle controllers and administrators.",
        references: &[("mitre", "T1078"), GOOD_PRACTICES],
        default_enabled: true,
    },
    check: Check::Inventory(|ctx, out| emit_capability(ctx, out, Cap::StealPods)),
};

pub static NODE_STATUS: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-020",
        name: "modify-node-status",
        layer: Layer::PodToApi,
        severity: Severity::Low,
        title: "Subject can change node status",
        why: concat!(
            "update or patch on nodes/status can change what the scheduler believes about a node and \
     attract pods to it through node affinity.",
            severity_note!(),
            fallback_note!()
        ),
        fix: "Keep nodes/status writes with kubelets (which the Node authorizer already covers).",
        references: &[GOOD_PRACTICES],
        default_enabled: true,
    },
    check: Check::Inventory(|ctx, out| emit_capability(ctx, out, Cap::NodeStatus)),
};

pub static POD_STATUS: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-021",
        name: "modify-pod-status",
        layer: Layer::PodToApi,
        severity: Severity::Low,
        title: "Subject can change pod status",
        why: concat!(
            "update or patch on pods/status can change a pod's reported IP and conditions, so Services \
     and endpoint controllers send another workload's traffic to it.",
            severity_note!(),
            fallback_note!()
        ),
        fix: "Keep pods/status writes with kubelets and controllers.",
        references: &[GOOD_PRACTICES],
        default_enabled: true,
    },
    check: Check::Inventory(|ctx, out| emit_capability(ctx, out, Cap::PodStatus)),
};

pub static SERVICE_STATUS: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-022",
        name: "modify-service-status",
        layer: Layer::PodToApi,
        severity: Severity::Medium,
        title: "Subject can change service status (CVE-2020-8554)",
        why: concat!(
            "Setting `status.loadBalancer.ingress[].ip` of a LoadBalancer Service makes kube-proxy send \
     cluster traffic for that IP to the subject's pods: a man-in-the-middle for any address \
     (CVE-2020-8554).",
            severity_note!(),
            fallback_note!()
        ),
        fix: "Keep services/status writes with the cloud controller; block external IPs with an \
     admission policy.",
        references: &[
            (
                "docs",
                "https://github.com/kubernetes/kubernetes/issues/97076",
            ),
            ("mitre", "T1557"),
        ],
        default_enabled: true,
    },
    check: Check::Inventory(|ctx, out| emit_capability(ctx, out, Cap::ServiceStatus)),
};

pub static KUBE_SYSTEM_CONFIGMAPS: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-023",
        name: "kube-system-configmaps",
        layer: Layer::PodToApi,
        severity: Severity::High,
        title: "Subject can write ConfigMaps in kube-system",
        why: concat!(
            "kube-system ConfigMaps configure the cluster: on EKS `aws-auth` maps IAM identities to \
     Kubernetes users and groups (system:masters included), so writing it is a path to \
     cluster-admin and the finding is critical when the input shows EKS (the API server's \
     version, EKS nodes, or the aws-auth ConfigMap itself) and the grant reaches aws-auth; \
     elsewhere they hold kube-proxy, CoreDNS and kubeadm configuration.",
            severity_note!(),
            fallback_note!()
        ),
        fix: "Remove write access to kube-system ConfigMaps, or limit it with resourceNames to a \
     ConfigMap that configures nothing sensitive.",
        references: &[("mitre", "T1098"), GOOD_PRACTICES],
        default_enabled: true,
    },
    check: Check::Inventory(|ctx, out| emit_capability(ctx, out, Cap::KubeSystemConfigmaps)),
};

pub static CLOUD_IAM: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-024",
        name: "cloud-iam-service-account",
        layer: Layer::PodToApi,
        severity: Severity::Low,
        title: "Service account is mapped to a cloud IAM identity",
        why: "An annotation such as `eks.amazonaws.com/role-arn`, `iam.gke.io/gcp-service-account` or \
     `azure.workload.identity/client-id` lets pods of this service account obtain cloud \
     credentials: a path from the pod to the cloud account that RBAC does not show.",
        fix: "Give the cloud identity the least privilege, make sure only the intended workloads use this \
     service account, and avoid mapping it for workloads exposed outside the cluster.",
        references: &[("mitre", "T1078.004")],
        default_enabled: true,
    },
    check: Check::Inventory(check_cloud_iam),
};

pub static NETWORK: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-025",
        name: "network-exposure-control",
        layer: Layer::PodToApi,
        severity: Severity::Medium,
        title: "Subject can change network exposure or NetworkPolicies",
        why: concat!(
            "Write access to NetworkPolicies, Services, Endpoints/EndpointSlices, Ingresses or Gateway \
     API routes can open traffic that policy blocks, expose workloads outside the cluster, or \
     redirect a Service to another backend.",
            severity_note!(),
            fallback_note!()
        ),
        fix: "Keep network objects with the teams and pipelines that own them; review NetworkPolicy \
     changes.",
        references: &[("mitre", "T1599"), GOOD_PRACTICES],
        default_enabled: true,
    },
    check: Check::Inventory(|ctx, out| emit_capability(ctx, out, Cap::Network)),
};

pub static EXTENSIONS: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-026",
        name: "cluster-extensions-control",
        layer: Layer::PodToApi,
        severity: Severity::High,
        title: "Subject can change CRDs, API services or policy engines",
        why: concat!(
            "CustomResourceDefinitions and APIServices change the API itself (an APIService sends a \
     whole API group to a service the subject chooses), and Kyverno or Gatekeeper policies \
     decide what admission lets through.",
            severity_note!(),
            fallback_note!()
        ),
        fix: "Keep these with cluster administrators and the owning operators.",
        references: &[("mitre", "T1562"), GOOD_PRACTICES],
        default_enabled: true,
    },
    check: Check::Inventory(|ctx, out| emit_capability(ctx, out, Cap::Extensions)),
};

pub static ANONYMOUS_BINDING: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-027",
        name: "anonymous-binding",
        layer: Layer::PodToApi,
        severity: Severity::High,
        title: "Binding grants permissions to anonymous or unauthenticated users",
        why: "A subject `system:anonymous` or `system:unauthenticated` gives the role to anyone who can \
     reach the API server, with no credential at all (when anonymous authentication is on, the \
     default).",
        fix: "Remove the subject. Public endpoints that must stay open (health, version) are already \
     granted by the default system:public-info-viewer binding.",
        references: &[
            ("kubescape", "C-0262"),
            ("mitre", "T1078.001"),
            GOOD_PRACTICES,
        ],
        default_enabled: true,
    },
    check: Check::Inventory(check_anonymous),
};

pub static ALL_AUTHENTICATED_BINDING: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-028",
        name: "all-authenticated-binding",
        layer: Layer::PodToApi,
        severity: Severity::Medium,
        title: "Binding grants permissions to every authenticated user or service account",
        why: "`system:authenticated` is every user and every service account of every pod; \
     `system:serviceaccounts` is every service account, `system:serviceaccounts:<ns>` every one \
     of a namespace. A token stolen from any pod then carries the role.",
        fix: "Bind the role to the users, groups or service accounts that need it.",
        references: &[("mitre", "T1078"), GOOD_PRACTICES],
        default_enabled: true,
    },
    check: Check::Inventory(check_all_authenticated),
};

pub static MISSING_ROLE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-029",
        name: "binding-to-missing-role",
        layer: Layer::PodToApi,
        severity: Severity::Medium,
        title: "Binding refers to a role that exists nowhere",
        why: "The role is neither in the input nor one of the default roles of a cluster. The binding \
     grants nothing today, but whoever creates a role of that name later grants it to these \
     subjects at once, without touching the binding.",
        fix: "Delete the binding, or fix its roleRef.",
        references: &[GOOD_PRACTICES],
        default_enabled: true,
    },
    check: Check::Inventory(check_missing_role),
};

pub static DEFAULT_SA: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-030",
        name: "default-service-account-permissions",
        layer: Layer::PodToApi,
        severity: Severity::Medium,
        title: "Default service account is given permissions",
        why: "Every pod that names no service account runs as `default` of its namespace, so permissions \
     bound to it go to every such pod, present and future.",
        fix: "Create a service account per workload, bind permissions to it, and leave `default` \
     without bindings (and with automountServiceAccountToken: false).",
        references: &[("cis", "5.1.5"), ("kubescape", "C-0189"), GOOD_PRACTICES],
        default_enabled: true,
    },
    check: Check::Inventory(check_default_sa),
};

pub static WORKLOAD_TOKEN: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-031",
        name: "workload-token-power",
        layer: Layer::PodToApi,
        severity: Severity::High,
        title: "Workload's mounted token can read secrets, run pods, exec, escalate, bind or impersonate",
        why: "Anyone who gets code execution in the workload (an RCE, a malicious dependency) reads its \
     mounted service-account token and gains these permissions; when the workload is exposed \
     outside the cluster by a LoadBalancer or NodePort Service or an Ingress, that is one bug \
     away from the internet. Severity: graded as the catalogue rule for the same grant held by \
     a subject (KW-RBAC-002 to KW-RBAC-026), one step higher when the workload is exposed \
     outside the cluster.",
        fix: "Give the workload its own service account with only the permissions it uses, and set \
     `automountServiceAccountToken: false` when it does not call the API at all.",
        references: &[
            ("cis", "5.1.6"),
            ("kubescape", "C-0034"),
            ("mitre", "T1528"),
            GOOD_PRACTICES,
        ],
        default_enabled: true,
    },
    check: Check::Inventory(check_workload_tokens),
};

pub static CREATE_WITHOUT_QUOTA: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-032",
        name: "object-creation-without-quota",
        layer: Layer::PodToApi,
        severity: Severity::Low,
        title: "Subject can create objects in a namespace without a ResourceQuota",
        why: concat!(
            "Creating many or large objects (ConfigMaps, Secrets, pods) can exhaust etcd and the API \
     server. A ResourceQuota with object counts bounds what one subject can do in a namespace; \
     cluster-scoped objects have no quota at all.",
            severity_note!()
        ),
        fix: "Add a ResourceQuota with `count/...` limits to namespaces where others can create objects.",
        references: &[GOOD_PRACTICES],
        default_enabled: false,
    },
    check: Check::Inventory(|ctx, out| emit_capability(ctx, out, Cap::CreateObjects)),
};

pub static INEFFECTIVE_RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-033",
        name: "ineffective-rbac-rule",
        layer: Layer::PodToApi,
        severity: Severity::Low,
        title: "RBAC rule entry grants nothing although it looks as if it did",
        why: "`pods/*` is not a wildcard (only `*` and `*/SUBRESOURCE` are), and resourceNames never \
     match create or deletecollection requests, which carry no object name. The author believes \
     something is granted (or restricted) that is not: the role is wrong either way.",
        fix: "List the subresources explicitly or use `*/SUBRESOURCE`; for create, drop resourceNames \
     (and restrict with admission policy instead).",
        references: &[(
            "docs",
            "https://kubernetes.io/docs/reference/access-authn-authz/rbac/#referring-to-resources",
        )],
        default_enabled: true,
    },
    check: Check::Inventory(check_ineffective),
};

pub static REJECTED_OBJECT: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-034",
        name: "invalid-rbac-object",
        layer: Layer::PodToApi,
        severity: Severity::Medium,
        title: "RBAC object the API server rejects",
        why: "The API server refuses this Role, ClusterRole or binding, so applying the manifest fails, or \
     (a ServiceAccount subject without namespace in a ClusterRoleBinding) the authorizer matches \
     nobody: the intended access is not what runs.",
        fix: "Fix the field named in the finding.",
        references: &[(
            "docs",
            "https://kubernetes.io/docs/reference/access-authn-authz/rbac/",
        )],
        default_enabled: true,
    },
    check: Check::Inventory(check_rejected),
};

pub static MANY_ROLES: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-035",
        name: "subject-with-many-roles",
        layer: Layer::PodToApi,
        severity: Severity::Low,
        title: "Subject holds many roles",
        why: "A user, group or service account bound to many different roles holds the union of all of \
     them, which nobody reviews as a whole: one more binding quietly completes an escalation, \
     and a stale binding of a departed user stays in the pile. Not a hole by itself, but the \
     identities that hold the most are the first to review and to split.",
        fix: "Review what the subject needs; merge the roles it really uses into one purpose-built role, \
     and delete the bindings it no longer needs. The threshold is \
     `settings.rbac_max_roles_per_subject` (10).",
        references: &[
            ("krane", "subjects-with-many-roles"),
            (
                "docs",
                "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#periodic-review",
            ),
        ],
        default_enabled: true,
    },
    check: Check::Inventory(check_many_roles),
};

pub static MANY_SUBJECTS: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-036",
        name: "namespace-with-many-subjects",
        layer: Layer::PodToApi,
        severity: Severity::Low,
        title: "Namespace is shared by many subjects",
        why: "When many users, groups and service accounts hold roles in one namespace, its secrets, pods \
     and tokens are within reach of all of them, and a compromise of any one reaches the others' \
     workloads. Such namespaces are the first to review for stale or over-broad bindings, and \
     candidates for splitting by team.",
        fix: "Review the namespace's RoleBindings, remove subjects that no longer need access, and move \
     teams with separate trust into separate namespaces. The threshold is \
     `settings.rbac_max_subjects_per_namespace` (25).",
        references: &[
            ("krane", "namespaces-with-many-subjects"),
            (
                "docs",
                "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#periodic-review",
            ),
        ],
        default_enabled: true,
    },
    check: Check::Inventory(check_many_subjects),
};

mod more;
pub use more::*;

/// Every RBAC rule.
pub fn rules() -> Vec<&'static Rule> {
    vec![
        &CLUSTER_ADMIN_BINDING,
        &FULL_WILDCARD,
        &WILDCARD_RULE,
        &READ_SECRETS,
        &CREATE_WORKLOADS,
        &MODIFY_PODS,
        &EXEC,
        &EPHEMERAL,
        &NODES_PROXY,
        &ESCALATE,
        &BIND,
        &IMPERSONATE,
        &APPROVE_CSR,
        &TOKEN_REQUEST,
        &WRITE_SECRETS,
        &ADMISSION,
        &CREATE_PV,
        &MODIFY_NAMESPACES,
        &STEAL_PODS,
        &NODE_STATUS,
        &POD_STATUS,
        &SERVICE_STATUS,
        &KUBE_SYSTEM_CONFIGMAPS,
        &CLOUD_IAM,
        &NETWORK,
        &EXTENSIONS,
        &ANONYMOUS_BINDING,
        &ALL_AUTHENTICATED_BINDING,
        &MISSING_ROLE,
        &DEFAULT_SA,
        &WORKLOAD_TOKEN,
        &CREATE_WITHOUT_QUOTA,
        &INEFFECTIVE_RULE,
        &REJECTED_OBJECT,
        &MANY_ROLES,
        &MANY_SUBJECTS,
        &DELETE_EVENTS,
        &PORT_FORWARD,
        &DEFAULT_SA_TOKEN,
        &COREDNS_CONFIG,
        &DELETE_NODES,
        &DELETECOLLECTION_WORKLOADS,
        &UNUSED_SERVICE_ACCOUNT,
    ]
}

// ---------------------------------------------------------------------------------------------
// Helpers

pub(super) fn up(s: Severity) -> Severity {
    match s {
        Severity::Info => Severity::Low,
        Severity::Low => Severity::Medium,
        Severity::Medium => Severity::High,
        _ => Severity::Critical,
    }
}

pub(super) fn down(s: Severity) -> Severity {
    match s {
        Severity::Critical => Severity::High,
        Severity::High => Severity::Medium,
        Severity::Medium => Severity::Low,
        _ => Severity::Info,
    }
}

/// Groups that stand for (nearly) everyone.
fn is_everyone(p: &Principal) -> bool {
    match p {
        Principal::Group(g) => {
            g == AUTHENTICATED
                || g == UNAUTHENTICATED
                || g == SERVICEACCOUNTS
                || g.starts_with("system:serviceaccounts:")
        }
        Principal::User(u) => u == ANONYMOUS,
        Principal::ServiceAccount(..) => false,
    }
}

/// Capabilities about namespaced objects: worse cluster-wide and in kube-system.
pub(super) fn namespaced_cap(c: Cap) -> bool {
    !matches!(
        c,
        Cap::NodesProxy
            | Cap::Admission
            | Cap::CreatePv
            | Cap::ApproveCsr
            | Cap::NodeStatus
            | Cap::StealPods
            | Cap::Extensions
            | Cap::KubeSystemConfigmaps
            | Cap::CoreDns
            | Cap::DeleteNodes
            | Cap::FullAdmin
    )
}

/// The default severity of the catalogue rule that reports `cap` for subjects, so a workload's
/// token is graded as the same grant held by a user would be.
fn catalogue_severity(cap: Cap) -> Severity {
    let rule = match cap {
        Cap::FullAdmin => &FULL_WILDCARD,
        Cap::ReadSecrets => &READ_SECRETS,
        Cap::CreateWorkloads => &CREATE_WORKLOADS,
        Cap::ModifyPods => &MODIFY_PODS,
        Cap::Exec => &EXEC,
        Cap::Ephemeral => &EPHEMERAL,
        Cap::NodesProxy => &NODES_PROXY,
        Cap::Escalate => &ESCALATE,
        Cap::Bind => &BIND,
        Cap::Impersonate => &IMPERSONATE,
        Cap::ApproveCsr => &APPROVE_CSR,
        Cap::TokenRequest => &TOKEN_REQUEST,
        Cap::WriteSecrets => &WRITE_SECRETS,
        Cap::Admission => &ADMISSION,
        Cap::CreatePv => &CREATE_PV,
        Cap::ModifyNamespaces => &MODIFY_NAMESPACES,
        Cap::StealPods => &STEAL_PODS,
        Cap::NodeStatus => &NODE_STATUS,
        Cap::PodStatus => &POD_STATUS,
        Cap::ServiceStatus => &SERVICE_STATUS,
        Cap::KubeSystemConfigmaps => &KUBE_SYSTEM_CONFIGMAPS,
        Cap::Network => &NETWORK,
        Cap::Extensions => &EXTENSIONS,
        Cap::DeleteEvents => &DELETE_EVENTS,
        Cap::PortForward => &PORT_FORWARD,
        Cap::DefaultSaToken => &DEFAULT_SA_TOKEN,
        Cap::CoreDns => &COREDNS_CONFIG,
        Cap::DeleteNodes => &DELETE_NODES,
        Cap::DeleteCollection => &DELETECOLLECTION_WORKLOADS,
        _ => &WORKLOAD_TOKEN,
    };
    rule.meta.severity
}

fn hit_severity(base: Severity, h: &Hit) -> Severity {
    let mut s = base;
    if h.cap == Cap::FullAdmin {
        if h.scope.is_some() && h.scope.as_deref() != Some("kube-system") {
            s = down(s);
        }
    } else if namespaced_cap(h.cap)
        && (h.scope.is_none() || h.scope.as_deref() == Some("kube-system"))
    {
        s = up(s);
    }
    if h.evidence
        .iter()
        .any(|e| matches!(e.level, Level::OwnNamespace))
    {
        s = down(s);
    }
    if h.narrowed() {
        s = down(s);
    }
    if h.weak() {
        s = down(s);
    }
    if is_everyone(&h.principal) {
        s = up(s);
    }
    s
}

pub(super) fn scope_text(scope: Option<&str>) -> String {
    match scope {
        None => "cluster-wide".into(),
        Some(ns) => format!("in namespace {ns}"),
    }
}

/// `Role shop/x` or `ClusterRole edit (kubeadm default, not in the scanned input)`.
pub(super) fn role_text(m: &Model, role: super::model::RoleIdx) -> String {
    let r = m.role(role);
    if r.origin.is_bootstrap() {
        format!(
            "{} (kubeadm default, not in the scanned input)",
            r.display()
        )
    } else {
        r.display()
    }
}

/// `subject → binding → role → rules[N] (verbs on resources)`.
pub fn chain(m: &Model, e: &Evidence) -> String {
    let b = m.binding(e.binding);
    let subject = b
        .subjects
        .get(e.subject as usize)
        .map(|s| s.display())
        .unwrap_or_default();
    let bound = b.role.expect("evidence has a role");
    let mut role = role_text(m, bound);
    if e.rule.role != bound {
        role = format!("{role}, which aggregates {}", role_text(m, e.rule.role));
    }
    let rule = m.rule(e.rule);
    let mut s = format!(
        "{subject} → {} → {role} → rules[{}] ({})",
        binding_text(b),
        rule.index,
        rule.describe()
    );
    if e.weak {
        s.push_str(" [websocket exec: clusters before 1.31 or with AuthorizePodWebsocketUpgradeCreatePermission off]");
    }
    s
}

fn binding_text(b: &Binding) -> String {
    if b.origin.is_bootstrap() {
        format!("{} (kubeadm default)", b.display())
    } else {
        b.display()
    }
}

/// Where to report a chain: the rule in its role when the role is in the input, else the
/// binding's roleRef.
fn locate(m: &Model, ev: &[Evidence]) -> Option<(kubeward_core::ObjectId, String)> {
    for e in ev {
        if let Origin::Inventory(id) = m.role(e.rule.role).origin {
            return Some((id, format!("/rules/{}", m.rule(e.rule).index)));
        }
    }
    for e in ev {
        if let Origin::Inventory(id) = m.binding(e.binding).origin {
            return Some((id, "/roleRef".into()));
        }
    }
    None
}

fn add_related(
    m: &Model,
    f: &mut Finding,
    ev: &[Evidence],
    primary: &(kubeward_core::ObjectId, String),
) {
    let mut seen: Vec<(kubeward_core::ObjectId, String)> = vec![primary.clone()];
    for e in ev {
        let b = m.binding(e.binding);
        if let Origin::Inventory(id) = b.origin {
            let p = format!("/subjects/{}", e.subject);
            if !seen.contains(&(id, p.clone())) {
                f.related(
                    id,
                    p.clone(),
                    format!(
                        "{} grants {}",
                        b.display(),
                        role_text(m, b.role.expect("role"))
                    ),
                );
                seen.push((id, p));
            }
        }
        if let Origin::Inventory(id) = m.role(e.rule.role).origin {
            let p = format!("/rules/{}", m.rule(e.rule).index);
            if !seen.contains(&(id, p.clone())) {
                f.related(
                    id,
                    p.clone(),
                    format!(
                        "{} rule {}",
                        m.role(e.rule.role).display(),
                        m.rule(e.rule).index
                    ),
                );
                seen.push((id, p));
            }
        }
    }
}

fn names_note(h: &Hit) -> String {
    let mut names: Vec<String> = Vec::new();
    for e in &h.evidence {
        if let Level::Named(n) = &e.level {
            names.extend(n.iter().map(|s| s.to_string()));
        }
    }
    let own = h.evidence.iter().any(|e| e.level == Level::OwnNamespace);
    let mut s = String::new();
    if !names.is_empty() {
        names.sort();
        names.dedup();
        s.push_str(&format!(" (only objects named {})", names.join(", ")));
    }
    if own {
        s.push_str(" (its own Namespace object only)");
    }
    s
}

fn emit_capability(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>, cap: Cap) {
    let a = Analysis::of(ctx.inventory);
    let m = &a.model;
    // Looked for once, and only by the rule that needs it.
    let eks = if cap == Cap::KubeSystemConfigmaps {
        eks_signal(ctx.inventory)
    } else {
        None
    };
    for h in a.hits.iter().filter(|h| h.cap == cap) {
        if cap == Cap::FullAdmin {
            // A binding to cluster-admin itself is KW-RBAC-001's.
            let b = m.binding(h.evidence[0].binding);
            if b.role_kind == "ClusterRole" && b.role_name == "cluster-admin" {
                continue;
            }
        }
        if cap == Cap::CreateObjects {
            if let Some(ns) = &h.scope {
                if ctx
                    .inventory
                    .in_namespace(Some(ns))
                    .any(|o| o.kind == "ResourceQuota")
                {
                    continue;
                }
            }
        }
        let Some(primary) = locate(m, &h.evidence) else {
            continue;
        };
        let chains: Vec<String> = h.evidence.iter().map(|e| chain(m, e)).collect();
        let mut msg = format!(
            "{} can {} {}{}: {}",
            h.principal.display(),
            cap.what(),
            scope_text(h.scope.as_deref()),
            names_note(h),
            chains.join("; and ")
        );
        let mut sev = hit_severity(out.rule().severity, h);
        // On EKS, kube-system/aws-auth maps IAM identities to Kubernetes groups: writing it is
        // a path to system:masters (catalogue #21).
        if cap == Cap::KubeSystemConfigmaps && reaches_name(h, AWS_AUTH) {
            if let Some(why) = &eks {
                sev = Severity::Critical;
                msg.push_str(&format!(
                    ". This is Amazon EKS ({why}): ConfigMap kube-system/{AWS_AUTH} maps IAM roles and users to Kubernetes users and groups, system:masters included, so whoever can write it can make any IAM identity they control cluster-admin"
                ));
            }
        }
        let f = out.report(ctx.inventory.object(primary.0), primary.1.clone(), msg);
        f.severity(sev).key(format!(
            "{:?}|{}|{}",
            cap,
            h.principal.spec(),
            h.scope.as_deref().unwrap_or("*")
        ));
        add_related(m, f, &h.evidence, &primary);
    }
    // Roles no binding grants: reported on the role itself (the fallback).
    super::role_level::emit(ctx, out, &a, cap);
}

const AWS_AUTH: &str = "aws-auth";

/// Whether every clause of the hit reaches an object named `name` (not narrowed by
/// resourceNames, or narrowed to lists that include it).
fn reaches_name(h: &Hit, name: &str) -> bool {
    h.evidence.iter().all(|e| match &e.level {
        Level::Named(names) => names.iter().any(|n| n == name),
        _ => true,
    })
}

/// Why the scanned cluster looks like Amazon EKS, if it does: what a cluster source reports
/// (`/version`, nodes), EKS node objects in the input, or an `aws-auth` ConfigMap in
/// kube-system (only EKS reads it).
fn eks_signal(inv: &Inventory) -> Option<String> {
    use kubeward_core::platform::{Platform, detect, node_platform};
    for (source, info) in inv.clusters() {
        if let Some(d) = detect(inv, source, info) {
            if d.platform == Platform::Eks {
                return Some(d.evidence);
            }
        }
    }
    if let Some(d) = inv
        .of_kind("Node")
        .filter_map(node_platform)
        .find(|d| d.platform == Platform::Eks)
    {
        return Some(d.evidence);
    }
    inv.get("ConfigMap", Some("kube-system"), AWS_AUTH)
        .filter(|o| o.group().is_empty())
        .map(|_| format!("the input has ConfigMap kube-system/{AWS_AUTH}"))
}

fn allowed_admin(settings: &[String], p: &Principal) -> bool {
    let spec = p.spec();
    settings.iter().any(|a| {
        let a = a.trim();
        a == spec
            || a.strip_prefix("serviceaccount:").map(|x| format!("sa:{x}")) == Some(spec.clone())
            || a.strip_prefix("sa:")
                .map(|x| x.replacen(':', "/", 1))
                .map(|x| format!("sa:{x}"))
                == Some(spec.clone())
    })
}

/// Non-stock bindings of the input, with their subjects' principals.
fn input_bindings(
    m: &Model,
) -> impl Iterator<Item = (super::model::BindingIdx, &Binding, kubeward_core::ObjectId)> {
    m.bindings
        .iter()
        .enumerate()
        .filter_map(|(i, b)| match b.origin {
            Origin::Inventory(id) if !b.stock => Some((i as u32, b, id)),
            _ => None,
        })
}

fn check_cluster_admin(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    let a = Analysis::of(ctx.inventory);
    let m = &a.model;
    for (_, b, id) in input_bindings(m) {
        if b.role_kind != "ClusterRole" || b.role_name != "cluster-admin" {
            continue;
        }
        for s in &b.subjects {
            let Some(p) = &s.principal else { continue };
            if allowed_admin(&ctx.settings.cluster_admin_allowed, p) {
                continue;
            }
            let (what, sev) = match b.kind {
                BindingKind::ClusterRoleBinding => {
                    ("owns the cluster".to_string(), Severity::Critical)
                }
                BindingKind::RoleBinding => (
                    format!(
                        "is admin of namespace {}, secrets and RBAC included",
                        b.namespace.as_deref().unwrap_or("")
                    ),
                    Severity::High,
                ),
            };
            let role = b
                .role
                .map(|r| role_text(m, r))
                .unwrap_or_else(|| "ClusterRole cluster-admin".into());
            let f = out.report(
                ctx.inventory.object(id),
                format!("/subjects/{}", s.index),
                format!(
                    "{} {what}: {} → {} → {role} (`*` on everything); not in settings.cluster_admin_allowed",
                    p.display(),
                    s.display(),
                    b.display()
                ),
            );
            f.severity(sev).key(p.spec());
            if let Some(r) = b.role {
                if let Origin::Inventory(rid) = m.role(r).origin {
                    f.related(rid, "/rules", "the cluster-admin ClusterRole in the input");
                }
            }
        }
    }
}

fn check_wildcard_rule(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    let a = Analysis::of(ctx.inventory);
    let m = &a.model;
    // Roles bound by an input binding: full wildcards there are KW-RBAC-001/002's.
    let mut bound: std::collections::HashSet<u32> = std::collections::HashSet::new();
    for (_, b, _) in input_bindings(m) {
        if let Some(r) = b.role {
            bound.insert(r);
            for e in &m.role(r).effective {
                bound.insert(e.role);
            }
        }
    }
    for (ri, role) in m.roles.iter().enumerate() {
        let Origin::Inventory(id) = role.origin else {
            continue;
        };
        if role.stock || role.selectors.is_some() {
            continue;
        }
        let is_bound = bound.contains(&(ri as u32));
        for r in &role.rules {
            let verbs = r.all_verbs();
            let res = r.all_resources();
            let urls = r.non_resource_urls.iter().any(|u| u == "*");
            if !(verbs || res || urls) {
                continue;
            }
            if r.is_full_wildcard() {
                // KW-RBAC-002's: through its subjects when bound, on the role otherwise.
                continue;
            }
            let mut what = Vec::new();
            if verbs {
                what.push("every verb");
            }
            if res {
                what.push("every resource");
            }
            if urls {
                what.push("every non-resource URL");
            }
            let broad_sensitive = res
                && [
                    "get",
                    "list",
                    "watch",
                    "create",
                    "delete",
                    "deletecollection",
                ]
                .iter()
                .any(|v| super::authz::verb_matches(r, v));
            let f = out.report(
                ctx.inventory.object(id),
                format!("/rules/{}", r.index),
                format!(
                    "{} rules[{}] ({}) grants {}{}",
                    role.display(),
                    r.index,
                    r.describe(),
                    what.join(" and "),
                    if is_bound {
                        ""
                    } else {
                        " (not bound by any binding in the input)"
                    }
                ),
            );
            if r.is_full_wildcard() || broad_sensitive {
                f.severity(Severity::High);
            }
        }
    }
}

fn risky_role(a: &Analysis, b: &Binding) -> bool {
    let Some(r) = b.role else { return false };
    let m = &a.model;
    m.role(r).effective.iter().any(|&x| {
        let rule = m.rule(x);
        rule.is_full_wildcard()
            || super::caps::role_clauses(
                &a.scopes,
                std::iter::once((x, rule)),
                if b.scope().is_none() {
                    super::caps::ScopeKind::Cluster
                } else {
                    super::caps::ScopeKind::Namespace
                },
            )
            .iter()
            .enumerate()
            .any(|(i, h)| {
                h.is_some() && super::caps::ALL_CLAUSES[i] != super::caps::Clause::CreateObjects
            })
    })
}

fn check_anonymous(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    let a = Analysis::of(ctx.inventory);
    let m = &a.model;
    for (_, b, id) in input_bindings(m) {
        for s in &b.subjects {
            let anon = matches!(&s.principal, Some(Principal::User(u)) if u == ANONYMOUS)
                || matches!(&s.principal, Some(Principal::Group(g)) if g == UNAUTHENTICATED);
            if !anon {
                continue;
            }
            let role = match b.role {
                Some(r) => role_text(m, r),
                None => format!("{} {} (missing)", b.role_kind, b.role_name),
            };
            let risky = risky_role(&a, b);
            let f = out.report(
                ctx.inventory.object(id),
                format!("/subjects/{}", s.index),
                format!(
                    "{} → {} → {role}: anyone who can reach the API server gets this role {}{}",
                    s.display(),
                    b.display(),
                    scope_text(b.scope()),
                    if risky {
                        ", and it includes dangerous permissions"
                    } else {
                        ""
                    }
                ),
            );
            f.key(s.name.to_string());
            if risky {
                f.severity(Severity::Critical);
            }
            if let Some(r) = b.role {
                if let Origin::Inventory(rid) = m.role(r).origin {
                    f.related(rid, "/rules", format!("{} grants", m.role(r).display()));
                }
            }
        }
    }
}

fn check_all_authenticated(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    let a = Analysis::of(ctx.inventory);
    let m = &a.model;
    for (_, b, id) in input_bindings(m) {
        for s in &b.subjects {
            let Some(Principal::Group(g)) = &s.principal else {
                continue;
            };
            let who = if g == AUTHENTICATED {
                "every authenticated user and every service account in the cluster".to_string()
            } else if g == SERVICEACCOUNTS {
                "every service account in the cluster".to_string()
            } else if let Some(ns) = g.strip_prefix("system:serviceaccounts:") {
                format!("every service account of namespace {ns}")
            } else {
                continue;
            };
            let role = match b.role {
                Some(r) => role_text(m, r),
                None => format!("{} {} (missing)", b.role_kind, b.role_name),
            };
            let risky = risky_role(&a, b);
            let f = out.report(
                ctx.inventory.object(id),
                format!("/subjects/{}", s.index),
                format!(
                    "{} → {} → {role}: {who} gets this role {}{}",
                    s.display(),
                    b.display(),
                    scope_text(b.scope()),
                    if risky {
                        ", and it includes dangerous permissions"
                    } else {
                        ""
                    }
                ),
            );
            f.key(g.to_string());
            if risky {
                f.severity(Severity::High);
            }
        }
    }
}

fn check_missing_role(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    let a = Analysis::of(ctx.inventory);
    let m = &a.model;
    for (_, b, id) in input_bindings(m) {
        if b.role.is_some() || !(b.role_kind == "ClusterRole" || b.role_kind == "Role") {
            continue;
        }
        if b.kind == BindingKind::ClusterRoleBinding && b.role_kind == "Role" {
            continue; // rejected: KW-RBAC-034
        }
        let subjects: Vec<String> = b.subjects.iter().map(|s| s.display()).collect();
        let where_ = role_ref(b).to_string();
        out.report(
            ctx.inventory.object(id),
            "/roleRef/name",
            format!(
                "{} refers to {where_}, which is neither in the input nor a kubeadm default; whoever creates it later grants it to {}",
                b.display(),
                if subjects.is_empty() { "nobody (no subjects)".into() } else { subjects.join(", ") }
            ),
        );
    }
}

/// The role a binding refers to, as written (it may not exist): kind, the namespace of a Role,
/// name. Displays as `ClusterRole view` or `Role shop/reader`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct RoleRef<'a>(&'a str, Option<&'a str>, &'a str);

fn role_ref(b: &Binding) -> RoleRef<'_> {
    let ns = if b.role_kind == "Role" {
        b.namespace.as_deref()
    } else {
        None
    };
    RoleRef(b.role_kind.as_str(), ns, b.role_name.as_str())
}

impl std::fmt::Display for RoleRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.1 {
            Some(ns) => write!(f, "{} {ns}/{}", self.0, self.2),
            None => write!(f, "{} {}", self.0, self.2),
        }
    }
}

fn check_many_roles(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    use std::collections::{HashMap, HashSet};
    let a = Analysis::of(ctx.inventory);
    let m = &a.model;
    let max = ctx.settings.rbac_max_roles_per_subject;
    // Principal → distinct roles, and each binding subject entry that names it (binding,
    // subject index).
    type Held<'a> = (HashSet<RoleRef<'a>>, Vec<(&'a Binding, u32)>);
    let mut held: HashMap<&Principal, Held<'_>> = HashMap::new();
    for (_, b, _) in input_bindings(m) {
        let role = role_ref(b);
        for s in &b.subjects {
            let Some(p) = &s.principal else { continue };
            let e = held.entry(p).or_default();
            e.0.insert(role);
            e.1.push((b, s.index));
        }
    }
    let mut over: Vec<_> = held
        .into_iter()
        .filter(|(_, (roles, _))| roles.len() > max)
        .collect();
    over.sort_by(|x, y| x.0.cmp(y.0));
    let id_of = |b: &Binding| b.origin.object_id().expect("input bindings only");
    for (p, (roles, mut entries)) in over {
        // Located at the first binding of the input that names the subject.
        entries.sort_by_key(|(b, index)| (id_of(b), *index));
        let mut roles: Vec<String> = roles.iter().map(RoleRef::to_string).collect();
        roles.sort();
        let (first, rest) = entries.split_first().expect("a principal has an entry");
        let f = out.report(
            ctx.inventory.object(id_of(first.0)),
            format!("/subjects/{}", first.1),
            format!(
                "{} holds {} different roles through {} binding{} (more than settings.rbac_max_roles_per_subject = {max}): {}",
                p.display(),
                roles.len(),
                entries.len(),
                if entries.len() == 1 { "" } else { "s" },
                crate::some_of(&roles, 12)
            ),
        );
        for (b, index) in rest {
            f.related(
                id_of(b),
                format!("/subjects/{index}"),
                format!("also bound by {}", b.display()),
            );
        }
    }
}

fn check_many_subjects(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    let a = Analysis::of(ctx.inventory);
    let m = &a.model;
    let max = ctx.settings.rbac_max_subjects_per_namespace;
    use std::collections::{HashMap, HashSet};
    // Namespace → distinct principals holding a role there through its RoleBindings, and the
    // bindings that added them.
    type Shared<'a> = (HashSet<&'a Principal>, Vec<kubeward_core::ObjectId>);
    let mut by_ns: HashMap<&str, Shared<'_>> = HashMap::new();
    for (_, b, id) in input_bindings(m) {
        if b.kind != BindingKind::RoleBinding {
            continue;
        }
        let Some(ns) = b.namespace.as_deref() else {
            continue;
        };
        let e = by_ns.entry(ns).or_default();
        let before = e.0.len();
        e.0.extend(b.subjects.iter().filter_map(|s| s.principal.as_ref()));
        if e.0.len() > before || e.1.is_empty() {
            e.1.push(id);
        }
    }
    let mut over: Vec<_> = by_ns
        .into_iter()
        .filter(|(_, (subjects, _))| subjects.len() > max)
        .collect();
    over.sort_by(|x, y| x.0.cmp(y.0));
    for (ns, (subjects, mut bindings)) in over {
        bindings.sort();
        let mut subjects: Vec<&Principal> = subjects.into_iter().collect();
        subjects.sort();
        let names: Vec<String> = subjects.iter().map(|p| p.display()).collect();
        let message = format!(
            "namespace {ns}: {} different subjects hold roles through its RoleBindings (more than settings.rbac_max_subjects_per_namespace = {max}): {}",
            subjects.len(),
            crate::some_of(&names, 12)
        );
        // On the Namespace object when it is in the input, else on the first binding.
        let (f, related) = match ctx.inventory.get("Namespace", None, ns) {
            Some(nso) => (out.report(nso, "/metadata/name", message), &bindings[..]),
            None => (
                out.report(ctx.inventory.object(bindings[0]), "/subjects", message),
                &bindings[1..],
            ),
        };
        for id in related {
            f.related(*id, "/subjects", "a RoleBinding that adds subjects");
        }
    }
}

fn check_default_sa(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    let a = Analysis::of(ctx.inventory);
    let m = &a.model;
    for (_, b, id) in input_bindings(m) {
        let Some(role) = b.role else { continue };
        for s in &b.subjects {
            let Some(Principal::ServiceAccount(ns, name)) = &s.principal else {
                continue;
            };
            if name != "default" {
                continue;
            }
            let risky = risky_role(&a, b);
            let f = out.report(
                ctx.inventory.object(id),
                format!("/subjects/{}", s.index),
                format!(
                    "ServiceAccount {ns}/default → {} → {}: every pod of namespace {ns} that names no service account gets this role {}{}",
                    b.display(),
                    role_text(m, role),
                    scope_text(b.scope()),
                    if risky { ", and it includes dangerous permissions" } else { "" }
                ),
            );
            f.key(format!("{ns}/default"));
            if risky {
                f.severity(Severity::High);
            }
        }
    }
}

/// Capabilities the workload rule reports.
fn workload_cap(c: Cap) -> bool {
    matches!(
        c,
        Cap::FullAdmin
            | Cap::ReadSecrets
            | Cap::CreateWorkloads
            | Cap::Exec
            | Cap::Escalate
            | Cap::Bind
            | Cap::Impersonate
            | Cap::TokenRequest
            | Cap::NodesProxy
            | Cap::ApproveCsr
    )
}

fn check_workload_tokens(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    let a = Analysis::of(ctx.inventory);
    let m = &a.model;
    let inv: &Inventory = ctx.inventory;
    // Workload → its hits, grouped in one pass (filtering every hit for every workload was
    // quadratic: 900 s of a 2.7M-object scan).
    let mut by_workload: Vec<Vec<&Hit>> = vec![Vec::new(); a.workloads.len()];
    for (i, h) in &a.workload_hits {
        if workload_cap(h.cap) {
            by_workload[*i].push(h);
        }
    }
    for (w, hits) in a.workloads.iter().zip(by_workload) {
        let obj = inv.object(w.object);
        let exposed = a.exposed.get(&w.object);
        for h in &hits {
            let Principal::ServiceAccount(sns, sname) = &h.principal else {
                continue;
            };
            let token = w
                .tokens
                .iter()
                .find(|t| t.namespace == *sns && t.service_account == *sname)
                .expect("hit for a mounted token");
            let chains: Vec<String> = h.evidence.iter().map(|e| chain(m, e)).collect();
            let mut msg = format!(
                "{} mounts the token of ServiceAccount {sns}/{sname} ({}), which can {} {}{}: {}",
                obj.display(),
                token.how,
                h.cap.what(),
                scope_text(h.scope.as_deref()),
                names_note(h),
                chains.join("; and ")
            );
            // The same grading as the subject-centric catalogue rules (KW-RBAC-004 rates a
            // grant of one named Secret as this rule does), one step up when the workload is
            // exposed outside the cluster.
            let mut sev = hit_severity(catalogue_severity(h.cap), h);
            if let Some(e) = exposed {
                // Name a few; a workload behind hundreds of Services would otherwise make
                // one message as long as a manifest.
                let how: Vec<&str> = e.iter().map(|x| x.how.as_str()).collect();
                msg.push_str(&format!(
                    "; exposed outside the cluster by {}",
                    crate::some_of(&how, 3)
                ));
                sev = up(sev);
            }
            let primary = locate(m, &h.evidence).unwrap_or((w.object, token.pointer.clone()));
            let f = out.report(inv.object(primary.0), primary.1.clone(), msg);
            f.severity(sev).key(format!(
                "{:?}|{}/{}/{}|{}|{}",
                h.cap,
                obj.kind,
                obj.namespace().unwrap_or(""),
                obj.name,
                h.principal.spec(),
                h.scope.as_deref().unwrap_or("*")
            ));
            if primary.0 != w.object {
                f.related(
                    w.object,
                    token.pointer.clone(),
                    format!("{} mounts the token", obj.display()),
                );
            }
            add_related(m, f, &h.evidence, &primary);
            if let Some(e) = exposed {
                for x in e {
                    f.related(x.by, "", format!("exposes {}", obj.display()));
                }
            }
        }
    }
}

fn check_cloud_iam(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    const KEYS: &[&str] = &[
        "eks.amazonaws.com/role-arn",
        "iam.gke.io/gcp-service-account",
        "azure.workload.identity/client-id",
    ];
    let a = Analysis::of(ctx.inventory);
    for sa in ctx.inventory.of_kind("ServiceAccount") {
        for key in KEYS {
            let Some(v) = sa.annotation(key) else {
                continue;
            };
            let ns = sa.namespace().unwrap_or("default");
            let users: Vec<&super::workloads::Workload> = a
                .workloads
                .iter()
                .filter(|w| w.namespace == ns && w.service_account == sa.name)
                .collect();
            let exposed: Vec<&&super::workloads::Workload> = users
                .iter()
                .filter(|w| a.exposed.contains_key(&w.object))
                .collect();
            let f = out.report(
                sa,
                kubeward_core::ptr!("/metadata/annotations", *key),
                format!(
                    "ServiceAccount {ns}/{} is mapped to cloud identity {v} ({key}); used by {} workload{}{}",
                    sa.name,
                    users.len(),
                    if users.len() == 1 { "" } else { "s" },
                    if exposed.is_empty() {
                        String::new()
                    } else {
                        format!(", {} of them exposed outside the cluster", exposed.len())
                    }
                ),
            );
            if !exposed.is_empty() {
                f.severity(Severity::Medium);
            }
            for w in users {
                f.related(w.object, w.sa_pointer.clone(), "uses this service account");
            }
        }
    }
}

fn report_defects(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>, rejected: bool) {
    let a = Analysis::of(ctx.inventory);
    for d in a.model.defects.iter().filter(|d| d.rejected == rejected) {
        let Origin::Inventory(id) = d.origin else {
            continue;
        };
        out.report(
            ctx.inventory.object(id),
            d.pointer.clone(),
            d.message.clone(),
        );
    }
}

fn check_ineffective(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    report_defects(ctx, out, false);
}

fn check_rejected(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    report_defects(ctx, out, true);
}
