//! Snapshots: what a cluster scan read (objects, `/version`, discovery, coverage gaps), saved
//! as zstd-compressed JSON, so it can be analysed later offline with `kubeward scan FILE`.
//! Secrets are in it as metadata only, exactly as they were read.
//!
//! ```json
//! {"kubeward_snapshot": 1, "tool_version": "0.1.0", "created": "2026-11-27T10:00:00Z",
//!  "cluster": {"context": "...", "server": "...", "version": {...}, "gaps": [...]},
//!  "discovery": {"mode": "aggregated", "resources": [...]},
//!  "objects": [{...}, ...]}
//! ```

use crate::discovery::Discovered;
use crate::json::JsonNode;
use kubeward_core::inventory::ClusterInfo;
use kubeward_core::tree::Node;
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

pub const FORMAT_VERSION: u32 = 1;
/// The file extension `kubeward snapshot` suggests.
pub const EXTENSION: &str = "kwsnap";
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

#[derive(Serialize)]
struct Out<'a> {
    kubeward_snapshot: u32,
    tool_version: &'static str,
    created: String,
    cluster: &'a ClusterInfo,
    discovery: &'a Discovered,
    objects: &'a [Node],
}

#[derive(Deserialize)]
struct In {
    kubeward_snapshot: u32,
    #[serde(default)]
    created: String,
    cluster: ClusterInfo,
    #[serde(default)]
    discovery: Discovered,
    objects: Vec<JsonNode>,
}

/// A snapshot read back.
#[derive(Debug)]
pub struct Snapshot {
    pub created: String,
    pub cluster: ClusterInfo,
    pub discovery: Discovered,
    pub objects: Vec<Node>,
}

fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let (y, m, d) = kubeward_core::config::civil_from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// Why a snapshot cannot be written or read. Reading errors name the file, except those of
/// [`from_bytes`].
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: cannot read: not a regular file", path.display())]
    NotAFile { path: PathBuf },
    #[error("{}: cannot read: larger than the {max}-byte limit (--max-input-size)", path.display())]
    TooLarge { path: PathBuf, max: u64 },
    /// What [`from_bytes`] found wrong in the file at `path`.
    #[error("{}: {error}", path.display())]
    In {
        path: PathBuf,
        #[source]
        error: Box<SnapshotError>,
    },
    #[error("not a kubeward snapshot (no zstd frame; write one with `kubeward snapshot`)")]
    NoFrame,
    #[error("corrupt snapshot (zstd): {0}")]
    Corrupt(#[source] std::io::Error),
    #[error(
        "refused: the snapshot expands to more than {max} bytes ({compressed} bytes compressed; a \
         decompression bomb?)"
    )]
    Bomb { max: u64, compressed: usize },
    #[error("not a kubeward snapshot (line {line} column {column}: {0})", line = .0.line(), column = .0.column())]
    Json(#[source] serde_json::Error),
    #[error("snapshot format {0} is not supported (this kubeward reads format {FORMAT_VERSION})")]
    Format(u32),
}

/// Writes a snapshot (through a temporary file, renamed into place).
pub fn write(
    path: &Path,
    cluster: &ClusterInfo,
    discovery: &Discovered,
    objects: &[Node],
) -> Result<(), SnapshotError> {
    let tmp = path.with_extension("kwsnap.tmp");
    let out = Out {
        kubeward_snapshot: FORMAT_VERSION,
        tool_version: env!("CARGO_PKG_VERSION"),
        created: now_rfc3339(),
        cluster,
        discovery,
        objects,
    };
    let res = (|| -> std::io::Result<()> {
        // Snapshots hold ConfigMaps, environment values and RBAC: readable by the owner only.
        let mut o = std::fs::OpenOptions::new();
        o.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
        let f = o.open(&tmp)?;
        #[cfg(unix)]
        {
            // An earlier temporary file keeps its mode through `open`: set it again.
            use std::os::unix::fs::PermissionsExt;
            f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        let mut enc = zstd::stream::Encoder::new(std::io::BufWriter::with_capacity(1 << 20, f), 3)?;
        serde_json::to_writer(&mut enc, &out)?;
        let mut w = enc.finish()?;
        w.flush()?;
        Ok(())
    })();
    match res {
        Ok(()) => std::fs::rename(&tmp, path).map_err(|source| SnapshotError::Write {
            path: path.to_path_buf(),
            source,
        }),
        Err(source) => {
            let _ = std::fs::remove_file(&tmp);
            Err(SnapshotError::Write {
                path: path.to_path_buf(),
                source,
            })
        }
    }
}

/// Whether `path` looks like a snapshot: the `.kwsnap` extension or a zstd frame.
pub fn is_snapshot(path: &Path) -> bool {
    if path.extension().and_then(|e| e.to_str()) == Some(EXTENSION) {
        return true;
    }
    if !path.is_file() {
        return false;
    }
    let mut magic = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && magic == ZSTD_MAGIC
}

/// The most a snapshot may expand to when read with [`read`]: 1 GiB of JSON, several hundred
/// thousand objects. A small file that expands past it (a zstd bomb) is refused as soon as the
/// limit is passed, without ever holding more.
pub const DEFAULT_MAX_DECOMPRESSED: u64 = 1 << 30;

/// Reads a snapshot, expanding it to at most [`DEFAULT_MAX_DECOMPRESSED`] bytes.
pub fn read(path: &Path) -> Result<Snapshot, SnapshotError> {
    read_limited(path, DEFAULT_MAX_DECOMPRESSED)
}

/// Reads a snapshot that expands to at most `max` bytes of JSON (and is itself no larger).
pub fn read_limited(path: &Path, max: u64) -> Result<Snapshot, SnapshotError> {
    let read = |source| SnapshotError::Read {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(read)?;
    if !meta.is_file() {
        return Err(SnapshotError::NotAFile {
            path: path.to_path_buf(),
        });
    }
    let mut raw = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(max.saturating_add(1)).read_to_end(&mut raw))
        .map_err(read)?;
    if raw.len() as u64 > max {
        return Err(SnapshotError::TooLarge {
            path: path.to_path_buf(),
            max,
        });
    }
    from_bytes(&raw, max).map_err(|e| SnapshotError::In {
        path: path.to_path_buf(),
        error: Box::new(e),
    })
}

/// Reads a snapshot from its bytes (a zstd frame of JSON), expanding it to at most `max`
/// bytes. Errors do not name the file.
pub fn from_bytes(raw: &[u8], max: u64) -> Result<Snapshot, SnapshotError> {
    if raw.get(..4) != Some(&ZSTD_MAGIC[..]) {
        return Err(SnapshotError::NoFrame);
    }
    let mut json = Vec::new();
    zstd::stream::Decoder::new(raw)
        .and_then(|d| d.take(max.saturating_add(1)).read_to_end(&mut json))
        .map_err(SnapshotError::Corrupt)?;
    if json.len() as u64 > max {
        return Err(SnapshotError::Bomb {
            max,
            compressed: raw.len(),
        });
    }
    let v: In = serde_json::from_slice(&json).map_err(SnapshotError::Json)?;
    if v.kubeward_snapshot != FORMAT_VERSION {
        return Err(SnapshotError::Format(v.kubeward_snapshot));
    }
    Ok(Snapshot {
        created: v.created,
        cluster: v.cluster,
        discovery: v.discovery,
        objects: v.objects.into_iter().map(|JsonNode(n)| n).collect(),
    })
}
