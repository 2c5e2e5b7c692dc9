//! Running the external tools weft depends on (apt, dpkg, rustc, cargo).

use std::ffi::OsStr;
use std::io;
use std::process::{Command, ExitStatus};

/// What a finished command printed.
pub(crate) struct Captured {
    pub(crate) status: ExitStatus,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

/// Runs `command` to completion, capturing its output.
pub(crate) fn capture(command: &mut Command) -> io::Result<Captured> {
    tracing::debug!(command = %command_line(command), "running");
    let output = command.output()?;
    Ok(Captured {
        status: output.status,
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    })
}

/// The command line as a person would type it (without the environment).
pub(crate) fn command_line(command: &Command) -> String {
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(OsStr::to_string_lossy)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether a variable in the environment weft was started with describes the *host*
/// build that is running weft (a cargo build script or test, a coverage run) rather than
/// the user's own setup, so it must not reach the guest build.
///
/// The user's own cargo configuration (`CARGO_HOME`, `CARGO_NET_*`, `CARGO_HTTP_*`,
/// `CARGO_REGISTRIES_*`, `CARGO_PROFILE_*`, `CARGO_TERM_*`, `CARGO_BUILD_JOBS`, …) is kept.
pub(crate) fn leaks_host_build(name: &str) -> bool {
    const NAMES: &[&str] = &[
        // Compiler selection and flags.
        "RUSTC",
        "RUSTDOC",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "RUSTC_LINKER",
        "RUSTC_BOOTSTRAP",
        "RUSTFLAGS",
        "RUSTDOCFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_ENCODED_RUSTDOCFLAGS",
        // Set by cargo for build scripts and tests of the parent build.
        "CARGO",
        "CARGO_CRATE_NAME",
        "CARGO_PRIMARY_PACKAGE",
        "CARGO_MAKEFLAGS",
        "CARGO_RUSTC_CURRENT_DIR",
        "CARGO_SBOM_PATH",
        "OUT_DIR",
        "TARGET",
        "HOST",
        "NUM_JOBS",
        "OPT_LEVEL",
        "DEBUG",
        "PROFILE",
    ];
    const PREFIXES: &[&str] = &[
        "CARGO_PKG_",
        "CARGO_CFG_",
        "CARGO_FEATURE_",
        "CARGO_BIN_",
        "CARGO_MANIFEST_",
        // CARGO_TARGET_DIR, CARGO_TARGET_TMPDIR and per-target linker/runner/rustflags.
        "CARGO_TARGET_",
        "DEP_",
        "__CARGO_",
    ];
    if let Some(setting) = name.strip_prefix("CARGO_BUILD_") {
        // CARGO_BUILD_TARGET, _TARGET_DIR, _RUSTFLAGS, _RUSTC, _RUSTC_WRAPPER, …; the job
        // count is the user's to choose.
        return setting != "JOBS";
    }
    NAMES.contains(&name) || PREFIXES.iter().any(|prefix| name.starts_with(prefix))
}

/// Removes every variable that [`leaks_host_build`] from `command`'s environment.
pub(crate) fn scrub_host_build_env(command: &mut Command) {
    for (name, _) in std::env::vars_os() {
        if name.to_str().is_some_and(leaks_host_build) {
            command.env_remove(&name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_build_settings_are_scrubbed() {
        for name in [
            "RUSTFLAGS",
            "CARGO_ENCODED_RUSTFLAGS",
            "CARGO_BUILD_TARGET",
            "CARGO_BUILD_RUSTFLAGS",
            "CARGO_TARGET_DIR",
            "CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUNNER",
            "RUSTC_WRAPPER",
            "RUSTC",
            "CARGO",
            "CARGO_MANIFEST_DIR",
            "CARGO_PKG_NAME",
            "CARGO_CFG_TARGET_OS",
            "CARGO_FEATURE_STD",
            "CARGO_MAKEFLAGS",
            "OUT_DIR",
            "__CARGO_DEFAULT_LIB_METADATA",
        ] {
            assert!(leaks_host_build(name), "{name} should be scrubbed");
        }
    }

    #[test]
    fn user_settings_are_kept() {
        for name in [
            "CARGO_HOME",
            "CARGO_BUILD_JOBS",
            "CARGO_NET_OFFLINE",
            "CARGO_HTTP_PROXY",
            "CARGO_REGISTRIES_CRATES_IO_PROTOCOL",
            "CARGO_TERM_COLOR",
            "CARGO_PROFILE_RELEASE_LTO",
            "RUSTUP_TOOLCHAIN",
            "RUSTUP_HOME",
            "PATH",
            "HOME",
        ] {
            assert!(!leaks_host_build(name), "{name} should be kept");
        }
    }
}
