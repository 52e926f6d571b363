//! KW-NET-001: Ingresses that serve hosts without TLS.

use kubeward_core::{Check, Emitter, Layer, Node, ObjectCtx, Rule, RuleMeta, Severity, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-NET-001",
        name: "ingress-without-tls",
        layer: Layer::Network,
        severity: Severity::Medium,
        title: "Ingress serves a host without TLS",
        why: "An Ingress host that no `spec.tls` entry covers is served over plain HTTP from \
              outside the cluster: credentials, session cookies and personal data cross the \
              internet readable and modifiable by anyone on the path, and users can be \
              downgraded from HTTPS. Hosts are matched like certificates: `*.example.com` \
              covers `a.example.com` but not `a.b.example.com` or `example.com`; a TLS entry \
              without hosts covers every host (the controller's default certificate).",
        fix: "Add a `spec.tls` entry whose `hosts` list every rule's host, with a certificate \
              Secret (for example issued by cert-manager), and redirect HTTP to HTTPS in the \
              ingress controller.",
        references: &[
            (
                "nsa",
                "Kubernetes Hardening Guide: Network separation and hardening, TLS",
            ),
            ("checkov", "CKV_K8S_157"),
            ("mitre", "T1040"),
            (
                "docs",
                "https://kubernetes.io/docs/concepts/services-networking/ingress/#tls",
            ),
        ],
        default_enabled: true,
    },
    check: Check::Object {
        targets: Targets::Kinds(&["Ingress"]),
        run: check,
    },
};

/// Whether TLS host `pattern` covers `host` (one wildcard label at the front).
fn covers(pattern: &str, host: &str) -> bool {
    let (p, h) = (pattern.to_ascii_lowercase(), host.to_ascii_lowercase());
    if let Some(suffix) = p.strip_prefix("*.") {
        return h
            .strip_suffix(suffix)
            .and_then(|l| l.strip_suffix('.'))
            .is_some_and(|label| !label.is_empty() && !label.contains('.'));
    }
    p == h
}

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    let o = ctx.object;
    if !matches!(o.group(), "networking.k8s.io" | "extensions") {
        return;
    }
    let Some(spec) = o.root.get("spec") else {
        return;
    };
    let rules = spec.get("rules").map(Node::items).unwrap_or(&[]);
    let default_backend = spec.get("defaultBackend").or_else(|| spec.get("backend"));
    if rules.is_empty() && default_backend.is_none() {
        return;
    }
    let tls = spec.get("tls").map(Node::items).unwrap_or(&[]);
    let mut tls_hosts: Vec<&str> = Vec::new();
    let mut catch_all = false;
    for t in tls {
        let hosts: Vec<&str> = t
            .get("hosts")
            .map(Node::items)
            .unwrap_or(&[])
            .iter()
            .filter_map(Node::as_str)
            .collect();
        if hosts.is_empty() {
            catch_all = true;
        }
        tls_hosts.extend(hosts);
    }
    if tls.is_empty() {
        let hosts: Vec<&str> = rules.iter().filter_map(|r| r.str_at("host")).collect();
        let what = if hosts.is_empty() {
            "every host name".to_string()
        } else if hosts.len() < rules.len() || default_backend.is_some() {
            format!("{} and any other host name", hosts.join(", "))
        } else {
            hosts.join(", ")
        };
        let pointer = if spec.get("rules").is_some() {
            "/spec/rules"
        } else {
            "/spec"
        };
        out.report(
            o,
            pointer,
            format!(
                "Ingress {} has no spec.tls: it serves {what} over plain HTTP",
                o.name
            ),
        );
        return;
    }
    if catch_all {
        return;
    }
    for (i, r) in rules.iter().enumerate() {
        match r.str_at("host") {
            Some(h) => {
                if !tls_hosts.iter().any(|p| covers(p, h)) {
                    out.report(
                        o,
                        format!("/spec/rules/{i}/host"),
                        format!(
                            "host {h} is not in any spec.tls entry ({}): it is served over plain HTTP",
                            tls_hosts.join(", ")
                        ),
                    );
                }
            }
            None => {
                out.report(
                    o,
                    format!("/spec/rules/{i}"),
                    "a rule without host serves every host name, and the TLS entries name specific hosts: other names are served over plain HTTP",
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{RULE, covers};
    use kubeward_core::testing::{pointers, run};
    use serde_json::json;

    fn ingress(spec: serde_json::Value) -> String {
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
               "metadata": {"name": "i", "namespace": "team"}, "spec": spec})
        .to_string()
    }

    fn rule(host: Option<&str>) -> serde_json::Value {
        let mut r = json!({"http": {"paths": [{"path": "/", "pathType": "Prefix",
            "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}});
        if let Some(h) = host {
            r["host"] = json!(h);
        }
        r
    }

    #[test]
    fn wildcards_match_one_label() {
        assert!(covers("*.example.com", "a.example.com"));
        assert!(covers("*.Example.com", "A.example.COM"));
        assert!(!covers("*.example.com", "a.b.example.com"));
        assert!(!covers("*.example.com", "example.com"));
        assert!(!covers("*.example.com", "aexample.com"));
        assert!(covers("shop.example.com", "shop.example.com"));
    }

    #[test]
    fn no_tls_at_all() {
        let hits = run(
            &RULE,
            &ingress(json!({"rules": [rule(Some("shop.example.com"))]})),
        );
        assert_eq!(pointers(&hits), vec!["/spec/rules"]);
        assert!(
            hits[0]
                .message
                .contains("serves shop.example.com over plain HTTP")
        );
        let hits = run(
            &RULE,
            &ingress(
                json!({"defaultBackend": {"service": {"name": "web", "port": {"number": 80}}}}),
            ),
        );
        assert!(hits[0].message.contains("every host name"));
        // The old API group and field name.
        let y = json!({"apiVersion": "extensions/v1beta1", "kind": "Ingress",
            "metadata": {"name": "i"}, "spec": {"backend": {"serviceName": "web", "servicePort": 80}}})
        .to_string();
        assert_eq!(run(&RULE, &y).len(), 1);
    }

    #[test]
    fn partial_tls_names_the_uncovered_hosts() {
        let y = ingress(json!({
            "tls": [{"hosts": ["shop.example.com", "*.api.example.com"], "secretName": "t"}],
            "rules": [rule(Some("shop.example.com")), rule(Some("v1.api.example.com")),
                      rule(Some("admin.example.com")), rule(None)]
        }));
        let hits = run(&RULE, &y);
        let mut got = pointers(&hits);
        got.sort();
        assert_eq!(got, vec!["/spec/rules/2/host", "/spec/rules/3"]);
    }

    #[test]
    fn quiet_when_every_host_is_covered() {
        for spec in [
            json!({"tls": [{"hosts": ["shop.example.com"], "secretName": "t"}],
                   "rules": [rule(Some("shop.example.com"))]}),
            json!({"tls": [{"secretName": "t"}], "rules": [rule(Some("a.example.com")), rule(None)]}),
            json!({"rules": []}),
        ] {
            assert!(run(&RULE, &ingress(spec.clone())).is_empty(), "{spec}");
        }
        // Not an Ingress of the networking API (a CRD with the same kind name).
        let y =
            json!({"apiVersion": "example.com/v1", "kind": "Ingress", "metadata": {"name": "x"},
                       "spec": {"rules": [rule(Some("a"))]}})
            .to_string();
        assert!(run(&RULE, &y).is_empty());
    }
}
