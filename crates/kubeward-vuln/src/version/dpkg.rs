//! Debian package versions (deb-version(7)), ordered as `dpkg --compare-versions` orders them:
//! `[epoch:]upstream[-revision]`, epochs numerically, then upstream and revision with dpkg's
//! `verrevcmp` (`~` before everything including the end, letters before other characters,
//! digit runs numerically).

use crate::error::VersionError;
use std::cmp::Ordering;

/// A version split into its three parts. Borrowed from the original string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DebVersion<'a> {
    pub epoch: u64,
    pub upstream: &'a str,
    /// Empty when the version has no `-`.
    pub revision: &'a str,
}

impl<'a> DebVersion<'a> {
    /// Splits a version. A malformed epoch (not a number) is an error, as in dpkg.
    pub fn parse(v: &'a str) -> Result<DebVersion<'a>, VersionError> {
        let v = v.trim();
        if v.is_empty() {
            return Err(VersionError::Empty);
        }
        let (epoch, rest) = match v.split_once(':') {
            Some((e, rest)) => {
                if e.is_empty() || !e.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(VersionError::EpochNotANumber {
                        version: v.to_string(),
                        epoch: e.to_string(),
                    });
                }
                let epoch = e.parse::<u64>().map_err(|_| VersionError::EpochTooLarge {
                    version: v.to_string(),
                    epoch: e.to_string(),
                })?;
                (epoch, rest)
            }
            None => (0, v),
        };
        let (upstream, revision) = match rest.rfind('-') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, ""),
        };
        if upstream.is_empty() {
            return Err(VersionError::EmptyUpstream(v.to_string()));
        }
        Ok(DebVersion {
            epoch,
            upstream,
            revision,
        })
    }
}

impl Ord for DebVersion<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| verrevcmp(self.upstream, other.upstream))
            .then_with(|| verrevcmp(self.revision, other.revision))
    }
}

impl PartialOrd for DebVersion<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The weight of one character in a non-digit run; `None` is the end of the string.
fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(b'~') => -1,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => c as i32,
        Some(c) => c as i32 + 256,
    }
}

/// dpkg's comparison of one upstream or revision part.
pub fn verrevcmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    let digit = |s: &[u8], k: usize| s.get(k).is_some_and(u8::is_ascii_digit);
    while i < a.len() || j < b.len() {
        while (i < a.len() && !digit(a, i)) || (j < b.len() && !digit(b, j)) {
            let (ac, bc) = (order(a.get(i).copied()), order(b.get(j).copied()));
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        while a.get(i) == Some(&b'0') {
            i += 1;
        }
        while b.get(j) == Some(&b'0') {
            j += 1;
        }
        let mut first_diff = Ordering::Equal;
        while digit(a, i) && digit(b, j) {
            if first_diff == Ordering::Equal {
                first_diff = a[i].cmp(&b[j]);
            }
            i += 1;
            j += 1;
        }
        if digit(a, i) {
            return Ordering::Greater;
        }
        if digit(b, j) {
            return Ordering::Less;
        }
        if first_diff != Ordering::Equal {
            return first_diff;
        }
    }
    Ordering::Equal
}

/// Compares two versions. A version that does not parse sorts before every valid one (and
/// among invalid ones by `verrevcmp` of the whole text), so the order stays total; callers
/// that care check [`DebVersion::parse`].
pub fn compare(a: &str, b: &str) -> Ordering {
    match (DebVersion::parse(a), DebVersion::parse(b)) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        (Err(_), Ok(_)) => Ordering::Less,
        (Ok(_), Err(_)) => Ordering::Greater,
        (Err(_), Err(_)) => verrevcmp(a, b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_orderings() {
        let lt = [
            ("1.0~rc1", "1.0"),
            ("1.0-1~deb12u1", "1.0-1"),
            ("1.0-1", "1.0-1+deb12u1"),
            ("7.88.1-10+deb12u5", "7.88.1-10+deb12u12"),
            ("1.0-1ubuntu0.1", "1.0-1ubuntu1"),
            ("1.0a", "1.0+"),
            ("1.2.9", "1.2.10"),
            ("10.0", "2:1.0"),
            ("1.0~~", "1.0~"),
            ("15+248", "248"),
        ];
        for (a, b) in lt {
            assert_eq!(compare(a, b), Ordering::Less, "{a} < {b}");
            assert_eq!(compare(b, a), Ordering::Greater, "{b} > {a}");
        }
        assert_eq!(compare("001", "1"), Ordering::Equal);
        assert_eq!(compare("1.0", "1.0-0"), Ordering::Equal);
        assert_eq!(compare("0:1.0", "1.0"), Ordering::Equal);
    }

    #[test]
    fn splits_at_the_last_hyphen() {
        let v = DebVersion::parse("1:2.3-4-5").unwrap();
        assert_eq!((v.epoch, v.upstream, v.revision), (1, "2.3-4", "5"));
        assert!(DebVersion::parse("x:1").is_err());
        assert!(DebVersion::parse("").is_err());
        assert_eq!(
            DebVersion::parse(" x:1 "),
            Err(VersionError::EpochNotANumber {
                version: "x:1".into(),
                epoch: "x".into()
            })
        );
        assert!(matches!(
            DebVersion::parse("99999999999999999999:1"),
            Err(VersionError::EpochTooLarge { .. })
        ));
        let e = DebVersion::parse("1:-2").unwrap_err();
        assert_eq!(e, VersionError::EmptyUpstream("1:-2".into()));
        assert_eq!(
            e.to_string(),
            "version `1:-2` has an empty upstream version"
        );
    }
}
