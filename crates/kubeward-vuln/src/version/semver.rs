//! SemVer 2.0 precedence (semver.org §11), used for npm, crates.io, Go modules and OSV
//! `SEMVER` ranges. Lenient where those ecosystems are: a leading `v` (Go), `=` or spaces
//! are dropped; a missing minor or patch reads as 0. Build metadata (`+incompatible`,
//! `+build.5`) does not affect precedence. Go pseudo-versions are ordinary pre-releases.

use crate::error::VersionError;
use std::cmp::Ordering;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SemVer<'a> {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
    /// Pre-release identifiers, empty for a release.
    pub pre: Vec<&'a str>,
}

impl<'a> SemVer<'a> {
    pub fn parse(v: &'a str) -> Result<SemVer<'a>, VersionError> {
        let s = v.trim().trim_start_matches('=').trim_start();
        let s = s.strip_prefix('v').unwrap_or(s);
        let core_end = s.find(['-', '+']).unwrap_or(s.len());
        let (core, rest) = s.split_at(core_end);
        let pre_part = match rest.strip_prefix('-') {
            Some(r) => r.split('+').next().unwrap_or(""),
            None => "",
        };
        let mut nums = [0u64; 3];
        let parts: Vec<&str> = core.split('.').collect();
        if parts.is_empty() || parts.len() > 3 {
            return Err(VersionError::NotSemVer(v.to_string()));
        }
        for (k, p) in parts.iter().enumerate() {
            if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(VersionError::NotSemVer(v.to_string()));
            }
            nums[k] = p.parse().map_err(|_| VersionError::NumberTooLarge {
                version: v.to_string(),
                number: p.to_string(),
            })?;
        }
        let pre: Vec<&str> = if rest.starts_with('-') {
            pre_part.split('.').collect()
        } else {
            Vec::new()
        };
        if pre
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        {
            return Err(VersionError::BadPreRelease(v.to_string()));
        }
        Ok(SemVer {
            major: nums[0],
            minor: nums[1],
            patch: nums[2],
            pre,
        })
    }
}

fn numeric(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn cmp_ident(a: &str, b: &str) -> Ordering {
    match (numeric(a), numeric(b)) {
        (true, true) => {
            let (a, b) = (a.trim_start_matches('0'), b.trim_start_matches('0'));
            a.len().cmp(&b.len()).then_with(|| a.cmp(b))
        }
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => a.cmp(b),
    }
}

impl Ord for SemVer<'_> {
    fn cmp(&self, o: &Self) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(o.major, o.minor, o.patch))
            .then_with(|| match (self.pre.is_empty(), o.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => {
                    for (a, b) in self.pre.iter().zip(&o.pre) {
                        match cmp_ident(a, b) {
                            Ordering::Equal => {}
                            x => return x,
                        }
                    }
                    self.pre.len().cmp(&o.pre.len())
                }
            })
    }
}

impl PartialOrd for SemVer<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Compares two versions. Unparsable versions sort before every parsable one (and among
/// themselves by their text), so the order stays total; matching reports them separately.
pub fn compare(a: &str, b: &str) -> Ordering {
    match (SemVer::parse(a), SemVer::parse(b)) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        (Err(_), Ok(_)) => Ordering::Less,
        (Ok(_), Err(_)) => Ordering::Greater,
        (Err(_), Err(_)) => a.cmp(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_chain_and_go_forms() {
        let chain = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "v1.2.3",
            // Go pseudo-version after tag v1.2.3 sorts below v1.2.4 and above v1.2.3.
            "v1.2.4-0.20240101120000-abcdef123456",
            "v1.2.4",
            "2.0.0",
            "v10.0.0",
        ];
        for w in chain.windows(2) {
            assert_eq!(compare(w[0], w[1]), Ordering::Less, "{} < {}", w[0], w[1]);
        }
        assert_eq!(compare("v2.0.0+incompatible", "2.0.0"), Ordering::Equal);
        assert_eq!(compare("1.0.0+build.1", "1.0.0+build.2"), Ordering::Equal);
        assert_eq!(compare("1.2", "1.2.0"), Ordering::Equal);
        assert!(SemVer::parse("1.x").is_err());
        assert!(SemVer::parse("1.0.0-").is_err());
        assert_eq!(
            SemVer::parse("1.x"),
            Err(VersionError::NotSemVer("1.x".into()))
        );
        assert_eq!(
            SemVer::parse("1.0.0-a..b"),
            Err(VersionError::BadPreRelease("1.0.0-a..b".into()))
        );
        let e = SemVer::parse("v1.99999999999999999999").unwrap_err();
        assert!(
            matches!(&e, VersionError::NumberTooLarge { number, .. } if number == "99999999999999999999")
        );
        assert_eq!(
            e.to_string(),
            "`v1.99999999999999999999`: number `99999999999999999999` is too large"
        );
    }
}
