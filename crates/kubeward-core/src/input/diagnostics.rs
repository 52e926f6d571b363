//! What loading yields besides objects: located problems ([`Diagnostic`]), documents that are
//! not objects ([`Skipped`]), counters ([`LoadStats`]), and the [`Loaded`] result itself.

use crate::inventory::{Inventory, ObjectId};
use crate::yaml::Duplicate;
use serde::Serialize;

/// How serious an input problem is. Errors make the scan exit with code 2.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Error,
    Warning,
}

/// An input problem, located where possible (line 0: the whole file).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Diagnostic {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub level: Level,
    pub message: String,
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let lvl = match self.level {
            Level::Error => "error",
            Level::Warning => "warning",
        };
        if self.line > 0 {
            write!(
                f,
                "{lvl}: {}:{}:{}: {}",
                self.file, self.line, self.column, self.message
            )
        } else {
            write!(f, "{lvl}: {}: {}", self.file, self.message)
        }
    }
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Skipped {
    pub file: String,
    pub line: u32,
    pub reason: String,
}

/// Counters for the summary and the benchmarks.
#[derive(Clone, Debug, Default, Serialize)]
pub struct LoadStats {
    pub files: usize,
    pub bytes: u64,
    pub documents: usize,
}

/// The result of loading.
#[derive(Debug, Default)]
pub struct Loaded {
    pub inventory: Inventory,
    pub diagnostics: Vec<Diagnostic>,
    /// Duplicate keys, attached to the object they are in (pointer relative to the object).
    pub duplicates: Vec<(ObjectId, Duplicate)>,
    pub skipped: Vec<Skipped>,
    pub stats: LoadStats,
}

impl Loaded {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.level == Level::Error)
    }
}
