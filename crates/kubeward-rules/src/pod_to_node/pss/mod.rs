//! The Pod Security Standards engine, with the structure of the upstream Pod Security admission
//! plugin.
//!
//! Each of the 19 upstream checks is a [`PssCheck`]: its upstream ID, the level that introduces
//! it, and a list of [`Version`]ed implementations. A profile `LEVEL:v1.N` runs, for every check
//! at or below `LEVEL`, the newest implementation whose minimum version is at most `v1.N`; a check
//! with no such implementation does not apply. At the restricted level some restricted checks
//! *override* their baseline twin (from the version that says so), which then does not run.
//!
//! Every check is also a kubeward rule (one rule per check, so each can be disabled or
//! suppressed on its own). The rule runs the check at the profile from the settings
//! (`--pod-security`, `settings.pod_security`) and turns each [`Violation`] into a finding that
//! points at the exact field and carries `references.pss` = the upstream check ID.
//!
//! Implementations read the pod exactly as the API server's typed decoding would: an explicit
//! `null` is absent, and "containers" means init containers, containers and ephemeral
//! containers. A field of the wrong type (a string where a boolean belongs) makes the object
//! invalid for the API server; the check cannot decide what the pod would run with and says so
//! with an `unknown` finding at that field instead of guessing.

pub mod labels;

use kubeward_core::config::{PSS_LATEST_MINOR, PssLevel, PssProfile};
use kubeward_core::{Container, Emitter, Node, ObjectCtx, PodSpec, Rule, Severity, Status};
use std::sync::OnceLock;

/// A versioned implementation of a check.
pub struct Version {
    /// The first minor version (`v1.<since>`) that uses this implementation.
    pub since: u32,
    pub check: fn(&PodSpec<'_>, &mut Sink),
    /// Upstream IDs of the checks this one replaces when it is active.
    pub overrides: &'static [&'static str],
}

/// One upstream Pod Security check.
pub struct PssCheck {
    /// The upstream check ID, spelled as upstream (`capabilities_restricted`).
    pub id: &'static str,
    /// Baseline or restricted.
    pub level: PssLevel,
    /// Implementations in increasing `since` order.
    pub versions: &'static [Version],
    /// The kubeward rule that reports this check.
    pub rule: &'static Rule,
}

/// One place where a check fails (or cannot decide).
#[derive(Clone, Debug)]
pub struct Violation {
    /// The upstream check ID.
    pub check: &'static str,
    /// JSON pointer of the offending field, relative to the object root. For a field that must
    /// be set and is not, the pointer names the missing field (the report shows its nearest
    /// written ancestor).
    pub pointer: String,
    pub message: String,
    pub status: Status,
    /// A severity other than the rule's default, when this place is worse (or milder).
    pub severity: Option<Severity>,
}

/// Collects the violations of one check.
pub struct Sink {
    check: &'static str,
    pub out: Vec<Violation>,
}

/// Marker: the field was of the wrong type and has been reported as `unknown`.
#[derive(Debug)]
pub struct Invalid;

impl Sink {
    pub fn new(check: &'static str) -> Self {
        Sink {
            check,
            out: Vec::new(),
        }
    }

    /// Records a failure.
    pub fn fail(&mut self, pointer: String, message: String) -> &mut Violation {
        self.out.push(Violation {
            check: self.check,
            pointer,
            message,
            status: Status::Fail,
            severity: None,
        });
        self.out.last_mut().expect("just pushed")
    }

    fn invalid(&mut self, pointer: String, key: &str, node: &Node, expected: &str) -> Invalid {
        self.out.push(Violation {
            check: self.check,
            pointer,
            message: format!(
                "`{key}` is a {}, not a {expected}: the API server would reject this object, so \
                 the {} check cannot tell what the pod would run with",
                node.type_name(),
                self.check
            ),
            status: Status::Unknown,
            severity: None,
        });
        Invalid
    }

    /// A mapping field: `Ok(None)` when absent (or `null`), `Err` when of another type.
    pub fn map<'n>(
        &mut self,
        parent: Option<&'n Node>,
        key: &str,
        ptr: impl FnOnce() -> String,
    ) -> Result<Option<&'n Node>, Invalid> {
        match parent.and_then(|p| p.get(key)) {
            None => Ok(None),
            Some(n) if n.as_map().is_some() => Ok(Some(n)),
            Some(n) => Err(self.invalid(ptr(), key, n, "mapping")),
        }
    }

    /// A sequence field; absent reads as empty.
    pub fn seq<'n>(
        &mut self,
        parent: Option<&'n Node>,
        key: &str,
        ptr: impl FnOnce() -> String,
    ) -> Result<&'n [Node], Invalid> {
        match parent.and_then(|p| p.get(key)) {
            None => Ok(&[]),
            Some(n) => match n.as_seq() {
                Some(s) => Ok(s),
                None => Err(self.invalid(ptr(), key, n, "sequence")),
            },
        }
    }

    pub fn bool(
        &mut self,
        parent: Option<&Node>,
        key: &str,
        ptr: impl FnOnce() -> String,
    ) -> Result<Option<bool>, Invalid> {
        match parent.and_then(|p| p.get(key)) {
            None => Ok(None),
            Some(n) => match n.as_bool() {
                Some(b) => Ok(Some(b)),
                None => Err(self.invalid(ptr(), key, n, "boolean")),
            },
        }
    }

    pub fn int(
        &mut self,
        parent: Option<&Node>,
        key: &str,
        ptr: impl FnOnce() -> String,
    ) -> Result<Option<i64>, Invalid> {
        match parent.and_then(|p| p.get(key)) {
            None => Ok(None),
            Some(n) => match n.as_i64() {
                Some(i) => Ok(Some(i)),
                None => Err(self.invalid(ptr(), key, n, "integer")),
            },
        }
    }

    pub fn str<'n>(
        &mut self,
        parent: Option<&'n Node>,
        key: &str,
        ptr: impl FnOnce() -> String,
    ) -> Result<Option<&'n str>, Invalid> {
        match parent.and_then(|p| p.get(key)) {
            None => Ok(None),
            Some(n) => match n.as_str() {
                Some(s) => Ok(Some(s)),
                None => Err(self.invalid(ptr(), key, n, "string")),
            },
        }
    }

    /// One element of a sequence that must be a string.
    pub fn item_str<'n>(&mut self, node: &'n Node, ptr: String) -> Result<&'n str, Invalid> {
        match node.as_str() {
            Some(s) => Ok(s),
            None => {
                let key = ptr.rsplit('/').next().unwrap_or("").to_string();
                Err(self.invalid(ptr, &format!("item {key}"), node, "string"))
            }
        }
    }

    /// The pod-level securityContext.
    pub fn pod_sc<'n>(&mut self, pod: &PodSpec<'n>) -> Result<Option<&'n Node>, Invalid> {
        self.map(Some(pod.spec), "securityContext", || {
            pod.ptr(&["securityContext"])
        })
    }

    /// A container's securityContext.
    pub fn container_sc<'n>(&mut self, c: &Container<'n>) -> Result<Option<&'n Node>, Invalid> {
        self.map(Some(c.node), "securityContext", || {
            c.ptr(&["securityContext"])
        })
    }
}

/// `spec.hostUsers` is explicitly `false` (the pod runs in a user namespace). A value of another
/// type is read as "not false", the strict side.
pub fn host_users_false(pod: &PodSpec<'_>) -> bool {
    pod.spec.bool_at("hostUsers") == Some(false)
}

/// `spec.os.name` is exactly `windows`.
pub fn is_windows(pod: &PodSpec<'_>) -> bool {
    pod.is_windows()
}

/// Quotes a value for a message.
pub fn q(s: &str) -> String {
    format!("{s:?}")
}

/// The checks in upstream order: the 12 baseline checks, then the 7 restricted ones.
pub static CHECKS: [&PssCheck; 19] = [
    &super::windows_host_process::CHECK,
    &super::host_namespaces::CHECK,
    &super::privileged::CHECK,
    &super::capabilities_baseline::CHECK,
    &super::host_path_volumes::CHECK,
    &super::host_ports::CHECK,
    &super::apparmor_profile::CHECK,
    &super::selinux_options::CHECK,
    &super::proc_mount::CHECK,
    &super::seccomp_profile_baseline::CHECK,
    &super::sysctls::CHECK,
    &super::host_probes::CHECK,
    &super::restricted_volumes::CHECK,
    &super::allow_privilege_escalation::CHECK,
    &super::run_as_non_root::CHECK,
    &super::run_as_user::CHECK,
    &super::seccomp_profile_restricted::CHECK,
    &super::capabilities_restricted::CHECK,
    &super::proc_mount_restricted::CHECK,
];

/// Which implementation of each check (index into `CHECKS`) a profile runs.
type Plan = [Option<&'static Version>; 19];

fn level_index(l: PssLevel) -> usize {
    match l {
        PssLevel::Privileged => 0,
        PssLevel::Baseline => 1,
        PssLevel::Restricted => 2,
    }
}

fn newest(check: &'static PssCheck, minor: u32) -> Option<&'static Version> {
    check.versions.iter().rev().find(|v| v.since <= minor)
}

fn build_plan(profile: PssProfile) -> Plan {
    let mut plan: Plan = [None; 19];
    for (i, c) in CHECKS.iter().enumerate() {
        if c.level <= profile.level {
            plan[i] = newest(c, profile.minor);
        }
    }
    // Overrides: an active check removes the checks it replaces.
    let overridden: Vec<&str> = plan
        .iter()
        .flatten()
        .flat_map(|v| v.overrides.iter().copied())
        .collect();
    for (i, c) in CHECKS.iter().enumerate() {
        if overridden.contains(&c.id) {
            plan[i] = None;
        }
    }
    plan
}

/// The plan of a profile, computed the first time that level and version is asked for (a
/// scan uses one or two of the 3 × 38 profiles).
fn plan(profile: PssProfile) -> &'static Plan {
    const PER_LEVEL: usize = PSS_LATEST_MINOR as usize + 1;
    static PLANS: [OnceLock<Plan>; 3 * PER_LEVEL] = [const { OnceLock::new() }; 3 * PER_LEVEL];
    let profile = PssProfile {
        level: profile.level,
        minor: profile.minor.min(PSS_LATEST_MINOR),
    };
    PLANS[level_index(profile.level) * PER_LEVEL + profile.minor as usize]
        .get_or_init(|| build_plan(profile))
}

fn index_of(check: &PssCheck) -> usize {
    CHECKS
        .iter()
        .position(|c| std::ptr::eq(*c, check))
        .expect("every check is in CHECKS")
}

/// The implementation of `check` that `profile` runs, if the check applies.
pub fn active(check: &PssCheck, profile: PssProfile) -> Option<&'static Version> {
    plan(profile)[index_of(check)]
}

/// The checks `profile` runs, with their implementation.
pub fn active_checks(
    profile: PssProfile,
) -> impl Iterator<Item = (&'static PssCheck, &'static Version)> {
    CHECKS
        .iter()
        .zip(plan(profile).iter())
        .filter_map(|(c, v)| v.map(|v| (*c, v)))
}

/// Runs every check of `profile` on a pod spec. Empty: the pod is allowed.
pub fn evaluate(pod: &PodSpec<'_>, profile: PssProfile) -> Vec<Violation> {
    let mut out = Vec::new();
    for (c, v) in active_checks(profile) {
        let mut sink = Sink::new(c.id);
        (v.check)(pod, &mut sink);
        out.append(&mut sink.out);
    }
    out
}

/// The body of every per-check rule: run the check at the configured profile and report.
pub fn run_rule(check: &'static PssCheck, ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    let Some(pod) = ctx.pod else { return };
    let profile = ctx.settings.pss_profile();
    let Some(version) = active(check, profile) else {
        return;
    };
    let mut sink = Sink::new(check.id);
    (version.check)(pod, &mut sink);
    for v in sink.out {
        let f = out.report(ctx.object, v.pointer, v.message);
        f.reference("pss", check.id).status(v.status);
        if let Some(s) = v.severity {
            f.severity(s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(level: PssLevel, minor: u32) -> PssProfile {
        PssProfile { level, minor }
    }

    fn ids(profile: PssProfile) -> Vec<&'static str> {
        active_checks(profile).map(|(c, _)| c.id).collect()
    }

    #[test]
    fn checks_are_well_formed() {
        let mut seen = std::collections::HashSet::new();
        for c in CHECKS {
            assert!(seen.insert(c.id), "{}", c.id);
            assert!(!c.versions.is_empty(), "{}", c.id);
            assert!(
                c.versions.windows(2).all(|w| w[0].since < w[1].since),
                "{}: versions out of order",
                c.id
            );
            assert_ne!(c.level, PssLevel::Privileged);
            for v in c.versions {
                for o in v.overrides {
                    let twin = CHECKS.iter().find(|x| x.id == *o).expect("override exists");
                    assert_eq!(twin.level, PssLevel::Baseline, "{} overrides {o}", c.id);
                    assert_eq!(c.level, PssLevel::Restricted);
                }
            }
            assert!(c.rule.meta.id.starts_with("KW-PSS-"));
            assert!(
                c.rule.meta.references.contains(&("pss", c.id)),
                "{} lists its upstream ID",
                c.rule.meta.id
            );
        }
        assert_eq!(
            CHECKS
                .iter()
                .filter(|c| c.level == PssLevel::Baseline)
                .count(),
            12
        );
    }

    #[test]
    fn privileged_level_runs_nothing() {
        for minor in 0..=PSS_LATEST_MINOR {
            assert!(ids(p(PssLevel::Privileged, minor)).is_empty());
        }
    }

    #[test]
    fn baseline_checks_by_version() {
        let v0 = ids(p(PssLevel::Baseline, 0));
        assert_eq!(v0.len(), 11);
        assert!(!v0.contains(&"hostProbesAndHostLifecycle"));
        assert!(ids(p(PssLevel::Baseline, 34)).contains(&"hostProbesAndHostLifecycle"));
        assert_eq!(ids(p(PssLevel::Baseline, 37)).len(), 12);
        // No restricted check ever runs at baseline.
        for minor in 0..=PSS_LATEST_MINOR {
            assert!(!ids(p(PssLevel::Baseline, minor)).contains(&"runAsNonRoot"));
        }
    }

    #[test]
    fn restricted_overrides_follow_versions() {
        let at = |m| ids(p(PssLevel::Restricted, m));
        // restrictedVolumes replaces hostPathVolumes from v1.0.
        assert!(at(0).contains(&"restrictedVolumes") && !at(0).contains(&"hostPathVolumes"));
        // Before v1.8 there is no allowPrivilegeEscalation.
        assert!(!at(7).contains(&"allowPrivilegeEscalation"));
        assert!(at(8).contains(&"allowPrivilegeEscalation"));
        // Seccomp: the baseline annotation check until v1.18, the restricted one from v1.19.
        assert!(at(18).contains(&"seccompProfile_baseline"));
        assert!(!at(18).contains(&"seccompProfile_restricted"));
        assert!(at(19).contains(&"seccompProfile_restricted"));
        assert!(!at(19).contains(&"seccompProfile_baseline"));
        // Capabilities from v1.22, runAsUser from v1.23, procMount_restricted from v1.35.
        assert!(at(21).contains(&"capabilities_baseline"));
        assert!(
            at(22).contains(&"capabilities_restricted")
                && !at(22).contains(&"capabilities_baseline")
        );
        assert!(!at(22).contains(&"runAsUser") && at(23).contains(&"runAsUser"));
        assert!(at(34).contains(&"procMount") && !at(34).contains(&"procMount_restricted"));
        assert!(at(35).contains(&"procMount_restricted") && !at(35).contains(&"procMount"));
        assert_eq!(at(37).len(), 19 - 4);
    }

    #[test]
    fn newest_implementation_wins() {
        let sysctls = &super::super::sysctls::CHECK;
        let since = |m| active(sysctls, p(PssLevel::Baseline, m)).unwrap().since;
        assert_eq!(since(0), 0);
        assert_eq!(since(26), 0);
        assert_eq!(since(27), 27);
        assert_eq!(since(31), 29);
        assert_eq!(since(36), 32);
        assert_eq!(since(37), 37);
    }
}
