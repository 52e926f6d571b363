//! KW-CTR-004: containers that keep the runtime's default NET_RAW capability.

use crate::support::containers::{PssCover, cap_list};
use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-CTR-004",
        name: "net-raw-not-dropped",
        layer: Layer::Containers,
        severity: Severity::Medium,
        title: "Container keeps the NET_RAW capability",
        why: "Docker and containerd give every container NET_RAW unless it is dropped. Raw \
              sockets let a compromised container forge packets on the pod network: ARP and DNS \
              spoofing of neighbours on the same node, and exploitation of kernel networking \
              bugs that need raw sockets. Few programs need it (ping uses ICMP sockets today). \
              The Pod Security restricted profile (v1.22+) already requires `drop: [ALL]`; this \
              rule stays quiet where that profile is active, and a container that adds NET_RAW \
              explicitly is reported by KW-CTR-005.",
        fix: "Add `securityContext.capabilities.drop: [\"ALL\"]` (and add back only what the \
              program needs), or at least `drop: [\"NET_RAW\"]`. Spell names without `CAP_`: \
              containerd prepends it itself, so `CAP_NET_RAW` is dropped on CRI-O only.",
        references: &[
            ("cis", "5.2.8"),
            (
                "nsa",
                "Kubernetes Hardening Guide: Pod security, least privilege",
            ),
            ("checkov", "CKV_K8S_28"),
            ("kubescape", "C-0046"),
            ("mitre", "T1557"),
        ],
        default_enabled: true,
    },
    check: Check::Object {
        targets: Targets::PodSpecs,
        run: check,
    },
};

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    let Some(pod) = ctx.pod else { return };
    // Capabilities are Linux-only; and under restricted (v1.22+) the PSS `capabilities_restricted`
    // control already reports every container that does not drop ALL.
    if pod.is_windows() || PssCover::of(ctx.settings).drop_all(pod) {
        return;
    }
    for c in pod.containers() {
        let sc = c.security_context();
        // A privileged container has every capability regardless (reported as privileged).
        if sc.and_then(|s| s.bool_at("privileged")) == Some(true) {
            continue;
        }
        let add = cap_list(&c, "add");
        let drop = cap_list(&c, "drop");
        // Added explicitly (or all of them): KW-CTR-005 reports it.
        if add
            .iter()
            .any(|(_, _, e)| e.is_all() || e.name == "NET_RAW")
        {
            continue;
        }
        if drop.iter().any(|(_, _, e)| e.is_all()) {
            continue;
        }
        match drop.iter().find(|(_, _, e)| e.name == "NET_RAW") {
            Some((_, _, e)) if !e.prefixed => continue,
            Some((i, raw, _)) => {
                out.report(
                    ctx.object,
                    c.ptr(&["securityContext", "capabilities", "drop", &i.to_string()]),
                    format!(
                        "{} drops `{raw}`: containerd prepends CAP_ itself and drops nothing, so NET_RAW is kept there (CRI-O drops it); write NET_RAW",
                        c.describe()
                    ),
                );
            }
            None => {
                let pointer = if sc.and_then(|s| s.get("capabilities")).is_some() {
                    c.ptr(&["securityContext", "capabilities"])
                } else {
                    c.ptr(&[])
                };
                let host_net = pod.spec.bool_at("hostNetwork") == Some(true);
                out.report(
                    ctx.object,
                    pointer,
                    format!(
                        "{} does not drop NET_RAW (or ALL), which the runtime grants by default{}",
                        c.describe(),
                        if host_net {
                            "; with hostNetwork it can forge packets on the node's own network"
                        } else {
                            ""
                        }
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::support::containers::fixtures::sorted;
    use crate::support::containers::fixtures::{all_kinds, pod_yaml};
    use kubeward_core::config::Settings;
    use kubeward_core::testing::{pointers, run, run_with};
    use serde_json::json;

    fn baseline() -> Settings {
        Settings {
            pod_security: "baseline".into(),
            ..Settings::default()
        }
    }

    fn caps(add: serde_json::Value, drop: serde_json::Value) -> serde_json::Value {
        json!({"capabilities": {"add": add, "drop": drop}})
    }

    #[test]
    fn drop_spellings_as_the_runtimes_read_them() {
        let y = pod_yaml(json!({"containers": [
            {"name": "a", "image": "x"},
            {"name": "b", "image": "x", "securityContext": caps(json!([]), json!(["ALL"]))},
            {"name": "c", "image": "x", "securityContext": caps(json!([]), json!(["all"]))},
            {"name": "d", "image": "x", "securityContext": caps(json!([]), json!(["net_raw"]))},
            {"name": "e", "image": "x", "securityContext": caps(json!([]), json!(["CAP_NET_RAW"]))},
            {"name": "f", "image": "x", "securityContext": caps(json!([]), json!(["CAP_ALL", "CHOWN"]))},
            {"name": "g", "image": "x", "securityContext": caps(json!(["NET_RAW"]), json!(["ALL"]))},
            {"name": "h", "image": "x", "securityContext": {"privileged": true}}
        ]}));
        let hits = run_with(&[&RULE], baseline(), &y);
        assert_eq!(
            sorted(pointers(&hits)),
            sorted(vec![
                "/spec/containers/0",
                "/spec/containers/4/securityContext/capabilities/drop/0",
                "/spec/containers/5/securityContext/capabilities",
            ])
        );
        assert!(hits[1].message.contains("CRI-O drops it"));
    }

    #[test]
    fn quiet_where_restricted_requires_drop_all() {
        let y = pod_yaml(json!({"containers": [{"name": "a", "image": "x"}]}));
        assert!(run(&RULE, &y).is_empty());
        for p in ["baseline:latest", "privileged", "restricted:v1.21"] {
            let s = Settings {
                pod_security: p.into(),
                ..Settings::default()
            };
            assert_eq!(run_with(&[&RULE], s, &y).len(), 1, "{p}");
        }
        // Windows: capabilities do not apply.
        let y = pod_yaml(
            json!({"os": {"name": "windows"}, "containers": [{"name": "a", "image": "x"}]}),
        );
        assert!(run_with(&[&RULE], baseline(), &y).is_empty());
    }

    #[test]
    fn every_kind_and_container_list() {
        let spec = json!({
            "hostNetwork": true,
            "initContainers": [{"name": "i", "image": "x"}],
            "containers": [{"name": "a", "image": "x", "securityContext": caps(json!([]), json!(["NET_RAW"]))}],
            "ephemeralContainers": [{"name": "e", "image": "x"}]
        });
        for (kind, y, p) in all_kinds(&spec, &json!({})) {
            let hits = run_with(&[&RULE], baseline(), &y);
            assert_eq!(
                sorted(pointers(&hits)),
                sorted(vec![
                    format!("{p}/initContainers/0"),
                    format!("{p}/ephemeralContainers/0")
                ]),
                "{kind}"
            );
            assert!(hits[0].message.contains("hostNetwork"));
        }
    }
}
