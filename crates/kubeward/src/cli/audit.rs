//! `kubeward audit`: audit-log analysis (`analyze`) and the standalone audit webhook receiver
//! (`webhook`). The work is in kubeward-audit; the detections use this binary's registry, so
//! the scan's own workload rules check request bodies.

use super::usage_error;
use clap::{Args, Subcommand, ValueEnum};
use kubeward::registry;
use kubeward_audit::alert::Alert;
use kubeward_audit::reader::{Location, ReadOptions, maybe_gunzip, read_stream};
use kubeward_audit::{Analyzer, AnalyzerSink, AuditSettings};
use kubeward_core::Severity;
use kubeward_core::config::Config;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    command: AuditCommand,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Analyze audit logs: JSON lines, gzip, EventList documents, GKE / AKS / EKS exports
    /// (`-` reads stdin).
    Analyze(AnalyzeArgs),
    /// Run the audit webhook backend over HTTPS (the API server's --audit-webhook-config-file
    /// points at it); alerts go to stdout as JSON lines.
    Webhook(WebhookArgs),
}

#[derive(Args)]
struct AnalyzeArgs {
    /// Audit log files (`-` for stdin); gzip is recognised by content.
    #[arg(required = true)]
    files: Vec<String>,
    /// Output format for alerts on stdout.
    #[arg(short, long, value_enum, default_value_t = Fmt::Text)]
    format: Fmt,
    /// Print the summary (events by verb, user and resource; alerts by rule) after the alerts.
    #[arg(long)]
    summary: bool,
    /// Entries per summary table.
    #[arg(long, default_value_t = 10)]
    top: usize,
    /// Exit 1 when an active alert has at least this severity (`none`: never).
    #[arg(long, default_value = "high")]
    fail_on: String,
    /// Configuration file (default: `.kubeward.yaml` found upward from the current folder).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Ignore any `.kubeward.yaml`.
    #[arg(long, conflicts_with = "config")]
    no_config: bool,
    /// List suppressed alerts in text output.
    #[arg(long)]
    show_suppressed: bool,
    /// Longest line accepted, in bytes; longer lines are reported and skipped.
    #[arg(long, default_value_t = 16 << 20)]
    max_line_bytes: usize,
}

#[derive(Args)]
struct WebhookArgs {
    /// Address to listen on.
    #[arg(long, default_value = "0.0.0.0:8443")]
    listen: std::net::SocketAddr,
    /// Server certificate chain (PEM).
    #[arg(long)]
    cert: PathBuf,
    /// Server private key (PEM).
    #[arg(long)]
    key: PathBuf,
    /// Also POST alerts (JSON arrays) to this URL, with retries and a bounded buffer.
    #[arg(long)]
    alert_url: Option<String>,
    /// CA certificates (PEM) for --alert-url, besides the system roots.
    #[arg(long)]
    alert_ca: Option<PathBuf>,
    /// Batches waiting for analysis; when full, new batches are dropped and counted.
    #[arg(long, default_value_t = 256)]
    queue_batches: usize,
    /// Configuration file (default: `.kubeward.yaml` found upward from the current folder).
    #[arg(long)]
    config: Option<PathBuf>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Fmt {
    Text,
    Jsonl,
    Sarif,
}

pub fn run(args: AuditArgs) -> ExitCode {
    match args.command {
        AuditCommand::Analyze(a) => analyze(a),
        AuditCommand::Webhook(a) => webhook(a),
    }
}

fn load_config(
    path: Option<PathBuf>,
    none: bool,
) -> Result<(kubeward_core::Registry, Config, AuditSettings), String> {
    let reg = registry();
    let config = if none {
        Config::default()
    } else {
        match path.or_else(|| Config::discover(std::path::Path::new("."))) {
            Some(p) => Config::load(&p, &reg).map_err(|e| e.to_string())?,
            None => Config::default(),
        }
    };
    let settings = AuditSettings::from_config(&config, &reg).map_err(|e| e.to_string())?;
    Ok((reg, config, settings))
}

fn analyze(args: AnalyzeArgs) -> ExitCode {
    let fail_on: Option<Severity> = match args.fail_on.as_str() {
        "none" | "never" => None,
        s => match s.parse() {
            Ok(s) => Some(s),
            Err(e) => return usage_error(format!("--fail-on: {e}")),
        },
    };
    let (reg, config, settings) = match load_config(args.config.clone(), args.no_config) {
        Ok(c) => c,
        Err(e) => return usage_error(e),
    };
    let mut analyzer = Analyzer::new(&reg, &config, settings);
    let opts = ReadOptions {
        max_line_bytes: args.max_line_bytes.max(1024),
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(64 << 10, stdout.lock());
    let mut sarif: Vec<Alert> = Vec::new();
    let mut failed = false;
    let mut io_errors = 0u32;
    let show_suppressed = args.show_suppressed;
    let format = args.format;
    for file in &args.files {
        let mut emit = |a: Alert| {
            if a.is_active() && fail_on.is_some_and(|f| a.severity >= f) {
                failed = true;
            }
            let _ = match format {
                Fmt::Jsonl => kubeward_audit::output::write_jsonl(&mut out, &a),
                Fmt::Text if a.is_active() || show_suppressed => {
                    kubeward_audit::output::write_text(&mut out, &a)
                }
                Fmt::Text => Ok(()),
                Fmt::Sarif => {
                    sarif.push(a);
                    Ok(())
                }
            };
        };
        let input: Box<dyn std::io::Read> = if file == "-" {
            Box::new(std::io::stdin().lock())
        } else {
            match std::fs::File::open(file) {
                Ok(f) => Box::new(f),
                Err(e) => {
                    let _ = out.flush();
                    let _ = usage_error(format!("{file}: {e}"));
                    io_errors += 1;
                    continue;
                }
            }
        };
        let mut sink = AnalyzerSink {
            analyzer: &mut analyzer,
            out: &mut emit,
        };
        let result = maybe_gunzip(input).and_then(|r| read_stream(file, r, &opts, &mut sink));
        if let Err(e) = result {
            sink.analyzer.bad(
                Location {
                    file,
                    line: 0,
                    item: None,
                },
                &format!("reading stopped: {e}"),
            );
            let _ = out.flush();
            let _ = usage_error(format!("{file}: reading stopped: {e}"));
            io_errors += 1;
        }
    }
    let summary = analyzer.into_summary();
    if format == Fmt::Sarif {
        let _ = serde_json::to_writer_pretty(&mut out, &kubeward_audit::output::sarif(&sarif));
        let _ = writeln!(out);
    }
    if args.summary {
        match format {
            Fmt::Text => {
                let _ = writeln!(out, "\n{}", summary.to_text(args.top).trim_end());
            }
            Fmt::Jsonl => {
                let _ = writeln!(out, "{}", summary.to_json(args.top));
            }
            Fmt::Sarif => eprint!("{}", summary.to_text(args.top)),
        }
    } else if summary.bad > 0 {
        eprintln!(
            "warning: {} lines were not readable audit events (first: {}); --summary lists more",
            summary.bad,
            summary.bad_samples.first().map_or("", String::as_str)
        );
    }
    let _ = out.flush();
    if io_errors > 0 {
        ExitCode::from(2)
    } else if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn webhook(args: WebhookArgs) -> ExitCode {
    let (reg, config, settings) = match load_config(args.config.clone(), false) {
        Ok(c) => c,
        Err(e) => return usage_error(e),
    };
    let read = |p: &PathBuf| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()));
    let (cert, key) = match (read(&args.cert), read(&args.key)) {
        (Ok(c), Ok(k)) => (c, k),
        (Err(e), _) | (_, Err(e)) => return usage_error(e),
    };
    let tls = match kubeward_audit::webhook::server_tls(&cert, &key) {
        Ok(t) => t,
        Err(e) => return usage_error(e),
    };
    let mut cfg = kubeward_audit::WebhookConfig::new(Analyzer::new(&reg, &config, settings));
    cfg.queue_batches = args.queue_batches;
    if let Some(url) = args.alert_url {
        let mut t = kubeward_audit::webhook::AlertTarget::new(url);
        if let Some(ca) = &args.alert_ca {
            match read(ca) {
                Ok(pem) => t.ca_pem = Some(pem),
                Err(e) => return usage_error(e),
            }
        }
        cfg.alert_target = Some(t);
    }
    let result = kubeward_audit::webhook::serve_blocking(args.listen, tls, cfg, |addr| {
        eprintln!("kubeward audit webhook listening on https://{addr} (POST /, GET /metrics)");
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => usage_error(format!("{}: {e}", args.listen)),
    }
}
