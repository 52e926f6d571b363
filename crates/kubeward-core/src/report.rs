//! The report model: findings resolved to files, lines and resources, sorted, with a summary.
//! Its serde form is the JSON output, documented in `docs/report.schema.json`.

use crate::engine::fingerprint;
use crate::finding::{Finding, Layer, Severity, Status, Suppression};
use crate::input::{Diagnostic, Level, LoadStats, Skipped};
use crate::inventory::{Inventory, ObjectId, SourceKind};
use serde::Serialize;
use std::collections::BTreeMap;

/// Version of the JSON report format.
pub const REPORT_VERSION: &str = "1";

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub version: &'static str,
    pub tool: Tool,
    pub findings: Vec<ReportFinding>,
    pub errors: Vec<Diagnostic>,
    pub skipped: Vec<Skipped>,
    pub summary: Summary,
}

#[derive(Clone, Debug, Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct ResourceOut {
    pub api_version: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
    /// The kubeconfig context, for objects read from a cluster.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct LocationOut {
    /// The file as given on the command line (`-` for stdin). `null` for cluster objects.
    pub file: Option<String>,
    /// 1-based; `null` when the object has no source text.
    pub line: Option<u32>,
    /// 1-based, in Unicode code points.
    pub column: Option<u32>,
    /// JSON pointer in the document (List items start with `/items/N`).
    pub pointer: String,
    /// What `file` is: `file`, `stdin`, `kustomize` (lines are in the rendered output),
    /// `cluster`, `snapshot` or `runtime`.
    pub origin: &'static str,
}

#[derive(Clone, Debug, Serialize)]
pub struct RelatedOut {
    pub resource: ResourceOut,
    pub location: LocationOut,
    pub message: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct ReportFinding {
    pub rule_id: &'static str,
    pub rule_name: &'static str,
    pub severity: Severity,
    pub status: Status,
    pub layer: Layer,
    pub title: &'static str,
    pub message: String,
    pub remediation: &'static str,
    pub resource: Option<ResourceOut>,
    pub location: Option<LocationOut>,
    pub references: BTreeMap<String, String>,
    pub related: Vec<RelatedOut>,
    pub suppressed: Option<Suppression>,
    /// Stable identity used by baselines and SARIF partial fingerprints.
    pub fingerprint: String,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct FindingCounts {
    pub total: usize,
    /// Failed checks that are not suppressed.
    pub active: usize,
    pub suppressed: usize,
    pub unknown: usize,
    pub not_applicable: usize,
    /// Active findings by severity.
    pub by_severity: BTreeMap<Severity, usize>,
    /// Active findings by layer.
    pub by_layer: BTreeMap<Layer, usize>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    pub files: usize,
    pub bytes: u64,
    pub documents: usize,
    pub objects: usize,
    pub objects_by_kind: BTreeMap<String, usize>,
    /// Objects of kinds that are not built into Kubernetes (CRD instances and unknown kinds).
    pub custom_resources: usize,
    /// Of those, kinds with no CustomResourceDefinition in the input.
    pub unknown_kinds: usize,
    pub skipped_documents: usize,
    pub errors: usize,
    pub warnings: usize,
    pub findings: FindingCounts,
}

fn resource_of(inventory: &Inventory, id: ObjectId) -> ResourceOut {
    let o = inventory.object(id);
    let src = inventory.source(o.source);
    ResourceOut {
        api_version: o.api_version.to_string(),
        kind: o.kind.to_string(),
        namespace: o.namespace.as_ref().map(|s| s.to_string()),
        name: o.name.to_string(),
        cluster: src.context().map(str::to_string),
    }
}

/// Where `pointer` is in object `id`.
pub fn location_of(inventory: &Inventory, id: ObjectId, pointer: &str) -> LocationOut {
    let o = inventory.object(id);
    let src = inventory.source(o.source);
    let span = o.span_of(pointer);
    let file = match src.kind {
        SourceKind::Cluster { .. } | SourceKind::Runtime => None,
        _ => Some(src.name.clone()),
    };
    let has = !span.is_none();
    let origin = match src.kind {
        SourceKind::File => "file",
        SourceKind::Stdin => "stdin",
        SourceKind::Kustomize => "kustomize",
        SourceKind::Cluster { .. } => "cluster",
        SourceKind::Snapshot { .. } => "snapshot",
        SourceKind::Runtime => "runtime",
    };
    LocationOut {
        origin,
        file,
        line: has.then_some(span.line),
        column: has.then_some(span.col),
        pointer: format!("{}{}", o.base_pointer, pointer),
    }
}

/// Builds the report: resolves locations, sorts by file, line, rule, and counts.
pub fn build(
    inventory: &Inventory,
    findings: &[Finding],
    mut errors: Vec<Diagnostic>,
    mut skipped: Vec<Skipped>,
    stats: &LoadStats,
) -> Report {
    let mut out: Vec<ReportFinding> = findings
        .iter()
        .map(|f| {
            let mut references = f.rule.reference_map();
            for (k, v) in &f.references {
                references.insert((*k).to_string(), v.clone());
            }
            ReportFinding {
                rule_id: f.rule.id,
                rule_name: f.rule.name,
                severity: f.severity,
                status: f.status,
                layer: f.rule.layer,
                title: f.rule.title,
                message: f.message.clone(),
                remediation: f.rule.fix,
                resource: f.object.map(|id| resource_of(inventory, id)),
                location: f.object.map(|id| location_of(inventory, id, &f.pointer)),
                references,
                related: f
                    .related
                    .iter()
                    .map(|r| RelatedOut {
                        resource: resource_of(inventory, r.object),
                        location: location_of(inventory, r.object, &r.pointer),
                        message: r.message.clone(),
                    })
                    .collect(),
                suppressed: f.suppressed.clone(),
                fingerprint: fingerprint(f, inventory),
            }
        })
        .collect();
    out.sort_by(|a, b| sort_key(a).cmp(&sort_key(b)));
    out.dedup_by(|a, b| {
        a.fingerprint == b.fingerprint && a.message == b.message && a.location == b.location
    });
    errors.sort();
    errors.dedup();
    skipped.sort();

    let mut summary = Summary {
        files: stats.files,
        bytes: stats.bytes,
        documents: stats.documents,
        objects: inventory.len(),
        custom_resources: inventory.custom_resource_count(),
        unknown_kinds: inventory.unknown_kind_count(),
        skipped_documents: skipped.len(),
        errors: errors.iter().filter(|e| e.level == Level::Error).count(),
        warnings: errors.iter().filter(|e| e.level == Level::Warning).count(),
        ..Default::default()
    };
    for o in inventory.objects() {
        *summary
            .objects_by_kind
            .entry(o.kind.to_string())
            .or_default() += 1;
    }
    let c = &mut summary.findings;
    c.total = out.len();
    for f in &out {
        if f.suppressed.is_some() {
            c.suppressed += 1;
            continue;
        }
        match f.status {
            Status::Fail => {
                c.active += 1;
                *c.by_severity.entry(f.severity).or_default() += 1;
                *c.by_layer.entry(f.layer).or_default() += 1;
            }
            Status::Unknown => c.unknown += 1,
            Status::NotApplicable => c.not_applicable += 1,
        }
    }
    Report {
        version: REPORT_VERSION,
        tool: Tool {
            name: "kubeward",
            version: env!("CARGO_PKG_VERSION"),
        },
        findings: out,
        errors,
        skipped,
        summary,
    }
}

type SortKey<'a> = (
    &'a str,
    u32,
    &'a str,
    u32,
    Option<&'a ResourceOut>,
    &'a str,
    &'a str,
);

fn sort_key(f: &ReportFinding) -> SortKey<'_> {
    let loc = f.location.as_ref();
    (
        loc.and_then(|l| l.file.as_deref()).unwrap_or(""),
        loc.and_then(|l| l.line).unwrap_or(0),
        f.rule_id,
        loc.and_then(|l| l.column).unwrap_or(0),
        f.resource.as_ref(),
        loc.map(|l| l.pointer.as_str()).unwrap_or(""),
        f.message.as_str(),
    )
}

impl Report {
    /// Active findings at or above `threshold`.
    pub fn failing(&self, threshold: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| {
                f.suppressed.is_none() && f.status == Status::Fail && f.severity >= threshold
            })
            .count()
    }
}

/// The baseline file written by `--write-baseline`: the fingerprints of every finding that is
/// not already suppressed by an annotation or the config, with enough context to review it.
pub fn baseline_json(report: &Report) -> serde_json::Value {
    let entries: Vec<serde_json::Value> = report
        .findings
        .iter()
        .filter(|f| f.suppressed.as_ref().is_none_or(|s| s.by == "baseline"))
        .map(|f| {
            serde_json::json!({
                "fingerprint": f.fingerprint,
                "rule_id": f.rule_id,
                "resource": f.resource.as_ref().map(|r| match &r.namespace {
                    Some(ns) => format!("{} {}/{}", r.kind, ns, r.name),
                    None => format!("{} {}", r.kind, r.name),
                }),
                "pointer": f.location.as_ref().map(|l| l.pointer.clone()),
            })
        })
        .collect();
    serde_json::json!({ "kubeward_baseline": 1, "findings": entries })
}

impl crate::engine::Baseline {
    /// Parses a baseline file written by [`baseline_json`].
    pub fn parse(text: &str) -> Result<Self, String> {
        let v: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("not a kubeward baseline: {e}"))?;
        if v.get("kubeward_baseline").and_then(|x| x.as_u64()) != Some(1) {
            return Err("not a kubeward baseline (missing \"kubeward_baseline\": 1)".into());
        }
        let mut b = crate::engine::Baseline::default();
        for (i, f) in v
            .get("findings")
            .and_then(|f| f.as_array())
            .ok_or("baseline has no \"findings\" list")?
            .iter()
            .enumerate()
        {
            let fp = f
                .get("fingerprint")
                .and_then(|x| x.as_str())
                .ok_or_else(|| format!("baseline finding {i} has no fingerprint"))?;
            b.fingerprints.insert(fp.to_string());
        }
        Ok(b)
    }
}
