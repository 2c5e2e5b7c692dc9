//! Reading what cargo says about a crate: its metadata before the build, and the JSON
//! messages (`--message-format=json-render-diagnostics`) during it.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::command::{capture, scrub_host_build_env};
use crate::error::BuildError;

/// The crate being built, as `cargo metadata` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Package {
    /// The package name (`hello`, `my-workflow`).
    pub(crate) name: String,
    /// Its canonical `Cargo.toml` path.
    pub(crate) manifest: PathBuf,
    /// Whether its library target has the `cdylib` crate type.
    pub(crate) is_cdylib: bool,
    /// The target it asks for in `[package.metadata.weft] target`, as written.
    pub(crate) target: Option<String>,
    /// The root folder of its workspace (its own folder when it is in none): crates
    /// that share one are built together by one cargo invocation.
    pub(crate) workspace_root: PathBuf,
}

/// Reads the packages whose manifests are `manifests` (canonical paths), in order. One
/// `cargo metadata` lists every member of a workspace, so crates of one workspace cost
/// one call.
pub(crate) fn packages(manifests: &[PathBuf]) -> Result<Vec<Package>, BuildError> {
    let mut listed: Vec<Value> = Vec::new();
    let mut found = Vec::with_capacity(manifests.len());
    for manifest in manifests {
        if let Some(package) = listed.iter().find_map(|m| package_in(m, manifest).ok()) {
            found.push(package);
            continue;
        }
        let failed = |stderr: String| BuildError::Metadata {
            manifest: manifest.clone(),
            stderr,
        };
        let json: Value = serde_json::from_str(&metadata(manifest)?).map_err(|error| {
            failed(format!(
                "`cargo metadata` printed something unexpected: {error}"
            ))
        })?;
        found.push(package_in(&json, manifest).map_err(failed)?);
        listed.push(json);
    }
    Ok(found)
}

/// Reads the package whose manifest is `manifest` (a canonical path).
pub(crate) fn package(manifest: &Path) -> Result<Package, BuildError> {
    let mut found = packages(&[manifest.to_owned()])?;
    Ok(found.remove(0))
}

/// `cargo metadata --no-deps` of `manifest`'s workspace, as printed.
fn metadata(manifest: &Path) -> Result<String, BuildError> {
    let mut command = Command::new("cargo");
    scrub_host_build_env(&mut command);
    command
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--manifest-path",
        ])
        .arg(manifest);
    let output = capture(&mut command).map_err(BuildError::CargoMissing)?;
    let failed = |stderr: String| BuildError::Metadata {
        manifest: manifest.to_owned(),
        stderr,
    };
    if !output.status.success() {
        return Err(failed(output.stderr.trim().to_owned()));
    }
    Ok(output.stdout)
}

/// Picks `manifest`'s package out of `cargo metadata` JSON (which lists every member
/// when the crate is in a workspace).
#[cfg(test)]
fn package_from_metadata(json: &str, manifest: &Path) -> Result<Package, String> {
    let metadata: Value = serde_json::from_str(json)
        .map_err(|error| format!("`cargo metadata` printed something unexpected: {error}"))?;
    package_in(&metadata, manifest)
}

/// Picks `manifest`'s package out of parsed `cargo metadata`.
fn package_in(metadata: &Value, manifest: &Path) -> Result<Package, String> {
    let package = metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|package| same_manifest(&package["manifest_path"], manifest))
        .ok_or_else(|| {
            "it has no [package] section (a workspace root? pass one of its members)".to_owned()
        })?;
    let is_cdylib = package["targets"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|target| has(&target["crate_types"], "cdylib"));
    Ok(Package {
        name: package["name"].as_str().unwrap_or_default().to_owned(),
        manifest: manifest.to_owned(),
        is_cdylib,
        target: package["metadata"]["weft"]["target"]
            .as_str()
            .map(str::to_owned),
        workspace_root: metadata["workspace_root"]
            .as_str()
            .map(PathBuf::from)
            .or_else(|| manifest.parent().map(Path::to_owned))
            .unwrap_or_default(),
    })
}

/// The core wasm module in a `compiler-artifact` message, if the message is about
/// `manifest`'s cdylib. The file name comes from cargo (a crate `my-workflow` produces
/// `my_workflow.wasm`), so it is never guessed.
pub(crate) fn wasm_artifact(message: &Value, manifest: &Path) -> Option<PathBuf> {
    if message["reason"] != "compiler-artifact"
        || !same_manifest(&message["manifest_path"], manifest)
        || !has(&message["target"]["kind"], "cdylib")
    {
        return None;
    }
    message["filenames"]
        .as_array()?
        .iter()
        .filter_map(Value::as_str)
        .find(|name| name.ends_with(".wasm"))
        .map(PathBuf::from)
}

fn has(list: &Value, wanted: &str) -> bool {
    list.as_array()
        .is_some_and(|items| items.iter().any(|item| item == wanted))
}

fn same_manifest(reported: &Value, manifest: &Path) -> bool {
    let Some(reported) = reported.as_str().map(Path::new) else {
        return false;
    };
    // cargo reports the path it was given, made absolute; a symlink may still differ.
    reported == manifest || reported.canonicalize().is_ok_and(|path| path == manifest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const MANIFEST: &str = "/work/guests/my-workflow/Cargo.toml";

    #[test]
    fn picks_the_crates_package_from_workspace_metadata() {
        let metadata = json!({
            "packages": [
                {
                    "name": "other",
                    "manifest_path": "/work/guests/other/Cargo.toml",
                    "targets": [{"kind": ["cdylib"], "crate_types": ["cdylib"]}],
                },
                {
                    "name": "my-workflow",
                    "manifest_path": MANIFEST,
                    "targets": [{"kind": ["cdylib", "rlib"], "crate_types": ["cdylib", "rlib"]}],
                },
            ]
        });
        let package = package_from_metadata(&metadata.to_string(), Path::new(MANIFEST)).unwrap();
        assert_eq!(package.name, "my-workflow");
        assert!(package.is_cdylib);
        assert_eq!(package.target, None);
    }

    #[test]
    fn target_is_read_from_the_weft_metadata() {
        let metadata = json!({
            "packages": [{
                "name": "my-workflow",
                "manifest_path": MANIFEST,
                "targets": [{"kind": ["cdylib"], "crate_types": ["cdylib"]}],
                "metadata": {"weft": {"target": "wasm32-wasip1"}},
            }]
        });
        let package = package_from_metadata(&metadata.to_string(), Path::new(MANIFEST)).unwrap();
        assert_eq!(package.target.as_deref(), Some("wasm32-wasip1"));
    }

    #[test]
    fn plain_library_is_not_a_cdylib() {
        let metadata = json!({
            "packages": [{
                "name": "lib-only",
                "manifest_path": MANIFEST,
                "targets": [
                    {"kind": ["lib"], "crate_types": ["lib"]},
                    {"kind": ["bin"], "crate_types": ["bin"]},
                ],
            }]
        });
        let package = package_from_metadata(&metadata.to_string(), Path::new(MANIFEST)).unwrap();
        assert!(!package.is_cdylib);
    }

    #[test]
    fn workspace_root_has_no_package() {
        let metadata = json!({ "packages": [] });
        let error = package_from_metadata(&metadata.to_string(), Path::new(MANIFEST)).unwrap_err();
        assert!(error.contains("workspace"), "{error}");
    }

    #[test]
    fn wasm_file_is_taken_from_the_cdylib_artifact() {
        let message = json!({
            "reason": "compiler-artifact",
            "manifest_path": MANIFEST,
            "target": {"kind": ["cdylib", "rlib"], "name": "my_workflow"},
            "filenames": [
                "/cache/target/wasm32-unknown-unknown/release/libmy_workflow.rlib",
                "/cache/target/wasm32-unknown-unknown/release/my_workflow.wasm",
            ],
        });
        assert_eq!(
            wasm_artifact(&message, Path::new(MANIFEST)),
            Some(PathBuf::from(
                "/cache/target/wasm32-unknown-unknown/release/my_workflow.wasm"
            ))
        );
    }

    #[test]
    fn other_messages_are_ignored() {
        let dependency = json!({
            "reason": "compiler-artifact",
            "manifest_path": "/registry/serde/Cargo.toml",
            "target": {"kind": ["lib"]},
            "filenames": ["/cache/target/release/deps/libserde.rlib"],
        });
        let finished = json!({"reason": "build-finished", "success": true});
        for message in [dependency, finished] {
            assert_eq!(wasm_artifact(&message, Path::new(MANIFEST)), None);
        }
    }
}
