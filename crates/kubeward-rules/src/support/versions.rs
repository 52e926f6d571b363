//! Kubernetes minor versions and the end of their upstream support (patch releases stop).
//! Dates up to 1.34 are the published end-of-life dates; 1.35 to 1.37 follow the project's
//! policy of about 14 months of support and are estimates until published.

/// `(minor, (year, month, day))`: the last day a 1.minor release gets upstream patches.
const END_OF_LIFE: &[(u32, (i32, u32, u32))] = &[
    (25, (2023, 10, 28)),
    (26, (2024, 2, 28)),
    (27, (2024, 6, 28)),
    (28, (2024, 10, 28)),
    (29, (2025, 2, 28)),
    (30, (2025, 6, 28)),
    (31, (2025, 10, 28)),
    (32, (2026, 2, 28)),
    (33, (2026, 6, 28)),
    (34, (2026, 10, 27)),
    (35, (2027, 2, 28)),
    (36, (2027, 6, 28)),
    (37, (2027, 10, 28)),
];

/// The oldest minor kubeward knows the end-of-life date of.
const OLDEST_KNOWN: u32 = 25;

/// Support state of `1.minor` on `today`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Support {
    Supported,
    /// Past its end of life, which was on this date (`None`: before 1.25, long gone).
    Ended(Option<(i32, u32, u32)>),
    /// Newer than kubeward's table: assumed supported.
    Newer,
}

pub fn support(major: u32, minor: u32, today: (i32, u32, u32)) -> Support {
    if major != 1 {
        return Support::Newer;
    }
    if minor < OLDEST_KNOWN {
        return Support::Ended(None);
    }
    match END_OF_LIFE.iter().find(|(m, _)| *m == minor) {
        Some((_, eol)) if *eol < today => Support::Ended(Some(*eol)),
        Some(_) => Support::Supported,
        None => Support::Newer,
    }
}

pub fn fmt_date((y, m, d): (i32, u32, u32)) -> String {
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        assert_eq!(support(1, 20, (2026, 1, 1)), Support::Ended(None));
        assert_eq!(
            support(1, 30, (2026, 1, 1)),
            Support::Ended(Some((2025, 6, 28)))
        );
        assert_eq!(support(1, 33, (2026, 1, 1)), Support::Supported);
        assert_eq!(support(1, 99, (2026, 1, 1)), Support::Newer);
    }
}
