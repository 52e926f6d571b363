//! The local vulnerability index: one file (`osv.kwdb` in the database folder), a small header
//! followed by a zstd-compressed body in a compact binary layout (varints and length-prefixed
//! strings). Loading decodes it and builds the (ecosystem, package name) index in memory.

use crate::cvss::Level;
use crate::error::{DbError, DecodeError};
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The file name of the index inside a database folder.
pub const FILE_NAME: &str = "osv.kwdb";
const MAGIC: &[u8; 8] = b"KWVULN\x00\x02";

/// Where the severity of an entry came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SevSource {
    /// Base score computed from a CVSS v3.x vector.
    CvssV3,
    /// Base score computed from a CVSS v2 vector.
    CvssV2,
    /// A database's own label (GHSA `database_specific.severity`, Debian urgency, Ubuntu
    /// priority).
    Label,
    None,
}

impl SevSource {
    fn code(self) -> u8 {
        match self {
            SevSource::CvssV3 => 1,
            SevSource::CvssV2 => 2,
            SevSource::Label => 3,
            SevSource::None => 0,
        }
    }
    fn from_code(c: u8) -> SevSource {
        match c {
            1 => SevSource::CvssV3,
            2 => SevSource::CvssV2,
            3 => SevSource::Label,
            _ => SevSource::None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Sev {
    pub level: Level,
    /// CVSS base score, when computed from a vector.
    pub score: Option<f32>,
    pub source: SevSource,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    Introduced(String),
    Fixed(String),
    LastAffected(String),
    Limit(String),
}

impl Event {
    pub fn version(&self) -> &str {
        match self {
            Event::Introduced(v) | Event::Fixed(v) | Event::LastAffected(v) | Event::Limit(v) => v,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Range {
    /// `SEMVER` (SemVer order) rather than `ECOSYSTEM` (the ecosystem's order).
    pub semver: bool,
    pub events: Vec<Event>,
}

/// One vulnerability record's identity and description.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vuln {
    pub id: String,
    /// `aliases` and `upstream` ids (CVE…), sorted.
    pub aliases: Vec<String>,
    pub summary: String,
    pub modified: String,
    pub published: String,
    /// The advisory link (first ADVISORY reference, else the first reference).
    pub url: String,
    /// CVSS vectors as written in the record.
    pub vectors: Vec<String>,
}

/// One `affected[]` entry: a package in an ecosystem and which of its versions are affected.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// Index into [`Database::vulns`].
    pub vuln: u32,
    /// As written in the record (`Debian:12`, `Red Hat:enterprise_linux:9::appstream`).
    pub ecosystem: String,
    pub name: String,
    pub severity: Sev,
    pub ranges: Vec<Range>,
    pub versions: Vec<String>,
}

/// Facts about the import, shown in every report.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Meta {
    /// What was imported (files, folders or URLs).
    pub sources: Vec<String>,
    /// When, in RFC 3339 UTC.
    pub imported_at: String,
    pub records: u64,
    /// Withdrawn records left out.
    pub withdrawn: u64,
    /// Records per base ecosystem, sorted by name.
    pub ecosystems: Vec<(String, u64)>,
}

/// A loaded vulnerability database. The decompressed body stays in memory as written and is
/// decoded lazily: loading reads only the package table (and checks every record's bounds and
/// text without allocating); a package's entries are decoded when it is looked up, a record
/// when it matches.
#[derive(Debug, Default)]
pub struct Database {
    pub meta: Meta,
    body: Vec<u8>,
    /// Offset of each record in `body`.
    vuln_at: Vec<u32>,
    /// `(base ecosystem \0 normalised name, offset of its entries in body, count)`, sorted.
    groups: Vec<(String, u32, u32)>,
    /// Key → position in `groups`.
    index: HashMap<String, u32, foldhash::fast::RandomState>,
    entry_count: usize,
}

/// The index key of a package.
pub(crate) fn key(base: &str, name: &str) -> String {
    let name = crate::matching::normalize_name(base, name);
    let mut k = String::with_capacity(base.len() + 1 + name.len());
    k.push_str(base);
    k.push('\0');
    k.push_str(&name);
    k
}

fn write_vuln(w: &mut Writer, v: &Vuln) {
    w.str(&v.id);
    w.strs(&v.aliases);
    w.str(&v.summary);
    w.str(&v.modified);
    w.str(&v.published);
    w.str(&v.url);
    w.strs(&v.vectors);
}

fn read_vuln(r: &mut Reader<'_>) -> Result<Vuln, DecodeError> {
    Ok(Vuln {
        id: r.str()?,
        aliases: r.strs()?,
        summary: r.str()?,
        modified: r.str()?,
        published: r.str()?,
        url: r.str()?,
        vectors: r.strs()?,
    })
}

fn write_entry(w: &mut Writer, e: &Entry) {
    w.u(e.vuln as u64);
    w.str(&e.ecosystem);
    w.str(&e.name);
    w.0.push(e.severity.level as u8);
    w.0.push(e.severity.source.code());
    match e.severity.score {
        Some(s) => w.u(1 + (s * 10.0).round() as u64),
        None => w.u(0),
    }
    w.u(e.ranges.len() as u64);
    for r in &e.ranges {
        w.0.push(r.semver as u8);
        w.u(r.events.len() as u64);
        for ev in &r.events {
            let (tag, v) = match ev {
                Event::Introduced(v) => (0, v),
                Event::Fixed(v) => (1, v),
                Event::LastAffected(v) => (2, v),
                Event::Limit(v) => (3, v),
            };
            w.0.push(tag);
            w.str(v);
        }
    }
    w.strs(&e.versions);
}

fn read_entry(r: &mut Reader<'_>) -> Result<Entry, DecodeError> {
    let vuln = r.u()? as u32;
    let ecosystem = r.str()?;
    let name = r.str()?;
    let level = Level::from_u8(r.byte()?);
    let source = SevSource::from_code(r.byte()?);
    let score = match r.u()? {
        0 => None,
        s => Some((s - 1) as f32 / 10.0),
    };
    let nr = r.len()?;
    let mut ranges = Vec::with_capacity(nr);
    for _ in 0..nr {
        let semver = r.byte()? != 0;
        let ne = r.len()?;
        let mut events = Vec::with_capacity(ne);
        for _ in 0..ne {
            let tag = r.byte()?;
            let v = r.str()?;
            events.push(match tag {
                0 => Event::Introduced(v),
                1 => Event::Fixed(v),
                2 => Event::LastAffected(v),
                3 => Event::Limit(v),
                _ => return Err(DecodeError::Corrupt("unknown event")),
            });
        }
        ranges.push(Range { semver, events });
    }
    Ok(Entry {
        vuln,
        ecosystem,
        name,
        severity: Sev {
            level,
            score,
            source,
        },
        ranges,
        versions: r.strs()?,
    })
}

/// Walks one record without allocating (bounds and UTF-8 checked).
fn skip_vuln(r: &mut Reader<'_>) -> Result<(), DecodeError> {
    r.skip_str()?;
    r.skip_strs()?;
    for _ in 0..4 {
        r.skip_str()?;
    }
    r.skip_strs()
}

/// Walks one entry without allocating; returns its record index.
fn skip_entry(r: &mut Reader<'_>) -> Result<u64, DecodeError> {
    let vuln = r.u()?;
    r.skip_str()?;
    r.skip_str()?;
    r.byte()?;
    r.byte()?;
    r.u()?;
    for _ in 0..r.len()? {
        r.byte()?;
        for _ in 0..r.len()? {
            if r.byte()? > 3 {
                return Err(DecodeError::Corrupt("unknown event"));
            }
            r.skip_str()?;
        }
    }
    r.skip_strs()?;
    Ok(vuln)
}

impl Database {
    /// Builds the database from its parts (used by import).
    pub fn new(meta: Meta, vulns: Vec<Vuln>, entries: Vec<Entry>) -> Database {
        let mut keyed: Vec<(String, Entry)> = entries
            .into_iter()
            .map(|e| {
                let base = e.ecosystem.split(':').next().unwrap_or("");
                (key(base, &e.name), e)
            })
            .collect();
        // Stable: a package's entries keep their record order.
        keyed.sort_by(|a, b| a.0.cmp(&b.0));
        let mut w = Writer(Vec::with_capacity(1 << 20));
        w.strs(&meta.sources);
        w.str(&meta.imported_at);
        w.u(meta.records);
        w.u(meta.withdrawn);
        w.u(meta.ecosystems.len() as u64);
        for (e, n) in &meta.ecosystems {
            w.str(e);
            w.u(*n);
        }
        w.u(vulns.len() as u64);
        for v in &vulns {
            write_vuln(&mut w, v);
        }
        // The package table, then each package's entries.
        let mut tables: Vec<(&str, u64, Vec<u8>)> = Vec::new();
        for (k, e) in &keyed {
            if tables.last().is_none_or(|(last, _, _)| *last != k.as_str()) {
                tables.push((k, 0, Vec::new()));
            }
            let t = tables.last_mut().expect("just pushed");
            t.1 += 1;
            let mut ew = Writer(std::mem::take(&mut t.2));
            write_entry(&mut ew, e);
            t.2 = ew.0;
        }
        w.u(tables.len() as u64);
        for (k, n, bytes) in &tables {
            w.str(k);
            w.u(*n);
            w.u(bytes.len() as u64);
        }
        for (_, _, bytes) in &tables {
            w.0.extend_from_slice(bytes);
        }
        Self::from_body(w.0).expect("a body written here reads back")
    }

    /// Reads the package table and checks the body.
    fn from_body(body: Vec<u8>) -> Result<Database, DecodeError> {
        let mut r = Reader { b: &body, i: 0 };
        let mut meta = Meta {
            sources: r.strs()?,
            imported_at: r.str()?,
            records: r.u()?,
            withdrawn: r.u()?,
            ecosystems: Vec::new(),
        };
        for _ in 0..r.len()? {
            meta.ecosystems.push((r.str()?, r.u()?));
        }
        let nv = r.len()?;
        let mut vuln_at = Vec::with_capacity(nv);
        for _ in 0..nv {
            vuln_at.push(r.i as u32);
            skip_vuln(&mut r)?;
        }
        let ng = r.len()?;
        let mut table = Vec::with_capacity(ng);
        for _ in 0..ng {
            table.push((r.str()?, r.u()?, r.u()?));
        }
        let mut at = r.i as u64;
        let mut groups = Vec::with_capacity(ng);
        let mut index: HashMap<String, u32, foldhash::fast::RandomState> =
            HashMap::with_capacity_and_hasher(ng, Default::default());
        let mut entry_count = 0usize;
        for (k, n, len) in table {
            let end = at
                .checked_add(len)
                .filter(|e| *e <= body.len() as u64)
                .ok_or(DecodeError::Corrupt("package table points past the end"))?;
            let mut er = Reader {
                b: &body[..end as usize],
                i: at as usize,
            };
            for _ in 0..n {
                if skip_entry(&mut er)? as usize >= nv {
                    return Err(DecodeError::Corrupt("entry points past the records"));
                }
            }
            if er.i as u64 != end {
                return Err(DecodeError::Corrupt(
                    "package entries do not fill their space",
                ));
            }
            entry_count += n as usize;
            if index.insert(k.clone(), groups.len() as u32).is_some() {
                return Err(DecodeError::Corrupt("a package is listed twice"));
            }
            groups.push((k, at as u32, n as u32));
            at = end;
        }
        if at != body.len() as u64 {
            return Err(DecodeError::Corrupt("trailing bytes"));
        }
        if body.len() > u32::MAX as usize {
            return Err(DecodeError::TooLarge);
        }
        Ok(Database {
            meta,
            body,
            vuln_at,
            groups,
            index,
            entry_count,
        })
    }

    /// Number of records.
    pub fn vuln_count(&self) -> usize {
        self.vuln_at.len()
    }

    /// Number of affected-package entries.
    pub fn entry_count(&self) -> usize {
        self.entry_count
    }

    /// Record `i` (an [`Entry::vuln`]).
    pub fn vuln(&self, i: u32) -> Vuln {
        let at = self.vuln_at.get(i as usize).copied().unwrap_or(0) as usize;
        // The body was checked when loaded, so decoding cannot fail.
        read_vuln(&mut Reader {
            b: &self.body,
            i: at,
        })
        .unwrap_or_else(|_| Vuln {
            id: String::new(),
            aliases: Vec::new(),
            summary: String::new(),
            modified: String::new(),
            published: String::new(),
            url: String::new(),
            vectors: Vec::new(),
        })
    }

    fn group_entries(&self, g: usize) -> Vec<Entry> {
        let (_, at, n) = &self.groups[g];
        let mut r = Reader {
            b: &self.body,
            i: *at as usize,
        };
        (0..*n).filter_map(|_| read_entry(&mut r).ok()).collect()
    }

    /// Entries of (base ecosystem, name).
    pub fn lookup(&self, base: &str, name: &str) -> Vec<Entry> {
        match self.index.get(&key(base, name)) {
            Some(&g) => self.group_entries(g as usize),
            None => Vec::new(),
        }
    }

    /// Every record, in id order (decodes everything: for tests and exports).
    pub fn all_vulns(&self) -> Vec<Vuln> {
        (0..self.vuln_at.len() as u32)
            .map(|i| self.vuln(i))
            .collect()
    }

    /// Every entry, by package (decodes everything).
    pub fn all_entries(&self) -> Vec<Entry> {
        (0..self.groups.len())
            .flat_map(|g| self.group_entries(g))
            .collect()
    }

    /// The index file in folder `dir`.
    pub fn path_in(dir: &Path) -> PathBuf {
        dir.join(FILE_NAME)
    }

    /// Loads the index from folder `dir`.
    pub fn load(dir: &Path) -> Result<Database, DbError> {
        let path = Self::path_in(dir);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(DbError::Missing {
                    path,
                    dir: dir.to_path_buf(),
                });
            }
            Err(source) => return Err(DbError::Io { path, source }),
        };
        Self::decode(&bytes).map_err(|source| DbError::Decode { path, source })
    }

    /// Writes the index into folder `dir` (created if needed), replacing any previous one
    /// atomically.
    pub fn save(&self, dir: &Path) -> Result<PathBuf, DbError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| DbError::Io { path, source }
        };
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let path = Self::path_in(dir);
        let tmp = dir.join(format!(".{FILE_NAME}.tmp"));
        std::fs::write(&tmp, self.encode()).map_err(io(&tmp))?;
        std::fs::rename(&tmp, &path).map_err(io(&path))?;
        Ok(path)
    }

    /// The file contents: magic, body length, zstd-compressed body.
    pub fn encode(&self) -> Vec<u8> {
        let body = zstd::bulk::compress(&self.body, 9).expect("compressing to memory");
        let mut out = Vec::with_capacity(body.len() + 16);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(self.body.len() as u64).to_le_bytes());
        out.extend_from_slice(&body);
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<Database, DecodeError> {
        if bytes.len() < 16 || &bytes[..8] != MAGIC {
            return Err(DecodeError::NotADatabase);
        }
        let size = u64::from_le_bytes(bytes[8..16].try_into().expect("8 bytes")) as usize;
        if size > u32::MAX as usize {
            return Err(DecodeError::Header);
        }
        let body = zstd::bulk::decompress(&bytes[16..], size).map_err(DecodeError::Decompress)?;
        if body.len() != size {
            return Err(DecodeError::Corrupt("body size differs from the header"));
        }
        Self::from_body(body)
    }

    /// One line about the database for reports: `OSV database imported 2026-12-05T08:00:00Z
    /// from DIR (1234 records: Debian 1000, npm 234)`.
    pub fn describe(&self) -> String {
        describe_meta(&self.meta)
    }
}

/// See [`Database::describe`].
pub fn describe_meta(m: &Meta) -> String {
    let ecos = m
        .ecosystems
        .iter()
        .map(|(e, n)| format!("{e} {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "OSV database imported {} from {} ({} records{}{})",
        m.imported_at,
        m.sources.join(", "),
        m.records,
        if ecos.is_empty() { "" } else { ": " },
        ecos
    )
}

struct Writer(Vec<u8>);

impl Writer {
    fn u(&mut self, mut v: u64) {
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                self.0.push(b);
                return;
            }
            self.0.push(b | 0x80);
        }
    }
    fn str(&mut self, s: &str) {
        self.u(s.len() as u64);
        self.0.extend_from_slice(s.as_bytes());
    }
    fn strs(&mut self, v: &[String]) {
        self.u(v.len() as u64);
        for s in v {
            self.str(s);
        }
    }
}

struct Reader<'a> {
    b: &'a [u8],
    i: usize,
}

impl Reader<'_> {
    fn byte(&mut self) -> Result<u8, DecodeError> {
        let b = *self
            .b
            .get(self.i)
            .ok_or(DecodeError::Corrupt("truncated"))?;
        self.i += 1;
        Ok(b)
    }
    fn u(&mut self) -> Result<u64, DecodeError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= ((b & 0x7f) as u64) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(DecodeError::Corrupt("bad number"))
    }
    /// A count, bounded by the bytes left so corrupt input cannot ask for huge allocations.
    fn len(&mut self) -> Result<usize, DecodeError> {
        let n = self.u()? as usize;
        if n > self.b.len() - self.i {
            return Err(DecodeError::Corrupt("count past the end"));
        }
        Ok(n)
    }
    fn str(&mut self) -> Result<String, DecodeError> {
        let n = self.len()?;
        let s = std::str::from_utf8(&self.b[self.i..self.i + n])
            .map_err(|_| DecodeError::Corrupt("text is not UTF-8"))?;
        self.i += n;
        Ok(s.to_string())
    }
    fn skip_str(&mut self) -> Result<(), DecodeError> {
        let n = self.len()?;
        std::str::from_utf8(&self.b[self.i..self.i + n])
            .map_err(|_| DecodeError::Corrupt("text is not UTF-8"))?;
        self.i += n;
        Ok(())
    }
    fn skip_strs(&mut self) -> Result<(), DecodeError> {
        for _ in 0..self.len()? {
            self.skip_str()?;
        }
        Ok(())
    }
    fn strs(&mut self) -> Result<Vec<String>, DecodeError> {
        let n = self.len()?;
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            v.push(self.str()?);
        }
        Ok(v)
    }
}
