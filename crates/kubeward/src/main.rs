//! The `kubeward` command line: argument parsing and printing only; the work is in the library
//! crates.

use clap::{Args, Parser, Subcommand, ValueEnum};
use kubeward::{enabled_rules, explain, registry, rules_markdown, scan};
use kubeward_core::Severity;
use kubeward_core::config::Config;
use kubeward_core::engine::Baseline;
use kubeward_core::input::{InputArg, LoadOptions};
use kubeward_core::report::baseline_json;
use kubeward_report::Format;
use kubeward_report::text::TextOptions;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "kubeward",
    version,
    about = "Defence-in-depth security scanner for Kubernetes",
    long_about = "kubeward checks every layer an attacker must get through (nodes, control plane, \
                  containers, data, pod-to-node, pod-to-pod, pod-to-API, network exposure and \
                  monitoring) and tells how to close each one.\n\nExit codes: 0 clean, 1 findings \
                  at or above --fail-on, 2 usage or input error."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Scan manifests (files, folders, `-` for stdin, Kustomize folders).
    ///
    /// Helm charts: `helm template RELEASE CHART | kubeward scan -`.
    Scan(ScanArgs),
    /// List the rules.
    Rules(RulesArgs),
    /// Explain one rule: why it matters, how to fix it, references.
    Explain {
        /// Rule ID, e.g. KW-PSS-003.
        id: String,
    },
}

#[derive(Args)]
struct InputArgs {
    /// Files or folders to scan; `-` reads standard input. Default: the current folder.
    paths: Vec<String>,
    /// Namespace for namespaced objects that do not name one.
    #[arg(short = 'n', long, default_value = "default")]
    namespace: String,
    /// Read Kustomize folders file by file instead of rendering them with `kubectl kustomize`.
    #[arg(long)]
    no_kustomize: bool,
    /// Refuse files larger than this many bytes.
    #[arg(long, default_value_t = 64 * 1024 * 1024)]
    max_file_size: u64,
}

#[derive(Args)]
struct ScanArgs {
    #[command(flatten)]
    input: InputArgs,
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
}

#[derive(Args)]
struct RulesArgs {
    #[arg(short, long, value_enum, default_value_t = RulesFormat::Text)]
    format: RulesFormat,
    /// Only rules of this layer.
    #[arg(long)]
    layer: Option<String>,
}

#[derive(Clone, Copy, ValueEnum)]
enum OutFormat {
    Text,
    Json,
    Sarif,
    Junit,
}

#[derive(Clone, Copy, ValueEnum)]
enum RulesFormat {
    Text,
    Json,
    Markdown,
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
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Scan(args) => run_scan(args),
        Command::Rules(args) => run_rules(args),
        Command::Explain { id } => {
            let reg = registry();
            match reg.get(&id) {
                Some(r) => {
                    print!("{}", explain(&r.meta));
                    ExitCode::SUCCESS
                }
                None => {
                    eprintln!("error: no rule `{id}` (see `kubeward rules`)");
                    ExitCode::from(2)
                }
            }
        }
    }
}

fn usage_error(msg: impl std::fmt::Display) -> ExitCode {
    let _ = writeln!(anstream::stderr(), "\x1b[1;31merror\x1b[0m: {msg}");
    ExitCode::from(2)
}

fn run_scan(args: ScanArgs) -> ExitCode {
    if let Some(n) = args.threads {
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global();
    }
    let reg = registry();
    let paths: Vec<String> = if args.input.paths.is_empty() {
        vec![".".into()]
    } else {
        args.input.paths.clone()
    };
    let inputs: Vec<InputArg> = paths.iter().map(|p| InputArg::parse(p)).collect();

    // Outputs are validated before any work.
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
        config.settings.pod_security = ps.clone();
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
    let load_options = LoadOptions {
        default_namespace: args.input.namespace.clone(),
        max_file_size: args.input.max_file_size,
        kustomize: !args.input.no_kustomize,
        ..LoadOptions::default()
    };

    let outcome = scan(&inputs, &load_options, &reg, &config, baseline.as_ref());
    let report = &outcome.report;
    let rules = enabled_rules(&reg, &config);
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
            Format::Sarif => kubeward_report::sarif::render(report, &rules),
            Format::Junit => kubeward_report::junit::render(report, &rules),
        }
    };
    for (fmt, file) in &outputs {
        let mut body = render(*fmt);
        if *fmt == Format::Text {
            body = anstream::adapter::strip_str(&body).to_string();
        }
        if let Err(e) = std::fs::write(file, body) {
            return usage_error(format!("cannot write {}: {e}", file.display()));
        }
    }
    if let Some(p) = &args.write_baseline {
        let body = serde_json::to_string_pretty(&baseline_json(report)).expect("json") + "\n";
        if let Err(e) = std::fs::write(p, body) {
            return usage_error(format!("cannot write {}: {e}", p.display()));
        }
    }
    let stdout_format: Format = args.format.into();
    let body = render(stdout_format);
    let mut out = anstream::stdout();
    if stdout_format == Format::Text {
        let _ = out.write_all(body.as_bytes());
    } else {
        // Machine formats never carry colour.
        let _ = std::io::stdout().write_all(body.as_bytes());
    }
    let _ = out.flush();

    if report.summary.errors > 0 {
        if stdout_format != Format::Text {
            let _ = writeln!(
                anstream::stderr(),
                "\x1b[1;31merror\x1b[0m: {} input error{} (see the report); exit code 2",
                report.summary.errors,
                if report.summary.errors == 1 { "" } else { "s" }
            );
        }
        return ExitCode::from(2);
    }
    if outcome.loaded.inventory.is_empty() {
        let _ = writeln!(
            anstream::stderr(),
            "\x1b[1;31merror\x1b[0m: no Kubernetes objects found in {}",
            paths.join(", ")
        );
        return ExitCode::from(2);
    }
    match args.fail_on {
        FailOn::At(s) if report.failing(s) > 0 => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    }
}

fn run_rules(args: RulesArgs) -> ExitCode {
    let reg = registry();
    let layer = match &args.layer {
        Some(l) => match l.parse::<kubeward_core::Layer>() {
            Ok(l) => Some(l),
            Err(e) => return usage_error(e),
        },
        None => None,
    };
    let rules: Vec<_> = reg
        .sorted()
        .into_iter()
        .filter(|r| layer.is_none_or(|l| r.meta.layer == l))
        .collect();
    match args.format {
        RulesFormat::Markdown => print!("{}", rules_markdown(&reg)),
        RulesFormat::Json => {
            let v: Vec<serde_json::Value> = rules
                .iter()
                .map(|r| {
                    let m = &r.meta;
                    serde_json::json!({
                        "id": m.id, "name": m.name, "layer": m.layer, "severity": m.severity,
                        "title": m.title, "why": m.why, "fix": m.fix,
                        "references": m.reference_map(), "default_enabled": m.default_enabled,
                    })
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&v).expect("json"));
        }
        RulesFormat::Text => {
            let mut out = anstream::stdout();
            for r in rules {
                let m = &r.meta;
                let _ = writeln!(
                    out,
                    "\x1b[1m{:<12}\x1b[0m {:<14} {:<9} {}",
                    m.id,
                    m.layer.as_str(),
                    m.severity.as_str(),
                    m.title
                );
            }
        }
    }
    ExitCode::SUCCESS
}
