//! Snapshots under hostile input: decompression bombs, devices; and the file mode they are
//! written with.

use kubeward_cluster::discovery::Discovered;
use kubeward_cluster::snapshot;
use kubeward_core::inventory::ClusterInfo;
use std::io::Write;

#[test]
fn a_zstd_bomb_is_refused_without_expanding_it() {
    let d = tempfile::tempdir().unwrap();
    let bomb = d.path().join("bomb.kwsnap");
    // 64 MiB of spaces compress to a few KiB.
    let f = std::fs::File::create(&bomb).unwrap();
    let mut enc = zstd::stream::Encoder::new(f, 3).unwrap();
    let chunk = vec![b' '; 1 << 20];
    for _ in 0..64 {
        enc.write_all(&chunk).unwrap();
    }
    enc.finish().unwrap();
    let size = std::fs::metadata(&bomb).unwrap().len();
    assert!(size < 1 << 20, "{size}");
    let t = std::time::Instant::now();
    let err = snapshot::read_limited(&bomb, 8 << 20)
        .unwrap_err()
        .to_string();
    assert!(err.contains("expands to more than 8388608 bytes"), "{err}");
    assert!(err.contains("bomb.kwsnap"), "{err}");
    // Refused at the limit, not after expanding everything.
    assert!(t.elapsed().as_secs() < 5, "{:?}", t.elapsed());
}

#[cfg(unix)]
#[test]
fn devices_are_refused() {
    let err = snapshot::read(std::path::Path::new("/dev/zero"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("/dev/zero") && err.contains("not a regular file"),
        "{err}"
    );
}

#[cfg(unix)]
#[test]
fn snapshots_are_written_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let d = tempfile::tempdir().unwrap();
    let path = d.path().join("c.kwsnap");
    // An existing world-readable file is replaced by an owner-only one.
    std::fs::write(&path, "old").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let info = ClusterInfo {
        context: "c".into(),
        ..ClusterInfo::default()
    };
    snapshot::write(&path, &info, &Discovered::default(), &[]).unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{mode:o}");
    assert_eq!(snapshot::read(&path).unwrap().cluster.context, "c");
}
