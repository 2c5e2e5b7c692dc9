//! A `weft` API server in the test's own process, on a virtual clock that moves only
//! when the test skips it, serving the `weft` CLI: for tests of the CLI that need
//! exact times.

use std::net::SocketAddr;
use std::process::Output;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use weft_host::history::Event;
use weft_host::runtime::Clock;
use weft_host::{ActivityRegistry, HostConfig};

use super::poll;
use super::server::{agent, ok, read};

/// A server in this process on a clock the test moves, serving the `weft` CLI.
pub struct InProcess {
    pub url: String,
    pub clock: Clock,
}

impl InProcess {
    /// Serve a host made from `config` (in memory unless it says otherwise) with
    /// `activities`, its clock at `start_ms`, moved only by [`Clock::skip`].
    pub async fn start(
        mut config: HostConfig,
        activities: ActivityRegistry,
        start_ms: u64,
    ) -> InProcess {
        let clock = Clock::virtual_at(start_ms, false);
        config.engine.cache_dir = Some(super::compiled_cache());
        config.clock = clock.clone();
        let listen: SocketAddr = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            probe.local_addr().unwrap()
        };
        tokio::spawn(weft_host::api::serve(
            config,
            None,
            Arc::new(weft_host::api::cluster::SingleHost::new("test")),
            listen,
            Duration::from_secs(1),
            activities,
            Default::default(),
        ));
        let url = format!("http://{listen}");
        let health = format!("{url}/v1/health");
        poll::until_async("the server up", || async {
            let health = health.clone();
            tokio::task::spawn_blocking(move || ureq::get(&health).call().ok().map(drop))
                .await
                .unwrap()
        })
        .await;
        InProcess { url, clock }
    }

    /// Run the CLI against this server (off the runtime's threads).
    pub async fn cli(&self, args: &[&str]) -> Output {
        let mut command = super::weft();
        command.args(args).args(["--server", &self.url]);
        tokio::task::spawn_blocking(move || command.output().unwrap())
            .await
            .unwrap()
    }

    /// `weft describe ID --json`.
    pub async fn describe(&self, id: &str) -> Value {
        serde_json::from_str(&ok(self.cli(&["describe", id, "--json"]).await)).unwrap()
    }

    /// `GET path`: the status and the body (JSON, or the text as a string).
    pub async fn get(&self, path: &str) -> (u16, Value) {
        let url = format!("{}{path}", self.url);
        tokio::task::spawn_blocking(move || read(agent().get(url).call()))
            .await
            .unwrap()
    }

    /// `POST path` with a JSON body: the status and the body.
    pub async fn post_json(&self, path: &str, body: &Value) -> (u16, Value) {
        let (url, body) = (format!("{}{path}", self.url), body.clone());
        tokio::task::spawn_blocking(move || read(agent().post(url).send_json(body)))
            .await
            .unwrap()
    }

    /// `id`'s history, fetched through the API.
    pub async fn history(&self, id: &str) -> Vec<Event> {
        let path = format!("/v1/executions/{id}/history");
        let (status, exported) = self.get(&path).await;
        assert_eq!(status, 200, "{exported}");
        weft_host::history::export::from_json(&exported.to_string())
            .unwrap()
            .2
    }

    /// `id`'s history, fetched through the API, replayed on the component built from
    /// `component`; its events.
    pub async fn assert_replays(&self, id: &str, component: &str) -> Vec<Event> {
        let events = self.history(id).await;
        let engine = super::engine();
        let module = engine.load(&super::component_bytes(component)).unwrap();
        weft_host::replay::replay(&engine, &module, &events)
            .unwrap_or_else(|e| panic!("replay of {id} on {component} failed: {e}"));
        events
    }
}
