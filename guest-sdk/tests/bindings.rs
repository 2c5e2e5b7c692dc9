//! `src/bindings/workflow.rs` is what wit-bindgen generates from `wit/weft.wit` (world
//! `workflow`), committed so that building a workflow compiles no WIT parser and no
//! bindings generator: a cold guest build skips them and their dependencies. This test
//! generates the bindings again and checks that the committed file is the same.
//!
//! After changing the WIT, rewrite the file with
//! `WEFT_BLESS=1 cargo test -p weft-sdk --test bindings` and commit it.

use std::path::Path;

use wit_bindgen_core::wit_parser::Resolve;
use wit_bindgen_core::{Files, WorldGenerator};

/// Where the generated bindings live, from this crate's root.
const GENERATED: &str = "src/bindings/workflow.rs";

const BLESS: &str = "WEFT_BLESS=1 cargo test -p weft-sdk --test bindings";

/// The bindings as wit-bindgen's `generate!` would expand them with the SDK's options.
fn generate() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut resolve = Resolve::default();
    let (package, _) = resolve.push_path(root.join("../wit")).unwrap();
    let world = resolve.select_world(&[package], Some("workflow")).unwrap();
    let mut opts = wit_bindgen_rust::Opts {
        format: true,
        pub_export_macro: true,
        export_macro_name: Some("__export_workflow".into()),
        default_bindings_module: Some("::weft_sdk::bindings".into()),
        ..Default::default()
    };
    opts.additional_derive_attributes = vec!["PartialEq".into()];
    let mut files = Files::default();
    opts.build()
        .generate(&mut resolve, world, &mut files)
        .unwrap();
    let (_, source) = files.iter().next().expect("one file of bindings");
    let source = std::str::from_utf8(source).unwrap();
    format!(
        "// Regenerate with `{BLESS}` (see tests/bindings.rs).\n\
         {source}"
    )
}

#[test]
fn the_committed_bindings_are_what_the_wit_generates() {
    let generated = generate();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(GENERATED);
    if std::env::var("WEFT_BLESS").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != generated {
        let line = committed
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(committed.lines().count().min(generated.lines().count()));
        panic!(
            "{GENERATED} is not what wit/weft.wit generates (first difference at line {}); \
             regenerate it with `{BLESS}` and commit it",
            line + 1
        );
    }
}
