//! KW-DAT-002: credentials stored in ConfigMaps.

use crate::support::secrets::{
    classify, config_lines, detect_format, is_credential_name, is_literal_secret, is_placeholder,
    is_reference,
};
use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-DAT-002",
        name: "credential-in-configmap",
        layer: Layer::Data,
        severity: Severity::High,
        title: "ConfigMap holds a credential",
        why: "ConfigMaps are not secret: RBAC commonly lets every workload and developer read \
              them, they are not encrypted at rest even where Secrets are, and they are printed \
              by `kubectl describe` and copied into logs and backups. A credential in a \
              ConfigMap, as a key of its own or as a line of a configuration file it holds \
              (application.properties, a YAML or .env file, a kubeconfig), is readable by all of \
              them. Detection is the same as for literal env values (formats, credential names \
              with literal values, high-entropy strings, PEM private keys with strict or sloppy \
              armour). A key named like a credential (`*_PASSWORD`, `*_TOKEN`, `*_API_KEY`, \
              `private_key`, `AWS_SECRET_ACCESS_KEY`, `AZURE_CLIENT_SECRET`, \
              `GOOGLE_APPLICATION_CREDENTIALS`, OCI key content, ...) is reported even when its \
              value does not look like a credential: medium for a value that is not one \
              (a flag, a short or multi-line text), low for a placeholder or reference \
              (`${VAR}`, `$(VAR)`, empty, `changeme`, `<...>`, a path or secret-store \
              reference), because the name invites the real value later. The value is never \
              printed.",
        fix: "Move the credential into a Secret (or an external store) and mount it as a file; \
              keep only non-secret settings in the ConfigMap, and rotate the exposed credential.",
        references: &[
            ("nsa", "Kubernetes Hardening Guide: Secrets"),
            ("kubescape", "C-0012"),
            ("mitre", "T1552.001"),
            ("owasp", "K03"),
        ],
        default_enabled: true,
    },
    check: Check::Object {
        targets: Targets::Kinds(&["ConfigMap"]),
        run: check,
    },
};

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    let o = ctx.object;
    if o.group() != "" {
        return;
    }
    let Some(data) = o.root.get("data") else {
        return;
    };
    for (key, v) in data.entries() {
        let Some(value) = v.as_str() else { continue };
        // A very large value is read on its first MiB only (see `secrets::MAX_SCAN`).
        let value = crate::support::secrets::scanned(value);
        let found = if value.contains('\n') {
            // A file: known formats anywhere, then credential-named settings line by line.
            detect_format(value).map(|d| (d, None)).or_else(|| {
                config_lines(value).find_map(|(line, k, v)| {
                    (is_credential_name(k) && is_literal_secret(v)).then(|| {
                        let d =
                            classify(k, v).expect("a credential name with a literal classifies");
                        (d, Some((line, k.to_string())))
                    })
                })
            })
        } else {
            classify(key, value).map(|d| (d, None))
        };
        let Some((d, at)) = found else {
            named_only(o, key, value, out);
            continue;
        };
        let msg = match at {
            Some((line, k)) => format!(
                "key `{key}`, line {line} of the value: `{k}` holds {} {}",
                d.what,
                d.redacted()
            ),
            None => format!("key `{key}` holds {} {}", d.what, d.redacted()),
        };
        let pointer = format!("/data/{}", kubeward_core::tree::escape_token(key));
        out.report(o, pointer, msg)
            .severity(d.severity)
            .redact_source();
    }
}

/// Credential names of cloud providers that the generic name rules do not catch.
const CLOUD_CREDENTIAL_NAMES: &[&str] = &[
    "AZURE_CLIENT_CERTIFICATE",
    "GCP_SA_KEY",
    "GCLOUD_SERVICE_KEY",
    "GOOGLE_CLOUD_KEYFILE_JSON",
    "OCI_CLI_KEY_CONTENT",
    "OCI_KEY_CONTENT",
];

fn named_like_credential(key: &str) -> bool {
    is_credential_name(key)
        || CLOUD_CREDENTIAL_NAMES.iter().any(|n| {
            n.len() == key.len()
                && n.bytes().zip(key.bytes()).all(|(a, b)| {
                    a == b.to_ascii_uppercase() || (a == b'_' && matches!(b, b'-' | b'.'))
                })
        })
}

/// A key named like a credential whose value was not detected as one.
fn named_only(o: &kubeward_core::Object, key: &str, value: &str, out: &mut Emitter<'_>) {
    if !named_like_credential(key) {
        return;
    }
    let t = value.trim();
    let path = t.starts_with('/') || t.starts_with("./") || t.starts_with("~/");
    let (what, severity) = if is_placeholder(t) || is_reference(t) || path {
        (
            "a placeholder or a reference, not a credential; a ConfigMap is still the wrong place for it, because the real value tends to follow the name",
            Severity::Low,
        )
    } else if is_literal_secret(t) {
        // A literal under a cloud credential name the generic rules do not know.
        (
            "a literal value: whatever it is, it is readable by everyone who can read ConfigMaps",
            Severity::High,
        )
    } else {
        (
            "a value that does not look like a credential, but anything stored under this name is readable by everyone who can read ConfigMaps",
            Severity::Medium,
        )
    };
    let pointer = format!("/data/{}", kubeward_core::tree::escape_token(key));
    out.report(
        o,
        pointer,
        format!("key `{key}` is named like a credential and holds {what}"),
    )
    .severity(severity)
    .redact_source();
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::support::containers::fixtures::{at, sorted};
    use kubeward_core::testing::{pointers, run};
    use serde_json::json;

    fn cm(data: serde_json::Value) -> String {
        json!({"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"name": "c", "namespace": "team"}, "data": data})
        .to_string()
    }

    #[test]
    fn keys_and_embedded_files() {
        let y = cm(json!({
            "LOG_LEVEL": "info",
            "DATABASE_URL": "postgres://shop:Sup3rS3cret@db.shop.svc:5432/shop",
            "api_token": "ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A",
            "application.properties": "server.port=8080\nspring.datasource.username=shop\nspring.datasource.password=Hunter2-Hunter2\n",
            "settings.yaml": "db:\n  host: db\n  passwordFile: /etc/db/pw\n",
            "ca.crt": "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n",
            "DATABASE_CREDENTIALS_FILE": "/etc/shop/db/password"
        }));
        let hits = run(&RULE, &y);
        assert_eq!(
            sorted(pointers(&hits)),
            sorted(vec![
                "/data/DATABASE_URL",
                "/data/api_token",
                "/data/application.properties"
            ])
        );
        let props = hits
            .iter()
            .find(|h| h.pointer.ends_with("properties"))
            .unwrap();
        assert!(
            props.message.contains(
                "line 3 of the value: `spring.datasource.password` holds a literal password"
            ),
            "{}",
            props.message
        );
        for h in &hits {
            for secret in ["Sup3rS3cret", "ghp_aB3d", "Hunter2-Hunter2"] {
                assert!(!h.message.contains(secret), "{}", h.message);
            }
        }
    }

    #[test]
    fn kubeconfig_in_a_configmap_and_quiet_cases() {
        let y = cm(
            json!({"config": "apiVersion: v1\nusers:\n- name: admin\n  user:\n    client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNSUlF\n"}),
        );
        assert_eq!(pointers(&run(&RULE, &y)), vec!["/data/config"]);
        let y = cm(
            json!({"DATABASE_HOST": "db.shop.svc", "DATABASE_PORT": "5432",
                          "SECRET_NAME": "db-credentials", "TOKEN_TTL": "3600"}),
        );
        assert!(run(&RULE, &y).is_empty());
        // Secrets are where credentials belong.
        let y = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
                       "stringData": {"password": "Hunter2-Hunter2"}})
        .to_string();
        assert!(run(&RULE, &y).is_empty());
    }

    #[test]
    fn credential_names_with_placeholders_and_other_values() {
        use kubeward_core::Severity;
        let y = cm(json!({
            "DB_PASSWORD": "${DB_PASSWORD}",
            "API_TOKEN": "$(TOKEN)",
            "SMTP_PASSWORD": "",
            "ADMIN_PASSWORD": "changeme",
            "STRIPE_API_KEY": "<your key here>",
            "AZURE_CLIENT_SECRET": "/var/run/secrets/azure/client-secret",
            "GOOGLE_APPLICATION_CREDENTIALS": "/var/secrets/google/key.json",
            "REFRESH_TOKEN": "no",
            "oci-cli-key-content": "abcdefgh1234",
            "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "private_key": "---BEGIN RSA PRIVATE KEY---\nMIIEowIBAAKCAQEA\n---END RSA PRIVATE KEY---\n",
            "LOG_LEVEL": "debug"
        }));
        let hits = run(&RULE, &y);
        let sev = |k: &str| at(&hits, &format!("/data/{k}")).severity;
        for k in [
            "DB_PASSWORD",
            "API_TOKEN",
            "SMTP_PASSWORD",
            "ADMIN_PASSWORD",
            "STRIPE_API_KEY",
            "AZURE_CLIENT_SECRET",
            "GOOGLE_APPLICATION_CREDENTIALS",
        ] {
            assert_eq!(sev(k), Severity::Low, "{k}");
            assert!(
                at(&hits, &format!("/data/{k}"))
                    .message
                    .contains("placeholder or a reference")
            );
        }
        assert_eq!(sev("REFRESH_TOKEN"), Severity::Medium);
        assert_eq!(sev("oci-cli-key-content"), Severity::High);
        assert!(sev("AWS_SECRET_ACCESS_KEY") >= Severity::High);
        assert_eq!(sev("private_key"), Severity::Critical);
        assert!(!hits.iter().any(|h| h.pointer == "/data/LOG_LEVEL"));
        for h in &hits {
            for v in [
                "wJalrXUtn",
                "abcdefgh1234",
                "changeme",
                "your key",
                "/var/secrets",
                "MIIEow",
            ] {
                assert!(!h.message.contains(v), "{}", h.message);
            }
        }
    }

    #[test]
    fn cloud_credential_files() {
        use kubeward_core::Severity;
        let sa = concat!(
            "{\n  \"type\": \"service_account\",\n  \"project_id\": \"shop\",\n",
            "  \"private_key\": \"-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\\n-----END PRIVATE KEY-----\\n\",\n",
            "  \"client_email\": \"app@shop.iam.gserviceaccount.com\"\n}\n"
        );
        let y = cm(json!({
            "GOOGLE_APPLICATION_CREDENTIALS": sa,
            "oci_api_key.pem": "----  BEGIN RSA PRIVATE KEY  ----\nMIIEpAIBAAKCAQEA\n----  END RSA PRIVATE KEY  ----\n",
            "credentials.json": "{\n  \"type\": \"service_account\",\n  \"private_key\": \"\"\n}\n"
        }));
        let hits = run(&RULE, &y);
        assert_eq!(
            at(&hits, "/data/GOOGLE_APPLICATION_CREDENTIALS").severity,
            Severity::Critical
        );
        assert_eq!(
            at(&hits, "/data/oci_api_key.pem").severity,
            Severity::Critical
        );
        // A credential file whose key was removed: still named like one.
        assert_eq!(
            at(&hits, "/data/credentials.json").severity,
            Severity::Medium
        );
        for h in &hits {
            assert!(!h.message.contains("MII"), "{}", h.message);
        }
    }
}
