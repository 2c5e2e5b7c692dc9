//! The listener that tells a [`Host`] of the shards its membership gains and releases:
//! it takes up the runs of gained shards on the host's runtime, and lets the runs of
//! released shards go before the release goes on.

use weft_runtime::runtime::{Host, WeakHost};

use super::ShardListener;

/// A [`ShardListener`] for one host, which it does not keep up.
pub struct HostShards {
    host: WeakHost,
    /// Where the runs of gained shards are taken up (the host's caller's runtime).
    runtime: tokio::runtime::Handle,
}

impl HostShards {
    /// The listener of `host`, taking up gained shards on the current runtime.
    pub fn new(host: &Host) -> HostShards {
        HostShards {
            host: host.downgrade(),
            runtime: tokio::runtime::Handle::current(),
        }
    }
}

impl ShardListener for HostShards {
    fn gained(&self, shards: &[u32]) {
        let (host, shards) = (self.host.clone(), shards.to_vec());
        self.runtime.spawn(async move {
            let Some(host) = host.upgrade() else { return };
            if let Err(e) = host.take_shards(&shards).await {
                tracing::error!(error = %e, "cannot take up the runs of gained shards");
            }
        });
    }

    fn releasing(&self, shards: &[u32]) {
        if let Some(host) = self.host.upgrade() {
            host.give_up_shards(shards);
        }
    }
}
