//! KW-CP-015: security admission webhooks that fail open.

use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets, ptr};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-CP-015",
        name: "webhook-fail-open",
        layer: Layer::ControlPlane,
        severity: Severity::High,
        title: "Security admission webhook fails open",
        why: "With `failurePolicy: Ignore`, a request is admitted whenever the webhook is down, \
              slow or unreachable. An attacker who can crash, starve or partition the policy \
              engine (or who simply waits for an upgrade) gets privileged pods, unsigned images \
              and RBAC changes past the policy.",
        fix: "Set `failurePolicy: Fail` on policy and security webhooks, run the engine with \
              several replicas and a PodDisruptionBudget, and exclude only the namespaces the \
              engine itself needs (kube-system, its own) with a namespaceSelector.",
        references: &[
            ("kubescape", "C-0281"),
            ("mitre", "T1562.001"),
            (
                "docs",
                "https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/#failure-policy",
            ),
        ],
        default_enabled: true,
    },
    check: Check::Object {
        targets: Targets::Kinds(&[
            "ValidatingWebhookConfiguration",
            "MutatingWebhookConfiguration",
        ]),
        run: check,
    },
};

/// Words that mark a webhook as a security control (policy engines, image verification, pod
/// security, secrets protection).
const SECURITY_MARKERS: &[&str] = &[
    "gatekeeper",
    "kyverno",
    "kubewarden",
    "opa",
    "policy",
    "security",
    "sigstore",
    "cosign",
    "connaisseur",
    "ratify",
    "portieris",
    "kritis",
    "falco",
    "neuvector",
    "twistlock",
    "prisma",
    "aqua",
    "stackrox",
    "sysdig",
    "psp",
    "pod-security",
    "image-verif",
    "verify-image",
];

/// Whether a webhook looks like a security control, and the word that says so.
pub fn security_marker(webhook: &kubeward_core::Node, config_name: &str) -> Option<&'static str> {
    let mut names = vec![
        config_name.to_ascii_lowercase(),
        webhook.str_at("name").unwrap_or("").to_ascii_lowercase(),
    ];
    if let Some(svc) = webhook.path(&["clientConfig", "service"]) {
        names.push(svc.str_at("name").unwrap_or("").to_ascii_lowercase());
        names.push(svc.str_at("namespace").unwrap_or("").to_ascii_lowercase());
    }
    SECURITY_MARKERS
        .iter()
        .copied()
        .find(|m| names.iter().any(|n| n.contains(m)))
}

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    let o = ctx.object;
    for (i, w) in o
        .root
        .get("webhooks")
        .map(|n| n.items())
        .unwrap_or(&[])
        .iter()
        .enumerate()
    {
        if w.str_at("failurePolicy") != Some("Ignore") {
            continue;
        }
        if let Some(marker) = security_marker(w, &o.name) {
            out.report(
                o,
                ptr!("/webhooks", i, "failurePolicy"),
                format!(
                    "webhook {} looks like a security control (\"{marker}\") but admits \
                     requests when it fails (failurePolicy: Ignore)",
                    w.str_at("name").unwrap_or("(unnamed)")
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use kubeward_core::testing::{pointers, run};

    #[test]
    fn fail_open() {
        let y = "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\nmetadata: {name: gatekeeper-validating-webhook-configuration}\nwebhooks:\n- name: validation.gatekeeper.sh\n  failurePolicy: Ignore\n- name: check-ignore-label.gatekeeper.sh\n  failurePolicy: Fail\n";
        assert_eq!(pointers(&run(&RULE, y)), vec!["/webhooks/0/failurePolicy"]);
        let y = "apiVersion: admissionregistration.k8s.io/v1\nkind: MutatingWebhookConfiguration\nmetadata: {name: istio-sidecar-injector}\nwebhooks:\n- name: sidecar-injector.istio.io\n  failurePolicy: Ignore\n";
        assert!(run(&RULE, y).is_empty());
    }
}
