//! The report model: findings resolved to files, lines and resources, sorted, with a summary.
//! Its serde form is the JSON output, documented in `docs/report.schema.json`.

use crate::finding::fingerprint;
use crate::finding::{Finding, Layer, Severity, Status, Suppression};
use crate::input::{Diagnostic, Level, LoadStats, Skipped};
use crate::inventory::{Inventory, ObjectId, SourceKind};
use foldhash::{HashMap, HashSet};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

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
    pub file: Option<Arc<str>>,
    /// 1-based; `null` when the object has no source text.
    pub line: Option<u32>,
    /// 1-based, in Unicode code points.
    pub column: Option<u32>,
    /// JSON pointer in the document (List items start with `/items/N`).
    pub pointer: String,
    /// What `file` is: `file`, `stdin`, `kustomize` (lines are in the rendered output; a
    /// finding whose field is written in a file of the kustomization points at that file, as
    /// `file`), `cluster`, `snapshot` or `runtime`.
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
    /// Shared by every finding on the same object.
    pub resource: Option<Arc<ResourceOut>>,
    pub location: Option<LocationOut>,
    pub references: References,
    pub related: Vec<RelatedOut>,
    pub suppressed: Option<Suppression>,
    /// Stable identity used by baselines and SARIF partial fingerprints.
    pub fingerprint: String,
    /// How many attack paths the finding is a step of; only set when paths were computed
    /// (`scan --sort risk`), and only then written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paths: Option<usize>,
    /// The source line at `location` may hold a secret value (the rule said so, or the object
    /// is a Secret): renderers show the location but never the line.
    #[serde(skip)]
    pub redact_source: bool,
}

/// The IDs a rule gives for one reference source.
pub type RefIds = std::borrow::Cow<'static, str>;

/// A finding's references: the rule's own (shared by all its findings) plus those specific to
/// the finding, which win on the same source. Serialised as one flat `{source: ids}` object.
#[derive(Clone, Debug, Default)]
pub struct References {
    pub rule: Arc<BTreeMap<&'static str, RefIds>>,
    pub extra: Vec<(&'static str, String)>,
}

impl References {
    /// The value for `source`, if any.
    pub fn get(&self, source: &str) -> Option<&str> {
        self.extra
            .iter()
            .rev()
            .find(|(k, _)| *k == source)
            .map(|(_, v)| v.as_str())
            .or_else(|| self.rule.get(source).map(|v| &**v))
    }

    /// All `(source, ids)` pairs, sorted by source.
    pub fn merged(&self) -> BTreeMap<&'static str, &str> {
        let mut m: BTreeMap<&'static str, &str> =
            self.rule.iter().map(|(k, v)| (*k, &**v)).collect();
        for (k, v) in &self.extra {
            m.insert(k, v.as_str());
        }
        m
    }
}

impl Serialize for References {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.extra.is_empty() {
            self.rule.serialize(s)
        } else {
            self.merged().serialize(s)
        }
    }
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
    /// Cluster resources that could not be read (KW-CP-001): a scan with gaps does not cover
    /// the whole cluster, and fails unless partial coverage is accepted (`--allow-partial`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub coverage_gaps: usize,
    pub errors: usize,
    pub warnings: usize,
    pub findings: FindingCounts,
}

impl Summary {
    /// Adds the counts of `b` (another scan) to these.
    fn add(&mut self, b: Summary) {
        self.files += b.files;
        self.bytes += b.bytes;
        self.documents += b.documents;
        self.objects += b.objects;
        for (k, v) in b.objects_by_kind {
            *self.objects_by_kind.entry(k).or_default() += v;
        }
        self.custom_resources += b.custom_resources;
        self.unknown_kinds += b.unknown_kinds;
        self.skipped_documents += b.skipped_documents;
        self.coverage_gaps += b.coverage_gaps;
        self.errors += b.errors;
        self.warnings += b.warnings;
        self.findings.add(b.findings);
    }
}

impl FindingCounts {
    /// Adds the counts of `b` (another scan) to these.
    fn add(&mut self, b: FindingCounts) {
        self.total += b.total;
        self.active += b.active;
        self.suppressed += b.suppressed;
        self.unknown += b.unknown;
        self.not_applicable += b.not_applicable;
        for (k, v) in b.by_severity {
            *self.by_severity.entry(k).or_default() += v;
        }
        for (k, v) in b.by_layer {
            *self.by_layer.entry(k).or_default() += v;
        }
    }
}

/// The order of merged findings: file, line, rule, resource, pointer, message.
fn merge_key(f: &ReportFinding) -> (&str, u32, &str, Option<&ResourceOut>, &str, &str) {
    let loc = f.location.as_ref();
    (
        loc.and_then(|l| l.file.as_deref()).unwrap_or_default(),
        loc.and_then(|l| l.line).unwrap_or(0),
        f.rule_id,
        f.resource.as_deref(),
        loc.map_or("", |l| l.pointer.as_str()),
        &f.message,
    )
}

fn is_zero(n: &usize) -> bool {
    *n == 0
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
    let src = inventory.source(inventory.object(id).source);
    let file = match src.kind {
        SourceKind::Cluster { .. } | SourceKind::Runtime => None,
        _ => Some(Arc::from(src.name.as_str())),
    };
    locate_in(inventory, id, pointer.into(), file)
}

fn locate_in(
    inventory: &Inventory,
    id: ObjectId,
    pointer: std::borrow::Cow<'_, str>,
    file: Option<Arc<str>>,
) -> LocationOut {
    let o = inventory.object(id);
    let src = inventory.source(o.source);
    let span = o.span_of(&pointer);
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
        pointer: if o.base_pointer.is_empty() {
            pointer.into_owned()
        } else {
            format!("{}{}", o.base_pointer, pointer)
        },
    }
}

/// Per-scan caches so that findings share what they have in common: rule references, the
/// resource of an object, the name of a file.
#[derive(Default)]
struct Shared {
    refs: HashMap<&'static str, Arc<BTreeMap<&'static str, RefIds>>>,
    resources: HashMap<ObjectId, Arc<ResourceOut>>,
    files: HashMap<crate::inventory::SourceId, Option<Arc<str>>>,
    last_resource: Option<(ObjectId, Arc<ResourceOut>)>,
    last_file: Option<(crate::inventory::SourceId, Option<Arc<str>>)>,
}

impl Shared {
    fn refs(
        &mut self,
        rule: &'static crate::meta::RuleMeta,
    ) -> Arc<BTreeMap<&'static str, RefIds>> {
        self.refs
            .entry(rule.id)
            .or_insert_with(|| {
                let mut m: BTreeMap<&'static str, RefIds> = BTreeMap::new();
                for (k, v) in rule.references {
                    // One source given twice (two CIS items): joined. Most are given once and
                    // stay borrowed from the rule's static metadata.
                    m.entry(*k)
                        .and_modify(|e| {
                            let joined = format!("{e}, {v}");
                            *e = RefIds::Owned(joined);
                        })
                        .or_insert(RefIds::Borrowed(v));
                }
                Arc::new(m)
            })
            .clone()
    }

    fn resource(&mut self, inv: &Inventory, id: ObjectId) -> Arc<ResourceOut> {
        // Findings on one object are mostly adjacent: check the last one first.
        if let Some((last, r)) = &self.last_resource {
            if *last == id {
                return r.clone();
            }
        }
        let r = self
            .resources
            .entry(id)
            .or_insert_with(|| Arc::new(resource_of(inv, id)))
            .clone();
        self.last_resource = Some((id, r.clone()));
        r
    }

    fn location(
        &mut self,
        inv: &Inventory,
        id: ObjectId,
        pointer: std::borrow::Cow<'_, str>,
    ) -> LocationOut {
        let sid = inv.object(id).source;
        let file = match &self.last_file {
            Some((last, f)) if *last == sid => f.clone(),
            _ => {
                let f = self
                    .files
                    .entry(sid)
                    .or_insert_with(|| {
                        let src = inv.source(sid);
                        match src.kind {
                            SourceKind::Cluster { .. } | SourceKind::Runtime => None,
                            _ => Some(Arc::from(src.name.as_str())),
                        }
                    })
                    .clone();
                self.last_file = Some((sid, f.clone()));
                f
            }
        };
        locate_in(inv, id, pointer, file)
    }
}

/// Builds the report: resolves locations, sorts by file, line, rule, and counts.
pub fn build(
    inventory: &Inventory,
    findings: Vec<Finding>,
    mut errors: Vec<Diagnostic>,
    mut skipped: Vec<Skipped>,
    stats: &LoadStats,
) -> Report {
    use rayon::prelude::*;
    let t0 = std::time::Instant::now();
    // In parallel, each worker with its own caches of shared parts.
    let out: Vec<ReportFinding> = findings
        .into_par_iter()
        .map_init(Shared::default, |shared, f| {
            let fingerprint = fingerprint(&f, inventory);
            let related = f
                .related
                .into_iter()
                .map(|r| RelatedOut {
                    resource: (*shared.resource(inventory, r.object)).clone(),
                    location: shared.location(inventory, r.object, r.pointer.into()),
                    message: r.message,
                })
                .collect();
            ReportFinding {
                rule_id: f.rule.id,
                rule_name: f.rule.name,
                severity: f.severity,
                status: f.status,
                layer: f.rule.layer,
                title: f.rule.title,
                message: f.message,
                remediation: f.rule.fix,
                resource: f.object.map(|id| shared.resource(inventory, id)),
                location: f
                    .object
                    .map(|id| shared.location(inventory, id, f.pointer.into())),
                references: References {
                    rule: shared.refs(f.rule),
                    extra: f.references,
                },
                related,
                suppressed: f.suppressed,
                fingerprint,
                paths: None,
                redact_source: f.redact_source
                    || f.object
                        .is_some_and(|id| inventory.object(id).is("", "Secret")),
            }
        })
        .collect();
    // Sort by file, line, rule, ...: files are ranked once, so most comparisons are integer
    // comparisons; the full key only breaks ties.
    crate::timing("report/map", t0);
    let t0 = std::time::Instant::now();
    let mut files: Vec<Arc<str>> = out
        .iter()
        .filter_map(|f| f.location.as_ref()?.file.clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    files.sort_unstable();
    let rank: HashMap<Arc<str>, u32> = files
        .into_iter()
        .enumerate()
        .map(|(i, f)| (f, i as u32 + 1))
        .collect();
    let mut rules: Vec<&'static str> = out
        .iter()
        .map(|f| f.rule_id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    rules.sort_unstable();
    let rule_rank: HashMap<&'static str, u32> = rules
        .into_iter()
        .enumerate()
        .map(|(i, r)| (r, i as u32))
        .collect();
    // The first four parts of the sort key packed into one integer (object-less last, file
    // rank, line, rule rank), then the position: integer comparisons for almost every pair.
    let quick = |f: &ReportFinding| -> u128 {
        let loc = f.location.as_ref();
        let file = loc.and_then(|l| l.file.as_deref()).map_or(0, |n| rank[n]);
        let line = loc.and_then(|l| l.line).unwrap_or(0);
        (u128::from(f.resource.is_none()) << 127)
            | (u128::from(file) << 96)
            | (u128::from(line) << 64)
            | u128::from(rule_rank[f.rule_id])
    };
    let mut keys: Vec<(u128, u32)> = out
        .par_iter()
        .enumerate()
        .map(|(i, f)| (quick(f), i as u32))
        .collect();
    keys.par_sort_unstable_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| sort_key(&out[a.1 as usize]).cmp(&sort_key(&out[b.1 as usize])))
            .then(a.1.cmp(&b.1))
    });
    let order: Vec<usize> = keys.into_iter().map(|(_, i)| i as usize).collect();
    let mut slots: Vec<Option<ReportFinding>> = out.into_iter().map(Some).collect();
    let mut out: Vec<ReportFinding> = order
        .iter()
        .map(|&i| slots[i].take().expect("each position once"))
        .collect();
    crate::timing("report/sort", t0);
    out.dedup_by(|a, b| {
        a.fingerprint == b.fingerprint && a.message == b.message && a.location == b.location
    });
    // Any finding on a line that holds a secret value must not quote that line either (flow
    // style puts a whole container, env value included, on one line).
    let secret_lines: HashSet<(Arc<str>, u32)> = out
        .iter()
        .filter(|f| f.redact_source)
        .filter_map(|f| {
            let l = f.location.as_ref()?;
            Some((l.file.clone()?, l.line?))
        })
        .collect();
    if !secret_lines.is_empty() {
        for f in &mut out {
            let hit = f
                .location
                .as_ref()
                .is_some_and(|l| match (&l.file, l.line) {
                    (Some(file), Some(line)) => secret_lines.contains(&(file.clone(), line)),
                    _ => false,
                });
            if hit {
                f.redact_source = true;
            }
        }
    }
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
        coverage_gaps: inventory.clusters().map(|(_, c)| c.gaps.len()).sum(),
        errors: errors.iter().filter(|e| e.level == Level::Error).count(),
        warnings: errors.iter().filter(|e| e.level == Level::Warning).count(),
        ..Default::default()
    };
    summary.objects_by_kind = inventory
        .kind_counts()
        .map(|(k, n)| (k.to_string(), n))
        .collect();
    summary.findings = count(&out);
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
    bool,
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
        // Findings about the scan as a whole (no object) come after those about objects.
        f.resource.is_none(),
        loc.and_then(|l| l.file.as_deref()).unwrap_or(""),
        loc.and_then(|l| l.line).unwrap_or(0),
        f.rule_id,
        loc.and_then(|l| l.column).unwrap_or(0),
        f.resource.as_deref(),
        loc.map(|l| l.pointer.as_str()).unwrap_or(""),
        f.message.as_str(),
    )
}

/// The counts of `findings` by state, severity and layer.
fn count(findings: &[ReportFinding]) -> FindingCounts {
    let mut c = FindingCounts {
        total: findings.len(),
        ..Default::default()
    };
    for f in findings {
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
    c
}

impl Report {
    /// Merges the reports of several scans (one per kubeconfig context, say) into one:
    /// findings, errors and skipped documents concatenated and re-sorted (file, line, rule,
    /// resource, pointer, message), summaries added up. `None` when there is no report.
    pub fn merge(reports: impl IntoIterator<Item = Report>) -> Option<Report> {
        let mut reports = reports.into_iter();
        let mut first = reports.next()?;
        for r in reports {
            first.findings.extend(r.findings);
            first.errors.extend(r.errors);
            first.skipped.extend(r.skipped);
            first.summary.add(r.summary);
        }
        first
            .findings
            .sort_by(|a, b| merge_key(a).cmp(&merge_key(b)));
        first.errors.sort();
        first.skipped.sort();
        Some(first)
    }

    /// Keeps the findings `keep` accepts (the output filters) and counts again. Input errors
    /// and the object counts are unchanged.
    pub fn retain(&mut self, keep: impl FnMut(&ReportFinding) -> bool) {
        self.findings.retain(keep);
        self.summary.findings = count(&self.findings);
    }

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::{LoadOptions, load_text};

    fn report(name: &str, errors: Vec<Diagnostic>) -> Report {
        let l = load_text(
            name,
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
            &LoadOptions::default(),
        );
        build(&l.inventory, Vec::new(), errors, Vec::new(), &l.stats)
    }

    fn error(file: &str) -> Diagnostic {
        Diagnostic {
            file: file.into(),
            line: 0,
            column: 0,
            level: Level::Error,
            message: "bad".into(),
        }
    }

    #[test]
    fn merge_adds_counts_and_sorts_errors() {
        assert!(Report::merge(Vec::new()).is_none());
        let a = report("a.yaml", vec![error("z.yaml")]);
        let b = report("b.yaml", vec![error("a.yaml")]);
        let m = Report::merge([a, b]).unwrap();
        assert_eq!(m.summary.objects, 2);
        assert_eq!(m.summary.objects_by_kind.get("ConfigMap"), Some(&2));
        assert_eq!(m.summary.files, 2);
        let files: Vec<&str> = m.errors.iter().map(|e| e.file.as_str()).collect();
        assert_eq!(files, ["a.yaml", "z.yaml"]);
    }
}
