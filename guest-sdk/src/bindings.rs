//! Bindings generated from `wit/weft.wit` (world `workflow`).
//!
//! Workflow authors never touch this module: `export_workflows!` implements the exported
//! `guest` interface and the rest of the SDK calls the `host` imports. It is public only
//! because the export macro that wit-bindgen generates expands in the workflow's crate and
//! names these items by path.

wit_bindgen::generate!({
    world: "workflow",
    path: "../wit",
    pub_export_macro: true,
    export_macro_name: "__export_workflow",
    default_bindings_module: "::weft_sdk::bindings",
    additional_derives: [PartialEq],
});
