//! Compliance views: the findings grouped and counted by the controls of one framework (CIS
//! Kubernetes Benchmark, NSA/CISA Kubernetes Hardening Guide, Pod Security Standards, MITRE
//! ATT&CK for Containers), through the rules' references (and findings' own, such as the PSS
//! check a finding is about). Every control of the framework is listed: failed (active
//! findings), passed (rules that cover it ran on input that concerns it and found nothing), or
//! not checked with the reason (no kubeward rule; node-only; cloud-only; needs a cluster or
//! the control-plane configuration; a rule could not decide). A control with no rule is never
//! passed.

pub mod controls;

use controls::{Control, Scope};
use kubeward_core::RuleMeta;
use kubeward_core::finding::Status;
use kubeward_core::report::Report;
use serde::Serialize;
use std::fmt::Write;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framework {
    Cis,
    Nsa,
    Pss,
    Mitre,
}

impl Framework {
    pub fn key(self) -> &'static str {
        match self {
            Framework::Cis => "cis",
            Framework::Nsa => "nsa",
            Framework::Pss => "pss",
            Framework::Mitre => "mitre",
        }
    }
    pub fn title(self) -> &'static str {
        match self {
            Framework::Cis => "CIS Kubernetes Benchmark",
            Framework::Nsa => "NSA/CISA Kubernetes Hardening Guide",
            Framework::Pss => "Pod Security Standards",
            Framework::Mitre => "MITRE ATT&CK for Containers",
        }
    }
    pub fn controls(self) -> &'static [Control] {
        match self {
            Framework::Cis => controls::CIS,
            Framework::Nsa => controls::NSA,
            Framework::Pss => controls::PSS,
            Framework::Mitre => controls::MITRE,
        }
    }
}

/// What the scanned input lets kubeward see.
#[derive(Clone, Copy, Debug, Default)]
pub struct Evidence {
    /// Any object at all.
    pub objects: bool,
    /// Any pod spec (Pods, controllers, templates).
    pub workloads: bool,
    /// Control-plane component settings (static pods, or a live cluster).
    pub control_plane: bool,
    /// A live cluster or a snapshot of one.
    pub cluster: bool,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ControlStatus {
    Passed,
    Failed,
    NotChecked,
}

#[derive(Clone, Debug, Serialize)]
pub struct ControlResult {
    pub id: &'static str,
    pub title: &'static str,
    pub status: ControlStatus,
    /// Active failed findings.
    pub failed: usize,
    /// Rules that cover the control (enabled ones).
    pub rules: Vec<&'static str>,
    /// Why the control is not checked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct View {
    pub framework: &'static str,
    pub title: &'static str,
    pub passed: usize,
    pub failed: usize,
    pub not_checked: usize,
    pub controls: Vec<ControlResult>,
}

/// Whether reference `value` (of this framework's source) names control `id`.
fn matches(fw: Framework, id: &str, value: &str) -> bool {
    match fw {
        Framework::Nsa => {
            let v = value.to_ascii_lowercase();
            controls::nsa_keys(id).iter().any(|k| v.contains(k))
        }
        Framework::Mitre => value
            .split(", ")
            .any(|t| t == id || t.strip_prefix(id).is_some_and(|r| r.starts_with('.'))),
        Framework::Cis | Framework::Pss => value.split(", ").any(|t| t.trim() == id),
    }
}

/// The view of `report` for `fw`. `rules` are the rules that ran.
pub fn evaluate(fw: Framework, report: &Report, rules: &[&'static RuleMeta], ev: Evidence) -> View {
    let key = fw.key();
    let mut out = Vec::new();
    for c in fw.controls() {
        let mut covering: Vec<&'static str> = rules
            .iter()
            .filter(|r| {
                r.references
                    .iter()
                    .any(|(s, v)| *s == key && matches(fw, c.id, v))
            })
            .map(|r| r.id)
            .collect();
        covering.sort_unstable();
        covering.dedup();
        let (mut failed, mut unknown) = (0, 0);
        for f in &report.findings {
            let on = f
                .references
                .merged()
                .iter()
                .any(|(s, v)| *s == key && matches(fw, c.id, v));
            if !on {
                continue;
            }
            if f.suppressed.is_none() && f.status == Status::Fail {
                failed += 1;
            } else if f.status == Status::Unknown && f.suppressed.is_none() {
                unknown += 1;
            }
        }
        let seen = match c.scope {
            Scope::Objects => {
                if fw == Framework::Pss {
                    ev.workloads
                } else {
                    ev.objects
                }
            }
            Scope::ControlPlane => ev.control_plane,
            Scope::Cluster => ev.cluster,
            Scope::NodeOnly | Scope::CloudOnly => false,
        };
        let (status, why) = if failed > 0 {
            (ControlStatus::Failed, None)
        } else if covering.is_empty() {
            let mut why = "no kubeward rule covers it".to_string();
            if c.scope != Scope::Objects {
                why.push_str(&format!(" ({})", c.scope.why_unseen()));
            }
            (ControlStatus::NotChecked, Some(why))
        } else if !seen {
            let why = if fw == Framework::Pss && c.scope == Scope::Objects {
                "no workload in the input".to_string()
            } else {
                c.scope.why_unseen().to_string()
            };
            (ControlStatus::NotChecked, Some(why))
        } else if unknown > 0 {
            (
                ControlStatus::NotChecked,
                Some(format!(
                    "{unknown} finding{} could not be decided",
                    if unknown == 1 { "" } else { "s" }
                )),
            )
        } else {
            (ControlStatus::Passed, None)
        };
        out.push(ControlResult {
            id: c.id,
            title: c.title,
            status,
            failed,
            rules: covering,
            why,
        });
    }
    let count = |s: ControlStatus| out.iter().filter(|c| c.status == s).count();
    View {
        framework: key,
        title: fw.title(),
        passed: count(ControlStatus::Passed),
        failed: count(ControlStatus::Failed),
        not_checked: count(ControlStatus::NotChecked),
        controls: out,
    }
}

pub fn json(v: &View) -> String {
    serde_json::to_string_pretty(v).expect("json") + "\n"
}

pub fn text(v: &View) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{}: {} passed, {} failed, {} not checked (of {} controls)",
        v.title,
        v.passed,
        v.failed,
        v.not_checked,
        v.controls.len()
    );
    for (status, head) in [
        (ControlStatus::Failed, "failed"),
        (ControlStatus::Passed, "passed"),
        (ControlStatus::NotChecked, "not checked"),
    ] {
        let cs: Vec<&ControlResult> = v.controls.iter().filter(|c| c.status == status).collect();
        if cs.is_empty() {
            continue;
        }
        let _ = writeln!(s, "\n{head}:");
        for c in cs {
            let detail = match status {
                ControlStatus::Failed => format!(
                    "{} finding{} ({})",
                    c.failed,
                    if c.failed == 1 { "" } else { "s" },
                    c.rules.join(", ")
                ),
                ControlStatus::Passed => c.rules.join(", "),
                ControlStatus::NotChecked => c.why.clone().unwrap_or_default(),
            };
            let _ = writeln!(s, "  {:<28} {}  [{detail}]", c.id, c.title);
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_name_controls() {
        assert!(matches(Framework::Cis, "5.2.4", "5.2.3, 5.2.4, 5.2.5"));
        assert!(!matches(Framework::Cis, "5.2.1", "5.2.11"));
        assert!(matches(Framework::Mitre, "T1552", "T1611, T1552.001"));
        assert!(!matches(Framework::Mitre, "T1552.005", "T1552"));
        assert!(!matches(Framework::Mitre, "T155", "T1552"));
        assert!(matches(Framework::Pss, "privileged", "privileged"));
        assert!(matches(
            Framework::Nsa,
            "NSA-5",
            "Kubernetes Hardening Guide: Pod security, host path volumes"
        ));
        assert!(!matches(
            Framework::Nsa,
            "NSA-9",
            "Kubernetes Hardening Guide: Pod security, host namespaces"
        ));
    }

    #[test]
    fn control_ids_are_unique() {
        for fw in [
            Framework::Cis,
            Framework::Nsa,
            Framework::Pss,
            Framework::Mitre,
        ] {
            let mut ids: Vec<&str> = fw.controls().iter().map(|c| c.id).collect();
            let n = ids.len();
            ids.sort_unstable();
            ids.dedup();
            assert_eq!(ids.len(), n, "{}", fw.key());
        }
    }
}
