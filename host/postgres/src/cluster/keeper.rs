//! The lease keeper: the statements that join a cluster, heartbeat, claim and renew
//! shard leases and release them, and the loop that runs them on a connection of its
//! own.
//!
//! Every time is the database's clock (`now()`), so hosts whose clocks disagree still
//! agree on who holds what; this process trusts its leases on its own monotonic clock,
//! for a little less than the lease lasts (see `leases.rs`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::watch;
use tokio_postgres::{Client, Config};

use super::leases::Leases;
use super::rendezvous::assigned;
use super::ClusterConfig;
use super::HASH_NAME;
use crate::writer::connect;
use crate::OpenError;

/// Create the cluster's row and shards if this is the first host, and check that the
/// database's cluster is one this weft can join; its shard count and key.
pub async fn create_or_check(
    client: &Client,
    shards: Option<u32>,
) -> Result<(u32, String), OpenError> {
    let wanted = shards.unwrap_or(super::DEFAULT_SHARDS) as i32;
    client
        .execute(
            "INSERT INTO cluster (id, shard_count, hash_name) VALUES (1, $1, $2) \
             ON CONFLICT (id) DO NOTHING",
            &[&wanted, &HASH_NAME],
        )
        .await?;
    // Two random UUIDs: 244 random bits, from the database's own generator.
    client
        .execute(
            "UPDATE cluster SET cluster_key = gen_random_uuid()::text || gen_random_uuid()::text \
             WHERE id = 1 AND cluster_key IS NULL",
            &[],
        )
        .await?;
    let row = client
        .query_one(
            "SELECT shard_count, hash_name, cluster_key FROM cluster WHERE id = 1",
            &[],
        )
        .await?;
    let (count, hash, key): (i32, String, String) = (row.get(0), row.get(1), row.get(2));
    if hash != HASH_NAME {
        return Err(OpenError::Cluster(format!(
            "the database's cluster places workflows with `{hash}`, which this weft does not know"
        )));
    }
    if let Some(asked) = shards.filter(|&s| s as i32 != count) {
        return Err(OpenError::Cluster(format!(
            "the database's cluster has {count} shards; --shards {asked} applies only when a \
             cluster is created (leave it out to join)"
        )));
    }
    client
        .execute(
            "INSERT INTO shards (shard_id) SELECT generate_series(0, $1 - 1) \
             ON CONFLICT (shard_id) DO NOTHING",
            &[&count],
        )
        .await?;
    Ok((count as u32, key))
}

/// Record this process as the node `config.node_id`, with a new session (a process
/// still running under the same id stops at its next heartbeat).
pub async fn join(client: &Client, config: &ClusterConfig, session: &str) -> Result<(), OpenError> {
    client
        .execute(
            "INSERT INTO nodes (node_id, session, address, heartbeat_at, joined_at) \
             VALUES ($1, $2, $3, now(), now()) \
             ON CONFLICT (node_id) DO UPDATE SET session = $2, address = $3, \
             heartbeat_at = now(), joined_at = now()",
            &[&config.node_id, &session, &config.address],
        )
        .await?;
    Ok(())
}

/// The keeper's state between ticks.
pub struct Keeper {
    pub config: ClusterConfig,
    pub db: Config,
    pub session: String,
    pub shard_count: u32,
    pub leases: Arc<Leases>,
    /// Where this node's API is reached (set again once the server listens).
    pub address: Arc<Mutex<String>>,
    /// How many shards this process holds, for whoever waits to become active.
    pub held: watch::Sender<usize>,
}

impl Keeper {
    /// Heartbeat, renew and claim every `config.heartbeat`, until the leases are lost
    /// or `stop` fires; then release what is still held.
    pub async fn run(self, mut stop: tokio::sync::oneshot::Receiver<()>) {
        let mut client: Option<Client> = None;
        loop {
            if let Err(e) = self.tick(&mut client).await {
                client = None;
                tracing::warn!(error = %e, "the cluster lease keeper could not reach PostgreSQL");
                if self.leases.lapsed() {
                    self.leases.lose(format!(
                        "the shard leases could not be renewed before they lapsed ({e})"
                    ));
                }
            }
            if self.leases.lost().is_some() {
                return;
            }
            tokio::select! {
                _ = tokio::time::sleep(self.config.heartbeat) => {}
                _ = &mut stop => break,
            }
        }
        if let Some(client) = client {
            if let Err(e) = release(&client, &self.session).await {
                tracing::warn!(error = %e, "could not release the shard leases; they expire instead");
            }
        }
    }

    async fn tick(&self, client: &mut Option<Client>) -> Result<(), tokio_postgres::Error> {
        if client.as_ref().is_none_or(Client::is_closed) {
            *client = Some(connect(&self.db).await?);
        }
        let client = client.as_ref().expect("connected above");
        let sent = Instant::now();
        let address = self.address.lock().unwrap().clone();
        let beat = client
            .execute(
                "UPDATE nodes SET heartbeat_at = now(), address = $3 \
                 WHERE node_id = $1 AND session = $2",
                &[&self.config.node_id, &self.session, &address],
            )
            .await?;
        if beat == 0 {
            self.leases.lose(format!(
                "another process joined the cluster as node `{}`",
                self.config.node_id
            ));
            return Ok(());
        }
        let ttl = self.config.lease.as_secs_f64();
        let renewed = client
            .query(
                "UPDATE shards SET lease_until = now() + make_interval(secs => $2) \
                 WHERE owner_session = $1 RETURNING shard_id, epoch",
                &[&self.session, &ttl],
            )
            .await?;
        let renewed: HashMap<u32, i64> = renewed
            .iter()
            .map(|r| (r.get::<_, i32>(0) as u32, r.get::<_, i64>(1)))
            .collect();
        if let Some(shard) = self
            .leases
            .held()
            .into_iter()
            .find(|s| !renewed.contains_key(s))
        {
            self.leases
                .lose(format!("shard {shard} was taken over by another host"));
            return Ok(());
        }
        let live = live_nodes(client, self.config.heartbeat).await?;
        let wanted = assigned(&self.config.node_id, &live, self.shard_count);
        let surplus: Vec<u32> = (renewed.keys())
            .filter(|s| !wanted.contains(s))
            .copied()
            .collect();
        if !surplus.is_empty() {
            // Let the runs go first, then the fence, then the rows: nothing this host
            // still commits for them lands once the next owner claims them.
            self.leases.release(&surplus);
            release_shards(client, &self.session, &surplus).await?;
            tracing::info!(
                shards = surplus.len(),
                "released shard leases to other hosts"
            );
        }
        let missing: Vec<i32> = (wanted.iter())
            .filter(|s| !renewed.contains_key(s))
            .map(|&s| s as i32)
            .collect();
        if !missing.is_empty() {
            let claimed = claim(client, &self.config.node_id, &self.session, ttl, &missing).await?;
            if !claimed.is_empty() {
                tracing::info!(shards = claimed.len(), "claimed shard leases");
                self.leases.gained(&claimed);
            }
        }
        let trust = self.config.lease.saturating_sub(self.config.margin);
        self.leases.renewed(sent + trust);
        self.held.send_replace(self.leases.held().len());
        Ok(())
    }
}

/// Take the shards of `wanted` that nobody holds, whose lease expired, or that a
/// previous process of this node held (a restart takes its shards back at once); each
/// with its epoch raised, which fences the previous holder. Two claimers of one row
/// cannot both win it: the second finds it taken when its update re-checks the row.
async fn claim(
    client: &Client,
    node_id: &str,
    session: &str,
    ttl: f64,
    wanted: &[i32],
) -> Result<Vec<(u32, i64)>, tokio_postgres::Error> {
    let rows = client
        .query(
            "UPDATE shards SET owner_node = $1, owner_session = $2, epoch = epoch + 1, \
             lease_until = now() + make_interval(secs => $3) \
             WHERE shard_id = ANY($4) AND owner_session IS DISTINCT FROM $2 \
             AND (owner_session IS NULL OR lease_until < now() OR owner_node = $1) \
             RETURNING shard_id, epoch",
            &[&node_id, &session, &ttl, &wanted],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| (r.get::<_, i32>(0) as u32, r.get::<_, i64>(1)))
        .collect())
}

/// The nodes that heartbeated lately, by node id.
async fn live_nodes(
    client: &Client,
    heartbeat: Duration,
) -> Result<Vec<String>, tokio_postgres::Error> {
    let dead = dead_after(heartbeat).as_secs_f64();
    let rows = client
        .query(
            "SELECT node_id FROM nodes \
             WHERE heartbeat_at > now() - make_interval(secs => $1) ORDER BY node_id",
            &[&dead],
        )
        .await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// Give up `shards` of this session (handed to the hosts they are assigned to now).
async fn release_shards(
    client: &Client,
    session: &str,
    shards: &[u32],
) -> Result<u64, tokio_postgres::Error> {
    let shards: Vec<i32> = shards.iter().map(|&s| s as i32).collect();
    client
        .execute(
            "UPDATE shards SET owner_session = NULL, lease_until = NULL \
             WHERE owner_session = $1 AND shard_id = ANY($2)",
            &[&session, &shards],
        )
        .await
}

/// Give up every shard this session holds (a graceful shutdown), so another host takes
/// them at once instead of after the lease.
async fn release(client: &Client, session: &str) -> Result<u64, tokio_postgres::Error> {
    client
        .execute(
            "UPDATE shards SET owner_session = NULL, lease_until = NULL \
             WHERE owner_session = $1",
            &[&session],
        )
        .await
}

/// How long past its last heartbeat a node counts as gone.
pub fn dead_after(heartbeat: Duration) -> Duration {
    (heartbeat * 3).max(Duration::from_secs(1))
}
