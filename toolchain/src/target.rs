//! The wasm targets a workflow crate can be built for.
//!
//! A crate chooses its own in its `Cargo.toml`, and `weft build --target` (or
//! [`crate::BuildOptions::target`]) overrides that choice:
//!
//! ```toml
//! [package.metadata.weft]
//! target = "wasm32-wasip1"   # or "wasip1"; also "unknown" (the default) and "wasip2"
//! ```

use std::fmt;
use std::str::FromStr;

/// A wasm target for guests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum GuestTarget {
    /// `wasm32-unknown-unknown`: no WASI; the workflow sees only weft's own interface.
    #[default]
    Unknown,
    /// `wasm32-wasip1`, adapted to WASI 0.2 with wasmtime's preview 1 reactor adapter.
    Wasip1,
    /// `wasm32-wasip2`, which rustc links into a component itself.
    Wasip2,
}

impl GuestTarget {
    /// Every target, the default first.
    pub const ALL: [GuestTarget; 3] = [
        GuestTarget::Unknown,
        GuestTarget::Wasip1,
        GuestTarget::Wasip2,
    ];

    /// The target triple rustc knows it by.
    ///
    /// ```
    /// assert_eq!(weft_toolchain::GuestTarget::Wasip1.triple(), "wasm32-wasip1");
    /// ```
    pub fn triple(self) -> &'static str {
        match self {
            GuestTarget::Unknown => "wasm32-unknown-unknown",
            GuestTarget::Wasip1 => "wasm32-wasip1",
            GuestTarget::Wasip2 => "wasm32-wasip2",
        }
    }

    /// The short name `weft build --target` takes (`unknown`, `wasip1`, `wasip2`).
    pub fn short_name(self) -> &'static str {
        match self {
            GuestTarget::Unknown => "unknown",
            GuestTarget::Wasip1 => "wasip1",
            GuestTarget::Wasip2 => "wasip2",
        }
    }

    /// Whether guests built for it import WASI (which the host then virtualises).
    pub fn has_wasi(self) -> bool {
        self != GuestTarget::Unknown
    }

    /// `cargo`'s environment-variable spelling of the triple (`WASM32_WASIP1`).
    pub(crate) fn env_name(self) -> String {
        self.triple().to_uppercase().replace('-', "_")
    }
}

impl fmt::Display for GuestTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.triple())
    }
}

/// A target name weft does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown guest target `{given}`; weft builds workflows for unknown \
     (wasm32-unknown-unknown), wasip1 (wasm32-wasip1) and wasip2 (wasm32-wasip2)"
)]
pub struct UnknownTarget {
    /// The name that was given.
    pub given: String,
}

impl FromStr for GuestTarget {
    type Err = UnknownTarget;

    /// Takes the short name or the triple.
    ///
    /// ```
    /// use weft_toolchain::GuestTarget;
    /// assert_eq!("wasip1".parse(), Ok(GuestTarget::Wasip1));
    /// assert_eq!("wasm32-unknown-unknown".parse(), Ok(GuestTarget::Unknown));
    /// assert!("wasm64".parse::<GuestTarget>().is_err());
    /// ```
    fn from_str(name: &str) -> Result<Self, UnknownTarget> {
        GuestTarget::ALL
            .into_iter()
            .find(|target| name == target.short_name() || name == target.triple())
            .ok_or_else(|| UnknownTarget {
                given: name.to_owned(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for target in GuestTarget::ALL {
            assert_eq!(target.short_name().parse(), Ok(target));
            assert_eq!(target.triple().parse(), Ok(target));
        }
        assert_eq!(GuestTarget::Wasip1.env_name(), "WASM32_WASIP1");
    }

    #[test]
    fn unknown_names_list_the_known_ones() {
        let error = "wasi".parse::<GuestTarget>().unwrap_err();
        let message = error.to_string();
        assert!(message.contains("`wasi`"), "{message}");
        assert!(message.contains("wasip1"), "{message}");
    }
}
