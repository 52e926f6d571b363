//! KW-CTR-007: containers that mount sensitive parts of the node's filesystem.

use crate::support::containers::{host_path_mounts, sensitive_exposure, sockets_exposed};
use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-CTR-007",
        name: "sensitive-host-path",
        layer: Layer::Containers,
        severity: Severity::High,
        title: "Container mounts a sensitive path of the node",
        why: "Some node paths are credentials or control points: /etc/kubernetes holds the cluster \
              PKI and admin kubeconfigs, /var/lib/kubelet every pod's Secrets and tokens, /proc \
              and /sys the node's processes and kernel settings, /root and /home SSH keys, /etc \
              the node's users, cron and services, /var/log every pod's logs. Mounting one of \
              them, a folder inside one (for the folders whose whole content is sensitive), or a \
              parent that contains one (/, /var, /etc) hands it to anyone who controls the \
              container, even read-only. Paths are compared as the node resolves them (`..`, \
              repeated or trailing slashes, /var/run = /run, subPath appended). Runtime sockets \
              are reported by KW-CTR-006; writable mounts also by KW-CTR-008. \
              `settings.extra_sensitive_host_paths` adds paths.",
        fix: "Mount only the narrowest path the workload needs (for example one log folder, not \
              /var/log), read-only, or replace the hostPath with a ConfigMap, Secret, projected \
              token or PersistentVolumeClaim. Node agents that need such access belong in a \
              dedicated namespace that only administrators can deploy to.",
        references: &[
            ("cis", "5.2.12"),
            (
                "nsa",
                "Kubernetes Hardening Guide: Pod security, host path volumes",
            ),
            ("mitre", "T1611"),
            ("mitre", "T1552.001"),
            ("checkov", "CKV_K8S_27"),
            ("kubescape", "C-0048"),
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
    for m in host_path_mounts(pod) {
        let Some(canon) = m.canonical.as_deref() else {
            continue;
        };
        if !sockets_exposed(&m).is_empty() {
            continue;
        }
        let Some(exp) = sensitive_exposure(canon, &ctx.settings.extra_sensitive_host_paths) else {
            continue;
        };
        let what = if canon == "/" {
            "the node's whole filesystem".to_string()
        } else {
            let mut parts: Vec<String> = exp
                .hits
                .iter()
                .take(3)
                .map(|(p, w)| {
                    if p == canon {
                        format!("{p}: {w}")
                    } else if canon.starts_with(p.as_str()) {
                        format!("part of {p}: {w}")
                    } else {
                        format!("{p} ({w})")
                    }
                })
                .collect();
            if exp.hits.len() > 3 {
                parts.push(format!("{} more", exp.hits.len() - 3));
            }
            parts.join("; ")
        };
        let written = m.written.trim_end_matches('/');
        let written = if written.is_empty() { "/" } else { written };
        let resolved = if canon != written || m.written.contains("//") {
            format!(", which the node resolves to {canon}")
        } else {
            String::new()
        };
        out.report(
            ctx.object,
            m.mount_ptr(&[]),
            format!(
                "{} mounts {}{resolved}{}: it exposes {what}",
                m.container.describe(),
                m.describe(),
                if m.read_only {
                    " read-only"
                } else {
                    " writable"
                },
            ),
        )
        .severity(exp.severity)
        .related(ctx.object.id, m.volume_ptr(pod), "the hostPath volume");
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::support::containers::fixtures::sorted;
    use crate::support::containers::fixtures::{all_kinds, host_mount, pod_yaml};
    use kubeward_core::Severity;
    use kubeward_core::config::Settings;
    use kubeward_core::testing::{pointers, run, run_with};
    use serde_json::json;

    fn sev(path: &str) -> Option<Severity> {
        let hits = run(&RULE, &pod_yaml(host_mount(path, None)));
        assert!(hits.len() <= 1);
        hits.first().map(|h| h.severity)
    }

    #[test]
    fn sensitive_paths_parents_subtrees_and_tricks() {
        assert_eq!(sev("/"), Some(Severity::Critical));
        assert_eq!(sev("//"), Some(Severity::Critical));
        assert_eq!(sev("/etc"), Some(Severity::Critical)); // holds /etc/kubernetes
        assert_eq!(sev("/etc/"), Some(Severity::Critical));
        assert_eq!(sev("/etc/kubernetes/pki"), Some(Severity::Critical));
        assert_eq!(sev("/var/lib/kubelet/pods"), Some(Severity::Critical));
        assert_eq!(sev("/var"), Some(Severity::Critical)); // holds /var/lib/kubelet
        assert_eq!(sev("/var/lib"), Some(Severity::Critical));
        assert_eq!(sev("/proc"), Some(Severity::High));
        assert_eq!(sev("/sys/fs/cgroup"), Some(Severity::High));
        assert_eq!(sev("/root/.ssh"), Some(Severity::High));
        assert_eq!(sev("/home"), Some(Severity::High));
        assert_eq!(sev("/var/log"), Some(Severity::Medium));
        assert_eq!(sev("/data/../etc/kubernetes"), Some(Severity::Critical));
        assert_eq!(sev("/tmp/../../root"), Some(Severity::High));
        // Narrow, harmless children of broad folders.
        assert_eq!(sev("/etc/localtime"), None);
        assert_eq!(sev("/etc/ssl/certs"), None);
        assert_eq!(sev("/data/app"), None);
        assert_eq!(sev("/var/lib/app-data"), None);
        // Runtime sockets are KW-CTR-006's.
        assert_eq!(sev("/var/run"), None);
        assert_eq!(sev("/var/run/docker.sock"), None);
    }

    #[test]
    fn sub_path_and_message() {
        // A harmless volume path narrowed to a sensitive one, and the other way round.
        let hits = run(
            &RULE,
            &pod_yaml(host_mount("/var/lib", Some("kubelet/pki"))),
        );
        assert_eq!(hits[0].severity, Severity::Critical);
        assert!(hits[0].message.contains("node path /var/lib/kubelet/pki"));
        assert!(hits[0].message.contains("read-only"));
        assert!(run(&RULE, &pod_yaml(host_mount("/etc", Some("localtime")))).is_empty());
        let hits = run(
            &RULE,
            &pod_yaml(host_mount("/var/log/../lib/kubelet", None)),
        );
        assert!(
            hits[0]
                .message
                .contains("which the node resolves to /var/lib/kubelet"),
            "{}",
            hits[0].message
        );
        let hits = run(&RULE, &pod_yaml(host_mount("/", None)));
        assert!(hits[0].message.contains("whole filesystem"));
    }

    #[test]
    fn extra_paths_from_settings() {
        let s = Settings {
            extra_sensitive_host_paths: vec!["/srv/vault".into()],
            ..Settings::default()
        };
        let y = pod_yaml(host_mount("/srv/vault/data", None));
        assert!(run(&RULE, &y).is_empty());
        assert_eq!(run_with(&[&RULE], s.clone(), &y).len(), 1);
        assert_eq!(
            run_with(&[&RULE], s, &pod_yaml(host_mount("/srv", None))).len(),
            1
        );
    }

    #[test]
    fn every_kind_and_container_list() {
        let mount = json!([{"name": "etc", "mountPath": "/host-etc", "readOnly": true}]);
        let spec = json!({
            "initContainers": [{"name": "i", "image": "x", "volumeMounts": mount}],
            "containers": [{"name": "a", "image": "x"}],
            "ephemeralContainers": [{"name": "e", "image": "x", "volumeMounts": mount}],
            "volumes": [{"name": "etc", "hostPath": {"path": "/etc"}}]
        });
        for (kind, y, p) in all_kinds(&spec, &json!({})) {
            assert_eq!(
                sorted(pointers(&run(&RULE, &y))),
                sorted(vec![
                    format!("{p}/initContainers/0/volumeMounts/0"),
                    format!("{p}/ephemeralContainers/0/volumeMounts/0"),
                ]),
                "{kind}"
            );
        }
    }
}
