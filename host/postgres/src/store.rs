//! `PgStorage`: its runtime and threads, the bridge from the sync trait to async
//! queries, and the trait's methods.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::str::FromStr;
use std::sync::{mpsc, Arc, OnceLock};

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio::sync::{mpsc as tmpsc, oneshot};
use tokio_postgres::{Config, NoTls};
use weft_runtime::storage::plan::TypedQuery;
use weft_runtime::storage::{
    Commit, CommitObserver, Counted, HistoryChunk, ModuleVersion, OutboxRow, RunAttributes,
    RunFilter, RunRecord, SearchPage, Storage, StorageError, TimerRow, Write,
};
use weft_types::SearchAttributeKind;

use crate::cluster::{self, ClusterConfig, ClusterStatus, Leases, Membership};
use crate::writer::{self, Observer, Request};
use crate::{reads, schema, search, OpenError};

/// How many connections the read pool keeps at most (the writer has one of its own).
#[derive(Debug, Clone, Copy)]
pub struct PoolSize(pub usize);

impl Default for PoolSize {
    fn default() -> Self {
        PoolSize(8)
    }
}

/// Storage in a PostgreSQL database.
pub struct PgStorage {
    handle: tokio::runtime::Handle,
    pool: Pool,
    writer: Option<tmpsc::UnboundedSender<Request>>,
    observer: Observer,
    thread: Option<std::thread::JoinHandle<()>>,
    config: Config,
    /// The shards this host holds, once it joined a cluster ([`PgStorage::join`]).
    leases: Arc<Leases>,
    /// Set by the writer when a commit's outcome could not be learned: the host stops.
    failed: Arc<OnceLock<String>>,
    /// A membership kept for the storage's life ([`PgStorage::keep`]).
    kept: std::sync::Mutex<Option<Membership>>,
}

impl Drop for PgStorage {
    /// Stop the writer once it has answered every queued commit, then the runtime.
    fn drop(&mut self) {
        // Release the shards while the runtime still runs.
        drop(self.kept.lock().unwrap().take());
        drop(self.writer.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl PgStorage {
    /// Open the database at `url` (a `postgres://` URL, whose host may be a socket
    /// folder, percent-encoded: `postgres://weft@%2Fvar%2Frun%2Fpostgresql/weft`; or a
    /// libpq key-value string), migrating it to this weft's schema.
    pub fn open(url: &str) -> Result<PgStorage, OpenError> {
        let config = Config::from_str(url).map_err(OpenError::Url)?;
        Self::open_config(config, PoolSize::default())
    }

    /// Open the database `config` names, with a read pool of at most `pool` connections.
    pub fn open_config(config: Config, pool: PoolSize) -> Result<PgStorage, OpenError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("weft-postgres")
            .enable_all()
            .build()?;
        let handle = runtime.handle().clone();
        let manager = Manager::from_config(
            config.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(pool.0.max(1))
            .runtime(Runtime::Tokio1)
            .build()
            .map_err(|e| OpenError::Pool(e.to_string()))?;
        // Migrate (and find out that the database answers) before anything else.
        let migrate_config = config.clone();
        wait_on(&handle, async move {
            let (mut client, connection) = migrate_config.connect(NoTls).await?;
            tokio::spawn(connection);
            schema::migrate(&mut client).await
        })
        .unwrap_or_else(|| Err(OpenError::Pool("the runtime stopped".into())))?;
        let (writer, requests) = tmpsc::unbounded_channel();
        let observer = Observer::default();
        let observer2 = observer.clone();
        let leases = Arc::new(Leases::default());
        let leases2 = leases.clone();
        let failed = Arc::new(OnceLock::new());
        let failed2 = failed.clone();
        let writer_config = config.clone();
        let thread = std::thread::Builder::new()
            .name("weft-postgres-writer".into())
            .spawn(move || {
                runtime.block_on(writer::write_loop(
                    writer_config,
                    requests,
                    observer2,
                    leases2,
                    failed2,
                ));
                // The runtime drops here, on its own thread, cancelling what is left.
            })?;
        Ok(PgStorage {
            handle,
            pool,
            writer: Some(writer),
            observer,
            thread: Some(thread),
            config,
            leases,
            failed,
            kept: std::sync::Mutex::new(None),
        })
    }

    /// Keep `membership` (of this storage) until the storage is dropped, for a user
    /// that has nowhere else to keep it (`weft bench --database`, a cluster of one).
    pub fn keep(&self, membership: Membership) {
        *self.kept.lock().unwrap() = Some(membership);
    }

    /// Join the cluster of hosts on this database as `config` says (creating it if this
    /// is the first host): from now on every fenced batch commits only while this host
    /// holds its shard. The returned membership keeps the leases; see [`cluster`].
    pub fn join(&self, config: ClusterConfig) -> Result<Membership, OpenError> {
        let db = self.config.clone();
        let leases = self.leases.clone();
        let pool = self.pool.clone();
        let keeper_config = config.clone();
        let address = Arc::new(std::sync::Mutex::new(config.address.clone()));
        let keeper_address = address.clone();
        let (held, stop, keeper) = wait_on(&self.handle, async move {
            let client = pool
                .get()
                .await
                .map_err(|e| OpenError::Pool(e.to_string()))?;
            cluster::start(&client, db, keeper_config, leases, keeper_address).await
        })
        .unwrap_or_else(|| Err(OpenError::Pool("the runtime stopped".into())))?;
        Ok(Membership {
            config,
            leases: self.leases.clone(),
            held,
            stop: Some(stop),
            keeper: Some(keeper),
            handle: self.handle.clone(),
            address,
        })
    }

    /// Advertise `address` for `membership`'s node now (and at every heartbeat after).
    pub fn advertise(&self, membership: &Membership, address: &str) -> Result<(), StorageError> {
        membership.advertise(address);
        let (node_id, address) = (membership.node_id().to_string(), address.to_string());
        self.read(move |c| async move {
            c.execute(
                "UPDATE nodes SET address = $2 WHERE node_id = $1",
                &[&node_id, &address],
            )
            .await
            .map(drop)
            .map_err(|e| StorageError::Database(format!("advertising the node's address: {e}")))
        })
    }

    /// The advertised address of the node that holds `shard`'s unexpired lease, if one
    /// does.
    pub fn owner_address(&self, shard: u32) -> Result<Option<String>, StorageError> {
        self.read(move |c| async move {
            cluster::owner_address(&c, shard)
                .await
                .map_err(|e| StorageError::Database(format!("reading the cluster's state: {e}")))
        })
    }

    /// Who holds what in this database's cluster, as the database says; a node counts
    /// as alive when it heartbeated within three `heartbeat` periods.
    pub fn cluster_status(
        &self,
        heartbeat: std::time::Duration,
    ) -> Result<ClusterStatus, StorageError> {
        self.read(move |c| async move {
            cluster::status(&c, heartbeat)
                .await
                .map_err(|e| StorageError::Database(format!("reading the cluster's state: {e}")))
        })
    }

    /// Run a read on the storage's runtime with a pooled connection and wait for it.
    fn read<T, F, Fut>(&self, f: F) -> Result<T, StorageError>
    where
        T: Send + 'static,
        F: FnOnce(deadpool_postgres::Client) -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, StorageError>> + Send + 'static,
    {
        let pool = self.pool.clone();
        wait_on(&self.handle, async move {
            let client = pool.get().await.map_err(|e| {
                StorageError::Database(format!("no PostgreSQL connection for a read: {e}"))
            })?;
            f(client).await
        })
        .unwrap_or(Err(StorageError::WriterStopped))
    }
}

/// Spawn `future` on `handle` and wait for its output on a channel (never `block_on`,
/// which a caller inside another tokio runtime may not do). `None`: the runtime stopped.
fn wait_on<T: Send + 'static>(
    handle: &tokio::runtime::Handle,
    future: impl Future<Output = T> + Send + 'static,
) -> Option<T> {
    let (tx, rx) = mpsc::sync_channel(1);
    handle.spawn(async move {
        let _ = tx.send(future.await);
    });
    rx.recv().ok()
}

impl Storage for PgStorage {
    fn commit(&self, writes: Vec<Write>) -> Commit {
        let (done, commit) = oneshot::channel();
        let Some(writer) = &self.writer else {
            let _ = done.send(Err(Arc::new(StorageError::WriterStopped)));
            return commit;
        };
        if let Err(tmpsc::error::SendError((_, done))) = writer.send((writes, done)) {
            let _ = done.send(Err(Arc::new(StorageError::WriterStopped)));
        }
        commit
    }

    fn observe_commits(&self, observer: Arc<dyn CommitObserver>) {
        *self.observer.write().unwrap() = Some(observer);
    }

    fn failure(&self) -> Option<String> {
        if let Some(why) = self.failed.get() {
            return Some(format!("a commit whose outcome is unknown: {why}"));
        }
        self.leases
            .lost()
            .map(|why| format!("losing its shard leases: {why}"))
    }

    fn history(&self, run_id: &str) -> Result<Vec<HistoryChunk>, StorageError> {
        let run_id = run_id.to_string();
        self.read(move |c| async move { reads::history(&c, &run_id).await })
    }

    fn run(&self, run_id: &str) -> Result<Option<RunRecord>, StorageError> {
        let run_id = run_id.to_string();
        self.read(move |c| async move { reads::run(&c, &run_id).await })
    }

    fn latest_run(&self, workflow_id: &str) -> Result<Option<RunRecord>, StorageError> {
        let workflow_id = workflow_id.to_string();
        self.read(move |c| async move { reads::latest_run(&c, &workflow_id).await })
    }

    fn list_runs(&self, filter: &RunFilter, limit: usize) -> Result<Vec<RunRecord>, StorageError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let filter = filter.clone();
        self.read(move |c| async move { reads::list_runs(&c, &filter, limit).await })
    }

    fn open_runs(&self) -> Result<Vec<RunRecord>, StorageError> {
        self.read(|c| async move { reads::open_runs(&c).await })
    }

    fn closed_before(&self, before_ms: u64, limit: usize) -> Result<Vec<RunRecord>, StorageError> {
        self.read(move |c| async move { reads::closed_before(&c, before_ms, limit).await })
    }

    fn outcome(&self, run_id: &str) -> Result<Option<Vec<u8>>, StorageError> {
        let run_id = run_id.to_string();
        self.read(move |c| async move { reads::outcome(&c, &run_id).await })
    }

    fn request(&self, workflow_id: &str, key: &str) -> Result<Option<Vec<u8>>, StorageError> {
        let (workflow_id, key) = (workflow_id.to_string(), key.to_string());
        self.read(move |c| async move { reads::request(&c, &workflow_id, &key).await })
    }

    fn timers(&self) -> Result<Vec<TimerRow>, StorageError> {
        self.read(|c| async move { reads::timers(&c).await })
    }

    fn resting_runs(&self) -> Result<HashMap<String, Option<String>>, StorageError> {
        self.read(|c| async move { reads::resting_runs(&c).await })
    }

    fn outbox(&self) -> Result<Vec<OutboxRow>, StorageError> {
        self.read(|c| async move { reads::outbox(&c).await })
    }

    fn module(&self, digest: &str) -> Result<Option<Vec<u8>>, StorageError> {
        let digest = digest.to_string();
        self.read(move |c| async move { reads::module(&c, &digest).await })
    }

    fn module_versions(&self) -> Result<Vec<ModuleVersion>, StorageError> {
        self.read(|c| async move { reads::module_versions(&c).await })
    }

    fn schedules(&self) -> Result<Vec<(String, Vec<u8>)>, StorageError> {
        self.read(|c| async move { reads::schedules(&c).await })
    }

    fn batches(&self) -> Result<Vec<(String, Vec<u8>)>, StorageError> {
        self.read(|c| async move { reads::batches(&c).await })
    }

    fn run_attributes(&self, run_id: &str) -> Result<Option<RunAttributes>, StorageError> {
        let run_id = run_id.to_string();
        self.read(move |c| async move { reads::run_attributes(&c, &run_id).await })
    }

    fn attribute_types(&self) -> Result<BTreeMap<String, SearchAttributeKind>, StorageError> {
        self.read(|c| async move { reads::attribute_types(&c).await })
    }

    fn search_runs(
        &self,
        query: &TypedQuery,
        offset: usize,
        limit: usize,
    ) -> Result<SearchPage, StorageError> {
        let query = query.clone();
        self.read(move |c| async move { search::search(&c, &query, offset, limit).await })
    }

    fn count_runs(&self, query: &TypedQuery) -> Result<Counted, StorageError> {
        let query = query.clone();
        self.read(move |c| async move { search::count(&c, &query).await })
    }
}
