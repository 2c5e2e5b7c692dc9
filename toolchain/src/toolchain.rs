//! Choosing the compiler that builds guests: rustup's when it has the wasm32 standard
//! library, else a Debian `rustc-web` unpacked into the cache (see [`crate::debian`]).

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cache;
use crate::command::{capture, scrub_host_build_env};
use crate::debian::{self, DebianToolchain};
use crate::error::{BuildError, InstallError};
use crate::target::GuestTarget;

/// The target that decides whether rustup's toolchain can build guests at all.
const GUEST_TARGET: &str = "wasm32-unknown-unknown";

/// Which toolchain may build guests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ToolchainSource {
    /// rustup's active toolchain if it has the `wasm32-unknown-unknown` target, else the
    /// Debian one.
    #[default]
    Auto,
    /// Only the `rustc` on `PATH` (normally rustup's active toolchain), which must have the
    /// `wasm32-unknown-unknown` target installed.
    Rustup,
    /// Only a toolchain made from Debian packages in the cache, set up if missing.
    Debian,
}

/// How to find or install the toolchain.
#[derive(Debug, Clone, Default)]
pub struct InstallOptions {
    /// Where toolchains are kept; `None` means [`crate::cache_dir`].
    pub cache_dir: Option<PathBuf>,
    /// Which toolchain may be used.
    pub source: ToolchainSource,
    /// Ask apt for the current Debian release and install it unless it is already in the
    /// cache (what `weft toolchain install` does). Without this, a Debian toolchain already
    /// in the cache is used as it is, and apt is asked only when there is none.
    pub update: bool,
}

/// A compiler that can build guests for `wasm32-unknown-unknown`.
#[derive(Debug, Clone)]
pub struct Toolchain {
    kind: Kind,
}

#[derive(Debug, Clone)]
enum Kind {
    /// A toolchain that has the prebuilt wasm32 standard library; plain cargo works.
    Rustup {
        sysroot: PathBuf,
        rustc_version: String,
    },
    /// Debian's rustc-web: std is built from source, and rustup's rust-lld links.
    Debian {
        toolchain: DebianToolchain,
        linker: PathBuf,
    },
}

impl Toolchain {
    /// Finds a toolchain that can build guests, setting one up from Debian packages if
    /// `options` allow it and there is none. The first setup downloads about 140 MB and
    /// takes about a minute; it prints what it is doing on stderr. A Debian toolchain comes
    /// with Debian's wasi-libc, for `wasm32-wasip1` guests.
    pub fn find_or_install(options: &InstallOptions) -> Result<Self, InstallError> {
        let toolchain = Self::find_or_install_for(options, GuestTarget::Unknown)?;
        // Set up everything here, WASI targets included (a toolchain installed before
        // weft built WASI guests lacks wasi-libc); builds set up only what they need.
        if let Kind::Debian { toolchain, .. } = &toolchain.kind {
            let cache = cache::chosen_or_default(options.cache_dir.as_deref())?;
            debian::ensure_wasi_libc(&cache, toolchain)?;
        }
        Ok(toolchain)
    }

    /// [`Toolchain::find_or_install`] for building `target`: rustup's toolchain is taken
    /// only if it has that target's standard library.
    pub(crate) fn find_or_install_for(
        options: &InstallOptions,
        target: GuestTarget,
    ) -> Result<Self, InstallError> {
        let host = HostRustc::probe();
        if options.source != ToolchainSource::Debian {
            match &host {
                Some(host) if host.has_guest_target() && host.has_target(target) => {
                    return Ok(Toolchain {
                        kind: Kind::Rustup {
                            sysroot: host.sysroot.clone(),
                            rustc_version: host.version()?,
                        },
                    });
                }
                Some(host) if options.source == ToolchainSource::Rustup => {
                    return Err(InstallError::TargetMissing {
                        sysroot: host.sysroot.clone(),
                        target: if host.has_guest_target() {
                            target
                        } else {
                            GuestTarget::Unknown
                        },
                    });
                }
                None if options.source == ToolchainSource::Rustup => {
                    return Err(InstallError::RustcMissing);
                }
                _ => {}
            }
        }
        // Look for the linker first: no point downloading a compiler that cannot link.
        let linker = find_linker(host.as_ref().map(|host| host.sysroot.as_path()))?;
        let cache = cache::chosen_or_default(options.cache_dir.as_deref())?;
        let toolchain = debian::ensure(&cache, options.update)?;
        Ok(Toolchain {
            kind: Kind::Debian { toolchain, linker },
        })
    }

    /// Where this toolchain came from: [`ToolchainSource::Rustup`] or
    /// [`ToolchainSource::Debian`].
    pub fn source(&self) -> ToolchainSource {
        match self.kind {
            Kind::Rustup { .. } => ToolchainSource::Rustup,
            Kind::Debian { .. } => ToolchainSource::Debian,
        }
    }

    /// What `rustc --version` says, e.g. `rustc 1.96.0 (ac68faa20 2026-05-25)`.
    pub fn rustc_version(&self) -> &str {
        match &self.kind {
            Kind::Rustup { rustc_version, .. } => rustc_version,
            Kind::Debian { toolchain, .. } => &toolchain.rustc_version,
        }
    }

    /// Whether cargo must build the standard library from source (`-Zbuild-std`), which
    /// takes a minute the first time a target directory sees this toolchain.
    pub fn builds_std(&self) -> bool {
        matches!(self.kind, Kind::Debian { .. })
    }

    /// The targets this toolchain can build guests for (as it is now: a Debian toolchain
    /// gets wasi-libc for `wasm32-wasip1` when a guest first needs it).
    pub fn targets(&self) -> Vec<GuestTarget> {
        GuestTarget::ALL
            .into_iter()
            .filter(|&target| self.unsupported_because(target).is_none())
            .collect()
    }

    /// Why this toolchain cannot build `target`, if it cannot.
    fn unsupported_because(&self, target: GuestTarget) -> Option<&'static str> {
        match &self.kind {
            Kind::Rustup { sysroot, .. } => (!target_std_dir(sysroot, target).is_dir())
                .then_some("its standard library for that target is not installed"),
            Kind::Debian { .. } => (target == GuestTarget::Wasip2).then_some(
                "Debian's packages have no C library for WASI 0.2 and no wasm-component-ld",
            ),
        }
    }

    /// Checks that this toolchain can build `target`, and sets up what it needs for it
    /// (Debian's wasi-libc for `wasm32-wasip1`, in the cache folder `cache`).
    pub(crate) fn prepare(&self, target: GuestTarget, cache: &Path) -> Result<(), BuildError> {
        if let Some(reason) = self.unsupported_because(target) {
            let available: Vec<String> = self.targets().iter().map(|t| t.to_string()).collect();
            return Err(BuildError::TargetUnsupported {
                target,
                toolchain: self.to_string(),
                reason,
                available: available.join(", "),
            });
        }
        if let (Kind::Debian { toolchain, .. }, GuestTarget::Wasip1) = (&self.kind, target) {
            debian::ensure_wasi_libc(cache, toolchain)?;
        }
        Ok(())
    }

    /// Sets up a `cargo` command to build for `target` with this toolchain: removes the
    /// host build's settings from the environment and adds what this toolchain needs.
    /// The caller adds the subcommand's arguments after the ones returned here.
    pub(crate) fn cargo(&self, target: GuestTarget) -> (Command, Vec<OsString>) {
        let mut command = Command::new("cargo");
        scrub_host_build_env(&mut command);
        let mut extra_args = Vec::new();
        if let Kind::Debian { toolchain, linker } = &self.kind {
            command
                .env("RUSTC", &toolchain.rustc)
                // Lets a stable cargo and rustc take -Zbuild-std.
                .env("RUSTC_BOOTSTRAP", "1")
                .env("LD_LIBRARY_PATH", toolchain.ld_library_path())
                .env(format!("CARGO_TARGET_{}_LINKER", target.env_name()), linker);
            if let Some(bin) = linker.parent() {
                command.env("PATH", prepend_path(bin));
            }
            extra_args.push("-Zbuild-std=std,panic_abort".into());
            // None of std's optional features: a guest aborts on panic and has no
            // backtraces, so std's unwinding and symbolizing crates (object, gimli,
            // addr2line) would be compiled for nothing.
            extra_args.push("-Zbuild-std-features=".into());
            if let (Some(libc), GuestTarget::Wasip1) = (toolchain.wasi_libc_dir(), target) {
                // Link against Debian's wasi-libc instead of the self-contained one that
                // rustup's target would ship.
                let path = serde_json::to_string(&libc.to_string_lossy()).expect("a string");
                extra_args.push("--config".into());
                extra_args.push(
                    format!(
                        "target.{target}.rustflags=[\"-C\", \"link-self-contained=no\", \"-L\", {path}]"
                    )
                    .into(),
                );
            }
        }
        (command, extra_args)
    }
}

impl fmt::Display for Toolchain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Rustup {
                sysroot,
                rustc_version,
            } => write!(
                f,
                "{rustc_version} with the {GUEST_TARGET} target ({})",
                sysroot.display()
            ),
            Kind::Debian { toolchain, .. } => write!(
                f,
                "{} from Debian's rustc-web {} ({}), std built from source",
                toolchain.rustc_version,
                toolchain.package_version,
                toolchain.dir.display()
            ),
        }
    }
}

/// The `rustc` on `PATH`, as cargo would run it for a build.
struct HostRustc {
    sysroot: PathBuf,
}

impl HostRustc {
    fn probe() -> Option<Self> {
        let output = capture(rustc().args(["--print", "sysroot"])).ok()?;
        if !output.status.success() {
            tracing::debug!(stderr = %output.stderr, "`rustc --print sysroot` failed");
            return None;
        }
        Some(HostRustc {
            sysroot: PathBuf::from(output.stdout.trim()),
        })
    }

    /// Whether the prebuilt wasm32 standard library is installed (what `rustup target add`
    /// puts there).
    fn has_guest_target(&self) -> bool {
        self.has_target(GuestTarget::Unknown)
    }

    fn has_target(&self, target: GuestTarget) -> bool {
        target_std_dir(&self.sysroot, target).is_dir()
    }

    fn version(&self) -> Result<String, InstallError> {
        let output = capture(rustc().arg("--version")).map_err(|source| InstallError::Spawn {
            program: "rustc".into(),
            source,
        })?;
        Ok(output.stdout.trim().to_owned())
    }
}

fn rustc() -> Command {
    let mut command = Command::new("rustc");
    scrub_host_build_env(&mut command);
    command
}

fn target_std_dir(sysroot: &Path, target: GuestTarget) -> PathBuf {
    sysroot
        .join("lib/rustlib")
        .join(target.triple())
        .join("lib")
}

/// rustup ships `rust-lld` in `<sysroot>/lib/rustlib/<host>/bin` of every toolchain; only
/// the host's folder has a `bin`. Falls back to a `rust-lld` on `PATH`.
fn find_linker(host_sysroot: Option<&Path>) -> Result<PathBuf, InstallError> {
    const LINKER: &str = "rust-lld";
    let mut searched = Vec::new();
    if let Some(sysroot) = host_sysroot {
        let rustlib = sysroot.join("lib/rustlib");
        let mut candidates: Vec<PathBuf> = std::fs::read_dir(&rustlib)
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
            .map(|entry| entry.path().join("bin").join(LINKER))
            .collect();
        candidates.sort();
        if let Some(linker) = candidates.into_iter().find(|path| path.is_file()) {
            return Ok(linker);
        }
        searched.push(format!("{}/*/bin", rustlib.display()));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    if let Some(linker) = std::env::split_paths(&path)
        .map(|dir| dir.join(LINKER))
        .find(|path| path.is_file())
    {
        return Ok(linker);
    }
    searched.push("PATH".into());
    Err(InstallError::LinkerMissing {
        searched: searched.join(" and "),
    })
}

/// `PATH` with `dir` in front.
fn prepend_path(dir: &Path) -> OsString {
    let inherited = std::env::var_os("PATH").unwrap_or_default();
    std::env::join_paths(std::iter::once(dir.to_owned()).chain(std::env::split_paths(&inherited)))
        .unwrap_or(inherited)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linker_is_found_in_the_host_rustlib() {
        let sysroot = tempfile::tempdir().unwrap();
        let bin = sysroot
            .path()
            .join("lib/rustlib/x86_64-unknown-linux-gnu/bin");
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::create_dir_all(sysroot.path().join("lib/rustlib/src")).unwrap();
        std::fs::write(bin.join("rust-lld"), "").unwrap();
        assert_eq!(
            find_linker(Some(sysroot.path())).unwrap(),
            bin.join("rust-lld")
        );
    }

    #[test]
    fn guest_target_is_detected_by_its_std() {
        let sysroot = tempfile::tempdir().unwrap();
        let host = HostRustc {
            sysroot: sysroot.path().to_owned(),
        };
        assert!(!host.has_guest_target());
        std::fs::create_dir_all(target_std_dir(sysroot.path(), GuestTarget::Unknown)).unwrap();
        assert!(host.has_guest_target());
    }
}
