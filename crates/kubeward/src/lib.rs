//! The kubeward facade: the full rule registry, the scan pipeline used by the CLI, and the
//! generated rule documentation. The binary (`main.rs`) only parses arguments and prints.
//!
//! A scan is sources → inventories → rules and analyses → report: build [`Source`]s (files,
//! standard input, Kustomize, snapshots, cluster contexts, or your own type), then
//! [`scan`] them (or [`load`] and [`Scan::run_loaded`] for a step in between), and render the
//! report with `kubeward_report::render`.

use kubeward_cluster::{kubeconfig, snapshot};
use kubeward_core::config::Config;
use kubeward_core::engine::{Baseline, Engine, engine_rules};
use kubeward_core::input::{Diagnostic, LoadOptions, Loaded};
use kubeward_core::report::{self, Report};
use kubeward_core::{Registry, RuleMeta};
use std::fmt::Write;
use std::path::{Path, PathBuf};

pub use kubeward_cluster::source::{ClusterContext, Snapshot};
pub use kubeward_core::input::source::{Failed, Files, Kustomize, Scope, Source, Stdin, Text};

pub mod images;

/// Every rule kubeward knows, engine rules first.
pub fn registry() -> Registry {
    let mut r = Registry::new();
    r.extend(engine_rules());
    r.extend(kubeward_rules::rules());
    r.extend(kubeward_analysis::rules());
    r.extend(kubeward_etcd::rules());
    r.extend(kubeward_probe::rules());
    r.extend(kubeward_audit::rules());
    r.extend(kubeward_vuln::rules());
    r
}

/// Metadata of the rules that `config` enables for a scan (the audit-log detections run only
/// in `kubeward audit`, so scan reports do not list them as passed).
pub fn enabled_rules(registry: &Registry, config: &Config) -> Vec<&'static RuleMeta> {
    registry
        .iter()
        .filter(|r| config.rule_enabled(r.meta.id, r.meta.layer, r.meta.default_enabled))
        .filter(|r| {
            !kubeward_audit::rules::ALL
                .iter()
                .any(|a| std::ptr::eq(*a, *r))
        })
        .map(|r| &r.meta)
        .collect()
}

/// The result of a scan: what was loaded and what was found.
pub struct ScanOutcome {
    /// The (first) inventory, for renderers that show source lines or draw the inventory.
    pub loaded: Loaded,
    pub report: Report,
}

/// Why a scan could not run at all. Unreadable inputs are not errors here: they are
/// diagnostics in the report (exit code 2 in the CLI).
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("nothing to scan: no sources")]
    NoSources,
}

/// Sources for paths as a command line names them: `.kwsnap` files are snapshots, read offline;
/// every other path (files, folders, `-` for standard input) is read by one [`Files`] source,
/// so that files are parsed in parallel. Files come first, then snapshots in order.
pub fn path_sources<S: AsRef<str>>(paths: &[S], options: &LoadOptions) -> Vec<Box<dyn Source>> {
    let (snapshots, files): (Vec<&str>, Vec<&str>) = paths
        .iter()
        .map(AsRef::as_ref)
        .partition(|p| *p != "-" && snapshot::is_snapshot(Path::new(p)));
    let mut out: Vec<Box<dyn Source>> = Vec::new();
    if !files.is_empty() {
        out.push(Box::new(Files::new(&files, options.clone())));
    }
    for p in snapshots {
        out.push(Box::new(Snapshot {
            path: PathBuf::from(p),
            max_size: options.max_file_size.saturating_mul(4),
        }));
    }
    out
}

/// Reads `sources`, in order, into inventories: one shared by files, snapshots, standard input
/// and the first live cluster, then one per further cluster ([`Scope::Cluster`]), so analyses
/// never mix clusters. Always at least one (empty when there are no sources).
pub fn load(sources: &[Box<dyn Source>]) -> Vec<Loaded> {
    let mut out = vec![Loaded::default()];
    let mut cluster_seen = false;
    for s in sources {
        let target = match s.scope() {
            Scope::Shared => 0,
            Scope::Cluster if !cluster_seen => {
                cluster_seen = true;
                0
            }
            Scope::Cluster => {
                out.push(Loaded::default());
                out.len() - 1
            }
        };
        s.load_into(&mut out[target]);
    }
    // File facts (mode, owner) of the kubeconfigs read from files, for the KW-KCFG rules.
    for l in &mut out {
        kubeconfig::attach_file_meta(&mut l.inventory);
    }
    out
}

/// How to scan: the rules, their configuration and an optional baseline.
#[derive(Clone, Copy)]
pub struct Scan<'a> {
    pub registry: &'a Registry,
    pub config: &'a Config,
    pub baseline: Option<&'a Baseline>,
    /// Count the attack paths each finding is a step of and sort by them, most first
    /// (`scan --sort risk`).
    pub risk: bool,
}

impl Scan<'_> {
    /// Loads `sources` and scans them ([`load`], then [`Scan::run_loaded`]).
    pub fn run(&self, sources: &[Box<dyn Source>]) -> Result<ScanOutcome, ScanError> {
        if sources.is_empty() {
            return Err(ScanError::NoSources);
        }
        self.run_loaded(load(sources), |_| {})
    }

    /// Scans inventories loaded by [`load`]: `prepare` sees each before its rules run (to
    /// attach facts such as image vulnerabilities); the reports of several are merged
    /// ([`Report::merge`]); the outcome keeps the first inventory.
    pub fn run_loaded(
        &self,
        loads: Vec<Loaded>,
        mut prepare: impl FnMut(&Loaded),
    ) -> Result<ScanOutcome, ScanError> {
        let mut outcomes: Vec<ScanOutcome> = loads
            .into_iter()
            .map(|l| {
                prepare(&l);
                scan_loaded(l, self.registry, self.config, self.baseline)
            })
            .collect();
        if outcomes.is_empty() {
            return Err(ScanError::NoSources);
        }
        if self.risk {
            let t = std::time::Instant::now();
            for o in &mut outcomes {
                kubeward_analysis::paths::annotate(&mut o.report, &o.loaded.inventory);
            }
            kubeward_core::timing("paths", t);
        }
        let mut outcome = outcomes.remove(0);
        if !outcomes.is_empty() {
            let reports =
                std::iter::once(outcome.report).chain(outcomes.into_iter().map(|o| o.report));
            outcome.report = Report::merge(reports).ok_or(ScanError::NoSources)?;
            if self.risk {
                outcome
                    .report
                    .findings
                    .sort_by_key(|f| std::cmp::Reverse(f.paths.unwrap_or(0)));
            }
        }
        Ok(outcome)
    }
}

/// Loads every source, runs every enabled rule and builds one report: the library's single
/// entry for a scan of any inputs.
pub fn scan(
    sources: &[Box<dyn Source>],
    registry: &Registry,
    config: &Config,
    baseline: Option<&Baseline>,
) -> Result<ScanOutcome, ScanError> {
    Scan {
        registry,
        config,
        baseline,
        risk: false,
    }
    .run(sources)
}

/// Runs the rules over an already loaded inventory.
pub fn scan_loaded(
    loaded: Loaded,
    registry: &Registry,
    config: &Config,
    baseline: Option<&Baseline>,
) -> ScanOutcome {
    let key = config
        .settings
        .fingerprint_key
        .clone()
        .or_else(|| std::env::var("KUBEWARD_FINGERPRINT_KEY").ok())
        .filter(|k| !k.is_empty());
    kubeward_rules::set_fingerprint_key(key.as_deref());
    let t = std::time::Instant::now();
    let out = Engine { registry, config }.run(&loaded.inventory, &loaded.duplicates, baseline);
    kubeward_core::timing("rules", t);
    let t = std::time::Instant::now();
    let mut errors: Vec<Diagnostic> = loaded.diagnostics.clone();
    errors.extend(out.diagnostics);
    let mut report = report::build(
        &loaded.inventory,
        out.findings,
        errors,
        loaded.skipped.clone(),
        &loaded.stats,
    );
    // Findings on Kustomize output point at the files the objects and fields come from.
    kubeward_core::kustomize_origin::remap(&mut report, &loaded.inventory);
    kubeward_core::timing("report", t);
    ScanOutcome { loaded, report }
}

/// `docs/rules.md`, generated from the registry.
pub fn rules_markdown(registry: &Registry) -> String {
    let mut o = String::new();
    o.push_str("# kubeward rules\n\n");
    o.push_str(
        "Generated by `kubeward rules --format markdown`; do not edit by hand \
         (`cargo test -p kubeward` checks it is current; `KUBEWARD_BLESS=1 cargo test -p kubeward \
         docs` rewrites it).\n\n",
    );
    o.push_str("| ID | Layer | Severity | Title |\n|---|---|---|---|\n");
    for r in registry.sorted() {
        let m = &r.meta;
        let _ = writeln!(
            o,
            "| [{}](#{}) | {} | {} | {}{} |",
            m.id,
            m.id.to_ascii_lowercase(),
            m.layer,
            m.severity,
            m.title.replace('|', "\\|"),
            if m.default_enabled {
                ""
            } else {
                " (off by default)"
            }
        );
    }
    let mut layer = None;
    for r in registry.sorted() {
        let m = &r.meta;
        if layer != Some(m.layer) {
            layer = Some(m.layer);
            let _ = write!(o, "\n## Layer: {}\n\n{}.\n", m.layer, m.layer.describe());
        }
        let _ = write!(
            o,
            "\n### {}\n\n**{}** (`{}`): severity **{}**{}\n\n{}\n\n**Fix.** {}\n\n**References.**\n\n",
            m.id,
            m.title,
            m.name,
            m.severity,
            if m.default_enabled {
                ""
            } else {
                ", off by default"
            },
            m.why,
            m.fix
        );
        for (k, v) in m.references {
            let _ = writeln!(o, "- {k}: {v}");
        }
    }
    o
}

/// `kubeward explain ID` text.
pub fn explain(meta: &RuleMeta) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "{} {} ({})", meta.id, meta.title, meta.name);
    let _ = writeln!(
        o,
        "layer: {}    default severity: {}{}",
        meta.layer,
        meta.severity,
        if meta.default_enabled {
            ""
        } else {
            "    (off by default)"
        }
    );
    let _ = writeln!(o, "\nWhy it matters\n  {}", wrap(meta.why, 2));
    let _ = writeln!(o, "\nHow to fix it\n  {}", wrap(meta.fix, 2));
    let _ = writeln!(o, "\nReferences");
    for (k, v) in meta.references {
        let _ = writeln!(o, "  {k}: {v}");
    }
    let _ = writeln!(
        o,
        "\nSuppress on one object: metadata.annotations.\"kubeward.io/ignore\": \"{} -- reason\"",
        meta.id
    );
    o
}

fn wrap(text: &str, indent: usize) -> String {
    let mut out = String::new();
    let mut col = indent;
    for w in text.split_whitespace() {
        if col + w.len() > 92 && col > indent {
            out.push('\n');
            out.push_str(&" ".repeat(indent));
            col = indent;
        } else if col > indent {
            out.push(' ');
            col += 1;
        }
        out.push_str(w);
        col += w.len();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cluster-like source: text loaded into the inventory a live cluster would get.
    struct FakeCluster(&'static str);

    impl Source for FakeCluster {
        fn describe(&self) -> String {
            self.0.into()
        }
        fn load_into(&self, loaded: &mut Loaded) {
            let yaml = format!(
                "apiVersion: v1\nkind: ServiceAccount\nmetadata: {{name: {}, namespace: x}}\n",
                self.0
            );
            kubeward_core::input::load_text_into(self.0, &yaml, &LoadOptions::default(), loaded);
        }
        fn scope(&self) -> Scope {
            Scope::Cluster
        }
    }

    fn text(name: &str, yaml: &str) -> Box<dyn Source> {
        Box::new(Text {
            name: name.into(),
            text: yaml.into(),
            options: LoadOptions::default(),
        })
    }

    #[test]
    fn every_cluster_after_the_first_gets_an_inventory_of_its_own() {
        let pod = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n";
        let sources: Vec<Box<dyn Source>> = vec![
            text("a.yaml", pod),
            Box::new(FakeCluster("one")),
            text("b.yaml", pod),
            Box::new(FakeCluster("two")),
            Box::new(FakeCluster("three")),
        ];
        let loads = load(&sources);
        let names = |l: &Loaded| -> Vec<String> {
            l.inventory
                .sources()
                .iter()
                .map(|s| s.name.clone())
                .collect()
        };
        assert_eq!(loads.len(), 3);
        assert_eq!(names(&loads[0]), ["a.yaml", "one", "b.yaml"]);
        assert_eq!(names(&loads[1]), ["two"]);
        assert_eq!(names(&loads[2]), ["three"]);
    }

    #[test]
    fn a_scan_of_several_clusters_merges_their_reports() {
        let reg = registry();
        let config = Config::default();
        let one: Vec<Box<dyn Source>> = vec![Box::new(FakeCluster("one"))];
        let single = scan(&one, &reg, &config, None).unwrap().report;
        let two: Vec<Box<dyn Source>> =
            vec![Box::new(FakeCluster("one")), Box::new(FakeCluster("two"))];
        let merged = scan(&two, &reg, &config, None).unwrap().report;
        assert_eq!(merged.summary.objects, 2 * single.summary.objects);
        assert_eq!(merged.findings.len(), 2 * single.findings.len());
    }

    #[test]
    fn a_failed_source_is_an_input_error_and_no_source_is_a_scan_error() {
        let reg = registry();
        let config = Config::default();
        let failed: Vec<Box<dyn Source>> = vec![Box::new(Failed {
            file: "kubeconfig".into(),
            message: "no contexts".into(),
        })];
        let o = scan(&failed, &reg, &config, None).unwrap();
        assert_eq!(o.report.errors.len(), 1);
        assert_eq!(
            o.report.errors[0].to_string(),
            "error: kubeconfig: no contexts"
        );
        let err = scan(&[], &reg, &config, None).err().unwrap();
        assert_eq!(err.to_string(), "nothing to scan: no sources");
    }

    #[test]
    fn docs_rules_md_is_current() {
        let want = rules_markdown(&registry());
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/rules.md");
        if std::env::var_os("KUBEWARD_BLESS").is_some() {
            std::fs::write(path, &want).unwrap();
            return;
        }
        let have = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            have == want,
            "docs/rules.md is stale: run `KUBEWARD_BLESS=1 cargo test -p kubeward docs`"
        );
    }

    #[test]
    fn every_rule_has_valid_metadata() {
        for r in registry().iter() {
            kubeward_core::rule::validate_meta(&r.meta).unwrap();
        }
    }
}
