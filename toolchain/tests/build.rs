//! Builds real crates with the real toolchain: rustup's if it has the wasm32 target,
//! else the Debian one in the default cache (set up on first use, ~1 min, then kept).
//!
//! The tests run in parallel, so the builds also check that concurrent builds sharing
//! the guest target directory (and a concurrent first install) work.

use std::path::{Path, PathBuf};

use weft_toolchain::{build_crate, BuildError, BuildOptions, COMPONENT_HEADER};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

#[test]
fn tiny_guest_becomes_a_component() -> anyhow::Result<()> {
    let component = build_crate(&fixture("tiny-guest"), &BuildOptions::default())?;
    // The file name comes from cargo: the crate's dash became an underscore.
    assert_eq!(
        component.file_name().unwrap(),
        "tiny_guest.component.wasm",
        "{}",
        component.display()
    );
    let bytes = std::fs::read(&component)?;
    assert!(
        bytes.starts_with(&COMPONENT_HEADER),
        "{} is not a component: {:02x?}",
        component.display(),
        &bytes[..bytes.len().min(8)]
    );
    Ok(())
}

#[test]
fn out_dir_receives_the_component() -> anyhow::Result<()> {
    let out = tempfile::tempdir()?;
    let options = BuildOptions {
        out_dir: Some(out.path().join("dist")),
        ..BuildOptions::default()
    };
    // The manifest path works as well as the directory.
    let component = build_crate(&fixture("tiny-guest/Cargo.toml"), &options)?;
    assert_eq!(component, out.path().join("dist/tiny_guest.wasm"));
    assert!(std::fs::read(&component)?.starts_with(&COMPONENT_HEADER));
    Ok(())
}

#[test]
fn compile_error_names_the_crate() {
    let error = build_crate(&fixture("broken-guest"), &BuildOptions::default()).unwrap_err();
    assert!(
        matches!(&error, BuildError::CompileFailed { crate_name, .. } if crate_name == "broken-guest"),
        "{error:?}"
    );
    assert!(error.to_string().contains("`broken-guest`"), "{error}");
}

#[test]
fn missing_crate_is_reported_before_any_build() {
    let error = build_crate(&fixture("no-such-guest"), &BuildOptions::default()).unwrap_err();
    assert!(
        matches!(error, BuildError::CrateNotFound { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("does not exist"), "{error}");
}

#[test]
fn directory_without_manifest_is_reported() {
    let empty = tempfile::tempdir().unwrap();
    let error = build_crate(empty.path(), &BuildOptions::default()).unwrap_err();
    assert!(
        matches!(error, BuildError::ManifestMissing { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("has no Cargo.toml"), "{error}");
}

#[test]
fn library_that_is_not_a_cdylib_is_reported() {
    let error = build_crate(&fixture("not-cdylib"), &BuildOptions::default()).unwrap_err();
    assert!(
        matches!(&error, BuildError::NotCdylib { crate_name, .. } if crate_name == "not-cdylib"),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("crate-type = [\"cdylib\"]"),
        "{error}"
    );
}
