//! Just enough X.509 to check kubeconfig client certificates: base64 and PEM decoding and a
//! DER walk to the validity period and the subject's O and CN. Certificates that do not parse
//! are reported as such by the rules, never guessed at.

/// What the kubeconfig rules need from a certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cert {
    /// Seconds since the Unix epoch.
    pub not_before: i64,
    pub not_after: i64,
    pub organizations: Vec<String>,
    pub common_name: Option<String>,
}

/// Decodes standard base64 (whitespace ignored, padding optional).
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    for b in text.bytes() {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => break,
            b' ' | b'\n' | b'\r' | b'\t' => continue,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// The DER bodies of every `-----BEGIN CERTIFICATE-----` block in a PEM text.
pub fn pem_certificates(pem: &str) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut rest = pem;
    while let Some(start) = rest.find("-----BEGIN CERTIFICATE-----") {
        let body = &rest[start + "-----BEGIN CERTIFICATE-----".len()..];
        let Some(end) = body.find("-----END CERTIFICATE-----") else {
            break;
        };
        if let Some(der) = base64_decode(&body[..end]) {
            out.push(der);
        }
        rest = &body[end..];
    }
    out
}

/// One DER TLV: (tag, content, rest after it).
fn tlv(data: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = data.split_first()?;
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let mut l = 0usize;
        for &b in &rest[..n] {
            l = (l << 8) | usize::from(b);
        }
        rest = &rest[n..];
        l
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

/// Days from 1970-01-01 to a civil date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn time(tag: u8, content: &[u8]) -> Option<i64> {
    let s = std::str::from_utf8(content).ok()?;
    let s = s.strip_suffix('Z')?;
    let (year, rest) = match tag {
        0x17 => {
            let yy: i64 = s.get(..2)?.parse().ok()?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, &s[2..])
        }
        0x18 => (s.get(..4)?.parse().ok()?, &s[4..]),
        _ => return None,
    };
    let num = |r: std::ops::Range<usize>| -> Option<u32> { rest.get(r)?.parse().ok() };
    let (mo, d, h, mi) = (num(0..2)?, num(2..4)?, num(4..6)?, num(6..8)?);
    let sec = num(8..10).unwrap_or(0);
    Some(
        days_from_civil(year, mo, d) * 86_400
            + i64::from(h) * 3600
            + i64::from(mi) * 60
            + i64::from(sec),
    )
}

fn name_attributes(mut name: &[u8], oid: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    while let Some((0x31, set, rest)) = tlv(name) {
        let mut set = set;
        while let Some((0x30, atv, more)) = tlv(set) {
            if let Some((0x06, id, value)) = tlv(atv) {
                if id == oid {
                    if let Some((_, v, _)) = tlv(value) {
                        out.push(String::from_utf8_lossy(v).into_owned());
                    }
                }
            }
            set = more;
        }
        name = rest;
    }
    out
}

/// Parses a DER certificate.
pub fn parse(der: &[u8]) -> Option<Cert> {
    let (0x30, cert, _) = tlv(der)? else {
        return None;
    };
    let (0x30, tbs, _) = tlv(cert)? else {
        return None;
    };
    let mut rest = tbs;
    let (tag, _, r) = tlv(rest)?;
    if tag == 0xa0 {
        rest = r; // version
    }
    let (0x02, _, r) = tlv(rest)? else {
        return None;
    }; // serial
    let (0x30, _, r) = tlv(r)? else { return None }; // signature algorithm
    let (0x30, _, r) = tlv(r)? else { return None }; // issuer
    let (0x30, validity, r) = tlv(r)? else {
        return None;
    };
    let (0x30, subject, _) = tlv(r)? else {
        return None;
    };
    let (t1, nb, v) = tlv(validity)?;
    let (t2, na, _) = tlv(v)?;
    Some(Cert {
        not_before: time(t1, nb)?,
        not_after: time(t2, na)?,
        organizations: name_attributes(subject, &[0x55, 0x04, 0x0a]),
        common_name: name_attributes(subject, &[0x55, 0x04, 0x03])
            .into_iter()
            .next(),
    })
}

/// Why a `client-certificate-data` value gives no certificate (the text follows the field
/// name in messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CertDataError {
    #[error("is not valid base64")]
    NotBase64,
    #[error("is not PEM text")]
    NotPem,
    #[error("holds no PEM certificate")]
    NoCertificate,
    #[error("holds a certificate kubeward cannot parse")]
    Unparsable,
}

/// The certificates of a kubeconfig `client-certificate-data` value (base64 of PEM). `Err` when
/// the value is not base64, not PEM, or holds no parsable certificate.
pub fn from_kubeconfig_data(data: &str) -> Result<Vec<Cert>, CertDataError> {
    let pem = base64_decode(data).ok_or(CertDataError::NotBase64)?;
    let pem = String::from_utf8(pem).map_err(|_| CertDataError::NotPem)?;
    let ders = pem_certificates(&pem);
    if ders.is_empty() {
        return Err(CertDataError::NoCertificate);
    }
    let certs: Vec<Cert> = ders.iter().filter_map(|d| parse(d)).collect();
    if certs.is_empty() {
        return Err(CertDataError::Unparsable);
    }
    Ok(certs)
}

/// Seconds since the Unix epoch, now.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// `YYYY-MM-DD` of a Unix time.
pub fn date(t: i64) -> String {
    let (y, m, d) = kubeward_core::config::civil_from_days(t.div_euclid(86_400));
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_certificate_data_says_which_layer_failed() {
        assert_eq!(
            from_kubeconfig_data("%%%").unwrap_err(),
            CertDataError::NotBase64
        );
        // base64 of "hello": text, but no PEM block.
        assert_eq!(
            from_kubeconfig_data("aGVsbG8=").unwrap_err(),
            CertDataError::NoCertificate
        );
        assert_eq!(
            CertDataError::Unparsable.to_string(),
            "holds a certificate kubeward cannot parse"
        );
    }

    #[test]
    fn base64_and_dates() {
        assert_eq!(base64_decode("aGVs\nbG8=").unwrap(), b"hello");
        assert!(base64_decode("a*b").is_none());
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(time(0x17, b"491231235959Z"), Some(2_524_607_999));
        assert_eq!(date(2_524_607_999), "2049-12-31");
    }

    #[test]
    fn parses_a_generated_certificate() {
        let mut p = rcgen::CertificateParams::new(vec!["admin".into()]).unwrap();
        p.distinguished_name
            .push(rcgen::DnType::OrganizationName, "system:masters");
        p.distinguished_name
            .push(rcgen::DnType::CommonName, "kubernetes-admin");
        p.not_before = rcgen::date_time_ymd(2024, 1, 2);
        p.not_after = rcgen::date_time_ymd(2025, 1, 2);
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = p.self_signed(&key).unwrap();
        let c = parse(cert.der()).unwrap();
        assert_eq!(c.organizations, vec!["system:masters"]);
        assert_eq!(c.common_name.as_deref(), Some("kubernetes-admin"));
        assert_eq!(date(c.not_before), "2024-01-02");
        assert_eq!(date(c.not_after), "2025-01-02");
    }
}
