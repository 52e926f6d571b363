//! `kubeward node [--root DIR]`: the kubelet, control-plane components and host files of the
//! node this runs on (or of a node filesystem mounted at DIR), checked by the same rules as
//! manifests and clusters, with a CIS summary per section in text output.

use super::usage_error;
use clap::{Args, ValueEnum};
use kubeward::scan_loaded;
use kubeward_core::config::Config;
use kubeward_core::report::Report;
use kubeward_core::{Check, Inventory, Registry, Severity, Status, Targets};
use kubeward_report::text::TextOptions;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct NodeArgs {
    /// The node's root filesystem (with its /proc), e.g. a host mount in a DaemonSet.
    #[arg(long, default_value = "/", value_name = "DIR")]
    root: PathBuf,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = Fmt::Text)]
    format: Fmt,
    /// Exit 1 when an active finding has at least this severity (`none`: never).
    #[arg(long, default_value = "high")]
    fail_on: String,
    /// Kubernetes version (`v1.33.1`) when detection from manifests and paths is not enough;
    /// it selects the CIS benchmark.
    #[arg(long, value_name = "VERSION")]
    kubernetes_version: Option<String>,
    /// Also run the workload layers (containers, pod-to-node, ...) on static pods.
    #[arg(long)]
    all_layers: bool,
    /// Configuration file (rule selection, severities, ignores).
    #[arg(long)]
    config: Option<PathBuf>,
    /// List suppressed findings in text output.
    #[arg(long)]
    show_suppressed: bool,
    /// Check again every DURATION (`6h`, `30m`) and never exit: for a DaemonSet, whose pods
    /// must keep running. Each report goes to standard output.
    #[arg(long, value_name = "DURATION", value_parser = super::input::parse_duration)]
    every: Option<std::time::Duration>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Fmt {
    Text,
    Json,
    Sarif,
    Junit,
}

/// Layers that are about workloads rather than the node: off unless `--all-layers`.
const WORKLOAD_LAYERS: &[&str] = &[
    "containers",
    "pod-to-node",
    "pod-to-pod",
    "pod-to-api",
    "network",
];

pub fn run(args: NodeArgs) -> ExitCode {
    let Some(every) = args.every else {
        return run_once(&args);
    };
    loop {
        let code = run_once(&args);
        if code == ExitCode::from(2) && !args.root.is_dir() {
            return code;
        }
        std::thread::sleep(every);
    }
}

fn run_once(args: &NodeArgs) -> ExitCode {
    let fail_on = match args.fail_on.as_str() {
        "none" | "never" => None,
        s => match s.parse::<Severity>() {
            Ok(s) => Some(s),
            Err(e) => return usage_error(format!("--fail-on: {e}")),
        },
    };
    if !args.root.is_dir() {
        return usage_error(format!("--root {}: not a folder", args.root.display()));
    }
    let reg = kubeward::registry();
    let mut config = match &args.config {
        Some(p) => match Config::load(p, &reg) {
            Ok(c) => c,
            Err(e) => return usage_error(e),
        },
        None => Config::default(),
    };
    if !args.all_layers {
        for l in WORKLOAD_LAYERS {
            config.disable.push((*l).to_string());
        }
    }
    let scan = kubeward_node::scan(&kubeward_node::NodeOptions {
        root: args.root.clone(),
        version: args.kubernetes_version.clone(),
    });
    if scan.loaded.inventory.is_empty() {
        return usage_error(format!(
            "nothing of Kubernetes found under {} (no kubelet, static pods or control-plane files)",
            args.root.display()
        ));
    }
    let header = format!(
        "node {} ({} layout, Kubernetes {}, kubelet from {})",
        scan.hostname,
        scan.flavor.name(),
        scan.version.as_deref().unwrap_or("version unknown"),
        scan.kubelet
            .as_deref()
            .unwrap_or("nowhere: no command line found"),
    );
    let version = scan.version.clone();
    let outcome = scan_loaded(scan.loaded, &reg, &config, None);
    let report = &outcome.report;
    let rules = kubeward::enabled_rules(&reg, &config);
    let body = match args.format {
        Fmt::Text => {
            let mut t = format!("{header}\n\n");
            t.push_str(&kubeward_report::text::render(
                report,
                &outcome.loaded.inventory,
                TextOptions {
                    show_suppressed: args.show_suppressed,
                },
            ));
            t.push('\n');
            t.push_str(&render_summary(
                &cis_summary(&reg, &config, &outcome.loaded.inventory, report),
                version.as_deref(),
            ));
            t
        }
        Fmt::Json => kubeward_report::json::render(report),
        Fmt::Sarif => kubeward_report::sarif::render(report, &rules),
        Fmt::Junit => kubeward_report::junit::render(report, &rules),
    };
    if matches!(args.format, Fmt::Text) {
        let _ = anstream::stdout().write_all(body.as_bytes());
    } else {
        let _ = std::io::stdout().write_all(body.as_bytes());
    }
    if report.summary.errors > 0 {
        return ExitCode::from(2);
    }
    match fail_on {
        Some(s) if report.failing(s) > 0 => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    }
}

/// PASS / FAIL / WARN (could not decide) / INFO (not applicable or suppressed) per CIS section.
#[derive(Debug, Default, PartialEq)]
pub struct SectionCount {
    pub title: &'static str,
    pub pass: usize,
    pub fail: usize,
    pub warn: usize,
    pub info: usize,
}

/// The CIS ID without the benchmark suffix (`4.2.4 (cis-1.12)` → `4.2.4`); the first of a list.
fn bare(id: &str) -> &str {
    id.split(',')
        .next()
        .unwrap_or(id)
        .split(" (")
        .next()
        .unwrap_or(id)
        .trim()
}

/// Counts every check with a CIS ID: each finding, and each (rule, object) a node rule applies
/// to without a finding (a pass). Control-plane flag rules pass when their component is there.
pub fn cis_summary(
    reg: &Registry,
    config: &Config,
    inv: &Inventory,
    report: &Report,
) -> BTreeMap<String, SectionCount> {
    let mut out: BTreeMap<String, SectionCount> = BTreeMap::new();
    let mut bump = |id: &str, f: &dyn Fn(&mut SectionCount)| {
        let (sec, title) = kubeward_rules::support::kubelet_cis::section(bare(id));
        let e = out.entry(sec).or_default();
        e.title = title;
        f(e);
    };
    let mut with_findings: BTreeSet<(&str, String, String)> = BTreeSet::new();
    let mut rules_with_findings: BTreeSet<&str> = BTreeSet::new();
    for f in &report.findings {
        let Some(cis) = f.references.get("cis") else {
            continue;
        };
        if let Some(r) = &f.resource {
            with_findings.insert((f.rule_id, r.kind.clone(), r.name.clone()));
        }
        rules_with_findings.insert(f.rule_id);
        let status = if f.suppressed.is_some() {
            Status::NotApplicable
        } else {
            f.status
        };
        bump(cis, &|e| match status {
            Status::Fail => e.fail += 1,
            Status::Unknown => e.warn += 1,
            Status::NotApplicable => e.info += 1,
        });
    }
    let components = kubeward_rules::support::components::components(inv);
    for r in reg.iter() {
        if !config.rule_enabled(r.meta.id, r.meta.layer, r.meta.default_enabled) {
            continue;
        }
        match r.check {
            Check::Object {
                targets: Targets::Kinds(kinds),
                ..
            } if r.meta.id.starts_with("KW-NODE-") => {
                for kind in kinds {
                    for o in inv.of_kind(kind) {
                        let id = kubeward_rules::nodes::kubelet::cis_id(r.meta.id, o)
                            .or_else(|| kubeward_rules::nodes::files::cis_id(r.meta.id, o));
                        let Some(id) = id else { continue };
                        if !with_findings.contains(&(
                            r.meta.id,
                            o.kind.to_string(),
                            o.name.to_string(),
                        )) {
                            bump(id, &|e| e.pass += 1);
                        }
                    }
                }
            }
            Check::Inventory(_) if r.meta.id.starts_with("KW-CP-") => {
                if rules_with_findings.contains(r.meta.id) {
                    continue;
                }
                // The rule's component, from its CIS section.
                let Some((_, cis)) = r.meta.references.iter().find(|(k, _)| *k == "cis") else {
                    continue;
                };
                use kubeward_rules::support::components::Kind;
                let kind = match kubeward_rules::support::kubelet_cis::section(cis)
                    .0
                    .as_str()
                {
                    "1.2" => Kind::ApiServer,
                    "1.3" => Kind::ControllerManager,
                    "1.4" => Kind::Scheduler,
                    "2" => Kind::Etcd,
                    _ => continue,
                };
                let n = components.iter().filter(|c| c.kind == kind).count();
                for _ in 0..n {
                    bump(cis, &|e| e.pass += 1);
                }
            }
            _ => {}
        }
    }
    out
}

/// The kube-bench style table.
pub fn render_summary(sections: &BTreeMap<String, SectionCount>, version: Option<&str>) -> String {
    let mut t = String::new();
    let bench = kubeward_rules::support::kubelet_cis::benchmark(
        version.and_then(kubeward_core::inventory::parse_major_minor),
    );
    let _ = writeln!(
        t,
        "CIS Kubernetes Benchmark summary ({bench}{})",
        if version.is_none() {
            ", the newest: Kubernetes version unknown"
        } else {
            ""
        }
    );
    let _ = writeln!(
        t,
        "{:<8} {:<40} {:>5} {:>5} {:>5} {:>5}",
        "section", "", "PASS", "FAIL", "WARN", "INFO"
    );
    let mut total = SectionCount::default();
    let mut keys: Vec<&String> = sections.keys().collect();
    keys.sort_by_key(|k| {
        k.split('.')
            .map(|p| p.parse::<u32>().unwrap_or(0))
            .collect::<Vec<_>>()
    });
    for k in keys {
        let s = &sections[k];
        let _ = writeln!(
            t,
            "{:<8} {:<40} {:>5} {:>5} {:>5} {:>5}",
            k, s.title, s.pass, s.fail, s.warn, s.info
        );
        total.pass += s.pass;
        total.fail += s.fail;
        total.warn += s.warn;
        total.info += s.info;
    }
    let _ = writeln!(
        t,
        "{:<8} {:<40} {:>5} {:>5} {:>5} {:>5}",
        "total", "", total.pass, total.fail, total.warn, total.info
    );
    let _ = writeln!(
        t,
        "(WARN: could not be decided, with the reason in the finding; INFO: not applicable or suppressed)"
    );
    t
}
