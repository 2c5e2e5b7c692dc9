//! `weft build` and `weft toolchain`: compile workflow crates into components.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::CliResult;

/// Build a workflow crate into a weft component and print the path of the .wasm.
///
/// Builds for the target the crate chooses in its Cargo.toml
/// (`[package.metadata.weft] target = "wasm32-wasip1"`), else for wasm32-unknown-unknown.
/// Uses rustup's target when installed; otherwise sets up a toolchain from Debian
/// packages on first use (see `weft toolchain install`).
#[derive(Args)]
#[command(
    after_help = "Examples:\n  weft build guest-examples/hello\n  weft build --target wasip1 guest-examples/wasi"
)]
pub struct BuildArgs {
    /// The workflow crate's folder (holding its Cargo.toml).
    crate_dir: PathBuf,
    /// Copy the component into this folder too.
    #[arg(long, short)]
    out_dir: Option<PathBuf>,
    /// Build for this target instead of the crate's own choice: unknown
    /// (wasm32-unknown-unknown, no WASI), wasip1 or wasip2 (a virtual, deterministic WASI).
    #[arg(long, value_name = "TARGET")]
    target: Option<weft_toolchain::GuestTarget>,
}

/// Manage the guest toolchain.
#[derive(Subcommand)]
pub enum ToolchainCommand {
    /// Set up the guest toolchain now (otherwise `weft build` does it on first need).
    ///
    /// Uses rustup's wasm32-unknown-unknown target when installed; otherwise unpacks
    /// Debian's rustc-web packages (and wasi-libc, for wasm32-wasip1 guests) into the
    /// cache folder (`$WEFT_CACHE_DIR`, else `~/.cache/weft`) and prints which toolchain
    /// it will use.
    #[command(after_help = "Example:\n  weft toolchain install")]
    Install,
}

pub fn build(args: BuildArgs) -> CliResult {
    let options = weft_toolchain::BuildOptions {
        out_dir: args.out_dir,
        target: args.target,
        ..Default::default()
    };
    let path = weft_toolchain::build_crate(&args.crate_dir, &options)?;
    println!("{}", path.display());
    Ok(())
}

pub fn toolchain(cmd: ToolchainCommand) -> CliResult {
    match cmd {
        ToolchainCommand::Install => {
            let tc = weft_toolchain::Toolchain::find_or_install(&Default::default())?;
            println!("{tc}");
            let targets: Vec<String> = tc.targets().iter().map(|t| t.to_string()).collect();
            println!("builds workflows for {}", targets.join(", "));
            Ok(())
        }
    }
}
