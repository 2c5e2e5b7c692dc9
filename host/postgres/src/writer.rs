//! Group commit: one writer task, one connection of its own, one transaction for every
//! batch waiting (up to [`MAX_GROUP`]), and an answer per batch.
//!
//! When a group's transaction fails, its batches are tried again one at a time, each in
//! a transaction of its own, so a bad batch fails alone. When the connection drops while
//! `COMMIT` is in flight, nobody knows whether the transaction committed: the writer
//! asks on a new connection, by the transaction id it took at the start
//! (`pg_xact_status`), and answers only once it knows (an error only when the database
//! cannot tell, e.g. after a failover to a standby that never saw the id).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};
use tokio_postgres::{Client, Config, NoTls};
use weft_runtime::storage::{CommitObserver, StorageError, Write};

use crate::apply::{apply, Prepared};
use crate::cluster::Leases;

/// Most batches one transaction takes, as redb's writer.
const MAX_GROUP: usize = 512;

/// How long the writer waits for a transaction's fate to be known.
const RESOLVE_FOR: Duration = Duration::from_secs(30);

pub type Request = (Vec<Write>, oneshot::Sender<Result<(), Arc<StorageError>>>);

/// Where the writer reports its group commits, if anywhere.
pub type Observer = Arc<RwLock<Option<Arc<dyn CommitObserver>>>>;

/// The writer's connection, made again after it is lost.
struct Connection {
    config: Config,
    client: Option<Client>,
    prepared: Prepared,
}

impl Connection {
    async fn client(&mut self) -> Result<&Client, StorageError> {
        if self.client.as_ref().is_none_or(Client::is_closed) {
            self.prepared.clear();
            self.client = Some(connect(&self.config).await.map_err(|e| {
                StorageError::Database(format!("cannot connect to PostgreSQL: {e}"))
            })?);
        }
        Ok(self.client.as_ref().expect("just connected"))
    }
}

/// A new connection, its driver spawned on the current runtime.
pub async fn connect(config: &Config) -> Result<Client, tokio_postgres::Error> {
    let (client, connection) = config.connect(NoTls).await?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::warn!(error = %e, "a PostgreSQL connection of the storage failed");
        }
    });
    Ok(client)
}

/// Take every waiting request, commit them together, answer each; until every sender
/// is gone.
pub async fn write_loop(
    config: Config,
    mut requests: mpsc::UnboundedReceiver<Request>,
    observer: Observer,
    leases: Arc<Leases>,
    failed: Arc<OnceLock<String>>,
) {
    let mut connection = Connection {
        config,
        client: None,
        prepared: Prepared::new(),
    };
    while let Some(first) = requests.recv().await {
        if let Some(why) = failed.get() {
            // What the host holds may not match the database: nothing more is written.
            let _ = first
                .1
                .send(Err(Arc::new(StorageError::OutcomeUnknown(why.clone()))));
            continue;
        }
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match requests.try_recv() {
                Ok(r) => group.push(r),
                Err(_) => break,
            }
        }
        let began = Instant::now();
        let results = commit_group(&mut connection, &group, &leases).await;
        if let Some(Err(e)) = results
            .iter()
            .find(|r| r.as_ref().is_err_and(|e| e.is_fatal()))
        {
            let _ = failed.set(e.to_string());
        }
        if let Some(observer) = observer.read().unwrap().as_ref() {
            observer.committed(group.len(), began.elapsed().as_secs_f64());
        }
        for ((_, done), result) in group.into_iter().zip(results) {
            let _ = done.send(result);
        }
    }
}

/// One result per batch: all of them in one transaction, or, when that fails, each in
/// its own. A batch whose fence fails (here, or in the database) is left out and
/// answered [`StorageError::FenceLost`].
async fn commit_group(
    connection: &mut Connection,
    group: &[Request],
    leases: &Leases,
) -> Vec<Result<(), Arc<StorageError>>> {
    let mut results: Vec<Option<Result<(), Arc<StorageError>>>> = vec![None; group.len()];
    let mut fences = vec![Vec::new(); group.len()];
    for (i, (writes, _)) in group.iter().enumerate() {
        match fences_of(writes, leases) {
            Ok(held) => fences[i] = held,
            Err(shard) => results[i] = Some(Err(Arc::new(StorageError::FenceLost { shard }))),
        }
    }
    let live: Vec<usize> = (0..group.len()).filter(|&i| results[i].is_none()).collect();
    let batches: Vec<Batch> = live
        .iter()
        .map(|&i| (&group[i].0[..], &fences[i][..]))
        .collect();
    match transaction(connection, &batches, leases).await {
        Ok(fenced) => {
            for (k, &i) in live.iter().enumerate() {
                results[i] = Some(fenced_or_ok(&fenced, k));
            }
        }
        // Whether it was written is unknown: trying again could write it twice.
        Err(Failure::Unknown(e)) => {
            let e = Arc::new(e);
            for &i in &live {
                results[i] = Some(Err(e.clone()));
            }
        }
        Err(Failure::Failed(e)) if live.len() == 1 => results[live[0]] = Some(Err(Arc::new(e))),
        Err(Failure::Failed(e)) => {
            tracing::debug!(error = %e, batches = live.len(), "a group commit failed; committing its batches one by one");
            for (k, &i) in live.iter().enumerate() {
                let result = transaction(connection, &batches[k..=k], leases).await;
                results[i] = Some(match result {
                    Ok(fenced) => fenced_or_ok(&fenced, 0),
                    Err(f) => Err(Arc::new(f.into_error())),
                });
            }
        }
    }
    results
        .into_iter()
        .map(|r| r.expect("every batch answered"))
        .collect()
}

/// A batch's writes and the (shard, epoch) of each of its fences.
type Batch<'a> = (&'a [Write], &'a [(u32, i64)]);

fn fenced_or_ok(fenced: &HashMap<usize, u32>, k: usize) -> Result<(), Arc<StorageError>> {
    match fenced.get(&k) {
        Some(&shard) => Err(Arc::new(StorageError::FenceLost { shard })),
        None => Ok(()),
    }
}

/// The (shard, epoch) each fence of `writes` holds; the shard of the first that this
/// host does not hold (or no longer trusts). Fences mean nothing outside a cluster.
fn fences_of(writes: &[Write], leases: &Leases) -> Result<Vec<(u32, i64)>, u32> {
    if leases.shard_count().is_none() {
        return Ok(Vec::new());
    }
    writes
        .iter()
        .filter_map(|w| match w {
            Write::Fence { workflow_id } => Some(leases.fence(workflow_id)),
            _ => None,
        })
        .collect()
}

/// Why a transaction did not answer `Ok`.
enum Failure {
    /// Nothing of it was written.
    Failed(StorageError),
    /// The database could not tell whether it committed.
    Unknown(StorageError),
}

impl Failure {
    fn into_error(self) -> StorageError {
        match self {
            Failure::Failed(e) | Failure::Unknown(e) => e,
        }
    }
}

impl From<StorageError> for Failure {
    fn from(e: StorageError) -> Self {
        Failure::Failed(e)
    }
}

/// Write `batches` in one transaction and commit it; `Ok` once it is durable, with the
/// batches (by place, with their shard) left out because the database holds another
/// epoch for one of their shards.
async fn transaction(
    connection: &mut Connection,
    batches: &[Batch<'_>],
    leases: &Leases,
) -> Result<HashMap<usize, u32>, Failure> {
    let mut left_out: HashMap<usize, u32> = HashMap::new();
    loop {
        let kept: Vec<usize> = (0..batches.len())
            .filter(|k| !left_out.contains_key(k))
            .collect();
        if kept.is_empty() {
            return Ok(left_out);
        }
        let subset: Vec<Batch> = kept.iter().map(|&k| batches[k]).collect();
        match attempt(connection, &subset).await? {
            Attempt::Committed => return Ok(left_out),
            Attempt::Fenced(fenced) => {
                for (j, shard) in fenced {
                    leases.lose(format!("shard {shard} was taken over by another host"));
                    left_out.insert(kept[j], shard);
                }
            }
        }
    }
}

/// How one transaction ended.
enum Attempt {
    Committed,
    /// Rolled back: these batches (by place) are fenced by a shard whose epoch moved on.
    Fenced(HashMap<usize, u32>),
}

/// One transaction over `batches`. The fence check and the writes go out together
/// (pipelined, one round trip): the check runs first on the server, so its locks are
/// held before anything is written, and when it finds a shard that moved on the
/// transaction is rolled back.
async fn attempt(connection: &mut Connection, batches: &[Batch<'_>]) -> Result<Attempt, Failure> {
    let client = connection.client().await?;
    let begun = client
        .simple_query("BEGIN; SELECT pg_current_xact_id()::text")
        .await
        .map_err(|e| failed("BEGIN", e))?;
    let xid = begun
        .iter()
        .find_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(row) => row.get(0).map(str::to_string),
            _ => None,
        })
        .ok_or_else(|| StorageError::Database("BEGIN returned no transaction id".into()))?;
    let Connection {
        client, prepared, ..
    } = connection;
    let client = client.as_ref().expect("connected above");
    let writes = batches.iter().flat_map(|(writes, _)| writes.iter());
    let (checked, applied) = tokio::join!(
        check_fences(client, batches),
        apply(client, prepared, writes)
    );
    let refused = match (checked, applied) {
        (Err(e), _) => Some(Err(failed("the shard fence check", e).into())),
        (Ok(fenced), _) if !fenced.is_empty() => Some(Ok(Attempt::Fenced(fenced))),
        (Ok(_), Err(e)) => Some(Err(failed("a write", e).into())),
        (Ok(_), Ok(())) => None,
    };
    if let Some(refused) = refused {
        if !client.is_closed() {
            // A failed statement leaves the transaction aborted; end it.
            let _ = client.batch_execute("ROLLBACK").await;
        }
        return refused;
    }
    match client.batch_execute("COMMIT").await {
        Ok(()) => Ok(Attempt::Committed),
        // The server answered: it refused the commit, nothing was written. (Not a
        // server that is shutting down or crashing: it may end the session with a
        // FATAL error after the commit record is durable, so that is a lost answer.)
        Err(e)
            if e.as_db_error()
                .is_some_and(|db| !ends_the_session(db.code())) =>
        {
            Err(failed("COMMIT", e).into())
        }
        Err(e) => {
            tracing::warn!(error = %e, xid, "the connection was lost during COMMIT; asking the database how the transaction ended");
            connection.client = None;
            match resolve(&connection.config, &xid).await {
                Resolved::Committed => Ok(Attempt::Committed),
                Resolved::Aborted(e) => Err(Failure::Failed(e)),
                Resolved::Unknown(e) => Err(Failure::Unknown(e)),
            }
        }
    }
}

/// Lock the rows of the shards `batches` are fenced by (`FOR SHARE`: a takeover's
/// update of the epoch waits for this transaction, and this one sees a takeover that
/// committed before it) and compare their epochs with the ones held; the batches (by
/// place) fenced by a shard whose epoch moved on.
async fn check_fences(
    client: &Client,
    batches: &[Batch<'_>],
) -> Result<HashMap<usize, u32>, tokio_postgres::Error> {
    let shards: HashSet<i32> = batches
        .iter()
        .flat_map(|(_, fences)| fences.iter().map(|&(shard, _)| shard as i32))
        .collect();
    if shards.is_empty() {
        return Ok(HashMap::new());
    }
    let shards: Vec<i32> = shards.into_iter().collect();
    let rows = client
        .query(
            "SELECT shard_id, epoch FROM shards WHERE shard_id = ANY($1) FOR SHARE",
            &[&shards],
        )
        .await?;
    let epochs: HashMap<u32, i64> = rows
        .iter()
        .map(|r| (r.get::<_, i32>(0) as u32, r.get::<_, i64>(1)))
        .collect();
    Ok(batches
        .iter()
        .enumerate()
        .filter_map(|(k, (_, fences))| {
            fences
                .iter()
                .find(|&&(shard, epoch)| epochs.get(&shard) != Some(&epoch))
                .map(|&(shard, _)| (k, shard))
        })
        .collect())
}

/// Whether an error with this SQLSTATE ends the session without saying how the
/// statement in flight ended: an operator's intervention (class 57: an admin or crash
/// shutdown) or a connection exception (class 08).
fn ends_the_session(code: &tokio_postgres::error::SqlState) -> bool {
    let class = &code.code()[..2];
    class == "57" || class == "08"
}

fn failed(what: &str, e: tokio_postgres::Error) -> StorageError {
    StorageError::Database(format!(
        "PostgreSQL {what} failed, nothing was written: {e}"
    ))
}

/// How a transaction whose `COMMIT` got no answer ended.
#[derive(Debug)]
pub enum Resolved {
    Committed,
    Aborted(StorageError),
    Unknown(StorageError),
}

/// How transaction `xid` ended, asked on new connections until the database knows.
pub async fn resolve(config: &Config, xid: &str) -> Resolved {
    let deadline = Instant::now() + RESOLVE_FOR;
    let mut last = String::from("no answer yet");
    while Instant::now() < deadline {
        match status_of(config, xid).await {
            Ok(Some(status)) if status == "committed" => return Resolved::Committed,
            Ok(Some(status)) if status == "aborted" => {
                return Resolved::Aborted(StorageError::Database(format!(
                    "the connection to PostgreSQL was lost during COMMIT and transaction {xid} \
                     aborted: nothing was written"
                )))
            }
            // In progress: the server has not yet seen that its client is gone.
            Ok(Some(status)) => last = status,
            Ok(None) => break,
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Resolved::Unknown(StorageError::OutcomeUnknown(format!(
        "the connection to PostgreSQL was lost during COMMIT and whether transaction {xid} \
         committed is unknown ({last})"
    )))
}

/// `pg_xact_status` of `xid` on a new connection (`None`: too old or unknown to it).
async fn status_of(config: &Config, xid: &str) -> Result<Option<String>, tokio_postgres::Error> {
    let client = connect(config).await?;
    let row = client
        .query_one("SELECT pg_xact_status($1::text::xid8)", &[&xid])
        .await?;
    row.try_get(0)
}
