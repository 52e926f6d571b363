//! The vulnerability rules (layer containers, KW-VULN-001 and up): known vulnerabilities of the
//! images workloads run, from scanner reports or kubeward's own database, ranked by exposure.
//!
//! The facts come from outside the inventory: the CLI reads the reports (or matches image
//! inventories against the database) and [`attach`]es them to the inventory before the rules
//! run. Without attached facts the rules report nothing.

use crate::cvss::Level;
use crate::reports::{ImageFinding, Reports};
use kubeward_analysis::rbac::analysis::{Analysis, Cap};
use kubeward_analysis::rbac::model::Principal;
use kubeward_core::finding::Suppression;
use kubeward_core::{
    Check, Emitter, Inventory, InventoryCtx, Layer, ObjectId, PodSpec, Rule, RuleMeta, Severity,
    Status,
};
use std::sync::Arc;

/// Vulnerability facts about images.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    pub reports: Reports,
    /// Images kubeward tried to read itself (`scan --images`) and could not, with the reason:
    /// their containers are UNKNOWN with that reason.
    pub unreadable: Vec<(crate::reports::ImageIdentity, String)>,
}

#[derive(Default)]
struct Attached(Option<Arc<Facts>>);

/// Makes `facts` visible to the rules of scans of `inventory`. Call before the engine runs;
/// returns false if the rules had already looked (then nothing changes).
pub fn attach(inventory: &Inventory, facts: Arc<Facts>) -> bool {
    let mut taken = false;
    inventory.memo(|| {
        taken = true;
        Attached(Some(facts))
    });
    taken
}

/// One vulnerable package in one container of one workload.
#[derive(Clone, Debug)]
struct Item {
    object: ObjectId,
    pointer: String,
    container: String,
    image: String,
    origin: String,
    finding: ImageFinding,
    /// Why it ranks first (privileged, exposed, token reads secrets, VEX says exploitable).
    exposure: Vec<String>,
    suppressed: Option<Suppression>,
}

#[derive(Default)]
struct Computed {
    items: Vec<Item>,
    /// Containers whose image no report covers: (object, pointer, message).
    uncovered: Vec<(ObjectId, String, String)>,
}

fn exposure_of(a: &Analysis, w_index: usize, object: ObjectId) -> Vec<String> {
    let mut why = Vec::new();
    if let Some(ex) = a.exposed.get(&object) {
        let hows: Vec<&str> = ex.iter().map(|e| e.how.as_str()).collect();
        let shown = hows.iter().take(2).copied().collect::<Vec<_>>().join(", ");
        let more = hows.len().saturating_sub(2);
        why.push(if more > 0 {
            format!("reachable from outside through {shown} and {more} more")
        } else {
            format!("reachable from outside through {shown}")
        });
    }
    let mut secrets: Vec<String> = a
        .workload_hits
        .iter()
        .filter(|(i, h)| *i == w_index && matches!(h.cap, Cap::ReadSecrets | Cap::FullAdmin))
        .map(|(_, h)| {
            let who = match &h.principal {
                Principal::ServiceAccount(ns, n) => format!("ServiceAccount {ns}/{n}"),
                p => format!("{p:?}"),
            };
            match &h.scope {
                None => format!("its token ({who}) can read secrets cluster-wide"),
                Some(ns) => format!("its token ({who}) can read secrets in namespace {ns}"),
            }
        })
        .collect();
    secrets.sort();
    secrets.dedup();
    why.extend(secrets.into_iter().take(1));
    why
}

fn compute(inv: &Inventory) -> Computed {
    let facts = inv.memo(Attached::default);
    let Some(facts) = facts.0.as_ref() else {
        return Computed::default();
    };
    let reports = &facts.reports;
    if reports.images.is_empty() && facts.unreadable.is_empty() {
        return Computed::default();
    }
    let analysis = Analysis::of(inv);
    let mut out = Computed::default();
    for (wi, w) in analysis.workloads.iter().enumerate() {
        let obj = inv.object(w.object);
        let Some(pod) = PodSpec::of(obj) else {
            continue;
        };
        let mut workload_why: Option<Vec<String>> = None;
        for c in pod.containers() {
            let Some((text, Ok(r))) = c.image_ref() else {
                continue;
            };
            let pointer = c.ptr(&["image"]);
            let matching: Vec<_> = reports.images.iter().filter(|i| i.image.runs(&r)).collect();
            if matching.is_empty() {
                let message = match facts.unreadable.iter().find(|(i, _)| i.runs(&r)) {
                    Some((_, why)) => format!(
                        "{}: image `{text}` could not be read ({why}), so its known vulnerabilities are unknown",
                        c.describe()
                    ),
                    None => format!(
                        "{}: no vulnerability report covers image `{text}`, so its known vulnerabilities are unknown",
                        c.describe()
                    ),
                };
                out.uncovered.push((w.object, pointer, message));
                continue;
            }
            let why = workload_why
                .get_or_insert_with(|| exposure_of(&analysis, wi, w.object))
                .clone();
            let privileged =
                c.security_context().and_then(|s| s.bool_at("privileged")) == Some(true);
            let mut seen = std::collections::HashSet::new();
            for ir in matching {
                for f in &ir.findings {
                    if !seen.insert((f.id.clone(), f.package.clone(), f.installed.clone())) {
                        continue;
                    }
                    let mut exposure = Vec::new();
                    if privileged {
                        exposure.push("the container is privileged".to_string());
                    }
                    exposure.extend(why.iter().cloned());
                    let vex: Vec<_> = reports.vex.iter().filter(|v| v.applies(&r, f)).collect();
                    if vex.iter().any(|v| v.state == "exploitable") {
                        exposure.push("a VEX statement says it is exploitable here".into());
                    }
                    let suppressed = if let Some(v) = vex.iter().find(|v| v.not_exploitable()) {
                        Some(Suppression {
                            by: "vex".into(),
                            reason: v.reason(),
                        })
                    } else {
                        f.suppressed.as_ref().map(|s| Suppression {
                            by: "report".into(),
                            reason: s.clone(),
                        })
                    };
                    out.items.push(Item {
                        object: w.object,
                        pointer: pointer.clone(),
                        container: c.describe(),
                        image: text.to_string(),
                        origin: ir.origin.clone(),
                        finding: f.clone(),
                        exposure,
                        suppressed,
                    });
                }
            }
        }
    }
    out
}

fn raise(s: Severity) -> Severity {
    match s {
        Severity::Medium => Severity::High,
        Severity::High | Severity::Critical => Severity::Critical,
        x => x,
    }
}

fn emit(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>, with_fix: bool) {
    let computed = ctx.inventory.memo(|| compute(ctx.inventory));
    for it in &computed.items {
        let f = &it.finding;
        if f.fixed.is_some() != with_fix {
            continue;
        }
        let base = f.severity.to_severity();
        let ranked = if it.exposure.is_empty() {
            base
        } else {
            raise(base)
        };
        let mut msg = format!("{}: {}", it.container, f.id);
        if !f.aliases.is_empty() {
            msg.push_str(&format!(" ({})", f.aliases.join(", ")));
        }
        msg.push_str(&format!(" in {} {}", f.package, f.installed));
        if let Some(src) = &f.source_package {
            msg.push_str(&format!(" (source package {src})"));
        }
        msg.push_str(&format!(" of image `{}`", it.image));
        if let Some(l) = &f.location {
            msg.push_str(&format!(" at {l}"));
        }
        msg.push_str(&format!(": severity {}", f.severity.as_str()));
        if f.severity == Level::Unknown {
            msg.push_str(" (rated medium)");
        }
        if let Some(s) = f.score {
            msg.push_str(&format!(", CVSS {s:.1}"));
        }
        match &f.fixed {
            Some(v) => msg.push_str(&format!("; fixed in {v}")),
            None => msg.push_str("; no fixed version yet"),
        }
        if !it.exposure.is_empty() {
            msg.push_str(&format!(". Ranks first: {}", it.exposure.join("; ")));
            if ranked != base {
                msg.push_str(&format!(" (raised from {base} to {ranked})"));
            }
        }
        if !f.title.is_empty() {
            msg.push_str(&format!(". {}", f.title.trim_end_matches('.')));
        }
        msg.push_str(&format!(" [{}]", it.origin));
        let finding = out.report(ctx.inventory.object(it.object), it.pointer.clone(), msg);
        finding
            .severity(ranked)
            .key(format!("{}|{}|{}", f.id, f.package, f.installed));
        if !f.url.is_empty() {
            finding.reference("advisory", f.url.clone());
        }
        finding.suppressed = it.suppressed.clone();
    }
}

const REFS: &[(&str, &str)] = &[
    (
        "nsa",
        "Kubernetes Hardening Guide: Threat detection, image scanning",
    ),
    ("mitre", "T1190"),
    ("docs", "https://ossf.github.io/osv-schema/"),
];

pub static FIX_AVAILABLE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-VULN-001",
        name: "known-vulnerability-fix-available",
        layer: Layer::Containers,
        severity: Severity::High,
        title: "Container image has a known vulnerability that a newer package fixes",
        why: "A published vulnerability comes with public details and often a public exploit, and \
              a fixed package exists, so the image is simply out of date. The finding's severity \
              is the vulnerability's (CVSS base score from the advisory, else the database's \
              label), raised one level when the container is privileged, reachable from outside \
              through a LoadBalancer, NodePort or Ingress, or carries a token that can read \
              Secrets: there an exploit reaches the most.",
        fix: "Rebuild the image on an updated base (or upgrade the named package) to at least the \
              fixed version, and redeploy. If the vulnerable code cannot be reached, record that \
              in a CycloneDX VEX statement (`analysis.state: not_affected` with a justification) \
              and pass it with `--vuln-report`.",
        references: REFS,
        default_enabled: true,
    },
    check: Check::Inventory(|ctx, out| emit(ctx, out, true)),
};

pub static NO_FIX: Rule = Rule {
    meta: RuleMeta {
        id: "KW-VULN-002",
        name: "known-vulnerability-no-fix",
        layer: Layer::Containers,
        severity: Severity::Medium,
        title: "Container image has a known vulnerability with no fixed version yet",
        why: "The vulnerability is public but no fixed package exists (or the distribution will not \
              fix it). Exposure decides the risk: the finding is raised one level when the container \
              is privileged, reachable from outside or carries a token that can read Secrets.",
        fix: "Reduce exposure until a fix ships: drop the package from the image (a smaller or \
              distroless base), remove privileges and external exposure, or narrow the token. \
              Record unreachable cases as CycloneDX VEX (`not_affected`).",
        references: REFS,
        default_enabled: true,
    },
    check: Check::Inventory(|ctx, out| emit(ctx, out, false)),
};

pub static UNCOVERED: Rule = Rule {
    meta: RuleMeta {
        id: "KW-VULN-003",
        name: "image-without-vulnerability-report",
        layer: Layer::Containers,
        severity: Severity::Info,
        title: "No vulnerability report covers the image a container runs",
        why: "Vulnerability reports were given, but none is about this image (compared by \
              repository and digest, else tag), so whether it carries known vulnerabilities is \
              unknown. A report for a different tag says nothing about this one.",
        fix: "Scan this image too (`trivy image --format json`, `grype -o json`) and pass the \
              report with `--vuln-report`, or pin the workload to the digest that was scanned.",
        references: REFS,
        default_enabled: true,
    },
    check: Check::Inventory(|ctx, out| {
        let computed = ctx.inventory.memo(|| compute(ctx.inventory));
        for (o, p, m) in &computed.uncovered {
            out.report(ctx.inventory.object(*o), p.clone(), m.clone())
                .status(Status::Unknown);
        }
    }),
};

/// The rules of this crate.
pub fn rules() -> Vec<&'static Rule> {
    vec![&FIX_AVAILABLE, &NO_FIX, &UNCOVERED]
}

#[cfg(test)]
mod tests {
    #[test]
    fn metadata_is_complete() {
        for r in super::rules() {
            kubeward_core::rule::validate_meta(&r.meta).unwrap();
        }
    }
}
