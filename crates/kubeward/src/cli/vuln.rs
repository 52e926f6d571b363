//! `kubeward vuln`: the offline vulnerability database (`db import`, `db update`, `db info`)
//! and direct matching of packages (`match`). `scan --vuln-report` uses [`scan_reports`].

use super::usage_error;
use clap::{Args, Subcommand, ValueEnum};
use kubeward_vuln::import::{self, DEFAULT_ECOSYSTEMS, DEFAULT_URL};
use kubeward_vuln::{Database, PackageQuery};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Args)]
pub struct VulnArgs {
    #[command(subcommand)]
    command: VulnCommand,
}

#[derive(Args, Clone)]
struct DbDir {
    /// Database folder (default: $KUBEWARD_VULN_DB, else $XDG_CACHE_HOME/kubeward/vuln, else
    /// ~/.cache/kubeward/vuln).
    #[arg(long, value_name = "DIR")]
    vuln_db: Option<PathBuf>,
}

impl DbDir {
    fn dir(&self) -> PathBuf {
        match &self.vuln_db {
            Some(d) => d.clone(),
            None => default_db_dir(),
        }
    }
}

#[derive(Subcommand)]
enum VulnCommand {
    /// The local OSV database.
    #[command(subcommand)]
    Db(DbCommand),
    /// Match packages against the database: `--package ECOSYSTEM:NAME@VERSION` (repeatable) or
    /// `--packages FILE` (a JSON list of {ecosystem, name, version, source_name?,
    /// source_version?}; `-` for stdin). Exit 1 when a package is vulnerable.
    Match(MatchArgs),
}

#[derive(Subcommand)]
enum DbCommand {
    /// Import OSV data: per-ecosystem zip exports (`all.zip`), folders of OSV JSON records
    /// (searched recursively), or single JSON files. Replaces the database.
    Import {
        #[arg(required = true, value_name = "FILE|DIR")]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        db: DbDir,
    },
    /// Download the OSV exports and import them (the only networked vuln command). Fetches
    /// URL/<ECOSYSTEM>/all.zip per ecosystem, or URL itself when it ends in .zip.
    Update {
        #[arg(long, default_value = DEFAULT_URL)]
        url: String,
        /// Ecosystems to fetch (repeatable; default: those kubeward matches).
        #[arg(long = "ecosystem", value_name = "NAME")]
        ecosystems: Vec<String>,
        /// Largest download accepted per export, in MiB.
        #[arg(long, default_value_t = 4096)]
        max_mib: u64,
        #[command(flatten)]
        db: DbDir,
    },
    /// Show what the database holds and when it was imported.
    Info {
        #[command(flatten)]
        db: DbDir,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum MatchFormat {
    Text,
    Json,
}

#[derive(Args)]
struct MatchArgs {
    #[arg(long = "package", value_name = "ECOSYSTEM:NAME@VERSION")]
    packages: Vec<String>,
    #[arg(long = "packages", value_name = "FILE")]
    packages_file: Option<PathBuf>,
    #[arg(short, long, value_enum, default_value_t = MatchFormat::Text)]
    format: MatchFormat,
    #[command(flatten)]
    db: DbDir,
}

pub fn run(args: VulnArgs) -> ExitCode {
    match args.command {
        VulnCommand::Db(DbCommand::Import { paths, db }) => import_into(&paths, None, &db.dir()),
        VulnCommand::Db(DbCommand::Update {
            url,
            ecosystems,
            max_mib,
            db,
        }) => update(&url, ecosystems, max_mib, &db.dir()),
        VulnCommand::Db(DbCommand::Info { db }) => match Database::load(&db.dir()) {
            Ok(d) => {
                println!("{}", d.describe());
                println!(
                    "{} affected-package entries; {} withdrawn records left out",
                    d.entry_count(),
                    d.meta.withdrawn
                );
                ExitCode::SUCCESS
            }
            Err(e) => usage_error(e),
        },
        VulnCommand::Match(m) => match_packages(m),
    }
}

fn import_into(paths: &[PathBuf], sources: Option<Vec<String>>, dir: &std::path::Path) -> ExitCode {
    let t = std::time::Instant::now();
    let imported = match sources {
        Some(s) => import::import_labelled(paths, s),
        None => import::import_paths(paths),
    };
    let imported = match imported {
        Ok(i) => i,
        Err(e) => return usage_error(e),
    };
    let mut err = anstream::stderr();
    for e in imported.errors.iter().take(20) {
        let _ = writeln!(err, "\x1b[1;33mwarning\x1b[0m: left out: {e}");
    }
    if imported.errors.len() > 20 {
        let _ = writeln!(
            err,
            "\x1b[1;33mwarning\x1b[0m: {} more records left out",
            imported.errors.len() - 20
        );
    }
    let path = match imported.db.save(dir) {
        Ok(p) => p,
        Err(e) => return usage_error(e),
    };
    println!(
        "{}\nwritten to {} in {:.1}s",
        imported.db.describe(),
        path.display(),
        t.elapsed().as_secs_f64()
    );
    if imported.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    }
}

fn update(url: &str, ecosystems: Vec<String>, max_mib: u64, dir: &std::path::Path) -> ExitCode {
    let ecos = if ecosystems.is_empty() {
        DEFAULT_ECOSYSTEMS.iter().map(|s| s.to_string()).collect()
    } else {
        ecosystems
    };
    let urls = import::export_urls(url, &ecos);
    if let Err(e) = std::fs::create_dir_all(dir) {
        return usage_error(format!("{}: {e}", dir.display()));
    }
    let tmp = dir.join(".download");
    let _ = std::fs::remove_dir_all(&tmp);
    if let Err(e) = std::fs::create_dir_all(&tmp) {
        return usage_error(format!("{}: {e}", tmp.display()));
    }
    for u in &urls {
        eprintln!("fetching {u}");
    }
    let code = match import::download(&urls, &tmp, max_mib << 20) {
        Ok(files) => import_into(&files, Some(urls), dir),
        Err(e) => usage_error(e),
    };
    let _ = std::fs::remove_dir_all(&tmp);
    code
}

#[derive(serde::Deserialize)]
struct JsonQuery {
    ecosystem: String,
    name: String,
    version: String,
    #[serde(default)]
    source_name: Option<String>,
    #[serde(default)]
    source_version: Option<String>,
}

fn match_packages(m: MatchArgs) -> ExitCode {
    let mut queries = Vec::new();
    for p in &m.packages {
        match PackageQuery::parse(p) {
            Ok(q) => queries.push(q),
            Err(e) => return usage_error(format!("--package {e}")),
        }
    }
    if let Some(f) = &m.packages_file {
        let text = if f.as_os_str() == "-" {
            let mut s = String::new();
            if let Err(e) = std::io::Read::read_to_string(&mut std::io::stdin(), &mut s) {
                return usage_error(format!("stdin: {e}"));
            }
            s
        } else {
            match std::fs::read_to_string(f) {
                Ok(s) => s,
                Err(e) => return usage_error(format!("{}: {e}", f.display())),
            }
        };
        let list: Vec<JsonQuery> = match serde_json::from_str(&text) {
            Ok(l) => l,
            Err(e) => {
                return usage_error(format!(
                    "{}: line {} column {}: {e}",
                    f.display(),
                    e.line(),
                    e.column()
                ));
            }
        };
        queries.extend(list.into_iter().map(|j| PackageQuery {
            ecosystem: j.ecosystem,
            name: j.name,
            version: j.version,
            source_name: j.source_name,
            source_version: j.source_version,
        }));
    }
    if queries.is_empty() {
        return usage_error(
            "give packages with --package ECOSYSTEM:NAME@VERSION or --packages FILE",
        );
    }
    let db = match Database::load(&m.db.dir()) {
        Ok(d) => d,
        Err(e) => return usage_error(e),
    };
    let outcomes = db.match_all(&queries);
    let vulnerable = outcomes.iter().any(|o| !o.matches.is_empty());
    let mut out = std::io::stdout().lock();
    match m.format {
        MatchFormat::Json => {
            let packages: Vec<serde_json::Value> = queries
                .iter()
                .zip(&outcomes)
                .map(|(q, o)| {
                    serde_json::json!({
                        "ecosystem": q.ecosystem, "name": q.name, "version": q.version,
                        "source_name": q.source_name, "source_version": q.source_version,
                        "vulnerabilities": o.matches, "notes": o.notes,
                    })
                })
                .collect();
            let doc = serde_json::json!({"database": db.meta, "packages": packages});
            let _ = writeln!(out, "{}", serde_json::to_string_pretty(&doc).expect("json"));
        }
        MatchFormat::Text => {
            let _ = writeln!(out, "{}", db.describe());
            for (q, o) in queries.iter().zip(&outcomes) {
                let _ = writeln!(
                    out,
                    "\n{} {} {}: {}",
                    q.ecosystem,
                    q.name,
                    q.version,
                    match o.matches.len() {
                        0 => "no known vulnerabilities".to_string(),
                        1 => "1 vulnerability".to_string(),
                        n => format!("{n} vulnerabilities"),
                    }
                );
                for v in &o.matches {
                    let mut line = format!("  {} {}", v.severity.as_str().to_uppercase(), v.id);
                    if !v.aliases.is_empty() {
                        line.push_str(&format!(" ({})", v.aliases.join(", ")));
                    }
                    if let Some(s) = v.score {
                        line.push_str(&format!(" CVSS {s:.1}"));
                    }
                    if v.record_package != v.package {
                        line.push_str(&format!(" via source package {}", v.record_package));
                    }
                    match &v.fixed {
                        Some(f) => line.push_str(&format!(", fixed in {f}")),
                        None => line.push_str(", no fix yet"),
                    }
                    if !v.summary.is_empty() {
                        line.push_str(&format!(": {}", v.summary));
                    }
                    let _ = writeln!(out, "{line}");
                }
                for n in &o.notes {
                    let _ = writeln!(out, "  note: {n}");
                }
            }
        }
    }
    if vulnerable {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Reads `--vuln-report` files for `scan`; `None` when none were given.
/// $KUBEWARD_VULN_DB, else $XDG_CACHE_HOME/kubeward/vuln, else ~/.cache/kubeward/vuln.
pub fn default_db_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("KUBEWARD_VULN_DB") {
        return d.into();
    }
    cache_dir().join("vuln")
}

/// $XDG_CACHE_HOME/kubeward, else ~/.cache/kubeward.
pub fn cache_dir() -> PathBuf {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(|| PathBuf::from("."))
        .join("kubeward")
}

pub fn scan_reports(paths: &[PathBuf]) -> Result<Option<Arc<kubeward_vuln::Facts>>, String> {
    if paths.is_empty() {
        return Ok(None);
    }
    let reports = kubeward_vuln::reports::read_files(paths).map_err(|e| e.to_string())?;
    Ok(Some(Arc::new(kubeward_vuln::Facts {
        reports,
        ..Default::default()
    })))
}
