//! `kubeward scan`: load, check, report, exit with 0/1/2.

use super::input::InputArgs;
use super::usage_error;
use clap::{Args, ValueEnum};
use kubeward::{enabled_rules, registry};
use kubeward_core::Severity;
use kubeward_core::config::Config;
use kubeward_core::engine::Baseline;
use kubeward_core::report::baseline_json;
use kubeward_report::text::TextOptions;
use kubeward_report::{Format, RenderContext};
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
    #[arg(short, long, value_enum, default_value_t = Format::Text)]
    format: Format,
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
    /// Accept a cluster scan that could not read everything (KW-CP-001): exit with the
    /// findings' status instead of 2.
    #[arg(long)]
    allow_partial: bool,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Vulnerability report of an image (Trivy `--format json`, Grype JSON) or CycloneDX VEX,
    /// attached to the workloads that run the image (repeatable).
    #[arg(long, value_name = "FILE")]
    vuln_report: Vec<PathBuf>,
    /// Read the images the workloads run from their registries (the one network access of a
    /// file scan, to the registries the manifests name) and match what they hold against the
    /// offline vulnerability database (KW-VULN-001..003).
    #[arg(long)]
    images: bool,
    /// Vulnerability database folder for --images (default: settings.vuln_db, else
    /// $KUBEWARD_VULN_DB, else $XDG_CACHE_HOME/kubeward/vuln).
    #[arg(long, value_name = "DIR", requires = "images")]
    vuln_db: Option<PathBuf>,
    /// Where --images caches image contents by digest (default:
    /// $XDG_CACHE_HOME/kubeward/images); `none` turns the cache off.
    #[arg(long, value_name = "DIR", requires = "images")]
    image_cache: Option<PathBuf>,
    /// Platform read from multi-platform images (default: linux and this machine's
    /// architecture).
    #[arg(long, value_name = "OS/ARCH[/VARIANT]", requires = "images")]
    image_platform: Option<String>,
    /// Docker config with registry credentials for --images (default: $DOCKER_CONFIG/config.json,
    /// else ~/.docker/config.json).
    #[arg(long, value_name = "FILE", requires = "images")]
    docker_config: Option<PathBuf>,
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
    #[command(flatten)]
    filters: FilterArgs,
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

/// Which findings are shown (and counted for the exit code). Rules still run; input errors
/// are always reported.
#[derive(Args, Default)]
#[command(next_help_heading = "Filters")]
pub struct FilterArgs {
    /// Show only findings of at least this severity (info, low, medium, high, critical).
    #[arg(long, visible_alias = "severity", value_name = "SEVERITY")]
    min_severity: Option<Severity>,
    /// Show only findings of these layers (repeatable or comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "LAYER")]
    layer: Vec<kubeward_core::Layer>,
    /// Show only findings of these rules (IDs, any letter case; repeatable or comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "ID")]
    rule: Vec<String>,
    /// Hide findings of these rules.
    #[arg(long, value_delimiter = ',', value_name = "ID")]
    skip_rule: Vec<String>,
    /// Show only findings about objects in these namespaces (`-n` is the namespace given to
    /// manifests that name none, as with `kubectl apply -n`).
    #[arg(long, value_delimiter = ',', value_name = "NAMESPACE")]
    in_namespace: Vec<String>,
    /// Print nothing on standard output; the exit code tells (errors still go to stderr).
    #[arg(short, long)]
    quiet: bool,
    /// Colour in text output: auto (a terminal, NO_COLOR unset), always or never.
    #[arg(long, value_enum, default_value_t = ColorWhen::Auto)]
    color: ColorWhen,
    /// Exit 1 also when a check could not decide (UNKNOWN) and is not suppressed.
    #[arg(long)]
    fail_on_unknown: bool,
}

#[derive(Clone, Copy, Default, ValueEnum)]
enum ColorWhen {
    #[default]
    Auto,
    Always,
    Never,
}

impl FilterArgs {
    fn active(&self) -> bool {
        self.min_severity.is_some()
            || !self.layer.is_empty()
            || !self.rule.is_empty()
            || !self.skip_rule.is_empty()
            || !self.in_namespace.is_empty()
    }

    /// Unknown rule IDs are a usage error: a typo must not silently hide everything.
    fn validate(&self, reg: &kubeward_core::Registry) -> Result<(), String> {
        for id in self.rule.iter().chain(&self.skip_rule) {
            if reg.get(id).is_none() {
                return Err(format!("unknown rule `{id}` (see `kubeward rules`)"));
            }
        }
        Ok(())
    }

    fn keeps(&self, f: &kubeward_core::report::ReportFinding) -> bool {
        let id_in = |list: &[String]| list.iter().any(|r| r.eq_ignore_ascii_case(f.rule_id));
        self.min_severity.is_none_or(|m| f.severity >= m)
            && (self.layer.is_empty() || self.layer.contains(&f.layer))
            && (self.rule.is_empty() || id_in(&self.rule))
            && !id_in(&self.skip_rule)
            && (self.in_namespace.is_empty()
                || f.resource
                    .as_ref()
                    .and_then(|r| r.namespace.as_deref())
                    .is_some_and(|ns| self.in_namespace.iter().any(|n| n == ns)))
    }
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

pub fn run(mut args: ScanArgs) -> ExitCode {
    match args.filters.color {
        ColorWhen::Auto => {}
        ColorWhen::Always => anstream::ColorChoice::Always.write_global(),
        ColorWhen::Never => anstream::ColorChoice::Never.write_global(),
    }
    if args.threads.is_some() {
        super::init_threads(args.threads);
    }
    if let Some(ns) = &args.namespace {
        args.input.default_namespace = ns.clone();
    }
    let reg = registry();
    if let Err(e) = args.filters.validate(&reg) {
        return usage_error(e);
    }
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
            .and_then(|t| Baseline::parse(&t).map_err(|e| e.to_string()))
        {
            Ok(b) => Some(b),
            Err(e) => return usage_error(format!("{}: {e}", p.display())),
        },
        None => None,
    };

    let vuln = match super::vuln::scan_reports(&args.vuln_report) {
        Ok(v) => v,
        Err(e) => return usage_error(e),
    };
    let images = match image_scan(&args, &config) {
        Ok(i) => i,
        Err(e) => return usage_error(e),
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
    let scan = kubeward::Scan {
        registry: &reg,
        config: &config,
        baseline: baseline.as_ref(),
        risk: args.sort == Some(SortBy::Risk),
    };
    let outcome = scan.run_loaded(loads, |l| {
        let mut facts = vuln.clone();
        if let Some((db, opts)) = &images {
            let t = std::time::Instant::now();
            let wanted = kubeward::images::workload_images(&l.inventory);
            let scanned = kubeward::images::scan_images(&wanted, db, opts);
            kubeward_core::timing("images", t);
            eprintln!(
                "images: {} of {} read ({} from the cache), {} packages matched against {}",
                scanned.read,
                wanted.len(),
                scanned.cached,
                scanned.packages,
                db.describe()
            );
            for (id, why) in &scanned.facts.unreadable {
                eprintln!("images: cannot read {}: {why}", id.display);
            }
            let mut merged = facts.as_deref().cloned().unwrap_or_default();
            merged.reports.images.extend(scanned.facts.reports.images);
            merged.unreadable.extend(scanned.facts.unreadable);
            facts = Some(std::sync::Arc::new(merged));
        }
        if let Some(v) = facts {
            kubeward_vuln::attach(&l.inventory, v);
        }
    });
    let mut outcome = match outcome {
        Ok(o) => o,
        Err(e) => return usage_error(e),
    };
    if args.filters.active() {
        let filters = &args.filters;
        outcome.report.retain(|f| filters.keeps(f));
    }
    let stdout_format = args.format;
    // The rule list (only SARIF, JUnit and the compliance view read it) and the HTML page's
    // attack paths are made only for a format that needs them.
    let wants = |f: Format| f == stdout_format || outputs.iter().any(|(o, _)| *o == f);
    let rules: Vec<&'static kubeward_core::RuleMeta> =
        if args.framework.is_some() || wants(Format::Sarif) || wants(Format::Junit) {
            enabled_rules(&reg, &config)
        } else {
            Vec::new()
        };
    let html = wants(Format::Html).then(|| html_options(&outcome.loaded.inventory));
    for (fmt, file) in &outputs {
        let ctx = RenderContext {
            inventory: &outcome.loaded.inventory,
            rules: &rules,
            text: TextOptions {
                show_suppressed: args.show_suppressed,
            },
            html: html.as_ref(),
        };
        let written = std::fs::File::create(file).and_then(|f| {
            let mut w = std::io::BufWriter::new(f);
            if *fmt == Format::Text {
                // A file never carries colour.
                let mut w = anstream::StripStream::new(Box::new(w) as Box<dyn Write>);
                kubeward_report::render(*fmt, &outcome.report, &ctx, &mut w)?;
                w.flush()
            } else {
                kubeward_report::render(*fmt, &outcome.report, &ctx, &mut w)?;
                w.flush()
            }
        });
        if let Err(e) = written {
            return usage_error(format!("cannot write {}: {e}", file.display()));
        }
    }
    if args.apply_reports {
        let objects = kubeward_report::policyreport::objects(&outcome.report);
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
        let body =
            serde_json::to_string_pretty(&baseline_json(&outcome.report)).expect("json") + "\n";
        if let Err(e) = std::fs::write(p, body) {
            return usage_error(format!("cannot write {}: {e}", p.display()));
        }
    }
    // Diagnostics go to standard error in every format (they are in the machine formats'
    // reports as well); the text report on standard output keeps only its summary count.
    super::print_diagnostics(&outcome.report.errors);
    let t = std::time::Instant::now();
    let written = if args.filters.quiet {
        // Nothing on stdout: the exit code (and stderr) tell.
        Ok(())
    } else if let Some(fw) = args.framework {
        use kubeward_report::compliance::{self, Framework};
        let fw = match fw {
            FrameworkArg::Cis => Framework::Cis,
            FrameworkArg::Nsa => Framework::Nsa,
            FrameworkArg::Pss => Framework::Pss,
            FrameworkArg::Mitre => Framework::Mitre,
        };
        let view = compliance::evaluate(
            fw,
            &outcome.report,
            &rules,
            evidence(&outcome.loaded.inventory),
        );
        let body = match stdout_format {
            Format::Text => compliance::text(&view),
            Format::Json => compliance::json(&view),
            _ => {
                return usage_error(
                    "--framework prints text or json (use --output for other formats)",
                );
            }
        };
        let mut out = std::io::stdout().lock();
        out.write_all(body.as_bytes()).and_then(|_| out.flush())
    } else {
        let errors = if stdout_format == Format::Text {
            // Listed on standard error above; the text report keeps only their count.
            std::mem::take(&mut outcome.report.errors)
        } else {
            Vec::new()
        };
        let ctx = RenderContext {
            inventory: &outcome.loaded.inventory,
            rules: &rules,
            text: TextOptions {
                show_suppressed: args.show_suppressed,
            },
            html: html.as_ref(),
        };
        let written = if stdout_format == Format::Text {
            // Colour only where the terminal and the settings allow it.
            let mut out = anstream::stdout();
            kubeward_report::render(stdout_format, &outcome.report, &ctx, &mut out)
                .and_then(|_| out.flush())
        } else {
            // JSON findings come in blocks of 12 KiB or more, which a buffer this size passes
            // straight through (a 64 KiB one copied them); it gathers the small writes around.
            let mut out = std::io::BufWriter::with_capacity(8 * 1024, std::io::stdout().lock());
            kubeward_report::render(stdout_format, &outcome.report, &ctx, &mut out)
                .and_then(|_| out.flush())
        };
        outcome.report.errors = errors;
        written
    };
    if let Err(code) = super::stdout_result(written) {
        return code;
    }

    kubeward_core::timing("output", t);
    let code = exit_code(&outcome, &args);
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

/// The database and image options of `--images`, or `None` without it.
fn image_scan(
    args: &ScanArgs,
    config: &kubeward_core::config::Config,
) -> Result<Option<(kubeward_vuln::Database, kubeward::images::ImageScanOptions)>, String> {
    if !args.images {
        return Ok(None);
    }
    let dir = args
        .vuln_db
        .clone()
        .or_else(|| config.settings.vuln_db.as_ref().map(PathBuf::from))
        .unwrap_or_else(super::vuln::default_db_dir);
    let db = kubeward_vuln::Database::load(&dir)
        .map_err(|e| format!("--images needs the vulnerability database: {e}"))?;
    let platform = args
        .image_platform
        .as_deref()
        .map(kubeward_image::Platform::parse)
        .transpose()
        .map_err(|e| e.to_string())?;
    let cache_dir = match &args.image_cache {
        Some(p) if p.as_os_str() == "none" => None,
        Some(p) => Some(p.clone()),
        None => Some(super::vuln::cache_dir().join("images")),
    };
    let opts = kubeward::images::ImageScanOptions {
        image: kubeward_image::Options {
            platform,
            registry: kubeward_image::RegistryOptions {
                docker_config: args.docker_config.clone(),
                ..Default::default()
            },
            ..Default::default()
        },
        cache_dir,
        parallel: 4,
    };
    Ok(Some((db, opts)))
}

fn exit_code(outcome: &kubeward::ScanOutcome, args: &ScanArgs) -> ExitCode {
    let report = &outcome.report;
    if report.summary.errors > 0 {
        let _ = writeln!(
            anstream::stderr(),
            "\x1b[1;31merror\x1b[0m: {} input error{} (listed above); exit code 2",
            report.summary.errors,
            if report.summary.errors == 1 { "" } else { "s" }
        );
        return ExitCode::from(2);
    }
    let gaps = report.summary.coverage_gaps;
    if gaps > 0 && !args.allow_partial {
        return usage_error(format!(
            "{gaps} cluster resource{} could not be read (KW-CP-001 lists them), so the scan does \
             not cover the whole cluster; grant the scanner access, or pass --allow-partial to \
             accept partial coverage",
            if gaps == 1 { "" } else { "s" }
        ));
    }
    if report.summary.objects == 0 {
        return usage_error(format!(
            "no Kubernetes objects found in {}",
            super::input::describe_inputs(&args.input)
        ));
    }
    if args.write_baseline.is_some() {
        // Recording the current findings is what was asked: that succeeded.
        return ExitCode::SUCCESS;
    }
    match args.fail_on {
        FailOn::At(s) if report.failing(s) > 0 => ExitCode::from(1),
        _ if args.filters.fail_on_unknown && report.summary.findings.unknown > 0 => {
            ExitCode::from(1)
        }
        _ => ExitCode::SUCCESS,
    }
}
