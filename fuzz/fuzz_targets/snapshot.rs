//! Snapshot reading: zstd frames of JSON, bounded when expanded.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = kubeward_cluster::snapshot::from_bytes(data, 16 << 20);
});
