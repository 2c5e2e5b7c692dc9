//! `weft cluster status`, and how `weft server --database` joins its cluster: as the
//! host that holds the shards, or as a standby that takes them over when that host's
//! leases expire.

use std::time::Duration;

use clap::{Args, Subcommand};

use super::human::table;
use super::remote::{api_failure, print_json, ServerArg};
use super::CliResult;

/// See the hosts of a cluster.
#[derive(Subcommand)]
pub enum ClusterCommand {
    Status(StatusArgs),
}

/// The hosts of the server's cluster: node id, address, whether it is alive, how many
/// shards it holds and at which epoch. A server on a redb file is a cluster of one node
/// that holds its one shard.
#[derive(Args)]
#[command(
    after_help = "Example:\n  weft cluster status\n  weft cluster status --json --server http://10.0.0.2:7233"
)]
pub struct StatusArgs {
    #[command(flatten)]
    server: ServerArg,
    /// Print `{"nodes": [{"node_id", "address", "alive", "shards", "epoch"}], "shards": N}`.
    #[arg(long)]
    json: bool,
}

pub fn cluster(command: ClusterCommand) -> CliResult {
    match command {
        ClusterCommand::Status(args) => status(args),
    }
}

fn status(args: StatusArgs) -> CliResult {
    let status = args.server.client()?.cluster().map_err(api_failure)?;
    if args.json {
        return print_json(&status);
    }
    let rows: Vec<Vec<String>> = status
        .nodes
        .iter()
        .map(|n| {
            vec![
                n.node_id.clone(),
                n.address.clone(),
                if n.alive { "alive" } else { "gone" }.to_string(),
                n.shards.to_string(),
                n.epoch.to_string(),
            ]
        })
        .collect();
    print!(
        "{}",
        table(&["NODE", "ADDRESS", "STATE", "SHARDS", "EPOCH"], &rows)
    );
    println!("{} shards", status.shards);
    Ok(())
}

/// The machine's host name, the default node id (`weft` when it cannot be read).
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|name| name.trim().to_string())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "weft".to_string())
}

/// How `weft server --database` takes part in its database's cluster.
#[derive(Debug, Clone)]
#[cfg_attr(
    not(feature = "postgres"),
    allow(dead_code, reason = "a weft without PostgreSQL refuses --database")
)]
pub struct Joining {
    pub node_id: String,
    pub advertise: Option<String>,
    pub shards: Option<u32>,
    pub lease: Duration,
}

#[cfg(feature = "postgres")]
mod joined {
    use std::collections::BTreeMap;
    use std::future::Future;
    use std::pin::Pin;
    use std::sync::{Arc, Mutex};

    use prometheus::core::{Collector, Desc};
    use prometheus::proto::MetricFamily;
    use prometheus::{IntCounterVec, IntGauge, Opts};

    use super::*;
    use crate::api::cluster::ClusterView;
    use crate::api::types::{ClusterNode, ClusterStatus};
    use crate::cli::{exit, Failure};
    use weft_postgres::cluster::{ClusterConfig, Membership};
    use weft_postgres::PgStorage;

    /// A server's view of its PostgreSQL cluster.
    pub struct PgCluster {
        pub storage: Arc<PgStorage>,
        pub membership: Membership,
        pub advertised: bool,
        /// Calls forwarded while a standby, by outcome.
        pub forwards: Mutex<BTreeMap<&'static str, u64>>,
    }

    impl ClusterView for PgCluster {
        fn status(&self) -> Result<ClusterStatus, String> {
            let status = self
                .storage
                .cluster_status(self.membership.heartbeat())
                .map_err(|e| e.to_string())?;
            Ok(ClusterStatus {
                shards: status.shard_count,
                nodes: status
                    .nodes
                    .into_iter()
                    .map(|n| ClusterNode {
                        node_id: n.node_id,
                        address: n.address,
                        alive: n.alive,
                        shards: n.shards,
                        epoch: n.epoch,
                    })
                    .collect(),
            })
        }

        fn listening(&self, url: &str) {
            if !self.advertised {
                if let Err(e) = self.storage.advertise(&self.membership, url) {
                    tracing::warn!(error = %e, "the address is advertised at the next heartbeat");
                }
            }
        }

        fn ready(&self) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + '_>> {
            Box::pin(async {
                self.membership.active().await?;
                tracing::info!(node_id = %self.membership.node_id(), shards = self.membership.shard_count(), "this host holds every shard of the cluster");
                Ok(())
            })
        }

        fn is_standby(&self) -> bool {
            !self.membership.is_active()
        }

        fn forwarded(&self, outcome: &'static str) {
            *self.forwards.lock().unwrap().entry(outcome).or_default() += 1;
        }

        fn register_metrics(self: Arc<Self>, registry: &prometheus::Registry) {
            if let Err(e) = registry.register(Box::new(Figures::new(self))) {
                tracing::warn!(error = %e, "the cluster's metrics are not served");
            }
        }

        fn holder(&self) -> Option<String> {
            match self.storage.serving_address(self.membership.node_id()) {
                Ok(address) => address,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot find the host that serves the cluster");
                    None
                }
            }
        }
    }

    /// Join the cluster on `storage`: this host serves once it holds every shard (at
    /// once when it is the first host, or restarts under its node id), and waits as a
    /// standby until then.
    pub async fn join(
        storage: Arc<PgStorage>,
        joining: Joining,
        listen: &str,
    ) -> Result<PgCluster, Failure> {
        let config = ClusterConfig {
            shards: joining.shards,
            lease: joining.lease,
            // Renewals at least four times a lease: a host slowed down for a moment
            // still renews well inside the time it trusts its leases.
            heartbeat: (joining.lease / 4).min(Duration::from_secs(1)),
            margin: joining.lease / 5,
            ..ClusterConfig::new(
                joining.node_id.clone(),
                joining
                    .advertise
                    .clone()
                    .unwrap_or_else(|| format!("http://{listen}")),
            )
        };
        let joiner = storage.clone();
        let membership = tokio::task::spawn_blocking(move || joiner.join(config))
            .await
            .map_err(|e| Failure::new(exit::ERROR, format!("joining the cluster: {e}")))?
            .map_err(|e| Failure::new(exit::ERROR, format!("--database: {e}")))?;
        // The first claim ends with the keeper's first tick: whether this host is a
        // standby is known before it announces itself.
        let _ = tokio::time::timeout(Duration::from_secs(5), membership.first_tick()).await;
        if !membership.is_active() {
            tracing::info!(node_id = %joining.node_id, "standby: another host holds the shards; this one takes them over when their leases expire");
        }
        Ok(PgCluster {
            storage,
            membership,
            advertised: joining.advertise.is_some(),
            forwards: Mutex::default(),
        })
    }

    /// The cluster's figures, read from the membership when metrics are scraped.
    struct Figures {
        cluster: Arc<PgCluster>,
        held: IntGauge,
        shards: IntGauge,
        epoch: IntGauge,
        forwarded: IntCounterVec,
    }

    impl Figures {
        fn new(cluster: Arc<PgCluster>) -> Figures {
            let gauge = |name: &str, help: &str| IntGauge::new(name, help).expect("a valid gauge");
            Figures {
                cluster,
                held: gauge(
                    "weft_cluster_shards_held",
                    "shards whose lease this host holds",
                ),
                shards: gauge("weft_cluster_shards", "shards of the cluster"),
                epoch: gauge(
                    "weft_cluster_epoch",
                    "the highest epoch among the shards this host holds",
                ),
                forwarded: IntCounterVec::new(
                    Opts::new(
                        "weft_cluster_forwarded_total",
                        "calls this host forwarded as a standby, by outcome",
                    ),
                    &["outcome"],
                )
                .expect("a valid counter"),
            }
        }
    }

    impl Collector for Figures {
        fn desc(&self) -> Vec<&Desc> {
            [&self.held, &self.shards, &self.epoch]
                .into_iter()
                .flat_map(|g| g.desc())
                .chain(self.forwarded.desc())
                .collect()
        }

        fn collect(&self) -> Vec<MetricFamily> {
            let membership = &self.cluster.membership;
            self.held.set(membership.shards_held() as i64);
            self.shards.set(i64::from(membership.shard_count()));
            self.epoch.set(membership.max_epoch());
            for (outcome, count) in self.cluster.forwards.lock().unwrap().iter() {
                let counter = self.forwarded.with_label_values(&[outcome]);
                counter.inc_by(count - counter.get());
            }
            [&self.held, &self.shards, &self.epoch]
                .into_iter()
                .flat_map(|g| g.collect())
                .chain(self.forwarded.collect())
                .collect()
        }
    }
}

#[cfg(feature = "postgres")]
pub use joined::join;
