//! `weft server`: the long-running host with its HTTP API.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::CliResult;
use crate::activities::ActivityRegistry;

/// Run a host with the HTTP/JSON API until SIGINT or SIGTERM.
///
/// Every acknowledged request is durable: a crash at any moment loses nothing the API
/// answered with success. Executions that were open when the host stopped resume.
/// On SIGINT or SIGTERM the server stops taking requests, tells running activities it
/// shuts down and waits up to --shutdown-grace for them to end and their outcomes to
/// be recorded; what has not ended by then runs again at the next start.
#[derive(Args)]
#[command(
    after_help = "Example:\n  weft server --data ./data --listen 127.0.0.1:7233\n  weft server --data ./data --shutdown-grace 30s"
)]
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
    /// On SIGINT or SIGTERM, how long running activities get to finish before the
    /// server exits (`500ms`, `10s`, `2m`; a bare number is seconds).
    #[arg(long, default_value = "10s", value_name = "DURATION", value_parser = parse_duration)]
    pub shutdown_grace: Duration,
}

pub async fn serve(args: ServerArgs, activities: ActivityRegistry) -> CliResult {
    let options = crate::api::ServeOptions {
        cache_size: args.cache_size,
        shutdown_grace: args.shutdown_grace,
    };
    crate::api::serve(args.data, args.listen, options, activities).await?;
    Ok(())
}

/// A duration as people write it: a whole number with `ms`, `s`, `m` or `h`, or a bare
/// number of seconds.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let bad = || format!("`{text}` is not a duration; write it as 500ms, 10s, 2m or 1h");
    let n: u64 = number.parse().map_err(|_| bad())?;
    let ms = match unit.trim() {
        "ms" => Some(n),
        "" | "s" => n.checked_mul(1000),
        "m" | "min" => n.checked_mul(60_000),
        "h" => n.checked_mul(3_600_000),
        _ => return Err(bad()),
    };
    ms.map(Duration::from_millis).ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("7"), Ok(Duration::from_secs(7)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
        for bad in ["", "s", "1.5s", "-1s", "10 days", "99999999999999999999h"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
