//! The detections, as rules in the registry (layer `monitoring`, `Check::Engine`: evaluated by
//! the audit stream analyzer, not the per-object engine).

use kubeward_core::{Check, Layer, Rule, RuleMeta, Severity};

pub static EXEC: Rule = Rule {
    meta: RuleMeta {
        id: "KW-AUD-001",
        name: "pod-exec",
        layer: Layer::Monitoring,
        severity: Severity::Medium,
        title: "Someone ran a command in or attached to a running container",
        why: "`kubectl exec` and `attach` give an interactive shell inside a workload, with its service account token, mounted secrets and network position. Attackers use it to move into a pod they can reach through RBAC; in production it is rarely part of normal operation.",
        fix: "Confirm the session was expected. Grant `pods/exec` and `pods/attach` only to break-glass roles, and prefer ephemeral debug containers with an approval step.",
        references: &[("mitre", "T1609"), ("mitre", "T1059")],
        default_enabled: true,
    },
    check: Check::Engine,
};

pub static PORT_FORWARD: Rule = Rule {
    meta: RuleMeta {
        id: "KW-AUD-002",
        name: "pod-port-forward",
        layer: Layer::Monitoring,
        severity: Severity::Medium,
        title: "Someone opened a port-forward into a pod",
        why: "`kubectl port-forward` tunnels traffic from the caller's machine straight into a pod, past Services, Ingress and NetworkPolicy ingress rules. It reaches databases and admin ports that are otherwise internal.",
        fix: "Confirm the tunnel was expected; grant `pods/portforward` only to break-glass roles.",
        references: &[("mitre", "T1572")],
        default_enabled: true,
    },
    check: Check::Engine,
};

pub static EPHEMERAL: Rule = Rule {
    meta: RuleMeta {
        id: "KW-AUD-003",
        name: "ephemeral-container-added",
        layer: Layer::Monitoring,
        severity: Severity::Medium,
        title: "An ephemeral container was added to a running pod",
        why: "`kubectl debug` adds a container to a running pod that shares its namespaces and volumes; it can carry any image and, where admission does not check the `ephemeralcontainers` subresource, any security context (CVE-2023-2727 bypassed ImagePolicyWebhook this way).",
        fix: "Confirm the debug session; restrict `pods/ephemeralcontainers` and make sure admission policies also cover that subresource.",
        references: &[
            ("mitre", "T1609"),
            ("mitre", "T1610"),
            (
                "docs",
                "https://kubernetes.io/docs/concepts/workloads/pods/ephemeral-containers/",
            ),
        ],
        default_enabled: true,
    },
    check: Check::Engine,
};

pub static DANGEROUS_WORKLOAD: Rule = Rule {
    meta: RuleMeta {
        id: "KW-AUD-004",
        name: "dangerous-workload-created",
        layer: Layer::Monitoring,
        severity: Severity::High,
        title: "A workload that breaks a pod-to-node or container rule was created or updated",
        why: "The request body of a pod or workload create/update is checked with kubeward's own scan rules (privileged, host namespaces, hostPath, host ports, dangerous capabilities, runtime sockets...): the same definition serves scan, admission and audit. A privileged or host-namespace pod is one step from the node. The alert names the scan rule that fired.",
        fix: "Find out who created the workload and why; delete it if unexpected, and enforce Pod Security Admission (`baseline` or `restricted`) on the namespace. See the named rule (`kubeward explain ID`).",
        references: &[("mitre", "T1610"), ("mitre", "T1611")],
        default_enabled: true,
    },
    check: Check::Engine,
};

pub static SECRET_READ: Rule = Rule {
    meta: RuleMeta {
        id: "KW-AUD-005",
        name: "secret-read-by-foreign-subject",
        layer: Layer::Monitoring,
        severity: Severity::High,
        title: "A Secret was read by a subject that is neither its workload's service account nor a controller",
        why: "Secrets hold tokens, passwords and keys. A human or another workload's service account reading one is how stolen credentials spread; workloads read their own secrets through the kubelet, and controllers through their own identities.",
        fix: "Check who read the secret and why; remove `get` on secrets from roles that do not need it, and rotate the secret if the read was not expected.",
        references: &[("mitre", "T1552.007"), ("mitre", "T1528")],
        default_enabled: true,
    },
    check: Check::Engine,
};

pub static SECRET_LIST: Rule = Rule {
    meta: RuleMeta {
        id: "KW-AUD-006",
        name: "secret-enumeration",
        layer: Layer::Monitoring,
        severity: Severity::High,
        title: "Secrets were listed or watched by a subject that is not a controller",
        why: "Listing or watching secrets returns every value in the namespace (or the cluster) at once: the usual first move after a token is stolen.",
        fix: "Check the subject and remove `list`/`watch` on secrets from it; rotate the namespace's secrets if it was not expected.",
        references: &[("mitre", "T1552.007"), ("mitre", "T1613")],
        default_enabled: true,
    },
    check: Check::Engine,
};

pub static ANONYMOUS: Rule = Rule {
    meta: RuleMeta {
        id: "KW-AUD-007",
        name: "anonymous-request-allowed",
        layer: Layer::Monitoring,
        severity: Severity::High,
        title: "An anonymous request was allowed",
        why: "A request as `system:anonymous` that the API server allowed means some RBAC binding grants unauthenticated users more than the health and version endpoints: anyone who reaches the API server can use it.",
        fix: "Find the binding named in the `authorization.k8s.io/reason` annotation and remove `system:anonymous` / `system:unauthenticated` from it; consider `--anonymous-auth=false`.",
        references: &[("mitre", "T1078.001"), ("cis", "1.2.1")],
        default_enabled: true,
    },
    check: Check::Engine,
};

pub static CLUSTER_ADMIN_BINDING: Rule = Rule {
    meta: RuleMeta {
        id: "KW-AUD-008",
        name: "cluster-admin-binding-created",
        layer: Layer::Monitoring,
        severity: Severity::High,
        title: "A binding to cluster-admin (or an equivalent role) was created or changed",
        why: "A ClusterRoleBinding or RoleBinding to `cluster-admin`, `admin` or `system:masters`-equivalent roles gives the subject full control; attackers create one to persist.",
        fix: "Confirm the grant with its owner; delete the binding if unexpected and investigate who created it.",
        references: &[("mitre", "T1098"), ("mitre", "T1078")],
        default_enabled: true,
    },
    check: Check::Engine,
};

pub static WILDCARD_ROLE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-AUD-009",
        name: "wildcard-role-created",
        layer: Layer::Monitoring,
        severity: Severity::Medium,
        title: "A Role or ClusterRole with wildcard verbs or resources was created or changed",
        why: "`*` in verbs or resources grants everything, including resources added later (secrets, exec, escalate, impersonate); a wildcard role bound to anyone is cluster-admin in disguise.",
        fix: "Replace the wildcard with the verbs and resources the subject needs.",
        references: &[("mitre", "T1098")],
        default_enabled: true,
    },
    check: Check::Engine,
};

pub static SYSTEM_RBAC: Rule = Rule {
    meta: RuleMeta {
        id: "KW-AUD-010",
        name: "system-rbac-changed",
        layer: Layer::Monitoring,
        severity: Severity::High,
        title: "A system role or binding (`system:` name) was changed or deleted",
        why: "The `system:` roles and bindings wire the control plane together; changing one can grant a component (or a user in a system group) far more, or break the cluster. They are reconciled by the API server only for some fields and only at start.",
        fix: "Restore the object (`kubectl auth reconcile` or restart the API server with `--auth-reconcile`), and find out who changed it.",
        references: &[("mitre", "T1098"), ("mitre", "T1562")],
        default_enabled: true,
    },
    check: Check::Engine,
};

pub static KUBE_SYSTEM_POD: Rule = Rule {
    meta: RuleMeta {
        id: "KW-AUD-011",
        name: "pod-in-kube-system",
        layer: Layer::Monitoring,
        severity: Severity::Medium,
        title: "A pod was created in kube-system by a subject that is not a controller",
        why: "kube-system holds the control plane's privileged service accounts and is often exempt from admission policies: a pod placed there by a person or a foreign workload can mount those accounts.",
        fix: "Check who created the pod; keep kube-system for cluster components and exempt it from policy only for known images.",
        references: &[("mitre", "T1610"), ("mitre", "T1036.005")],
        default_enabled: true,
    },
    check: Check::Engine,
};

pub static KUBE_SYSTEM_SA: Rule = Rule {
    meta: RuleMeta {
        id: "KW-AUD-012",
        name: "serviceaccount-in-kube-system",
        layer: Layer::Monitoring,
        severity: Severity::Medium,
        title: "A service account was created in kube-system by a subject that is not a controller",
        why: "A new service account in kube-system blends in with the control plane's identities and is a common place to hide a persistent credential.",
        fix: "Check who created it and what it is bound to; delete it if unexpected.",
        references: &[("mitre", "T1136"), ("mitre", "T1098")],
        default_enabled: true,
    },
    check: Check::Engine,
};

pub static SA_TOKEN: Rule = Rule {
    meta: RuleMeta {
        id: "KW-AUD-013",
        name: "serviceaccount-token-requested",
        layer: Layer::Monitoring,
        severity: Severity::Medium,
        title: "A service-account token was requested by a subject that is not the kubelet or a controller",
        why: "The TokenRequest API mints a token for any service account the caller may `create serviceaccounts/token` on: a user or workload doing so obtains that account's permissions, possibly with a long expiry.",
        fix: "Check the caller and the service account; restrict `serviceaccounts/token` create to the components that need it.",
        references: &[("mitre", "T1528"), ("mitre", "T1550.001")],
        default_enabled: true,
    },
    check: Check::Engine,
};

pub static CSR_APPROVED: Rule = Rule {
    meta: RuleMeta {
        id: "KW-AUD-014",
        name: "csr-approved",
        layer: Layer::Monitoring,
        severity: Severity::Medium,
        title: "A certificate signing request was approved by a subject that is not a controller",
        why: "An approved CSR yields a client certificate that authenticates as whatever user and groups it names (for the kube-apiserver-client signer, even `system:masters`), and cannot be revoked before it expires.",
        fix: "Check what the CSR asked for; deny CSRs you did not expect and restrict `certificatesigningrequests/approval`.",
        references: &[("mitre", "T1649"), ("mitre", "T1098")],
        default_enabled: true,
    },
    check: Check::Engine,
};

pub static ADMISSION_CHANGED: Rule = Rule {
    meta: RuleMeta {
        id: "KW-AUD-015",
        name: "admission-webhook-changed",
        layer: Layer::Monitoring,
        severity: Severity::High,
        title: "An admission webhook configuration or admission policy was changed or deleted",
        why: "Admission webhooks and policies enforce image, pod-security and policy controls. Deleting one, or changing its rules, namespace selector or failure policy, switches the control off for everything that follows.",
        fix: "Confirm the change with the policy's owner and restore the configuration from source control if unexpected.",
        references: &[("mitre", "T1562.001")],
        default_enabled: true,
    },
    check: Check::Engine,
};

pub static IMAGE_POLICY_FAILED_OPEN: Rule = Rule {
    meta: RuleMeta {
        id: "KW-AUD-016",
        name: "image-policy-failed-open",
        layer: Layer::Monitoring,
        severity: Severity::High,
        title: "ImagePolicyWebhook failed open and admitted a pod unchecked",
        why: "With `defaultAllow: true`, the ImagePolicyWebhook admits pods when its backend is down or slow, and marks the event with `imagepolicywebhook.image-policy.k8s.io/failed-open`. An attacker who can delay the backend gets any image in.",
        fix: "Check the image of the admitted pod, fix the backend's availability, and consider `defaultAllow: false`.",
        references: &[
            ("mitre", "T1562.001"),
            (
                "docs",
                "https://kubernetes.io/docs/reference/access-authn-authz/admission-controllers/#imagepolicywebhook",
            ),
        ],
        default_enabled: true,
    },
    check: Check::Engine,
};

pub static EXPOSED_SERVICE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-AUD-017",
        name: "exposed-service-created",
        layer: Layer::Monitoring,
        severity: Severity::Medium,
        title: "A NodePort or LoadBalancer Service was created or changed",
        why: "NodePort and LoadBalancer Services expose pods outside the cluster, on every node or through a cloud load balancer, past the network boundary most NetworkPolicies assume.",
        fix: "Confirm the exposure is intended; prefer ClusterIP behind an Ingress or gateway with authentication.",
        references: &[("mitre", "T1133"), ("mitre", "T1046")],
        default_enabled: true,
    },
    check: Check::Engine,
};

pub static AUTH_FAILURE_BURST: Rule = Rule {
    meta: RuleMeta {
        id: "KW-AUD-018",
        name: "auth-failure-burst",
        layer: Layer::Monitoring,
        severity: Severity::Medium,
        title: "A burst of 401/403 responses for one user or source IP",
        why: "Many refused requests in a short window mean a client is guessing credentials or probing what a stolen token may do (`kubectl auth can-i --list`, scanners such as kube-hunter).",
        fix: "Identify the client behind the user or IP; revoke its credentials if it is not a misconfigured component.",
        references: &[("mitre", "T1110"), ("mitre", "T1613")],
        default_enabled: true,
    },
    check: Check::Engine,
};

pub static SOURCE_IP: Rule = Rule {
    meta: RuleMeta {
        id: "KW-AUD-019",
        name: "source-ip-outside-ranges",
        layer: Layer::Monitoring,
        severity: Severity::Medium,
        title: "A request came from a source IP outside the configured ranges",
        why: "When the API server is only meant to be used from known networks (nodes, VPN, CI), a request from elsewhere means an exposed endpoint or a stolen credential used from outside.",
        fix: "Check the user and IP; restrict the API endpoint (authorized networks, firewall) and revoke the credential if it was stolen. Configure `audit.allowed_source_ranges` to enable this rule.",
        references: &[("mitre", "T1078"), ("mitre", "T1133")],
        default_enabled: true,
    },
    check: Check::Engine,
};

pub static SA_USER_AGENT: Rule = Rule {
    meta: RuleMeta {
        id: "KW-AUD-020",
        name: "service-account-user-agent-changed",
        layer: Layer::Monitoring,
        severity: Severity::Medium,
        title: "A service account was used by a new client (user agent)",
        why: "A service account token is normally used by one program. The same account suddenly used by `kubectl`, `curl` or a script is the signature of a token taken out of its pod.",
        fix: "Find the source of the new requests (source IP); rotate the service account's tokens if the client is not expected.",
        references: &[("mitre", "T1528"), ("mitre", "T1550.001")],
        default_enabled: true,
    },
    check: Check::Engine,
};

/// Every detection, in ID order.
pub static ALL: [&Rule; 20] = [
    &EXEC,
    &PORT_FORWARD,
    &EPHEMERAL,
    &DANGEROUS_WORKLOAD,
    &SECRET_READ,
    &SECRET_LIST,
    &ANONYMOUS,
    &CLUSTER_ADMIN_BINDING,
    &WILDCARD_ROLE,
    &SYSTEM_RBAC,
    &KUBE_SYSTEM_POD,
    &KUBE_SYSTEM_SA,
    &SA_TOKEN,
    &CSR_APPROVED,
    &ADMISSION_CHANGED,
    &IMAGE_POLICY_FAILED_OPEN,
    &EXPOSED_SERVICE,
    &AUTH_FAILURE_BURST,
    &SOURCE_IP,
    &SA_USER_AGENT,
];

#[cfg(test)]
mod tests {
    #[test]
    fn metadata_is_complete() {
        for r in super::ALL {
            kubeward_core::rule::validate_meta(&r.meta).unwrap();
            assert!(
                r.meta.references.iter().any(|(k, _)| *k == "mitre"),
                "{}",
                r.meta.id
            );
        }
    }
}
