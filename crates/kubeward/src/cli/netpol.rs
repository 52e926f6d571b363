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
}

#[derive(Args, Clone)]
struct Common {
    #[command(flatten)]
    input: InputArgs,
    /// Let NetworkPolicy `ipBlock` peers match pod addresses too (off: they match only
    /// addresses outside the cluster, as netpol-analyzer assumes).
    #[arg(long)]
    ipblock_matches_pods: bool,
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
    match args.command {
        NetpolCommand::Connections(a) => connections(a),
    }
}

/// Loads the inputs and builds the model; input errors are printed and give exit code 2.
fn load(common: &Common) -> Result<(Loaded, Model), ExitCode> {
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
    let model = Model::build(
        &loaded.inventory,
        Options {
            ipblock_matches_pods: common.ipblock_matches_pods,
        },
    );
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
    if out.write_all(body.as_bytes()).and_then(|_| out.flush()).is_err() {
        return ExitCode::from(2);
    }
    ExitCode::SUCCESS
}

fn connections(a: ConnectionsArgs) -> ExitCode {
    let (_loaded, model) = match load(&a.common) {
        Ok(x) => x,
        Err(c) => return c,
    };
    let format: netpol::Format = a.format.parse().expect("validated by clap");
    print(&netpol::render(&netpol::connections(&model), format))
}
