//! The `kubeward` command line: argument parsing and printing only; the work is in the library
//! crates. Each subcommand lives in its own module under `cli/`.

mod cli;

/// Parsing builds many small strings and vectors; mimalloc makes that markedly cheaper than
/// the system allocator (see the README performance table).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Parser, Subcommand};
use cli::Deferred;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "kubeward",
    version,
    about = "Defence-in-depth security scanner for Kubernetes",
    long_about = "kubeward checks every layer an attacker must get through (nodes, control plane, \
                  containers, data, pod-to-node, pod-to-pod, pod-to-API, network exposure and \
                  monitoring) and tells how to close each one.\n\nExit codes: 0 clean, 1 findings \
                  at or above --fail-on, 2 usage or input error (also: output that cannot be \
                  written, and a cluster scan that could not read everything, unless \
                  --allow-partial). A closed standard output (`| head`) is not an error. \
                  Details: docs/reliability.md."
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
    Scan(Deferred<cli::scan::ScanArgs>),
    /// List the rules.
    Rules(Deferred<cli::rules::RulesArgs>),
    /// Explain one rule: why it matters, how to fix it, references.
    Explain(Deferred<cli::rules::ExplainArgs>),
    /// Pod-to-pod NetworkPolicy analysis: connections, explain, exposure, suggest.
    Netpol(Deferred<cli::netpol::NetpolArgs>),
    /// RBAC questions: who-can, can, graph (same inputs as `scan`).
    Rbac(Deferred<cli::rbac::RbacArgs>),
    /// Save a live cluster's objects for offline scans (`kubeward scan FILE.kwsnap`).
    Snapshot(Deferred<cli::snapshot::SnapshotArgs>),
    /// Check kubeconfig files (default: $KUBECONFIG or ~/.kube/config) for leaked or weak credentials.
    Kubeconfig(Deferred<cli::kubeconfig::KubeconfigArgs>),
    /// etcd: `verify` that Secrets and ConfigMaps are encrypted at rest (value prefixes only).
    Etcd(Deferred<cli::etcd::EtcdArgs>),
    /// Probe named hosts for exposed Kubernetes ports (kubelet, etcd, API server, components,
    /// NodePorts) and compare with the ports-and-protocols table; opt-in network access.
    Probe(Deferred<cli::probe::ProbeArgs>),
    /// Check this node (or a node filesystem under --root): kubelet settings, static pods,
    /// control-plane files, file modes and owners, with a CIS summary.
    Node(Deferred<cli::node::NodeArgs>),
    /// Audit logs: analyze files (`audit analyze`) or receive the API server's audit webhook.
    Audit(Deferred<cli::audit::AuditArgs>),
    /// Run the admission server: validating and mutating (digest pinning) webhooks and the
    /// ImagePolicyWebhook backend, over HTTPS (see docs/admission.md).
    Serve(Deferred<cli::serve::ServeArgs>),
    /// Known vulnerabilities: the offline OSV database (`db import`, `db update`) and `match`.
    Vuln(Deferred<cli::vuln::VulnArgs>),
    /// Container images: list what is installed (`image inventory`).
    Image(Deferred<cli::image::ImageArgs>),
    /// Attack paths across the layers (entry point → workload → node, token, cloud →
    /// target), the changes that break the most paths first (same inputs as `scan`).
    ///
    /// Exit codes: 0 no path, 1 at least one path, 2 usage or input error.
    Paths(Deferred<cli::paths::PathsArgs>),
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Scan(a) => cli::scan::run(a.0),
        Command::Rules(a) => cli::rules::run(a.0),
        Command::Explain(a) => cli::rules::explain(a.0),
        Command::Netpol(a) => cli::netpol::run(a.0),
        Command::Rbac(a) => cli::rbac::run(a.0),
        Command::Snapshot(a) => cli::snapshot::run(a.0),
        Command::Kubeconfig(a) => cli::kubeconfig::run(a.0),
        Command::Etcd(a) => cli::etcd::run(a.0),
        Command::Probe(a) => cli::probe::run(a.0),
        Command::Node(a) => cli::node::run(a.0),
        Command::Audit(a) => cli::audit::run(a.0),
        Command::Serve(a) => cli::serve::run_serve(a.0),
        Command::Vuln(a) => cli::vuln::run(a.0),
        Command::Image(a) => cli::image::run(a.0),
        Command::Paths(a) => cli::paths::run(a.0),
    }
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    #[test]
    fn command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn deferred_subcommands_keep_their_own_description() {
        let mut cmd = Cli::command();
        cmd.build();
        let about = |name: &str| {
            let sub = cmd.find_subcommand(name).expect(name);
            (
                sub.get_about().map(|s| s.to_string()).unwrap_or_default(),
                sub.get_long_about().map(|s| s.to_string()),
            )
        };
        // Both flatten ClusterArgs, whose own doc comment must not replace theirs.
        let (scan, scan_long) = about("scan");
        assert!(scan.starts_with("Scan manifests"), "{scan}");
        assert!(scan_long.unwrap().contains("helm template"));
        let (snapshot, snapshot_long) = about("snapshot");
        assert!(snapshot.starts_with("Save a live cluster"), "{snapshot}");
        assert_eq!(snapshot_long, None);
        // And every subcommand's arguments are there once built.
        assert!(
            cmd.find_subcommand("scan")
                .unwrap()
                .get_arguments()
                .any(|a| a.get_id() == "threads")
        );
    }
}
