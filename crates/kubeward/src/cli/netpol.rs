//! `kubeward netpol`: NetworkPolicy analysis commands (connections, explain, exposure,
//! suggest). They read the same inputs as `scan`.

use super::input::InputArgs;
use super::usage_error;
use clap::{Args, Subcommand};
use kubeward_analysis::netpol::{self, Model, Options};
use kubeward_core::input::Loaded;
use std::io::Write;
use std::process::ExitCode;

#[derive(Args)]
pub struct NetpolArgs {
    #[command(subcommand)]
    command: NetpolCommand,
}

#[derive(Subcommand)]
enum NetpolCommand {
    /// Every allowed connection between workloads and external address ranges.
    Connections(ConnectionsArgs),
    /// Whether SRC may connect to DST, and which policy and rule (or the default) decided each
    /// direction. SRC and DST are `ns/name[Kind]`, `ns/name` or an IP address; SRC may also be
    /// `{ingress-controller}`.
    Explain(ExplainArgs),
    /// For each workload: who can reach it (entire cluster, which namespaces, outside) and
    /// what it can reach.
    Exposure(ExposureArgs),
    /// Least-privilege NetworkPolicies: default deny per namespace, DNS, and allow rules for
    /// exactly the wanted connections (from --flows, or --from-services).
    Suggest(SuggestArgs),
}

#[derive(Args)]
struct ExplainArgs {
    /// Source: `ns/name[Kind]`, `ns/name` or an IP address.
    src: String,
    /// Destination: `ns/name[Kind]`, `ns/name` or an IP address.
    dst: String,
    /// Only this port: `8080`, `8080/TCP`, `53/UDP`.
    #[arg(long, value_name = "PORT[/PROTO]")]
    port: Option<String>,
    #[command(flatten)]
    common: Common,
}

#[derive(Args)]
struct ExposureArgs {
    #[command(flatten)]
    common: Common,
    /// Output format.
    #[arg(short, long, default_value = "txt", value_parser = ["txt", "json"])]
    format: String,
}

#[derive(Args)]
struct SuggestArgs {
    #[command(flatten)]
    common: Common,
    /// Wanted connections, in the JSON format of `connections --format json` (for example
    /// observed traffic exported from Hubble or a flow log). Required unless --from-services.
    #[arg(long, value_name = "FILE", required_unless_present = "from_services")]
    flows: Option<std::path::PathBuf>,
    /// Without flows, derive them from Services: the other workloads of a Service's namespace
    /// reach its pods on its ports, limited to what the input's policies allow today (a
    /// suggestion never opens a closed connection). Cross-namespace clients and traffic
    /// through Ingress controllers are not derived: give --flows for those.
    #[arg(long, conflicts_with = "flows")]
    from_services: bool,
    /// Do not add DNS egress (UDP and TCP 53 to kube-dns).
    #[arg(long)]
    no_dns: bool,
}

#[derive(Args, Clone)]
struct Common {
    #[command(flatten)]
    input: InputArgs,
    /// Let NetworkPolicy `ipBlock` peers match pod addresses too (off: they match only
    /// addresses outside the cluster, as netpol-analyzer assumes).
    #[arg(long)]
    ipblock_matches_pods: bool,
    /// Configuration file (default: `.kubeward.yaml` found upward from the first path); its
    /// `settings.ipblock_matches_pods` and `settings.ingress_controller` apply.
    #[arg(long)]
    config: Option<std::path::PathBuf>,
    /// Ignore any `.kubeward.yaml`.
    #[arg(long, conflicts_with = "config")]
    no_config: bool,
}

impl Common {
    /// Analysis options from the flags and the configuration file.
    fn options(&self) -> Result<Options, ExitCode> {
        let mut opts = Options {
            ipblock_matches_pods: self.ipblock_matches_pods,
            ingress_controller: None,
        };
        if self.no_config {
            return Ok(opts);
        }
        let path = self.config.clone().or_else(|| {
            self.input
                .paths()
                .iter()
                .find(|p| *p != "-")
                .and_then(|p| kubeward_core::config::Config::discover(std::path::Path::new(p)))
        });
        if let Some(p) = path {
            match kubeward_core::config::Config::load(&p, &kubeward::registry()) {
                Ok(c) => {
                    opts.ipblock_matches_pods |= c.settings.ipblock_matches_pods;
                    opts.ingress_controller =
                        c.settings
                            .ingress_controller
                            .as_ref()
                            .map(|i| netpol::ingress::Location {
                                namespace: i.namespace.clone(),
                                labels: i.labels.clone(),
                            });
                }
                Err(e) => return Err(usage_error(e)),
            }
        }
        Ok(opts)
    }
}

#[derive(Args)]
struct ConnectionsArgs {
    #[command(flatten)]
    common: Common,
    /// Output format.
    #[arg(short, long, default_value = "txt", value_parser = ["txt", "json", "csv", "md", "dot"])]
    format: String,
}

pub fn run(args: NetpolArgs) -> ExitCode {
    super::init_threads(None);
    match args.command {
        NetpolCommand::Connections(a) => connections(a),
        NetpolCommand::Explain(a) => explain(a),
        NetpolCommand::Exposure(a) => exposure(a),
        NetpolCommand::Suggest(a) => suggest(a),
    }
}

/// Loads the inputs and builds the model; input errors are printed and give exit code 2.
fn load(common: &Common) -> Result<(Loaded, Model), ExitCode> {
    let options = common.options()?;
    let loaded = common.input.load();
    let mut err = anstream::stderr();
    for d in &loaded.diagnostics {
        let _ = writeln!(err, "{d}");
    }
    if loaded.has_errors() {
        return Err(ExitCode::from(2));
    }
    if loaded.inventory.is_empty() {
        return Err(usage_error(format!(
            "no Kubernetes objects found in {}",
            common.input.paths().join(", ")
        )));
    }
    let model = Model::build(&loaded.inventory, options);
    let mut failed = false;
    for i in &model.issues {
        let _ = writeln!(err, "{}", model.diagnostic(&loaded.inventory, i));
        failed |= i.error;
    }
    if failed {
        let _ = writeln!(
            err,
            "\x1b[1;31merror\x1b[0m: invalid policies (the API server would reject them); exit code 2"
        );
        return Err(ExitCode::from(2));
    }
    let assumed = model.assumed_namespaces();
    if !assumed.is_empty() {
        let _ = writeln!(
            err,
            "note: namespaces not in the input are assumed to exist with only the label kubernetes.io/metadata.name: {}",
            assumed.join(", ")
        );
    }
    Ok((loaded, model))
}

fn print(body: &str) -> ExitCode {
    let mut out = std::io::stdout().lock();
    match super::stdout_result(out.write_all(body.as_bytes()).and_then(|_| out.flush())) {
        Ok(()) => ExitCode::SUCCESS,
        Err(code) => code,
    }
}

fn connections(a: ConnectionsArgs) -> ExitCode {
    let (_loaded, model) = match load(&a.common) {
        Ok(x) => x,
        Err(c) => return c,
    };
    let format: netpol::Format = a.format.parse().expect("validated by clap");
    print(&netpol::render(&netpol::connections(&model), format))
}

fn explain(a: ExplainArgs) -> ExitCode {
    let (loaded, model) = match load(&a.common) {
        Ok(x) => x,
        Err(c) => return c,
    };
    use netpol::explain as ex;
    let port = match a.port.as_deref().map(ex::parse_port).transpose() {
        Ok(p) => p,
        Err(e) => return usage_error(format!("--port {e}")),
    };
    let (src, dst) = match (ex::parse_end(&model, &a.src), ex::parse_end(&model, &a.dst)) {
        (Ok(s), Ok(d)) => (s, d),
        (Err(e), _) | (_, Err(e)) => return usage_error(e),
    };
    // Exit 0 when the connection (on --port, or on any port) is allowed, 1 when it is denied.
    match ex::explain_verdict(&model, &loaded.inventory, src, dst, port) {
        Ok((t, allowed)) => {
            let code = print(&t);
            if code == ExitCode::SUCCESS && !allowed {
                ExitCode::from(1)
            } else {
                code
            }
        }
        Err(e) => usage_error(e),
    }
}

fn exposure(a: ExposureArgs) -> ExitCode {
    let (loaded, model) = match load(&a.common) {
        Ok(x) => x,
        Err(c) => return c,
    };
    let v = netpol::exposure::exposure(&model, &loaded.inventory);
    if a.format == "json" {
        print(&(serde_json::to_string_pretty(&v).expect("json") + "\n"))
    } else {
        print(&netpol::exposure::render_text(&v))
    }
}

fn suggest(a: SuggestArgs) -> ExitCode {
    let (loaded, model) = match load(&a.common) {
        Ok(x) => x,
        Err(c) => return c,
    };
    use netpol::suggest as sg;
    let mut notes = Vec::new();
    let flows = match &a.flows {
        Some(p) => {
            let text = match std::fs::read_to_string(p) {
                Ok(t) => t,
                Err(e) => return usage_error(format!("{}: {e}", p.display())),
            };
            match sg::flows_from_json(&model, &text) {
                Ok(f) => f,
                Err(e) => return usage_error(format!("{}: {e}", p.display())),
            }
        }
        None => {
            let mut f = sg::flows_from_services(&model, &loaded.inventory, &mut notes);
            if f.len() > sg::MAX_DERIVED_FLOWS {
                return usage_error(format!(
                    "--from-services derives {} connections (more than {}): give the wanted \
                     connections with --flows instead",
                    f.len(),
                    sg::MAX_DERIVED_FLOWS
                ));
            }
            sg::within_current(&model, &mut f, &mut notes);
            f
        }
    };
    let mut out = sg::suggest(&model, &flows, !a.no_dns);
    out.notes.splice(0..0, notes);
    if let Err(e) = sg::check(&loaded.inventory, &mut out, model.options) {
        return usage_error(e);
    }
    let mut err = anstream::stderr();
    for n in &out.notes {
        let _ = writeln!(err, "note: {n}");
    }
    if let Some((missing, extra)) = &out.mismatch {
        let _ = writeln!(
            err,
            "warning: with these policies kubeward's analysis differs from the wanted connections:"
        );
        for l in missing {
            let _ = writeln!(err, "  missing: {l}");
        }
        for l in extra {
            let _ = writeln!(err, "  extra:   {l}");
        }
    } else {
        let _ = writeln!(
            err,
            "checked: with these policies in place of the input's NetworkPolicies, kubeward finds exactly the {} wanted connection{}",
            out.wanted.len(),
            if out.wanted.len() == 1 { "" } else { "s" }
        );
    }
    print(&out.yaml)
}
