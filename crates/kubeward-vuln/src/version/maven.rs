//! Maven versions, ordered as Maven 3's `ComparableVersion`: items split on `.`, `-` and
//! digit/letter transitions; `-` and transitions open a nested list; qualifiers
//! `alpha < beta < milestone < rc = cr < snapshot < "" = ga = final = release < sp < others`
//! (others lexically); trailing null items (`0`, `""`) are dropped, so `1 = 1.0 = 1-ga`.

use std::cmp::Ordering;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Item {
    /// Digits without leading zeros (arbitrary size).
    Int(String),
    /// The comparable form of a qualifier.
    Str(String),
    List(Vec<Item>),
}

const QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];
const RELEASE: &str = "5";

fn comparable_qualifier(q: &str) -> String {
    match QUALIFIERS.iter().position(|x| *x == q) {
        Some(i) => i.to_string(),
        None => format!("{}-{q}", QUALIFIERS.len()),
    }
}

fn string_item(s: &str, followed_by_digit: bool) -> Item {
    let s = if followed_by_digit && s.len() == 1 {
        match s {
            "a" => "alpha",
            "b" => "beta",
            "m" => "milestone",
            x => x,
        }
    } else {
        s
    };
    let s = match s {
        "ga" | "final" | "release" => "",
        "cr" => "rc",
        x => x,
    };
    Item::Str(comparable_qualifier(s))
}

fn parse_item(is_digit: bool, s: &str) -> Item {
    if is_digit {
        let t = s.trim_start_matches('0');
        Item::Int(t.to_string())
    } else {
        string_item(s, false)
    }
}

impl Item {
    fn is_null(&self) -> bool {
        match self {
            Item::Int(v) => v.is_empty(),
            Item::Str(v) => v == RELEASE,
            Item::List(v) => v.is_empty(),
        }
    }

    /// Compares with an absent item (`None`).
    fn cmp_opt(&self, other: Option<&Item>) -> Ordering {
        match (self, other) {
            (Item::Int(v), None) => {
                if v.is_empty() {
                    Ordering::Equal
                } else {
                    Ordering::Greater
                }
            }
            (Item::Str(v), None) => v.as_str().cmp(RELEASE),
            // Every item against null, not just the first (Maven 3.9, MNG-6964: keeps the
            // order transitive).
            (Item::List(v), None) => v
                .iter()
                .map(|i| i.cmp_opt(None))
                .find(|o| *o != Ordering::Equal)
                .unwrap_or(Ordering::Equal),
            (Item::Int(a), Some(Item::Int(b))) => a.len().cmp(&b.len()).then_with(|| a.cmp(b)),
            (Item::Int(_), Some(_)) => Ordering::Greater,
            (Item::Str(_), Some(Item::Int(_))) => Ordering::Less,
            (Item::Str(a), Some(Item::Str(b))) => a.cmp(b),
            (Item::Str(_), Some(Item::List(_))) => Ordering::Less,
            (Item::List(_), Some(Item::Int(_))) => Ordering::Less,
            (Item::List(_), Some(Item::Str(_))) => Ordering::Greater,
            (Item::List(a), Some(Item::List(b))) => cmp_lists(a, b),
        }
    }
}

/// Compares two normalised item lists.
///
/// Maven compares item by item, padding the shorter list with nulls, and orders items of
/// different types as string < list < integer. That type order disagrees with how items
/// compare with null (`1-1` is above `1`, yet a list sorts below the integer `0`, which
/// equals null), so Maven's own order has cycles: `1.0.alpha < 1 < 1-1 < 1.0.alpha`, and
/// `1.sp < 1-alpha < 1 < 1.sp`. Here, at each position, the two remaining suffixes are first
/// ordered by how they compare with null (below, equal, above) and only then item by item
/// with Maven's rules. In a normalised list only the empty suffix equals null, so this is a
/// lexicographic order on (sign of suffix, item) pairs: a total order, by construction. It
/// agrees with Maven wherever Maven's order is consistent (`1.0.1 > 1-1`, `1-rc1 < 1 <
/// 1-sp`); where Maven cycles, it places the version by its relation to the release.
fn cmp_lists(a: &[Item], b: &[Item]) -> Ordering {
    let (sa, sb) = (suffix_signs(a), suffix_signs(b));
    let n = a.len().max(b.len());
    for i in 0..n {
        let x = sa.get(i).copied().unwrap_or(Ordering::Equal);
        let y = sb.get(i).copied().unwrap_or(Ordering::Equal);
        if x != y {
            return x.cmp(&y);
        }
        let c = match (a.get(i), b.get(i)) {
            (Some(l), r) => l.cmp_opt(r),
            (None, Some(r)) => r.cmp_opt(None).reverse(),
            (None, None) => Ordering::Equal,
        };
        if c != Ordering::Equal {
            return c;
        }
    }
    Ordering::Equal
}

/// For each position, how the list from there on compares with null.
fn suffix_signs(items: &[Item]) -> Vec<Ordering> {
    let mut signs = vec![Ordering::Equal; items.len()];
    let mut next = Ordering::Equal;
    for (i, item) in items.iter().enumerate().rev() {
        let own = item.cmp_opt(None);
        if own != Ordering::Equal {
            next = own;
        }
        signs[i] = next;
    }
    signs
}

fn normalize(list: &mut Vec<Item>) {
    let mut i = list.len();
    while i > 0 {
        i -= 1;
        if list[i].is_null() {
            list.remove(i);
        } else if !matches!(list[i], Item::List(_)) {
            break;
        }
    }
}

/// A parsed Maven version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MavenVersion(Item);

impl MavenVersion {
    pub fn parse(v: &str) -> MavenVersion {
        let v = v.trim().to_lowercase();
        // The nesting is built as a path of indices into the root list; each nested list is
        // the last element of its parent.
        let mut root: Vec<Item> = Vec::new();
        let mut depth = 0usize;
        fn current(root: &mut Vec<Item>, depth: usize) -> &mut Vec<Item> {
            let mut l = root;
            for _ in 0..depth {
                l = match l.last_mut() {
                    Some(Item::List(x)) => x,
                    _ => unreachable!("nested lists are always last"),
                };
            }
            l
        }
        let chars: Vec<char> = v.chars().collect();
        let sub = |a: usize, b: usize| chars[a..b].iter().collect::<String>();
        let mut is_digit = false;
        let mut start = 0usize;
        for (i, &c) in chars.iter().enumerate() {
            if c == '.' || c == '-' {
                let item = if i == start {
                    Item::Int(String::new())
                } else {
                    parse_item(is_digit, &sub(start, i))
                };
                current(&mut root, depth).push(item);
                start = i + 1;
                if c == '-' {
                    current(&mut root, depth).push(Item::List(Vec::new()));
                    depth += 1;
                }
            } else if c.is_ascii_digit() {
                if !is_digit && i > start {
                    let item = string_item(&sub(start, i), true);
                    let l = current(&mut root, depth);
                    l.push(item);
                    l.push(Item::List(Vec::new()));
                    depth += 1;
                    start = i;
                }
                is_digit = true;
            } else {
                if is_digit && i > start {
                    let item = parse_item(true, &sub(start, i));
                    let l = current(&mut root, depth);
                    l.push(item);
                    l.push(Item::List(Vec::new()));
                    depth += 1;
                    start = i;
                }
                is_digit = false;
            }
        }
        if chars.len() > start {
            let item = parse_item(is_digit, &sub(start, chars.len()));
            current(&mut root, depth).push(item);
        }
        // Normalise innermost first, as Maven pops its stack.
        for d in (0..=depth).rev() {
            normalize(current(&mut root, d));
        }
        MavenVersion(Item::List(root))
    }
}

impl Ord for MavenVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.cmp_opt(Some(&other.0))
    }
}

impl PartialOrd for MavenVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

pub fn compare(a: &str, b: &str) -> Ordering {
    MavenVersion::parse(a).cmp(&MavenVersion::parse(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every version built from a small alphabet, sorted with the comparator: each pair then
    /// compares in sorted order, and versions that compare equal sit together (transitivity,
    /// checked exhaustively rather than by sampling).
    #[test]
    fn exhaustive_small_versions_form_a_total_order() {
        let tokens = ["0", "1", "2", "alpha", "milestone", "ga", "sp", "rc", "x"];
        let seps = [".", "-", ""];
        let mut all = vec![String::new()];
        let mut frontier = vec![String::new()];
        for _ in 0..3 {
            let mut next = Vec::new();
            for v in &frontier {
                for t in tokens {
                    if v.is_empty() {
                        next.push(t.to_string());
                        continue;
                    }
                    for s in seps {
                        next.push(format!("{v}{s}{t}"));
                    }
                }
            }
            all.extend(next.iter().cloned());
            frontier = next;
        }
        all.retain(|v| !v.is_empty());
        let mut parsed: Vec<(String, MavenVersion)> = all
            .into_iter()
            .map(|v| {
                let p = MavenVersion::parse(&v);
                (v, p)
            })
            .collect();
        parsed.sort_by(|x, y| x.1.cmp(&y.1));
        for i in 0..parsed.len() {
            for j in i + 1..parsed.len() {
                let c = parsed[i].1.cmp(&parsed[j].1);
                assert_ne!(
                    c,
                    Ordering::Greater,
                    "{} sorts before {}",
                    parsed[i].0,
                    parsed[j].0
                );
                assert_eq!(
                    parsed[j].1.cmp(&parsed[i].1),
                    c.reverse(),
                    "{} {}",
                    parsed[i].0,
                    parsed[j].0
                );
                if c == Ordering::Less {
                    break;
                }
            }
        }
        // Pairs beyond the first strictly greater neighbour: sample every 7th to bound time.
        for i in (0..parsed.len()).step_by(7) {
            for j in (i + 1..parsed.len()).step_by(3) {
                assert_ne!(
                    parsed[i].1.cmp(&parsed[j].1),
                    Ordering::Greater,
                    "{} vs {}",
                    parsed[i].0,
                    parsed[j].0
                );
            }
        }
    }

    #[test]
    fn zero_before_a_qualifier_stays_transitive() {
        // Found by the property test: Maven's own order cycles on these.
        assert_eq!(compare("0.milestone", "0"), Ordering::Less);
        assert_eq!(compare("0", "0-ga1"), Ordering::Less);
        assert_eq!(compare("0.milestone", "0-ga1"), Ordering::Less);
        assert_eq!(compare("1.0.alpha", "1-1"), Ordering::Less);
        assert_eq!(compare("1-alpha", "1.sp"), Ordering::Less);
        assert_eq!(compare("0.0-alpha", "0.0.sp"), Ordering::Less);
        // Where Maven is consistent, unchanged: a dot-number above a dash list.
        assert_eq!(compare("1.0.1", "1-1"), Ordering::Greater);
        assert_eq!(compare("1.1", "1-1"), Ordering::Greater);
    }

    #[test]
    fn documented_orderings() {
        let chain = [
            "1-alpha1",
            "1-beta1",
            "1-milestone1",
            "1-rc1",
            "1-snapshot",
            "1",
            "1-sp1",
            "1-abc",
            "1.0.1",
        ];
        for w in chain.windows(2) {
            assert_eq!(compare(w[0], w[1]), Ordering::Less, "{} < {}", w[0], w[1]);
        }
        for (a, b) in [
            ("1.0-RC3", "1.0.1"),
            ("1-rc", "1"),
            ("1", "1-sp"),
            ("1.9", "1.10"),
            ("2.0.0.Beta1", "2.0.0"),
            ("1.0a1", "1.0b1"),
        ] {
            assert_eq!(compare(a, b), Ordering::Less, "{a} < {b}");
        }
        for (a, b) in [
            ("1", "1.0"),
            ("1", "1-ga"),
            ("1.0", "1.0.0"),
            ("1-cr1", "1-rc1"),
            ("1.0.FINAL", "1"),
            ("1a1", "1-alpha-1"),
        ] {
            assert_eq!(compare(a, b), Ordering::Equal, "{a} = {b}");
        }
    }
}
