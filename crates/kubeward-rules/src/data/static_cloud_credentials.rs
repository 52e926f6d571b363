//! KW-DAT-102: static cloud-provider keys kept in Secrets.

use crate::support::secret_values::{is_secret, values};
use crate::support::secrets::detect_format;
use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-DAT-102",
        name: "static-cloud-credentials-in-secret",
        layer: Layer::Data,
        severity: Severity::High,
        title: "Secret holds a static cloud-provider key",
        why: "A long-term AWS access key, a Google Cloud service-account key file or an Azure \
              client secret in a Secret is a credential for the cloud account itself: it does \
              not expire, works from anywhere, and every subject that can read the Secret (and \
              every backup of etcd) can use it. Cloud credentials are the usual next step from a \
              compromised pod to the rest of the account. The key is never printed.",
        fix: "Use the provider's workload identity instead of a key: IAM Roles for Service \
              Accounts or EKS Pod Identity, GKE Workload Identity Federation, Azure Workload \
              Identity. Then delete the Secret and deactivate the key.",
        references: &[
            ("nsa", "Kubernetes Hardening Guide: Secrets"),
            ("mitre", "T1552.001"),
            ("mitre", "T1078.004"),
            ("owasp", "K08"),
        ],
        default_enabled: true,
    },
    check: Check::Object {
        targets: Targets::Kinds(&["Secret"]),
        run: check,
    },
};

/// Key names that hold the secret half of a cloud key pair.
const SECRET_KEY_NAMES: &[(&str, &str)] = &[
    ("aws_secret_access_key", "an AWS secret access key"),
    ("awssecretaccesskey", "an AWS secret access key"),
    ("secretaccesskey", "an AWS secret access key"),
    ("azure_client_secret", "an Azure client secret"),
    ("azureclientsecret", "an Azure client secret"),
    ("clientsecret", "an Azure client secret"),
    ("aadclientsecret", "an Azure client secret"),
];

fn squash(key: &str) -> String {
    key.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect::<String>()
        .to_ascii_lowercase()
}

/// What cloud credential `text` (the value of `key`) is, if any.
fn cloud_key(key: &str, text: &str) -> Option<&'static str> {
    if text.contains("\"service_account\"") && text.contains("\"private_key\"") {
        return Some("a Google Cloud service-account key file");
    }
    if let Some(d) = detect_format(text) {
        if d.public_prefix == Some("AKIA") {
            return Some("a long-term AWS access key ID");
        }
    }
    // `credentials` files of the AWS CLI.
    if text.contains("aws_secret_access_key") {
        return Some("an AWS credentials file with a secret access key");
    }
    if text.contains("\"aadClientSecret\"") && !text.contains("\"aadClientSecret\": \"\"") {
        return Some("an Azure cloud-provider configuration with a client secret");
    }
    let k = squash(key);
    let trimmed = text.trim();
    if !trimmed.is_empty() && !crate::support::secrets::is_placeholder(trimmed) {
        return SECRET_KEY_NAMES
            .iter()
            .find(|(n, _)| k == *n || k.replace('_', "") == n.replace('_', ""))
            .map(|(_, what)| *what);
    }
    None
}

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    let o = ctx.object;
    if !is_secret(o) {
        return;
    }
    for v in values(o) {
        let Some(text) = &v.text else { continue };
        if let Some(what) = cloud_key(v.key, text) {
            out.report(
                o,
                v.pointer,
                format!(
                    "key `{}` of Secret {} holds {what}; use workload identity instead of a static key",
                    v.key, o.name
                ),
            )
            .redact_source();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::support::secret_values::fixtures::secret;
    use kubeward_core::testing::{pointers, run};

    #[test]
    fn cloud_keys_in_data_and_string_data() {
        let gcp = "{\n  \"type\": \"service_account\",\n  \"project_id\": \"p\",\n  \"private_key\": \"-----BEGIN PRIVATE KEY-----\\nMII...\\n-----END PRIVATE KEY-----\\n\"\n}";
        let y = secret(
            None,
            &[
                ("key.json", gcp),
                ("AWS_ACCESS_KEY_ID", "AKIA2E0A8F3B244C9986"),
                ("username", "shop"),
            ],
            &[
                (
                    "AWS_SECRET_ACCESS_KEY",
                    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzzzzzzzzz",
                ),
                ("AZURE_CLIENT_SECRET", "changeme"),
                (
                    "credentials",
                    "[default]\naws_access_key_id = x\naws_secret_access_key = y\n",
                ),
            ],
        );
        let hits = run(&RULE, &y);
        assert_eq!(
            pointers(&hits),
            vec![
                "/data/key.json",
                "/data/AWS_ACCESS_KEY_ID",
                "/stringData/AWS_SECRET_ACCESS_KEY",
                "/stringData/credentials",
            ]
        );
        assert!(
            hits[0]
                .message
                .contains("Google Cloud service-account key file")
        );
        assert!(hits[1].message.contains("long-term AWS access key ID"));
        // The value is never in the message.
        for h in &hits {
            assert!(
                !h.message.contains("AKIA2E0A") && !h.message.contains("wJalr"),
                "{}",
                h.message
            );
        }
    }

    #[test]
    fn temporary_keys_placeholders_and_other_secrets_are_quiet() {
        let y = secret(
            None,
            &[
                ("AWS_ACCESS_KEY_ID", "ASIA2E0A8F3B244C9986"),
                ("password", "Hunter2-Hunter2"),
            ],
            &[("AZURE_CLIENT_SECRET", "${AZURE_CLIENT_SECRET}")],
        );
        assert!(run(&RULE, &y).is_empty());
    }
}
