//! KW-NODE-105: streaming connections (exec, attach, port-forward) never time out.

use super::{
    Resolved, Setting, describe, go_duration_secs, is_kubelet_config, report, undetermined,
};
use crate::support::kubelet_cis::KubeletCheck;
use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Status, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-NODE-105",
        name: "kubelet-streaming-idle-timeout",
        layer: Layer::Nodes,
        severity: Severity::Low,
        title: "kubelet streaming connections never time out",
        why: "`streamingConnectionIdleTimeout: 0` keeps idle exec, attach and port-forward \
              sessions open forever: a forgotten session stays a live shell into the pod, and \
              open connections can exhaust the node.",
        fix: "Set `streamingConnectionIdleTimeout` to a bounded value (the default `4h0m0s`, or \
              shorter such as `5m`).",
        references: &[("cis", "4.2.5"), ("kubescape", "C-0176")],
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
    let s = Setting::of(o, &["streamingConnectionIdleTimeout"]);
    match s.resolved() {
        Resolved::Set(n) => {
            let text = n
                .as_str()
                .map(str::to_string)
                .or_else(|| n.as_i64().map(|i| i.to_string()))
                .unwrap_or_default();
            match go_duration_secs(&text) {
                Some(secs) if secs <= 0.0 => {
                    report(
                        out,
                        &s,
                        KubeletCheck::IdleTimeout,
                        format!(
                            "{} sets streamingConnectionIdleTimeout to `{text}`: idle streaming \
                             sessions are never closed{}",
                            describe(o),
                            s.from()
                        ),
                    );
                }
                Some(_) => {}
                None => {
                    report(
                        out,
                        &s,
                        KubeletCheck::IdleTimeout,
                        format!(
                            "{}: streamingConnectionIdleTimeout `{text}` is not a duration",
                            describe(o)
                        ),
                    )
                    .status(Status::Unknown);
                }
            }
        }
        // The default is 4h0m0s.
        Resolved::Default => {}
        Resolved::Undetermined(r) => undetermined(
            out,
            &s,
            KubeletCheck::IdleTimeout,
            "the streaming idle timeout",
            r,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::RULE;
    use kubeward_core::testing::run;

    #[test]
    fn file_flags_defaults_and_configz() {
        assert_eq!(
            run(&RULE, &file("streamingConnectionIdleTimeout: 0s\n")).len(),
            1
        );
        assert!(run(&RULE, &file("streamingConnectionIdleTimeout: 5m\n")).is_empty());
        assert!(run(&RULE, &file("")).is_empty());
        let f = run(
            &RULE,
            &node(
                "streamingConnectionIdleTimeout: \"0\"\n",
                &[(
                    "/streamingConnectionIdleTimeout",
                    "flag --streaming-connection-idle-timeout=0 (x)",
                )],
                Some(""),
            ),
        );
        assert!(f[0].message.contains("never closed"));
        assert_eq!(
            run(
                &RULE,
                &configz("streamingConnectionIdleTimeout: 0s\n", "v1.31.0")
            )
            .len(),
            1
        );
    }
}
