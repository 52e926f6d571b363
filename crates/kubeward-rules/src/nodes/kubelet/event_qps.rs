//! KW-NODE-109: the kubelet records events without a rate limit.

use super::{Resolved, Setting, describe, is_kubelet_config, report, undetermined};
use crate::support::kubelet_cis::KubeletCheck;
use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-NODE-109",
        name: "kubelet-event-qps",
        layer: Layer::Nodes,
        severity: Severity::Low,
        title: "kubelet records events without a rate limit",
        why: "`eventRecordQPS: 0` removes the limit on events the kubelet sends: a crash-looping \
              or hostile pod can flood the API server and etcd with events (a denial of \
              service), while a very low limit drops the events an investigation needs.",
        fix: "Set `eventRecordQPS` to a positive value that captures the node's events (the \
              default is 50) and size `eventBurst` to match.",
        references: &[("cis", "4.2.8"), ("kubescape", "C-0180")],
        default_enabled: true,
    },
    check: Check::Object {
        targets: Targets::Kinds(&["KubeletConfiguration"]),
        run: check,
    },
};

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    let o = ctx.object;
    if !is_kubelet_config(o) {
        return;
    }
    let s = Setting::of(o, &["eventRecordQPS"]);
    match s.resolved() {
        Resolved::Set(n) => {
            let qps = n
                .as_f64()
                .or_else(|| n.as_str().and_then(|v| v.trim().parse().ok()));
            if qps == Some(0.0) {
                report(
                    out,
                    &s,
                    KubeletCheck::EventQps,
                    format!(
                        "{} sets eventRecordQPS to 0: events are sent without a rate limit{}",
                        describe(o),
                        s.from()
                    ),
                );
            }
        }
        Resolved::Default => {}
        Resolved::Undetermined(r) => {
            undetermined(out, &s, KubeletCheck::EventQps, "eventRecordQPS", r)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::RULE;
    use kubeward_core::testing::run;

    #[test]
    fn file_flags_defaults_and_configz() {
        assert_eq!(run(&RULE, &file("eventRecordQPS: 0\n")).len(), 1);
        assert!(run(&RULE, &file("eventRecordQPS: 5\n")).is_empty());
        assert!(run(&RULE, &file("")).is_empty());
        let f = run(
            &RULE,
            &node(
                "eventRecordQPS: 0\n",
                &[("/eventRecordQPS", "flag --event-qps=0 (u)")],
                Some(""),
            ),
        );
        assert!(f[0].message.contains("--event-qps=0"));
        assert_eq!(
            run(&RULE, &configz("eventRecordQPS: 0\n", "v1.30.1")).len(),
            1
        );
    }
}
