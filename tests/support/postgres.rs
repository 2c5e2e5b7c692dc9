//! A schema of its own in the test database (`WEFT_TEST_DATABASE_URL`, which
//! `scripts/test.sh` starts with `scripts/pg.sh`), for servers on `--database`. Without
//! the variable a test fails when `CI` is set, and otherwise skips, saying so.

use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// A fresh schema; dropped with what is in it when the value is.
pub struct Schema {
    /// A URL whose connections use the schema (it is first on their search path).
    pub url: String,
    name: String,
    base: String,
}

impl Schema {
    /// A new schema named after `test`, or `None` when the test skips.
    pub fn new(test: &str) -> Option<Schema> {
        let base = test_database()?;
        let name = format!(
            "e2e_{test}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        );
        execute(&base, &format!("CREATE SCHEMA {name}"));
        let sep = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{sep}options=-c%20search_path%3D{name}");
        Some(Schema { url, name, base })
    }
}

/// The test database's URL, or `None` when the test skips (outside CI, without one).
fn test_database() -> Option<String> {
    match std::env::var("WEFT_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var_os("CI").is_some() => panic!(
            "WEFT_TEST_DATABASE_URL is not set: the PostgreSQL tests need a database \
             (scripts/test.sh starts one with scripts/pg.sh)"
        ),
        _ => {
            eprintln!(
                "skipped: WEFT_TEST_DATABASE_URL is not set (source scripts/pg.sh; pg_start)"
            );
            None
        }
    }
}

impl Schema {
    /// The one number `sql` answers, asked on the database (any schema).
    pub fn count(&self, sql: &str) -> i64 {
        query_one(&self.base, sql)
    }

    /// Drop schema `name` of the database, if it is there.
    pub fn drop_other(&self, name: &str) {
        execute(&self.base, &format!("DROP SCHEMA IF EXISTS {name} CASCADE"));
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        execute(
            &self.base,
            &format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name),
        );
    }
}

/// Run `sql` on the database at `url`.
fn execute(url: &str, sql: &str) {
    let (runtime, client) = connect(url);
    runtime.block_on(client.batch_execute(sql)).unwrap();
}

/// The single `bigint` that `sql` answers on the database at `url`.
fn query_one(url: &str, sql: &str) -> i64 {
    let (runtime, client) = connect(url);
    runtime.block_on(client.query_one(sql, &[])).unwrap().get(0)
}

/// A connection to the database at `url`, driven by the runtime that comes with it.
fn connect(url: &str) -> (tokio::runtime::Runtime, tokio_postgres::Client) {
    let config = tokio_postgres::Config::from_str(url).expect("the test database URL parses");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = runtime.block_on(async {
        let (client, connection) = config
            .connect(tokio_postgres::NoTls)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to the test database: {e}"));
        tokio::spawn(connection);
        client
    });
    (runtime, client)
}

/// A PostgreSQL server of the test's own (`scripts/pg.sh start`), for a test that
/// crashes and restarts it: the suite's shared server must stay up for the others.
/// Stopped and removed when dropped.
pub struct OwnPostgres {
    /// Its database's URL (a Unix socket in its folder).
    pub url: String,
    dir: String,
}

impl OwnPostgres {
    /// A new server, or `None` when the test skips (no test database is configured,
    /// so PostgreSQL may not be installed).
    pub fn start() -> Option<OwnPostgres> {
        test_database()?;
        let out = pg_script(&["start"]);
        let mut lines = out.lines();
        let url = lines
            .next()
            .expect("pg.sh start prints the URL")
            .to_string();
        let dir = lines
            .next()
            .expect("pg.sh start prints the folder")
            .to_string();
        Some(OwnPostgres { url, dir })
    }

    /// Stop the server as a crash would (no checkpoint) and start it again on its data.
    pub fn crash_restart(&self) {
        pg_script(&["crash-restart", &self.dir]);
    }
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        let _ = std::process::Command::new("bash")
            .arg(super::repo_root().join("scripts/pg.sh"))
            .args(["stop", &self.dir])
            .status();
    }
}

/// `bash scripts/pg.sh ARGS`, which must succeed; its standard output.
fn pg_script(args: &[&str]) -> String {
    let out = std::process::Command::new("bash")
        .arg(super::repo_root().join("scripts/pg.sh"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pg.sh {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}
