//! kubeconfig files, both ways kubeward reads them: the kube client's parser (connecting to a
//! cluster) and the manifest loader plus the kubeconfig rules (`kubeward kubeconfig`).
#![no_main]

use kubeward_core::Registry;
use kubeward_core::config::Config;
use kubeward_core::engine::Engine;
use kubeward_core::input::{LoadOptions, load_text};
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
    let _ = kube::config::Kubeconfig::from_yaml(text);
    let l = load_text("config", text, &LoadOptions::default());
    let config = Config::default();
    let _ = Engine {
        registry: &REGISTRY,
        config: &config,
    }
    .run(&l.inventory, &l.duplicates, None);
});
