//! KW-CP-006: nothing checks images at admission.

use crate::support::components::{Kind, check_each};
use kubeward_core::inventory::Inventory;
use kubeward_core::{Check, Emitter, InventoryCtx, Layer, Rule, RuleMeta, Severity, Status};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-CP-006",
        name: "apiserver-image-policy",
        layer: Layer::ControlPlane,
        severity: Severity::Medium,
        title: "No image policy is enforced at admission",
        why: "Without the ImagePolicyWebhook admission plugin or an image-policy webhook \
              (Sigstore policy-controller, Kyverno verifyImages, Gatekeeper, Connaisseur, \
              Ratify...), any image from any registry runs, signed or not: a typo-squatted or \
              tampered image is admitted like any other.",
        fix: "Enable ImagePolicyWebhook in `--enable-admission-plugins` with an \
              `--admission-control-config-file`, or install an image-verification admission \
              webhook that covers pods in every namespace and fails closed.",
        references: &[
            ("cis", "5.5.1"),
            ("kubescape", "C-0289"),
            ("mitre", "T1525"),
            (
                "docs",
                "https://kubernetes.io/docs/reference/access-authn-authz/admission-controllers/#imagepolicywebhook",
            ),
        ],
        default_enabled: true,
    },
    check: Check::Inventory(check),
};

/// Names of image-verification engines, as they appear in webhook or service names.
const IMAGE_POLICY_ENGINES: &[&str] = &[
    "policy.sigstore.dev",
    "policy-controller",
    "cosign",
    "connaisseur",
    "ratify",
    "portieris",
    "kritis",
    "image-policy",
    "imagepolicy",
    "verify-image",
    "verifyimage",
    "kyverno-resource-validating",
    "kyverno-verify",
];

/// The first admission webhook that looks like an image-policy engine: `(kind/name, webhook)`.
pub fn image_policy_webhook(inv: &Inventory) -> Option<String> {
    for kind in [
        "ValidatingWebhookConfiguration",
        "MutatingWebhookConfiguration",
    ] {
        for cfg in inv.of_kind(kind) {
            for w in cfg.root.get("webhooks").map(|n| n.items()).unwrap_or(&[]) {
                let name = w.str_at("name").unwrap_or("").to_ascii_lowercase();
                let svc = w
                    .path(&["clientConfig", "service", "name"])
                    .and_then(|n| n.as_str())
                    .unwrap_or("")
                    .to_ascii_lowercase();
                if IMAGE_POLICY_ENGINES
                    .iter()
                    .any(|e| name.contains(e) || svc.contains(e))
                {
                    return Some(format!("{} {} (webhook {name})", kind, cfg.name));
                }
            }
        }
    }
    None
}

fn check(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    let webhook = image_policy_webhook(ctx.inventory);
    let has_cluster = ctx.inventory.clusters().next().is_some();
    check_each(ctx, out, Kind::ApiServer, |c, out| {
        if c.list("enable-admission-plugins")
            .contains(&"ImagePolicyWebhook")
            || webhook.is_some()
        {
            return;
        }
        let f = out.report(
            c.object,
            c.ptr("enable-admission-plugins"),
            format!(
                "{} does not enable ImagePolicyWebhook and no image-policy admission webhook \
                 is {}",
                c.describe(),
                if has_cluster {
                    "installed"
                } else {
                    "among the scanned objects"
                }
            ),
        );
        if !has_cluster {
            // Webhooks live in the cluster; a folder of static-pod manifests cannot show them.
            f.status(Status::Unknown);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::support::components::fixtures::*;
    use kubeward_core::Status;
    use kubeward_core::testing::run;

    #[test]
    fn plugin_or_webhook() {
        let h = run(&RULE, &kubeadm("kube-apiserver", &[]));
        assert_eq!(h[0].status, Status::Unknown);
        assert!(
            run(
                &RULE,
                &kubeadm(
                    "kube-apiserver",
                    &["--enable-admission-plugins=NodeRestriction,ImagePolicyWebhook"]
                )
            )
            .is_empty()
        );
        let with_webhook = format!(
            "{}---\napiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\nmetadata: {{name: policy-controller}}\nwebhooks:\n- name: policy.sigstore.dev\n  clientConfig: {{service: {{name: webhook, namespace: cosign-system}}}}\n",
            rke2("kube-apiserver", &[])
        );
        assert!(run(&RULE, &with_webhook).is_empty());
    }
}
