//! KW-DAT-101: long-lived service-account token Secrets.

use crate::support::secret_values::{is_secret, secret_type};
use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-DAT-101",
        name: "legacy-service-account-token-secret",
        layer: Layer::Data,
        severity: Severity::Medium,
        title: "Secret holds a long-lived service-account token",
        why: "A Secret of type kubernetes.io/service-account-token is filled by the token \
              controller with a token that never expires and is not bound to a pod: whoever \
              reads the Secret once (a backup, a `get secrets` grant, a leaked manifest) can act \
              as the ServiceAccount until the Secret is deleted. Pods get short-lived, audience- \
              and pod-bound tokens through the TokenRequest API since Kubernetes 1.22, and \
              Kubernetes stopped creating these Secrets in 1.24 and cleans unused ones up from \
              1.29.",
        fix: "Delete the Secret and have the consumer request a token when it needs one \
              (`kubectl create token SA --duration=1h`, a projected `serviceAccountToken` volume, \
              or the TokenRequest API). Where a non-expiring credential is truly needed outside \
              the cluster, prefer a workload identity federation.",
        references: &[
            ("cis", "5.1.6"),
            ("mitre", "T1528"),
            (
                "docs",
                "https://kubernetes.io/docs/concepts/security/service-accounts/#get-a-token",
            ),
        ],
        default_enabled: true,
    },
    check: Check::Object {
        targets: Targets::Kinds(&["Secret"]),
        run: check,
    },
};

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    let o = ctx.object;
    if !is_secret(o) {
        return;
    }
    // A cluster read lists Secrets as metadata only (no `type`): the token controller's
    // annotations tell a token Secret there.
    let annotated = o
        .annotations()
        .is_some_and(|a| a.get("kubernetes.io/service-account.uid").is_some());
    let typed = secret_type(o) == "kubernetes.io/service-account-token";
    let listed_token = annotated && o.root.get("type").is_none();
    if !(typed || listed_token) {
        return;
    }
    let pointer = if typed {
        "/type"
    } else {
        "/metadata/annotations"
    };
    let sa = o
        .annotations()
        .and_then(|a| a.str_at("kubernetes.io/service-account.name"))
        .unwrap_or("(no kubernetes.io/service-account.name annotation)");
    out.report(
        o,
        pointer,
        format!(
            "Secret {} holds a non-expiring token of ServiceAccount {sa}, valid until the Secret is deleted",
            o.name
        ),
    )
    .redact_source();
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::support::secret_values::fixtures::secret;
    use kubeward_core::testing::{pointers, run};

    #[test]
    fn fires_on_token_secrets_only() {
        let y = secret(Some("kubernetes.io/service-account-token"), &[], &[]).replace(
            "namespace: shop}",
            "namespace: shop, annotations: {kubernetes.io/service-account.name: ci}}",
        );
        let hits = run(&RULE, &y);
        assert_eq!(pointers(&hits), vec!["/type"]);
        assert!(
            hits[0].message.contains("ServiceAccount ci"),
            "{}",
            hits[0].message
        );
        assert!(run(&RULE, &secret(Some("Opaque"), &[("a", "b")], &[])).is_empty());
        assert!(run(&RULE, &secret(None, &[], &[])).is_empty());
        // Metadata only (as a cluster read lists Secrets): the annotations tell.
        let meta_only = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: t\n  namespace: shop\n  annotations: {kubernetes.io/service-account.name: ci, kubernetes.io/service-account.uid: 1234}\n";
        assert_eq!(
            pointers(&run(&RULE, meta_only)),
            vec!["/metadata/annotations"]
        );
        // An Opaque Secret that copies the annotations is not a token Secret.
        let opaque = format!("{meta_only}type: Opaque\n");
        assert!(run(&RULE, &opaque).is_empty());
        // A custom resource called Secret is not one.
        let crd = secret(Some("kubernetes.io/service-account-token"), &[], &[])
            .replace("apiVersion: v1", "apiVersion: example.com/v1");
        assert!(run(&RULE, &crd).is_empty());
    }
}
