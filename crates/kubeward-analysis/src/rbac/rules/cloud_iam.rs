//! KW-RBAC-024: workload identities bound to cloud IAM roles.

use crate::rbac::analysis::Analysis;
use kubeward_core::{Check, Emitter, InventoryCtx, Layer, Rule, RuleMeta, Severity};

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
            let users: Vec<&crate::rbac::workloads::Workload> = a
                .workloads
                .iter()
                .filter(|w| w.namespace == ns && w.service_account == sa.name)
                .collect();
            let exposed: Vec<&&crate::rbac::workloads::Workload> = users
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
