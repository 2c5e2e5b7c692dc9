//! Hosts on one database form a cluster: the database is split into a fixed number of
//! shards (a workflow id's shard is [`shard_of`] it), and each shard is leased to one
//! live host, with an epoch raised at every takeover. Every batch a host commits for a
//! run carries a fence ([`Write::Fence`](weft_runtime::storage::Write::Fence)); the
//! writer checks it against the shard's row in the same transaction (`FOR SHARE`), so a
//! host that lost a shard, even one that wakes from a long pause, writes nothing for it.
//!
//! Each live host holds the shards rendezvous hashing assigns it among the live nodes
//! (see `rendezvous.rs`): a host that joins takes about 1/n of them from the others,
//! which release them gracefully; the shards of a host that dies are claimed once their
//! leases expire (at once when it restarts with its node id). A host that loses a lease
//! it did not release stops, as it does after a storage I/O error, and a supervisor
//! restarts it.

mod host_shards;
mod keeper;
mod leases;
mod rendezvous;

pub use host_shards::HostShards;
pub use leases::{Leases, ShardListener};
pub use weft_runtime::placement::{shard_of, HASH_NAME};

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{oneshot, watch};
use tokio_postgres::Client;

use crate::OpenError;

/// The shard count of a cluster created without `--shards`.
pub const DEFAULT_SHARDS: u32 = 256;

/// How a host joins a cluster.
#[derive(Debug, Clone)]
pub struct ClusterConfig {
    /// This host's name in the cluster; a restart under the same name takes the shards
    /// its previous process held at once.
    pub node_id: String,
    /// The address other hosts and clients reach this host's API at.
    pub address: String,
    /// The shard count, when this host may create the cluster (`--shards`); a database
    /// whose cluster has another count is refused.
    pub shards: Option<u32>,
    /// How long a lease lasts without renewal.
    pub lease: Duration,
    /// How often the host heartbeats and renews.
    pub heartbeat: Duration,
    /// How long before its lease could expire a host stops trusting it.
    pub margin: Duration,
}

impl ClusterConfig {
    /// The defaults: leases of 10 s renewed every second, trusted until 2 s before they
    /// could expire.
    pub fn new(node_id: impl Into<String>, address: impl Into<String>) -> ClusterConfig {
        ClusterConfig {
            node_id: node_id.into(),
            address: address.into(),
            shards: None,
            lease: Duration::from_secs(10),
            heartbeat: Duration::from_secs(1),
            margin: Duration::from_secs(2),
        }
    }
}

/// One host of a cluster, as the database sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeStatus {
    pub node_id: String,
    pub address: String,
    /// It heartbeated within the last three heartbeat periods.
    pub alive: bool,
    /// The shards whose unexpired lease it holds.
    pub shards: u32,
    /// The highest epoch among those shards (0 when it holds none).
    pub epoch: i64,
}

/// Who holds what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterStatus {
    pub shard_count: u32,
    pub nodes: Vec<NodeStatus>,
}

/// This process's place in the cluster. Dropping it (or [`Membership::leave`]) stops the
/// lease keeper and releases the shards it holds.
pub struct Membership {
    pub(crate) config: ClusterConfig,
    pub(crate) leases: Arc<Leases>,
    pub(crate) held: watch::Receiver<usize>,
    pub(crate) stop: Option<oneshot::Sender<()>>,
    pub(crate) keeper: Option<tokio::task::JoinHandle<()>>,
    pub(crate) handle: tokio::runtime::Handle,
    pub(crate) address: Arc<Mutex<String>>,
}

impl Membership {
    pub fn node_id(&self) -> &str {
        &self.config.node_id
    }

    pub fn shard_count(&self) -> u32 {
        self.leases.shard_count().unwrap_or(0)
    }

    /// How often this host heartbeats (and how long, three times over, before a node
    /// that stopped heartbeating counts as gone).
    pub fn heartbeat(&self) -> Duration {
        self.config.heartbeat
    }

    /// How many shards this host holds now.
    pub fn shards_held(&self) -> usize {
        self.leases.held().len()
    }

    /// The highest epoch among the shards this host holds (0 when none is).
    pub fn max_epoch(&self) -> i64 {
        self.leases.max_epoch()
    }

    /// Wait until the lease keeper has made its first round (joined, claimed what was
    /// free and assigned to it).
    pub async fn first_tick(&self) {
        let mut held = self.held.clone();
        let _ = held.changed().await;
    }

    /// Wait until this host holds every shard; an error once its leases are lost.
    pub async fn active(&self) -> Result<(), String> {
        let mut held = self.held.clone();
        let count = self.shard_count() as usize;
        loop {
            if let Some(why) = self.leases.lost() {
                return Err(why.to_string());
            }
            if *held.borrow_and_update() == count {
                return Ok(());
            }
            if held.changed().await.is_err() {
                return Err(self
                    .leases
                    .lost()
                    .unwrap_or("the lease keeper stopped")
                    .to_string());
            }
        }
    }

    /// Advertise `address` as this node's from the next heartbeat on (a server that
    /// learns its port only once it listens).
    pub fn advertise(&self, address: &str) {
        *self.address.lock().unwrap() = address.to_string();
    }

    /// Tell `listener` of the shards held now and of every shard gained or released
    /// from now on.
    pub fn listen(&self, listener: Arc<dyn ShardListener>) {
        self.leases.listen(listener);
    }

    /// The shards this host holds now, in order.
    pub fn held(&self) -> Vec<u32> {
        self.leases.held()
    }

    /// The key the hosts of this cluster present to one another's internal routes.
    pub fn key(&self) -> String {
        self.leases.key().unwrap_or_default().to_string()
    }

    /// Why this host lost its leases, if it did: it must stop.
    pub fn lost(&self) -> Option<String> {
        self.leases.lost().map(str::to_string)
    }

    /// Stop the lease keeper and release the shards (waits for the release).
    pub fn leave(mut self) {
        self.stop_keeper();
    }

    /// Stop renewing without releasing anything, as a process that died would: the
    /// other hosts take the shards over once their leases expire.
    pub fn abandon(mut self) {
        if let Some(keeper) = self.keeper.take() {
            keeper.abort();
        }
        self.stop.take();
    }

    fn stop_keeper(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(keeper) = self.keeper.take() {
            let (done, wait) = std::sync::mpsc::sync_channel(1);
            self.handle.spawn(async move {
                let _ = keeper.await;
                let _ = done.send(());
            });
            let _ = wait.recv_timeout(Duration::from_secs(5));
        }
    }
}

impl Drop for Membership {
    fn drop(&mut self) {
        self.stop_keeper();
    }
}

/// What [`start`] hands the membership: the held-shard count to watch, the keeper's stop
/// and the keeper itself.
pub(crate) type Started = (
    watch::Receiver<usize>,
    oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
);

/// Join: create or check the cluster, record the node, start the keeper (whose first
/// tick claims what is free).
pub(crate) async fn start(
    client: &Client,
    db: tokio_postgres::Config,
    config: ClusterConfig,
    leases: Arc<Leases>,
    address: Arc<Mutex<String>>,
) -> Result<Started, OpenError> {
    let (shard_count, key) = keeper::create_or_check(client, config.shards).await?;
    leases.set_key(key);
    let session = uuid::Uuid::new_v4().simple().to_string();
    keeper::join(client, &config, &session).await?;
    leases.set_shard_count(shard_count);
    let (held_tx, held) = watch::channel(0);
    let (stop_tx, stop) = oneshot::channel();
    let keeper = keeper::Keeper {
        config,
        db,
        session,
        shard_count,
        leases,
        address,
        held: held_tx,
    };
    Ok((held, stop_tx, tokio::spawn(keeper.run(stop))))
}

/// The address of the node that holds `shard`'s unexpired lease.
pub(crate) async fn owner_address(
    client: &Client,
    shard: u32,
) -> Result<Option<String>, tokio_postgres::Error> {
    let row = client
        .query_opt(
            "SELECT n.address FROM shards s JOIN nodes n \
             ON n.node_id = s.owner_node AND n.session = s.owner_session \
             WHERE s.shard_id = $1 AND s.lease_until > now()",
            &[&(shard as i32)],
        )
        .await?;
    Ok(row.map(|r| r.get(0)))
}

/// Who holds what, read from the database.
pub(crate) async fn status(
    client: &Client,
    heartbeat: Duration,
) -> Result<ClusterStatus, tokio_postgres::Error> {
    let count: i32 = client
        .query_one("SELECT shard_count FROM cluster WHERE id = 1", &[])
        .await?
        .get(0);
    let dead = keeper::dead_after(heartbeat).as_secs_f64();
    let rows = client
        .query(
            "SELECT n.node_id, n.address, n.heartbeat_at > now() - make_interval(secs => $1), \
             count(s.shard_id), coalesce(max(s.epoch), 0) \
             FROM nodes n LEFT JOIN shards s \
             ON s.owner_node = n.node_id AND s.owner_session = n.session AND s.lease_until > now() \
             GROUP BY n.node_id, n.address, n.heartbeat_at ORDER BY n.node_id",
            &[&dead],
        )
        .await?;
    Ok(ClusterStatus {
        shard_count: count as u32,
        nodes: rows
            .iter()
            .map(|r| NodeStatus {
                node_id: r.get(0),
                address: r.get(1),
                alive: r.get(2),
                shards: r.get::<_, i64>(3) as u32,
                epoch: r.get(4),
            })
            .collect(),
    })
}
