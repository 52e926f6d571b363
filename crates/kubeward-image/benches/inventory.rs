//! Inventory of a generated image of ~500 MB (KUBEWARD_BENCH_MB to change it): an OCI layout
//! in a temporary directory, five gzip layers of incompressible filler files plus package
//! databases (2,000 dpkg packages, 2,000 npm packages, 500 Python distributions, Go and Rust
//! binaries, whiteouts). Reports wall time and peak resident memory of the inventory alone
//! (the peak is reset after generation through /proc/self/clear_refs).
//!
//! `cargo bench -p kubeward-image --bench inventory`

#[path = "../tests/support/mod.rs"]
mod support;

use std::io::Write;
use std::time::Instant;
use support::*;

struct HashWriter<W: Write> {
    inner: W,
    ctx: ring::digest::Context,
    n: u64,
}

impl<W: Write> Write for HashWriter<W> {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(b)?;
        self.ctx.update(&b[..n]);
        self.n += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn hex(d: ring::digest::Digest) -> String {
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

fn new_ctx() -> ring::digest::Context {
    ring::digest::Context::new(&ring::digest::SHA256)
}

/// Streams one gzip layer to `blobs/`: returns (blob digest, size, diff id).
fn layer(dir: &std::path::Path, i: usize, filler_bytes: u64) -> (String, u64, String) {
    let tmp = dir.join(format!("blobs/sha256/tmp{i}"));
    let file = std::io::BufWriter::new(std::fs::File::create(&tmp).unwrap());
    let outer = HashWriter {
        inner: file,
        ctx: new_ctx(),
        n: 0,
    };
    let gz = flate2::write::GzEncoder::new(outer, flate2::Compression::fast());
    let inner = HashWriter {
        inner: gz,
        ctx: new_ctx(),
        n: 0,
    };
    let mut tar = tar::Builder::new(inner);
    let mut add = |p: &str, data: &[u8], mode: u32| {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(mode);
        tar.append_data(&mut h, p, data).unwrap();
    };
    if i == 0 {
        add("etc/os-release", DEBIAN_OS_RELEASE.as_bytes(), 0o644);
    }
    // Every layer rewrites the dpkg database (as apt does), growing it.
    let mut status = String::new();
    for p in 0..(400 * (i + 1)) {
        status.push_str(&format!(
            "Package: pkg{p}\nStatus: install ok installed\nArchitecture: amd64\nSource: src{}\nVersion: 1.{p}-{i}\nDescription: generated\n long text\n\n",
            p / 3
        ));
    }
    add("var/lib/dpkg/status", status.as_bytes(), 0o644);
    for p in 0..400 {
        let name = format!("m{i}x{p}");
        add(
            &format!("srv/app{i}/node_modules/{name}/package.json"),
            format!(r#"{{"name":"{name}","version":"1.0.{p}"}}"#).as_bytes(),
            0o644,
        );
    }
    for p in 0..100 {
        add(
            &format!("usr/lib/python3/site-packages/d{i}x{p}-1.0.dist-info/METADATA"),
            &dist_info(&format!("d{i}x{p}"), "1.0"),
            0o644,
        );
    }
    add(
        &format!("usr/local/bin/api{i}"),
        &go_binary("go1.22.1", GO_MODINFO),
        0o755,
    );
    add(
        &format!("usr/local/bin/tool{i}"),
        &rust_binary(AUDITABLE_JSON),
        0o755,
    );
    if i > 0 {
        add(
            &format!(
                "usr/lib/python3/site-packages/.wh.d{}x0-1.0.dist-info",
                i - 1
            ),
            b"",
            0o644,
        );
    }
    // Filler: 1 MiB files, a few 16 MiB ones, and many small ones.
    let mut left = filler_bytes;
    let mut f = 0;
    while left > 0 {
        let size = match f % 20 {
            0 => 16 << 20,
            1..=4 => 4 << 10,
            _ => 1 << 20,
        }
        .min(left);
        let mut h = tar::Header::new_gnu();
        h.set_size(size);
        h.set_mode(if f % 7 == 0 { 0o755 } else { 0o644 });
        tar.append_data(
            &mut h,
            format!("usr/share/filler{i}/f{f}.bin"),
            Filler {
                left: size,
                state: (f as u64 + 1) * 7919,
            },
        )
        .unwrap();
        left -= size;
        f += 1;
    }
    let inner = tar.into_inner().unwrap();
    let diff = format!("sha256:{}", hex(inner.ctx.finish()));
    let outer = inner.inner.finish().unwrap();
    let size = outer.n;
    let digest = hex(outer.ctx.finish());
    drop(outer.inner);
    std::fs::rename(&tmp, dir.join(format!("blobs/sha256/{digest}"))).unwrap();
    (format!("sha256:{digest}"), size, diff)
}

fn status_kib(key: &str) -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// User + system CPU seconds of this process (the machine may be shared: wall time alone
/// misleads).
fn cpu_seconds() -> f64 {
    let s = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = s.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0)
        + f.get(12).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    ticks / 100.0
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let mb: u64 = std::env::var("KUBEWARD_BENCH_MB")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(500);
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("blobs/sha256")).unwrap();
    let t = Instant::now();
    let n = 5;
    let layers: Vec<_> = (0..n)
        .map(|i| layer(dir.path(), i, (mb << 20) / n as u64))
        .collect();
    let diff_ids: Vec<&String> = layers.iter().map(|l| &l.2).collect();
    let config = serde_json::to_vec(&serde_json::json!({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":diff_ids}})).unwrap();
    let put = |b: &[u8]| {
        let d = sha256(b);
        std::fs::write(dir.path().join(format!("blobs/sha256/{}", &d[7..])), b).unwrap();
        d
    };
    let descs: Vec<_> = layers
        .iter()
        .map(|(d, s, _)| serde_json::json!({"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":d,"size":s}))
        .collect();
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
        "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":put(&config),"size":config.len()},
        "layers":descs,
    }))
    .unwrap();
    let md = put(&manifest);
    std::fs::write(
        dir.path().join("index.json"),
        serde_json::to_vec(&serde_json::json!({"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":md,"size":manifest.len()}]})).unwrap(),
    )
    .unwrap();
    let total: u64 = layers.iter().map(|l| l.1).sum();
    eprintln!(
        "generated {:.0} MB image ({} layers) in {:.1}s",
        total as f64 / 1e6,
        n,
        t.elapsed().as_secs_f64()
    );
    let src = kubeward_image::Source::OciLayout {
        path: dir.path().to_path_buf(),
        tag: None,
    };
    let mut times = Vec::new();
    let mut cpus = Vec::new();
    let mut peak = 0;
    for run in 0..3 {
        // Reset the peak RSS so it measures the inventory, not the generation.
        let _ = std::fs::write("/proc/self/clear_refs", "5");
        let base = status_kib("VmRSS:");
        let t = Instant::now();
        let cpu0 = cpu_seconds();
        let inv = kubeward_image::inventory(&src, &kubeward_image::Options::default()).unwrap();
        let el = t.elapsed().as_secs_f64();
        let cpu = cpu_seconds() - cpu0;
        cpus.push(cpu);
        let hwm = status_kib("VmHWM:");
        peak = peak.max(hwm);
        times.push(el);
        eprintln!(
            "run {run}: {el:.2}s wall, {cpu:.2}s CPU, {:.0} MB/s, {} packages, {} unknown, peak RSS {:.1} MiB (RSS before {:.1} MiB)",
            total as f64 / 1e6 / el,
            inv.packages.len(),
            inv.unknown.len(),
            hwm as f64 / 1024.0,
            base as f64 / 1024.0
        );
    }
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    cpus.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "image inventory: {:.0} MB gzip image, median {:.2}s wall ({:.0} MB/s), {:.2}s CPU ({:.0} MB per CPU second), peak RSS {:.1} MiB",
        total as f64 / 1e6,
        times[1],
        total as f64 / 1e6 / times[1],
        cpus[1],
        total as f64 / 1e6 / cpus[1],
        peak as f64 / 1024.0
    );
}
