//! Capabilities over credentials: KW-RBAC-004 (read Secrets), KW-RBAC-014 (mint tokens),
//! KW-RBAC-015 (write Secrets).

use super::GOOD_PRACTICES;
use super::common::emit_capability;
use crate::rbac::analysis::Cap;
use kubeward_core::{Check, Layer, Rule, RuleMeta, Severity};

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
