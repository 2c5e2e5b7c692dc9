//! Where weft keeps what it downloads and builds for guests.
//!
//! Layout under the cache directory:
//!
//! ```text
//! toolchain/install.lock          held while a toolchain is being installed
//! toolchain/rust-web-<version>/   an unpacked Debian toolchain (complete once it has
//!                                 its `.weft-complete` marker)
//! toolchain/downloads/            .deb files while an install is running
//! target/                         the cargo target directory shared by all guest builds,
//!                                 so the standard library is built once
//! compiled/                       components compiled by `weft replay`, by digest (the
//!                                 host's engine writes them; see `EngineConfig::cache_dir`)
//! ```

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::error::CacheDirError;

/// The directory weft caches toolchains and guest builds in: `$WEFT_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/weft`, else `~/.cache/weft`.
///
/// ```
/// let dir = weft_toolchain::cache_dir().unwrap();
/// assert!(dir.is_absolute());
/// ```
pub fn cache_dir() -> Result<PathBuf, CacheDirError> {
    resolve(|name| std::env::var_os(name))
}

/// [`cache_dir`] with the environment passed in, so it can be tested.
fn resolve(var: impl Fn(&str) -> Option<OsString>) -> Result<PathBuf, CacheDirError> {
    let set = |name| {
        var(name)
            .filter(|value| !value.is_empty())
            .map(PathBuf::from)
    };
    if let Some(dir) = set("WEFT_CACHE_DIR") {
        // cargo runs in the crate's directory, so a relative path would move; pin it now.
        return std::path::absolute(&dir)
            .map_err(|source| CacheDirError::NotAbsolute { path: dir, source });
    }
    // The XDG spec says a relative XDG_CACHE_HOME is invalid and must be ignored.
    if let Some(dir) = set("XDG_CACHE_HOME").filter(|dir| dir.is_absolute()) {
        return Ok(dir.join("weft"));
    }
    match set("HOME") {
        Some(home) => Ok(home.join(".cache").join("weft")),
        None => Err(CacheDirError::NoHome),
    }
}

/// The toolchain folder inside the cache.
pub(crate) fn toolchain_dir(cache: &Path) -> PathBuf {
    cache.join("toolchain")
}

/// The cargo target directory shared by every guest build.
pub(crate) fn guest_target_dir(cache: &Path) -> PathBuf {
    cache.join("target")
}

/// The cache directory the caller chose, or the default one.
pub(crate) fn chosen_or_default(chosen: Option<&Path>) -> Result<PathBuf, CacheDirError> {
    match chosen {
        Some(dir) => std::path::absolute(dir).map_err(|source| CacheDirError::NotAbsolute {
            path: dir.to_owned(),
            source,
        }),
        None => cache_dir(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<OsString> + 'a {
        move |name| {
            vars.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| OsString::from(value))
        }
    }

    #[test]
    fn weft_cache_dir_wins() {
        let vars = [
            ("WEFT_CACHE_DIR", "/srv/weft"),
            ("XDG_CACHE_HOME", "/xdg"),
            ("HOME", "/home/u"),
        ];
        assert_eq!(resolve(env(&vars)).unwrap(), Path::new("/srv/weft"));
    }

    #[test]
    fn relative_weft_cache_dir_is_made_absolute() {
        let dir = resolve(env(&[("WEFT_CACHE_DIR", "cache")])).unwrap();
        assert!(dir.is_absolute());
        assert!(dir.ends_with("cache"));
    }

    #[test]
    fn xdg_cache_home_then_home() {
        let vars = [("XDG_CACHE_HOME", "/xdg"), ("HOME", "/home/u")];
        assert_eq!(resolve(env(&vars)).unwrap(), Path::new("/xdg/weft"));
        let vars = [("HOME", "/home/u")];
        assert_eq!(
            resolve(env(&vars)).unwrap(),
            Path::new("/home/u/.cache/weft")
        );
    }

    #[test]
    fn empty_or_relative_values_are_skipped() {
        let vars = [
            ("WEFT_CACHE_DIR", ""),
            ("XDG_CACHE_HOME", "relative"),
            ("HOME", "/home/u"),
        ];
        assert_eq!(
            resolve(env(&vars)).unwrap(),
            Path::new("/home/u/.cache/weft")
        );
    }

    #[test]
    fn nothing_set_is_an_error() {
        assert!(matches!(resolve(env(&[])), Err(CacheDirError::NoHome)));
    }
}
