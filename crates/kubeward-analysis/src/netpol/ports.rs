//! Connection sets: which (protocol, port) pairs a rule or a verdict covers.
//!
//! NetworkPolicy knows three protocols (TCP, UDP, SCTP) and ports 1..=65535. A [`ConnSet`] is,
//! per protocol, a sorted list of disjoint, non-adjacent port intervals. "All Connections" is
//! every port of every protocol, as netpol-analyzer writes it.

use super::error::QueryError;
use std::fmt;

/// A transport protocol, in the alphabetical order used when printing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Proto {
    Sctp = 0,
    Tcp = 1,
    Udp = 2,
}

impl Proto {
    pub const ALL: [Proto; 3] = [Proto::Sctp, Proto::Tcp, Proto::Udp];

    pub fn as_str(self) -> &'static str {
        match self {
            Proto::Sctp => "SCTP",
            Proto::Tcp => "TCP",
            Proto::Udp => "UDP",
        }
    }

    /// Parses `TCP`, `UDP`, `SCTP` exactly as the API spells them.
    pub fn parse(s: &str) -> Option<Proto> {
        match s {
            "TCP" => Some(Proto::Tcp),
            "UDP" => Some(Proto::Udp),
            "SCTP" => Some(Proto::Sctp),
            _ => None,
        }
    }

    /// Case-insensitive parse, for command-line arguments.
    pub fn parse_loose(s: &str) -> Option<Proto> {
        Proto::parse(&s.to_ascii_uppercase())
    }
}

pub const MIN_PORT: u16 = 1;
pub const MAX_PORT: u16 = 65535;

/// Sorted, disjoint, non-adjacent inclusive port intervals.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PortSet(Vec<(u16, u16)>);

impl PortSet {
    pub fn none() -> Self {
        PortSet(Vec::new())
    }

    pub fn all() -> Self {
        PortSet(vec![(MIN_PORT, MAX_PORT)])
    }

    pub fn range(lo: u16, hi: u16) -> Self {
        if lo > hi {
            PortSet::none()
        } else {
            PortSet(vec![(lo.max(MIN_PORT), hi)])
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn is_all(&self) -> bool {
        self.0.len() == 1 && self.0[0] == (MIN_PORT, MAX_PORT)
    }

    pub fn intervals(&self) -> &[(u16, u16)] {
        &self.0
    }

    pub fn contains(&self, port: u16) -> bool {
        self.0.iter().any(|&(lo, hi)| lo <= port && port <= hi)
    }

    pub fn union(&self, other: &PortSet) -> PortSet {
        if other.0.is_empty() {
            return self.clone();
        }
        if self.0.is_empty() {
            return other.clone();
        }
        let mut all: Vec<(u16, u16)> = self.0.iter().chain(other.0.iter()).copied().collect();
        all.sort_unstable();
        let mut out: Vec<(u16, u16)> = Vec::with_capacity(all.len());
        for (lo, hi) in all {
            match out.last_mut() {
                Some(last) if u32::from(lo) <= u32::from(last.1) + 1 => last.1 = last.1.max(hi),
                _ => out.push((lo, hi)),
            }
        }
        PortSet(out)
    }

    pub fn intersect(&self, other: &PortSet) -> PortSet {
        let mut out = Vec::new();
        let (mut i, mut j) = (0, 0);
        while i < self.0.len() && j < other.0.len() {
            let (a0, a1) = self.0[i];
            let (b0, b1) = other.0[j];
            let lo = a0.max(b0);
            let hi = a1.min(b1);
            if lo <= hi {
                out.push((lo, hi));
            }
            if a1 < b1 {
                i += 1;
            } else {
                j += 1;
            }
        }
        PortSet(out)
    }

    pub fn subtract(&self, other: &PortSet) -> PortSet {
        if other.0.is_empty() || self.0.is_empty() {
            return self.clone();
        }
        let mut out = Vec::new();
        for &(lo, hi) in &self.0 {
            let mut cur = u32::from(lo);
            let hi = u32::from(hi);
            for &(b0, b1) in &other.0 {
                let (b0, b1) = (u32::from(b0), u32::from(b1));
                if b1 < cur || b0 > hi {
                    continue;
                }
                if b0 > cur {
                    out.push((cur as u16, (b0 - 1) as u16));
                }
                cur = b1 + 1;
                if cur > hi {
                    break;
                }
            }
            if cur <= hi {
                out.push((cur as u16, hi as u16));
            }
        }
        PortSet(out)
    }
}

impl fmt::Display for PortSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (lo, hi)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            if lo == hi {
                write!(f, "{lo}")?;
            } else {
                write!(f, "{lo}-{hi}")?;
            }
        }
        Ok(())
    }
}

/// A set of (protocol, port) pairs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnSet {
    ports: [PortSet; 3],
}

impl ConnSet {
    pub fn none() -> Self {
        ConnSet::default()
    }

    pub fn all() -> Self {
        ConnSet {
            ports: [PortSet::all(), PortSet::all(), PortSet::all()],
        }
    }

    /// `port..=end` on one protocol.
    pub fn ports(proto: Proto, lo: u16, hi: u16) -> Self {
        let mut c = ConnSet::none();
        c.ports[proto as usize] = PortSet::range(lo, hi);
        c
    }

    /// Every port of one protocol.
    pub fn protocol(proto: Proto) -> Self {
        ConnSet::ports(proto, MIN_PORT, MAX_PORT)
    }

    pub fn is_empty(&self) -> bool {
        self.ports.iter().all(PortSet::is_empty)
    }

    pub fn is_all(&self) -> bool {
        self.ports.iter().all(PortSet::is_all)
    }

    pub fn of(&self, proto: Proto) -> &PortSet {
        &self.ports[proto as usize]
    }

    pub fn contains(&self, proto: Proto, port: u16) -> bool {
        self.ports[proto as usize].contains(port)
    }

    pub fn union(&self, o: &ConnSet) -> ConnSet {
        ConnSet {
            ports: std::array::from_fn(|i| self.ports[i].union(&o.ports[i])),
        }
    }

    pub fn union_with(&mut self, o: &ConnSet) {
        for i in 0..3 {
            if !o.ports[i].is_empty() {
                self.ports[i] = self.ports[i].union(&o.ports[i]);
            }
        }
    }

    pub fn intersect(&self, o: &ConnSet) -> ConnSet {
        if self.is_all() {
            return o.clone();
        }
        if o.is_all() {
            return self.clone();
        }
        ConnSet {
            ports: std::array::from_fn(|i| self.ports[i].intersect(&o.ports[i])),
        }
    }

    pub fn subtract(&self, o: &ConnSet) -> ConnSet {
        ConnSet {
            ports: std::array::from_fn(|i| self.ports[i].subtract(&o.ports[i])),
        }
    }

    /// Whether every connection of `o` is in `self`.
    pub fn covers(&self, o: &ConnSet) -> bool {
        o.subtract(self).is_empty()
    }

    /// `(protocol, lo, hi)` for every interval, protocols in alphabetical order.
    pub fn intervals(&self) -> impl Iterator<Item = (Proto, u16, u16)> + '_ {
        Proto::ALL.into_iter().flat_map(move |p| {
            self.ports[p as usize]
                .0
                .iter()
                .map(move |&(lo, hi)| (p, lo, hi))
        })
    }

    /// Parses the canonical text form (`All Connections`, `No Connections`,
    /// `TCP 80,8080-8090,UDP 53`).
    pub fn parse(s: &str) -> Result<ConnSet, QueryError> {
        let s = s.trim();
        if s == "All Connections" {
            return Ok(ConnSet::all());
        }
        if s == "No Connections" || s.is_empty() {
            return Ok(ConnSet::none());
        }
        let mut out = ConnSet::none();
        let mut proto: Option<Proto> = None;
        for part in s.split(',') {
            let part = part.trim();
            let ports = match part.split_once(' ') {
                Some((p, rest)) => {
                    proto = Some(Proto::parse(p.trim()).ok_or_else(|| {
                        QueryError::UnknownProtocol {
                            protocol: p.to_string(),
                            text: s.to_string(),
                        }
                    })?);
                    rest.trim()
                }
                None => part,
            };
            let Some(p) = proto else {
                return Err(QueryError::MissingProtocol {
                    text: s.to_string(),
                    part: part.to_string(),
                });
            };
            let (lo, hi) = match ports.split_once('-') {
                Some((a, b)) => (parse_port(a, s)?, parse_port(b, s)?),
                None => {
                    let v = parse_port(ports, s)?;
                    (v, v)
                }
            };
            if lo > hi {
                return Err(QueryError::EmptyPortRange {
                    text: s.to_string(),
                    lo,
                    hi,
                });
            }
            out.union_with(&ConnSet::ports(p, lo, hi));
        }
        Ok(out)
    }
}

fn parse_port(s: &str, whole: &str) -> Result<u16, QueryError> {
    match s.trim().parse::<u16>() {
        Ok(v) if v >= 1 => Ok(v),
        _ => Err(QueryError::NotAPort {
            text: whole.to_string(),
            port: s.to_string(),
        }),
    }
}

impl fmt::Display for ConnSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_all() {
            return f.write_str("All Connections");
        }
        if self.is_empty() {
            return f.write_str("No Connections");
        }
        let mut first = true;
        for p in Proto::ALL {
            let ps = &self.ports[p as usize];
            if ps.is_empty() {
                continue;
            }
            if !first {
                f.write_str(",")?;
            }
            first = false;
            write!(f, "{} {}", p.as_str(), ps)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_set_algebra() {
        let a = PortSet::range(10, 20).union(&PortSet::range(30, 40));
        let b = PortSet::range(15, 35);
        assert_eq!(a.intersect(&b).to_string(), "15-20,30-35");
        assert_eq!(a.subtract(&b).to_string(), "10-14,36-40");
        assert_eq!(a.union(&b).to_string(), "10-40");
        // Adjacent intervals merge.
        assert_eq!(
            PortSet::range(1, 5)
                .union(&PortSet::range(6, 9))
                .to_string(),
            "1-9"
        );
        assert_eq!(
            PortSet::all().subtract(&PortSet::range(1, 65535)),
            PortSet::none()
        );
        assert_eq!(
            PortSet::all().subtract(&PortSet::range(80, 80)).to_string(),
            "1-79,81-65535"
        );
    }

    #[test]
    fn canonical_text() {
        let c = ConnSet::ports(Proto::Tcp, 80, 80)
            .union(&ConnSet::ports(Proto::Tcp, 8080, 8090))
            .union(&ConnSet::ports(Proto::Udp, 53, 53));
        assert_eq!(c.to_string(), "TCP 80,8080-8090,UDP 53");
        assert_eq!(ConnSet::all().to_string(), "All Connections");
        assert_eq!(ConnSet::none().to_string(), "No Connections");
        let s = ConnSet::all().subtract(&ConnSet::ports(Proto::Tcp, 80, 80));
        assert_eq!(s.to_string(), "SCTP 1-65535,TCP 1-79,81-65535,UDP 1-65535");
        for text in [
            "TCP 80,8080-8090,UDP 53",
            "All Connections",
            "SCTP 1-65535,TCP 1-79,81-65535,UDP 1-65535",
        ] {
            assert_eq!(ConnSet::parse(text).unwrap().to_string(), text);
        }
        assert!(ConnSet::parse("ICMP 1").is_err());
        assert!(ConnSet::parse("80").is_err());
    }
}
