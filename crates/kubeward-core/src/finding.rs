//! Findings: what a rule says about one place in one object.

use crate::inventory::{Inventory, ObjectId};
pub use crate::level::{Layer, Severity, Status};
use crate::meta::RuleMeta;
use serde::{Deserialize, Serialize};

/// Why a finding is not counted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppression {
    /// `annotation`, `config` or `baseline`.
    pub by: String,
    pub reason: String,
}

/// Another place that explains a finding (the binding and role behind a permission, the
/// policy that lets traffic through).
#[derive(Clone, Debug, PartialEq)]
pub struct Related {
    pub object: ObjectId,
    pub pointer: String,
    pub message: String,
}

/// One result of one rule.
#[derive(Clone, Debug)]
pub struct Finding {
    pub rule: &'static RuleMeta,
    /// The object the finding is about; `None` for findings about the scan as a whole.
    pub object: Option<ObjectId>,
    /// JSON pointer into the object (relative to the object's root).
    pub pointer: String,
    pub message: String,
    pub severity: Severity,
    pub status: Status,
    /// References specific to this finding (for example `pss` = the upstream check ID),
    /// added to the rule's own references.
    pub references: Vec<(&'static str, String)>,
    pub related: Vec<Related>,
    pub suppressed: Option<Suppression>,
    /// The source text at the finding holds a secret value: renderers must not quote it.
    pub redact_source: bool,
    /// Extra identity for findings that share a rule, object and pointer but are about
    /// different things (the same RBAC rule reached by two subjects). Part of the fingerprint
    /// when set, so a baseline that accepts one does not hide the other.
    pub key: Option<String>,
}

impl Finding {
    pub fn new(
        rule: &'static RuleMeta,
        object: Option<ObjectId>,
        pointer: String,
        message: String,
    ) -> Self {
        Finding {
            rule,
            object,
            pointer,
            message,
            severity: rule.severity,
            status: Status::Fail,
            references: Vec::new(),
            related: Vec::new(),
            suppressed: None,
            redact_source: false,
            key: None,
        }
    }

    pub fn severity(&mut self, s: Severity) -> &mut Self {
        self.severity = s;
        self
    }

    pub fn status(&mut self, s: Status) -> &mut Self {
        self.status = s;
        self
    }

    /// Sets [`Finding::key`].
    pub fn key(&mut self, key: impl Into<String>) -> &mut Self {
        self.key = Some(key.into());
        self
    }

    pub fn reference(&mut self, source: &'static str, id: impl Into<String>) -> &mut Self {
        self.references.push((source, id.into()));
        self
    }

    pub fn related(
        &mut self,
        object: ObjectId,
        pointer: impl Into<String>,
        message: impl Into<String>,
    ) -> &mut Self {
        self.related.push(Related {
            object,
            pointer: pointer.into(),
            message: message.into(),
        });
        self
    }

    /// Marks the finding's source line as holding a secret value, so that no renderer quotes it.
    pub fn redact_source(&mut self) -> &mut Self {
        self.redact_source = true;
        self
    }

    /// Counts toward `--fail-on`: a failed check that is not suppressed.
    pub fn is_active(&self) -> bool {
        self.suppressed.is_none() && self.status == Status::Fail
    }
}

/// A stable identity for a finding that survives line moves: rule, object identity and
/// pointer (or message, for findings not tied to an object). FNV-1a, 64 bits, hex.
pub fn fingerprint(f: &Finding, inventory: &Inventory) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |s: &str| {
        for b in s.bytes().chain(std::iter::once(0xff)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    eat(f.rule.id);
    match f.object {
        Some(id) => {
            let o = inventory.object(id);
            eat(o.group());
            eat(&o.kind);
            eat(o.namespace().unwrap_or(""));
            eat(&o.name);
            eat(&f.pointer);
        }
        None => eat(&f.message),
    }
    if let Some(k) = &f.key {
        eat(k);
    }
    hex16(h)
}

/// 16 lower-case hex digits, as `format!("{h:016x}")` writes them, without the formatter.
pub(crate) fn hex16(h: u64) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digits: Vec<u8> = (0..16)
        .map(|i| HEX[((h >> (60 - 4 * i)) & 0xf) as usize])
        .collect();
    String::from_utf8(digits).expect("ASCII")
}
