//! Subcommands. Shared pieces: [`input::InputArgs`] (what every command reads) and
//! [`usage_error`].

pub mod audit;
pub mod etcd;
pub mod image;
pub mod input;
pub mod kubeconfig;
pub mod netpol;
pub mod node;
pub mod paths;
pub mod probe;
pub mod rbac;
pub mod rules;
pub mod scan;
pub mod serve;
pub mod snapshot;
pub mod vuln;

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

/// What a failed write to standard output means: a reader that went away (`| head`) ends the
/// command quietly with its usual status; anything else (`> /dev/full`, a closed descriptor)
/// is an error, as a report that was not written must not pass for a clean run.
pub fn stdout_result(r: std::io::Result<()>) -> Result<(), ExitCode> {
    match r {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(usage_error(format!(
            "cannot write the output to standard output: {e}"
        ))),
    }
}

/// Writes `body` to standard output (through `anstream` when `colour`, which strips colour codes
/// for pipes and files), then flushes. A write error other than a closed pipe prints an error
/// and ends the process with exit code 2 (see [`stdout_result`]).
pub fn print_stdout(body: &str, colour: bool) {
    let r = if colour {
        let mut out = anstream::stdout();
        out.write_all(body.as_bytes()).and_then(|_| out.flush())
    } else {
        let mut out = std::io::stdout().lock();
        out.write_all(body.as_bytes()).and_then(|_| out.flush())
    };
    if stdout_result(r).is_err() {
        // Only reached after the command's work is done: nothing is left to clean up.
        std::process::exit(2);
    }
}

/// Prints input diagnostics (errors and warnings, each naming its file) to standard error,
/// in every output format.
pub fn print_diagnostics(diags: &[kubeward_core::input::Diagnostic]) {
    let mut err = anstream::stderr();
    for d in diags {
        let (style, word) = match d.level {
            kubeward_core::input::Level::Error => ("\x1b[1;31m", "error"),
            kubeward_core::input::Level::Warning => ("\x1b[33m", "warning"),
        };
        let _ = if d.line > 0 {
            writeln!(
                err,
                "{style}{word}\x1b[0m: {}:{}:{}: {}",
                d.file, d.line, d.column, d.message
            )
        } else {
            writeln!(err, "{style}{word}\x1b[0m: {}: {}", d.file, d.message)
        };
    }
}
