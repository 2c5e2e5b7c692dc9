//! The point reads and full listings of the `Storage` trait, each one query on a
//! pooled connection (its statement prepared once per connection).

use std::collections::{BTreeMap, HashMap};

use deadpool_postgres::Client;
use tokio_postgres::Row;
use weft_runtime::storage::{
    HistoryChunk, ModuleVersion, OutboxRow, RunAttributes, RunFilter, RunRecord, Status,
    StorageError, TimerRow,
};
use weft_types::SearchAttributeKind;

/// The columns of a run record, in the order [`run_from_row`] reads them.
pub const RUN_COLUMNS: &str = "r.run_id, r.workflow_id, r.workflow_type, r.module_digest, \
     r.status, r.start_ms, r.close_ms, r.history_len, r.format_version";

/// A database error as the storage reports it.
pub fn db(e: tokio_postgres::Error) -> StorageError {
    StorageError::Database(format!("PostgreSQL: {e}"))
}

/// Rows of a cached statement.
async fn rows(
    c: &Client,
    sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> Result<Vec<Row>, StorageError> {
    let statement = c.prepare_cached(sql).await.map_err(db)?;
    c.query(&statement, params).await.map_err(db)
}

/// The status a stored byte stands for.
pub fn status(run_id: &str, byte: i16) -> Result<Status, StorageError> {
    Status::ALL
        .get(byte as usize)
        .copied()
        .ok_or_else(|| StorageError::DecodeJson {
            what: format!("run {run_id}"),
            message: format!("unknown status {byte}; a newer weft wrote it"),
        })
}

/// A run record from a row of [`RUN_COLUMNS`].
pub fn run_from_row(row: &Row) -> Result<RunRecord, StorageError> {
    let run_id: String = row.get(0);
    let status = status(&run_id, row.get(4))?;
    Ok(RunRecord {
        workflow_id: row.get(1),
        workflow_type: row.get(2),
        module_digest: row.get(3),
        status,
        start_ms: row.get::<_, i64>(5) as u64,
        close_ms: row.get::<_, Option<i64>>(6).map(|ms| ms as u64),
        history_len: row.get::<_, i64>(7) as u64,
        format_version: row.get::<_, i32>(8) as u16,
        run_id,
    })
}

fn runs_from_rows(rows: Vec<Row>) -> Result<Vec<RunRecord>, StorageError> {
    rows.iter().map(run_from_row).collect()
}

pub async fn history(c: &Client, run_id: &str) -> Result<Vec<HistoryChunk>, StorageError> {
    let sql = "SELECT first_index, chunk FROM history WHERE run_id = $1 ORDER BY first_index";
    Ok(rows(c, sql, &[&run_id])
        .await?
        .into_iter()
        .map(|row| HistoryChunk {
            first_index: row.get::<_, i64>(0) as u64,
            bytes: row.get(1),
        })
        .collect())
}

pub async fn run(c: &Client, run_id: &str) -> Result<Option<RunRecord>, StorageError> {
    let sql = format!("SELECT {RUN_COLUMNS} FROM runs r WHERE r.run_id = $1");
    let found = rows(c, &sql, &[&run_id]).await?;
    found.first().map(run_from_row).transpose()
}

pub async fn latest_run(c: &Client, workflow_id: &str) -> Result<Option<RunRecord>, StorageError> {
    let sql = format!(
        "SELECT {RUN_COLUMNS} FROM workflows w JOIN runs r ON r.run_id = w.latest_run_id \
         WHERE w.workflow_id = $1"
    );
    let found = rows(c, &sql, &[&workflow_id]).await?;
    found.first().map(run_from_row).transpose()
}

/// Newest first by `(start_ms, run_id)`, from the cursor, at most `limit`.
pub async fn list_runs(
    c: &Client,
    filter: &RunFilter,
    limit: usize,
) -> Result<Vec<RunRecord>, StorageError> {
    let status = filter.status.map(|s| s as i16);
    let (before_ms, before_id) = match &filter.before {
        Some((ms, id)) => (Some(*ms as i64), Some(id.as_str())),
        None => (None, None),
    };
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    // One statement for every filter: a null parameter leaves its condition out.
    let sql = format!(
        "SELECT {RUN_COLUMNS} FROM runs r \
         WHERE ($1::smallint IS NULL OR r.status = $1) \
           AND ($2::text IS NULL OR r.workflow_type = $2) \
           AND ($3::bigint IS NULL OR (r.start_ms, r.run_id) < ($3, $4::text)) \
         ORDER BY r.start_ms DESC, r.run_id DESC LIMIT $5"
    );
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 5] = [
        &status,
        &filter.workflow_type,
        &before_ms,
        &before_id,
        &limit,
    ];
    runs_from_rows(rows(c, &sql, &params).await?)
}

pub async fn open_runs(c: &Client) -> Result<Vec<RunRecord>, StorageError> {
    let sql = format!(
        "SELECT {RUN_COLUMNS} FROM runs r WHERE r.status = 0 ORDER BY r.start_ms, r.run_id"
    );
    runs_from_rows(rows(c, &sql, &[]).await?)
}

/// At most `limit` runs closed before `before_ms`, the earliest first.
pub async fn closed_before(
    c: &Client,
    before_ms: u64,
    limit: usize,
) -> Result<Vec<RunRecord>, StorageError> {
    let sql = format!(
        "SELECT {RUN_COLUMNS} FROM runs r WHERE r.close_ms IS NOT NULL AND r.close_ms < $1 \
         ORDER BY r.close_ms, r.run_id LIMIT $2"
    );
    let before = i64::try_from(before_ms).unwrap_or(i64::MAX);
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    runs_from_rows(rows(c, &sql, &[&before, &limit]).await?)
}

pub async fn outcome(c: &Client, run_id: &str) -> Result<Option<Vec<u8>>, StorageError> {
    let sql = "SELECT outcome FROM outcomes WHERE run_id = $1";
    Ok(rows(c, sql, &[&run_id]).await?.first().map(|r| r.get(0)))
}

pub async fn request(
    c: &Client,
    workflow_id: &str,
    key: &str,
) -> Result<Option<Vec<u8>>, StorageError> {
    let sql = "SELECT record FROM requests WHERE workflow_id = $1 AND request_key = $2";
    Ok(rows(c, sql, &[&workflow_id, &key])
        .await?
        .first()
        .map(|r| r.get(0)))
}

pub async fn timers(c: &Client) -> Result<Vec<TimerRow>, StorageError> {
    let sql = "SELECT fire_at_ms, run_id, seq FROM timers ORDER BY fire_at_ms, run_id, seq";
    Ok(rows(c, sql, &[])
        .await?
        .into_iter()
        .map(|row| TimerRow {
            fire_at_ms: row.get::<_, i64>(0) as u64,
            run_id: row.get(1),
            seq: row.get::<_, i64>(2) as u32,
        })
        .collect())
}

pub async fn resting_runs(c: &Client) -> Result<HashMap<String, Option<String>>, StorageError> {
    let sql = "SELECT run_id, parent_workflow_id FROM resting";
    Ok(rows(c, sql, &[])
        .await?
        .into_iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect())
}

pub async fn outbox(c: &Client) -> Result<Vec<OutboxRow>, StorageError> {
    let sql = "SELECT run_id, ordinal, effect FROM outbox ORDER BY run_id, ordinal";
    Ok(rows(c, sql, &[])
        .await?
        .into_iter()
        .map(|row| OutboxRow {
            run_id: row.get(0),
            ordinal: row.get::<_, i64>(1) as u64,
            effect: row.get(2),
        })
        .collect())
}

pub async fn module(c: &Client, digest: &str) -> Result<Option<Vec<u8>>, StorageError> {
    let sql = "SELECT bytes FROM modules WHERE digest = $1";
    Ok(rows(c, sql, &[&digest]).await?.first().map(|r| r.get(0)))
}

pub async fn module_versions(c: &Client) -> Result<Vec<ModuleVersion>, StorageError> {
    let sql = "SELECT name, version, digest, workflow_types, deployed_ms, checked_executions \
               FROM module_versions ORDER BY deployed_ms, name, version";
    Ok(rows(c, sql, &[])
        .await?
        .into_iter()
        .map(|row| ModuleVersion {
            name: row.get(0),
            version: row.get::<_, i64>(1) as u32,
            digest: row.get(2),
            workflow_types: row.get(3),
            deployed_ms: row.get::<_, i64>(4) as u64,
            checked_executions: row.get::<_, i64>(5) as usize,
        })
        .collect())
}

pub async fn batches(c: &Client) -> Result<Vec<(String, Vec<u8>)>, StorageError> {
    keyed_records(c, "SELECT batch_id, record FROM batches ORDER BY batch_id").await
}

pub async fn schedules(c: &Client) -> Result<Vec<(String, Vec<u8>)>, StorageError> {
    keyed_records(
        c,
        "SELECT schedule_id, record FROM schedules ORDER BY schedule_id",
    )
    .await
}

/// The (id, record) rows `sql` selects.
async fn keyed_records(c: &Client, sql: &str) -> Result<Vec<(String, Vec<u8>)>, StorageError> {
    Ok(rows(c, sql, &[])
        .await?
        .into_iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect())
}

pub async fn run_attributes(
    c: &Client,
    run_id: &str,
) -> Result<Option<RunAttributes>, StorageError> {
    let sql = "SELECT attributes::text FROM run_attributes WHERE run_id = $1";
    let Some(row) = rows(c, sql, &[&run_id]).await?.into_iter().next() else {
        return Ok(None);
    };
    let json: String = row.get(0);
    serde_json::from_str(&json)
        .map(Some)
        .map_err(|e| StorageError::DecodeJson {
            what: format!("attributes of run {run_id}"),
            message: e.to_string(),
        })
}

pub async fn attribute_types(
    c: &Client,
) -> Result<BTreeMap<String, SearchAttributeKind>, StorageError> {
    let sql = "SELECT name, kind FROM search_attribute_types";
    let mut out = BTreeMap::new();
    for row in rows(c, sql, &[]).await? {
        let name: String = row.get(0);
        let byte: i16 = row.get(1);
        let kind = u8::try_from(byte)
            .ok()
            .and_then(SearchAttributeKind::from_byte)
            .ok_or_else(|| StorageError::DecodeJson {
                what: format!("type of search attribute {name}"),
                message: format!("unknown type byte {byte}; a newer weft wrote it"),
            })?;
        out.insert(name, kind);
    }
    Ok(out)
}
