//! Shared logic of KW-CTR-002 (runAsUser) and KW-CTR-003 (runAsGroup): the effective ID of
//! each container, inherited from the pod where the container does not set it, compared with a
//! configurable floor.

use super::containers::{Origin, PssCover, describe_all, host_users_false, inherited};
use kubeward_core::{Container, Emitter, ObjectCtx, Severity, Status};

pub(crate) struct IdField {
    /// `runAsUser` or `runAsGroup`.
    pub field: &'static str,
    /// `UID` or `GID`.
    pub noun: &'static str,
    /// The settings key, for messages.
    pub setting: &'static str,
    /// Severity when the effective ID is 0.
    pub zero_severity: Severity,
    /// Whether the active PSS profile reports an ID of 0 itself (runAsUser only).
    pub pss_reports_zero: bool,
}

pub(crate) fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>, f: &IdField, floor: i64) {
    let Some(pod) = ctx.pod else { return };
    // Windows pods have no Linux IDs; with `hostUsers: false` the pod's IDs are mapped to a
    // range of host IDs that no host account or other pod uses.
    if pod.is_windows() || host_users_false(pod) {
        return;
    }
    let pss_zero = f.pss_reports_zero && PssCover::of(ctx.settings).run_as_user_zero(pod);
    let mut inheriting: Vec<Container<'_>> = Vec::new();
    let mut unset: Vec<Container<'_>> = Vec::new();
    for c in pod.containers() {
        match inherited(pod, &c, f.field) {
            None => unset.push(c),
            Some(e) if e.origin == Origin::Pod => inheriting.push(c),
            // At or above the floor: nothing to say (and nothing to format).
            Some(e) if e.node.as_i64().is_some_and(|i| i >= floor) => {}
            Some(e) => {
                judge(
                    ctx,
                    out,
                    f,
                    floor,
                    pss_zero,
                    e.node,
                    &e.pointer(pod, &c, f.field),
                    &c.describe(),
                    false,
                );
            }
        }
    }
    if !inheriting.is_empty() {
        let sc = pod.security_context().and_then(|sc| sc.get(f.field));
        if let Some(node) = sc.filter(|n| n.as_i64().is_none_or(|i| i < floor)) {
            judge(
                ctx,
                out,
                f,
                floor,
                pss_zero,
                node,
                &pod.ptr(&["securityContext", f.field]),
                &describe_all(&inheriting),
                true,
            );
        }
    }
    // With neither runAsUser nor runAsGroup, the user finding (KW-CTR-002) already says that
    // the image decides the identity; the group finding speaks only where the user is set.
    if f.field == "runAsGroup" {
        unset.retain(|c| inherited(pod, c, "runAsUser").is_some());
    }
    if !unset.is_empty() {
        let pointer = if pod.security_context().is_some() {
            pod.ptr(&["securityContext"])
        } else {
            pod.ptr(&[])
        };
        out.report(
            ctx.object,
            pointer,
            format!(
                "{} set{} no {} and the pod sets none: {} run{} as the image's {}, which the manifest does not show; set {} ≥ {floor}",
                describe_all(&unset),
                if unset.len() == 1 { "s" } else { "" },
                f.field,
                if unset.len() == 1 { "it" } else { "they" },
                if unset.len() == 1 { "s" } else { "" },
                if f.field != "runAsUser" {
                    "user's primary group (or 0)"
                } else if unset.iter().any(|c| inherited(pod, c, "runAsGroup").is_none()) {
                    "USER and that user's primary group"
                } else {
                    "USER"
                },
                f.field,
            ),
        )
        .status(Status::Unknown);
    }
}

#[allow(clippy::too_many_arguments)]
fn judge(
    ctx: &ObjectCtx<'_>,
    out: &mut Emitter<'_>,
    f: &IdField,
    floor: i64,
    pss_zero: bool,
    node: &kubeward_core::Node,
    pointer: &str,
    who: &str,
    from_pod: bool,
) {
    let whence = if from_pod {
        " (inherited from the pod's securityContext)"
    } else {
        ""
    };
    let Some(id) = node.as_i64().filter(|i| *i >= 0) else {
        out.report(
            ctx.object,
            pointer,
            format!(
                "{who}: {} {node} is not a valid ID; the API server rejects it",
                f.field
            ),
        )
        .status(Status::Unknown);
        return;
    };
    if id >= floor {
        return;
    }
    if id == 0 {
        if pss_zero {
            // The Pod Security `runAsUser` control reports this field already.
            return;
        }
        out.report(
            ctx.object,
            pointer,
            format!(
                "{who} run{} with {} 0 (root){whence}; the floor is {floor} ({})",
                if who.contains(" and ") { "" } else { "s" },
                f.noun,
                f.setting
            ),
        )
        .severity(f.zero_severity);
        return;
    }
    out.report(
        ctx.object,
        pointer,
        format!(
            "{who} run{} with {} {id}{whence}, below the floor of {floor} ({}): it may coincide with an account on the node",
            if who.contains(" and ") { "" } else { "s" },
            f.noun,
            f.setting
        ),
    );
}
