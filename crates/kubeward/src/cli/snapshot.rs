//! `kubeward snapshot`: read a cluster once and save it for offline analysis
//! (`kubeward scan FILE.kwsnap`).

use super::input::ClusterArgs;
use super::usage_error;
use clap::Args;
use kubeward_cluster::snapshot;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct SnapshotArgs {
    #[command(flatten)]
    cluster: ClusterArgs,
    /// Where to write the snapshot (zstd-compressed JSON; `.kwsnap` by convention).
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
}

pub fn run(args: SnapshotArgs) -> ExitCode {
    if args.cluster.all_contexts {
        return usage_error(
            "a snapshot holds one cluster: pick it with --context (or run once per context)",
        );
    }
    let opts = args.cluster.options(None);
    let started = std::time::Instant::now();
    let c = match kubeward_cluster::read_cluster(&opts) {
        Ok(c) => c,
        Err(e) => return usage_error(e),
    };
    if let Err(e) = snapshot::write(&args.output, &c.info, &c.discovery, &c.objects) {
        return usage_error(e);
    }
    let size = std::fs::metadata(&args.output)
        .map(|m| m.len())
        .unwrap_or(0);
    let mut err = anstream::stderr();
    let _ = writeln!(
        err,
        "wrote {}: {} objects from context {} ({}, {} resource types, {:.1} MiB) in {:.1}s",
        args.output.display(),
        c.objects.len(),
        c.info.context,
        c.info
            .version
            .as_ref()
            .map(|v| v.git_version.as_str())
            .unwrap_or("unknown version"),
        c.discovery
            .resources
            .iter()
            .filter(|r| kubeward_cluster::collect::wanted(r))
            .count(),
        size as f64 / (1024.0 * 1024.0),
        started.elapsed().as_secs_f64()
    );
    for g in &c.info.gaps {
        let _ = writeln!(
            err,
            "\x1b[33mwarning\x1b[0m: not in the snapshot: {}{} ({})",
            if g.group.is_empty() {
                g.resource.clone()
            } else {
                format!("{}.{}", g.resource, g.group)
            },
            g.namespace
                .as_ref()
                .map(|n| format!(" in {n}"))
                .unwrap_or_default(),
            g.reason
        );
    }
    ExitCode::SUCCESS
}
