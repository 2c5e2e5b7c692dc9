//! Three hosts in one process on one PostgreSQL database, on one virtual clock that moves
//! only when the test says: each serves the shards its membership claims (taking up and
//! letting go of runs as they come and go), a start or a message for a run another host
//! serves reaches it (here through a [`Remote`] that calls that host directly, where a
//! server would go over HTTP), a child, a signal and a schedule work across hosts, and
//! when one host dies (its lease keeper stopped without releasing) the others take its
//! shards over and serve its runs and schedules.

use crate::support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use support::postgres::Schema;
use support::*;
use weft_host::history::Payload;
use weft_host::placement::Placement;
use weft_host::runtime::{
    Answer, Clock, DeployMode, Host, HostConfig, MessageError, Remote, RemoteMessage, RunHandle,
    StartError, StartOutcome, StartRequest, WeakHost,
};
use weft_host::schedules::{
    OverlapPolicy, Schedule, ScheduleAction, SchedulePolicies, ScheduleSpec, Schedules,
};
use weft_postgres::cluster::{ClusterConfig, HostShards, Membership};
use weft_postgres::PgStorage;

const SHARDS: u32 = 8;

/// The live hosts of the cluster, for [`InProcess`] to find the one that serves a run.
type Hosts = Arc<Mutex<Vec<WeakHost>>>;

/// The host that serves `workflow_id` now, if one does.
fn owner(hosts: &Hosts, workflow_id: &str) -> Option<Host> {
    let hosts = hosts.lock().unwrap();
    (hosts.iter())
        .filter_map(WeakHost::upgrade)
        .find(|h| h.serves(workflow_id))
}

/// [`Remote`] by direct calls on the host that serves the run, tried again while none
/// does (a takeover) or the one found no longer does.
struct InProcess(Hosts);

impl std::fmt::Debug for InProcess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InProcess")
    }
}

impl Remote for InProcess {
    fn start(&self, id: &str, request: StartRequest) -> Answer<Result<StartOutcome, StartError>> {
        let (hosts, id) = (self.0.clone(), id.to_string());
        Box::pin(async move {
            loop {
                if let Some(host) = owner(&hosts, &id) {
                    match host.take_start(request.clone()).await {
                        Err(StartError::NotOwner { .. }) => {}
                        answered => return answered,
                    }
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    }

    fn adopt(&self, name: &str, digest: &str) -> Answer<weft_host::runtime::Adopted> {
        InProcess::adopt_all(self.0.clone(), name.to_string(), digest.to_string())
    }

    fn message(&self, id: &str, message: RemoteMessage) -> Answer<Result<RunHandle, MessageError>> {
        let (hosts, id) = (self.0.clone(), id.to_string());
        Box::pin(async move {
            loop {
                if let Some(host) = owner(&hosts, &id) {
                    match host.take_message(&id, message.clone()).await {
                        Err(MessageError::NotOwner { .. }) => {}
                        answered => return answered,
                    }
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    }
}

/// The in-process [`Remote`]'s deployments: every other host moves its runs.
impl InProcess {
    fn adopt_all(
        hosts: Hosts,
        name: String,
        digest: String,
    ) -> Answer<weft_host::runtime::Adopted> {
        Box::pin(async move {
            let all: Vec<Host> = hosts
                .lock()
                .unwrap()
                .iter()
                .filter_map(WeakHost::upgrade)
                .collect();
            let (mut moved, mut stayed) = (Vec::new(), Vec::new());
            for host in all {
                if let Ok((m, s)) = host.take_adoption(&name, &digest).await {
                    moved.extend(m);
                    stayed.extend(s);
                }
            }
            (moved, stayed)
        })
    }
}

/// One host of the cluster.
struct Node {
    host: Host,
    membership: Membership,
    schedules: Schedules,
}

/// `greet` (of the `hello` workflow) waits until the test lets it go.
fn gated(gate: Arc<tokio::sync::Semaphore>) -> weft_host::ActivityRegistry {
    let mut registry = weft_host::ActivityRegistry::new();
    registry.register_fn("greet", move |_ctx, name: String| {
        let gate = gate.clone();
        async move {
            gate.acquire().await.unwrap().forget();
            Ok::<_, weft_host::ActivityError>(format!("Hello, {name}!"))
        }
    });
    registry
}

async fn node(
    schema: &Schema,
    id: &'static str,
    clock: &Clock,
    hosts: &Hosts,
    gate: &Arc<tokio::sync::Semaphore>,
) -> Node {
    let storage = Arc::new(PgStorage::open(&schema.url).unwrap());
    let membership = storage
        .join(ClusterConfig {
            shards: Some(SHARDS),
            lease: Duration::from_secs(1),
            heartbeat: Duration::from_millis(50),
            margin: Duration::from_millis(200),
            ..ClusterConfig::new(id, format!("in-process://{id}"))
        })
        .unwrap();
    let mut config = HostConfig::in_memory();
    config.engine.cache_dir = Some(compiled_cache());
    config.clock = clock.clone();
    config.placement = Arc::new(Placement::shards(SHARDS));
    config.remote = Some(Arc::new(InProcess(hosts.clone())));
    let host = Host::open_with_storage(config, storage, gated(gate.clone()))
        .await
        .unwrap();
    membership.listen(Arc::new(HostShards::new(&host)));
    hosts.lock().unwrap().push(host.downgrade());
    let schedules = Schedules::start(&host).await.unwrap();
    Node {
        host,
        membership,
        schedules,
    }
}

/// Wait until `nodes` hold every shard between them, each some, and serve what they hold.
async fn settled(nodes: &[&Node]) {
    poll::until_async("the shards to settle on the live hosts", || async {
        let held: Vec<Vec<u32>> = nodes.iter().map(|n| n.membership.held()).collect();
        let total: usize = held.iter().map(Vec::len).sum();
        let served = nodes
            .iter()
            .zip(&held)
            .all(|(n, h)| &n.host.shards_served() == h);
        (total == SHARDS as usize && held.iter().all(|h| !h.is_empty()) && served).then_some(())
    })
    .await;
}

async fn start(host: &Host, workflow_type: &str, id: &str, input: Value) -> RunHandle {
    let request = StartRequest {
        workflow_id: Some(id.to_string()),
        ..StartRequest::new(workflow_type, Payload::json(&input))
    };
    host.start(request).await.unwrap()
}

/// The completed result of `id`'s run, waited for through `host` (any host).
async fn result(host: &Host, run: &RunHandle) -> Value {
    completed(
        &poll::within("the run to close", host.wait(&run.run_id))
            .await
            .unwrap(),
    )
}

fn yearly(id: &str) -> Schedule {
    Schedule {
        spec: ScheduleSpec::every(Duration::from_secs(60)),
        action: ScheduleAction {
            workflow_type: "echo_child".into(),
            input_json: json!(id).to_string(),
            workflow_id: format!("{id}-run"),
            module: None,
            run_timeout_ms: None,
            execution_timeout_ms: None,
            memo: Vec::new(),
        },
        policies: SchedulePolicies {
            overlap: OverlapPolicy::AllowAll,
            ..SchedulePolicies::default()
        },
    }
}

/// How many actions schedule `id` took, as the host that serves it says.
async fn actions(nodes: &[&Node], id: &str) -> u64 {
    let node = nodes
        .iter()
        .find(|n| n.host.serves(id))
        .expect("a host serves it");
    node.schedules
        .describe(id)
        .await
        .unwrap()
        .record
        .state
        .actions
}

#[test]
fn three_hosts_in_one_process_share_runs_and_schedules_and_take_over() {
    // The schema is made and dropped outside the runtime (it blocks on its own).
    let Some(schema) = Schema::new("in_process") else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(three_hosts(&schema));
}

async fn three_hosts(schema: &Schema) {
    let clock = Clock::virtual_at(1_800_000_000_000, false);
    let hosts = Hosts::default();
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    let a = node(schema, "a", &clock, &hosts, &gate).await;
    let b = node(schema, "b", &clock, &hosts, &gate).await;
    let c = node(schema, "c", &clock, &hosts, &gate).await;
    settled(&[&a, &b, &c]).await;
    a.host
        .deploy(component_bytes("children"), "children", false)
        .await
        .unwrap();

    // Children and signals across hosts: each started through another host than the
    // one that serves it.
    let all = [&a, &b, &c];
    let mut parents = Vec::new();
    for i in 0..6 {
        let host = &all[i % 3].host;
        parents.push(
            start(
                host,
                "signal_child_workflow",
                &format!("p-{i}"),
                json!(null),
            )
            .await,
        );
        start(host, "signal_receiver", &format!("rx-{i}"), json!(null)).await;
        start(
            host,
            "workflow_to_workflow",
            &format!("tx-{i}"),
            json!(format!("rx-{i}")),
        )
        .await;
    }
    for (i, parent) in parents.iter().enumerate() {
        let host = &all[(i + 1) % 3].host;
        assert_eq!(result(host, parent).await, json!("child-wf-arg signal-arg"));
        let rx = host.find_run(&format!("rx-{i}")).unwrap();
        let rx = RunHandle {
            workflow_id: rx.workflow_id,
            run_id: rx.run_id,
        };
        assert_eq!(result(host, &rx).await, json!(format!("hello from tx-{i}")));
    }

    // A deployment through one host moves the open runs of every host.
    let v1 = a
        .host
        .deploy(component_bytes("hello"), "hello", false)
        .await
        .unwrap();
    let mut greeting = Vec::new();
    for i in 0..6 {
        greeting.push(
            start(
                &all[i % 3].host,
                "hello",
                &format!("h-{i}"),
                json!(format!("h-{i}")),
            )
            .await,
        );
    }
    let v2 = (b.host)
        .deploy_module(component_bytes("hello-v2"), "hello", DeployMode::Move)
        .await
        .unwrap();
    let mut moved: Vec<&str> = v2.moved.iter().map(|r| r.workflow_id.as_str()).collect();
    moved.sort();
    assert_eq!(
        moved,
        ["h-0", "h-1", "h-2", "h-3", "h-4", "h-5"],
        "from {}",
        v1.digest
    );
    assert!(
        greeting.iter().any(|r| !b.host.serves(&r.workflow_id)),
        "some ran elsewhere"
    );
    gate.add_permits(6);
    for (i, run) in greeting.iter().enumerate() {
        assert_eq!(result(&c.host, run).await, json!(format!("Hello, h-{i}!")));
        assert_eq!(
            a.host.find_run(&run.run_id).unwrap().module_digest,
            v2.version.digest
        );
        assert_replays(&a.host, "hello-v2", &a.host.history(&run.run_id).unwrap());
    }

    // Schedules, each served by the host of its id's shard, acting as the clock moves.
    let ids: Vec<String> = (0..6).map(|i| format!("sched-{i}")).collect();
    for id in &ids {
        let node = all.iter().find(|n| n.host.serves(id)).unwrap();
        node.schedules
            .create(id, yearly(id), false, "")
            .await
            .unwrap();
    }
    clock.skip(Duration::from_secs(61));
    for id in &ids {
        poll::until_async(&format!("{id} to act"), || async {
            (actions(&all, id).await == 1).then_some(())
        })
        .await;
    }
    let on_b = ids.iter().filter(|id| b.host.serves(id)).count();
    // Receivers waiting for a signal, some of them on b.
    let mut receivers = Vec::new();
    for i in 0..6 {
        receivers.push(
            start(
                &a.host,
                "signal_receiver",
                &format!("late-{i}"),
                json!(null),
            )
            .await,
        );
    }
    let waiting_on_b = (0..6)
        .filter(|i| b.host.serves(&format!("late-{i}")))
        .count();
    assert!(on_b > 0 && waiting_on_b > 0, "b serves schedules and runs");

    // b dies: its keeper stops without releasing, and its host goes.
    let Node {
        host,
        membership,
        schedules,
    } = b;
    schedules.stop().await;
    membership.abandon();
    drop(host);
    settled(&[&a, &c]).await;
    let survivors = [&a, &c];
    for (i, receiver) in receivers.iter().enumerate() {
        let id = format!("late-{i}");
        let ping = Payload::json(&json!(format!("after the takeover {i}")));
        c.host.signal(&id, "ping", ping).await.unwrap();
        assert_eq!(
            result(&a.host, receiver).await,
            json!(format!("after the takeover {i}"))
        );
    }
    clock.skip(Duration::from_secs(61));
    for id in &ids {
        poll::until_async(&format!("{id} to act again"), || async {
            (actions(&survivors, id).await == 2).then_some(())
        })
        .await;
    }
    // Every history replays, wherever its run ended.
    let prefixes = ["sched-", "p-", "rx-", "tx-", "late-"];
    for id in prefixes {
        for run in a
            .host
            .runs()
            .unwrap()
            .into_iter()
            .filter(|r| r.workflow_id.starts_with(id))
        {
            let events = a.host.history(&run.run_id).unwrap();
            assert_replays(&a.host, "children", &events);
        }
    }
}
