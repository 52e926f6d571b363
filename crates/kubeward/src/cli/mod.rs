//! Subcommands. Shared pieces: [`input::InputArgs`] (what every command reads) and
//! [`usage_error`].

pub mod input;
pub mod kubeconfig;
pub mod netpol;
pub mod paths;
pub mod rbac;
pub mod rules;
pub mod scan;
pub mod snapshot;

use std::io::Write;
use std::process::ExitCode;

/// A subcommand's arguments, declared to clap only when that subcommand is used (or its help
/// shown). Building every subcommand's arguments up front was a tenth of a small scan's
/// instructions once `netpol`, `rbac`, `snapshot` and the cluster options existed.
pub struct Deferred<T>(pub T);

impl<T: clap::FromArgMatches> clap::FromArgMatches for Deferred<T> {
    fn from_arg_matches(m: &clap::ArgMatches) -> Result<Self, clap::Error> {
        T::from_arg_matches(m).map(Deferred)
    }

    fn from_arg_matches_mut(m: &mut clap::ArgMatches) -> Result<Self, clap::Error> {
        T::from_arg_matches_mut(m).map(Deferred)
    }

    fn update_from_arg_matches(&mut self, m: &clap::ArgMatches) -> Result<(), clap::Error> {
        self.0.update_from_arg_matches(m)
    }

    fn update_from_arg_matches_mut(&mut self, m: &mut clap::ArgMatches) -> Result<(), clap::Error> {
        self.0.update_from_arg_matches_mut(m)
    }
}

impl<T: clap::Args> clap::Args for Deferred<T> {
    fn group_id() -> Option<clap::Id> {
        T::group_id()
    }

    fn augment_args(cmd: clap::Command) -> clap::Command {
        cmd.defer(augment_keeping_about::<T, false>)
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        cmd.defer(augment_keeping_about::<T, true>)
    }
}

/// Adds `T`'s arguments, keeping the subcommand's own `about` and `long_about`. Built eagerly,
/// the subcommand's doc comment is applied after its arguments; deferred, the arguments come
/// last, and a flattened struct's doc comment (`ClusterArgs`) would replace the subcommand's.
fn augment_keeping_about<T: clap::Args, const UPDATE: bool>(cmd: clap::Command) -> clap::Command {
    let about = cmd.get_about().cloned();
    let long_about = cmd.get_long_about().cloned();
    let cmd = if UPDATE {
        T::augment_args_for_update(cmd)
    } else {
        T::augment_args(cmd)
    };
    let cmd = match about {
        Some(a) => cmd.about(a),
        None => cmd.about(None::<&'static str>),
    };
    match long_about {
        Some(a) => cmd.long_about(a),
        None => cmd.long_about(None::<&'static str>),
    }
}

/// Sets up the worker threads: `threads`, or rayon's default (`RAYON_NUM_THREADS`, else one
/// per core). The calling thread is one of them, so `--threads 1` runs everything on it and a
/// small scan starts no thread at all (a new thread, its stack and its allocator heap were a
/// measurable part of scanning a dozen files).
pub fn init_threads(threads: Option<usize>) {
    // 0 is rayon's "default".
    let n = threads.map_or(0, |n| n.max(1));
    // Fails only if a pool exists already (tests calling `run` twice, or a large input that
    // was parsed with rayon's default pool): keep that one.
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .use_current_thread()
        .build_global();
}

/// Prints `error: msg` to stderr and returns exit code 2.
pub fn usage_error(msg: impl std::fmt::Display) -> ExitCode {
    let _ = writeln!(anstream::stderr(), "\x1b[1;31merror\x1b[0m: {msg}");
    ExitCode::from(2)
}
