//! Content digests (`sha256:<hex>`, `sha512:<hex>`) and a reader that hashes what passes
//! through it and enforces the size a descriptor declares.

use crate::{Error, bail};
use ring::digest::{Context, SHA256, SHA512};
use std::io::{self, Read};

/// A parsed digest: algorithm and lower-case hex.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Digest {
    pub algorithm: &'static str,
    pub hex: String,
}

impl Digest {
    pub fn parse(s: &str) -> Result<Digest, Error> {
        let Some((alg, hex)) = s.split_once(':') else {
            bail!("`{s}` is not a digest (expected sha256:<hex>)");
        };
        let (algorithm, len) = match alg {
            "sha256" => ("sha256", 64),
            "sha512" => ("sha512", 128),
            _ => bail!("digest `{s}`: unsupported algorithm `{alg}` (sha256 and sha512 are)"),
        };
        if hex.len() != len
            || !hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            bail!("digest `{s}`: expected {len} lower-case hex digits");
        }
        Ok(Digest {
            algorithm,
            hex: hex.to_string(),
        })
    }

    pub fn context(&self) -> Context {
        Context::new(if self.algorithm == "sha512" {
            &SHA512
        } else {
            &SHA256
        })
    }

    pub fn of(bytes: &[u8]) -> String {
        format!(
            "sha256:{}",
            hex(ring::digest::digest(&SHA256, bytes).as_ref())
        )
    }
}

impl std::fmt::Display for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.algorithm, self.hex)
    }
}

pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// Verifies `bytes` against `expected` (`sha256:...`).
pub fn verify(bytes: &[u8], expected: &str, what: &str) -> Result<(), Error> {
    let d = Digest::parse(expected)?;
    let mut ctx = d.context();
    ctx.update(bytes);
    let got = hex(ctx.finish().as_ref());
    if got != d.hex {
        bail!(
            "{what}: digest mismatch: expected {expected}, content hashes to {}:{got}",
            d.algorithm
        );
    }
    Ok(())
}

/// Hash state shared with a [`HashingReader`].
pub struct HashState {
    ctx: Context,
    pub bytes: u64,
    /// The declared size; reading past it is an error.
    pub limit: Option<u64>,
}

impl HashState {
    pub fn new(ctx: Context, limit: Option<u64>) -> HashState {
        HashState {
            ctx,
            bytes: 0,
            limit,
        }
    }

    pub fn finish_hex(self) -> String {
        hex(self.ctx.finish().as_ref())
    }
}

/// Hashes every byte read through it; fails once more bytes arrive than the limit.
pub struct HashingReader<'s, R> {
    pub inner: R,
    pub state: &'s mut HashState,
}

impl<R: Read> Read for HashingReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.state.ctx.update(&buf[..n]);
        self.state.bytes += n as u64;
        if let Some(limit) = self.state.limit {
            if self.state.bytes > limit {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("more than the {limit} bytes its descriptor declares"),
                ));
            }
        }
        Ok(n)
    }
}
