//! RPM versions, ordered as rpm 4.18 orders them (`rpm.vercmp`, `rpmvercmp`):
//! `[epoch:]version[-release]`; the epoch (absent = 0) first, then the version, then the
//! release, each with `rpmvercmp`. A release on one side only makes that side newer.

use std::cmp::Ordering;

/// An `epoch:version-release` split the way rpm splits it. Borrowed from the original.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Evr<'a> {
    /// The epoch as written (`None` when absent; an empty epoch reads as `0`).
    pub epoch: Option<&'a str>,
    pub version: &'a str,
    pub release: Option<&'a str>,
}

impl<'a> Evr<'a> {
    /// Splits like rpm's `rpmverParse`: leading digits followed by `:` are the epoch; the
    /// release follows the last `-` after them.
    pub fn parse(evr: &'a str) -> Evr<'a> {
        let evr = evr.trim();
        let digits = evr.bytes().take_while(u8::is_ascii_digit).count();
        let (epoch, rest) = if evr.as_bytes().get(digits) == Some(&b':') {
            let e = &evr[..digits];
            (Some(if e.is_empty() { "0" } else { e }), &evr[digits + 1..])
        } else {
            (None, evr)
        };
        let (version, release) = match rest.rfind('-') {
            Some(i) => (&rest[..i], Some(&rest[i + 1..])),
            None => (rest, None),
        };
        Evr {
            epoch,
            version,
            release,
        }
    }
}

impl Ord for Evr<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        rpmvercmp(self.epoch.unwrap_or("0"), other.epoch.unwrap_or("0"))
            .then_with(|| rpmvercmp(self.version, other.version))
            .then_with(|| match (self.release, other.release) {
                (Some(a), Some(b)) => rpmvercmp(a, b),
                (Some(_), None) => Ordering::Greater,
                (None, Some(_)) => Ordering::Less,
                (None, None) => Ordering::Equal,
            })
    }
}

impl PartialOrd for Evr<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Compares two EVR strings.
pub fn compare(a: &str, b: &str) -> Ordering {
    Evr::parse(a).cmp(&Evr::parse(b))
}

/// rpm's segment comparison of one version or release string.
pub fn rpmvercmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0usize, 0usize);
    let sep = |c: u8| !c.is_ascii_alphanumeric() && c != b'~' && c != b'^';
    while i < a.len() || j < b.len() {
        while i < a.len() && sep(a[i]) {
            i += 1;
        }
        while j < b.len() && sep(b[j]) {
            j += 1;
        }
        let (ca, cb) = (a.get(i).copied(), b.get(j).copied());
        if ca == Some(b'~') || cb == Some(b'~') {
            if ca != Some(b'~') {
                return Ordering::Greater;
            }
            if cb != Some(b'~') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        if ca == Some(b'^') || cb == Some(b'^') {
            if ca.is_none() {
                return Ordering::Less;
            }
            if cb.is_none() {
                return Ordering::Greater;
            }
            if ca != Some(b'^') {
                return Ordering::Greater;
            }
            if cb != Some(b'^') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        if ca.is_none() || cb.is_none() {
            break;
        }
        let (si, sj) = (i, j);
        let isnum = a[i].is_ascii_digit();
        let class = |c: &u8| {
            if isnum {
                c.is_ascii_digit()
            } else {
                c.is_ascii_alphabetic()
            }
        };
        while i < a.len() && class(&a[i]) {
            i += 1;
        }
        while j < b.len() && class(&b[j]) {
            j += 1;
        }
        if sj == j {
            // Segments of different kinds: a number beats letters.
            return if isnum {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        let (mut x, mut y) = (&a[si..i], &b[sj..j]);
        if isnum {
            while x.first() == Some(&b'0') {
                x = &x[1..];
            }
            while y.first() == Some(&b'0') {
                y = &y[1..];
            }
            match x.len().cmp(&y.len()) {
                Ordering::Equal => {}
                o => return o,
            }
        }
        match x.cmp(y) {
            Ordering::Equal => {}
            o => return o,
        }
    }
    match (i >= a.len(), j >= b.len()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        _ => Ordering::Greater,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_orderings() {
        let lt = [
            ("1.0", "1.0.0"),
            ("1.0", "1.0a"),
            ("1.0~rc1", "1.0"),
            ("1.0", "1.0^git1"),
            ("1.0^git1", "1.0.1"),
            ("6.0", "6.0.rc1"),
            ("1.el9", "1.el9_2"),
            ("25.el9_3", "25.el9_3.1"),
            ("1.5.4-2.el7", "1:1.0-1"),
        ];
        for (a, b) in lt {
            assert_eq!(compare(a, b), Ordering::Less, "{a} < {b}");
            assert_eq!(compare(b, a), Ordering::Greater, "{b} > {a}");
        }
        assert_eq!(rpmvercmp("10.0001", "10.1"), Ordering::Equal);
        assert_eq!(rpmvercmp("2_0", "2.0"), Ordering::Equal);
        assert_eq!(compare("0:1.0-1", "1.0-1"), Ordering::Equal);
    }

    #[test]
    fn splits_epoch_version_release() {
        let e = Evr::parse("1:1.12.8-23.el8_7.1");
        assert_eq!(
            (e.epoch, e.version, e.release),
            (Some("1"), "1.12.8", Some("23.el8_7.1"))
        );
        let e = Evr::parse("a:1.0");
        assert_eq!((e.epoch, e.version, e.release), (None, "a:1.0", None));
    }
}
