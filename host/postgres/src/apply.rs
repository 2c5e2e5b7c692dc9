//! How a group's writes become statements.
//!
//! The writes of every batch in a group are first folded, in order, into the state each
//! touched row ends in (a timer put then deleted is deleted; a run written twice keeps
//! its second record; an attribute type keeps the first kind it was given). What is left
//! touches each row once, so each table needs at most an upsert and a delete, set-based
//! over `unnest` arrays, and the order between tables does not matter except for
//! attribute values (old ones deleted before the new are inserted), which the pipeline
//! keeps: statements run in the order they are sent.

use std::collections::{BTreeMap, HashMap};

use futures::future::try_join_all;
use tokio_postgres::types::ToSql;
use tokio_postgres::Client;
use weft_runtime::storage::plan::Value;
use weft_runtime::storage::{ModuleVersion, RunAttributes, RunRecord, Write};

/// The rows a group leaves behind, each keyed as its table is.
#[derive(Default)]
struct Folded<'a> {
    history: BTreeMap<(&'a str, u64), &'a [u8]>,
    runs: BTreeMap<&'a str, &'a RunRecord>,
    workflows: BTreeMap<&'a str, &'a str>,
    outcomes: BTreeMap<&'a str, &'a [u8]>,
    /// `true`: present, `false`: deleted.
    timers: BTreeMap<(u64, &'a str, u32), bool>,
    /// `Some(parent)`: present, `None`: deleted.
    resting: BTreeMap<&'a str, Option<Option<&'a str>>>,
    outbox: BTreeMap<(&'a str, u64), Option<&'a [u8]>>,
    modules: BTreeMap<&'a str, &'a [u8]>,
    versions: BTreeMap<(u64, &'a str, u32), &'a ModuleVersion>,
    schedules: BTreeMap<&'a str, Option<&'a [u8]>>,
    batches: BTreeMap<&'a str, &'a [u8]>,
    attributes: BTreeMap<&'a str, (u64, &'a RunAttributes)>,
    /// Name → kind byte, the first given (the database keeps one it already has).
    types: BTreeMap<&'a str, i16>,
    /// (workflow id, request key) → record, the first given (the database keeps one
    /// it already has).
    requests: BTreeMap<(&'a str, &'a str), &'a [u8]>,
    /// Runs to remove, after everything else.
    removed: Vec<&'a str>,
}

impl<'a> Folded<'a> {
    fn fold(writes: impl Iterator<Item = &'a Write>) -> Folded<'a> {
        let mut f = Folded::default();
        for write in writes {
            match write {
                Write::Append {
                    run_id,
                    first_index,
                    events,
                } => {
                    f.history.insert((run_id, *first_index), events);
                }
                Write::PutRun(r) => {
                    f.runs.insert(&r.run_id, r);
                    f.workflows.insert(&r.workflow_id, &r.run_id);
                }
                Write::PutOutcome { run_id, outcome } => {
                    f.outcomes.insert(run_id, outcome);
                }
                Write::PutTimer(t) => {
                    f.timers.insert((t.fire_at_ms, &t.run_id, t.seq), true);
                }
                Write::DeleteTimer(t) => {
                    f.timers.insert((t.fire_at_ms, &t.run_id, t.seq), false);
                }
                Write::PutResting { run_id, parent } => {
                    f.resting.insert(run_id, Some(parent.as_deref()));
                }
                Write::DeleteResting(run_id) => {
                    f.resting.insert(run_id, None);
                }
                Write::PutOutbox(row) => {
                    f.outbox
                        .insert((&row.run_id, row.ordinal), Some(&row.effect));
                }
                Write::DeleteOutbox { run_id, ordinal } => {
                    f.outbox.insert((run_id, *ordinal), None);
                }
                Write::PutModule { digest, bytes } => {
                    f.modules.insert(digest, bytes);
                }
                Write::PutModuleVersion(v) => {
                    f.versions.insert((v.deployed_ms, &v.name, v.version), v);
                }
                Write::PutSchedule { id, schedule } => {
                    f.schedules.insert(id, Some(schedule));
                }
                Write::DeleteSchedule(id) => {
                    f.schedules.insert(id, None);
                }
                Write::PutBatch { id, batch } => {
                    f.batches.insert(id, batch);
                }
                Write::PutAttributes {
                    run_id,
                    start_ms,
                    attributes,
                } => {
                    f.attributes.insert(run_id, (*start_ms, attributes));
                    for (name, value) in &attributes.search {
                        f.types.entry(name).or_insert(value.kind().byte() as i16);
                    }
                }
                Write::PutRequest {
                    workflow_id,
                    key,
                    record,
                } => {
                    f.requests.entry((workflow_id, key)).or_insert(record);
                }
                // Checked by the writer before anything of the batch is applied.
                Write::Fence { .. } => {}
                Write::DeleteRun(run_id) => f.removed.push(run_id),
            }
        }
        f
    }
}

/// One statement and its array parameters.
struct Statement {
    sql: &'static str,
    params: Vec<Box<dyn ToSql + Sync + Send>>,
}

fn statement(sql: &'static str, params: Vec<Box<dyn ToSql + Sync + Send>>) -> Statement {
    Statement { sql, params }
}

/// Statements prepared on the writer's connection, by their text.
pub type Prepared = HashMap<&'static str, tokio_postgres::Statement>;

/// Run every write of `writes` in the transaction open on `client`, preparing the
/// statements it has not met yet into `prepared`.
pub async fn apply<'a>(
    client: &Client,
    prepared: &mut Prepared,
    writes: impl Iterator<Item = &'a Write>,
) -> Result<(), tokio_postgres::Error> {
    let statements = statements(&Folded::fold(writes));
    let missing: Vec<&'static str> = statements
        .iter()
        .map(|s| s.sql)
        .filter(|sql| !prepared.contains_key(sql))
        .collect();
    let made = try_join_all(missing.iter().map(|sql| client.prepare(sql))).await?;
    prepared.extend(missing.into_iter().zip(made));
    let runs = statements.iter().map(|s| {
        let params: Vec<&(dyn ToSql + Sync)> = s
            .params
            .iter()
            .map(|b| b.as_ref() as &(dyn ToSql + Sync))
            .collect();
        let statement = &prepared[s.sql];
        async move { client.execute(statement, &params).await }
    });
    try_join_all(runs).await?;
    Ok(())
}

/// Split a map of present (`Some`) and deleted (`None`) rows.
fn split<K: Clone, V: Clone>(rows: &BTreeMap<K, Option<V>>) -> (Vec<(K, V)>, Vec<K>) {
    let mut put = Vec::new();
    let mut delete = Vec::new();
    for (k, v) in rows {
        match v {
            Some(v) => put.push((k.clone(), v.clone())),
            None => delete.push(k.clone()),
        }
    }
    (put, delete)
}

fn text<'a>(items: impl Iterator<Item = &'a str>) -> Box<dyn ToSql + Sync + Send> {
    Box::new(items.map(str::to_string).collect::<Vec<String>>())
}

fn bytes<'a>(items: impl Iterator<Item = &'a [u8]>) -> Box<dyn ToSql + Sync + Send> {
    Box::new(items.map(<[u8]>::to_vec).collect::<Vec<Vec<u8>>>())
}

fn ints(items: impl Iterator<Item = i64>) -> Box<dyn ToSql + Sync + Send> {
    Box::new(items.collect::<Vec<i64>>())
}

/// The statements that leave the database as `f` says, in a safe order.
fn statements(f: &Folded<'_>) -> Vec<Statement> {
    let mut out = Vec::new();
    if !f.history.is_empty() {
        out.push(statement(
            "INSERT INTO history (run_id, first_index, chunk) \
             SELECT * FROM unnest($1::text[], $2::bigint[], $3::bytea[]) \
             ON CONFLICT (run_id, first_index) DO UPDATE SET chunk = excluded.chunk",
            vec![
                text(f.history.keys().map(|k| k.0)),
                ints(f.history.keys().map(|k| k.1 as i64)),
                bytes(f.history.values().copied()),
            ],
        ));
    }
    if !f.runs.is_empty() {
        out.push(runs_statement(f.runs.values().copied()));
        out.push(statement(
            "INSERT INTO workflows (workflow_id, latest_run_id) \
             SELECT * FROM unnest($1::text[], $2::text[]) \
             ON CONFLICT (workflow_id) DO UPDATE SET latest_run_id = excluded.latest_run_id",
            vec![
                text(f.workflows.keys().copied()),
                text(f.workflows.values().copied()),
            ],
        ));
    }
    if !f.outcomes.is_empty() {
        out.push(statement(
            "INSERT INTO outcomes (run_id, outcome) SELECT * FROM unnest($1::text[], $2::bytea[]) \
             ON CONFLICT (run_id) DO UPDATE SET outcome = excluded.outcome",
            vec![
                text(f.outcomes.keys().copied()),
                bytes(f.outcomes.values().copied()),
            ],
        ));
    }
    if !f.requests.is_empty() {
        out.push(statement(
            "INSERT INTO requests (workflow_id, request_key, record) \
             SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[]) ON CONFLICT DO NOTHING",
            vec![
                text(f.requests.keys().map(|k| k.0)),
                text(f.requests.keys().map(|k| k.1)),
                bytes(f.requests.values().copied()),
            ],
        ));
    }
    timers(f, &mut out);
    resting_and_outbox(f, &mut out);
    modules_and_schedules(f, &mut out);
    attributes(f, &mut out);
    removals(f, &mut out);
    out
}

/// Remove the runs of `f.removed` and every row kept for them; a workflow id that
/// points at one goes too, with its requests. Sent last: statements run in order.
fn removals(f: &Folded<'_>, out: &mut Vec<Statement>) {
    if f.removed.is_empty() {
        return;
    }
    let ids = || text(f.removed.iter().copied());
    for sql in [
        "DELETE FROM history WHERE run_id = ANY($1::text[])",
        "DELETE FROM outcomes WHERE run_id = ANY($1::text[])",
        "DELETE FROM resting WHERE run_id = ANY($1::text[])",
        "DELETE FROM search_attribute_values WHERE run_id = ANY($1::text[])",
        "DELETE FROM run_attributes WHERE run_id = ANY($1::text[])",
        "DELETE FROM requests q USING workflows w \
         WHERE w.latest_run_id = ANY($1::text[]) AND q.workflow_id = w.workflow_id",
        "DELETE FROM workflows WHERE latest_run_id = ANY($1::text[])",
        "DELETE FROM runs WHERE run_id = ANY($1::text[])",
    ] {
        out.push(statement(sql, vec![ids()]));
    }
}

fn runs_statement<'a>(runs: impl Iterator<Item = &'a RunRecord> + Clone) -> Statement {
    let r = runs;
    statement(
        "INSERT INTO runs (run_id, workflow_id, workflow_type, module_digest, status, start_ms, \
                           close_ms, history_len, format_version) \
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::smallint[], \
                              $6::bigint[], $7::bigint[], $8::bigint[], $9::integer[]) \
         ON CONFLICT (run_id) DO UPDATE SET workflow_id = excluded.workflow_id, \
             workflow_type = excluded.workflow_type, module_digest = excluded.module_digest, \
             status = excluded.status, start_ms = excluded.start_ms, \
             close_ms = excluded.close_ms, history_len = excluded.history_len, \
             format_version = excluded.format_version",
        vec![
            text(r.clone().map(|r| r.run_id.as_str())),
            text(r.clone().map(|r| r.workflow_id.as_str())),
            text(r.clone().map(|r| r.workflow_type.as_str())),
            text(r.clone().map(|r| r.module_digest.as_str())),
            Box::new(r.clone().map(|r| r.status as i16).collect::<Vec<i16>>()),
            ints(r.clone().map(|r| r.start_ms as i64)),
            Box::new(
                r.clone()
                    .map(|r| r.close_ms.map(|ms| ms as i64))
                    .collect::<Vec<Option<i64>>>(),
            ),
            ints(r.clone().map(|r| r.history_len as i64)),
            Box::new(r.map(|r| r.format_version as i32).collect::<Vec<i32>>()),
        ],
    )
}

fn timers(f: &Folded<'_>, out: &mut Vec<Statement>) {
    let put: Vec<_> = f
        .timers
        .iter()
        .filter(|(_, p)| **p)
        .map(|(k, _)| k)
        .collect();
    let gone: Vec<_> = f
        .timers
        .iter()
        .filter(|(_, p)| !**p)
        .map(|(k, _)| k)
        .collect();
    let columns = |keys: &[&(u64, &str, u32)]| {
        vec![
            ints(keys.iter().map(|k| k.0 as i64)),
            text(keys.iter().map(|k| k.1)),
            ints(keys.iter().map(|k| k.2 as i64)),
        ]
    };
    if !put.is_empty() {
        out.push(statement(
            "INSERT INTO timers (fire_at_ms, run_id, seq) \
             SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[]) ON CONFLICT DO NOTHING",
            columns(&put),
        ));
    }
    if !gone.is_empty() {
        out.push(statement(
            "DELETE FROM timers t USING unnest($1::bigint[], $2::text[], $3::bigint[]) \
                 AS d(fire_at_ms, run_id, seq) \
             WHERE t.fire_at_ms = d.fire_at_ms AND t.run_id = d.run_id AND t.seq = d.seq",
            columns(&gone),
        ));
    }
}

fn resting_and_outbox(f: &Folded<'_>, out: &mut Vec<Statement>) {
    let (put, gone) = split(&f.resting);
    if !put.is_empty() {
        out.push(statement(
            "INSERT INTO resting (run_id, parent_workflow_id) \
             SELECT * FROM unnest($1::text[], $2::text[]) \
             ON CONFLICT (run_id) DO UPDATE SET parent_workflow_id = excluded.parent_workflow_id",
            vec![
                text(put.iter().map(|(k, _)| *k)),
                Box::new(
                    put.iter()
                        .map(|(_, p)| p.map(str::to_string))
                        .collect::<Vec<Option<String>>>(),
                ),
            ],
        ));
    }
    if !gone.is_empty() {
        out.push(statement(
            "DELETE FROM resting WHERE run_id = ANY($1::text[])",
            vec![text(gone.into_iter())],
        ));
    }
    let (put, gone) = split(&f.outbox);
    if !put.is_empty() {
        out.push(statement(
            "INSERT INTO outbox (run_id, ordinal, effect) \
             SELECT * FROM unnest($1::text[], $2::bigint[], $3::bytea[]) \
             ON CONFLICT (run_id, ordinal) DO UPDATE SET effect = excluded.effect",
            vec![
                text(put.iter().map(|(k, _)| k.0)),
                ints(put.iter().map(|(k, _)| k.1 as i64)),
                bytes(put.iter().map(|(_, v)| *v)),
            ],
        ));
    }
    if !gone.is_empty() {
        out.push(statement(
            "DELETE FROM outbox o USING unnest($1::text[], $2::bigint[]) AS d(run_id, ordinal) \
             WHERE o.run_id = d.run_id AND o.ordinal = d.ordinal",
            vec![
                text(gone.iter().map(|k| k.0)),
                ints(gone.iter().map(|k| k.1 as i64)),
            ],
        ));
    }
}

fn modules_and_schedules(f: &Folded<'_>, out: &mut Vec<Statement>) {
    if !f.modules.is_empty() {
        out.push(statement(
            "INSERT INTO modules (digest, bytes) SELECT * FROM unnest($1::text[], $2::bytea[]) \
             ON CONFLICT (digest) DO UPDATE SET bytes = excluded.bytes",
            vec![
                text(f.modules.keys().copied()),
                bytes(f.modules.values().copied()),
            ],
        ));
    }
    for v in f.versions.values() {
        out.push(statement(
            "INSERT INTO module_versions (deployed_ms, name, version, digest, workflow_types, \
                                          checked_executions) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (deployed_ms, name, version) DO UPDATE SET digest = excluded.digest, \
                 workflow_types = excluded.workflow_types, \
                 checked_executions = excluded.checked_executions",
            vec![
                Box::new(v.deployed_ms as i64),
                Box::new(v.name.clone()),
                Box::new(v.version as i64),
                Box::new(v.digest.clone()),
                Box::new(v.workflow_types.clone()),
                Box::new(v.checked_executions as i64),
            ],
        ));
    }
    let (put, gone) = split(&f.schedules);
    if !put.is_empty() {
        out.push(statement(
            "INSERT INTO schedules (schedule_id, record) \
             SELECT * FROM unnest($1::text[], $2::bytea[]) \
             ON CONFLICT (schedule_id) DO UPDATE SET record = excluded.record",
            vec![
                text(put.iter().map(|(k, _)| *k)),
                bytes(put.iter().map(|(_, v)| *v)),
            ],
        ));
    }
    if !gone.is_empty() {
        out.push(statement(
            "DELETE FROM schedules WHERE schedule_id = ANY($1::text[])",
            vec![text(gone.into_iter())],
        ));
    }
    if !f.batches.is_empty() {
        out.push(statement(
            "INSERT INTO batches (batch_id, record) \
             SELECT * FROM unnest($1::text[], $2::bytea[]) \
             ON CONFLICT (batch_id) DO UPDATE SET record = excluded.record",
            vec![
                text(f.batches.keys().copied()),
                bytes(f.batches.values().copied()),
            ],
        ));
    }
}

/// The index rows of the attributes: one per value (per keyword of a list), its
/// position in the list, and the value in the column of its type.
#[derive(Default)]
struct ValueRows {
    run_id: Vec<String>,
    name: Vec<String>,
    position: Vec<i32>,
    start_ms: Vec<i64>,
    v_str: Vec<Option<String>>,
    v_int: Vec<Option<i64>>,
    v_double: Vec<Option<f64>>,
    v_bool: Vec<Option<bool>>,
    v_time: Vec<Option<i64>>,
}

impl ValueRows {
    fn push(&mut self, run_id: &str, name: &str, start_ms: u64, position: usize, v: Value) {
        self.run_id.push(run_id.to_string());
        self.name.push(name.to_string());
        self.position.push(position as i32);
        self.start_ms.push(start_ms as i64);
        let (mut s, mut i, mut d, mut b, mut t) = (None, None, None, None, None);
        match v {
            Value::Str(x) => s = Some(x),
            Value::Int(x) => i = Some(x),
            Value::Double(x) => d = Some(x),
            Value::Bool(x) => b = Some(x),
            Value::Time(x) => t = Some(x),
            Value::Status(x) => i = Some(x as i64),
        }
        self.v_str.push(s);
        self.v_int.push(i);
        self.v_double.push(d);
        self.v_bool.push(b);
        self.v_time.push(t);
    }
}

/// Replace each written run's attributes and index rows; only search attributes are
/// kept (the memo lives in the run's history, where a payload codec encrypts it).
fn attributes(f: &Folded<'_>, out: &mut Vec<Statement>) {
    if f.attributes.is_empty() {
        return;
    }
    let (mut kept_ids, mut kept_json, mut emptied) = (Vec::new(), Vec::new(), Vec::new());
    let mut values = ValueRows::default();
    for (run_id, (start_ms, attributes)) in &f.attributes {
        let stored = attributes.stored();
        if stored.is_empty() {
            emptied.push(run_id.to_string());
            continue;
        }
        kept_ids.push(run_id.to_string());
        kept_json.push(serde_json::to_string(&stored).expect("attributes always encode"));
        for (name, value) in &attributes.search {
            for (position, v) in Value::of_attribute(value).into_iter().enumerate() {
                values.push(run_id, name, *start_ms, position, v);
            }
        }
    }
    out.push(statement(
        "DELETE FROM search_attribute_values WHERE run_id = ANY($1::text[])",
        vec![text(f.attributes.keys().copied())],
    ));
    if !emptied.is_empty() {
        out.push(statement(
            "DELETE FROM run_attributes WHERE run_id = ANY($1::text[])",
            vec![Box::new(emptied)],
        ));
    }
    if !kept_ids.is_empty() {
        out.push(statement(
            "INSERT INTO run_attributes (run_id, attributes) \
             SELECT r, a::jsonb FROM unnest($1::text[], $2::text[]) AS u(r, a) \
             ON CONFLICT (run_id) DO UPDATE SET attributes = excluded.attributes",
            vec![Box::new(kept_ids), Box::new(kept_json)],
        ));
    }
    if !values.run_id.is_empty() {
        out.push(statement(
            "INSERT INTO search_attribute_values (run_id, name, position, start_ms, v_str, \
                                                  v_int, v_double, v_bool, v_time) \
             SELECT * FROM unnest($1::text[], $2::text[], $3::integer[], $4::bigint[], \
                                  $5::text[], $6::bigint[], $7::float8[], $8::bool[], \
                                  $9::bigint[])",
            vec![
                Box::new(values.run_id),
                Box::new(values.name),
                Box::new(values.position),
                Box::new(values.start_ms),
                Box::new(values.v_str),
                Box::new(values.v_int),
                Box::new(values.v_double),
                Box::new(values.v_bool),
                Box::new(values.v_time),
            ],
        ));
    }
    if !f.types.is_empty() {
        out.push(statement(
            "INSERT INTO search_attribute_types (name, kind) \
             SELECT * FROM unnest($1::text[], $2::smallint[]) ON CONFLICT (name) DO NOTHING",
            vec![
                text(f.types.keys().copied()),
                Box::new(f.types.values().copied().collect::<Vec<i16>>()),
            ],
        ));
    }
}
