//! The dpkg and rpm comparators checked against the real tools on thousands of generated
//! pairs: `dpkg --compare-versions` (Debian dpkg) and `rpm.vercmp` (Debian rpm, through
//! `rpm --eval` with one Lua chunk per few hundred pairs).

use kubeward_vuln::version::{dpkg, rpm};
use std::cmp::Ordering;
use std::process::Command;

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, s: &'a [&'a str]) -> &'a str {
        s[self.below(s.len())]
    }
}

fn tool(name: &str) -> bool {
    let found = Command::new(name)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        if std::env::var("KUBEWARD_REQUIRE_SERVICES").as_deref() == Ok("1") {
            panic!("{name} is required (KUBEWARD_REQUIRE_SERVICES=1) but not installed");
        }
        eprintln!("skipped: {name} is not installed (Debian package `{name}`)");
    }
    found
}

/// Pieces that make comparisons interesting: shared prefixes, tildes, letters, zeros.
const DEB_PARTS: &[&str] = &[
    "0", "1", "2", "9", "10", "01", "001", "12", ".", ".", "+", "~", "~~", "a", "b", "z", "rc",
    "deb12u", "ubuntu", "dfsg", "+b", "~bpo", "A", "Z",
];

fn deb_part(r: &mut Rng, revision: bool) -> String {
    let mut s = String::new();
    for _ in 0..1 + r.below(4) {
        let p = r.pick(DEB_PARTS);
        s.push_str(p);
    }
    if !revision && !s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, '1');
    }
    s
}

fn deb_version(r: &mut Rng) -> String {
    let mut v = String::new();
    if r.below(5) == 0 {
        v.push_str(&format!("{}:", r.below(3)));
    }
    v.push_str(&deb_part(r, false));
    if r.below(3) > 0 {
        v.push('-');
        v.push_str(&deb_part(r, true));
    }
    v
}

/// A second version close to the first: one piece changed, added or removed.
fn near(r: &mut Rng, a: &str, parts: &[&str]) -> String {
    let mut b = a.to_string();
    match r.below(4) {
        0 => b.push_str(r.pick(parts)),
        1 if b.len() > 2 => {
            b.pop();
        }
        2 => {
            let i = r.below(b.len());
            if b.is_char_boundary(i) {
                b.insert_str(i, r.pick(parts));
            }
        }
        _ => {}
    }
    b
}

#[test]
fn dpkg_matches_dpkg_compare_versions() {
    if !tool("dpkg") {
        return;
    }
    let mut r = Rng(0x9e37_79b9_7f4a_7c15);
    let mut pairs = Vec::new();
    while pairs.len() < 3000 {
        let a = deb_version(&mut r);
        let b = if r.below(3) == 0 {
            deb_version(&mut r)
        } else {
            near(&mut r, &a, DEB_PARTS)
        };
        // Only versions dpkg accepts (the generator can make an empty revision or a
        // revision-only shape); those are not the comparison under test.
        let ok = |v: &str| {
            dpkg::DebVersion::parse(v).is_ok_and(|d| {
                d.upstream.starts_with(|c: char| c.is_ascii_digit())
                    && !v.ends_with('-')
                    && !d.revision.contains(':')
                    && !d.upstream.contains(':')
            })
        };
        if ok(&a) && ok(&b) {
            pairs.push((a, b));
        }
    }
    // One shell per batch; each line prints <, = or >.
    let mut tally = [0usize; 3];
    for chunk in pairs.chunks(500) {
        let mut script = String::new();
        for (a, b) in chunk {
            script.push_str(&format!(
                "if dpkg --compare-versions '{a}' lt '{b}'; then echo '<'; \
                 elif dpkg --compare-versions '{a}' eq '{b}'; then echo '='; else echo '>'; fi\n"
            ));
        }
        let out = Command::new("sh").arg("-c").arg(&script).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got: Vec<String> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(String::from)
            .collect();
        assert_eq!(got.len(), chunk.len(), "one answer per pair");
        for ((a, b), want) in chunk.iter().zip(&got) {
            let mine = match dpkg::compare(a, b) {
                Ordering::Less => "<",
                Ordering::Equal => "=",
                Ordering::Greater => ">",
            };
            assert_eq!(mine, want, "dpkg --compare-versions '{a}' '{b}'");
            tally[(dpkg::compare(a, b) as i8 + 1) as usize] += 1;
        }
    }
    varied(tally, pairs.len());
}

/// The generated pairs exercise all three answers, not one.
fn varied(tally: [usize; 3], n: usize) {
    eprintln!("less/equal/greater: {tally:?} of {n}");
    assert!(tally[0] * 5 > n && tally[2] * 5 > n, "{tally:?}");
    assert!(tally[1] * 100 > n, "too few equal pairs: {tally:?}");
}

const RPM_PARTS: &[&str] = &[
    "0", "1", "2", "9", "10", "01", "0001", ".", ".", "_", "+", "~", "^", "a", "b", "rc", "el",
    "el9", "git", "fc", "Z", "alpha", "-",
];

fn rpm_version(r: &mut Rng) -> String {
    let mut v = String::new();
    if r.below(5) == 0 {
        v.push_str(&format!("{}:", r.below(3)));
    }
    for _ in 0..1 + r.below(5) {
        v.push_str(r.pick(RPM_PARTS));
    }
    if r.below(2) == 0 {
        v.push('-');
        for _ in 0..1 + r.below(3) {
            v.push_str(r.pick(RPM_PARTS));
        }
    }
    v
}

#[test]
fn rpm_matches_rpm_vercmp() {
    if !tool("rpm") {
        return;
    }
    let mut r = Rng(0x0123_4567_89ab_cdef);
    let mut pairs = Vec::new();
    while pairs.len() < 4000 {
        let a = rpm_version(&mut r);
        let b = if r.below(3) == 0 {
            rpm_version(&mut r)
        } else {
            near(&mut r, &a, RPM_PARTS)
        };
        pairs.push((a, b));
    }
    let mut tally = [0usize; 3];
    for chunk in pairs.chunks(400) {
        let mut lua = String::from("%{lua: ");
        for (a, b) in chunk {
            lua.push_str(&format!(
                "print(tostring(rpm.vercmp([==[{a}]==], [==[{b}]==])) .. '\\n') "
            ));
        }
        lua.push('}');
        let out = Command::new("rpm")
            .arg("--eval")
            .arg(&lua)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        let got: Vec<&str> = text.lines().filter(|l| !l.is_empty()).collect();
        assert_eq!(got.len(), chunk.len(), "one answer per pair: {text}");
        for ((a, b), want) in chunk.iter().zip(&got) {
            let mine = match rpm::compare(a, b) {
                Ordering::Less => "-1",
                Ordering::Equal => "0",
                Ordering::Greater => "1",
            };
            assert_eq!(mine, *want, "rpm.vercmp('{a}', '{b}')");
            tally[(rpm::compare(a, b) as i8 + 1) as usize] += 1;
        }
    }
    varied(tally, pairs.len());
}
