//! A schema of its own per test in the database `WEFT_TEST_DATABASE_URL` names
//! (`scripts/pg.sh` starts a throwaway one). Without the variable a test fails when `CI`
//! is set, and otherwise skips, saying so.

#![allow(dead_code)]

use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio_postgres::{Client, Config, NoTls};
use weft_postgres::{PgStorage, PoolSize};
use weft_runtime::storage::conformance::Backend;
use weft_runtime::storage::Storage;

/// A fresh, empty schema; dropped with everything in it when the value is.
pub struct TestSchema {
    pub url: String,
    pub name: String,
    /// The database's config with the schema first on the search path.
    pub config: Config,
    runtime: tokio::runtime::Runtime,
}

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// The test database's URL, or `None` (after saying so) when a test may skip.
pub fn database_url() -> Option<String> {
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

impl TestSchema {
    /// A new schema, or `None` when the test skips.
    pub fn new(test: &str) -> Option<TestSchema> {
        let url = database_url()?;
        let name = format!(
            "t_{}_{}_{}",
            test,
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        );
        let mut config = Config::from_str(&url).expect("WEFT_TEST_DATABASE_URL parses");
        config.options(format!("-c search_path={name}"));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let schema = TestSchema {
            url,
            name,
            config,
            runtime,
        };
        schema.sql(&format!("CREATE SCHEMA {}", schema.name));
        Some(schema)
    }

    /// Run `f` with a new connection to the schema.
    pub fn with_client<T>(&self, f: impl AsyncFnOnce(&Client) -> T) -> T {
        self.runtime.block_on(async {
            let (client, connection) = self.config.connect(NoTls).await.unwrap();
            let driver = tokio::spawn(connection);
            let out = f(&client).await;
            drop(client);
            let _ = driver.await;
            out
        })
    }

    /// Run statements on the schema.
    pub fn sql(&self, sql: &str) {
        self.with_client(async |c| c.batch_execute(sql).await.unwrap());
    }

    /// Open the storage on the schema.
    pub fn open(&self) -> PgStorage {
        PgStorage::open_config(self.config.clone(), PoolSize(4)).unwrap()
    }

    /// Run a conformance test on the schema.
    pub fn run(&self, test: impl FnOnce(&Backend<'_>)) {
        let open = || Box::new(self.open()) as Box<dyn Storage>;
        test(&Backend {
            open: &open,
            nul_in_text: false,
        });
    }
}

impl Drop for TestSchema {
    fn drop(&mut self) {
        let drop_it = format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name);
        self.with_client(async |c| {
            let _ = c.batch_execute(&drop_it).await;
        });
    }
}
