//! The schema, as numbered migrations embedded in the crate, and the runner that brings
//! a database up to date when it is opened.
//!
//! Every migration runs in one transaction with the row that records it in
//! `schema_migrations`, so a database is at one version or the next, never between.
//! Two hosts opening a fresh database at once serialize on that row's key: the second
//! waits, fails on the duplicate and tries again, finding the work done. A database
//! whose schema is newer than this weft's is refused.
//!
//! Text that the storage sorts by (ids, types, names, keyword values) is `COLLATE "C"`:
//! byte order, which is the order of Rust strings, so pages and cursors agree with
//! redb's whatever the database's locale.

use tokio_postgres::error::SqlState;
use tokio_postgres::Client;

use crate::OpenError;

/// The migrations, in order; the version of each is its place in the list, from 1.
pub const MIGRATIONS: &[(&str, &str)] = &[
    ("initial schema", V1_INITIAL),
    ("cluster membership", V2_CLUSTER),
    ("request ids", V3_REQUESTS),
    ("runs by close time", V4_RUNS_BY_CLOSE),
    ("batch jobs", V5_BATCHES),
    ("runs by workflow id", V6_RUNS_BY_WORKFLOW),
    ("the cluster's key", V7_CLUSTER_KEY),
];

/// The schema version this weft writes.
pub fn latest() -> i32 {
    MIGRATIONS.len() as i32
}

const V1_INITIAL: &str = r#"
CREATE TABLE runs (
    run_id text COLLATE "C" PRIMARY KEY,
    workflow_id text COLLATE "C" NOT NULL,
    workflow_type text COLLATE "C" NOT NULL,
    module_digest text NOT NULL,
    status smallint NOT NULL,
    start_ms bigint NOT NULL,
    close_ms bigint,
    history_len bigint NOT NULL,
    format_version integer NOT NULL
) WITH (fillfactor = 70);
CREATE INDEX runs_by_start ON runs (start_ms DESC, run_id DESC);
CREATE INDEX runs_by_status ON runs (status, start_ms DESC, run_id DESC);
CREATE INDEX runs_by_type ON runs (workflow_type, start_ms DESC, run_id DESC);

CREATE TABLE workflows (
    workflow_id text COLLATE "C" PRIMARY KEY,
    latest_run_id text COLLATE "C" NOT NULL
);

CREATE TABLE history (
    run_id text COLLATE "C" NOT NULL,
    first_index bigint NOT NULL,
    chunk bytea NOT NULL,
    PRIMARY KEY (run_id, first_index)
);

CREATE TABLE outcomes (
    run_id text COLLATE "C" PRIMARY KEY,
    outcome bytea NOT NULL
);

CREATE TABLE timers (
    fire_at_ms bigint NOT NULL,
    run_id text COLLATE "C" NOT NULL,
    seq bigint NOT NULL,
    PRIMARY KEY (fire_at_ms, run_id, seq)
);

CREATE TABLE resting (
    run_id text COLLATE "C" PRIMARY KEY,
    parent_workflow_id text COLLATE "C"
);

CREATE TABLE outbox (
    run_id text COLLATE "C" NOT NULL,
    ordinal bigint NOT NULL,
    effect bytea NOT NULL,
    PRIMARY KEY (run_id, ordinal)
);

CREATE TABLE modules (
    digest text COLLATE "C" PRIMARY KEY,
    bytes bytea NOT NULL
);

CREATE TABLE module_versions (
    deployed_ms bigint NOT NULL,
    name text COLLATE "C" NOT NULL,
    version bigint NOT NULL,
    digest text NOT NULL,
    workflow_types text[] NOT NULL,
    checked_executions bigint NOT NULL,
    PRIMARY KEY (deployed_ms, name, version)
);

CREATE TABLE schedules (
    schedule_id text COLLATE "C" PRIMARY KEY,
    record bytea NOT NULL
);

CREATE TABLE run_attributes (
    run_id text COLLATE "C" PRIMARY KEY,
    attributes jsonb NOT NULL
);

CREATE TABLE search_attribute_types (
    name text COLLATE "C" PRIMARY KEY,
    kind smallint NOT NULL
);

CREATE TABLE search_attribute_values (
    run_id text COLLATE "C" NOT NULL,
    name text COLLATE "C" NOT NULL,
    position integer NOT NULL,
    start_ms bigint NOT NULL,
    v_str text COLLATE "C",
    v_int bigint,
    v_double double precision,
    v_bool boolean,
    v_time bigint,
    PRIMARY KEY (run_id, name, position)
);
CREATE INDEX sav_str ON search_attribute_values (name, v_str, start_ms DESC) WHERE v_str IS NOT NULL;
CREATE INDEX sav_int ON search_attribute_values (name, v_int, start_ms DESC) WHERE v_int IS NOT NULL;
CREATE INDEX sav_double ON search_attribute_values (name, v_double, start_ms DESC) WHERE v_double IS NOT NULL;
CREATE INDEX sav_time ON search_attribute_values (name, v_time, start_ms DESC) WHERE v_time IS NOT NULL;
"#;

/// The requests with an id that were applied (starts, signals, cancellations,
/// terminations, completed updates), so a retry is not applied again: what each did,
/// encoded by the runtime.
const V3_REQUESTS: &str = r#"
CREATE TABLE requests (
    workflow_id text COLLATE "C" NOT NULL,
    request_key text COLLATE "C" NOT NULL,
    record bytea NOT NULL,
    PRIMARY KEY (workflow_id, request_key)
);
"#;

/// The closed runs in close order: what retention walks (`Storage::closed_before`).
const V4_RUNS_BY_CLOSE: &str = r#"
CREATE INDEX runs_by_close ON runs (close_ms, run_id) WHERE close_ms IS NOT NULL;
"#;

/// The runs of each workflow id in start order: a list filtered on `WorkflowId`.
const V6_RUNS_BY_WORKFLOW: &str = r#"
CREATE INDEX runs_by_workflow ON runs (workflow_id, start_ms DESC, run_id DESC);
"#;

/// The cluster (its shard count, fixed when the first host creates it), its nodes and
/// the shard leases (see `cluster/`). Times are the database's clock.
/// The key the hosts of a cluster present to one another's internal routes (set when
/// the cluster row is made, or at the first join after this migration).
const V7_CLUSTER_KEY: &str = "ALTER TABLE cluster ADD COLUMN IF NOT EXISTS cluster_key TEXT";

const V2_CLUSTER: &str = r#"
CREATE TABLE cluster (
    id integer PRIMARY KEY CHECK (id = 1),
    shard_count integer NOT NULL CHECK (shard_count > 0),
    hash_name text NOT NULL
);

CREATE TABLE nodes (
    node_id text COLLATE "C" PRIMARY KEY,
    session text NOT NULL,
    address text NOT NULL,
    heartbeat_at timestamptz NOT NULL,
    joined_at timestamptz NOT NULL
);

CREATE TABLE shards (
    shard_id integer PRIMARY KEY,
    owner_node text COLLATE "C",
    owner_session text,
    epoch bigint NOT NULL DEFAULT 0,
    lease_until timestamptz
) WITH (fillfactor = 50);
"#;

const CREATE_MIGRATIONS: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)";

/// Batch jobs (`weft batch`): their definition, targets and progress, encoded by the
/// runtime.
const V5_BATCHES: &str = "
CREATE TABLE batches (
    batch_id text COLLATE \"C\" PRIMARY KEY,
    record bytea NOT NULL
);
";

/// Bring the database up to [`latest`]: apply what is missing, in one transaction.
/// A concurrent opener that loses the race on a migration's row tries again.
pub async fn migrate(client: &mut Client) -> Result<(), OpenError> {
    for attempt in 1.. {
        match migrate_once(client).await {
            Err(OpenError::Database(e)) if attempt < 5 && raced(&e) => continue,
            other => return other,
        }
    }
    unreachable!("the loop returns")
}

/// Whether `e` is what a concurrent migration of the same database causes.
fn raced(e: &tokio_postgres::Error) -> bool {
    matches!(
        e.code(),
        Some(&SqlState::UNIQUE_VIOLATION) | Some(&SqlState::T_R_SERIALIZATION_FAILURE)
    )
}

async fn migrate_once(client: &mut Client) -> Result<(), OpenError> {
    let tx = client.transaction().await?;
    tx.batch_execute(CREATE_MIGRATIONS).await?;
    let row = tx
        .query_one(
            "SELECT coalesce(max(version), 0) FROM schema_migrations",
            &[],
        )
        .await?;
    let current: i32 = row.get(0);
    if current > latest() {
        return Err(OpenError::NewerSchema {
            found: current,
            supported: latest(),
        });
    }
    for (version, (name, sql)) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let version = version as i32 + 1;
        tx.execute(
            "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
            &[&version, name],
        )
        .await?;
        tx.batch_execute(sql).await?;
        tracing::info!(version, name, "applied a PostgreSQL schema migration");
    }
    tx.commit().await?;
    Ok(())
}
