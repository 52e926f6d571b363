//! What can go wrong reading the text a user gives the NetworkPolicy queries: endpoints,
//! ports, connection sets, CIDRs, wanted flows and suggested policies. Each variant carries the
//! facts and prints the text the CLI has always shown.

/// A query argument, a flow list or a suggestion that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// No workload of that name in the input.
    #[error("no workload `{0}` in the input (write ns/name or ns/name[Kind])")]
    NoWorkload(String),
    /// The name matches several workloads (their display names).
    #[error("`{text}` is ambiguous: {}", matches.join(", "))]
    Ambiguous { text: String, matches: Vec<String> },
    /// `PORT/PROTOCOL` with an unknown protocol.
    #[error("`{0}`: protocol must be TCP, UDP or SCTP")]
    PortProtocol(String),
    /// `PORT[/PROTOCOL]` whose port is not 1-65535.
    #[error("`{0}`: expected PORT[/PROTOCOL] with a port from 1 to 65535")]
    Port(String),
    /// A connection set naming an unknown protocol.
    #[error("unknown protocol `{protocol}` in `{text}`")]
    UnknownProtocol { protocol: String, text: String },
    /// A connection set whose first ports come before any protocol.
    #[error("`{text}`: expected a protocol before `{part}`")]
    MissingProtocol { text: String, part: String },
    /// A connection set with a port that is not 1-65535.
    #[error("`{text}`: `{port}` is not a port number (1-65535)")]
    NotAPort { text: String, port: String },
    /// A connection set with a range whose start is past its end.
    #[error("`{text}`: empty port range {lo}-{hi}")]
    EmptyPortRange { text: String, lo: u16, hi: u16 },
    /// No `/` in a CIDR.
    #[error("`{0}` is not a CIDR (expected ADDRESS/PREFIX)")]
    CidrShape(String),
    /// The address part of a CIDR is not an IP address.
    #[error("`{text}` is not a CIDR: `{address}` is not an IP address")]
    CidrAddress { text: String, address: String },
    /// The prefix length of a CIDR is out of range for its family (`bits`).
    #[error("`{text}` is not a CIDR: prefix length `{prefix}` must be 0-{bits}")]
    CidrPrefix {
        text: String,
        prefix: String,
        bits: u8,
    },
    /// An `[External]` flow end that is neither `a-b` nor a CIDR.
    #[error("`{0}` is not an address range (a.b.c.d-e.f.g.h or a CIDR)")]
    RangeShape(String),
    /// One side of an `a-b` range is not an IP address.
    #[error("`{0}` is not an IP address")]
    NotAnAddress(String),
    /// An `a-b` range of two families or whose start is past its end.
    #[error("`{0}` is not an address range")]
    BadRange(String),
    /// The flow list is not JSON of the `connections --format json` shape.
    #[error("not a list of {{\"src\",\"dst\",\"conn\"}} objects: {0}")]
    FlowsJson(#[source] serde_json::Error),
    /// A flow with both ends outside the cluster.
    #[error("one end must be a workload")]
    NoWorkloadEnd,
    /// Flow number `number` (from 1): its `field` (`src`, `dst` or `conn`) is wrong.
    #[error("flow #{number} ({field}): {source}")]
    Flow {
        number: usize,
        field: &'static str,
        #[source]
        source: Box<QueryError>,
    },
    /// The suggested policies do not parse; the first error diagnostic as text.
    #[error("the suggestion does not parse: {0}")]
    Suggestion(String),
}
