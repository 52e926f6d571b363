//! KW-DAT-006: PersistentVolumes backed by a node path (hostPath).

use crate::support::containers::{canonical_host_path, sensitive_exposure};
use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-DAT-006",
        name: "host-path-persistent-volume",
        layer: Layer::Data,
        severity: Severity::High,
        title: "PersistentVolume is a directory of a node (hostPath)",
        why: "A hostPath PersistentVolume gives any pod that claims it a directory of whichever \
              node it lands on, without the pod spec containing a hostPath at all: Pod Security \
              admission and the hostPath checks do not see it, because the pod only names a \
              PersistentVolumeClaim. The data is not replicated or protected, follows no node \
              placement, and a path such as /, /etc or /var/lib/kubelet hands the claimant the \
              node. The severity is critical when the path is sensitive.",
        fix: "Use a real storage backend (a CSI driver, or `local` PersistentVolumes with node \
              affinity for node-local disks) and restrict who may create PersistentVolumes.",
        references: &[
            ("cis", "5.1.9"),
            ("mitre", "T1611"),
            (
                "docs",
                "https://kubernetes.io/docs/concepts/storage/volumes/#hostpath",
            ),
        ],
        default_enabled: true,
    },
    check: Check::Object {
        targets: Targets::Kinds(&["PersistentVolume"]),
        run: check,
    },
};

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    let o = ctx.object;
    if o.group() != "" {
        return;
    }
    let Some(hp) = o.root.path(&["spec", "hostPath"]) else {
        return;
    };
    let path = hp.str_at("path").unwrap_or("?");
    let exposure = canonical_host_path(path)
        .and_then(|c| sensitive_exposure(&c, &ctx.settings.extra_sensitive_host_paths));
    let claim = o
        .root
        .path(&["spec", "claimRef"])
        .map(|c| {
            format!(
                "; claimed by {}/{}",
                c.str_at("namespace").unwrap_or("?"),
                c.str_at("name").unwrap_or("?")
            )
        })
        .unwrap_or_default();
    let f = out.report(
        o,
        "/spec/hostPath",
        format!(
            "PersistentVolume {} is the node directory {path}{}{claim}",
            o.name,
            match &exposure {
                Some(e) => format!(", which exposes {}", e.hits[0].0),
                None => String::new(),
            }
        ),
    );
    if exposure.is_some() {
        f.severity(Severity::Critical);
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use kubeward_core::Severity;
    use kubeward_core::testing::{pointers, run};
    use serde_json::json;

    fn pv(spec: serde_json::Value) -> String {
        json!({"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "pv"}, "spec": spec})
            .to_string()
    }

    #[test]
    fn host_path_pvs() {
        let hits = run(
            &RULE,
            &pv(json!({"hostPath": {"path": "/mnt/data"},
            "claimRef": {"namespace": "team", "name": "data"}})),
        );
        assert_eq!(pointers(&hits), vec!["/spec/hostPath"]);
        assert_eq!(hits[0].severity, Severity::High);
        assert!(hits[0].message.contains("claimed by team/data"));
        let hits = run(
            &RULE,
            &pv(json!({"hostPath": {"path": "/var/lib/../lib/kubelet/"}})),
        );
        assert_eq!(hits[0].severity, Severity::Critical);
        assert!(run(&RULE, &pv(json!({"local": {"path": "/mnt/disks/ssd1"}}))).is_empty());
        assert!(
            run(
                &RULE,
                &pv(json!({"csi": {"driver": "ebs.csi.aws.com", "volumeHandle": "v"}}))
            )
            .is_empty()
        );
    }
}
