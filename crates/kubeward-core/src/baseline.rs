//! A baseline: findings accepted earlier, by fingerprint, so a scan reports only new ones.

use foldhash::HashSet;

/// Previously accepted findings, by fingerprint.
#[derive(Debug, Default, Clone)]
pub struct Baseline {
    pub fingerprints: HashSet<String>,
}

impl Baseline {
    /// Parses a baseline file written by [`crate::report::baseline_json`].
    pub fn parse(text: &str) -> Result<Self, String> {
        let v: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("not a kubeward baseline: {e}"))?;
        if v.get("kubeward_baseline").and_then(|x| x.as_u64()) != Some(1) {
            return Err("not a kubeward baseline (missing \"kubeward_baseline\": 1)".into());
        }
        let mut b = Baseline::default();
        for (i, f) in v
            .get("findings")
            .and_then(|f| f.as_array())
            .ok_or("baseline has no \"findings\" list")?
            .iter()
            .enumerate()
        {
            let fp = f
                .get("fingerprint")
                .and_then(|x| x.as_str())
                .ok_or_else(|| format!("baseline finding {i} has no fingerprint"))?;
            b.fingerprints.insert(fp.to_string());
        }
        Ok(b)
    }
}
