//! The YAML loader and the located tree: any bytes load without a panic, every reported
//! position lies inside the input, and every object is reachable through its JSON pointers.
#![no_main]

use kubeward_core::input::{LoadOptions, load_text};
use kubeward_core::yaml::{Limits, load_stream};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let lines = text.split('\n').count() as u32 + 1;
    for d in load_stream(text, &Limits::default()) {
        if let Err(e) = &d.result {
            assert!(e.line <= lines, "{e:?}");
        }
    }
    let l = load_text("fuzz.yaml", text, &LoadOptions::default());
    for o in l.inventory.objects() {
        let _ = o.root.to_json();
    }
});
