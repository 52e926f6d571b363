//! `kubeward image inventory`: what is installed in a container image (registry, `docker
//! save` archive or OCI layout), as JSON, CycloneDX 1.5, SPDX 2.3 or a table.

use super::usage_error;
use clap::{Args, Subcommand, ValueEnum};
use kubeward_image::{ImageRef, Options, Platform, RegistryOptions, Source, output};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Args)]
pub struct ImageArgs {
    #[command(subcommand)]
    command: ImageCommand,
}

#[derive(Subcommand)]
enum ImageCommand {
    /// List the OS and language packages installed in an image, each with the layer and
    /// path it came from.
    ///
    /// Reads a registry (anonymous, bearer token or basic auth with the Docker config's
    /// credentials; loopback registries over plain HTTP), a `docker save` archive or an OCI
    /// image layout directory. Layers are streamed and checked against their digests; only
    /// package metadata and candidate binaries are read.
    Inventory(InventoryArgs),
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Json,
    Cyclonedx,
    SpdxJson,
    Text,
}

#[derive(Args)]
struct InventoryArgs {
    /// Image reference: [REGISTRY/]REPOSITORY[:TAG][@DIGEST] (Docker Hub by default).
    #[arg(
        value_name = "REF",
        required_unless_present_any = ["archive", "oci_layout"],
        conflicts_with_all = ["archive", "oci_layout"]
    )]
    reference: Option<String>,
    /// A `docker save` archive (FILE, or FILE:TAG to pick one image of several).
    #[arg(long, value_name = "FILE[:TAG]", conflicts_with = "oci_layout")]
    archive: Option<String>,
    /// An OCI image layout directory (DIR, or DIR:TAG to pick by ref name).
    #[arg(long, value_name = "DIR[:TAG]")]
    oci_layout: Option<String>,
    /// Platform to read from a multi-platform image (default: linux and this machine's
    /// architecture).
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    platform: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "json")]
    format: Format,
    /// Write to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Speak plain HTTP to the registry (loopback registries always are).
    #[arg(long)]
    plain_http: bool,
    /// Docker config file with registry credentials (default $DOCKER_CONFIG/config.json,
    /// else ~/.docker/config.json).
    #[arg(long, value_name = "FILE")]
    docker_config: Option<PathBuf>,
}

/// `PATH` if it exists, else `PATH:TAG` split at the last `:`.
fn path_and_tag(s: &str) -> (PathBuf, Option<String>) {
    if Path::new(s).exists() {
        return (PathBuf::from(s), None);
    }
    match s.rsplit_once(':') {
        Some((p, t)) if !p.is_empty() && !t.contains('/') && Path::new(p).exists() => {
            (PathBuf::from(p), Some(t.to_string()))
        }
        _ => (PathBuf::from(s), None),
    }
}

pub fn run(args: ImageArgs) -> ExitCode {
    match args.command {
        ImageCommand::Inventory(a) => inventory(a),
    }
}

fn inventory(a: InventoryArgs) -> ExitCode {
    let source = if let Some(s) = &a.archive {
        let (path, tag) = path_and_tag(s);
        Source::Archive { path, tag }
    } else if let Some(s) = &a.oci_layout {
        let (path, tag) = path_and_tag(s);
        Source::OciLayout { path, tag }
    } else {
        match ImageRef::parse(a.reference.as_deref().unwrap_or_default()) {
            Ok(r) => Source::Registry(r),
            Err(e) => return usage_error(e),
        }
    };
    let platform = match a.platform.as_deref().map(Platform::parse).transpose() {
        Ok(p) => p,
        Err(e) => return usage_error(e),
    };
    let opts = Options {
        platform,
        registry: RegistryOptions {
            plain_http: a.plain_http,
            docker_config: a.docker_config,
            credentials: None,
        },
        ..Options::default()
    };
    let inv = match kubeward_image::inventory(&source, &opts) {
        Ok(i) => i,
        Err(e) => return usage_error(e),
    };
    let mut text = match a.format {
        Format::Json => output::json(&inv),
        Format::Cyclonedx => output::cyclonedx::render(&inv),
        Format::SpdxJson => output::spdx::render(&inv),
        Format::Text => output::text(&inv),
    };
    if !text.ends_with('\n') {
        text.push('\n');
    }
    match &a.output {
        Some(p) => {
            if let Err(e) = std::fs::write(p, text) {
                return usage_error(format!("{}: {e}", p.display()));
            }
        }
        None => {
            let mut out = std::io::stdout().lock();
            if let Err(e) = out.write_all(text.as_bytes()) {
                if e.kind() != std::io::ErrorKind::BrokenPipe {
                    return usage_error(e);
                }
            }
        }
    }
    ExitCode::SUCCESS
}
