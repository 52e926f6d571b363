//! Python versions (PEP 440 / "Version specifiers"): `[N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]`,
//! normalised first (case, `alpha`→`a`, `c`/`pre`/`preview`→`rc`, optional separators, implicit
//! numbers, `1.0-1` = `1.0.post1`, leading `v`).

use std::cmp::Ordering;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Local {
    Num(u64),
    Str(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pep440 {
    epoch: u64,
    release: Vec<u64>,
    /// (0 = a, 1 = b, 2 = rc, number)
    pre: Option<(u8, u64)>,
    post: Option<u64>,
    dev: Option<u64>,
    local: Vec<Local>,
}

struct P<'a> {
    s: &'a [u8],
    i: usize,
}

impl P<'_> {
    fn num(&mut self) -> Option<u64> {
        let st = self.i;
        while self.i < self.s.len() && self.s[self.i].is_ascii_digit() {
            self.i += 1;
        }
        if st == self.i {
            return None;
        }
        std::str::from_utf8(&self.s[st..self.i]).ok()?.parse().ok()
    }
    fn sep(&mut self) -> bool {
        if matches!(self.s.get(self.i), Some(b'.' | b'-' | b'_')) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn word(&mut self, words: &[&str]) -> Option<usize> {
        // Longest match first so `preview` wins over `pre`.
        let mut best: Option<(usize, usize)> = None;
        for (k, w) in words.iter().enumerate() {
            if self.s[self.i..].starts_with(w.as_bytes()) && best.is_none_or(|(_, l)| w.len() > l) {
                best = Some((k, w.len()));
            }
        }
        let (k, l) = best?;
        self.i += l;
        Some(k)
    }
    /// `[sep] word [sep] [number]`, restoring the position when `word` is absent.
    fn tagged(&mut self, words: &[&str]) -> Option<(usize, u64)> {
        let save = self.i;
        self.sep();
        let Some(k) = self.word(words) else {
            self.i = save;
            return None;
        };
        let before = self.i;
        self.sep();
        match self.num() {
            Some(n) => Some((k, n)),
            None => {
                self.i = before;
                Some((k, 0))
            }
        }
    }
}

impl Pep440 {
    pub fn parse(v: &str) -> Result<Pep440, crate::error::VersionError> {
        let lower = v.trim().to_ascii_lowercase();
        let t = lower.strip_prefix('v').unwrap_or(&lower);
        let bad = || crate::error::VersionError::NotPep440(v.to_string());
        let mut p = P {
            s: t.as_bytes(),
            i: 0,
        };
        let mut epoch = 0;
        let first = p.num().ok_or_else(bad)?;
        let mut release = vec![first];
        if p.s.get(p.i) == Some(&b'!') {
            p.i += 1;
            epoch = first;
            release = vec![p.num().ok_or_else(bad)?];
        }
        while p.s.get(p.i) == Some(&b'.') && p.s.get(p.i + 1).is_some_and(u8::is_ascii_digit) {
            p.i += 1;
            release.push(p.num().ok_or_else(bad)?);
        }
        let mut pre = None;
        {
            let pre_words = ["a", "b", "rc", "alpha", "beta", "c", "pre", "preview"];
            if let Some((k, n)) = p.tagged(&pre_words) {
                let kind = match pre_words[k] {
                    "a" | "alpha" => 0,
                    "b" | "beta" => 1,
                    _ => 2,
                };
                pre = Some((kind, n));
            }
        }
        let mut post = None;
        if let Some((_, n)) = p.tagged(&["post", "rev", "r"]) {
            post = Some(n);
        } else if p.s.get(p.i) == Some(&b'-') && p.s.get(p.i + 1).is_some_and(u8::is_ascii_digit) {
            p.i += 1;
            post = p.num();
        }
        let dev = p.tagged(&["dev"]).map(|(_, n)| n);
        let mut local = Vec::new();
        if p.s.get(p.i) == Some(&b'+') {
            p.i += 1;
            let rest = std::str::from_utf8(&p.s[p.i..]).map_err(|_| bad())?;
            for seg in rest.split(['.', '-', '_']) {
                if seg.is_empty() || !seg.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    return Err(bad());
                }
                local.push(match seg.parse::<u64>() {
                    Ok(n) if seg.bytes().all(|b| b.is_ascii_digit()) => Local::Num(n),
                    _ => Local::Str(seg.to_string()),
                });
            }
            p.i = p.s.len();
        }
        if p.i != p.s.len() {
            return Err(bad());
        }
        while release.len() > 1 && release.last() == Some(&0) {
            release.pop();
        }
        Ok(Pep440 {
            epoch,
            release,
            pre,
            post,
            dev,
            local,
        })
    }
}

impl Ord for Pep440 {
    fn cmp(&self, o: &Self) -> Ordering {
        // Keys as the `packaging` library builds them: a dev release without pre or post
        // sorts before every pre-release of the same release.
        let pre_key = |v: &Pep440| -> (i8, u64) {
            match v.pre {
                None if v.post.is_none() && v.dev.is_some() => (-1, 0),
                None => (3, 0),
                Some((k, n)) => (k as i8, n),
            }
        };
        let post_key = |v: &Pep440| v.post.map_or((0, 0), |n| (1, n));
        let dev_key = |v: &Pep440| v.dev.map_or((1, 0), |n| (0, n));
        self.epoch
            .cmp(&o.epoch)
            .then_with(|| cmp_release(&self.release, &o.release))
            .then_with(|| pre_key(self).cmp(&pre_key(o)))
            .then_with(|| post_key(self).cmp(&post_key(o)))
            .then_with(|| dev_key(self).cmp(&dev_key(o)))
            .then_with(|| {
                for (a, b) in self.local.iter().zip(&o.local) {
                    let c = match (a, b) {
                        (Local::Num(x), Local::Num(y)) => x.cmp(y),
                        (Local::Num(_), Local::Str(_)) => Ordering::Greater,
                        (Local::Str(_), Local::Num(_)) => Ordering::Less,
                        (Local::Str(x), Local::Str(y)) => x.cmp(y),
                    };
                    if c != Ordering::Equal {
                        return c;
                    }
                }
                self.local.len().cmp(&o.local.len())
            })
    }
}

impl PartialOrd for Pep440 {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

fn cmp_release(a: &[u64], b: &[u64]) -> Ordering {
    let n = a.len().max(b.len());
    (0..n)
        .map(|i| {
            a.get(i)
                .copied()
                .unwrap_or(0)
                .cmp(&b.get(i).copied().unwrap_or(0))
        })
        .find(|o| *o != Ordering::Equal)
        .unwrap_or(Ordering::Equal)
}

/// Compares two versions; unparsable ones sort first (by text), keeping the order total.
pub fn compare(a: &str, b: &str) -> Ordering {
    match (Pep440::parse(a), Pep440::parse(b)) {
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
    fn documented_orderings() {
        let chain = [
            "1.0.dev0",
            "1.0a1.dev1",
            "1.0a1",
            "1.0b2",
            "1.0rc1",
            "1.0",
            "1.0+ubuntu1",
            "1.0.post1.dev1",
            "1.0.post1",
            "1.1",
            "2.0",
            "1!0.1",
        ];
        for w in chain.windows(2) {
            assert_eq!(compare(w[0], w[1]), Ordering::Less, "{} < {}", w[0], w[1]);
        }
        for (a, b) in [
            ("1.0", "1.0.0"),
            ("1.0-1", "1.0.post1"),
            ("1.0.post", "1.0.post0"),
            ("1.0ALPHA1", "1.0a1"),
            ("1.0-c1", "1.0rc1"),
            ("1.0preview2", "1.0rc2"),
            ("v1.0", "1.0"),
            (" 1.0_beta_3 ", "1.0b3"),
        ] {
            assert_eq!(compare(a, b), Ordering::Equal, "{a} = {b}");
        }
        assert!(Pep440::parse("1.0.x").is_err());
        assert!(Pep440::parse("").is_err());
        let e = Pep440::parse("1.0.x").unwrap_err();
        assert_eq!(e, crate::error::VersionError::NotPep440("1.0.x".into()));
        assert_eq!(e.to_string(), "`1.0.x` is not a PEP 440 version");
    }
}
