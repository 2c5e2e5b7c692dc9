//! A guest toolchain made from Debian's `rustc-web` packages, for machines whose rustup
//! cannot download the wasm32 target.
//!
//! `rustc-web` is a rustc with the wasm targets enabled but without their standard
//! library; `rust-web-src` has the library's source, which cargo's `-Zbuild-std` compiles
//! for wasm32. The packages are not installed (that would need root and would replace the
//! system's rustc): `apt-get download` fetches them and `dpkg -x` unpacks them into
//! `<cache>/toolchain/rust-web-<version>/`. A marker file written last says the folder is
//! complete; a folder without one is a half-finished install and is redone. A lock file
//! keeps two processes from installing at once.
//!
//! Debian's `wasi-libc` (the C library std for `wasm32-wasip1` links against) is unpacked
//! into the same folder, with its own marker: a toolchain installed before weft built
//! WASI guests gets it added the first time one is built.

mod apt;

use std::ffi::OsString;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cache::toolchain_dir;
use crate::command::capture;
use crate::error::InstallError;
use crate::progress::Progress;
use apt::Lookup;

/// Written into a toolchain folder once everything in it is in place.
const MARKER: &str = ".weft-complete";
/// Toolchain folders are `rust-web-<Debian version>`.
const FOLDER_PREFIX: &str = "rust-web-";
/// Written into a toolchain folder once wasi-libc is unpacked in it.
const WASI_LIBC_MARKER: &str = ".weft-wasi-libc";
/// Where wasi-libc's libraries are, inside the folder.
const WASI_LIBC_DIR: &str = "usr/lib/wasm32-wasi";

/// Folders of `rust-web-src` (the whole Rust source tree) that `-Zbuild-std` does not
/// read: it needs `library/` only. Leaving these out saves ~350 MB and 40,000 files,
/// about half the install time.
const SOURCE_NOT_NEEDED: &[&str] = &[
    "usr/src/rustc-*/compiler",
    "usr/src/rustc-*/src/tools",
    "usr/src/rustc-*/src/doc",
];

/// An unpacked Debian toolchain.
#[derive(Debug, Clone)]
pub(crate) struct DebianToolchain {
    /// The Debian version of `rustc-web`.
    pub(crate) package_version: String,
    /// What `rustc --version` says.
    pub(crate) rustc_version: String,
    /// The folder the packages were unpacked into.
    pub(crate) dir: PathBuf,
    /// `<dir>/usr/bin/rustc`.
    pub(crate) rustc: PathBuf,
    /// Where rustc's shared libraries (librustc_driver, libLLVM) are.
    pub(crate) library_path: Vec<PathBuf>,
}

impl DebianToolchain {
    /// The toolchain in `dir`, if its install completed.
    fn complete(dir: &Path) -> Option<Self> {
        let marker = fs::read_to_string(dir.join(MARKER)).ok()?;
        let field = |key: &str| {
            marker
                .lines()
                .find_map(|line| line.strip_prefix(key)?.strip_prefix('='))
                .map(str::to_owned)
        };
        let mut toolchain = Self::unpacked(dir).ok()?;
        toolchain.package_version = field("package-version")?;
        toolchain.rustc_version = field("rustc-version")?;
        Some(toolchain)
    }

    /// The toolchain unpacked in `dir`, with the versions still unknown.
    fn unpacked(dir: &Path) -> Result<Self, InstallError> {
        let rustc = dir.join("usr/bin/rustc");
        if !rustc.is_file() {
            return Err(InstallError::RustcNotUnpacked {
                dir: dir.to_owned(),
            });
        }
        Ok(DebianToolchain {
            package_version: String::new(),
            rustc_version: String::new(),
            dir: dir.to_owned(),
            rustc,
            library_path: library_dirs(&dir.join("usr/lib")),
        })
    }

    /// `LD_LIBRARY_PATH` for running this rustc: its own libraries first, then whatever
    /// the caller already had.
    pub(crate) fn ld_library_path(&self) -> OsString {
        let inherited = std::env::var_os("LD_LIBRARY_PATH");
        let inherited = inherited.iter().flat_map(std::env::split_paths);
        std::env::join_paths(self.library_path.iter().cloned().chain(inherited))
            .expect("library directories contain no path separator")
    }

    /// The folder with wasi-libc's `libc.a` and `crt1-*.o`, if it is unpacked.
    pub(crate) fn wasi_libc_dir(&self) -> Option<PathBuf> {
        let dir = self.dir.join(WASI_LIBC_DIR);
        (self.dir.join(WASI_LIBC_MARKER).is_file() && dir.is_dir()).then_some(dir)
    }

    /// Runs `rustc --version`, which fails if a shared library is missing.
    fn version(&self) -> Result<String, InstallError> {
        let broken = |stderr: String| InstallError::RustcBroken {
            rustc: self.rustc.clone(),
            dir: self.dir.clone(),
            stderr,
        };
        let mut command = Command::new(&self.rustc);
        command
            .arg("--version")
            .env("LD_LIBRARY_PATH", self.ld_library_path());
        let output = capture(&mut command).map_err(|error| broken(error.to_string()))?;
        if !output.status.success() {
            return Err(broken(output.stderr.trim().to_owned()));
        }
        Ok(output.stdout.trim().to_owned())
    }
}

/// The shared-library folders in an unpacked `usr/lib`: the multiarch folder
/// (`x86_64-linux-gnu`) and, in releases that put libLLVM there, `llvm-<N>/lib`.
fn library_dirs(usr_lib: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(usr_lib) else {
        return Vec::new();
    };
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            if name.contains("-linux-") {
                Some(entry.path())
            } else if name.starts_with("llvm-") {
                Some(entry.path().join("lib"))
            } else {
                None
            }
        })
        .filter(|dir| dir.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// The folder name for a Debian version (an epoch's `:` is not welcome in paths).
fn folder_name(version: &str) -> String {
    let safe: String = version
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "+-.~_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{FOLDER_PREFIX}{safe}")
}

/// The most recently completed toolchain in the cache, if any.
fn newest_complete(toolchains: &Path) -> Option<DebianToolchain> {
    let entries = fs::read_dir(toolchains).ok()?;
    entries
        .filter_map(Result::ok)
        .filter(|entry| {
            entry
                .file_name()
                .to_string_lossy()
                .starts_with(FOLDER_PREFIX)
        })
        .filter_map(|entry| {
            let finished = fs::metadata(entry.path().join(MARKER))
                .ok()?
                .modified()
                .ok()?;
            Some((finished, entry.path()))
        })
        .max()
        .and_then(|(_, dir)| DebianToolchain::complete(&dir))
}

/// Returns a Debian toolchain from the cache, installing one first if there is none.
///
/// With `update`, asks apt for the current release and installs it unless it is the one
/// already there; without, any complete toolchain in the cache is used as it is (asking
/// apt takes a second or two, too long for every build).
pub(crate) fn ensure(cache: &Path, update: bool) -> Result<DebianToolchain, InstallError> {
    let toolchains = toolchain_dir(cache);
    if !update {
        if let Some(toolchain) = newest_complete(&toolchains) {
            return Ok(toolchain);
        }
    }
    fs::create_dir_all(&toolchains).map_err(io_error("create", &toolchains))?;
    let _lock = lock(&toolchains)?;
    if !update {
        // Another process may have finished the install while we waited for the lock.
        if let Some(toolchain) = newest_complete(&toolchains) {
            return Ok(toolchain);
        }
    }
    install(&toolchains, update)
}

const SETTING_UP: &str = "setting up the guest toolchain from Debian packages (one time, ~1 min)…";

/// Downloads, unpacks and checks the current release. Runs under the install lock.
fn install(toolchains: &Path, update: bool) -> Result<DebianToolchain, InstallError> {
    apt::check_tools()?;
    let progress = Progress::start();
    // With `update` there may be nothing to set up: say so only once apt has answered.
    let mut announced = !update;
    if announced {
        progress.say(SETTING_UP);
    }
    let downloads = toolchains.join("downloads");
    let mut updated = false;
    let release = loop {
        progress.step("asking apt for the current rustc-web release");
        let release = match apt::current_release() {
            Ok(release) => release,
            Err(Lookup::Missing(_)) if !updated => {
                refresh_package_lists(&progress, "apt's package lists lack rustc-web")?;
                updated = true;
                continue;
            }
            Err(Lookup::Missing(error) | Lookup::Failed(error)) => return Err(error),
        };
        if let Some(toolchain) =
            DebianToolchain::complete(&toolchains.join(folder_name(&release.version)))
        {
            return Ok(toolchain);
        }
        if !announced {
            progress.say(SETTING_UP);
            announced = true;
        }
        remove_if_present(&downloads)?;
        fs::create_dir_all(&downloads).map_err(io_error("create", &downloads))?;
        progress.step(format!(
            "downloading rustc-web {} with apt-get",
            release.version
        ));
        match apt::download(&release, &downloads) {
            Ok(()) => break release,
            // Package lists that are missing or older than the mirror: refresh and retry.
            Err(InstallError::CommandFailed { .. }) if !updated => {
                refresh_package_lists(&progress, "`apt-get download` failed")?;
                updated = true;
            }
            Err(error) => return Err(error),
        }
    };

    let dir = toolchains.join(folder_name(&release.version));
    unpack_all(&downloads, &dir, &progress)?;
    progress.step("checking that the unpacked rustc runs");
    let mut toolchain = DebianToolchain::unpacked(&dir)?;
    toolchain.rustc_version = toolchain.version()?;
    toolchain.package_version = release.version.clone();
    write_wasi_libc_marker(&dir)?;
    write_marker(&toolchain)?;
    remove_if_present(&downloads)?;
    progress.say(&format!(
        "guest toolchain ready: {} in {}",
        toolchain.rustc_version,
        dir.display()
    ));
    Ok(toolchain)
}

/// Returns the folder of the toolchain's wasi-libc, downloading and unpacking Debian's
/// `wasi-libc` into the toolchain first if it is not there yet (toolchains installed
/// before weft built WASI guests lack it).
pub(crate) fn ensure_wasi_libc(
    cache: &Path,
    toolchain: &DebianToolchain,
) -> Result<PathBuf, InstallError> {
    if let Some(dir) = toolchain.wasi_libc_dir() {
        return Ok(dir);
    }
    let toolchains = toolchain_dir(cache);
    let _lock = lock(&toolchains)?;
    if let Some(dir) = toolchain.wasi_libc_dir() {
        return Ok(dir);
    }
    apt::check_tools()?;
    let progress = Progress::start();
    progress.say("adding Debian's wasi-libc to the guest toolchain (one time)…");
    let downloads = toolchains.join("downloads");
    let package = [apt::WASI_LIBC_PACKAGE.to_owned()];
    let mut updated = false;
    loop {
        remove_if_present(&downloads)?;
        fs::create_dir_all(&downloads).map_err(io_error("create", &downloads))?;
        progress.step(format!(
            "downloading {} with apt-get",
            apt::WASI_LIBC_PACKAGE
        ));
        match apt::download_packages(&package, &downloads) {
            Ok(()) => break,
            Err(InstallError::CommandFailed { .. }) if !updated => {
                refresh_package_lists(&progress, "`apt-get download wasi-libc` failed")?;
                updated = true;
            }
            Err(error) => return Err(error),
        }
    }
    for entry in fs::read_dir(&downloads).map_err(io_error("read", &downloads))? {
        let deb = entry.map_err(io_error("read", &downloads))?.path();
        progress.step(format!("unpacking {}", apt::WASI_LIBC_PACKAGE));
        apt::unpack(&deb, &toolchain.dir)?;
    }
    write_wasi_libc_marker(&toolchain.dir)?;
    remove_if_present(&downloads)?;
    progress.say("wasi-libc ready");
    toolchain
        .wasi_libc_dir()
        .ok_or_else(|| InstallError::PackageUnavailable {
            package: apt::WASI_LIBC_PACKAGE.to_owned(),
        })
}

/// Marks wasi-libc as unpacked in `dir`, if it is (its `libc.a` is there).
fn write_wasi_libc_marker(dir: &Path) -> Result<(), InstallError> {
    if !dir.join(WASI_LIBC_DIR).join("libc.a").is_file() {
        return Ok(());
    }
    let marker = dir.join(WASI_LIBC_MARKER);
    fs::write(&marker, "").map_err(io_error("write", &marker))
}

fn refresh_package_lists(progress: &Progress, reason: &str) -> Result<(), InstallError> {
    progress.say(&format!(
        "{reason}; running `apt-get update` and trying again…"
    ));
    progress.step("apt-get update");
    apt::update()
}

/// Unpacks every .deb in `downloads` into a fresh `dir`.
fn unpack_all(downloads: &Path, dir: &Path, progress: &Progress) -> Result<(), InstallError> {
    remove_if_present(dir)?;
    fs::create_dir_all(dir).map_err(io_error("create", dir))?;
    let mut debs: Vec<PathBuf> = fs::read_dir(downloads)
        .map_err(io_error("read", downloads))?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "deb"))
        .collect();
    debs.sort();
    for deb in &debs {
        let name = deb.file_name().unwrap_or_default().to_string_lossy();
        let package = name.split('_').next().unwrap_or(&name).to_owned();
        progress.step(format!("unpacking {package}"));
        if package == apt::SOURCE_PACKAGE {
            apt::unpack_without(deb, dir, SOURCE_NOT_NEEDED)?;
        } else {
            apt::unpack(deb, dir)?;
        }
    }
    Ok(())
}

fn write_marker(toolchain: &DebianToolchain) -> Result<(), InstallError> {
    let marker = toolchain.dir.join(MARKER);
    let temporary = toolchain.dir.join(format!("{MARKER}.tmp"));
    let contents = format!(
        "package-version={}\nrustc-version={}\n",
        toolchain.package_version, toolchain.rustc_version
    );
    fs::write(&temporary, contents).map_err(io_error("write", &temporary))?;
    fs::rename(&temporary, &marker).map_err(io_error("write", &marker))
}

/// Takes the install lock, saying so if another process holds it. Released on drop.
fn lock(toolchains: &Path) -> Result<File, InstallError> {
    let path = toolchains.join("install.lock");
    let file = File::create(&path).map_err(io_error("create", &path))?;
    if fs4::FileExt::try_lock(&file).is_err() {
        eprintln!("waiting for another process to finish installing the guest toolchain…");
        fs4::FileExt::lock(&file).map_err(io_error("lock", &path))?;
    }
    Ok(file)
}

fn remove_if_present(dir: &Path) -> Result<(), InstallError> {
    match fs::remove_dir_all(dir) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
            Err(io_error("remove", dir)(error))
        }
        _ => Ok(()),
    }
}

fn io_error(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> InstallError {
    let path = path.to_owned();
    move |source| InstallError::Io {
        action,
        path,
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_names_are_path_safe() {
        assert_eq!(
            folder_name("1.96.0+dfsg1-1~deb12u2"),
            "rust-web-1.96.0+dfsg1-1~deb12u2"
        );
        assert_eq!(folder_name("1:22.1.8/x"), "rust-web-1_22.1.8_x");
    }

    #[test]
    fn library_dirs_finds_multiarch_and_llvm() {
        let root = tempfile::tempdir().unwrap();
        let lib = root.path().join("usr/lib");
        for dir in [
            "x86_64-linux-gnu",
            "llvm-22/lib",
            "rustlib/src",
            "llvm-19", // no lib folder inside: skipped
        ] {
            fs::create_dir_all(lib.join(dir)).unwrap();
        }
        assert_eq!(
            library_dirs(&lib),
            [lib.join("llvm-22/lib"), lib.join("x86_64-linux-gnu")]
        );
    }

    #[test]
    fn wasi_libc_counts_once_marked() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join(folder_name("1.0"));
        fs::create_dir_all(dir.join("usr/bin")).unwrap();
        fs::write(dir.join("usr/bin/rustc"), "").unwrap();
        let toolchain = DebianToolchain::unpacked(&dir).unwrap();
        assert_eq!(toolchain.wasi_libc_dir(), None);
        // Half unpacked: no marker yet.
        fs::create_dir_all(dir.join(WASI_LIBC_DIR)).unwrap();
        write_wasi_libc_marker(&dir).unwrap();
        assert_eq!(toolchain.wasi_libc_dir(), None);
        fs::write(dir.join(WASI_LIBC_DIR).join("libc.a"), "").unwrap();
        write_wasi_libc_marker(&dir).unwrap();
        assert_eq!(toolchain.wasi_libc_dir(), Some(dir.join(WASI_LIBC_DIR)));
    }

    #[test]
    fn folder_without_marker_is_not_complete() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join(folder_name("1.0"));
        fs::create_dir_all(dir.join("usr/bin")).unwrap();
        fs::write(dir.join("usr/bin/rustc"), "").unwrap();
        assert!(DebianToolchain::complete(&dir).is_none());
        assert!(newest_complete(root.path()).is_none());

        let mut toolchain = DebianToolchain::unpacked(&dir).unwrap();
        toolchain.package_version = "1.0".into();
        toolchain.rustc_version = "rustc 1.0.0".into();
        write_marker(&toolchain).unwrap();
        let found = newest_complete(root.path()).unwrap();
        assert_eq!(found.package_version, "1.0");
        assert_eq!(found.rustc_version, "rustc 1.0.0");
        assert_eq!(found.rustc, dir.join("usr/bin/rustc"));
    }
}
