//! `weft cluster status`, and how `weft server --database` joins its cluster: it serves
//! the shards rendezvous hashing gives it among the live hosts, taking up their runs as
//! it claims them and letting them go as it releases them.

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
    use weft_postgres::cluster::{ClusterConfig, HostShards, Membership};
    use weft_postgres::PgStorage;
    use weft_runtime::placement::Placement;
    use weft_runtime::runtime::Host;
    use weft_runtime::storage::Storage;

    /// A server's view of its PostgreSQL cluster.
    pub struct PgCluster {
        pub storage: Arc<PgStorage>,
        pub membership: Membership,
        pub advertised: bool,
        /// The shards the host serves (held by the membership, taken up by the host).
        pub placement: Arc<Placement>,
        /// Calls forwarded to the hosts that serve them, by outcome.
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
                match self.membership.lost() {
                    Some(why) => Err(why),
                    None => Ok(()),
                }
            })
        }

        fn node_id(&self) -> String {
            self.membership.node_id().to_string()
        }

        fn cluster_key(&self) -> Option<String> {
            Some(self.membership.key())
        }

        fn placement(&self) -> Arc<Placement> {
            self.placement.clone()
        }

        fn attach(&self, host: &Host) {
            self.membership.listen(Arc::new(HostShards::new(host)));
            // Modules deployed through other hosts are known here within a heartbeat.
            let (weak, every) = (host.downgrade(), self.membership.heartbeat());
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(every).await;
                    let Some(host) = weak.upgrade() else { return };
                    let refreshed = tokio::task::spawn_blocking(move || host.refresh_versions());
                    if let Ok(Err(e)) = refreshed.await {
                        tracing::warn!(error = %e, "cannot read the deployed modules");
                    }
                }
            });
        }

        fn is_partial(&self) -> bool {
            true
        }

        fn serves(&self, workflow_id: &str) -> bool {
            self.placement.owns(workflow_id)
        }

        fn workflow_of(&self, id: &str) -> String {
            match self.storage.run(id) {
                Ok(Some(run)) => run.workflow_id,
                _ => id.to_string(),
            }
        }

        fn owner_of(&self, workflow_id: &str) -> Option<String> {
            let shard = self.placement.shard_of(workflow_id);
            match self.storage.owner_address(shard) {
                Ok(address) => address,
                Err(e) => {
                    tracing::warn!(error = %e, shard, "cannot find the host that serves a shard");
                    None
                }
            }
        }

        fn forwarded(&self, outcome: &'static str) {
            *self.forwards.lock().unwrap().entry(outcome).or_default() += 1;
        }

        fn register_metrics(self: Arc<Self>, registry: &prometheus::Registry) {
            if let Err(e) = registry.register(Box::new(Figures::new(self))) {
                tracing::warn!(error = %e, "the cluster's metrics are not served");
            }
        }
    }

    /// Join the cluster on `storage`: this host serves the shards rendezvous hashing
    /// assigns it among the live hosts, claimed as the hosts that held them release
    /// them or their leases expire.
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
        let _ = tokio::time::timeout(Duration::from_secs(5), membership.first_tick()).await;
        tracing::info!(node_id = %joining.node_id, shards = membership.shards_held(), "joined the cluster");
        Ok(PgCluster {
            placement: Arc::new(Placement::shards(membership.shard_count())),
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
                        "calls this host forwarded to the host that serves them, and its own requests for runs other hosts serve (internal), by outcome",
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
