//! CVSS base scores computed from vectors (v3.0/v3.1 and v2), and qualitative levels.
//! OSV `severity[].score` holds the vector, not a number.

use crate::error::CvssError;
use serde::Serialize;

/// A qualitative severity, from a score or a database's own label.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// The source gave none.
    Unknown,
    /// `NONE` (score 0), Debian `unimportant`, Grype `Negligible`.
    Negligible,
    Low,
    Medium,
    High,
    Critical,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Unknown => "unknown",
            Level::Negligible => "negligible",
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
            Level::Critical => "critical",
        }
    }

    /// Reads a label used by a database or scanner (case-insensitive): CVSS names, GHSA
    /// `MODERATE`, Debian urgencies (`unimportant`, `low*`), Ubuntu priorities, Grype
    /// `Negligible`, Trivy `UNKNOWN`.
    pub fn from_label(s: &str) -> Level {
        let s = s.trim().trim_end_matches('*').to_ascii_lowercase();
        match s.as_str() {
            "critical" => Level::Critical,
            "high" | "important" => Level::High,
            "medium" | "moderate" => Level::Medium,
            "low" => Level::Low,
            "negligible" | "none" | "unimportant" | "informational" => Level::Negligible,
            _ => Level::Unknown,
        }
    }

    /// CVSS v3 qualitative rating of a base score.
    pub fn from_v3_score(score: f64) -> Level {
        match score {
            s if s >= 9.0 => Level::Critical,
            s if s >= 7.0 => Level::High,
            s if s >= 4.0 => Level::Medium,
            s if s > 0.0 => Level::Low,
            _ => Level::Negligible,
        }
    }

    /// CVSS v2 rating (NVD): low < 4, medium < 7, high otherwise.
    pub fn from_v2_score(score: f64) -> Level {
        match score {
            s if s >= 7.0 => Level::High,
            s if s >= 4.0 => Level::Medium,
            s if s > 0.0 => Level::Low,
            _ => Level::Negligible,
        }
    }

    pub fn to_severity(self) -> kubeward_core::Severity {
        use kubeward_core::Severity as S;
        match self {
            Level::Critical => S::Critical,
            Level::High => S::High,
            Level::Medium | Level::Unknown => S::Medium,
            Level::Low => S::Low,
            Level::Negligible => S::Info,
        }
    }

    pub(crate) fn from_u8(v: u8) -> Level {
        match v {
            1 => Level::Negligible,
            2 => Level::Low,
            3 => Level::Medium,
            4 => Level::High,
            5 => Level::Critical,
            _ => Level::Unknown,
        }
    }
}

fn metrics(vector: &str) -> Result<Vec<(&str, &str)>, CvssError> {
    let mut out = Vec::new();
    for part in vector.split('/') {
        let (k, v) = part.split_once(':').ok_or_else(|| CvssError::NotMetric {
            vector: vector.to_string(),
            part: part.to_string(),
        })?;
        out.push((k, v));
    }
    Ok(out)
}

fn get<'a>(m: &[(&'a str, &'a str)], key: &str, vector: &str) -> Result<&'a str, CvssError> {
    m.iter()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| *v)
        .ok_or_else(|| CvssError::Missing {
            vector: vector.to_string(),
            metric: key.to_string(),
        })
}

/// CVSS v3.1 `Roundup`: the smallest number with one decimal that is at least `x`, computed
/// on integers to avoid floating-point surprises.
fn roundup(x: f64) -> f64 {
    let i = (x * 100_000.0).round() as i64;
    if i % 10_000 == 0 {
        i as f64 / 100_000.0
    } else {
        ((i / 10_000) + 1) as f64 / 10.0
    }
}

/// The base score of a CVSS v3.0 or v3.1 vector (`CVSS:3.1/AV:N/AC:L/...`).
pub fn v3_base_score(vector: &str) -> Result<f64, CvssError> {
    let v = vector.trim();
    let body = v
        .strip_prefix("CVSS:3.1/")
        .or_else(|| v.strip_prefix("CVSS:3.0/"))
        .ok_or_else(|| CvssError::NotV3 {
            vector: v.to_string(),
        })?;
    let m = metrics(body)?;
    let bad = |k: &str, x: &str| CvssError::UnknownValue {
        label: "CVSS",
        vector: v.to_string(),
        metric: k.to_string(),
        value: x.to_string(),
    };
    let scope_changed = match get(&m, "S", v)? {
        "U" => false,
        "C" => true,
        x => return Err(bad("S", x)),
    };
    let av = match get(&m, "AV", v)? {
        "N" => 0.85,
        "A" => 0.62,
        "L" => 0.55,
        "P" => 0.2,
        x => return Err(bad("AV", x)),
    };
    let ac = match get(&m, "AC", v)? {
        "L" => 0.77,
        "H" => 0.44,
        x => return Err(bad("AC", x)),
    };
    let pr = match (get(&m, "PR", v)?, scope_changed) {
        ("N", _) => 0.85,
        ("L", false) => 0.62,
        ("L", true) => 0.68,
        ("H", false) => 0.27,
        ("H", true) => 0.5,
        (x, _) => return Err(bad("PR", x)),
    };
    let ui = match get(&m, "UI", v)? {
        "N" => 0.85,
        "R" => 0.62,
        x => return Err(bad("UI", x)),
    };
    let cia = |k: &str| -> Result<f64, CvssError> {
        match get(&m, k, v)? {
            "H" => Ok(0.56),
            "L" => Ok(0.22),
            "N" => Ok(0.0),
            x => Err(bad(k, x)),
        }
    };
    let (c, i, a) = (cia("C")?, cia("I")?, cia("A")?);
    let iss = 1.0 - (1.0 - c) * (1.0 - i) * (1.0 - a);
    let impact = if scope_changed {
        7.52 * (iss - 0.029) - 3.25 * (iss - 0.02).powi(15)
    } else {
        6.42 * iss
    };
    let exploitability = 8.22 * av * ac * pr * ui;
    if impact <= 0.0 {
        return Ok(0.0);
    }
    let round = |x: f64| {
        if v.starts_with("CVSS:3.0/") {
            (x * 10.0).ceil() / 10.0
        } else {
            roundup(x)
        }
    };
    Ok(if scope_changed {
        round((1.08 * (impact + exploitability)).min(10.0))
    } else {
        round((impact + exploitability).min(10.0))
    })
}

/// The base score of a CVSS v2 vector (`AV:N/AC:L/Au:N/C:P/I:P/A:P`, optionally in
/// parentheses).
pub fn v2_base_score(vector: &str) -> Result<f64, CvssError> {
    let v = vector.trim().trim_start_matches('(').trim_end_matches(')');
    let v = v.strip_prefix("CVSS:2.0/").unwrap_or(v);
    let m = metrics(v)?;
    let bad = |k: &str, x: &str| CvssError::UnknownValue {
        label: "CVSS v2",
        vector: v.to_string(),
        metric: k.to_string(),
        value: x.to_string(),
    };
    let av = match get(&m, "AV", v)? {
        "L" => 0.395,
        "A" => 0.646,
        "N" => 1.0,
        x => return Err(bad("AV", x)),
    };
    let ac = match get(&m, "AC", v)? {
        "H" => 0.35,
        "M" => 0.61,
        "L" => 0.71,
        x => return Err(bad("AC", x)),
    };
    let au = match get(&m, "Au", v)? {
        "M" => 0.45,
        "S" => 0.56,
        "N" => 0.704,
        x => return Err(bad("Au", x)),
    };
    let cia = |k: &str| -> Result<f64, CvssError> {
        match get(&m, k, v)? {
            "N" => Ok(0.0),
            "P" => Ok(0.275),
            "C" => Ok(0.660),
            x => Err(bad(k, x)),
        }
    };
    let (c, i, a) = (cia("C")?, cia("I")?, cia("A")?);
    let impact = 10.41 * (1.0 - (1.0 - c) * (1.0 - i) * (1.0 - a));
    let exploitability = 20.0 * av * ac * au;
    let f = if impact == 0.0 { 0.0 } else { 1.176 };
    let score = (0.6 * impact + 0.4 * exploitability - 1.5) * f;
    Ok((score * 10.0).round() / 10.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_vectors_say_what_is_wrong() {
        assert_eq!(
            v3_base_score("AV:N/AC:L"),
            Err(CvssError::NotV3 {
                vector: "AV:N/AC:L".into()
            })
        );
        let e = v3_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H").unwrap_err();
        assert!(
            matches!(&e, CvssError::Missing { metric, .. } if metric == "A"),
            "{e:?}"
        );
        let e = v2_base_score("AV:Q/AC:L/Au:N/C:P/I:P/A:P").unwrap_err();
        assert_eq!(
            e.to_string(),
            "CVSS v2 vector `AV:Q/AC:L/Au:N/C:P/I:P/A:P`: unknown AV value `Q`"
        );
    }

    #[test]
    fn v3_scores_of_well_known_vectors() {
        // Scores as published by the CVSS v3.1 calculator for these vectors.
        for (v, want) in [
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1),
            ("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8),
            ("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N", 5.9),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0),
            ("CVSS:3.0/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 8.8),
            ("CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 1.6),
        ] {
            assert_eq!(v3_base_score(v).unwrap(), want, "{v}");
        }
        assert!(v3_base_score("CVSS:3.1/AV:X/AC:L").is_err());
        assert!(v3_base_score("AV:N/AC:L/Au:N/C:P/I:P/A:P").is_err());
    }

    #[test]
    fn v2_scores_of_well_known_vectors() {
        for (v, want) in [
            ("AV:N/AC:L/Au:N/C:P/I:P/A:P", 7.5),
            ("AV:N/AC:L/Au:N/C:C/I:C/A:C", 10.0),
            ("AV:N/AC:M/Au:N/C:N/I:P/A:N", 4.3),
            ("(AV:L/AC:L/Au:N/C:C/I:C/A:C)", 7.2),
        ] {
            assert_eq!(v2_base_score(v).unwrap(), want, "{v}");
        }
    }

    #[test]
    fn labels() {
        assert_eq!(Level::from_label("MODERATE"), Level::Medium);
        assert_eq!(Level::from_label("unimportant"), Level::Negligible);
        assert_eq!(Level::from_label("low**"), Level::Low);
        assert_eq!(Level::from_label("not yet assigned"), Level::Unknown);
        assert_eq!(Level::from_v3_score(9.8), Level::Critical);
        assert_eq!(Level::from_v3_score(6.9), Level::Medium);
    }
}
