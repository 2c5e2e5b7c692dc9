//! The guest toolchain: finds (or sets up) a Rust compiler that targets
//! `wasm32-unknown-unknown` (and the WASI targets) and builds workflow crates into weft
//! components.
//!
//! Where rustup's active toolchain has the target, plain cargo builds guests. Where it has
//! not (and rustup cannot download it), Debian's `rustc-web` packages are downloaded and
//! unpacked into the cache once, and cargo builds the standard library from their source
//! with `-Zbuild-std`; Debian's `wasi-libc` serves `wasm32-wasip1`. Either way the core
//! module is then wrapped into a component with wit-component (through wasmtime's
//! preview 1 adapter for `wasm32-wasip1`).
//!
//! A crate chooses its target in its `Cargo.toml` (see [`GuestTarget`]);
//! [`BuildOptions::target`] overrides it.
//!
//! `weft build` and `weft toolchain install` are thin layers over [`build_crate`] and
//! [`Toolchain::find_or_install`].
//!
//! ```no_run
//! use std::path::Path;
//! use weft_toolchain::{build_crate, BuildOptions};
//!
//! // The first build may set up the toolchain (~1 min) and build std (~1 min).
//! let component = build_crate(Path::new("guest-examples/hello"), &BuildOptions::default())?;
//! let bytes = std::fs::read(&component)?;
//! assert!(bytes.starts_with(&weft_toolchain::COMPONENT_HEADER));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Turning a core module into a component works on its own too:
//!
//! ```
//! let component = weft_toolchain::componentize(b"\0asm\x01\0\0\0")?;
//! assert!(component.starts_with(&weft_toolchain::COMPONENT_HEADER));
//! # Ok::<(), weft_toolchain::ComponentError>(())
//! ```

mod build;
mod cache;
mod cargo;
mod command;
mod component;
mod debian;
mod error;
mod progress;
mod target;
mod toolchain;

pub use build::{build_crate, build_crates, BuildOptions};
pub use cache::cache_dir;
pub use component::{componentize, componentize_wasip1, COMPONENT_HEADER};
pub use error::{BuildError, CacheDirError, ComponentError, InstallError};
pub use target::{GuestTarget, UnknownTarget};
pub use toolchain::{InstallOptions, Toolchain, ToolchainSource};
