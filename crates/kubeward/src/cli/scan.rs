//! `kubeward scan`: load, check, report, exit with 0/1/2.

use super::input::InputArgs;
use super::usage_error;
use clap::{Args, ValueEnum};
use kubeward::{enabled_rules, registry, scan_loaded};
use kubeward_core::Severity;
use kubeward_core::config::Config;
use kubeward_core::engine::Baseline;
use kubeward_core::report::baseline_json;
use kubeward_report::Format;
use kubeward_report::text::TextOptions;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct ScanArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Namespace given to namespaced objects that do not name one (like `kubectl apply -n`).
    #[arg(short = 'n', long)]
    namespace: Option<String>,
    /// Output format on standard output.
    #[arg(short, long, value_enum, default_value_t = OutFormat::Text)]
    format: OutFormat,
    /// Also write FORMAT to FILE (repeatable), e.g. `--output sarif=kubeward.sarif`.
    #[arg(short, long, value_name = "FORMAT=FILE")]
    output: Vec<String>,
    /// Exit 1 when an active finding has at least this severity (`none`: never).
    #[arg(long, default_value = "high", value_parser = parse_fail_on)]
    fail_on: FailOn,
    /// Configuration file (default: `.kubeward.yaml` found upward from the first path).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Ignore any `.kubeward.yaml`.
    #[arg(long, conflicts_with = "config")]
    no_config: bool,
    /// Findings in this baseline file are reported as suppressed.
    #[arg(long)]
    baseline: Option<PathBuf>,
    /// Write the current findings as a baseline file.
    #[arg(long)]
    write_baseline: Option<PathBuf>,
    /// Pod Security Standards profile, LEVEL[:VERSION] (privileged|baseline|restricted, v1.0..v1.37|latest).
    #[arg(long, value_name = "LEVEL[:VERSION]")]
    pod_security: Option<String>,
    /// List suppressed findings in text output.
    #[arg(long)]
    show_suppressed: bool,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Order of the findings. `risk`: compute attack paths (`kubeward paths`), give every
    /// finding a `paths` count (JSON `paths`, SARIF property `attack-paths`, text "on N attack
    /// paths") and list those on the most paths first. Without it the order is file, line,
    /// rule and no count is written.
    #[arg(long, value_enum)]
    sort: Option<SortBy>,
    /// Print a compliance view instead of the findings: every control of the framework as
    /// failed, passed or not checked (and why), from the rules' references. Text or JSON.
    #[arg(long, value_enum)]
    framework: Option<FrameworkArg>,
    /// Write the results to the cluster as wg-policy PolicyReports (one per namespace) and a
    /// ClusterPolicyReport, by server-side apply with field manager `kubeward` (needs
    /// --cluster, one context; RBAC in deploy/).
    #[arg(long)]
    apply_reports: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum FrameworkArg {
    /// CIS Kubernetes Benchmark.
    Cis,
    /// NSA/CISA Kubernetes Hardening Guide.
    Nsa,
    /// Pod Security Standards.
    Pss,
    /// MITRE ATT&CK for Containers.
    Mitre,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum SortBy {
    /// File, line, rule (the default order).
    File,
    /// Findings on the most attack paths first.
    Risk,
}

#[derive(Clone, Copy, ValueEnum)]
enum OutFormat {
    Text,
    Json,
    Sarif,
    Junit,
    /// One self-contained HTML page (summary, attack paths, filters; works offline).
    Html,
    /// wg-policy PolicyReport per namespace + ClusterPolicyReport (a JSON v1 List).
    Policyreport,
}

#[derive(Clone, Copy)]
enum FailOn {
    At(Severity),
    Never,
}

fn parse_fail_on(s: &str) -> Result<FailOn, String> {
    if s == "none" || s == "never" {
        Ok(FailOn::Never)
    } else {
        s.parse().map(FailOn::At)
    }
}

impl From<OutFormat> for Format {
    fn from(f: OutFormat) -> Format {
        match f {
            OutFormat::Text => Format::Text,
            OutFormat::Json => Format::Json,
            OutFormat::Sarif => Format::Sarif,
            OutFormat::Junit => Format::Junit,
            OutFormat::Html => Format::Html,
            OutFormat::Policyreport => Format::PolicyReport,
        }
    }
}

pub fn run(mut args: ScanArgs) -> ExitCode {
    if args.threads.is_some() {
        super::init_threads(args.threads);
    }
    if let Some(ns) = &args.namespace {
        args.input.default_namespace = ns.clone();
    }
    let reg = registry();
    let paths = args.input.paths();

    // Outputs, config and baseline are validated before any work.
    let mut outputs: Vec<(Format, PathBuf)> = Vec::new();
    for o in &args.output {
        let Some((fmt, file)) = o.split_once('=') else {
            return usage_error(format!("--output `{o}`: expected FORMAT=FILE"));
        };
        match fmt.parse::<Format>() {
            Ok(f) => outputs.push((f, PathBuf::from(file))),
            Err(e) => return usage_error(format!("--output `{o}`: {e}")),
        }
    }
    let mut config = if args.no_config {
        Config::default()
    } else {
        let path = args.config.clone().or_else(|| {
            paths
                .iter()
                .find(|p| *p != "-")
                .map(String::as_str)
                // A cluster-only scan looks for the config from the current folder.
                .or(args.input.cluster.wanted().then_some("."))
                .and_then(|p| Config::discover(std::path::Path::new(p)))
        });
        match path {
            Some(p) => match Config::load(&p, &reg) {
                Ok(c) => c,
                Err(e) => return usage_error(e),
            },
            None => Config::default(),
        }
    };
    if let Some(ps) = &args.pod_security {
        if let Err(e) = kubeward_core::config::PssProfile::parse(ps) {
            return usage_error(format!("--pod-security: {e}"));
        }
        config.settings.pod_security = ps.clone();
    }
    if args.apply_reports && (!args.input.cluster.wanted() || args.input.cluster.all_contexts) {
        return usage_error(
            "--apply-reports writes to one cluster: use it with --cluster (and not --all-contexts)",
        );
    }
    let baseline = match &args.baseline {
        Some(p) => match std::fs::read_to_string(p)
            .map_err(|e| e.to_string())
            .and_then(|t| Baseline::parse(&t))
        {
            Ok(b) => Some(b),
            Err(e) => return usage_error(format!("{}: {e}", p.display())),
        },
        None => None,
    };

    // One inventory per cluster context (--all-contexts), so analyses never mix clusters.
    let loads = args.input.load_each();
    if args.threads.is_none() && std::env::var_os("RAYON_NUM_THREADS").is_none() {
        // A few small files are checked on this thread (they were parsed on it too), unless
        // the thread count was chosen.
        super::init_threads(kubeward_core::input::is_small(&loads).then_some(1));
    }
    if std::env::var_os("KUBEWARD_TIMINGS").is_some() {
        eprintln!("timing: threads {}", rayon::current_num_threads());
    }
    let mut outcomes: Vec<_> = loads
        .into_iter()
        .map(|l| scan_loaded(l, &reg, &config, baseline.as_ref()))
        .collect();
    if args.sort == Some(SortBy::Risk) {
        let t = std::time::Instant::now();
        for o in &mut outcomes {
            kubeward_analysis::paths::annotate(&mut o.report, &o.loaded.inventory);
        }
        kubeward_core::timing("paths", t);
    }
    let mut outcome = outcomes.remove(0);
    if !outcomes.is_empty() {
        let mut reports = vec![outcome.report];
        reports.extend(outcomes.into_iter().map(|o| o.report));
        outcome.report = kubeward_cluster::merge_reports(reports).expect("one report at least");
        if args.sort == Some(SortBy::Risk) {
            outcome
                .report
                .findings
                .sort_by_key(|f| std::cmp::Reverse(f.paths.unwrap_or(0)));
        }
    }
    let report = &outcome.report;
    // The rule list only SARIF and JUnit print.
    let rules = std::cell::OnceCell::new();
    let rules = || rules.get_or_init(|| enabled_rules(&reg, &config));
    let render = |f: Format| -> String {
        match f {
            Format::Text => kubeward_report::text::render(
                report,
                &outcome.loaded.inventory,
                TextOptions {
                    show_suppressed: args.show_suppressed,
                },
            ),
            Format::Json => kubeward_report::json::render(report),
            Format::Sarif => kubeward_report::sarif::render(report, rules()),
            Format::Junit => kubeward_report::junit::render(report, rules()),
            Format::PolicyReport => kubeward_report::policyreport::render(report),
            Format::Html => kubeward_report::html::render(
                report,
                &outcome.loaded.inventory,
                &html_options(&outcome.loaded.inventory),
            ),
        }
    };
    for (fmt, file) in &outputs {
        let written = if *fmt == Format::Json {
            // JSON is streamed: a large scan's report is not built twice in memory.
            std::fs::File::create(file).and_then(|f| {
                let mut w = std::io::BufWriter::new(f);
                kubeward_report::json::write(report, &mut w)?;
                w.flush()
            })
        } else {
            let mut body = render(*fmt);
            if *fmt == Format::Text {
                body = anstream::adapter::strip_str(&body).to_string();
            }
            std::fs::write(file, body)
        };
        if let Err(e) = written {
            return usage_error(format!("cannot write {}: {e}", file.display()));
        }
    }
    if args.apply_reports {
        let objects = kubeward_report::policyreport::objects(report);
        let opts = args.input.cluster.options(None);
        match kubeward_cluster::apply::apply(&opts, &objects) {
            Ok(done) => {
                let _ = writeln!(
                    anstream::stderr(),
                    "applied {} report{} (field manager kubeward): {}",
                    done.len(),
                    if done.len() == 1 { "" } else { "s" },
                    done.join(", ")
                );
            }
            Err(e) => return usage_error(format!("--apply-reports: {e}")),
        }
    }
    if let Some(p) = &args.write_baseline {
        let body = serde_json::to_string_pretty(&baseline_json(report)).expect("json") + "\n";
        if let Err(e) = std::fs::write(p, body) {
            return usage_error(format!("cannot write {}: {e}", p.display()));
        }
    }
    let stdout_format: Format = args.format.into();
    let t = std::time::Instant::now();
    if let Some(fw) = args.framework {
        use kubeward_report::compliance::{self, Framework};
        let fw = match fw {
            FrameworkArg::Cis => Framework::Cis,
            FrameworkArg::Nsa => Framework::Nsa,
            FrameworkArg::Pss => Framework::Pss,
            FrameworkArg::Mitre => Framework::Mitre,
        };
        let view = compliance::evaluate(fw, report, rules(), evidence(&outcome.loaded.inventory));
        let body = match stdout_format {
            Format::Text => compliance::text(&view),
            Format::Json => compliance::json(&view),
            _ => {
                return usage_error(
                    "--framework prints text or json (use --output for other formats)",
                );
            }
        };
        let mut out = std::io::stdout();
        let _ = out.write_all(body.as_bytes());
        let _ = out.flush();
    } else if stdout_format == Format::Json {
        // The findings come in blocks of 12 KiB or more, which a buffer this size passes
        // straight through (a 64 KiB one copied them); it gathers the small writes around.
        let mut out = std::io::BufWriter::with_capacity(8 * 1024, std::io::stdout().lock());
        let _ = kubeward_report::json::write(report, &mut out);
        let _ = out.flush();
    } else if stdout_format == Format::Text {
        let body = render(stdout_format);
        let mut out = anstream::stdout();
        let _ = out.write_all(body.as_bytes());
        let _ = out.flush();
    } else {
        // Machine formats never carry colour.
        let body = render(stdout_format);
        let mut out = std::io::stdout();
        let _ = out.write_all(body.as_bytes());
        let _ = out.flush();
    }

    kubeward_core::timing("output", t);
    let code = exit_code(&outcome, &args, stdout_format);
    // The inventory and report are about to be discarded with the process: freeing a large
    // scan's trees one by one would only add to its run time.
    std::mem::forget(outcome);
    code
}

/// What the input lets the compliance view see.
fn evidence(inv: &kubeward_core::Inventory) -> kubeward_report::compliance::Evidence {
    let components = [
        "kube-apiserver",
        "kube-controller-manager",
        "kube-scheduler",
        "etcd",
    ];
    let cluster = inv.clusters().next().is_some();
    kubeward_report::compliance::Evidence {
        objects: !inv.is_empty(),
        workloads: inv
            .objects()
            .iter()
            .any(|o| kubeward_core::PodSpec::of(o).is_some()),
        control_plane: cluster
            || inv.of_kind("Pod").any(|p| {
                p.label("component")
                    .is_some_and(|c| components.contains(&c))
                    || components.iter().any(|c| p.name.starts_with(c))
            }),
        cluster,
    }
}

/// The top attack paths drawn for the HTML page.
fn html_options(inv: &kubeward_core::Inventory) -> kubeward_report::html::HtmlOptions {
    let p = kubeward_analysis::paths::analyze(inv);
    let m = kubeward_analysis::paths::render::model(&p, inv, 5);
    let drawn = m
        .paths
        .iter()
        .map(|path| {
            let mut vertices = vec![path.entry.clone()];
            vertices.extend(path.hops.iter().map(|h| h.to.clone()));
            let hops = path
                .hops
                .iter()
                .map(|h| {
                    let mut rules: Vec<&str> = h
                        .steps
                        .iter()
                        .filter_map(|id| m.steps.iter().find(|s| &s.id == id))
                        .flat_map(|s| s.findings.iter().map(|f| f.rule_id))
                        .collect();
                    rules.sort_unstable();
                    rules.dedup();
                    rules.join(", ")
                })
                .collect();
            kubeward_report::html::DrawnPath {
                title: format!(
                    "#{} score {}: {} → {}",
                    path.rank, path.score, path.entry, path.target
                ),
                vertices,
                hops,
            }
        })
        .collect();
    kubeward_report::html::HtmlOptions {
        paths: Some(drawn),
        total_paths: m.total_paths,
    }
}

fn exit_code(outcome: &kubeward::ScanOutcome, args: &ScanArgs, stdout_format: Format) -> ExitCode {
    let report = &outcome.report;
    if report.summary.errors > 0 {
        if stdout_format != Format::Text {
            let _ = writeln!(
                anstream::stderr(),
                "\x1b[1;31merror\x1b[0m: {} input error{} (listed in the report); exit code 2",
                report.summary.errors,
                if report.summary.errors == 1 { "" } else { "s" }
            );
        }
        return ExitCode::from(2);
    }
    if report.summary.objects == 0 {
        return usage_error(format!(
            "no Kubernetes objects found in {}",
            super::input::describe_inputs(&args.input)
        ));
    }
    match args.fail_on {
        FailOn::At(s) if report.failing(s) > 0 => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    }
}
