//! Building a workflow crate into a component: cargo builds the core wasm module, then
//! wit-component wraps it.
//!
//! Every guest build shares one target directory in the cache, so dependencies and (for
//! the Debian toolchain) the standard library are compiled once for all crates. cargo's
//! own lock on that directory serialises concurrent builds.

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::cache;
use crate::cargo::{self, Package};
use crate::component::{componentize, componentize_wasip1, COMPONENT_HEADER};
use crate::error::BuildError;
use crate::target::GuestTarget;
use crate::toolchain::{InstallOptions, Toolchain, ToolchainSource};

/// How to build a workflow crate.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// Where the toolchain and the shared guest target directory are kept; `None` means
    /// [`crate::cache_dir`].
    pub cache_dir: Option<PathBuf>,
    /// Also write the component here, as `<out_dir>/<crate_name>.wasm` (with `-` in the
    /// crate name turned into `_`), and return that path.
    pub out_dir: Option<PathBuf>,
    /// Which toolchain may be used ([`build_crate`] only; [`Toolchain::build_crate`] uses
    /// its own).
    pub toolchain: ToolchainSource,
    /// The cargo profile; `None` means `release`. `panic = "abort"` is forced on it.
    pub profile: Option<String>,
    /// Extra cargo configuration, each passed as `--config <value>`
    /// (e.g. `profile.release.opt-level="s"`).
    pub cargo_config: Vec<String>,
    /// The target to build for; `None` means the crate's own choice
    /// (`[package.metadata.weft] target` in its `Cargo.toml`), else
    /// [`GuestTarget::Unknown`].
    pub target: Option<GuestTarget>,
}

impl BuildOptions {
    fn profile(&self) -> &str {
        self.profile.as_deref().unwrap_or("release")
    }
}

/// Builds the workflow crate in `crate_dir` (or whose `Cargo.toml` is `crate_dir`) into a
/// component and returns the component's path, finding or installing the toolchain first.
///
/// cargo's progress and the compiler's messages go to stderr as they come. The component
/// is written next to the core module in the shared target directory as
/// `<crate_name>.component.wasm`, and into [`BuildOptions::out_dir`] if one is given.
pub fn build_crate(crate_dir: &Path, options: &BuildOptions) -> Result<PathBuf, BuildError> {
    let mut built = build_crates(&[crate_dir.to_owned()], options)?;
    Ok(built.remove(0))
}

impl Toolchain {
    /// [`build_crate`] with this toolchain, so that building many crates looks for the
    /// toolchain once. [`BuildOptions::toolchain`] is ignored.
    pub fn build_crate(
        &self,
        crate_dir: &Path,
        options: &BuildOptions,
    ) -> Result<PathBuf, BuildError> {
        let package = locate(crate_dir)?;
        let target = chosen_target(&package, options)?;
        build_package(self, &package, target, options)
    }
}

/// The target from the options, else the crate's own choice, else the default.
fn chosen_target(package: &Package, options: &BuildOptions) -> Result<GuestTarget, BuildError> {
    if let Some(target) = options.target {
        return Ok(target);
    }
    match &package.target {
        None => Ok(GuestTarget::default()),
        Some(name) => name.parse().map_err(|source| BuildError::UnknownTarget {
            manifest: package.manifest.clone(),
            source,
        }),
    }
}

/// Finds the crate's manifest and checks that it builds a wasm module.
fn locate(crate_dir: &Path) -> Result<Package, BuildError> {
    let package = cargo::package(&manifest_of(crate_dir)?)?;
    check_cdylib(&package)?;
    Ok(package)
}

/// The canonical path of the manifest in `crate_dir` (or of `crate_dir`, a `Cargo.toml`).
fn manifest_of(crate_dir: &Path) -> Result<PathBuf, BuildError> {
    let manifest = if crate_dir
        .file_name()
        .is_some_and(|name| name == "Cargo.toml")
    {
        crate_dir.to_owned()
    } else {
        if !crate_dir.is_dir() {
            return Err(BuildError::CrateNotFound {
                dir: crate_dir.to_owned(),
            });
        }
        crate_dir.join("Cargo.toml")
    };
    manifest
        .canonicalize()
        .map_err(|_| BuildError::ManifestMissing {
            dir: crate_dir.to_owned(),
        })
}

fn check_cdylib(package: &Package) -> Result<(), BuildError> {
    if package.is_cdylib {
        return Ok(());
    }
    Err(BuildError::NotCdylib {
        crate_name: package.name.clone(),
        manifest: package.manifest.clone(),
    })
}

/// Builds the crates in `crate_dirs` into components, as [`build_crate`] builds one, and
/// returns their paths in the same order. Crates of one workspace and one target are
/// built by a single cargo invocation, so cargo compiles them in parallel and their
/// shared dependencies once.
pub fn build_crates(
    crate_dirs: &[PathBuf],
    options: &BuildOptions,
) -> Result<Vec<PathBuf>, BuildError> {
    // Check the crates first: a typo should not cost a toolchain download.
    let packages = locate_all(crate_dirs)?;
    let targets = packages
        .iter()
        .map(|package| chosen_target(package, options))
        .collect::<Result<Vec<_>, _>>()?;
    let install = InstallOptions {
        cache_dir: options.cache_dir.clone(),
        source: options.toolchain,
        update: false,
    };
    let mut built: Vec<Option<PathBuf>> = vec![None; packages.len()];
    // One group per (workspace, target), in the order each first appears.
    let mut groups: Vec<(&Path, GuestTarget, Vec<usize>)> = Vec::new();
    for (i, (package, target)) in packages.iter().zip(&targets).enumerate() {
        let root = package.workspace_root.as_path();
        match groups
            .iter_mut()
            .find(|(r, t, _)| *r == root && t == target)
        {
            Some((_, _, members)) => members.push(i),
            None => groups.push((root, *target, vec![i])),
        }
    }
    for (_, target, members) in groups {
        // Which toolchain builds a crate depends on its target (see `build_crate`).
        let toolchain = Toolchain::find_or_install_for(&install, target)?;
        let group: Vec<&Package> = members.iter().map(|&i| &packages[i]).collect();
        let paths = build_packages(&toolchain, &group, target, options)?;
        for (i, path) in members.into_iter().zip(paths) {
            built[i] = Some(path);
        }
    }
    Ok(built.into_iter().flatten().collect())
}

/// Finds the manifests of `crate_dirs` and checks that each builds a wasm module.
fn locate_all(crate_dirs: &[PathBuf]) -> Result<Vec<Package>, BuildError> {
    let manifests = crate_dirs
        .iter()
        .map(|dir| manifest_of(dir))
        .collect::<Result<Vec<_>, _>>()?;
    let packages = cargo::packages(&manifests)?;
    for package in &packages {
        check_cdylib(package)?;
    }
    Ok(packages)
}

fn build_package(
    toolchain: &Toolchain,
    package: &Package,
    target: GuestTarget,
    options: &BuildOptions,
) -> Result<PathBuf, BuildError> {
    let mut built = build_packages(toolchain, &[package], target, options)?;
    Ok(built.remove(0))
}

/// Builds `packages` (members of one workspace) for `target` in one cargo invocation,
/// then makes each core module a component; the components' paths, in order.
fn build_packages(
    toolchain: &Toolchain,
    packages: &[&Package],
    target: GuestTarget,
    options: &BuildOptions,
) -> Result<Vec<PathBuf>, BuildError> {
    let core_modules = compile(toolchain, packages, target, options)?;
    packages
        .iter()
        .zip(core_modules)
        .map(|(package, core_module)| make_component(package, &core_module, target, options))
        .collect()
}

/// Runs cargo on `packages` (one workspace); the core module of each, in order.
fn compile(
    toolchain: &Toolchain,
    packages: &[&Package],
    target: GuestTarget,
    options: &BuildOptions,
) -> Result<Vec<PathBuf>, BuildError> {
    let cache = cache::chosen_or_default(options.cache_dir.as_deref())?;
    toolchain.prepare(target, &cache)?;
    let target_dir = cache::guest_target_dir(&cache);
    let profile = options.profile();
    if toolchain.builds_std() && !std_built(&target_dir, target, profile) {
        eprintln!(
            "building the standard library for {target} first (once per toolchain, target \
             and profile, ~1 min)…"
        );
    }

    let (mut command, toolchain_args) = toolchain.cargo(target);
    command
        .arg("build")
        .args(toolchain_args)
        .arg("--manifest-path")
        .arg(&packages[0].manifest);
    if packages.len() > 1 {
        for package in packages {
            command.args(["--package", &package.name]);
        }
    }
    command
        .arg("--lib")
        .args(["--profile", profile, "--target", target.triple()])
        .arg("--target-dir")
        .arg(&target_dir)
        .arg("--message-format=json-render-diagnostics")
        // The wasm32 standard library is built (or prebuilt) to abort on panic.
        .arg("--config")
        .arg(format!("profile.{profile}.panic=\"abort\""));
    for config in &options.cargo_config {
        command.arg("--config").arg(config);
    }
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    tracing::debug!(command = %crate::command::command_line(&command), toolchain = %toolchain, "building guest");

    let mut child = command.spawn().map_err(BuildError::CargoMissing)?;
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut core_modules: Vec<Option<PathBuf>> = vec![None; packages.len()];
    for line in BufReader::new(stdout).lines() {
        let Ok(line) = line else { break };
        match serde_json::from_str::<serde_json::Value>(&line) {
            Ok(message) => {
                for (package, slot) in packages.iter().zip(&mut core_modules) {
                    if let Some(path) = cargo::wasm_artifact(&message, &package.manifest) {
                        *slot = Some(path);
                    }
                }
            }
            // Not one of cargo's messages (a build script printing to stdout?): pass it on.
            Err(_) => eprintln!("{line}"),
        }
    }
    let status = child.wait().map_err(BuildError::CargoMissing)?;
    let names = || {
        let names: Vec<&str> = packages.iter().map(|p| p.name.as_str()).collect();
        names.join("`, `")
    };
    if !status.success() {
        return Err(BuildError::CompileFailed {
            crate_name: names(),
            status,
        });
    }
    packages
        .iter()
        .zip(core_modules)
        .map(|(package, module)| {
            module.ok_or_else(|| BuildError::ArtifactMissing {
                crate_name: package.name.clone(),
            })
        })
        .collect()
}

/// Wraps `core_module` (built from `package`) into a component, written beside it and
/// into [`BuildOptions::out_dir`]; the path to use.
fn make_component(
    package: &Package,
    core_module: &Path,
    target: GuestTarget,
    options: &BuildOptions,
) -> Result<PathBuf, BuildError> {
    let bytes = fs::read(core_module).map_err(io_error("read", core_module))?;
    let component = match target {
        // rustc links wasm32-wasip2 guests into components itself.
        GuestTarget::Wasip2 if bytes.starts_with(&COMPONENT_HEADER) => Ok(bytes),
        GuestTarget::Unknown | GuestTarget::Wasip2 => componentize(&bytes),
        GuestTarget::Wasip1 => componentize_wasip1(&bytes),
    }
    .map_err(|source| BuildError::Componentize {
        crate_name: package.name.clone(),
        source,
    })?;
    let stem = core_module
        .file_stem()
        .expect("cargo names the module <crate>.wasm")
        .to_string_lossy()
        .into_owned();
    let beside = core_module.with_file_name(format!("{stem}.component.wasm"));
    write_atomically(&beside, &component)?;
    let Some(out_dir) = &options.out_dir else {
        return Ok(beside);
    };
    fs::create_dir_all(out_dir).map_err(io_error("create", out_dir))?;
    let out = out_dir.join(format!("{stem}.wasm"));
    write_atomically(&out, &component)?;
    Ok(out)
}

/// Whether cargo has built std for `target` and `profile` in `target_dir` before (by any
/// toolchain).
fn std_built(target_dir: &Path, target: GuestTarget, profile: &str) -> bool {
    let profile_dir = match profile {
        "dev" | "test" => "debug",
        "bench" => "release",
        other => other,
    };
    let deps = target_dir
        .join(target.triple())
        .join(profile_dir)
        .join("deps");
    fs::read_dir(deps).into_iter().flatten().any(|entry| {
        entry.is_ok_and(|entry| {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            name.starts_with("libstd-") && name.ends_with(".rlib")
        })
    })
}

/// Writes through a temporary file and a rename, so that a concurrent build of the same
/// crate, or a reader, never sees half a component.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), BuildError> {
    static UNIQUE: AtomicU64 = AtomicU64::new(0);
    let temporary = path.with_file_name(format!(
        ".{}.{}-{}.tmp",
        path.file_name().unwrap_or_default().to_string_lossy(),
        std::process::id(),
        UNIQUE.fetch_add(1, Ordering::Relaxed)
    ));
    fs::write(&temporary, bytes).map_err(io_error("write", &temporary))?;
    fs::rename(&temporary, path).map_err(io_error("write", path))
}

fn io_error(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> BuildError {
    let path = path.to_owned();
    move |source| BuildError::Io {
        action,
        path,
        source,
    }
}
