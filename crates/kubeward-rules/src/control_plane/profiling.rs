//! KW-CP-010: profiling endpoints on control-plane components.

use crate::support::components::{Kind, check_each};
use kubeward_core::{Check, Emitter, InventoryCtx, Layer, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-CP-010",
        name: "control-plane-profiling",
        layer: Layer::ControlPlane,
        severity: Severity::Low,
        title: "Control-plane component serves profiling endpoints",
        why: "`/debug/pprof` (on by default) reveals internals of the API server, controller \
              manager and scheduler and lets callers trigger expensive CPU profiles, a cheap way \
              to degrade the control plane.",
        fix: "Start kube-apiserver, kube-controller-manager and kube-scheduler with \
              `--profiling=false`.",
        references: &[
            ("cis", "1.2.15"),
            ("cis", "1.3.2"),
            ("cis", "1.4.1"),
            ("kubescape", "C-0129"),
        ],
        default_enabled: true,
    },
    check: Check::Inventory(check),
};

fn check(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    for kind in [Kind::ApiServer, Kind::ControllerManager, Kind::Scheduler] {
        check_each(ctx, out, kind, |c, out| {
            if !c.is_false("profiling") {
                out.report(
                    c.object,
                    c.ptr("profiling"),
                    format!("{} does not set --profiling=false", c.describe()),
                );
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::support::components::fixtures::*;
    use kubeward_core::testing::run;

    #[test]
    fn profiling() {
        assert_eq!(run(&RULE, &kubeadm("kube-scheduler", &[])).len(), 1);
        assert!(
            run(
                &RULE,
                &rke2("kube-controller-manager", &["--profiling=false"])
            )
            .is_empty()
        );
        assert!(run(&RULE, &k3s(&[])).is_empty());
        assert_eq!(
            run(&RULE, &k3s(&["--kube-scheduler-arg=profiling=true"])).len(),
            1
        );
        assert!(run(&RULE, &kubeadm("etcd", &[])).is_empty());
    }
}
