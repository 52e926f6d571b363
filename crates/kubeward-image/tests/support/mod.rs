//! Builds test images: tar layers, Go/Rust binaries in the linkers' layouts, jars, rpm
//! databases, and writes them as OCI layouts, `docker save` archives or pushes them to a
//! registry. Shared by the integration tests and the benchmark.
#![allow(dead_code)]

use base64::Engine;
use std::io::Write;
use std::path::Path;

pub fn sha256(b: &[u8]) -> String {
    let d = ring::digest::digest(&ring::digest::SHA256, b);
    let mut s = String::from("sha256:");
    for x in d.as_ref() {
        s.push_str(&format!("{x:02x}"));
    }
    s
}

/// A tar layer under construction.
pub struct LayerBuilder {
    tar: tar::Builder<Vec<u8>>,
}

impl Default for LayerBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl LayerBuilder {
    pub fn new() -> Self {
        LayerBuilder {
            tar: tar::Builder::new(Vec::new()),
        }
    }

    pub fn file_mode(mut self, path: &str, data: &[u8], mode: u32) -> Self {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(mode);
        h.set_entry_type(tar::EntryType::Regular);
        h.set_mtime(0);
        self.tar.append_data(&mut h, path, data).unwrap();
        self
    }

    pub fn file(self, path: &str, data: &[u8]) -> Self {
        self.file_mode(path, data, 0o644)
    }

    pub fn dir(mut self, path: &str) -> Self {
        let mut h = tar::Header::new_gnu();
        h.set_size(0);
        h.set_mode(0o755);
        h.set_entry_type(tar::EntryType::Directory);
        self.tar.append_data(&mut h, path, &[][..]).unwrap();
        self
    }

    pub fn symlink(mut self, path: &str, target: &str) -> Self {
        let mut h = tar::Header::new_gnu();
        h.set_size(0);
        h.set_mode(0o777);
        h.set_entry_type(tar::EntryType::Symlink);
        self.tar.append_link(&mut h, path, target).unwrap();
        self
    }

    /// Deletes `dir/name` of lower layers.
    pub fn whiteout(self, path: &str) -> Self {
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
        let p = if dir.is_empty() {
            format!(".wh.{name}")
        } else {
            format!("{dir}/.wh.{name}")
        };
        self.file(&p, b"")
    }

    pub fn opaque(self, dir: &str) -> Self {
        self.file(&format!("{dir}/.wh..wh..opq"), b"")
    }

    /// Streams `size` bytes of filler into a file without holding them.
    pub fn filler(mut self, path: &str, size: u64, seed: u8) -> Self {
        let mut h = tar::Header::new_gnu();
        h.set_size(size);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        self.tar
            .append_data(
                &mut h,
                path,
                Filler {
                    left: size,
                    state: seed as u64 | 1,
                },
            )
            .unwrap();
        self
    }

    pub fn finish(self) -> Vec<u8> {
        self.tar.into_inner().unwrap()
    }
}

/// Pseudo-random bytes (xorshift), so compression cannot shrink them to nothing.
pub struct Filler {
    pub left: u64,
    pub state: u64,
}

impl std::io::Read for Filler {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = (buf.len() as u64).min(self.left) as usize;
        for chunk in buf[..n].chunks_mut(8) {
            self.state ^= self.state << 13;
            self.state ^= self.state >> 7;
            self.state ^= self.state << 17;
            let b = self.state.to_le_bytes();
            chunk.copy_from_slice(&b[..chunk.len()]);
        }
        self.left -= n as u64;
        Ok(n)
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

pub fn compress(tar: &[u8], c: Compression) -> Vec<u8> {
    match c {
        Compression::None => tar.to_vec(),
        Compression::Gzip => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(tar).unwrap();
            e.finish().unwrap()
        }
        Compression::Zstd => zstd::stream::encode_all(tar, 1).unwrap(),
    }
}

pub fn media_type(c: Compression) -> &'static str {
    match c {
        Compression::None => "application/vnd.oci.image.layer.v1.tar",
        Compression::Gzip => "application/vnd.oci.image.layer.v1.tar+gzip",
        Compression::Zstd => "application/vnd.oci.image.layer.v1.tar+zstd",
    }
}

/// An image: config, manifest and blobs (digest → bytes).
pub struct Image {
    pub config: Vec<u8>,
    pub manifest: Vec<u8>,
    pub layers: Vec<(String, Vec<u8>)>,
    pub diff_ids: Vec<String>,
    pub tars: Vec<Vec<u8>>,
}

impl Image {
    pub fn build(layers: Vec<(Vec<u8>, Compression)>, arch: &str) -> Image {
        let diff_ids: Vec<String> = layers.iter().map(|(t, _)| sha256(t)).collect();
        let config = serde_json::to_vec(&serde_json::json!({
            "architecture": arch, "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "config": {},
        }))
        .unwrap();
        let mut blobs = Vec::new();
        let mut descs = Vec::new();
        for (tar, c) in &layers {
            let b = compress(tar, *c);
            let d = sha256(&b);
            descs.push(
                serde_json::json!({"mediaType": media_type(*c), "digest": d, "size": b.len()}),
            );
            blobs.push((d, b));
        }
        let manifest = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha256(&config), "size": config.len()},
            "layers": descs,
        }))
        .unwrap();
        Image {
            config,
            manifest,
            layers: blobs,
            diff_ids,
            tars: layers.into_iter().map(|(t, _)| t).collect(),
        }
    }

    pub fn manifest_digest(&self) -> String {
        sha256(&self.manifest)
    }

    /// Writes an OCI layout with this image tagged `tag`.
    pub fn write_oci_layout(&self, dir: &Path, tag: &str) {
        let blobs = dir.join("blobs/sha256");
        std::fs::create_dir_all(&blobs).unwrap();
        let put = |b: &[u8]| {
            let d = sha256(b);
            std::fs::write(blobs.join(&d[7..]), b).unwrap();
        };
        put(&self.config);
        put(&self.manifest);
        for (_, b) in &self.layers {
            put(b);
        }
        std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
        let index = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [{
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": self.manifest_digest(), "size": self.manifest.len(),
                "annotations": {"org.opencontainers.image.ref.name": tag},
            }],
        });
        std::fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
    }

    /// A `docker save` archive: `legacy` = `<id>/layer.tar` + `<id>.json`; else the Docker
    /// 25+ layout (OCI blobs, uncompressed layers, manifest.json and index.json).
    pub fn write_docker_archive(&self, file: &Path, repo_tag: &str, legacy: bool) {
        let mut t = tar::Builder::new(std::fs::File::create(file).unwrap());
        let add = |t: &mut tar::Builder<std::fs::File>, p: &str, b: &[u8]| {
            let mut h = tar::Header::new_gnu();
            h.set_size(b.len() as u64);
            h.set_mode(0o644);
            t.append_data(&mut h, p, b).unwrap();
        };
        let config_hex = &sha256(&self.config)[7..];
        let mut layer_paths = Vec::new();
        if legacy {
            add(&mut t, &format!("{config_hex}.json"), &self.config);
            for (i, tar) in self.tars.iter().enumerate() {
                let p = format!("{:064x}/layer.tar", i + 1);
                add(&mut t, &p, tar);
                layer_paths.push(p);
            }
        } else {
            add(&mut t, &format!("blobs/sha256/{config_hex}"), &self.config);
            let mut descs = Vec::new();
            for tar in &self.tars {
                let d = sha256(tar);
                let p = format!("blobs/sha256/{}", &d[7..]);
                add(&mut t, &p, tar);
                layer_paths.push(p);
                descs.push(serde_json::json!({"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": d, "size": tar.len()}));
            }
            let manifest = serde_json::to_vec(&serde_json::json!({
                "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha256(&self.config), "size": self.config.len()},
                "layers": descs,
            })).unwrap();
            add(
                &mut t,
                &format!("blobs/sha256/{}", &sha256(&manifest)[7..]),
                &manifest,
            );
            let index = serde_json::to_vec(&serde_json::json!({
                "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": sha256(&manifest), "size": manifest.len(),
                    "annotations": {"io.containerd.image.name": format!("docker.io/library/{repo_tag}"), "org.opencontainers.image.ref.name": repo_tag.rsplit(':').next().unwrap()}}],
            })).unwrap();
            add(&mut t, "index.json", &index);
            add(&mut t, "oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#);
        }
        let config_path = if legacy {
            format!("{config_hex}.json")
        } else {
            format!("blobs/sha256/{config_hex}")
        };
        let m = serde_json::to_vec(&serde_json::json!([{
            "Config": config_path, "RepoTags": [repo_tag], "Layers": layer_paths,
        }]))
        .unwrap();
        add(&mut t, "manifest.json", &m);
        t.finish().unwrap();
    }
}

/// Go build info in the Go 1.18+ layout: 32-byte header (magic, pointer size, flags = 2),
/// then the Go version and the module info as varint-prefixed strings, the module info
/// framed by the 16-byte sentinels the go command writes.
pub fn go_buildinfo_inline(go_version: &str, modinfo: &str) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(b"\xff Go buildinf:");
    b.push(8);
    b.push(2);
    b.resize(32, 0);
    let mut m = hex16("3077af0c9274080241e1c107e6d618e6");
    m.extend_from_slice(modinfo.as_bytes());
    m.extend_from_slice(&hex16("f932433186182072008242104116d8f2"));
    for s in [go_version.as_bytes(), &m[..]] {
        let mut n = s.len() as u64;
        loop {
            let byte = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                b.push(byte);
                break;
            }
            b.push(byte | 0x80);
        }
        b.extend_from_slice(s);
    }
    b
}

fn hex16(h: &str) -> Vec<u8> {
    (0..16)
        .map(|i| u8::from_str_radix(&h[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

/// A minimal 64-bit little-endian ELF executable with the given sections (name, bytes,
/// address), one PT_LOAD segment mapping the whole file at `base`, and a section name table.
pub fn elf64(sections: &[(&str, Vec<u8>)], base: u64) -> Vec<u8> {
    let mut f = vec![0u8; 64 + 56];
    let mut placed = Vec::new();
    for (name, data) in sections {
        while !f.len().is_multiple_of(16) {
            f.push(0);
        }
        placed.push((name.to_string(), f.len() as u64, data.len() as u64));
        f.extend_from_slice(data);
    }
    let mut shstr = vec![0u8];
    let mut name_offs = Vec::new();
    for (n, _, _) in &placed {
        name_offs.push(shstr.len() as u32);
        shstr.extend_from_slice(n.as_bytes());
        shstr.push(0);
    }
    let shstr_name = shstr.len() as u32;
    shstr.extend_from_slice(b".shstrtab\0");
    let shstr_off = f.len() as u64;
    f.extend_from_slice(&shstr);
    while !f.len().is_multiple_of(8) {
        f.push(0);
    }
    let shoff = f.len() as u64;
    let shnum = placed.len() + 2;
    // Null section.
    f.extend_from_slice(&[0u8; 64]);
    let sh = |f: &mut Vec<u8>, name: u32, ty: u32, addr: u64, off: u64, size: u64| {
        let mut h = [0u8; 64];
        h[0..4].copy_from_slice(&name.to_le_bytes());
        h[4..8].copy_from_slice(&ty.to_le_bytes());
        h[8..16].copy_from_slice(&3u64.to_le_bytes());
        h[16..24].copy_from_slice(&addr.to_le_bytes());
        h[24..32].copy_from_slice(&off.to_le_bytes());
        h[32..40].copy_from_slice(&size.to_le_bytes());
        h[48..56].copy_from_slice(&1u64.to_le_bytes());
        f.extend_from_slice(&h);
    };
    for (i, (_, off, size)) in placed.iter().enumerate() {
        sh(&mut f, name_offs[i], 1, base + off, *off, *size);
    }
    sh(&mut f, shstr_name, 3, 0, shstr_off, shstr.len() as u64);
    let total = f.len() as u64;
    // ELF header.
    f[0..4].copy_from_slice(b"\x7fELF");
    f[4] = 2;
    f[5] = 1;
    f[6] = 1;
    f[16..18].copy_from_slice(&2u16.to_le_bytes());
    f[18..20].copy_from_slice(&62u16.to_le_bytes());
    f[20..24].copy_from_slice(&1u32.to_le_bytes());
    f[32..40].copy_from_slice(&64u64.to_le_bytes());
    f[40..48].copy_from_slice(&shoff.to_le_bytes());
    f[52..54].copy_from_slice(&64u16.to_le_bytes());
    f[54..56].copy_from_slice(&56u16.to_le_bytes());
    f[56..58].copy_from_slice(&1u16.to_le_bytes());
    f[58..60].copy_from_slice(&64u16.to_le_bytes());
    f[60..62].copy_from_slice(&(shnum as u16).to_le_bytes());
    f[62..64].copy_from_slice(&((shnum - 1) as u16).to_le_bytes());
    // PT_LOAD, read + write, the whole file at `base`.
    let ph = 64;
    f[ph..ph + 4].copy_from_slice(&1u32.to_le_bytes());
    f[ph + 4..ph + 8].copy_from_slice(&6u32.to_le_bytes());
    f[ph + 16..ph + 24].copy_from_slice(&base.to_le_bytes());
    f[ph + 24..ph + 32].copy_from_slice(&base.to_le_bytes());
    f[ph + 32..ph + 40].copy_from_slice(&total.to_le_bytes());
    f[ph + 40..ph + 48].copy_from_slice(&total.to_le_bytes());
    f
}

/// A Go binary (Go 1.18+ inline build info in `.go.buildinfo`).
pub fn go_binary(go_version: &str, modinfo: &str) -> Vec<u8> {
    elf64(
        &[
            (".text", vec![0x90; 256]),
            (".go.buildinfo", go_buildinfo_inline(go_version, modinfo)),
        ],
        0x400000,
    )
}

/// A Go binary in the pre-1.18 layout: the header holds pointers to Go string headers
/// `{data, len}` elsewhere in the file.
pub fn go_binary_pointers(go_version: &str, modinfo: &str) -> Vec<u8> {
    let base = 0x400000u64;
    // Section layout: .go.buildinfo at a 16-aligned offset right after the headers, then a
    // data section holding the string headers and bytes. Offsets are computed the same way
    // elf64 places them: after 120 bytes of headers, aligned to 16.
    let bi_off = 128u64;
    let data_off = bi_off + 32;
    let mut m = hex16("3077af0c9274080241e1c107e6d618e6");
    m.extend_from_slice(modinfo.as_bytes());
    m.extend_from_slice(&hex16("f932433186182072008242104116d8f2"));
    let mut data = Vec::new();
    // String headers first (2 × 16 bytes), then the bytes.
    let v_bytes = data_off + 32;
    let m_bytes = v_bytes + go_version.len() as u64;
    data.extend_from_slice(&(base + v_bytes).to_le_bytes());
    data.extend_from_slice(&(go_version.len() as u64).to_le_bytes());
    data.extend_from_slice(&(base + m_bytes).to_le_bytes());
    data.extend_from_slice(&(m.len() as u64).to_le_bytes());
    data.extend_from_slice(go_version.as_bytes());
    data.extend_from_slice(&m);
    let mut bi = Vec::new();
    bi.extend_from_slice(b"\xff Go buildinf:");
    bi.push(8);
    bi.push(0);
    bi.extend_from_slice(&(base + data_off).to_le_bytes());
    bi.extend_from_slice(&(base + data_off + 16).to_le_bytes());
    assert_eq!(bi.len(), 32);
    elf64(&[(".go.buildinfo", bi), (".data", data)], base)
}

/// A Rust binary built with `cargo auditable`: `.dep-v0` = zlib(JSON).
pub fn rust_binary(json: &str) -> Vec<u8> {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(json.as_bytes()).unwrap();
    elf64(
        &[(".text", vec![0xc3; 64]), (".dep-v0", z.finish().unwrap())],
        0x200000,
    )
}

/// A ZIP (stored entries) — a jar.
pub fn zip(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in entries {
        let mut crc = flate2::Crc::new();
        crc.update(data);
        let off = out.len() as u32;
        let mut h = Vec::new();
        h.extend_from_slice(b"PK\x03\x04");
        h.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        h.extend_from_slice(&crc.sum().to_le_bytes());
        h.extend_from_slice(&(data.len() as u32).to_le_bytes());
        h.extend_from_slice(&(data.len() as u32).to_le_bytes());
        h.extend_from_slice(&(name.len() as u16).to_le_bytes());
        h.extend_from_slice(&0u16.to_le_bytes());
        h.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&h);
        out.extend_from_slice(data);
        central.extend_from_slice(b"PK\x01\x02");
        central.extend_from_slice(&[20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        central.extend_from_slice(&crc.sum().to_le_bytes());
        central.extend_from_slice(&(data.len() as u32).to_le_bytes());
        central.extend_from_slice(&(data.len() as u32).to_le_bytes());
        central.extend_from_slice(&(name.len() as u16).to_le_bytes());
        central.extend_from_slice(&[0; 12]);
        central.extend_from_slice(&off.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let cd_off = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(b"PK\x05\x06\0\0\0\0");
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_off.to_le_bytes());
    out.extend_from_slice(&[0, 0]);
    out
}

/// An rpm header blob with string tags and an optional epoch.
pub fn rpm_header(tags: &[(u32, &str)], epoch: Option<i32>) -> Vec<u8> {
    let mut index = Vec::new();
    let mut data = Vec::new();
    for (tag, s) in tags {
        index.extend_from_slice(&tag.to_be_bytes());
        index.extend_from_slice(&6u32.to_be_bytes());
        index.extend_from_slice(&(data.len() as u32).to_be_bytes());
        index.extend_from_slice(&1u32.to_be_bytes());
        data.extend_from_slice(s.as_bytes());
        data.push(0);
    }
    if let Some(e) = epoch {
        while !data.len().is_multiple_of(4) {
            data.push(0);
        }
        index.extend_from_slice(&1003u32.to_be_bytes());
        index.extend_from_slice(&4u32.to_be_bytes());
        index.extend_from_slice(&(data.len() as u32).to_be_bytes());
        index.extend_from_slice(&1u32.to_be_bytes());
        data.extend_from_slice(&e.to_be_bytes());
    }
    let n = (index.len() / 16) as u32;
    let mut b = Vec::new();
    b.extend_from_slice(&n.to_be_bytes());
    b.extend_from_slice(&(data.len() as u32).to_be_bytes());
    b.extend_from_slice(&index);
    b.extend_from_slice(&data);
    b
}

/// An `rpmdb.sqlite` holding the given headers.
pub fn rpmdb_sqlite(headers: &[Vec<u8>]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("rpmdb.sqlite");
    let c = rusqlite::Connection::open(&p).unwrap();
    c.execute_batch(
        "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL);",
    )
    .unwrap();
    for h in headers {
        c.execute("INSERT INTO Packages (blob) VALUES (?1)", [h])
            .unwrap();
    }
    drop(c);
    std::fs::read(&p).unwrap()
}

pub const DEBIAN_OS_RELEASE: &str = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=debian\n";

pub const DPKG_STATUS: &str = "Package: libssl3\nStatus: install ok installed\nArchitecture: amd64\nSource: openssl\nVersion: 3.0.11-1~deb12u2\n\nPackage: login\nStatus: install ok installed\nArchitecture: amd64\nSource: shadow\nVersion: 1:4.13+dfsg1-1+b1\n\nPackage: zlib1g\nStatus: install ok installed\nArchitecture: amd64\nSource: zlib (1:1.2.13.dfsg-1)\nVersion: 1:1.2.13.dfsg-1+b1\n";

pub const APK_INSTALLED: &str =
    "P:musl\nV:1.2.4-r2\nA:x86_64\no:musl\n\nP:libcrypto3\nV:3.1.4-r5\nA:x86_64\no:openssl\n";

pub fn dist_info(name: &str, version: &str) -> Vec<u8> {
    format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: x\n\nLong description\nVersion: 0.0.0\n").into_bytes()
}

/// A docker-registry process on a free loopback port, stopped on drop.
pub struct Registry {
    pub child: std::process::Child,
    pub addr: String,
    _dir: tempfile::TempDir,
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub const REGISTRY_BIN: &str = "/usr/bin/docker-registry";

/// Starts the registry, or returns None (after printing why) when the binary is missing and
/// KUBEWARD_REQUIRE_SERVICES is not set.
pub fn start_registry(htpasswd: Option<(&str, &str)>) -> Option<Registry> {
    start_registry_with(htpasswd.map(|(user, password)| {
        let hash = bcrypt::hash(password, 5).unwrap();
        Auth::Htpasswd(format!("{user}:{hash}\n"))
    }))
}

/// How the test registry authenticates.
pub enum Auth {
    /// htpasswd file contents.
    Htpasswd(String),
    /// Token auth: realm URL, service, issuer, root certificate PEM.
    Token {
        realm: String,
        service: String,
        issuer: String,
        cert_pem: String,
    },
}

pub fn start_registry_with(auth: Option<Auth>) -> Option<Registry> {
    let bin =
        std::env::var("KUBEWARD_DOCKER_REGISTRY").unwrap_or_else(|_| REGISTRY_BIN.to_string());
    if !Path::new(&bin).exists() {
        if std::env::var("KUBEWARD_REQUIRE_SERVICES").as_deref() == Ok("1") {
            panic!(
                "{bin} is missing and KUBEWARD_REQUIRE_SERVICES=1 (apt-get install docker-registry)"
            );
        }
        eprintln!("skipped: {bin} not installed (apt-get install docker-registry)");
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let mut cfg = format!(
        "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: {addr}\n",
        dir.path().join("data").display()
    );
    match auth {
        Some(Auth::Htpasswd(contents)) => {
            let hp = dir.path().join("htpasswd");
            std::fs::write(&hp, contents).unwrap();
            cfg.push_str(&format!(
                "auth:\n  htpasswd:\n    realm: kubeward-test\n    path: {}\n",
                hp.display()
            ));
        }
        Some(Auth::Token {
            realm,
            service,
            issuer,
            cert_pem,
        }) => {
            let cp = dir.path().join("issuer.pem");
            std::fs::write(&cp, cert_pem).unwrap();
            cfg.push_str(&format!(
                "auth:\n  token:\n    realm: {realm}\n    service: {service}\n    issuer: {issuer}\n    rootcertbundle: {}\n",
                cp.display()
            ));
        }
        None => {}
    }
    let cfg_path = dir.path().join("config.yml");
    std::fs::write(&cfg_path, cfg).unwrap();
    let child = std::process::Command::new(&bin)
        .arg("serve")
        .arg(&cfg_path)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let reg = Registry {
        child,
        addr: addr.clone(),
        _dir: dir,
    };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    for _ in 0..200 {
        if let Ok(r) = agent.get(&format!("http://{addr}/v2/")).call() {
            if r.status() == 200 || r.status() == 401 {
                return Some(reg);
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("docker-registry did not start on {addr}");
}

/// Pushes blobs and manifests through the distribution API.
pub struct Pusher {
    pub base: String,
    pub auth: Option<String>,
    agent: ureq::Agent,
}

impl Pusher {
    pub fn new(addr: &str, creds: Option<(&str, &str)>) -> Pusher {
        Pusher {
            base: format!("http://{addr}"),
            auth: creds.map(|(u, p)| {
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"))
                )
            }),
            agent: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .build()
                .into(),
        }
    }

    pub fn blob(&self, repo: &str, bytes: &[u8]) -> String {
        let d = sha256(bytes);
        let mut req = self
            .agent
            .post(&format!("{}/v2/{repo}/blobs/uploads/", self.base));
        if let Some(a) = &self.auth {
            req = req.header("Authorization", a);
        }
        let r = req.send_empty().unwrap();
        assert_eq!(r.status(), 202, "upload start");
        let loc = r
            .headers()
            .get("location")
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        let loc = if loc.starts_with("http") {
            loc
        } else {
            format!("{}{loc}", self.base)
        };
        let sep = if loc.contains('?') { '&' } else { '?' };
        let mut req = self
            .agent
            .put(&format!("{loc}{sep}digest={d}"))
            .header("Content-Type", "application/octet-stream");
        if let Some(a) = &self.auth {
            req = req.header("Authorization", a);
        }
        let r = req.send(bytes).unwrap();
        assert_eq!(r.status(), 201, "blob upload of {d}");
        d
    }

    pub fn manifest(&self, repo: &str, reference: &str, media_type: &str, bytes: &[u8]) {
        let mut req = self
            .agent
            .put(&format!("{}/v2/{repo}/manifests/{reference}", self.base))
            .header("Content-Type", media_type);
        if let Some(a) = &self.auth {
            req = req.header("Authorization", a);
        }
        let mut r = req.send(bytes).unwrap();
        let status = r.status();
        let body = r.body_mut().read_to_string().unwrap_or_default();
        assert_eq!(status, 201, "manifest put: {body}");
    }

    pub fn image(&self, repo: &str, tag: &str, img: &Image) {
        self.blob(repo, &img.config);
        for (_, b) in &img.layers {
            self.blob(repo, b);
        }
        self.manifest(
            repo,
            tag,
            "application/vnd.oci.image.manifest.v1+json",
            &img.manifest,
        );
    }
}

pub const GO_MODINFO: &str = "path\texample.com/shop/cmd/api\nmod\texample.com/shop\tv1.4.2\th1:abc=\ndep\tgolang.org/x/net\tv0.17.0\th1:def=\ndep\tgithub.com/gorilla/mux\tv1.8.0\th1:ghi=\n=>\tgithub.com/fork/mux\tv1.8.1\th1:jkl=\nbuild\tCGO_ENABLED=0\n";

pub const AUDITABLE_JSON: &str = r#"{"packages":[{"name":"tool","version":"0.1.0","source":"local","root":true,"dependencies":[1,2]},{"name":"serde","version":"1.0.190","source":"crates.io"},{"name":"cc","version":"1.0.83","source":"crates.io","kind":"build"}]}"#;

/// A jar with a pom.properties, and a fat jar holding it under BOOT-INF/lib.
pub fn fat_jar() -> Vec<u8> {
    let inner = zip(&[
        (
            "META-INF/MANIFEST.MF",
            b"Manifest-Version: 1.0\r\n\r\n".to_vec(),
        ),
        (
            "META-INF/maven/org.apache.commons/commons-text/pom.properties",
            b"#Generated\ngroupId=org.apache.commons\nartifactId=commons-text\nversion=1.9\n"
                .to_vec(),
        ),
    ]);
    zip(&[
        (
            "META-INF/MANIFEST.MF",
            b"Manifest-Version: 1.0\r\nImplementation-Title: shop\r\n\r\n".to_vec(),
        ),
        (
            "META-INF/maven/com.example/shop/pom.properties",
            b"groupId=com.example\nartifactId=shop\nversion=2.0.0\n".to_vec(),
        ),
        ("BOOT-INF/lib/commons-text-1.9.jar", inner),
    ])
}

/// The two-layer sample image used by the registry, archive and layout tests.
///
/// Layer 1: Debian os-release (etc/os-release a symlink), dpkg status, two Python
/// distributions, a Go binary. Layer 2: the dpkg status rewritten with one more package,
/// a whiteout deleting one Python distribution, an npm package, an apk database, a Rust
/// binary built with cargo auditable, a fat jar.
pub fn sample_layers() -> Vec<Vec<u8>> {
    let l1 = LayerBuilder::new()
        .dir("etc")
        .symlink("etc/os-release", "../usr/lib/os-release")
        .file("usr/lib/os-release", DEBIAN_OS_RELEASE.as_bytes())
        .file("var/lib/dpkg/status", DPKG_STATUS.as_bytes())
        .file(
            "usr/lib/python3/dist-packages/requests-2.31.0.dist-info/METADATA",
            &dist_info("requests", "2.31.0"),
        )
        .file(
            "usr/lib/python3/dist-packages/urllib3-2.0.0.dist-info/METADATA",
            &dist_info("urllib3", "2.0.0"),
        )
        .file_mode(
            "usr/local/bin/api",
            &go_binary("go1.21.3", GO_MODINFO),
            0o755,
        )
        .file_mode("usr/bin/not-elf", &[b'#'; 200], 0o755)
        .finish();
    let status2 = format!(
        "{DPKG_STATUS}\nPackage: curl\nStatus: install ok installed\nArchitecture: amd64\nVersion: 7.88.1-10+deb12u5\n"
    );
    let l2 = LayerBuilder::new()
        .file("var/lib/dpkg/status", status2.as_bytes())
        .whiteout("usr/lib/python3/dist-packages/urllib3-2.0.0.dist-info")
        .file(
            "srv/web/node_modules/@babel/core/package.json",
            br#"{"name":"@babel/core","version":"7.23.0"}"#,
        )
        .file(
            "srv/web/node_modules/lodash/package.json",
            br#"{"name":"lodash","version":"4.17.20","description":"x"}"#,
        )
        .file(
            "srv/web/node_modules/lodash/fp/package.json",
            br#"{"main":"../fp.js"}"#,
        )
        .file("lib/apk/db/installed", APK_INSTALLED.as_bytes())
        .file_mode("usr/local/bin/tool", &rust_binary(AUDITABLE_JSON), 0o755)
        .file("opt/shop/shop.jar", &fat_jar())
        .finish();
    vec![l1, l2]
}

pub fn sample_image(c1: Compression, c2: Compression) -> Image {
    let l = sample_layers();
    Image::build(vec![(l[0].clone(), c1), (l[1].clone(), c2)], "amd64")
}

/// Checks what the sample image must yield.
pub fn check_sample(inv: &kubeward_image::Inventory) {
    let os = inv.os.as_ref().expect("os detected");
    assert_eq!(
        (os.id.as_str(), os.osv_ecosystem.as_str()),
        ("debian", "Debian:12")
    );
    assert_eq!(os.path, "usr/lib/os-release");
    assert_eq!(inv.layers.len(), 2);
    let l1 = &inv.layers[0].digest;
    let l2 = &inv.layers[1].digest;
    let find = |name: &str| {
        inv.packages
            .iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| {
                panic!(
                    "package {name} missing: {:#?}",
                    inv.packages.iter().map(|p| &p.name).collect::<Vec<_>>()
                )
            })
    };
    // dpkg: binary and source names, attribution to the layer that installed the version.
    let ssl = find("libssl3");
    assert_eq!(
        (ssl.ecosystem.as_str(), ssl.osv_ecosystem.as_str()),
        ("Debian", "Debian:12")
    );
    assert_eq!(ssl.source_name.as_deref(), Some("openssl"));
    assert_eq!(ssl.os_release.as_deref(), Some("12"));
    assert_eq!(&ssl.layer, l1, "libssl3 came with layer 1");
    assert_eq!(ssl.path, "var/lib/dpkg/status");
    assert_eq!(
        ssl.purl,
        "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12&upstream=openssl"
    );
    let zlib = find("zlib1g");
    assert_eq!(zlib.version, "1:1.2.13.dfsg-1+b1");
    assert_eq!(zlib.source_version.as_deref(), Some("1:1.2.13.dfsg-1"));
    assert_eq!(&find("curl").layer, l2, "curl came with layer 2");
    // apk.
    let crypto = find("libcrypto3");
    assert_eq!(crypto.source_name.as_deref(), Some("openssl"));
    assert_eq!(crypto.kind, kubeward_image::PackageKind::Apk);
    // Python: urllib3 was deleted by a whiteout in layer 2.
    assert_eq!(find("requests").ecosystem, "PyPI");
    assert!(
        inv.packages.iter().all(|p| p.name != "urllib3"),
        "whiteout ignored"
    );
    // Go: stdlib, main module, deps, replacement.
    let std = inv
        .packages
        .iter()
        .find(|p| p.kind == kubeward_image::PackageKind::GoStdlib)
        .unwrap();
    assert_eq!(
        (std.version.as_str(), std.path.as_str()),
        ("1.21.3", "usr/local/bin/api")
    );
    assert_eq!(find("example.com/shop").version, "1.4.2");
    assert_eq!(
        find("golang.org/x/net").purl,
        "pkg:golang/golang.org/x/net@v0.17.0"
    );
    assert_eq!(find("github.com/fork/mux").version, "1.8.1");
    assert!(
        inv.packages
            .iter()
            .all(|p| p.name != "github.com/gorilla/mux")
    );
    // Rust: crates.io runtime deps only.
    assert_eq!(find("serde").ecosystem, "crates.io");
    assert!(
        inv.packages
            .iter()
            .all(|p| p.name != "cc" && p.name != "tool")
    );
    // npm, scoped and not; the nested bundler hint is not a package.
    assert_eq!(find("@babel/core").purl, "pkg:npm/%40babel/core@7.23.0");
    assert_eq!(
        find("lodash").path,
        "srv/web/node_modules/lodash/package.json"
    );
    // Java: outer and nested jar.
    assert_eq!(find("com.example:shop").version, "2.0.0");
    let ct = find("org.apache.commons:commons-text");
    assert_eq!(ct.version, "1.9");
    assert!(
        ct.path
            .starts_with("opt/shop/shop.jar!/BOOT-INF/lib/commons-text-1.9.jar!/"),
        "{}",
        ct.path
    );
    assert!(inv.unknown.is_empty(), "{:?}", inv.unknown);
    // Deterministic order.
    let mut sorted = inv.packages.clone();
    sorted.sort_by(|a, b| {
        (&a.ecosystem, &a.name, &a.version, &a.path).cmp(&(
            &b.ecosystem,
            &b.name,
            &b.version,
            &b.path,
        ))
    });
    assert_eq!(
        sorted.iter().map(|p| &p.name).collect::<Vec<_>>(),
        inv.packages.iter().map(|p| &p.name).collect::<Vec<_>>()
    );
}
