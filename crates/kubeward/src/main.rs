//! The `kubeward` command line: argument parsing and printing only; the work is in the library
//! crates. Each subcommand lives in its own module under `cli/`.

mod cli;

/// Parsing builds many small strings and vectors; mimalloc makes that markedly cheaper than
/// the system allocator (see the README performance table).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Parser, Subcommand};
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
#[allow(clippy::large_enum_variant)] // parsed once per run
enum Command {
    /// Scan manifests (files, folders, `-` for stdin, Kustomize folders), snapshots, or a live
    /// cluster (`--cluster`).
    ///
    /// Helm charts: `helm template RELEASE CHART | kubeward scan -`.
    Scan(cli::scan::ScanArgs),
    /// List the rules.
    Rules(cli::rules::RulesArgs),
    /// Explain one rule: why it matters, how to fix it, references.
    Explain(cli::rules::ExplainArgs),
    /// Pod-to-pod NetworkPolicy analysis: connections, explain, exposure, suggest.
    Netpol(cli::netpol::NetpolArgs),
    /// RBAC questions: who-can, can, graph (same inputs as `scan`).
    Rbac(cli::rbac::RbacArgs),
    /// Save a live cluster's objects for offline scans (`kubeward scan FILE.kwsnap`).
    Snapshot(cli::snapshot::SnapshotArgs),
    /// Check kubeconfig files (default: $KUBECONFIG or ~/.kube/config) for leaked or weak credentials.
    Kubeconfig(cli::kubeconfig::KubeconfigArgs),
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Scan(a) => cli::scan::run(a),
        Command::Rules(a) => cli::rules::run(a),
        Command::Explain(a) => cli::rules::explain(a),
        Command::Netpol(a) => cli::netpol::run(a),
        Command::Rbac(a) => cli::rbac::run(a),
        Command::Snapshot(a) => cli::snapshot::run(a),
        Command::Kubeconfig(a) => cli::kubeconfig::run(a),
    }
}
