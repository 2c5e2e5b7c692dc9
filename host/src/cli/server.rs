//! `weft server`: the long-running host with its HTTP API.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;

use super::CliResult;
use crate::activities::ActivityRegistry;

/// Run a host with the HTTP/JSON API until SIGINT or SIGTERM.
///
/// Every acknowledged request is durable: a crash at any moment loses nothing the API
/// answered with success. Executions that were open when the host stopped resume.
#[derive(Args)]
#[command(after_help = "Example:\n  weft server --data ./data --listen 127.0.0.1:7233")]
pub struct ServerArgs {
    /// Data folder (the redb file and caches; created if missing).
    #[arg(long)]
    pub data: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:7233")]
    pub listen: SocketAddr,
    /// Most workflow instances kept alive between tasks; the others are rebuilt by
    /// replaying their history when they next run (or are queried).
    #[arg(long, default_value_t = 1000, value_name = "N")]
    pub cache_size: usize,
}

pub async fn serve(args: ServerArgs, activities: ActivityRegistry) -> CliResult {
    crate::api::serve(args.data, args.listen, args.cache_size, activities).await?;
    Ok(())
}
