//! KW-CTR-015: workloads in kube-system or kube-public that are not control-plane add-ons.
//!
//! The known add-ons are kept to a short list ([`ADDONS`]): the control-plane components, the
//! DNS and metrics add-ons, kube-proxy, and the CNI and CSI node agents of the common clouds and
//! network plugins. A workload matches by its name (`kube-proxy`, or a generated name that
//! starts with `kube-proxy-`), or by a `k8s-app`, `component` or `app.kubernetes.io/name`
//! label (object or pod template) with one of these values. Mirror pods of static pods
//! (`kubernetes.io/config.mirror`) are the node's business and are left out.

use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-CTR-015",
        name: "workload-in-system-namespace",
        layer: Layer::Containers,
        severity: Severity::Medium,
        title: "Workload in kube-system or kube-public is not a known control-plane add-on",
        why: "kube-system holds the cluster's most powerful credentials (controller and add-on \
              ServiceAccounts, bootstrap tokens, cloud credentials) and is commonly exempted from \
              admission policies and Pod Security enforcement so that add-ons can run \
              privileged; kube-public is readable by everyone, unauthenticated users included. \
              An application, debug pod or tool deployed there inherits those exemptions and \
              sits next to those secrets, and an attacker hides a workload there under a \
              plausible name. Known add-ons (kube-proxy, CoreDNS/kube-dns, metrics-server, the \
              etcd, API server, controller manager and scheduler pods, cloud-controller-manager, \
              konnectivity, and the Calico, Cilium, Flannel, Weave, AWS VPC CNI, EBS/EFS, Azure \
              disk/file and GCE PD CSI agents) are not reported; the list is deliberately short, \
              so other add-ons you run there can be suppressed by ID.",
        fix: "Move the workload into a namespace of its own with the Pod Security level, RBAC \
              and NetworkPolicies it needs; keep kube-system for the cluster's own add-ons.",
        references: &[
            (
                "nsa",
                "Kubernetes Hardening Guide: Network separation and hardening, namespaces",
            ),
            ("mitre", "T1036.005"),
            (
                "docs",
                "https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/#initial-namespaces",
            ),
        ],
        default_enabled: true,
    },
    check: Check::Object {
        targets: Targets::PodSpecs,
        run: check,
    },
};

/// Names (and label values) of the control-plane add-ons expected in kube-system.
pub(crate) const ADDONS: &[&str] = &[
    // Control plane (static pods and their mirror names, and managed add-ons).
    "etcd",
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "cloud-controller-manager",
    "konnectivity-agent",
    // DNS, metrics, service proxy.
    "kube-proxy",
    "coredns",
    "kube-dns",
    "node-local-dns",
    "metrics-server",
    // CNI.
    "calico-node",
    "calico-kube-controllers",
    "cilium",
    "cilium-operator",
    "kube-flannel",
    "weave-net",
    "aws-node",
    // CSI.
    "ebs-csi-controller",
    "ebs-csi-node",
    "efs-csi-controller",
    "efs-csi-node",
    "csi-azuredisk-node",
    "csi-azurefile-node",
    "pdcsi-node",
];

const SYSTEM: &[&str] = &["kube-system", "kube-public"];

fn known(value: &str) -> bool {
    ADDONS.iter().any(|a| {
        value == *a
            || value
                .strip_prefix(a)
                .is_some_and(|rest| rest.starts_with('-'))
    })
}

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    let Some(pod) = ctx.pod else { return };
    let o = ctx.object;
    let Some(ns) = o.namespace().filter(|ns| SYSTEM.contains(ns)) else {
        return;
    };
    if o.annotation("kubernetes.io/config.mirror").is_some() || known(&o.name) {
        return;
    }
    let labelled = [o.labels(), pod.labels()].into_iter().flatten().any(|l| {
        ["k8s-app", "component", "app.kubernetes.io/name"]
            .iter()
            .any(|k| l.str_at(k).is_some_and(known))
    });
    if labelled {
        return;
    }
    // Always the same pointer (the span falls back to `metadata` when the field is absent),
    // so the finding keeps one identity whether read from a file or from a cluster.
    let pointer = "/metadata/namespace";
    out.report(
        o,
        pointer,
        format!(
            "{} {} runs in {ns} but is not a known control-plane add-on: it shares the namespace with the cluster's most powerful credentials and its policy exemptions",
            o.kind, o.name
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::support::containers::fixtures::all_kinds;
    use kubeward_core::testing::{pointers, run};
    use serde_json::json;

    fn in_ns(y: &str, ns: &str) -> String {
        y.replace("\"namespace\":\"team\"", &format!("\"namespace\":\"{ns}\""))
    }

    #[test]
    fn fires_on_every_kind_in_system_namespaces() {
        let spec = json!({"containers": [{"name": "a", "image": "x"}]});
        for (kind, y, _) in all_kinds(&spec, &json!({})) {
            for ns in ["kube-system", "kube-public"] {
                let hits = run(&RULE, &in_ns(&y, ns));
                assert_eq!(pointers(&hits), vec!["/metadata/namespace"], "{kind} {ns}");
                assert!(hits[0].message.contains(&format!("runs in {ns}")));
            }
            assert!(run(&RULE, &y).is_empty(), "{kind} in team");
        }
    }

    #[test]
    fn known_add_ons_by_name_label_or_mirror() {
        let pod = |meta: serde_json::Value| {
            let mut m = json!({"name": "debug", "namespace": "kube-system"});
            for (k, v) in meta.as_object().unwrap() {
                m[k] = v.clone();
            }
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": m,
                   "spec": {"containers": [{"name": "a", "image": "x"}]}})
            .to_string()
        };
        for meta in [
            json!({"name": "kube-proxy-x7f9k"}),
            json!({"name": "coredns-5d78c9869d-abcde"}),
            json!({"name": "etcd-control-plane-1"}),
            json!({"name": "dns", "labels": {"k8s-app": "kube-dns"}}),
            json!({"name": "x", "labels": {"component": "kube-apiserver", "tier": "control-plane"}}),
            json!({"name": "y", "annotations": {"kubernetes.io/config.mirror": "abc"}}),
        ] {
            assert!(run(&RULE, &pod(meta.clone())).is_empty(), "{meta}");
        }
        for meta in [
            json!({"name": "debug"}),
            json!({"name": "kube-proxyish"}),
            json!({"name": "miner", "labels": {"app": "kube-proxy"}}),
        ] {
            assert_eq!(run(&RULE, &pod(meta.clone())).len(), 1, "{meta}");
        }
        // A Deployment matched by its template label.
        let d = json!({"apiVersion": "apps/v1", "kind": "Deployment",
                       "metadata": {"name": "dns-autoscaler", "namespace": "kube-system"},
                       "spec": {"template": {"metadata": {"labels": {"k8s-app": "coredns"}},
                                             "spec": {"containers": [{"name": "a", "image": "x"}]}}}});
        assert!(run(&RULE, &d.to_string()).is_empty());
    }
}
