//! Order properties of every comparator on generated versions: reflexive, antisymmetric,
//! transitive, and consistent with sorting. Known orderings live in each module's unit tests;
//! dpkg and rpm are also checked against the real tools (tests/oracle.rs).

use kubeward_vuln::version::Scheme;
use proptest::prelude::*;
use std::cmp::Ordering;

fn pieces(scheme: Scheme) -> &'static [&'static str] {
    match scheme {
        Scheme::Apk => &[
            "0", "1", "2", "10", "01", ".", ".", "a", "z", "_alpha", "_beta", "_pre", "_rc",
            "_cvs", "_svn", "_git", "_hg", "_p", "-r0", "-r1", "-r10", "3",
        ],
        Scheme::Semver => &[
            "0",
            "1",
            "2",
            "10",
            ".",
            ".",
            "-",
            "alpha",
            "beta",
            "rc",
            "0",
            "20240101120000",
            "abcdef123456",
            "+incompatible",
            "+build",
            "x",
            "v",
        ],
        Scheme::Pep440 => &[
            "0", "1", "2", "10", ".", ".", "a", "b", "rc", "c", "alpha", "beta", "pre", "preview",
            "post", "dev", "-", "_", "+", "local", "1!", "r",
        ],
        Scheme::Maven => &[
            "0",
            "1",
            "2",
            "10",
            ".",
            ".",
            "-",
            "alpha",
            "a",
            "beta",
            "b",
            "m",
            "milestone",
            "rc",
            "cr",
            "snapshot",
            "ga",
            "final",
            "release",
            "sp",
            "foo",
            "SP",
        ],
        Scheme::Dpkg => &["0", "1", "10", ".", "~", "+", "a", "-", "1:"],
        Scheme::Rpm => &["0", "1", "10", ".", "~", "^", "a", "-", "_", "1:"],
    }
}

/// Maven versions as projects write them: numbers, then at most one qualifier with an
/// optional number and build number. (`ComparableVersion` is not transitive on arbitrary
/// strings such as `10a`, `10ga0alpha0`, `10`: a qualifier ranks below any nested list,
/// which can itself rank below the release; the order is only claimed for real versions.)
fn maven_version() -> impl Strategy<Value = String> {
    let quals = [
        "alpha",
        "a",
        "beta",
        "b",
        "m",
        "milestone",
        "rc",
        "cr",
        "snapshot",
        "SNAPSHOT",
        "ga",
        "final",
        "Final",
        "release",
        "sp",
        "foo",
        "jre",
        "RELEASE",
    ];
    (
        proptest::collection::vec(0u32..12, 1..4),
        proptest::option::of((0usize..3, 0..quals.len(), proptest::option::of(0u32..5))),
        proptest::option::of(0u32..3),
    )
        .prop_map(move |(nums, q, build)| {
            let mut s = nums
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(".");
            if let Some((sep, k, n)) = q {
                s.push_str(["-", ".", ""][sep]);
                s.push_str(quals[k]);
                if let Some(n) = n {
                    s.push_str(&n.to_string());
                }
            }
            if let Some(b) = build {
                s.push_str(&format!("-{b}"));
            }
            s
        })
}

fn version(scheme: Scheme) -> BoxedStrategy<String> {
    if scheme == Scheme::Maven {
        return maven_version().boxed();
    }
    let p = pieces(scheme);
    (0usize..3, proptest::collection::vec(0..p.len(), 0..8))
        .prop_map(move |(lead, idx)| {
            let mut s = ["1", "2", "10"][lead].to_string();
            for i in idx {
                s.push_str(p[i]);
            }
            s
        })
        .boxed()
}

fn check_triple(scheme: Scheme, a: &str, b: &str, c: &str) -> Result<(), TestCaseError> {
    let cmp = |x: &str, y: &str| scheme.compare(x, y);
    prop_assert_eq!(cmp(a, a), Ordering::Equal, "reflexive {}", a);
    prop_assert_eq!(cmp(a, b), cmp(b, a).reverse(), "antisymmetric {} {}", a, b);
    if cmp(a, b) != Ordering::Greater && cmp(b, c) != Ordering::Greater {
        prop_assert_ne!(
            cmp(a, c),
            Ordering::Greater,
            "transitive {} <= {} <= {}",
            a,
            b,
            c
        );
    }
    if cmp(a, b) == Ordering::Equal {
        prop_assert_eq!(
            cmp(a, c),
            cmp(b, c),
            "equal versions compare alike: {} {}",
            a,
            b
        );
    }
    Ok(())
}

macro_rules! order_props {
    ($name:ident, $scheme:expr) => {
        proptest! {
            #![proptest_config(ProptestConfig::with_cases(3000))]
            #[test]
            fn $name(a in version($scheme), b in version($scheme), c in version($scheme)) {
                check_triple($scheme, &a, &b, &c)?;
                // Sorting with the comparator leaves every neighbour pair in order.
                let mut v = vec![a, b, c];
                v.sort_by(|x, y| $scheme.compare(x, y));
                for w in v.windows(2) {
                    prop_assert_ne!($scheme.compare(&w[0], &w[1]), Ordering::Greater);
                }
            }
        }
    };
}

order_props!(apk_is_a_total_order, Scheme::Apk);
order_props!(semver_is_a_total_order, Scheme::Semver);
order_props!(pep440_is_a_total_order, Scheme::Pep440);
order_props!(maven_is_a_total_order, Scheme::Maven);
order_props!(dpkg_is_a_total_order, Scheme::Dpkg);
order_props!(rpm_is_a_total_order, Scheme::Rpm);

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Numeric components order numerically in every scheme.
    #[test]
    fn numeric_components_order_numerically(x in 0u32..100_000, y in 0u32..100_000, major in 0u32..50) {
        for scheme in [Scheme::Dpkg, Scheme::Apk, Scheme::Rpm, Scheme::Semver, Scheme::Pep440, Scheme::Maven] {
            let a = format!("{major}.{x}.0");
            let b = format!("{major}.{y}.0");
            prop_assert_eq!(scheme.compare(&a, &b), x.cmp(&y), "{:?} {} {}", scheme, a, b);
        }
    }

    /// A pre-release sorts below its release wherever the scheme has pre-releases.
    #[test]
    fn pre_releases_sort_below_the_release(x in 0u32..1000, n in 0u32..50) {
        let base = format!("1.{x}.0");
        for (scheme, pre) in [
            (Scheme::Dpkg, format!("{base}~rc{n}")),
            (Scheme::Rpm, format!("{base}~rc{n}")),
            (Scheme::Apk, format!("{base}_rc{n}")),
            (Scheme::Semver, format!("{base}-rc.{n}")),
            (Scheme::Pep440, format!("{base}rc{n}")),
            (Scheme::Maven, format!("{base}-rc{n}")),
        ] {
            prop_assert_eq!(scheme.compare(&pre, &base), Ordering::Less, "{:?} {}", scheme, pre);
        }
    }
}
