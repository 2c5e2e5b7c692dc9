//! One error enum per public operation. Every message names the thing that went wrong
//! and what the user can do about it.

use std::io;
use std::path::PathBuf;
use std::process::ExitStatus;

use crate::target::{GuestTarget, UnknownTarget};

/// The cache directory could not be determined ([`crate::cache_dir`]).
#[derive(Debug, thiserror::Error)]
pub enum CacheDirError {
    /// None of `WEFT_CACHE_DIR`, `XDG_CACHE_HOME` or `HOME` is set.
    #[error(
        "cannot tell where to keep weft's cache: none of WEFT_CACHE_DIR, XDG_CACHE_HOME or HOME \
         is set; set WEFT_CACHE_DIR to a writable directory"
    )]
    NoHome,
    /// `WEFT_CACHE_DIR` is relative and the current directory is unknown.
    #[error("cannot make the cache directory {path} absolute")]
    NotAbsolute {
        /// The relative path taken from the environment.
        path: PathBuf,
        /// Why the current directory could not be read.
        #[source]
        source: io::Error,
    },
}

/// Finding or installing the guest toolchain failed ([`crate::Toolchain::find_or_install`]).
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    /// The cache directory could not be determined.
    #[error(transparent)]
    CacheDir(#[from] CacheDirError),

    /// Only the rustup toolchain was allowed, and it lacks the wasm32 standard library.
    #[error(
        "the Rust toolchain at {sysroot} has no {target} target; run \
         `rustup target add {target}`, or let weft set up its own toolchain \
         from Debian packages"
    )]
    TargetMissing {
        /// The sysroot of the active toolchain (`rustc --print sysroot`).
        sysroot: PathBuf,
        /// The target whose standard library is missing.
        target: GuestTarget,
    },

    /// Only the rustup toolchain was allowed, and there is no `rustc` on `PATH`.
    #[error("no `rustc` found on PATH; install Rust with rustup (https://rustup.rs)")]
    RustcMissing,

    /// An apt/dpkg tool needed to set up the Debian toolchain is not installed.
    #[error(
        "`{tool}` was not found, so the guest toolchain cannot be set up from Debian packages; \
         on a Debian or Ubuntu system install apt, otherwise install rustup and run \
         `rustup target add wasm32-unknown-unknown`"
    )]
    AptMissing {
        /// The program that is missing (`apt-get`, `apt-cache`, `dpkg`, `dpkg-deb`, `tar`).
        tool: &'static str,
    },

    /// apt knows no installable version of a package, even after `apt-get update`.
    #[error(
        "apt has no installable version of `{package}`, even after `apt-get update`; \
         the guest toolchain needs Debian 12 (bookworm) or later with the security \
         archive in the apt sources, or rustup with the wasm32-unknown-unknown target"
    )]
    PackageUnavailable {
        /// The package apt could not find.
        package: String,
    },

    /// A package did not depend on the package the toolchain needs from it.
    #[error(
        "`{package}` does not depend on a `{prefix}<version>` package, so weft cannot tell \
         which one to download; the Debian packaging may have changed. `apt-cache depends \
         {package}` shows what it depends on"
    )]
    DependencyNotFound {
        /// The package whose dependencies were searched.
        package: String,
        /// The name prefix that was looked for (`libstd-rust-web-`, `libllvm`).
        prefix: &'static str,
    },

    /// An apt or dpkg command ran and failed.
    #[error("`{command}` failed ({status}); run it by hand to see why:\n{stderr}")]
    CommandFailed {
        /// The command line that failed.
        command: String,
        /// Its exit status.
        status: ExitStatus,
        /// What it printed on stderr.
        stderr: String,
    },

    /// A command could not be started at all.
    #[error("could not run `{program}`")]
    Spawn {
        /// The program that could not be started.
        program: String,
        /// Why it could not be started.
        #[source]
        source: io::Error,
    },

    /// The unpacked rustc does not run.
    #[error(
        "the unpacked rustc at {rustc} does not run ({stderr}); delete {dir} and try again, \
         or install rustup with the wasm32-unknown-unknown target"
    )]
    RustcBroken {
        /// The rustc binary that was tried.
        rustc: PathBuf,
        /// The toolchain folder to delete.
        dir: PathBuf,
        /// What it printed on stderr, or why it could not start.
        stderr: String,
    },

    /// The unpacked packages contain no rustc where one was expected.
    #[error("the Debian packages unpacked into {dir} contain no usr/bin/rustc; delete {dir} and try again")]
    RustcNotUnpacked {
        /// The toolchain folder.
        dir: PathBuf,
    },

    /// The Debian rustc needs rustup's `rust-lld` to link wasm, and it was not found.
    #[error(
        "no `rust-lld` found to link wasm modules (looked in {searched}); install rustup \
         (every rustup toolchain ships rust-lld)"
    )]
    LinkerMissing {
        /// Where it was looked for.
        searched: String,
    },

    /// Reading or writing a file or directory in the cache failed.
    #[error("could not {action} {path}")]
    Io {
        /// What was being done (`create`, `remove`, `lock`, …).
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
}

/// Turning a core wasm module into a component failed ([`crate::componentize`]).
///
/// The message is wit-component's whole error chain, outermost first.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct ComponentError {
    pub(crate) message: String,
}

/// Building a workflow crate into a component failed ([`crate::build_crate`]).
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The crate directory does not exist.
    #[error("no workflow crate at {dir}: the directory does not exist")]
    CrateNotFound {
        /// The directory that was given.
        dir: PathBuf,
    },

    /// The crate directory has no `Cargo.toml`.
    #[error("{dir} has no Cargo.toml; pass the directory of a workflow crate")]
    ManifestMissing {
        /// The directory that was given.
        dir: PathBuf,
    },

    /// `cargo metadata` failed, usually because the manifest is invalid.
    #[error("cargo could not read {manifest}:\n{stderr}")]
    Metadata {
        /// The manifest that was read.
        manifest: PathBuf,
        /// What cargo printed on stderr (or why its output could not be understood).
        stderr: String,
    },

    /// The crate's library is not a `cdylib`, so it produces no wasm module.
    #[error(
        "crate `{crate_name}` does not build a wasm module: add `crate-type = [\"cdylib\"]` \
         to the `[lib]` section of {manifest}"
    )]
    NotCdylib {
        /// The package name.
        crate_name: String,
        /// Its manifest.
        manifest: PathBuf,
    },

    /// The crate's `[package.metadata.weft] target` names no target weft knows.
    #[error("{manifest}: `[package.metadata.weft] target`: {source}")]
    UnknownTarget {
        /// The manifest with the bad name.
        manifest: PathBuf,
        /// The name and the names weft knows.
        #[source]
        source: UnknownTarget,
    },

    /// The toolchain cannot build for the target the crate (or `--target`) asks for.
    #[error(
        "the guest toolchain ({toolchain}) cannot build for {target}: {reason}; it can build \
         for {available} (choose one with `weft build --target` or in the crate's \
         `[package.metadata.weft] target`), or install rustup's target with \
         `rustup target add {target}`"
    )]
    TargetUnsupported {
        /// The target that was asked for.
        target: GuestTarget,
        /// The toolchain, as [`crate::Toolchain`] displays itself.
        toolchain: String,
        /// Why it cannot build for the target.
        reason: &'static str,
        /// The targets it can build for, comma-separated.
        available: String,
    },

    /// The guest toolchain could not be found or installed.
    #[error(transparent)]
    Toolchain(#[from] InstallError),

    /// The cache directory (which holds the shared guest target directory) is unknown.
    #[error(transparent)]
    CacheDir(#[from] CacheDirError),

    /// `cargo` could not be started.
    #[error("could not run `cargo`; install Rust with rustup (https://rustup.rs)")]
    CargoMissing(#[source] io::Error),

    /// cargo ran and the crate did not compile. The compiler's messages went to stderr.
    #[error("building crate `{crate_name}` failed ({status}); the compiler's messages are above")]
    CompileFailed {
        /// The package name.
        crate_name: String,
        /// cargo's exit status.
        status: ExitStatus,
    },

    /// cargo succeeded but reported no wasm file for the crate.
    #[error(
        "cargo built crate `{crate_name}` but reported no .wasm file for it; is its `[lib]` a cdylib?"
    )]
    ArtifactMissing {
        /// The package name.
        crate_name: String,
    },

    /// The core module could not be turned into a component.
    #[error("crate `{crate_name}` compiled, but its wasm module could not be made a component")]
    Componentize {
        /// The package name.
        crate_name: String,
        /// What wit-component reported.
        #[source]
        source: ComponentError,
    },

    /// Reading or writing a file failed.
    #[error("could not {action} {path}")]
    Io {
        /// What was being done (`read`, `write`, `create`).
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
}
