//! What `#[workflow]` says when a workflow is written wrong: each file under
//! `compile_errors/` must fail to compile with the error next to it (`.stderr`).
//!
//! After a deliberate change of a message, or a new rustc that words its own part
//! differently, regenerate the expectations with `TRYBUILD=overwrite` and review them.

#[test]
fn compile_errors() {
    trybuild::TestCases::new().compile_fail("tests/compile_errors/*.rs");
}
