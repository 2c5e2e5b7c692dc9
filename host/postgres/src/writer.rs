//! Group commit: one writer task, one connection of its own, one transaction for every
//! batch waiting (up to [`MAX_GROUP`]), and an answer per batch.
//!
//! When a group's transaction fails, its batches are tried again one at a time, each in
//! a transaction of its own, so a bad batch fails alone. When the connection drops while
//! `COMMIT` is in flight, nobody knows whether the transaction committed: the writer
//! asks on a new connection, by the transaction id it took at the start
//! (`pg_xact_status`), and answers only once it knows (an error only when the database
//! cannot tell, e.g. after a failover to a standby that never saw the id).

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};
use tokio_postgres::{Client, Config, NoTls};
use weft_runtime::storage::{CommitObserver, StorageError, Write};

use crate::apply::{apply, Prepared};

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
) {
    let mut connection = Connection {
        config,
        client: None,
        prepared: Prepared::new(),
    };
    while let Some(first) = requests.recv().await {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match requests.try_recv() {
                Ok(r) => group.push(r),
                Err(_) => break,
            }
        }
        let began = Instant::now();
        let results = commit_group(&mut connection, &group).await;
        if let Some(observer) = observer.read().unwrap().as_ref() {
            observer.committed(group.len(), began.elapsed().as_secs_f64());
        }
        for ((_, done), result) in group.into_iter().zip(results) {
            let _ = done.send(result);
        }
    }
}

/// One result per batch: all of them in one transaction, or, when that fails, each in
/// its own.
async fn commit_group(
    connection: &mut Connection,
    group: &[Request],
) -> Vec<Result<(), Arc<StorageError>>> {
    let all = group.iter().flat_map(|(writes, _)| writes);
    match transaction(connection, all).await {
        Ok(()) => vec![Ok(()); group.len()],
        // Whether it was written is unknown: trying again could write it twice.
        Err(Failure::Unknown(e)) => vec![Err(Arc::new(e)); group.len()],
        Err(Failure::Failed(e)) if group.len() == 1 => vec![Err(Arc::new(e))],
        Err(Failure::Failed(e)) => {
            tracing::debug!(error = %e, batches = group.len(), "a group commit failed; committing its batches one by one");
            let mut results = Vec::with_capacity(group.len());
            for (writes, _) in group {
                let result = transaction(connection, writes.iter()).await;
                results.push(result.map_err(|f| Arc::new(f.into_error())));
            }
            results
        }
    }
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

/// Write `writes` in one transaction and commit it; `Ok` once it is durable.
async fn transaction<'a>(
    connection: &mut Connection,
    writes: impl Iterator<Item = &'a Write>,
) -> Result<(), Failure> {
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
    let client = connection.client.as_ref().expect("connected above");
    if let Err(e) = apply(client, &mut connection.prepared, writes).await {
        if !client.is_closed() {
            // A failed statement leaves the transaction aborted; end it.
            let _ = client.batch_execute("ROLLBACK").await;
        }
        return Err(failed("a write", e).into());
    }
    match client.batch_execute("COMMIT").await {
        Ok(()) => Ok(()),
        // The server answered: it refused the commit, nothing was written.
        Err(e) if e.as_db_error().is_some() => Err(failed("COMMIT", e).into()),
        Err(e) => {
            tracing::warn!(error = %e, xid, "the connection was lost during COMMIT; asking the database how the transaction ended");
            connection.client = None;
            match resolve(&connection.config, &xid).await {
                Resolved::Committed => Ok(()),
                Resolved::Aborted(e) => Err(Failure::Failed(e)),
                Resolved::Unknown(e) => Err(Failure::Unknown(e)),
            }
        }
    }
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
    Resolved::Unknown(StorageError::Database(format!(
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
