//! Where a `weft bench` scenario keeps its state: a fresh redb file in its folder, or,
//! with `--database`, a fresh schema of its own in that PostgreSQL database (dropped
//! and created again at the start of the scenario, so runs never meet old data).

use std::sync::Arc;

use weft_host::activities::ActivityRegistry;
use weft_host::cli::Failure;
use weft_host::runtime::{Host, HostConfig};

/// Open a host for scenario part `name` on `config`'s folder, or on a fresh schema of
/// `database`.
pub(crate) async fn open_host(
    config: HostConfig,
    database: Option<&str>,
    name: &str,
    activities: ActivityRegistry,
) -> Result<Host, Failure> {
    let Some(url) = database else {
        if let Some(dir) = &config.data_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
        return Ok(Host::open(config, activities).await?);
    };
    let storage = fresh_schema(url, name).await?;
    Ok(Host::open_with_storage(config, storage, activities).await?)
}

#[cfg(feature = "postgres")]
async fn fresh_schema(
    url: &str,
    name: &str,
) -> Result<Arc<dyn weft_host::storage::Storage>, Failure> {
    use std::str::FromStr;
    let schema = format!("weft_bench_{}", name.replace('-', "_"));
    let mut config = tokio_postgres::Config::from_str(url)
        .map_err(|e| format!("--database: invalid PostgreSQL URL: {e}"))?;
    let (client, connection) = config
        .connect(tokio_postgres::NoTls)
        .await
        .map_err(|e| format!("--database: {e}"))?;
    let connection = tokio::spawn(connection);
    client
        .batch_execute(&format!(
            "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
        ))
        .await
        .map_err(|e| format!("--database: cannot make schema {schema}: {e}"))?;
    drop(client);
    let _ = connection.await;
    config.options(format!("-c search_path={schema}"));
    let opened = tokio::task::spawn_blocking(move || {
        weft_postgres::PgStorage::open_config(config, Default::default())
    })
    .await
    .map_err(|e| e.to_string())?;
    let storage = opened.map_err(|e| format!("--database: {e}"))?;
    // A cluster of one, as `weft server --database` runs: every step is fenced.
    let node = weft_postgres::cluster::ClusterConfig::new("bench", "bench");
    let membership = storage.join(node).map_err(|e| format!("--database: {e}"))?;
    membership.active().await?;
    storage.keep(membership);
    Ok(Arc::new(storage))
}

#[cfg(not(feature = "postgres"))]
async fn fresh_schema(
    _url: &str,
    _name: &str,
) -> Result<Arc<dyn weft_host::storage::Storage>, Failure> {
    Err(Failure::from(
        "--database: this weft was built without PostgreSQL support (the `postgres` feature)"
            .to_string(),
    ))
}
