//! Sources: every input a scan reads, behind one trait.
//!
//! A [`Source`] adds what it reads to a [`Loaded`] (objects with their spans, the source
//! records, diagnostics, skipped documents and load counters). Problems are diagnostics, never
//! panics or early returns: a scan of ten sources with one unreadable still checks the other
//! nine, and exits with code 2.
//!
//! Core implements the sources that need nothing but the loader: [`Files`] (files, folders and
//! `-`, read together and in parallel), [`Stdin`], [`Kustomize`], [`Text`] (an in-memory
//! document) and [`Failed`] (an input that could not even be set up). Source crates implement
//! the rest without core depending on them: `kubeward_cluster::source::{Snapshot,
//! ClusterContext}` today; a node root, an image, an admission request or an audit event
//! tomorrow, each as a type in its own crate that turns what it reads into objects
//! (`Inventory::add_objects`, or [`crate::input::load_text`] for text) and facts
//! (`set_cluster_info`, `set_file_meta`).
//!
//! [`Scope`] tells the scan which inventory a source joins: analyses (RBAC, NetworkPolicy,
//! attack paths) must never mix two clusters, so every live cluster after the first is
//! scanned in an inventory of its own and the reports are merged
//! ([`crate::report::Report::merge`]).

use super::{Diagnostic, Level};
use super::{InputArg, LoadOptions, Loaded, load_into, load_kustomize_into, load_text_into};
use std::path::PathBuf;

/// Which inventory a source's objects go to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// The shared inventory (files, snapshots, standard input).
    Shared,
    /// A live cluster: the first joins the shared inventory, each further one gets its own.
    Cluster,
}

/// One input of a scan.
pub trait Source: Send + Sync {
    /// What is read, for messages (`deploy/`, `standard input`, `cluster context prod`).
    fn describe(&self) -> String;
    /// Reads the source into `loaded`, after what it holds already. Every problem is a
    /// diagnostic in `loaded`.
    fn load_into(&self, loaded: &mut Loaded);
    /// Which inventory the source joins.
    fn scope(&self) -> Scope {
        Scope::Shared
    }
}

/// Files, folders (walked, Kustomize roots rendered, Helm charts refused) and `-` (standard
/// input, read once), loaded together so that files are parsed in parallel.
#[derive(Clone, Debug)]
pub struct Files {
    pub inputs: Vec<InputArg>,
    pub options: LoadOptions,
}

impl Files {
    /// Paths as typed on a command line (`-`: standard input).
    pub fn new<S: AsRef<str>>(paths: &[S], options: LoadOptions) -> Files {
        Files {
            inputs: paths.iter().map(|p| InputArg::parse(p.as_ref())).collect(),
            options,
        }
    }
}

impl Source for Files {
    fn describe(&self) -> String {
        let names: Vec<String> = self
            .inputs
            .iter()
            .map(|i| match i {
                InputArg::Path(p) => p.display().to_string(),
                InputArg::Stdin => "-".into(),
            })
            .collect();
        names.join(", ")
    }

    fn load_into(&self, loaded: &mut Loaded) {
        load_into(&self.inputs, &self.options, loaded);
    }
}

/// Standard input: YAML, or JSON when it starts with `{`.
#[derive(Clone, Debug, Default)]
pub struct Stdin {
    pub options: LoadOptions,
}

impl Source for Stdin {
    fn describe(&self) -> String {
        "standard input".into()
    }

    fn load_into(&self, loaded: &mut Loaded) {
        load_into(&[InputArg::Stdin], &self.options, loaded);
    }
}

/// A Kustomize root rendered with `kubectl kustomize` (offline unless
/// `options.allow_remote_kustomize`); findings on the output point back at the files that
/// write the fields.
#[derive(Clone, Debug)]
pub struct Kustomize {
    pub dir: PathBuf,
    pub options: LoadOptions,
}

impl Source for Kustomize {
    fn describe(&self) -> String {
        format!("{} (kustomize)", self.dir.display())
    }

    fn load_into(&self, loaded: &mut Loaded) {
        load_kustomize_into(&self.dir, &self.options, loaded);
    }
}

/// Manifests held in memory, read as if from a file called `name` (`.json`: JSON).
#[derive(Clone, Debug)]
pub struct Text {
    pub name: String,
    pub text: String,
    pub options: LoadOptions,
}

impl Source for Text {
    fn describe(&self) -> String {
        self.name.clone()
    }

    fn load_into(&self, loaded: &mut Loaded) {
        load_text_into(&self.name, &self.text, &self.options, loaded);
    }
}

/// An input that could not be set up (a kubeconfig whose contexts cannot be listed, say): it
/// reads nothing and reports its error like any unreadable input.
#[derive(Clone, Debug)]
pub struct Failed {
    /// The file or name the error is about.
    pub file: String,
    pub message: String,
}

impl Source for Failed {
    fn describe(&self) -> String {
        self.file.clone()
    }

    fn load_into(&self, loaded: &mut Loaded) {
        loaded.diagnostics.push(Diagnostic {
            file: self.file.clone(),
            line: 0,
            column: 0,
            level: Level::Error,
            message: self.message.clone(),
        });
    }
}
