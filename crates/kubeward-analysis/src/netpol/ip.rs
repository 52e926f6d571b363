//! IP address ranges: CIDR parsing, `ipBlock` (cidr minus excepts) and the disjoint external
//! ranges the analysis reports, split at every referenced CIDR and except.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// An address family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    V4,
    V6,
}

impl Family {
    pub fn max(self) -> u128 {
        match self {
            Family::V4 => u128::from(u32::MAX),
            Family::V6 => u128::MAX,
        }
    }
}

/// An inclusive address range within one family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IpRange {
    pub family: Family,
    pub start: u128,
    pub end: u128,
}

impl IpRange {
    pub fn whole(family: Family) -> IpRange {
        IpRange {
            family,
            start: 0,
            end: family.max(),
        }
    }

    pub fn single(ip: IpAddr) -> IpRange {
        let (family, v) = addr_value(ip);
        IpRange {
            family,
            start: v,
            end: v,
        }
    }

    pub fn contains_range(&self, o: &IpRange) -> bool {
        self.family == o.family && self.start <= o.start && o.end <= self.end
    }

    pub fn overlaps(&self, o: &IpRange) -> bool {
        self.family == o.family && self.start <= o.end && o.start <= self.end
    }

    pub fn is_whole(&self) -> bool {
        self.start == 0 && self.end == self.family.max()
    }

    /// The smallest CIDR list that covers exactly this range.
    pub fn to_cidrs(&self) -> Vec<Cidr> {
        let bits: u32 = match self.family {
            Family::V4 => 32,
            Family::V6 => 128,
        };
        let span = |k: u32| -> u128 {
            if k >= 128 {
                u128::MAX
            } else {
                (1u128 << k) - 1
            }
        };
        let mut out = Vec::new();
        let mut cur = self.start;
        loop {
            let mut k = if cur == 0 {
                bits
            } else {
                cur.trailing_zeros().min(bits)
            };
            while k > 0 && span(k) > self.end - cur {
                k -= 1;
            }
            out.push(Cidr {
                family: self.family,
                addr: cur,
                prefix: (bits - k) as u8,
            });
            let last = cur + span(k);
            if last >= self.end {
                break;
            }
            cur = last + 1;
        }
        out
    }
}

fn addr_value(ip: IpAddr) -> (Family, u128) {
    match ip {
        IpAddr::V4(a) => (Family::V4, u128::from(u32::from(a))),
        IpAddr::V6(a) => (Family::V6, u128::from(a)),
    }
}

fn addr_text(family: Family, v: u128) -> String {
    match family {
        Family::V4 => Ipv4Addr::from(v as u32).to_string(),
        Family::V6 => Ipv6Addr::from(v).to_string(),
    }
}

impl fmt::Display for IpRange {
    /// `a.b.c.d-e.f.g.h`, the netpol-analyzer spelling.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}-{}",
            addr_text(self.family, self.start),
            addr_text(self.family, self.end)
        )
    }
}

/// A parsed CIDR (host bits cleared).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Cidr {
    pub family: Family,
    pub addr: u128,
    pub prefix: u8,
}

impl Cidr {
    /// Parses `a.b.c.d/n` or `x::y/n`. Returns the CIDR and whether host bits were set
    /// (accepted by the API server, which masks them; worth a warning).
    pub fn parse(s: &str) -> Result<(Cidr, bool), super::QueryError> {
        let (ip, len) = s
            .split_once('/')
            .ok_or_else(|| super::QueryError::CidrShape(s.to_string()))?;
        let ip: IpAddr = ip.parse().map_err(|_| super::QueryError::CidrAddress {
            text: s.to_string(),
            address: ip.to_string(),
        })?;
        let (family, v) = addr_value(ip);
        let bits: u8 = if family == Family::V4 { 32 } else { 128 };
        let prefix: u8 = len
            .parse()
            .ok()
            .filter(|p| {
                *p <= bits && !len.starts_with('+') && !(len.len() > 1 && len.starts_with('0'))
            })
            .ok_or_else(|| super::QueryError::CidrPrefix {
                text: s.to_string(),
                prefix: len.to_string(),
                bits,
            })?;
        let host_bits = u32::from(bits - prefix);
        let mask: u128 = if host_bits >= 128 {
            u128::MAX
        } else {
            (1u128 << host_bits) - 1
        };
        let addr = v & !mask & family.max();
        Ok((
            Cidr {
                family,
                addr,
                prefix,
            },
            addr != v,
        ))
    }

    pub fn range(&self) -> IpRange {
        let bits: u32 = if self.family == Family::V4 { 32 } else { 128 };
        let host_bits = bits - u32::from(self.prefix);
        let size_mask: u128 = if host_bits >= 128 {
            u128::MAX
        } else {
            (1u128 << host_bits) - 1
        };
        IpRange {
            family: self.family,
            start: self.addr,
            end: self.addr | size_mask,
        }
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", addr_text(self.family, self.addr), self.prefix)
    }
}

/// A set of addresses as disjoint sorted ranges (`ipBlock` = cidr minus excepts).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IpSet {
    pub ranges: Vec<IpRange>,
}

impl IpSet {
    pub fn from_block(cidr: &Cidr, excepts: &[Cidr]) -> IpSet {
        let mut ranges = vec![cidr.range()];
        for e in excepts {
            let er = e.range();
            let mut next = Vec::with_capacity(ranges.len() + 1);
            for r in ranges {
                if !r.overlaps(&er) {
                    next.push(r);
                    continue;
                }
                if r.start < er.start {
                    next.push(IpRange {
                        end: er.start - 1,
                        ..r
                    });
                }
                if er.end < r.end {
                    next.push(IpRange {
                        start: er.end + 1,
                        ..r
                    });
                }
            }
            ranges = next;
        }
        IpSet { ranges }
    }

    /// Whether this set contains the whole range `r` (ranges come from splitting at every
    /// boundary, so a range is either inside or outside a block).
    pub fn contains_range(&self, r: &IpRange) -> bool {
        self.ranges.iter().any(|x| x.contains_range(r))
    }

    pub fn contains_ip(&self, ip: IpAddr) -> bool {
        self.contains_range(&IpRange::single(ip))
    }

    /// Whether the set is a whole address family.
    pub fn is_whole_family(&self) -> bool {
        self.ranges.iter().any(IpRange::is_whole)
    }
}

/// Disjoint ranges covering each referenced family, split at every boundary.
#[derive(Clone, Debug, Default)]
pub struct Atoms {
    pub ranges: Vec<IpRange>,
}

impl Atoms {
    /// Splits the IPv4 space (and the IPv6 space, when an IPv6 range is referenced) at the
    /// start and end of every referenced range.
    pub fn build<'a>(referenced: impl Iterator<Item = &'a IpRange>) -> Atoms {
        let mut cuts4: Vec<u128> = vec![0];
        let mut cuts6: Vec<u128> = Vec::new();
        let mut v6 = false;
        for r in referenced {
            let cuts = match r.family {
                Family::V4 => &mut cuts4,
                Family::V6 => {
                    v6 = true;
                    &mut cuts6
                }
            };
            cuts.push(r.start);
            if r.end < r.family.max() {
                cuts.push(r.end + 1);
            }
        }
        let mut ranges = Vec::new();
        let mut split = |family: Family, mut cuts: Vec<u128>| {
            cuts.push(0);
            cuts.sort_unstable();
            cuts.dedup();
            for (i, &c) in cuts.iter().enumerate() {
                let end = match cuts.get(i + 1) {
                    Some(n) => n - 1,
                    None => family.max(),
                };
                ranges.push(IpRange {
                    family,
                    start: c,
                    end,
                });
            }
        };
        split(Family::V4, cuts4);
        if v6 {
            split(Family::V6, cuts6);
        }
        Atoms { ranges }
    }

    /// Indices of the atoms inside `r` (a contiguous run).
    pub fn within(&self, r: &IpRange) -> std::ops::Range<usize> {
        let lo = self
            .ranges
            .partition_point(|a| (a.family, a.start) < (r.family, r.start));
        let hi = self
            .ranges
            .partition_point(|a| (a.family, a.start) <= (r.family, r.end));
        lo..hi.max(lo)
    }

    /// The atom that holds `ip`.
    pub fn find(&self, ip: IpAddr) -> Option<usize> {
        let one = IpRange::single(ip);
        let i = self
            .ranges
            .partition_point(|a| (a.family, a.start) <= (one.family, one.start));
        i.checked_sub(1)
            .filter(|&i| self.ranges[i].contains_range(&one))
    }
}

/// Whether `ip` lies in a private, link-local, loopback or shared address range (not
/// reachable from the internet).
pub fn is_internal(r: &IpRange) -> bool {
    const V4: &[&str] = &[
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
    ];
    const V6: &[&str] = &["fc00::/7", "fe80::/10", "::1/128"];
    V4.iter().chain(V6).any(|c| {
        Cidr::parse(c)
            .expect("static cidr")
            .0
            .range()
            .contains_range(r)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> Cidr {
        Cidr::parse(s).unwrap().0
    }

    #[test]
    fn parse_and_mask() {
        assert_eq!(
            c("10.0.0.0/8").range().to_string(),
            "10.0.0.0-10.255.255.255"
        );
        let (x, host) = Cidr::parse("10.1.2.3/8").unwrap();
        assert!(host);
        assert_eq!(x.to_string(), "10.0.0.0/8");
        assert_eq!(
            c("0.0.0.0/0").range().to_string(),
            "0.0.0.0-255.255.255.255"
        );
        assert_eq!(
            c("fd00::/8").range().to_string(),
            "fd00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
        );
        assert!(Cidr::parse("10.0.0.0").is_err());
        assert!(Cidr::parse("10.0.0.0/33").is_err());
        assert!(Cidr::parse("300.0.0.0/8").is_err());
    }

    #[test]
    fn block_with_excepts() {
        let s = IpSet::from_block(&c("10.0.0.0/8"), &[c("10.1.0.0/16"), c("10.255.0.0/16")]);
        let t: Vec<String> = s.ranges.iter().map(|r| r.to_string()).collect();
        assert_eq!(t, vec!["10.0.0.0-10.0.255.255", "10.2.0.0-10.254.255.255"]);
    }

    #[test]
    fn atoms_split_everywhere() {
        let refs = [c("10.0.0.0/8").range(), c("10.1.0.0/16").range()];
        let a = Atoms::build(refs.iter());
        let t: Vec<String> = a.ranges.iter().map(|r| r.to_string()).collect();
        assert_eq!(
            t,
            vec![
                "0.0.0.0-9.255.255.255",
                "10.0.0.0-10.0.255.255",
                "10.1.0.0-10.1.255.255",
                "10.2.0.0-10.255.255.255",
                "11.0.0.0-255.255.255.255"
            ]
        );
        assert_eq!(a.within(&c("10.0.0.0/8").range()), 1..4);
        assert_eq!(a.find("10.1.2.3".parse().unwrap()), Some(2));
    }

    #[test]
    fn ranges_back_to_cidrs() {
        let r = IpRange {
            family: Family::V4,
            start: u128::from(u32::from(Ipv4Addr::new(10, 0, 0, 0))),
            end: u128::from(u32::from(Ipv4Addr::new(10, 0, 2, 255))),
        };
        let t: Vec<String> = r.to_cidrs().iter().map(|c| c.to_string()).collect();
        assert_eq!(t, vec!["10.0.0.0/23", "10.0.2.0/24"]);
        let whole: Vec<String> = IpRange::whole(Family::V4)
            .to_cidrs()
            .iter()
            .map(|c| c.to_string())
            .collect();
        assert_eq!(whole, vec!["0.0.0.0/0"]);
        let one: Vec<String> = IpRange::single("169.254.169.254".parse().unwrap())
            .to_cidrs()
            .iter()
            .map(|c| c.to_string())
            .collect();
        assert_eq!(one, vec!["169.254.169.254/32"]);
    }
}
