//! `weft server`: the long-running host with its HTTP API.

use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;

use super::{exit, CliResult, Failure};
use crate::activities::{ActivityRegistry, TaskQueueConfig};
use crate::api::auth::{Tokens, TOKENS_ENV};
use crate::api::cluster::{ClusterView, SingleHost};
use crate::api::tls::TlsFiles;
use crate::api::Security;
use crate::history::archive::Archive;
use crate::masking::SensitiveFields;
use crate::runtime::{
    HostConfig, Retention, DEFAULT_ACTOR_CACHE_SIZE, DEFAULT_INSTANCE_CACHE_SIZE,
};
use crate::storage::{Storage, DEFAULT_STORAGE_CACHE_BYTES};
use crate::ui::UiMode;

/// Run a host with the HTTP/JSON API until SIGINT or SIGTERM.
///
/// Every acknowledged request is durable: a crash at any moment loses nothing the API
/// answered with success. Executions that were open when the host stopped resume.
/// On SIGINT or SIGTERM the server stops taking requests, tells running activities it
/// shuts down and waits up to --shutdown-grace for them to end and their outcomes to
/// be recorded; what has not ended by then runs again at the next start.
///
/// Fail-stop: after a storage I/O error (a failed write or fsync) the server refuses
/// every request with 503 `storage_failed`, stops, and exits with code 6, so that a
/// supervisor restarts it; the restart resumes from what is durable. A request whose
/// own commit met the error is answered "outcome unknown": it may or may not be durable.
///
/// With --database, hosts on one database form a cluster: each live host serves its
/// share of the shards (a workflow id's shard is a hash of the id), any host answers any
/// call (forwarding a call about a workflow to the host that serves it), and the shards
/// of a host that dies are taken over by the others when its leases expire. A host that
/// loses a lease it did not give up stops with exit code 6.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  weft server --data ./data --listen 127.0.0.1:7233
  weft server --data ./data --max-concurrent-activities 64 --task-queue gpu=2 --task-queue io
  weft server --data ./data --shutdown-grace 30s
  weft server --data ./data --codec-keys /etc/weft/codec-keys.json   # payloads encrypted at rest
  weft server --data ./data --sensitive-field cvv --sensitive-field iban   # masked when shown
  weft server --data ./data --retention 30d --archive-dir /var/lib/weft/archive
  weft server --data ./data --workflow-limit report=2 --concurrency-limit stripe=3 --rate type:send_mail=100/m
  weft server --data ./data --start-rate report=10/s,refuse --start-rate sync=100/m   # starts per type
  weft server --data ./cache --database postgres://weft@%2Fvar%2Frun%2Fpostgresql/weft

A cluster on one PostgreSQL database (the hosts share its shards; a host that dies has
its shards taken over by the others when its leases expire):
  weft server --data ./a --database $DB --node-id a --listen 10.0.0.1:7233 --shards 256
  weft server --data ./b --database $DB --node-id b --listen 10.0.0.2:7233 --lease-time 5s
  weft server --data ./c --database $DB --node-id c --listen 10.0.0.3:7233

HTTPS, client certificates (mTLS) and bearer tokens:
  weft server --data ./data --tls-cert server.pem --tls-key server.key
  weft server --data ./data --tls-cert server.pem --tls-key server.key --tls-client-ca ca.pem
  weft server --data ./data --tokens-file tokens.txt
  WEFT_SERVER_TOKENS=\"$(cat tokens.txt)\" weft server --data ./data

The web UI (pages for executions, schedules and modules) is at /ui/ on the same
address, behind the same TLS and tokens (with tokens, its login page exchanges one for
a session cookie):
  weft server --data ./data                      # then open http://127.0.0.1:7233/ui/
  weft server --data ./data --ui-read-only       # pages only: no cancel, terminate, signal, …
  weft server --data ./data --no-ui              # the JSON API only

Tokens are read from --tokens-file (one per line, `#` starts a comment) and from the
environment variable WEFT_SERVER_TOKENS (separated by newlines or commas), never from
the command line. With tokens, every route (also /metrics) requires
`Authorization: Bearer <token>`. Without any of these flags the server speaks plain
HTTP to everyone.

A config file holds the same settings, one key per flag, in tables of your choosing;
flags on the command line win:
  weft server --config weft.toml --listen 127.0.0.1:7300
  # weft.toml
  [server]
  data = \"/var/lib/weft\"
  [flow]
  max-concurrent-activities = 64
  workflow-limit = [\"report=2\"]
  rate = [\"default=50/s\", \"type:send_mail=100/m\"]")]
#[command(args_override_self = true)]
pub struct ServerArgs {
    /// Read settings from this TOML file: each key is a long flag of `weft server`
    /// (`max-concurrent-activities = 64`, `rate = ["default=50/s"]`, `no-ui = true`),
    /// grouped in tables as you like (`[server]`, `[flow]`, `[tls]`). Flags given on
    /// the command line come after the file's: theirs win, and repeatable ones add.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Data folder (the redb file and caches; created if missing). With --database it
    /// holds only caches (compiled workflow code), which a host can lose.
    #[arg(long)]
    pub data: PathBuf,
    /// Keep runs, histories, timers and modules in this PostgreSQL database instead of
    /// the redb file in --data: a `postgres://user[:password]@host[:port]/db` URL (a
    /// Unix socket's folder as the host, percent-encoded: `%2Fvar%2Frun%2Fpostgresql`),
    /// or a libpq `key=value` string. The schema is created or migrated at start.
    #[arg(
        long,
        env = "WEFT_DATABASE",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database: Option<String>,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:7233")]
    pub listen: SocketAddr,
    /// This host's name in its cluster (with --database). A restart under the same
    /// name takes back at once the shards its previous process held. Default: the
    /// machine's host name.
    #[arg(long, env = "WEFT_NODE_ID", value_name = "ID")]
    pub node_id: Option<String>,
    /// The URL other hosts and clients reach this host's API at (with --database);
    /// default: the address it listens on.
    #[arg(long, value_name = "URL", requires = "database")]
    pub advertise: Option<String>,
    /// How many shards a new cluster has (with --database; only when this host creates
    /// the cluster: a database whose cluster has another count is refused).
    #[arg(long, value_name = "N", requires = "database", value_parser = clap::value_parser!(u32).range(1..=65536))]
    pub shards: Option<u32>,
    /// How long a shard lease lasts without renewal (with --database): a host that dies
    /// loses its shards to the other hosts after this long. Renewed every second (four times
    /// a lease when it is shorter than 4 s).
    #[arg(long, default_value = "10s", value_name = "DURATION", value_parser = parse_lease, requires = "database")]
    pub lease_time: Duration,
    /// Most workflow instances kept alive between tasks; the others are rebuilt by
    /// replaying their history when they next run (or are queried).
    #[arg(long, default_value_t = DEFAULT_INSTANCE_CACHE_SIZE, value_name = "N")]
    pub cache_size: usize,
    /// Most open runs kept live (an actor and the decoded history); past it, runs that
    /// only wait on timers or messages rest and are read back from storage when
    /// something arrives for them.
    #[arg(long, default_value_t = DEFAULT_ACTOR_CACHE_SIZE, value_name = "N")]
    pub actor_cache_size: usize,
    /// Most megabytes of database pages kept in memory (the redb page cache; not used
    /// with --database).
    #[arg(long, default_value_t = DEFAULT_STORAGE_CACHE_BYTES >> 20, value_name = "MB", value_parser = parse_storage_cache_mb)]
    pub storage_cache_mb: usize,
    /// Most activity attempts running at once on this host, over all task queues; the
    /// others wait their turn, first come first served. No limit unless given.
    #[arg(long, value_name = "N", value_parser = parse_max_concurrent)]
    pub max_concurrent_activities: Option<NonZeroUsize>,
    /// Serve task queue NAME, running at most LIMIT of its activities at once (no
    /// limit of its own without `=LIMIT`). Repeat for more queues. The host always
    /// serves `default` (activities with no task queue) and the queues activities are
    /// registered on; an activity on any other queue fails. `default=LIMIT` limits the
    /// default queue.
    #[arg(long = "task-queue", value_name = "NAME[=LIMIT]")]
    pub task_queues: Vec<TaskQueueConfig>,
    /// At most N runs of workflow type TYPE running at once (repeatable): a further
    /// start is answered at once, with its run id, but the run is pending (`weft
    /// describe` and `weft list` say so) until a run of TYPE closes; then the pending
    /// runs start by priority, then by fairness key (shares by weight), then first come
    /// first served. Children count; a continue-as-new keeps its slot.
    /// `--workflow-limit report=2`. With `key:KEY=N`, at most N runs whose fairness key
    /// is KEY, of any type; `key:*=N` holds every key to N: `--workflow-limit
    /// key:*=5`. A run whose key has a limit counts against it, not its type's.
    #[arg(long = "workflow-limit", value_name = "TYPE=N|key:KEY=N")]
    pub workflow_limits: Vec<weft_runtime::flow::WorkflowLimit>,
    /// At most N activity attempts of task queue QUEUE (or, with `type:`, of an
    /// activity type; with `key:`, of activities with that concurrency key) start per
    /// second (`/s`), minute (`/m`) or hour (`/h`), in bursts of at most N, over all
    /// runs (repeatable): a downstream API's quota. Attempts beyond it wait for their
    /// turn, holding a slot of the queue but none of the host. `--rate default=50/s
    /// --rate type:send_mail=100/m --rate key:stripe=25/s`.
    #[arg(long = "rate", value_name = "[type:|key:]NAME=N/s")]
    pub rate_limits: Vec<weft_runtime::flow::RateLimit>,
    /// At most N attempts of activities whose options name concurrency key KEY
    /// (`ActivityOptions::concurrency_key`) run at once, over all runs, queues and
    /// types (repeatable). Attempts beyond it wait, in priority and fairness order,
    /// holding no other slot. `--concurrency-limit stripe=3`.
    #[arg(long = "concurrency-limit", value_name = "KEY=N")]
    pub concurrency_limits: Vec<weft_runtime::flow::ConcurrencyLimit>,
    /// At most N starts of workflow type TYPE per second (`/m`, `/h`), in bursts of
    /// at most N (repeatable). Past it, `delay` (the default) answers a start at once
    /// but keeps it pending (`weft describe`: `waiting: start rate TYPE N/s`) until its
    /// token, so they run at the rate in order; `refuse` answers 429 with when to try
    /// again. A child is never refused (it waits); a continue-as-new takes no token:
    /// `--start-rate report=10/s,refuse --start-rate sync=100/m`.
    #[arg(long = "start-rate", value_name = "TYPE=N/s[,refuse|delay]")]
    pub start_rates: Vec<weft_runtime::flow::StartRate>,
    /// On SIGINT or SIGTERM, how long running activities get to finish before the
    /// server exits (`500ms`, `10s`, `2m`; a bare number is seconds).
    #[arg(long, default_value = "10s", value_name = "DURATION", value_parser = super::human::parse_duration)]
    pub shutdown_grace: Duration,
    /// Serve HTTPS with this certificate chain (PEM; the server's certificate first).
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM: PKCS#8, RSA or EC).
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Require client certificates signed by this CA (PEM) and refuse other clients at
    /// the TLS handshake (mTLS). Needs --tls-cert and --tls-key.
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    pub tls_client_ca: Option<PathBuf>,
    /// Require a bearer token on every request: the accepted tokens, one per line.
    /// WEFT_SERVER_TOKENS adds more.
    #[arg(long, value_name = "PATH")]
    pub tokens_file: Option<PathBuf>,
    /// Serve the web UI's pages but refuse every action through it (cancel,
    /// terminate, signal, query, update, start, schedule changes) with 403, and hide
    /// their buttons. The JSON API is not affected.
    #[arg(long, conflicts_with = "no_ui")]
    pub ui_read_only: bool,
    /// Do not serve the web UI at /ui/ (the JSON API only).
    #[arg(long)]
    pub no_ui: bool,
    #[command(flatten)]
    pub codec: super::codec_keys::CodecKeysArg,
    /// Remove closed executions whose close time is older than this (`30d`, `12h`,
    /// `90m`, `30s`; each run by its own close time), in the background at a bounded
    /// pace. Default: keep every execution.
    #[arg(long, value_name = "DURATION", value_parser = parse_retention)]
    pub retention: Option<Duration>,
    /// With --retention, first write each run to this folder (one zstd-compressed
    /// history file per run, payloads as stored: encrypted when the codec is on), read
    /// back by `weft history show --archive DIR <id>` and `weft replay --archive DIR`.
    #[arg(long, value_name = "DIR", requires = "retention")]
    pub archive_dir: Option<PathBuf>,
    /// Mask this field too wherever the server shows a payload (API answers, the web
    /// UI), besides password, credit_card, card_number, ssn, api_key, secret and token
    /// and the values a workflow marks `Sensitive<T>`. Compared without case and without
    /// `_` or `-`, at any depth. Repeatable; in a config file `sensitive-field = ["cvv"]`.
    #[arg(long = "sensitive-field", value_name = "NAME", value_parser = parse_field_name)]
    pub sensitive_fields: Vec<String>,
}

/// A field name for --sensitive-field: a JSON object key, not blank.
pub(super) fn parse_field_name(s: &str) -> Result<String, String> {
    let name = s.trim();
    if name.is_empty() || name.chars().all(|c| c == '_' || c == '-') {
        return Err(format!(
            "`{s}` names no field; give a JSON object key such as cvv"
        ));
    }
    Ok(name.to_string())
}

fn parse_retention(s: &str) -> Result<Duration, String> {
    let keep = super::human::parse_duration(s)?;
    if keep < Duration::from_secs(1) {
        return Err(format!(
            "{s}: a retention under a second would remove runs as they close; give 1s or more"
        ));
    }
    Ok(keep)
}

fn parse_max_concurrent(s: &str) -> Result<NonZeroUsize, String> {
    let n: usize = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a whole number"))?;
    NonZeroUsize::new(n).ok_or_else(|| {
        "0 would never run an activity; give 1 or more, or leave the flag out for no limit"
            .to_string()
    })
}

fn parse_lease(s: &str) -> Result<Duration, String> {
    let lease = super::human::parse_duration(s)?;
    if lease < Duration::from_secs(2) {
        return Err(format!(
            "{s}: a lease must outlast a few heartbeats (one a second); give 2s or more"
        ));
    }
    Ok(lease)
}

fn parse_storage_cache_mb(s: &str) -> Result<usize, String> {
    let mb: usize = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a whole number of megabytes"))?;
    if mb == 0 || mb > 1 << 20 {
        return Err(format!("{mb} MB: give between 1 and 1048576 (1 TB)"));
    }
    Ok(mb)
}

pub async fn serve(args: ServerArgs, activities: ActivityRegistry) -> CliResult {
    TaskQueueConfig::check_unique(&args.task_queues)
        .map_err(|e| Failure::new(exit::USAGE, format!("--task-queue: {e}")))?;
    let security = security(&args)?;
    let config = HostConfig {
        cache_size: args.cache_size,
        actor_cache_size: args.actor_cache_size,
        storage_cache_bytes: args.storage_cache_mb << 20,
        max_concurrent_activities: args.max_concurrent_activities,
        task_queues: args.task_queues,
        workflow_limits: args.workflow_limits,
        rate_limits: args.rate_limits,
        concurrency_limits: args.concurrency_limits,
        start_rates: args.start_rates,
        codec: args.codec.codec()?,
        sensitive_fields: SensitiveFields::default().with(&args.sensitive_fields),
        retention: args
            .retention
            .map(|keep| Retention::new(keep, args.archive_dir.map(Archive::new))),
        ..HostConfig::on_disk_from_env(&args.data)
    };
    let joining = super::cluster::Joining {
        node_id: args.node_id.unwrap_or_else(super::cluster::host_name),
        advertise: args.advertise,
        shards: args.shards,
        lease: args.lease_time,
    };
    let (storage, cluster) = match args.database {
        Some(url) => {
            let (storage, cluster) = open_database(url, joining, args.listen).await?;
            (Some(storage), cluster)
        }
        None => (
            None,
            Arc::new(SingleHost::new(joining.node_id)) as Arc<dyn ClusterView>,
        ),
    };
    crate::api::serve(
        config,
        storage,
        cluster,
        args.listen,
        args.shutdown_grace,
        activities,
        security,
    )
    .await
    .map_err(|e| match e.downcast_ref::<crate::api::HostFailed>() {
        Some(failed) => Failure::new(exit::STORAGE_FAILED, failed),
        None => Failure::from(e),
    })
}

/// The PostgreSQL storage at `url`, migrated (opening waits on the database, so off the
/// async threads), once this host holds every shard of the database's cluster.
#[cfg(feature = "postgres")]
async fn open_database(
    url: String,
    joining: super::cluster::Joining,
    listen: SocketAddr,
) -> Result<(Arc<dyn Storage>, Arc<dyn ClusterView>), Failure> {
    let opened = tokio::task::spawn_blocking(move || weft_postgres::PgStorage::open(&url))
        .await
        .map_err(|e| Failure::new(exit::ERROR, format!("opening the database: {e}")))?;
    let storage =
        Arc::new(opened.map_err(|e| Failure::new(exit::ERROR, format!("--database: {e}")))?);
    let cluster = super::cluster::join(storage.clone(), joining, &listen.to_string()).await?;
    Ok((storage, Arc::new(cluster)))
}

/// A weft built without PostgreSQL refuses `--database` rather than ignore it.
#[cfg(not(feature = "postgres"))]
async fn open_database(
    _url: String,
    _joining: super::cluster::Joining,
    _listen: SocketAddr,
) -> Result<(Arc<dyn Storage>, Arc<dyn ClusterView>), Failure> {
    Err(Failure::new(
        exit::USAGE,
        "--database: this weft was built without PostgreSQL support (the `postgres` \
         feature of weft-host; the repo's weft has it unless built with \
         --no-default-features)",
    ))
}

/// TLS from the flags, tokens from --tokens-file and WEFT_SERVER_TOKENS.
fn security(args: &ServerArgs) -> Result<Security, Failure> {
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(TlsFiles {
            cert: cert.clone(),
            key: key.clone(),
            client_ca: args.tls_client_ca.clone(),
        }),
        _ => None,
    };
    let env = match std::env::var(TOKENS_ENV) {
        Ok(v) => Some(v),
        Err(std::env::VarError::NotPresent) => None,
        Err(std::env::VarError::NotUnicode(_)) => {
            return Err(Failure::new(
                exit::USAGE,
                format!("{TOKENS_ENV} is not valid UTF-8"),
            ))
        }
    };
    let tokens = Tokens::load(args.tokens_file.as_deref(), env.as_deref())
        .map_err(|e| Failure::new(exit::USAGE, e))?;
    let ui = match (args.no_ui, args.ui_read_only) {
        (true, _) => UiMode::Off,
        (false, true) => UiMode::ReadOnly,
        (false, false) => UiMode::On,
    };
    Ok(Security { tls, tokens, ui })
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        server: ServerArgs,
    }

    fn parse(args: &[&str]) -> Result<ServerArgs, String> {
        let argv = ["weft", "--data", "d"].iter().chain(args);
        Cli::try_parse_from(argv)
            .map(|c| c.server)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn activity_limits_parse_and_refuse_zero_or_empty() {
        let args = parse(&[
            "--max-concurrent-activities",
            "8",
            "--task-queue",
            "gpu=2",
            "--task-queue",
            "io",
        ])
        .unwrap();
        assert_eq!(args.max_concurrent_activities, NonZeroUsize::new(8));
        let queues: Vec<_> = args
            .task_queues
            .iter()
            .map(|q| {
                (
                    q.name().to_string(),
                    q.max_concurrent().map(NonZeroUsize::get),
                )
            })
            .collect();
        assert_eq!(queues, [("gpu".into(), Some(2)), ("io".into(), None)]);
        assert!(parse(&[]).unwrap().max_concurrent_activities.is_none());

        let zero = parse(&["--max-concurrent-activities", "0"]).unwrap_err();
        assert!(zero.contains("0 would never run an activity"), "{zero}");
        let zero_queue = parse(&["--task-queue", "gpu=0"]).unwrap_err();
        assert!(
            zero_queue.contains("a limit of 0 would never run"),
            "{zero_queue}"
        );
        let empty = parse(&["--task-queue", "=3"]).unwrap_err();
        assert!(empty.contains("a task queue needs a name"), "{empty}");
    }

    #[test]
    fn retention_parses_days_and_refuses_under_a_second() {
        let args = parse(&["--retention", "30d", "--archive-dir", "a"]).unwrap();
        assert_eq!(args.retention, Some(Duration::from_secs(30 * 86_400)));
        assert_eq!(args.archive_dir, Some(PathBuf::from("a")));
        let hours = parse(&["--retention", "12h"]).unwrap();
        assert_eq!(hours.retention, Some(Duration::from_secs(12 * 3600)));
        let short = parse(&["--retention", "500ms"]).unwrap_err();
        assert!(short.contains("give 1s or more"), "{short}");
        let bad = parse(&["--retention", "soon"]).unwrap_err();
        assert!(bad.contains("is not a duration"), "{bad}");
        let alone = parse(&["--archive-dir", "a"]).unwrap_err();
        assert!(alone.contains("--retention"), "{alone}");
    }
}
