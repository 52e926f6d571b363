//! Runs the enabled rules over an inventory, then applies severity overrides and suppression.

use crate::config::{Config, today};
use crate::finding::{Finding, Layer, Severity, Status, Suppression};
use crate::input::{Diagnostic, Level};
use crate::inventory::{Inventory, Object, ObjectId};
use crate::podspec::PodSpec;
use crate::rule::{Check, Emitter, InventoryCtx, ObjectCtx, Registry, Rule, RuleMeta, Targets};
use crate::yaml::Duplicate;
use foldhash::{HashMap, HashMapExt};
use rayon::prelude::*;

pub use crate::finding::fingerprint;
pub use crate::inventory::IGNORE_ANNOTATION;

/// Findings the engine makes itself while reading input.
pub static DUPLICATE_KEY: Rule = Rule {
    meta: RuleMeta {
        id: "KW-GEN-001",
        name: "duplicate-key",
        layer: Layer::ControlPlane,
        severity: Severity::High,
        title: "A mapping key is written twice and only the last value counts",
        why: "The API server decodes manifests leniently and keeps the last of two equal keys \
              (or lets a later `<<` merge override an earlier key), while a reviewer, and many \
              tools, read the first. `privileged: false` followed further down by \
              `privileged: true` passes review and runs privileged. kubeward checks the value the \
              API server keeps, and reports the ambiguity itself.",
        fix: "Delete the duplicate so each key appears once, and keep the value you intend.",
        references: &[
            (
                "docs",
                "https://github.com/kubernetes/kubernetes/issues/77006",
            ),
            ("mitre", "T1562"),
        ],
        default_enabled: true,
    },
    check: Check::Engine,
};

/// Rules owned by the engine.
pub fn engine_rules() -> [&'static Rule; 1] {
    [&DUPLICATE_KEY]
}

pub use crate::baseline::Baseline;

/// Inventories with fewer objects than this are checked on the calling thread.
const SEQUENTIAL_BELOW: usize = 16;

pub struct Engine<'a> {
    pub registry: &'a Registry,
    pub config: &'a Config,
}

/// What the engine produced.
#[derive(Debug, Default)]
pub struct EngineOutput {
    pub findings: Vec<Finding>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Engine<'_> {
    /// Runs every enabled rule. `duplicates` are the duplicate keys found while loading.
    pub fn run(
        &self,
        inventory: &Inventory,
        duplicates: &[(ObjectId, Duplicate)],
        baseline: Option<&Baseline>,
    ) -> EngineOutput {
        let enabled: Vec<&'static Rule> = self
            .registry
            .iter()
            .filter(|r| {
                self.config
                    .rule_enabled(r.meta.id, r.meta.layer, r.meta.default_enabled)
            })
            .collect();
        let object_rules: Vec<(&'static RuleMeta, Targets, crate::rule::ObjectCheck)> = enabled
            .iter()
            .filter_map(|r| match r.check {
                Check::Object { targets, run } => Some((&r.meta, targets, run)),
                _ => None,
            })
            .collect();
        let inventory_rules: Vec<(&'static RuleMeta, crate::rule::InventoryCheck)> = enabled
            .iter()
            .filter_map(|r| match r.check {
                Check::Inventory(run) => Some((&r.meta, run)),
                _ => None,
            })
            .collect();
        let settings = &self.config.settings;

        // With KUBEWARD_TIMINGS=rules, the time spent in each object rule (summed over threads;
        // the clock reads themselves add to the total).
        let timed = std::env::var_os("KUBEWARD_TIMINGS").is_some_and(|v| v == "rules");
        let spent: Vec<std::sync::atomic::AtomicU64> = (0..object_rules.len())
            .map(|_| std::sync::atomic::AtomicU64::new(0))
            .collect();
        let t = std::time::Instant::now();
        // Small inventories (an admission request, a node) run on the calling thread: handing
        // one object to the thread pool costs more than its rules, and a server calling from
        // its own worker threads should not wait on another pool.
        let sequential = inventory.objects().len() < SEQUENTIAL_BELOW;
        let per_object = |mut out: Vec<Finding>, object: &Object| {
            let pod = PodSpec::of(object);
            // Findings on a custom resource's pod spec say where kubeward found it.
            let note = pod
                .as_ref()
                .filter(|p| p.found != crate::podspec::Found::BuiltIn)
                .map(|p| p.found_note());
            let ctx = ObjectCtx {
                object,
                pod: pod.as_ref(),
                inventory,
                settings,
            };
            for (i, (meta, targets, run)) in object_rules.iter().enumerate() {
                let applies = match targets {
                    Targets::All => true,
                    Targets::PodSpecs => pod.is_some(),
                    Targets::Kinds(kinds) => kinds.contains(&object.kind.as_str()),
                };
                if applies {
                    let before = out.len();
                    if timed {
                        let t = std::time::Instant::now();
                        run(&ctx, &mut Emitter::new(meta, &mut out));
                        spent[i].fetch_add(
                            t.elapsed().as_nanos() as u64,
                            std::sync::atomic::Ordering::Relaxed,
                        );
                    } else {
                        run(&ctx, &mut Emitter::new(meta, &mut out));
                    }
                    if let (Some(note), Targets::PodSpecs) = (&note, targets) {
                        for f in &mut out[before..] {
                            f.message.push_str(note);
                        }
                    }
                }
            }
            let pod_rules = object_rules
                .iter()
                .filter(|(_, targets, _)| matches!(targets, Targets::PodSpecs))
                .map(|(meta, _, run)| (*meta, *run));
            run_template_pods(object, inventory, settings, pod_rules, &mut out);
            out
        };
        let mut findings: Vec<Finding> = if sequential {
            inventory.objects().iter().fold(Vec::new(), per_object)
        } else {
            inventory
                .objects()
                .par_iter()
                .fold(Vec::new, per_object)
                .reduce(Vec::new, |mut a, mut b| {
                    a.append(&mut b);
                    a
                })
        };

        crate::timing("object rules", t);
        if timed {
            for (i, (meta, _, _)) in object_rules.iter().enumerate() {
                let ms = spent[i].load(std::sync::atomic::Ordering::Relaxed) as f64 / 1e6;
                eprintln!("timing: {:<12} {ms:>8.3} ms (object rule)", meta.id);
            }
        }
        let per_rule = |(meta, run): &(&'static RuleMeta, crate::rule::InventoryCheck)| {
            let mut out = Vec::new();
            let ctx = InventoryCtx {
                inventory,
                settings,
            };
            let t = std::time::Instant::now();
            run(&ctx, &mut Emitter::new(meta, &mut out));
            if timed {
                let ms = t.elapsed().as_secs_f64() * 1e3;
                eprintln!("timing: {:<12} {ms:>8.3} ms (inventory rule)", meta.id);
            } else if t.elapsed().as_millis() >= 20 {
                crate::timing(meta.id, t);
            }
            out
        };
        let mut more: Vec<Finding> = if sequential {
            inventory_rules.iter().flat_map(per_rule).collect()
        } else {
            inventory_rules.par_iter().flat_map_iter(per_rule).collect()
        };
        findings.append(&mut more);
        crate::timing("all rules", t);

        if enabled.iter().any(|r| std::ptr::eq(*r, &DUPLICATE_KEY)) {
            for (id, d) in duplicates {
                let mut f = Finding::new(
                    &DUPLICATE_KEY.meta,
                    Some(*id),
                    d.pointer.clone(),
                    if d.by_merge {
                        format!(
                            "a `<<` merge replaces `{}` written at line {}; the merged value is the one the API server keeps",
                            d.key, d.first.line
                        )
                    } else {
                        format!(
                            "`{}` is written twice (first at line {}); the API server keeps this last value",
                            d.key, d.first.line
                        )
                    },
                );
                f.severity = DUPLICATE_KEY.meta.severity;
                findings.push(f);
            }
        }

        let mut diagnostics = Vec::new();
        for f in &mut findings {
            if let Some(s) = self.config.severity.get(f.rule.id) {
                f.severity = *s;
            }
            scope_control_plane(inventory, f);
        }
        let t = std::time::Instant::now();
        self.suppress(inventory, &mut findings, baseline, &mut diagnostics);
        crate::timing("suppress", t);
        EngineOutput {
            findings,
            diagnostics,
        }
    }

    fn suppress(
        &self,
        inventory: &Inventory,
        findings: &mut [Finding],
        baseline: Option<&Baseline>,
        diagnostics: &mut Vec<Diagnostic>,
    ) {
        // Annotations, parsed once per object that has findings.
        let mut annotations: HashMap<ObjectId, Ignores> = HashMap::new();
        let today = today();
        let (expired, live): (Vec<_>, Vec<_>) = self
            .config
            .ignores
            .iter()
            .partition(|i| i.is_expired(today));
        for ig in expired {
            let (y, m, d) = ig.expires.unwrap_or_default();
            diagnostics.push(Diagnostic {
                file: ig.file.clone(),
                line: ig.line,
                column: ig.column,
                level: Level::Warning,
                message: format!(
                    "this ignore expired on {y:04}-{m:02}-{d:02} and no longer applies (reason was: {})",
                    ig.reason
                ),
            });
        }
        for f in findings.iter_mut() {
            let Some(id) = f.object else {
                if let Some(b) = baseline {
                    if b.fingerprints.contains(&fingerprint(f, inventory)) {
                        f.suppressed = Some(Suppression {
                            by: "baseline".into(),
                            reason: "present in the baseline".into(),
                        });
                    }
                }
                continue;
            };
            let obj = inventory.object(id);
            // Annotations are parsed once, and only on objects the loader saw carrying one.
            let ann = if inventory.has_ignore_annotation(id) {
                annotations
                    .entry(id)
                    .or_insert_with(|| parse_ignore_annotations(obj, inventory, diagnostics))
                    .as_slice()
            } else {
                &[]
            };
            if let Some((.., reason)) = ann.iter().find(|(r, scope, _)| {
                (r == "*" || r.eq_ignore_ascii_case(f.rule.id))
                    && scope.as_deref().is_none_or(|s| within(&f.pointer, s))
            }) {
                f.suppressed = Some(Suppression {
                    by: "annotation".into(),
                    reason: reason.clone(),
                });
                continue;
            }
            if let Some(ig) = live
                .iter()
                .find(|i| i.matches(f.rule.id, &obj.kind, obj.namespace(), &obj.name))
            {
                f.suppressed = Some(Suppression {
                    by: "config".into(),
                    reason: format!("{} ({})", ig.reason, ig.location),
                });
                continue;
            }
            if let Some(b) = baseline {
                if b.fingerprints.contains(&fingerprint(f, inventory)) {
                    f.suppressed = Some(Suppression {
                        by: "baseline".into(),
                        reason: "present in the baseline".into(),
                    });
                }
            }
        }
    }
}

/// Runs the pod rules on the pods an Argo Workflows object's templates run, and moves their
/// findings onto the object at the template's fields. A fact shared by several templates
/// (the workflow's own `hostNetwork: true`) gives one finding that names them all.
fn run_template_pods(
    object: &Object,
    inventory: &Inventory,
    settings: &crate::settings::Settings,
    pod_rules: impl Iterator<Item = (&'static RuleMeta, crate::rule::ObjectCheck)> + Clone,
    out: &mut Vec<Finding>,
) {
    let pods = crate::argo::template_pods(object);
    if pods.is_empty() {
        return;
    }
    // (rule, pointer, message) → index in `found`, with the templates that gave it.
    let mut found: Vec<(Finding, Vec<&str>)> = Vec::new();
    let mut seen: HashMap<(&'static str, String, String), usize> = HashMap::new();
    for tp in &pods {
        let Some(pod) = tp.pod_spec() else { continue };
        let ctx = ObjectCtx {
            object: &tp.object,
            pod: Some(&pod),
            inventory,
            settings,
        };
        let mut mine = Vec::new();
        for (meta, run) in pod_rules.clone() {
            run(&ctx, &mut Emitter::new(meta, &mut mine));
        }
        for mut f in mine {
            f.pointer = tp.real_pointer(&f.pointer);
            for r in &mut f.related {
                if r.object == object.id {
                    r.pointer = tp.real_pointer(&r.pointer);
                }
            }
            let key = (f.rule.id, f.pointer.clone(), f.message.clone());
            match seen.get(&key) {
                Some(&i) => found[i].1.push(&tp.template),
                None => {
                    seen.insert(key, found.len());
                    found.push((f, vec![&tp.template]));
                }
            }
        }
    }
    for (mut f, templates) in found {
        let names: Vec<String> = templates.iter().map(|t| format!("\"{t}\"")).collect();
        let noun = if names.len() == 1 {
            "template"
        } else {
            "templates"
        };
        f.message
            .push_str(&format!(" [Argo {noun} {}]", names.join(", ")));
        out.push(f);
    }
}

/// `(rule ID or "*", scope, reason)` triples of an object's ignore annotations; a scope is a
/// pointer the finding must be at or below (an Argo Workflows template's own annotation).
type Ignores = Vec<(String, Option<String>, String)>;

/// Whether `pointer` is `prefix` or below it.
fn within(pointer: &str, prefix: &str) -> bool {
    pointer
        .strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// Reads `kubeward.io/ignore` from the object, from its pod template, and from the pod
/// metadata of Argo Workflows templates.
fn parse_ignore_annotations(
    obj: &Object,
    inventory: &Inventory,
    diagnostics: &mut Vec<Diagnostic>,
) -> Ignores {
    let mut out = Vec::new();
    let mut places: Vec<(&crate::tree::Node, Option<String>)> = Vec::new();
    if let Some(v) = obj.annotations().and_then(|a| a.get(IGNORE_ANNOTATION)) {
        places.push((v, None));
    }
    if let Some(pod) = PodSpec::of(obj) {
        if pod.meta_ptr != "/metadata" {
            if let Some(v) = pod.annotations().and_then(|a| a.get(IGNORE_ANNOTATION)) {
                places.push((v, None));
            }
        }
    }
    for (_, annotations, scope) in crate::argo::pod_annotations(obj) {
        if let Some(v) = annotations.get(IGNORE_ANNOTATION) {
            places.push((v, scope));
        }
    }
    for (node, scope) in places {
        let Some(text) = node.as_str() else { continue };
        let (ids, reason) = match text.split_once("--") {
            Some((ids, reason)) => (ids, reason.trim()),
            None => (text, ""),
        };
        let reason = if reason.is_empty() {
            "no reason given in the annotation".to_string()
        } else {
            reason.to_string()
        };
        for id in ids
            .split([',', ' '])
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let valid = id == "*"
                || (id.starts_with("KW-") || id.starts_with("kw-")) && id.split('-').count() == 3;
            if !valid {
                let src = inventory.source(obj.source);
                diagnostics.push(Diagnostic {
                    file: src.name.clone(),
                    line: node.span.line,
                    column: node.span.col,
                    level: Level::Warning,
                    message: format!(
                        "`{IGNORE_ANNOTATION}` names `{id}`, which is not a rule ID (expected `KW-AREA-NNN[,...] -- reason`)"
                    ),
                });
                continue;
            }
            out.push((id.to_ascii_uppercase(), scope.clone(), reason.clone()));
        }
    }
    out
}

/// The control-plane components' own static pods (kube-apiserver, etcd, ...) are laid down by
/// the distribution: workload advice on them (run as non-root, a NetworkPolicy, a digest) is
/// for the distribution, not the cluster's owner, who acts on their flags (the KW-CP rules).
/// Such findings stay in the report, marked not applicable with the reason.
fn scope_control_plane(inventory: &Inventory, f: &mut Finding) {
    if f.status == Status::NotApplicable {
        return;
    }
    let workload_layer = matches!(
        f.rule.layer,
        Layer::Containers | Layer::PodToNode | Layer::PodToPod | Layer::PodToApi | Layer::Network
    );
    if !workload_layer {
        return;
    }
    let Some(id) = f.object else { return };
    let object = inventory.object(id);
    if let Some(component) = control_plane_static_pod(object) {
        f.status = Status::NotApplicable;
        f.message.push_str(&format!(
            " (not applicable: {component} is a control-plane static pod whose manifest the \
             distribution writes; its settings are checked through its flags by the KW-CP rules)"
        ));
    }
}

/// The component, when `object` is a control-plane static pod (or its mirror pod): a Pod in
/// kube-system labelled as kubeadm, RKE2 and most distributions label them.
pub fn control_plane_static_pod(object: &Object) -> Option<&str> {
    const COMPONENTS: &[&str] = &[
        "kube-apiserver",
        "kube-controller-manager",
        "kube-scheduler",
        "etcd",
        "cloud-controller-manager",
    ];
    if object.kind != "Pod" || object.group() != "" || object.namespace() != Some("kube-system") {
        return None;
    }
    let labels = object.labels()?;
    let component = labels.str_at("component")?;
    COMPONENTS.contains(&component).then_some(component)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::meta::RuleMeta;

    fn privileged(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
        let Some(pod) = ctx.pod else { return };
        for c in pod.containers() {
            if c.security_context().and_then(|s| s.bool_at("privileged")) == Some(true) {
                out.report(
                    ctx.object,
                    c.ptr(&["securityContext", "privileged"]),
                    format!("{} runs privileged", c.describe()),
                );
            }
        }
        if pod.spec.bool_at("hostNetwork") == Some(true) {
            out.report(
                ctx.object,
                pod.ptr(&["hostNetwork"]),
                "the pod uses the host network",
            );
        }
    }

    static TEST_RULE: Rule = Rule {
        meta: RuleMeta {
            id: "KW-TST-001",
            name: "test",
            layer: Layer::PodToNode,
            severity: Severity::High,
            title: "A test rule for the engine",
            why: "Tests the engine.",
            fix: "Nothing to fix.",
            references: &[("docs", "https://example.com")],
            default_enabled: true,
        },
        check: Check::Object {
            targets: Targets::PodSpecs,
            run: privileged,
        },
    };

    fn scan(yaml: &str) -> (crate::input::Loaded, Vec<Finding>) {
        let loaded = crate::testing::load(yaml);
        let mut registry = Registry::new();
        registry.extend([&TEST_RULE]);
        let config = Config::default();
        let out = Engine {
            registry: &registry,
            config: &config,
        }
        .run(&loaded.inventory, &loaded.duplicates, None);
        (loaded, out.findings)
    }

    const WORKFLOW: &str = "apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  name: wf
  annotations: {kubeward.io/ignore: \"KW-TST-001 -- CI runner, reviewed\"}
spec:
  hostNetwork: true
  templates:
  - name: a
    container: {image: x, securityContext: {privileged: true}}
  - name: b
    containerSet:
      containers:
      - {name: one, image: x}
      - {name: two, image: x, securityContext: {privileged: true}}
  - name: c
    steps: [[{name: s, template: a}]]
";

    #[test]
    fn argo_template_findings_land_on_the_workflow() {
        let (loaded, findings) = scan(WORKFLOW);
        let obj = &loaded.inventory.objects()[0];
        let mut got: Vec<(String, u32, String)> = findings
            .iter()
            .map(|f| {
                assert_eq!(f.object, Some(obj.id));
                (
                    f.pointer.clone(),
                    obj.span_of(&f.pointer).line,
                    f.message.clone(),
                )
            })
            .collect();
        got.sort();
        assert_eq!(
            got,
            [
                (
                    "/spec/hostNetwork".to_string(),
                    7,
                    "the pod uses the host network [Argo templates \"a\", \"b\"]".to_string()
                ),
                (
                    "/spec/templates/0/container/securityContext/privileged".to_string(),
                    10,
                    "container \"main\" runs privileged [Argo template \"a\"]".to_string()
                ),
                (
                    "/spec/templates/1/containerSet/containers/1/securityContext/privileged"
                        .to_string(),
                    15,
                    "container \"two\" runs privileged [Argo template \"b\"]".to_string()
                ),
            ]
        );
        // The workflow's ignore annotation covers its templates' findings.
        for f in &findings {
            let s = f.suppressed.as_ref().expect("suppressed by the annotation");
            assert_eq!(
                (s.by.as_str(), s.reason.as_str()),
                ("annotation", "CI runner, reviewed")
            );
        }
        // Without the annotation they are active.
        let (_, findings) = scan(&WORKFLOW.replace("KW-TST-001", "KW-TST-002"));
        assert_eq!(findings.len(), 3);
        assert!(findings.iter().all(|f| f.suppressed.is_none()));
    }

    #[test]
    fn argo_pod_annotations_suppress_their_templates_findings() {
        // A template's own annotation covers findings in that template only; one naming no
        // rule is reported with its line.
        let yaml = WORKFLOW
            .replace("KW-TST-001", "KW-TST-002")
            .replace(
                "  - name: a\n",
                "  - name: a\n    metadata:\n      annotations: {kubeward.io/ignore: \"KW-TST-001 -- needs the device\"}\n",
            )
            .replace(
                "  - name: b\n",
                "  - name: b\n    metadata: {annotations: {kubeward.io/ignore: \"oops -- x\"}}\n",
            );
        let loaded = crate::testing::load(&yaml);
        let mut registry = Registry::new();
        registry.extend([&TEST_RULE]);
        let config = Config::default();
        let out = Engine {
            registry: &registry,
            config: &config,
        }
        .run(&loaded.inventory, &loaded.duplicates, None);
        let mut got: Vec<(&str, Option<&str>)> = out
            .findings
            .iter()
            .map(|f| {
                (
                    f.pointer.as_str(),
                    f.suppressed.as_ref().map(|s| s.reason.as_str()),
                )
            })
            .collect();
        got.sort();
        assert_eq!(
            got,
            [
                ("/spec/hostNetwork", None),
                (
                    "/spec/templates/0/container/securityContext/privileged",
                    Some("needs the device")
                ),
                (
                    "/spec/templates/1/containerSet/containers/1/securityContext/privileged",
                    None
                ),
            ]
        );
        assert_eq!(out.diagnostics.len(), 1, "{:?}", out.diagnostics);
        assert_eq!(out.diagnostics[0].line, 14);
        assert!(out.diagnostics[0].message.contains("`oops`"));
        // spec.podMetadata covers every template's pod.
        let yaml = WORKFLOW.replace("KW-TST-001", "KW-TST-002").replace(
            "  hostNetwork: true\n",
            "  hostNetwork: true\n  podMetadata:\n    annotations: {kubeward.io/ignore: \"* -- sandboxed runner\"}\n",
        );
        let (_, findings) = scan(&yaml);
        assert_eq!(findings.len(), 3);
        assert!(findings.iter().all(|f| f.suppressed.is_some()));
    }

    #[test]
    fn hex16_is_what_the_formatter_writes() {
        for h in [
            0,
            1,
            0xf,
            0x10,
            0xdead_beef,
            u64::MAX,
            0x0123_4567_89ab_cdef,
            1 << 63,
        ] {
            assert_eq!(crate::finding::hex16(h), format!("{h:016x}"));
        }
    }
}
