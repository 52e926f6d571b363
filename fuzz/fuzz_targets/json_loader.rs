//! The JSON loader (`.json` manifests and standard input that starts with `{`).
#![no_main]

use kubeward_core::input::{LoadOptions, load_text};
use kubeward_core::yaml::Limits;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = kubeward_core::json::load_stream(text, &Limits::default());
    let _ = load_text("fuzz.json", text, &LoadOptions::default());
});
