//! The Debian toolchain in the default cache: set up on first use, then reused.

use weft_toolchain::{InstallOptions, Toolchain, ToolchainSource};

/// `weft toolchain install --debian`: asks apt for the current release, installs it if the
/// cache lacks it, and otherwise returns the one already there.
#[test]
fn debian_toolchain_is_current_after_update() -> anyhow::Result<()> {
    if std::process::Command::new("apt-cache")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: no apt on this machine, so no Debian toolchain");
        return Ok(());
    }
    let options = InstallOptions {
        source: ToolchainSource::Debian,
        update: true,
        ..InstallOptions::default()
    };
    let toolchain = Toolchain::find_or_install(&options)?;
    assert_eq!(toolchain.source(), ToolchainSource::Debian);
    assert!(toolchain.builds_std());
    assert!(
        toolchain.rustc_version().starts_with("rustc "),
        "{}",
        toolchain.rustc_version()
    );
    assert!(toolchain.to_string().contains("rustc-web"), "{toolchain}");

    // Without `update`, the cached toolchain is used without asking apt.
    let cached = Toolchain::find_or_install(&InstallOptions {
        update: false,
        ..options
    })?;
    assert_eq!(cached.rustc_version(), toolchain.rustc_version());
    Ok(())
}
