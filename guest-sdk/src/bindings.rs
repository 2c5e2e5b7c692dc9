//! Bindings generated from `wit/weft.wit` (world `workflow`).
//!
//! Workflow authors never touch this module: `export_workflows!` implements the exported
//! `guest` interface and the rest of the SDK calls the `host` imports. It is public only
//! because the export macro in it expands in the workflow's crate and names these items
//! by path.
//!
//! The code is wit-bindgen's, generated ahead of time and committed (`bindings/workflow.rs`,
//! checked against the WIT by `tests/bindings.rs`), so that building a workflow compiles
//! no WIT parser and no bindings generator.

include!("bindings/workflow.rs");
