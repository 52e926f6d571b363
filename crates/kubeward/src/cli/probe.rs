//! `kubeward probe TARGET...`: which Kubernetes ports answer on the named hosts, and how.
//! Opt-in network access: only the named targets, only the selected services' ports.

use super::usage_error;
use clap::{Args, ValueEnum};
use kubeward_core::input::LoadStats;
use kubeward_core::{Inventory, Severity};
use kubeward_probe::{Options, Role, Service};
use kubeward_report::text::TextOptions;
use std::io::Write;
use std::process::ExitCode;

#[derive(Args)]
pub struct ProbeArgs {
    /// Hosts to probe (IP addresses or names). Nothing else is ever contacted.
    #[arg(required = true)]
    targets: Vec<String>,
    /// Time allowed for each port, in milliseconds.
    #[arg(long, default_value_t = 2000)]
    timeout: u64,
    /// Ports probed at once.
    #[arg(long, default_value_t = 128)]
    concurrency: usize,
    /// NodePort range (`--service-node-port-range`).
    #[arg(long, default_value = "30000-32767", value_name = "LO-HI")]
    nodeport_range: String,
    /// Services to probe (default: all): apiserver, insecure-apiserver, etcd, etcd-peer,
    /// kubelet, kubelet-read-only, kube-proxy-health, kube-proxy-metrics, scheduler,
    /// controller-manager, nodeport.
    #[arg(long, value_delimiter = ',')]
    services: Vec<String>,
    /// Non-default ports: `HOST:PORT=SERVICE` (repeatable).
    #[arg(long, value_name = "HOST:PORT=SERVICE")]
    port_map: Vec<String>,
    /// Role of the targets in the Ports and Protocols table (default: inferred per target,
    /// control plane when an API server or etcd answers).
    #[arg(long, value_enum)]
    role: Option<RoleArg>,
    /// Print firewall rules that allow only the expected ports instead of probing:
    /// `nftables` (for --role, default worker) or `security-group` (JSON, both roles).
    #[arg(long, value_enum)]
    emit: Option<Emit>,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = Fmt::Text)]
    format: Fmt,
    /// Exit 1 when a finding has at least this severity.
    #[arg(long, default_value = "high")]
    fail_on: Severity,
}

#[derive(Clone, Copy, ValueEnum)]
enum RoleArg {
    ControlPlane,
    Worker,
}

#[derive(Clone, Copy, ValueEnum)]
enum Emit {
    Nftables,
    SecurityGroup,
}

#[derive(Clone, Copy, ValueEnum)]
enum Fmt {
    Text,
    Json,
    Sarif,
    Junit,
}

fn range(s: &str) -> Result<(u16, u16), String> {
    let (a, b) = s
        .split_once('-')
        .ok_or_else(|| format!("`{s}`: expected LO-HI"))?;
    let (a, b): (u16, u16) = (
        a.parse().map_err(|_| format!("`{a}` is not a port"))?,
        b.parse().map_err(|_| format!("`{b}` is not a port"))?,
    );
    if a > b || a == 0 {
        return Err(format!("`{s}`: not a port range"));
    }
    Ok((a, b))
}

pub fn run(a: ProbeArgs) -> ExitCode {
    let nodeport = match range(&a.nodeport_range) {
        Ok(r) => r,
        Err(e) => return usage_error(e),
    };
    let role = a.role.map(|r| match r {
        RoleArg::ControlPlane => Role::ControlPlane,
        RoleArg::Worker => Role::Worker,
    });
    match a.emit {
        Some(Emit::Nftables) => {
            let body = kubeward_probe::table::nftables(role.unwrap_or(Role::Worker), nodeport);
            let _ = std::io::stdout().write_all(body.as_bytes());
            return ExitCode::SUCCESS;
        }
        Some(Emit::SecurityGroup) => {
            let v = kubeward_probe::table::security_groups(nodeport);
            let _ = writeln!(
                std::io::stdout(),
                "{}",
                serde_json::to_string_pretty(&v).unwrap_or_default()
            );
            return ExitCode::SUCCESS;
        }
        None => {}
    }
    let mut services = Vec::new();
    for s in &a.services {
        match Service::parse(s) {
            Some(s) => services.push(s),
            None => return usage_error(format!("unknown service `{s}`")),
        }
    }
    let mut port_map = Vec::new();
    for m in &a.port_map {
        match kubeward_probe::parse_port_map(m) {
            Ok(m) if a.targets.contains(&m.0) => port_map.push(m),
            Ok(m) => {
                return usage_error(format!("--port-map names `{}`, which is not a target", m.0));
            }
            Err(e) => return usage_error(e),
        }
    }
    let opts = Options {
        targets: a.targets.clone(),
        services: if services.is_empty() {
            Service::ALL.to_vec()
        } else {
            services
        },
        port_map,
        nodeport_range: nodeport,
        timeout: std::time::Duration::from_millis(a.timeout.max(1)),
        concurrency: a.concurrency.max(1),
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return usage_error(e),
    };
    let answers = rt.block_on(kubeward_probe::probe(&opts));
    let inventory = Inventory::new();
    let report = kubeward_core::report::build(
        &inventory,
        kubeward_probe::findings(&answers, role, nodeport),
        Vec::new(),
        Vec::new(),
        &LoadStats::default(),
    );
    let rules: Vec<_> = kubeward_probe::rules()
        .into_iter()
        .map(|r| &r.meta)
        .collect();
    let open: Vec<&kubeward_probe::Answer> = answers.iter().filter(|a| a.is_open()).collect();
    let body = match a.format {
        Fmt::Text => {
            let mut s = format!(
                "probed {} port(s) on {}; {} answered\n",
                answers.len(),
                a.targets.join(", "),
                open.len()
            );
            for o in &open {
                let statuses: Vec<String> =
                    o.statuses.iter().map(|(p, c)| format!("{p} {c}")).collect();
                s.push_str(&format!(
                    "  {}:{:<6} {:<20} {:<22} {}\n",
                    o.target,
                    o.port,
                    o.service.name(),
                    o.state,
                    statuses.join(", ")
                ));
            }
            s.push('\n');
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
            let v = serde_json::json!({
                "schema": "kubeward.io/probe/v1",
                "answers": open,
                "probed": answers.len(),
                "report": findings,
            });
            format!("{}\n", serde_json::to_string_pretty(&v).unwrap_or_default())
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
