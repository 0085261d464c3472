//! The host description parser and validator never panic, on any bytes; a description that
//! validates always emits a flake that parses.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use nixgen::generate::{emit, plan_for, Examples};
use nixgen::model::load;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("/nonexistent-fuzz-dir/host.yaml");
    let Ok(doc) = load::parse(path, data.to_vec()) else {
        return;
    };
    let Ok(hosts) = load::hosts(&doc) else {
        return;
    };
    for host in &hosts {
        let plan = plan_for(&host.host);
        if let Err(e) = emit(&plan, &Examples::default()) {
            panic!("a valid host emitted Nix that does not parse: {e}");
        }
    }
});
