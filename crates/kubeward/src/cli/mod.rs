//! Subcommands. Shared pieces: [`input::InputArgs`] (what every command reads) and
//! [`usage_error`].

pub mod input;
pub mod kubeconfig;
pub mod netpol;
pub mod rbac;
pub mod rules;
pub mod scan;
pub mod snapshot;

use std::io::Write;
use std::process::ExitCode;

/// Prints `error: msg` to stderr and returns exit code 2.
pub fn usage_error(msg: impl std::fmt::Display) -> ExitCode {
    let _ = writeln!(anstream::stderr(), "\x1b[1;31merror\x1b[0m: {msg}");
    ExitCode::from(2)
}
