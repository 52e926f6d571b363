//! Alpine package versions (apk-tools `version.c`, Gentoo-style):
//! `digit{.digit}[letter]{_suffix[number]}[-r<number>]`, compared token by token.
//! Suffix order: `_alpha < _beta < _pre < _rc < (none) < _cvs < _svn < _git < _hg < _p`.
//! A non-first number with a leading zero on either side compares as text (apk-tools 3:
//! `1.01 < 1.1`, `1.001 < 1.01`, `1.0 = 1.0`).

use std::cmp::Ordering;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Tok {
    Invalid,
    DigitOrZero,
    Digit,
    Letter,
    Suffix,
    SuffixNo,
    RevisionNo,
    End,
}

const PRE: [&str; 4] = ["alpha", "beta", "pre", "rc"];
const POST: [&str; 5] = ["cvs", "svn", "git", "hg", "p"];

struct Cursor<'a> {
    s: &'a [u8],
    t: Tok,
}

impl<'a> Cursor<'a> {
    /// Reads the kind of the next token, consuming its separator.
    fn next_kind(&mut self) {
        let prev = self.t;
        let mut n = Tok::Invalid;
        match self.s.first() {
            None | Some(0) => n = Tok::End,
            Some(c) if matches!(prev, Tok::Digit | Tok::DigitOrZero) && c.is_ascii_lowercase() => {
                n = Tok::Letter
            }
            Some(c) if prev == Tok::Letter && c.is_ascii_digit() => n = Tok::Digit,
            Some(c) if prev == Tok::Suffix && c.is_ascii_digit() => n = Tok::SuffixNo,
            Some(c) => {
                match c {
                    b'.' => n = Tok::DigitOrZero,
                    b'_' => n = Tok::Suffix,
                    b'-' if self.s.get(1) == Some(&b'r') => {
                        n = Tok::RevisionNo;
                        self.s = &self.s[1..];
                    }
                    _ => {}
                }
                self.s = &self.s[1..];
            }
        }
        if n < prev
            && !((n == Tok::DigitOrZero && prev == Tok::Digit)
                || (n == Tok::Suffix && prev == Tok::SuffixNo)
                || (n == Tok::Digit && prev == Tok::Letter))
        {
            n = Tok::Invalid;
        }
        self.t = n;
    }

    /// Reads the value of the current token and moves to the next. The second value is the
    /// digits of a non-first number (compared as text when either side has a leading zero).
    fn value(&mut self) -> (i64, Option<&'a [u8]>) {
        if self.s.is_empty() {
            self.t = Tok::End;
            return (0, None);
        }
        let mut i = 0;
        let mut v: i64 = 0;
        let mut text = None;
        let mut nt = Tok::Invalid;
        match self.t {
            Tok::DigitOrZero | Tok::Digit | Tok::SuffixNo | Tok::RevisionNo => {
                while i < self.s.len() && self.s[i].is_ascii_digit() {
                    v = v
                        .saturating_mul(10)
                        .saturating_add((self.s[i] - b'0') as i64);
                    i += 1;
                }
                if self.t == Tok::DigitOrZero {
                    text = Some(&self.s[..i]);
                }
            }
            Tok::Letter => {
                v = self.s[0] as i64;
                i = 1;
            }
            Tok::Suffix => {
                if let Some(k) = PRE.iter().position(|p| self.s.starts_with(p.as_bytes())) {
                    i = PRE[k].len();
                    v = k as i64 - PRE.len() as i64;
                    nt = Tok::SuffixNo;
                } else if let Some(k) = POST.iter().position(|p| self.s.starts_with(p.as_bytes())) {
                    i = POST[k].len();
                    v = k as i64;
                    nt = Tok::SuffixNo;
                } else {
                    self.t = Tok::Invalid;
                    return (-1, None);
                }
            }
            _ => {
                self.t = Tok::Invalid;
                return (-1, None);
            }
        }
        self.s = &self.s[i..];
        if self.s.is_empty() {
            self.t = Tok::End;
        } else if nt != Tok::Invalid {
            self.t = nt;
        } else {
            self.next_kind();
        }
        (v, text)
    }
}

/// Whether `v` is a well-formed apk version (every token valid up to the end).
pub fn is_valid(v: &str) -> bool {
    let v = v.trim();
    if v.is_empty() || !v.as_bytes()[0].is_ascii_digit() {
        return false;
    }
    let mut c = Cursor {
        s: v.as_bytes(),
        t: Tok::Digit,
    };
    while c.t != Tok::End && c.t != Tok::Invalid {
        c.value();
    }
    c.t == Tok::End
}

/// Compares two apk versions as `apk version -t` does.
pub fn compare(a: &str, b: &str) -> Ordering {
    let mut a = Cursor {
        s: a.trim().as_bytes(),
        t: Tok::Digit,
    };
    let mut b = Cursor {
        s: b.trim().as_bytes(),
        t: Tok::Digit,
    };
    let mut order = Ordering::Equal;
    while a.t == b.t && a.t != Tok::End && a.t != Tok::Invalid && order == Ordering::Equal {
        let (av, at) = a.value();
        let (bv, bt) = b.value();
        order = match (at, bt) {
            // apk-tools 3: a non-first number with a leading zero on either side is text.
            (Some(x), Some(y)) if x.first() == Some(&b'0') || y.first() == Some(&b'0') => x.cmp(y),
            _ => av.cmp(&bv),
        };
    }
    if order != Ordering::Equal {
        return order;
    }
    if a.t == b.t {
        return Ordering::Equal;
    }
    // The common prefix is equal: the longer version is newer unless it continues with a
    // pre-release suffix.
    if a.t == Tok::Suffix && peek_suffix(&a) < 0 {
        return Ordering::Less;
    }
    if b.t == Tok::Suffix && peek_suffix(&b) < 0 {
        return Ordering::Greater;
    }
    b.t.cmp(&a.t)
}

fn peek_suffix(c: &Cursor<'_>) -> i64 {
    let mut c = Cursor { s: c.s, t: c.t };
    c.value().0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_orderings() {
        let chain = [
            "1.0_alpha",
            "1.0_alpha1",
            "1.0_beta2",
            "1.0_pre1",
            "1.0_rc1",
            "1.0",
            "1.0-r1",
            "1.0-r9",
            "1.0-r10",
            "1.0_cvs1",
            "1.0_svn1",
            "1.0_git20200101",
            "1.0_hg1",
            "1.0_p1",
            "1.0_p1-r1",
            "1.0a",
            "1.0.1",
            "1.2",
            "1.10",
        ];
        for w in chain.windows(2) {
            assert_eq!(compare(w[0], w[1]), Ordering::Less, "{} < {}", w[0], w[1]);
            assert_eq!(
                compare(w[1], w[0]),
                Ordering::Greater,
                "{} > {}",
                w[1],
                w[0]
            );
        }
        assert_eq!(compare("1.0", "1.0"), Ordering::Equal);
        assert_eq!(compare("4.5_p1", "4.5_p1-r1"), Ordering::Less);
        assert!(is_valid("1.2.3_rc1-r0"));
        assert!(!is_valid("1.2.3_foo"));
        assert!(!is_valid("abc"));
    }
}
