//! Asking apt which packages make up the current Debian toolchain, and fetching them.
//!
//! Debian's security updates replace `rustc-web` with newer Rust releases, and with each
//! the names of two of its dependencies change (`libstd-rust-web-1.96` depends on
//! `libllvm22`, a later one on another LLVM). So nothing here is pinned: the versions are
//! read from `apt-cache` every time a toolchain is installed.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::command::{capture, command_line};
use crate::error::InstallError;

/// The package with the rustc binary; every other package follows from its version.
pub(crate) const RUSTC_PACKAGE: &str = "rustc-web";
/// The standard library's source, which `-Zbuild-std` compiles for wasm32.
pub(crate) const SOURCE_PACKAGE: &str = "rust-web-src";
/// Depends on the versioned `libstd-rust-web-<release>` with librustc_driver in it.
const STD_DEV_PACKAGE: &str = "libstd-rust-web-dev";
/// The C library for `wasm32-wasi` (WASI preview 1) that std for `wasm32-wasip1` links
/// against. Built from its own source package, so it is not pinned to rustc-web's version.
pub(crate) const WASI_LIBC_PACKAGE: &str = "wasi-libc";
const STD_PREFIX: &str = "libstd-rust-web-";
const LLVM_PREFIX: &str = "libllvm";

/// The packages of one Debian toolchain release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Release {
    /// The Debian version of `rustc-web` (e.g. `1.96.0+dfsg1-1~deb12u2`).
    pub(crate) version: String,
    /// `libstd-rust-web-<release>` (e.g. `libstd-rust-web-1.96`).
    pub(crate) std_package: String,
    /// `libllvm<N>` (e.g. `libllvm22`).
    pub(crate) llvm_package: String,
}

impl Release {
    /// Arguments for `apt-get download`. The Rust packages are built from one source
    /// package, so they are pinned to rustc-web's version to keep them from mixing if the
    /// package lists change while we run.
    pub(crate) fn download_args(&self) -> Vec<String> {
        let pinned = [
            RUSTC_PACKAGE,
            SOURCE_PACKAGE,
            STD_DEV_PACKAGE,
            self.std_package.as_str(),
        ];
        pinned
            .iter()
            .map(|package| format!("{package}={}", self.version))
            .chain([self.llvm_package.clone(), WASI_LIBC_PACKAGE.to_owned()])
            .collect()
    }
}

/// Why apt could not tell us the release.
pub(crate) enum Lookup {
    /// The package lists lack something; `apt-get update` may help.
    Missing(InstallError),
    /// Something else went wrong; retrying will not help.
    Failed(InstallError),
}

impl From<InstallError> for Lookup {
    fn from(error: InstallError) -> Self {
        Lookup::Failed(error)
    }
}

/// Checks that every tool an install runs is on `PATH`, before anything is printed or
/// downloaded.
pub(crate) fn check_tools() -> Result<(), InstallError> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for tool in ["apt-cache", "apt-get", "dpkg", "dpkg-deb", "tar"] {
        if !std::env::split_paths(&path).any(|dir| dir.join(tool).is_file()) {
            return Err(InstallError::AptMissing { tool });
        }
    }
    Ok(())
}

/// Finds the release apt would install now.
pub(crate) fn current_release() -> Result<Release, Lookup> {
    let policy = apt_cache(&["policy", RUSTC_PACKAGE])?;
    let version = candidate_version(&policy).ok_or_else(|| {
        Lookup::Missing(InstallError::PackageUnavailable {
            package: RUSTC_PACKAGE.to_owned(),
        })
    })?;

    let std_dev = format!("{STD_DEV_PACKAGE}={version}");
    let std_package =
        dependency(&apt_cache(&["depends", &std_dev])?, STD_PREFIX).ok_or_else(|| {
            Lookup::Missing(InstallError::DependencyNotFound {
                package: std_dev.clone(),
                prefix: STD_PREFIX,
            })
        })?;

    let std_pinned = format!("{std_package}={version}");
    let llvm_package =
        dependency(&apt_cache(&["depends", &std_pinned])?, LLVM_PREFIX).ok_or_else(|| {
            Lookup::Missing(InstallError::DependencyNotFound {
                package: std_pinned.clone(),
                prefix: LLVM_PREFIX,
            })
        })?;

    Ok(Release {
        version,
        std_package,
        llvm_package,
    })
}

/// Downloads the release's .deb files into `dir`.
pub(crate) fn download(release: &Release, dir: &Path) -> Result<(), InstallError> {
    download_packages(&release.download_args(), dir)
}

/// Downloads the .deb files of `packages` (`name` or `name=version`) into `dir`.
pub(crate) fn download_packages(packages: &[String], dir: &Path) -> Result<(), InstallError> {
    let mut command = Command::new("apt-get");
    command.arg("download").args(packages);
    command.current_dir(dir);
    run(command, "apt-get")
}

/// Refreshes the package lists. Needs root, as weft has on the machines it sets up.
pub(crate) fn update() -> Result<(), InstallError> {
    let mut command = Command::new("apt-get");
    command.args(["update", "-q"]);
    run(command, "apt-get")
}

/// Unpacks one .deb into `dir` (no root, no dpkg database involved).
pub(crate) fn unpack(deb: &Path, dir: &Path) -> Result<(), InstallError> {
    let mut command = Command::new("dpkg");
    command.arg("-x").arg(deb).arg(dir);
    run(command, "dpkg")
}

/// Unpacks one .deb into `dir` like [`unpack`], leaving out the folders in `skip` (paths
/// inside the package, `*` matching within one path component).
pub(crate) fn unpack_without(deb: &Path, dir: &Path, skip: &[&str]) -> Result<(), InstallError> {
    let mut contents = Command::new("dpkg-deb");
    contents
        .arg("--fsys-tarfile")
        .arg(deb)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut reader = contents
        .spawn()
        .map_err(|source| spawn_error("dpkg-deb", source))?;
    let tarball = reader.stdout.take().expect("stdout is piped");

    let mut tar = Command::new("tar");
    tar.args(["-x", "-f", "-", "-C"])
        .arg(dir)
        .args(["--anchored", "--no-wildcards-match-slash"])
        .args(skip.iter().map(|path| format!("--exclude=./{path}")))
        .stdin(tarball);
    let extracted = run(tar, "tar");
    let read = reader
        .wait_with_output()
        .map_err(|source| spawn_error("dpkg-deb", source))?;
    if !read.status.success() {
        return Err(InstallError::CommandFailed {
            command: command_line(&contents),
            status: read.status,
            stderr: String::from_utf8_lossy(&read.stderr).into_owned(),
        });
    }
    extracted
}

fn apt_cache(args: &[&str]) -> Result<String, InstallError> {
    let mut command = Command::new("apt-cache");
    command.args(args);
    let output = capture(&mut command).map_err(|source| spawn_error("apt-cache", source))?;
    if !output.status.success() {
        return Err(InstallError::CommandFailed {
            command: command_line(&command),
            status: output.status,
            stderr: output.stderr,
        });
    }
    Ok(output.stdout)
}

fn run(mut command: Command, tool: &'static str) -> Result<(), InstallError> {
    let output = capture(&mut command).map_err(|source| spawn_error(tool, source))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(InstallError::CommandFailed {
            command: command_line(&command),
            status: output.status,
            stderr: output.stderr,
        })
    }
}

fn spawn_error(tool: &'static str, source: std::io::Error) -> InstallError {
    if source.kind() == std::io::ErrorKind::NotFound {
        InstallError::AptMissing { tool }
    } else {
        InstallError::Spawn {
            program: tool.to_owned(),
            source,
        }
    }
}

/// The `Candidate:` version in `apt-cache policy` output, if apt has one.
pub(crate) fn candidate_version(policy: &str) -> Option<String> {
    policy
        .lines()
        .filter_map(|line| line.trim().strip_prefix("Candidate:"))
        .map(str::trim)
        .find(|version| !version.is_empty() && *version != "(none)")
        .map(str::to_owned)
}

/// The package named `<prefix><digit>…` among the `Depends:` lines of `apt-cache depends`
/// output. Virtual packages (`<name>`) and alternatives (`|Depends:`) are considered too.
pub(crate) fn dependency(depends: &str, prefix: &str) -> Option<String> {
    depends
        .lines()
        .filter_map(|line| {
            let line = line.trim().trim_start_matches('|');
            line.strip_prefix("Depends:")
                .or_else(|| line.strip_prefix("PreDepends:"))
        })
        .map(|name| name.trim().trim_start_matches('<').trim_end_matches('>'))
        .find(|name| {
            name.strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
        })
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: &str = "\
rustc-web:
  Installed: (none)
  Candidate: 1.96.0+dfsg1-1~deb12u2
  Version table:
     1.96.0+dfsg1-1~deb12u2 500
        500 http://deb.debian.org/debian-security bookworm-security/main amd64 Packages
     1.85.0+dfsg3-1~deb12u3 500
        500 http://deb.debian.org/debian bookworm/main amd64 Packages
";

    #[test]
    fn candidate_is_read_from_policy() {
        assert_eq!(
            candidate_version(POLICY).as_deref(),
            Some("1.96.0+dfsg1-1~deb12u2")
        );
    }

    #[test]
    fn no_candidate_without_package_lists() {
        // What apt prints for a package it has never heard of: nothing.
        assert_eq!(candidate_version(""), None);
        let none = "rustc-web:\n  Installed: (none)\n  Candidate: (none)\n  Version table:\n";
        assert_eq!(candidate_version(none), None);
    }

    #[test]
    fn versioned_std_package_is_found_not_the_dev_package() {
        let depends = "\
libstd-rust-web-dev
  Depends: libstd-rust-web-1.96
  Conflicts: <libstd-rust-mozilla-dev>
  Conflicts: <rustup>
  Replaces: libstd-rust-dev
    libstd-rust-web-dev
";
        assert_eq!(
            dependency(depends, STD_PREFIX).as_deref(),
            Some("libstd-rust-web-1.96")
        );
    }

    #[test]
    fn llvm_package_is_found_among_other_dependencies() {
        let depends = "\
libstd-rust-web-1.96
  Depends: libc6
  Depends: libgcc-s1
 |Depends: libllvm22
  Depends: libstdc++6
  Conflicts: <libstd-rust-1.96>
";
        assert_eq!(
            dependency(depends, LLVM_PREFIX).as_deref(),
            Some("libllvm22")
        );
    }

    #[test]
    fn unknown_package_has_no_dependency() {
        // `apt-cache depends pkg=no-such-version` prints just the name in brackets.
        assert_eq!(dependency("<libstd-rust-web-dev>\n", STD_PREFIX), None);
        assert_eq!(dependency("", LLVM_PREFIX), None);
    }

    #[test]
    fn download_pins_the_rust_packages() {
        let release = Release {
            version: "1.96.0+dfsg1-1~deb12u2".into(),
            std_package: "libstd-rust-web-1.96".into(),
            llvm_package: "libllvm22".into(),
        };
        assert_eq!(
            release.download_args(),
            [
                "rustc-web=1.96.0+dfsg1-1~deb12u2",
                "rust-web-src=1.96.0+dfsg1-1~deb12u2",
                "libstd-rust-web-dev=1.96.0+dfsg1-1~deb12u2",
                "libstd-rust-web-1.96=1.96.0+dfsg1-1~deb12u2",
                "libllvm22",
                "wasi-libc",
            ]
        );
    }
}
