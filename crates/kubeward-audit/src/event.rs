//! The `audit.k8s.io/v1` Event, read with borrowed strings where the input allows it.
//!
//! Unknown fields are ignored (older `v1beta1` events carry `timestamp` and `metadata`);
//! request and response bodies are kept as raw JSON and only parsed by the detections that
//! need them.

use serde::Deserialize;
use serde::de::{MapAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

/// A string borrowed from the input when it has no escapes.
struct CowStr<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for CowStr<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = CowStr<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_str(V(std::marker::PhantomData))
    }
}

/// The annotations the detections read; the others are skipped without being kept.
#[derive(Debug, Default, Clone)]
pub struct Annotations<'a> {
    /// `authorization.k8s.io/decision`: `allow` or `forbid`.
    pub decision: Option<Cow<'a, str>>,
    /// `authorization.k8s.io/reason`, kept as written (JSON) and decoded when shown.
    pub reason: Option<&'a RawValue>,
    /// An annotation whose key ends in `image-policy.k8s.io/failed-open`: (key, value).
    pub failed_open: Option<(Cow<'a, str>, Cow<'a, str>)>,
}

impl<'a> Annotations<'a> {
    pub fn reason(&self) -> Option<String> {
        self.reason
            .and_then(|r| serde_json::from_str::<String>(r.get()).ok())
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Annotations<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Annotations<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map of annotations")
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Annotations::default())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut a = Annotations::default();
                while let Some(CowStr(k)) = map.next_key::<CowStr<'a>>()? {
                    match &*k {
                        "authorization.k8s.io/decision" => {
                            a.decision = Some(map.next_value::<CowStr<'a>>()?.0)
                        }
                        "authorization.k8s.io/reason" => a.reason = Some(map.next_value()?),
                        k2 if k2.ends_with("image-policy.k8s.io/failed-open") => {
                            a.failed_open = Some((k, map.next_value::<CowStr<'a>>()?.0))
                        }
                        _ => {
                            map.next_value::<serde::de::IgnoredAny>()?;
                        }
                    }
                }
                Ok(a)
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// The user (or impersonated user) of an event.
#[derive(Debug, Default, Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct UserInfo<'a> {
    #[serde(borrow, default)]
    pub username: Cow<'a, str>,
    /// Kept as written: only searched for `system:unauthenticated`.
    #[serde(borrow, default)]
    pub groups: Option<&'a RawValue>,
}

/// What the request was about.
#[derive(Debug, Default, Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct ObjectRef<'a> {
    #[serde(borrow, default)]
    pub resource: Cow<'a, str>,
    #[serde(borrow, default)]
    pub namespace: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub api_group: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub subresource: Option<Cow<'a, str>>,
}

/// The `responseStatus` (a `metav1.Status`); only the code is used.
#[derive(Debug, Default, Deserialize, Clone)]
pub struct ResponseStatus {
    #[serde(default)]
    pub code: Option<i64>,
}

/// One audit event.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event<'a> {
    #[serde(borrow, default)]
    pub audit_id: Cow<'a, str>,
    #[serde(borrow, default)]
    pub stage: Cow<'a, str>,
    #[serde(borrow, default, rename = "requestURI")]
    pub request_uri: Cow<'a, str>,
    #[serde(borrow, default)]
    pub verb: Cow<'a, str>,
    #[serde(borrow, default)]
    pub user: UserInfo<'a>,
    #[serde(borrow, default)]
    pub impersonated_user: Option<UserInfo<'a>>,
    #[serde(borrow, default, rename = "sourceIPs")]
    pub source_ips: Vec<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub user_agent: Cow<'a, str>,
    #[serde(borrow, default)]
    pub object_ref: Option<ObjectRef<'a>>,
    #[serde(default)]
    pub response_status: Option<ResponseStatus>,
    #[serde(borrow, default)]
    pub request_object: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub response_object: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub request_received_timestamp: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub stage_timestamp: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub annotations: Annotations<'a>,
    /// Envelope fields: read so that one parse of a line tells an event from the documents
    /// that carry events (see `reader`). Never set on an event handed to detections.
    #[serde(borrow, default)]
    pub(crate) kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub(crate) items: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub(crate) records: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub(crate) events: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub(crate) log_events: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub(crate) proto_payload: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub(crate) properties: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub(crate) message: Option<Cow<'a, str>>,
    /// GKE: the entry's time and labels (authorization decision) beside `protoPayload`.
    /// A string for GKE, a number of milliseconds for CloudWatch.
    #[serde(borrow, default)]
    pub(crate) timestamp: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub(crate) labels: Option<&'a RawValue>,
}

impl UserInfo<'_> {
    /// Whether `groups` lists `group`.
    pub fn in_group(&self, group: &str) -> bool {
        self.groups.is_some_and(|g| {
            serde_json::from_str::<Vec<CowStr<'_>>>(g.get())
                .is_ok_and(|v| v.iter().any(|x| x.0 == group))
        })
    }
}

impl<'a> Event<'a> {
    /// `resource` or `resource/subresource` (`pods/exec`), empty without an objectRef.
    pub fn resource_path(&self) -> String {
        match &self.object_ref {
            Some(o) => match o.subresource.as_deref() {
                Some(s) if !s.is_empty() => format!("{}/{}", o.resource, s),
                _ => o.resource.to_string(),
            },
            None => String::new(),
        }
    }

    pub fn resource(&self) -> &str {
        self.object_ref.as_ref().map_or("", |o| &o.resource)
    }

    pub fn subresource(&self) -> &str {
        self.object_ref
            .as_ref()
            .and_then(|o| o.subresource.as_deref())
            .unwrap_or("")
    }

    pub fn api_group(&self) -> &str {
        self.object_ref
            .as_ref()
            .and_then(|o| o.api_group.as_deref())
            .unwrap_or("")
    }

    pub fn namespace(&self) -> Option<&str> {
        self.object_ref
            .as_ref()
            .and_then(|o| o.namespace.as_deref())
            .filter(|s| !s.is_empty())
    }

    pub fn name(&self) -> Option<&str> {
        self.object_ref
            .as_ref()
            .and_then(|o| o.name.as_deref())
            .filter(|s| !s.is_empty())
    }

    pub fn code(&self) -> Option<i64> {
        self.response_status.as_ref().and_then(|s| s.code)
    }

    pub fn decision(&self) -> Option<&str> {
        self.annotations.decision.as_deref()
    }

    /// Whether the request went through: a 2xx/3xx response, or (without a response code,
    /// as at stage `ResponseStarted`) an `allow` authorization decision.
    pub fn succeeded(&self) -> bool {
        match self.code() {
            Some(c) => (100..400).contains(&c),
            None => self.decision() == Some("allow"),
        }
    }

    /// Whether authentication (401) or authorization (403) refused the request.
    pub fn auth_failure(&self) -> Option<i64> {
        match self.code() {
            Some(c @ (401 | 403)) => Some(c),
            None if self.decision() == Some("forbid") => Some(403),
            _ => None,
        }
    }

    /// The effective subject: the impersonated user when there is one.
    pub fn subject(&self) -> &str {
        match &self.impersonated_user {
            Some(u) if !u.username.is_empty() => &u.username,
            _ => &self.user.username,
        }
    }

    /// Event time in microseconds since the Unix epoch (`stageTimestamp`, else
    /// `requestReceivedTimestamp`).
    pub fn time_micros(&self) -> Option<i64> {
        self.stage_timestamp
            .as_deref()
            .or(self.request_received_timestamp.as_deref())
            .and_then(parse_rfc3339_micros)
    }

    pub fn time_str(&self) -> &str {
        self.stage_timestamp
            .as_deref()
            .or(self.request_received_timestamp.as_deref())
            .unwrap_or("")
    }

    /// Whether detections should look at this event: the final stage of a request. The
    /// `RequestReceived` and `ResponseStarted` stages repeat the same request; events without
    /// a stage (converted from managed-cluster logs) count as final.
    pub fn is_final_stage(&self) -> bool {
        matches!(&*self.stage, "ResponseComplete" | "Panic" | "")
    }
}

/// `2026-01-02T03:04:05.123456Z` or `...+01:00` to microseconds since the epoch.
pub fn parse_rfc3339_micros(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let mut v = 0i64;
        for &c in b.get(r)? {
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + i64::from(c - b'0');
        }
        Some(v)
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut i = 19;
    let mut micros = 0i64;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let mut digits = 0;
        while let Some(c) = b.get(i).filter(|c| c.is_ascii_digit()) {
            if digits < 6 {
                micros = micros * 10 + i64::from(c - b'0');
                digits += 1;
            }
            i += 1;
        }
        while digits < 6 {
            micros *= 10;
            digits += 1;
        }
    }
    let offset = match b.get(i)? {
        b'Z' | b'z' => 0,
        sign @ (b'+' | b'-') => {
            let oh = num(i + 1..i + 3)?;
            let om = num(i + 4..i + 6)?;
            let o = (oh * 60 + om) * 60;
            if *sign == b'+' { o } else { -o }
        }
        _ => return None,
    };
    // Days from civil (Howard Hinnant's algorithm).
    let y = if mo <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146097 + doe - 719468;
    Some((days * 86400 + h * 3600 + mi * 60 + sec - offset) * 1_000_000 + micros)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        assert_eq!(parse_rfc3339_micros("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_rfc3339_micros("2026-12-05T08:00:00.123456Z"),
            Some(1_796_457_600_123_456)
        );
        assert_eq!(
            parse_rfc3339_micros("2026-12-05T09:00:00.5+01:00"),
            Some(1_796_457_600_500_000)
        );
        assert_eq!(parse_rfc3339_micros("yesterday"), None);
        assert_eq!(parse_rfc3339_micros("2026-13-05T09:00:00Z"), None);
    }

    #[test]
    fn unknown_fields_and_borrowing() {
        let line = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1beta1","metadata":{"creationTimestamp":"x"},"timestamp":"y","verb":"get","user":{"username":"alice","extra":{"a":["b"]}},"objectRef":{"resource":"pods","subresource":"exec","namespace":"ns"},"responseStatus":{"metadata":{},"code":101},"requestObject":{"big":[1,2,3]}}"#;
        let e: Event = serde_json::from_str(line).unwrap();
        assert!(matches!(e.verb, Cow::Borrowed("get")));
        assert_eq!(e.resource_path(), "pods/exec");
        assert!(e.succeeded());
        assert_eq!(e.request_object.unwrap().get(), r#"{"big":[1,2,3]}"#);
    }
}
