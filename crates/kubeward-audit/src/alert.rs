//! Alerts and the run summary.

use kubeward_core::{RuleMeta, Severity};
use serde::Serialize;
use std::collections::BTreeMap;

/// Why an alert is not counted.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Suppressed {
    /// `config` (top-level `ignore:`) or `audit-config` (`audit.ignore`).
    pub by: &'static str,
    pub reason: String,
    /// Where the ignore entry is written.
    pub at: String,
}

/// One detection on one event.
#[derive(Clone, Debug, Serialize)]
pub struct Alert {
    pub rule: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub title: &'static str,
    pub message: String,
    /// The scan rule that fired on the request body (KW-AUD-004).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub underlying_rule: Option<&'static str>,
    /// JSON pointer into the request body, for body checks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    pub time: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub audit_id: String,
    pub user: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub impersonated_user: Option<String>,
    pub source_ips: Vec<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub user_agent: String,
    pub verb: String,
    pub resource: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object_name: Option<String>,
    pub file: String,
    pub line: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<u64>,
    pub mitre: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<Suppressed>,
}

impl Alert {
    pub fn is_active(&self) -> bool {
        self.suppressed.is_none()
    }

    /// MITRE ATT&CK technique IDs of a rule.
    pub fn mitre_of(meta: &RuleMeta) -> Vec<&'static str> {
        meta.references
            .iter()
            .filter(|(k, _)| *k == "mitre")
            .map(|(_, v)| *v)
            .collect()
    }
}

/// Counts with a bounded number of distinct keys: past the bound, new keys count under
/// `(other)`, so a stream with millions of users stays in constant memory.
#[derive(Clone, Debug, Default)]
pub struct Counter {
    map: foldhash::HashMap<String, u64>,
    other: u64,
}

/// Distinct keys a summary counter keeps.
pub const COUNTER_KEYS: usize = 10_000;

impl Counter {
    pub fn add(&mut self, key: &str) {
        if let Some(v) = self.map.get_mut(key) {
            *v += 1;
        } else if self.map.len() < COUNTER_KEYS {
            self.map.insert(key.to_string(), 1);
        } else {
            self.other += 1;
        }
    }

    /// The `n` largest counts (ties by key), then `(other)` if anything overflowed.
    pub fn top(&self, n: usize) -> Vec<(String, u64)> {
        let mut v: Vec<(String, u64)> = self.map.iter().map(|(k, v)| (k.clone(), *v)).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let rest: u64 = v.iter().skip(n).map(|e| e.1).sum::<u64>() + self.other;
        v.truncate(n);
        if rest > 0 {
            v.push(("(other)".into(), rest));
        }
        v
    }
}

/// What a run read and found.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// Audit events read (every stage).
    pub events: u64,
    /// Events the detections looked at (final stage).
    pub analyzed: u64,
    /// Lines or items that were not readable events.
    pub bad: u64,
    /// The first bad lines, `file:line: message`.
    pub bad_samples: Vec<String>,
    pub by_verb: Counter,
    pub by_user: Counter,
    pub by_resource: Counter,
    pub alerts: BTreeMap<&'static str, u64>,
    pub suppressed: BTreeMap<&'static str, u64>,
    /// Per rule: events it could not decide, and why (most often: the audit policy logs
    /// that resource at `Metadata`, without the request body).
    pub undecided: BTreeMap<&'static str, (u64, &'static str)>,
    pub first_time: Option<String>,
    pub last_time: Option<String>,
    /// Per-subject state dropped because `max_tracked_keys` was reached.
    pub state_evictions: u64,
}

/// Bad lines whose message is kept in the summary (all are counted).
pub const BAD_SAMPLES: usize = 20;

impl Summary {
    pub fn active_alerts(&self) -> u64 {
        self.alerts.values().sum()
    }

    /// The summary as JSON (the `--summary` JSON line and the webhook's status).
    pub fn to_json(&self, top: usize) -> serde_json::Value {
        let counts = |c: &Counter| {
            serde_json::Value::Array(
                c.top(top)
                    .into_iter()
                    .map(|(k, v)| serde_json::json!({"key": k, "count": v}))
                    .collect(),
            )
        };
        serde_json::json!({
            "summary": {
                "events": self.events,
                "analyzed": self.analyzed,
                "bad_lines": self.bad,
                "bad_samples": self.bad_samples,
                "first_time": self.first_time,
                "last_time": self.last_time,
                "by_verb": counts(&self.by_verb),
                "by_user": counts(&self.by_user),
                "by_resource": counts(&self.by_resource),
                "alerts_by_rule": self.alerts,
                "suppressed_by_rule": self.suppressed,
                "undecided_by_rule": self.undecided.iter().map(|(k, (n, why))| (*k, serde_json::json!({"events": n, "reason": why}))).collect::<BTreeMap<_, _>>(),
                "state_evictions": self.state_evictions,
            }
        })
    }

    /// The summary as text.
    pub fn to_text(&self, top: usize) -> String {
        use std::fmt::Write;
        let mut o = String::new();
        let _ = writeln!(
            o,
            "events read: {}  analyzed (final stage): {}  bad lines: {}",
            self.events, self.analyzed, self.bad
        );
        if let (Some(a), Some(b)) = (&self.first_time, &self.last_time) {
            let _ = writeln!(o, "time range: {a} .. {b}");
        }
        for s in &self.bad_samples {
            let _ = writeln!(o, "  bad: {s}");
        }
        for (title, c) in [
            ("by verb", &self.by_verb),
            ("by user", &self.by_user),
            ("by resource", &self.by_resource),
        ] {
            let _ = writeln!(o, "{title}:");
            for (k, v) in c.top(top) {
                let _ = writeln!(o, "  {v:>10}  {k}");
            }
        }
        let _ = writeln!(o, "alerts by rule:");
        if self.alerts.is_empty() && self.suppressed.is_empty() {
            let _ = writeln!(o, "  none");
        }
        let mut ids: Vec<&&str> = self.alerts.keys().chain(self.suppressed.keys()).collect();
        ids.sort();
        ids.dedup();
        for id in ids {
            let _ = writeln!(
                o,
                "  {id}: {} active, {} suppressed",
                self.alerts.get(*id).copied().unwrap_or(0),
                self.suppressed.get(*id).copied().unwrap_or(0)
            );
        }
        if !self.undecided.is_empty() {
            let _ = writeln!(o, "undecided:");
            for (id, (n, why)) in &self.undecided {
                let _ = writeln!(o, "  {id}: {n} events ({why})");
            }
        }
        if self.state_evictions > 0 {
            let _ = writeln!(
                o,
                "state evictions: {} (raise audit.max_tracked_keys)",
                self.state_evictions
            );
        }
        o
    }
}
