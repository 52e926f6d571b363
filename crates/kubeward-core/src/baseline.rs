//! A baseline: findings accepted earlier, by fingerprint, so a scan reports only new ones.

use foldhash::HashSet;

/// Previously accepted findings, by fingerprint.
#[derive(Debug, Default, Clone)]
pub struct Baseline {
    pub fingerprints: HashSet<String>,
}

/// Why a baseline file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("not a kubeward baseline: {0}")]
    Json(#[from] serde_json::Error),
    #[error("not a kubeward baseline (missing \"kubeward_baseline\": 1)")]
    Version,
    #[error("baseline has no \"findings\" list")]
    NoFindings,
    #[error("baseline finding {0} has no fingerprint")]
    NoFingerprint(usize),
}

impl Baseline {
    /// Parses a baseline file written by [`crate::report::baseline_json`].
    pub fn parse(text: &str) -> Result<Self, BaselineError> {
        let v: serde_json::Value = serde_json::from_str(text)?;
        if v.get("kubeward_baseline").and_then(|x| x.as_u64()) != Some(1) {
            return Err(BaselineError::Version);
        }
        let mut b = Baseline::default();
        for (i, f) in v
            .get("findings")
            .and_then(|f| f.as_array())
            .ok_or(BaselineError::NoFindings)?
            .iter()
            .enumerate()
        {
            let fp = f
                .get("fingerprint")
                .and_then(|x| x.as_str())
                .ok_or(BaselineError::NoFingerprint(i))?;
            b.fingerprints.insert(fp.to_string());
        }
        Ok(b)
    }
}
