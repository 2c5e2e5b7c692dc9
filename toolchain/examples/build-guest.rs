//! Builds one workflow crate into a component, the way `weft build` does:
//!
//! ```text
//! cargo run -p weft-toolchain --example build-guest -- guest-examples/hello [OUT_DIR]
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use weft_toolchain::{build_crate, BuildOptions};

fn main() -> ExitCode {
    match build() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn build() -> anyhow::Result<()> {
    let mut args = std::env::args_os().skip(1);
    let crate_dir = PathBuf::from(args.next().unwrap_or_else(|| ".".into()));
    let options = BuildOptions {
        out_dir: args.next().map(PathBuf::from),
        ..BuildOptions::default()
    };
    let started = Instant::now();
    let component = build_crate(&crate_dir, &options)?;
    let size = std::fs::metadata(&component)?.len();
    println!("{} ({size} bytes)", component.display());
    eprintln!("built in {:.1?}", started.elapsed());
    Ok(())
}
