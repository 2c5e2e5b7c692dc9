//! What is PostgreSQL's own: URLs, migrations, a bad batch in a group, and commits whose
//! connection goes away.

mod common;

use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::TestSchema;
use tokio_postgres::config::Host;
use tokio_postgres::Config;
use weft_postgres::{OpenError, PgStorage, Resolved};
use weft_runtime::storage::conformance::{commit, run};
use weft_runtime::storage::{CommitObserver, Status, Storage, Write};

#[test]
fn a_socket_folder_url_names_a_unix_socket() {
    let config = Config::from_str("postgres://weft@%2Fvar%2Frun%2Fpostgresql/weft").unwrap();
    assert_eq!(
        config.get_hosts(),
        [Host::Unix("/var/run/postgresql".into())]
    );
    assert_eq!(config.get_user(), Some("weft"));
    assert_eq!(config.get_dbname(), Some("weft"));
}

/// The schema's URL: the test database's, with the schema on the search path.
fn url_of(schema: &TestSchema) -> String {
    let sep = if schema.url.contains('?') { '&' } else { '?' };
    format!(
        "{}{sep}options=-c%20search_path%3D{}",
        schema.url, schema.name
    )
}

#[test]
fn opening_migrates_once_and_refuses_a_newer_schema() {
    let Some(schema) = TestSchema::new("migrations") else {
        return;
    };
    let versions = || {
        schema.with_client(async |c| {
            let rows = c
                .query(
                    "SELECT version FROM schema_migrations ORDER BY version",
                    &[],
                )
                .await
                .unwrap();
            rows.iter().map(|r| r.get::<_, i32>(0)).collect::<Vec<_>>()
        })
    };
    let storage = PgStorage::open(&url_of(&schema)).unwrap();
    commit(
        &storage,
        vec![Write::PutRun(run(1, "a", 1, Status::Running))],
    )
    .unwrap();
    drop(storage);
    let all: Vec<i32> = (1..=weft_postgres::schema_version()).collect();
    assert_eq!(versions(), all);
    // Again: nothing to do, and the data is there.
    let storage = PgStorage::open(&url_of(&schema)).unwrap();
    assert!(storage.run("run-0001").unwrap().is_some());
    drop(storage);
    assert_eq!(versions(), all);
    schema.sql("INSERT INTO schema_migrations (version, name) VALUES (999, 'from the future')");
    match PgStorage::open(&url_of(&schema)) {
        Err(e @ OpenError::NewerSchema { found: 999, .. }) => {
            assert!(e.to_string().contains("newer"), "{e}")
        }
        Err(e) => panic!("refused for another reason: {e}"),
        Ok(_) => panic!("a database from a newer weft was opened"),
    }
}

#[derive(Default)]
struct Groups {
    largest: AtomicUsize,
}

impl CommitObserver for Groups {
    fn committed(&self, batches: usize, _seconds: f64) {
        self.largest.fetch_max(batches, Ordering::SeqCst);
    }
}

#[test]
fn a_bad_batch_fails_alone_in_its_group() {
    let Some(schema) = TestSchema::new("bad_batch") else {
        return;
    };
    let storage = schema.open();
    let groups = Arc::new(Groups::default());
    storage.observe_commits(groups.clone());
    // Queued back to back, so the writer takes most of them in one group.
    let commits: Vec<_> = (1..=40)
        .map(|i| {
            let mut record = run(i, "a", i as u64, Status::Running);
            if i == 20 {
                // PostgreSQL's text cannot hold a NUL: this batch fails.
                record.run_id = "bad\0run".into();
            }
            storage.commit(vec![Write::PutRun(record)])
        })
        .collect();
    for (i, done) in (1..=40).zip(commits) {
        let result = done.blocking_recv().unwrap();
        assert_eq!(result.is_err(), i == 20, "commit {i}: {result:?}");
    }
    assert!(groups.largest.load(Ordering::SeqCst) > 1);
    assert_eq!(storage.open_runs().unwrap().len(), 39);
    assert_eq!(storage.run("run-0020").unwrap(), None);
}

#[test]
fn a_transactions_fate_is_asked_by_its_id() {
    let Some(schema) = TestSchema::new("fate") else {
        return;
    };
    schema.sql("CREATE TABLE t (x int)");
    let xid_of = |sql: &'static str, drop_client: bool| {
        schema.with_client(async move |c| {
            let rows = c
                .simple_query("BEGIN; SELECT pg_current_xact_id()::text")
                .await
                .unwrap();
            let xid = rows
                .iter()
                .find_map(|m| match m {
                    tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_string),
                    _ => None,
                })
                .unwrap();
            c.batch_execute("INSERT INTO t VALUES (1)").await.unwrap();
            if !drop_client {
                c.batch_execute(sql).await.unwrap();
            }
            xid
        })
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let resolve =
        |xid: &str| runtime.block_on(weft_postgres::resolve_transaction(&schema.config, xid));
    let committed = xid_of("COMMIT", false);
    assert!(matches!(resolve(&committed), Resolved::Committed));
    let rolled_back = xid_of("ROLLBACK", false);
    assert!(matches!(resolve(&rolled_back), Resolved::Aborted(_)));
    // The connection goes away inside the transaction: the server aborts it.
    let dropped = xid_of("", true);
    assert!(matches!(resolve(&dropped), Resolved::Aborted(_)));
}

#[test]
fn a_commit_whose_connection_is_killed_fails_and_the_next_reconnects() {
    let Some(schema) = TestSchema::new("killed") else {
        return;
    };
    let storage = schema.open();
    // Make COMMIT slow: a deferred trigger on outcomes sleeps at commit time, when the
    // test ends the writer's backend.
    schema.sql(
        "CREATE FUNCTION slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN PERFORM pg_sleep(5); RETURN NULL; END $$;
         CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT ON outcomes
         DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION slow_commit();",
    );
    let done = storage.commit(vec![
        Write::PutRun(run(1, "a", 1, Status::Completed)),
        Write::PutOutcome {
            run_id: "run-0001".into(),
            outcome: b"done".to_vec(),
        },
    ]);
    // Find the backend sleeping in the trigger, and end it.
    let killed = schema.with_client(async |c| {
        for _ in 0..200 {
            let rows = c
                .query(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                     WHERE wait_event = 'PgSleep' AND query = 'COMMIT'",
                    &[],
                )
                .await
                .unwrap();
            if !rows.is_empty() {
                return true;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        false
    });
    assert!(killed, "the writer's COMMIT was never seen");
    let e = done.blocking_recv().unwrap().unwrap_err();
    assert!(e.to_string().contains("nothing was written"), "{e}");
    assert_eq!(storage.run("run-0001").unwrap(), None);
    schema.sql("DROP TRIGGER slow_commit ON outcomes");
    commit(
        &storage,
        vec![Write::PutRun(run(2, "a", 2, Status::Running))],
    )
    .unwrap();
    assert!(storage.run("run-0002").unwrap().is_some());
}
