//! `kubeward etcd verify`: whether Secrets and ConfigMaps are encrypted at rest, read from etcd
//! (counts by format, provider, key and namespace; values are never printed or kept).

use super::usage_error;
use clap::{Args, Subcommand, ValueEnum};
use kubeward_core::input::LoadStats;
use kubeward_core::{Inventory, Severity};
use kubeward_report::text::TextOptions;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct EtcdArgs {
    #[command(subcommand)]
    command: EtcdCommand,
}

#[derive(Subcommand)]
enum EtcdCommand {
    /// List the keys of Secrets and ConfigMaps in etcd and read the first bytes of each value:
    /// how many are plaintext (protobuf, JSON) and how many under each encryption provider and
    /// key, by namespace. Only the prefix of each value is kept; no value is printed.
    Verify(VerifyArgs),
}

#[derive(Args)]
struct VerifyArgs {
    /// etcd client URLs (`https://10.0.0.1:2379`); the API server's `--etcd-servers`.
    #[arg(long, required = true, num_args = 1.., value_delimiter = ',')]
    endpoints: Vec<String>,
    /// CA bundle that signed etcd's server certificate (`--etcd-cafile`).
    #[arg(long, value_name = "FILE")]
    cacert: Option<PathBuf>,
    /// Client certificate (`--etcd-certfile`).
    #[arg(long, value_name = "FILE", requires = "key")]
    cert: Option<PathBuf>,
    /// Client key (`--etcd-keyfile`).
    #[arg(long, value_name = "FILE", requires = "cert")]
    key: Option<PathBuf>,
    /// The API server's `--etcd-prefix`.
    #[arg(long, default_value = "/registry")]
    prefix: String,
    /// Resources to check.
    #[arg(long, value_delimiter = ',', default_value = "secrets,configmaps")]
    resources: Vec<String>,
    /// Timeout of each etcd request, in seconds.
    #[arg(long, default_value_t = 30)]
    timeout: u64,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = Fmt::Text)]
    format: Fmt,
    /// Exit 1 when a finding has at least this severity.
    #[arg(long, default_value = "high")]
    fail_on: Severity,
}

#[derive(Clone, Copy, ValueEnum)]
enum Fmt {
    Text,
    Json,
    Sarif,
    Junit,
}

pub fn run(args: EtcdArgs) -> ExitCode {
    match args.command {
        EtcdCommand::Verify(a) => verify(a),
    }
}

fn read(p: &Option<PathBuf>) -> Result<Option<Vec<u8>>, String> {
    p.as_ref()
        .map(|p| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display())))
        .transpose()
}

fn verify(a: VerifyArgs) -> ExitCode {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (ca, cert, key) = match (read(&a.cacert), read(&a.cert), read(&a.key)) {
        (Ok(ca), Ok(cert), Ok(key)) => (ca, cert, key),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return usage_error(e),
    };
    let opts = kubeward_etcd::Options {
        endpoints: a.endpoints.clone(),
        ca,
        cert,
        key,
        prefix: a.prefix.clone(),
        resources: a.resources.clone(),
        timeout: std::time::Duration::from_secs(a.timeout.max(1)),
        ..kubeward_etcd::Options::default()
    };
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return usage_error(e),
    };
    let etcd = match rt.block_on(kubeward_etcd::verify(&opts)) {
        Ok(r) => r,
        Err(e) => return usage_error(e),
    };
    let inventory = Inventory::new();
    let report = kubeward_core::report::build(
        &inventory,
        kubeward_etcd::findings(&etcd),
        Vec::new(),
        Vec::new(),
        &LoadStats::default(),
    );
    let rules: Vec<_> = kubeward_etcd::rules()
        .into_iter()
        .map(|r| &r.meta)
        .collect();
    let body = match a.format {
        Fmt::Text => {
            let mut s = summary(&etcd);
            s.push_str(&kubeward_report::text::render(
                &report,
                &inventory,
                TextOptions::default(),
            ));
            s
        }
        Fmt::Json => {
            let findings: serde_json::Value =
                serde_json::from_str(&kubeward_report::json::render(&report))
                    .unwrap_or(serde_json::Value::Null);
            let mut v = serde_json::json!({ "etcd": etcd, "report": findings });
            if let Some(o) = v.as_object_mut() {
                o.insert("schema".into(), "kubeward.io/etcd-verify/v1".into());
            }
            let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
            s.push('\n');
            s
        }
        Fmt::Sarif => kubeward_report::sarif::render(&report, &rules),
        Fmt::Junit => kubeward_report::junit::render(&report, &rules),
    };
    if matches!(a.format, Fmt::Text) {
        let _ = anstream::stdout().write_all(body.as_bytes());
    } else {
        let _ = std::io::stdout().write_all(body.as_bytes());
    }
    if report.failing(a.fail_on) > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// The counts as a table: one block per resource, one line per namespace.
fn summary(r: &kubeward_etcd::Report) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "etcd {} at revision {} (first {} bytes of each value read; no value kept or printed)",
        r.endpoints.join(", "),
        r.revision,
        r.prefix_bytes_kept
    );
    for res in &r.resources {
        let c = &res.counts;
        let _ = writeln!(
            s,
            "\n{} ({}): {} total, {} plaintext ({} protobuf, {} JSON), {} unrecognised",
            res.resource,
            res.key_prefix,
            c.total,
            c.plaintext(),
            c.plaintext_protobuf,
            c.plaintext_json,
            c.unknown
        );
        for (k, n) in &c.encrypted {
            let _ = writeln!(s, "  {k:<40} {n:>8}");
        }
        if !res.namespaces.is_empty() {
            let _ = writeln!(
                s,
                "  {:<30} {:>8} {:>10} {:>10}  keys",
                "namespace", "total", "plaintext", "encrypted"
            );
            for (ns, n) in &res.namespaces {
                let enc: u64 = n.encrypted.values().sum();
                let keys: Vec<&str> = n.encrypted.keys().map(|k| k.as_str()).collect();
                let _ = writeln!(
                    s,
                    "  {ns:<30} {:>8} {:>10} {enc:>10}  {}",
                    n.total,
                    n.plaintext(),
                    keys.join(", ")
                );
            }
        }
    }
    s.push('\n');
    s
}
