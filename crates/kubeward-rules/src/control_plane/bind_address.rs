//! KW-CP-014: controller manager and scheduler listen beyond localhost.

use crate::support::components::{Kind, check_each};
use kubeward_core::{Check, Emitter, InventoryCtx, Layer, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-CP-014",
        name: "control-plane-bind-address",
        layer: Layer::ControlPlane,
        severity: Severity::Medium,
        title: "Controller manager or scheduler listens on every interface",
        why: "kube-controller-manager (10257) and kube-scheduler (10259) serve health, metrics \
              and debug endpoints. Bound to 0.0.0.0 (the default) they are reachable from pods \
              and the network, which leaks internals and widens the attack surface of \
              components that hold powerful credentials.",
        fix: "Start both with `--bind-address=127.0.0.1` (kubeadm's default manifests do).",
        references: &[
            ("cis", "1.3.7"),
            ("cis", "1.4.2"),
            ("kubescape", "C-0150"),
            ("kubescape", "C-0152"),
        ],
        default_enabled: true,
    },
    check: Check::Inventory(check),
};

fn loopback(addr: &str) -> bool {
    let a = addr.trim().trim_start_matches('[').trim_end_matches(']');
    a == "localhost" || a == "::1" || a.starts_with("127.")
}

fn check(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    for kind in [Kind::ControllerManager, Kind::Scheduler] {
        check_each(ctx, out, kind, |c, out| match c.value("bind-address") {
            Some(a) if loopback(a) => {}
            Some(a) => {
                out.report(
                    c.object,
                    c.ptr("bind-address"),
                    format!("{} listens on {a}", c.describe()),
                );
            }
            None => {
                out.report(
                    c.object,
                    c.ptr("bind-address"),
                    format!(
                        "{} does not set --bind-address (the default is 0.0.0.0)",
                        c.describe()
                    ),
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
    fn bind() {
        assert!(
            run(
                &RULE,
                &kubeadm("kube-scheduler", &["--bind-address=127.0.0.1"])
            )
            .is_empty()
        );
        assert_eq!(
            run(&RULE, &kubeadm("kube-controller-manager", &[])).len(),
            1
        );
        assert_eq!(
            run(&RULE, &rke2("kube-scheduler", &["--bind-address=0.0.0.0"])).len(),
            1
        );
        assert!(run(&RULE, &k3s(&[])).is_empty());
        assert_eq!(
            run(
                &RULE,
                &k3s(&["--kube-controller-manager-arg=bind-address=0.0.0.0"])
            )
            .len(),
            1
        );
    }
}
