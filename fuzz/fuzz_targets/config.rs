//! `.kubeward.yaml`: any text parses to a configuration or a located error, never a panic.
#![no_main]

use kubeward_core::Registry;
use kubeward_core::config::Config;
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static REGISTRY: LazyLock<Registry> = LazyLock::new(|| {
    let mut r = Registry::new();
    r.extend(kubeward_core::engine::engine_rules());
    r.extend(kubeward_rules::rules());
    r
});

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = Config::parse(text, ".kubeward.yaml", &REGISTRY);
});
