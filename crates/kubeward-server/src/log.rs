//! The decision log: one JSON line per review (what was asked, what was decided, why).

use crate::review::AdmissionRequest;
use serde::Serialize;
use std::io::Write;
use std::sync::Mutex;

#[derive(Clone, Debug, Serialize)]
pub struct FindingRecord {
    pub rule: &'static str,
    pub action: &'static str,
    pub severity: &'static str,
    pub field: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub preexisting: bool,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct DecisionRecord {
    /// Seconds since the Unix epoch, with milliseconds.
    pub time: f64,
    pub endpoint: &'static str,
    pub uid: String,
    pub operation: String,
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub_resource: Option<String>,
    pub namespace: String,
    pub name: String,
    pub user: String,
    pub dry_run: bool,
    pub allowed: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<FindingRecord>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub micros: u64,
}

impl DecisionRecord {
    pub fn for_request(endpoint: &'static str, req: &AdmissionRequest) -> Self {
        DecisionRecord {
            time: now(),
            endpoint,
            uid: req.uid.clone(),
            operation: req.operation.clone(),
            kind: req.kind.kind.clone(),
            sub_resource: req.sub_resource.clone(),
            namespace: req.namespace.clone().unwrap_or_default(),
            name: req.name.clone().unwrap_or_default(),
            user: req.user_info.username.clone(),
            dry_run: req.is_dry_run(),
            ..Default::default()
        }
    }
}

pub fn now() -> f64 {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    (d.as_millis() as f64) / 1000.0
}

/// Where decisions go.
pub struct DecisionLog {
    out: Option<Mutex<Box<dyn Write + Send>>>,
}

impl DecisionLog {
    /// `"-"`: standard error; `""`: nowhere; else a file, appended to.
    pub fn open(target: &str) -> std::io::Result<DecisionLog> {
        let out: Option<Box<dyn Write + Send>> = match target {
            "" => None,
            "-" => Some(Box::new(std::io::stderr())),
            path => Some(Box::new(std::io::LineWriter::new(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)?,
            ))),
        };
        Ok(DecisionLog {
            out: out.map(Mutex::new),
        })
    }

    pub fn none() -> DecisionLog {
        DecisionLog { out: None }
    }

    pub fn write(&self, record: &DecisionRecord) {
        if let Some(out) = &self.out {
            let mut line = serde_json::to_vec(record).unwrap_or_default();
            line.push(b'\n');
            if let Ok(mut w) = out.lock() {
                // A full disk must not fail admission; the metric of requests still counts.
                let _ = w.write_all(&line);
            }
        }
    }
}
