//! Builds many workflow crates into components at once and puts each in one folder,
//! named after the crate's folder: `<out_dir>/<folder>.wasm`. Crates of one workspace
//! and target are compiled by one cargo invocation, in parallel, with their shared
//! dependencies compiled once.
//!
//! ```text
//! cargo run -p weft-toolchain --example build-components -- <out_dir> <crate_dir>...
//! ```
//!
//! The repository's `scripts/test.sh` builds every guest component its tests load this
//! way, before any test runs.

use std::path::PathBuf;

use anyhow::{bail, Context};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args_os().skip(1).map(PathBuf::from);
    let Some(out_dir) = args.next() else {
        bail!("usage: build-components <out_dir> <crate_dir>...");
    };
    let crate_dirs: Vec<PathBuf> = args.collect();
    let built = weft_toolchain::build_crates(&crate_dirs, &Default::default())?;
    std::fs::create_dir_all(&out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
    for (dir, component) in crate_dirs.iter().zip(&built) {
        let name = dir
            .file_name()
            .with_context(|| format!("{} names no folder", dir.display()))?;
        let out = out_dir.join(format!("{}.wasm", name.to_string_lossy()));
        std::fs::copy(component, &out)
            .with_context(|| format!("copying {} to {}", component.display(), out.display()))?;
    }
    eprintln!("{} components in {}", built.len(), out_dir.display());
    Ok(())
}
