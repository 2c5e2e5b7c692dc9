//! A real `weft server` process on loopback, and a small HTTP client for tests.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Output, Stdio};

use serde_json::Value;

use super::poll::{until_seen, PATIENCE};

/// A running `weft server`; killed with SIGKILL when dropped.
pub struct Server {
    child: Child,
    pub url: String,
}

impl Server {
    /// Start a server on `data` (port picked by the kernel) with extra environment.
    pub fn start(data: &Path, env: &[(&str, &str)]) -> Server {
        Server::start_with(data, env, &[])
    }

    /// A server on `data` on the virtual clock (`WEFT_VIRTUAL_CLOCK=1`) with the
    /// component `name` deployed (with the CLI) under that name.
    pub fn virtual_with(data: &Path, name: &str) -> Server {
        let server = Server::start(data, &[("WEFT_VIRTUAL_CLOCK", "1")]);
        let component = super::component(name);
        ok(server.cli(&["deploy", component.to_str().unwrap(), "--name", name]));
        server
    }

    /// [`Server::start`] with extra `weft server` arguments.
    pub fn start_with(data: &Path, env: &[(&str, &str)], args: &[&str]) -> Server {
        let mut cmd = super::weft();
        cmd.args(["server", "--listen", "127.0.0.1:0", "--data"])
            .arg(data)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        // Its first line says where it listens; a server that never says is a failure,
        // not a hang.
        let stdout = child.stdout.take().unwrap();
        let (said, heard) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let read = reader.read_line(&mut line).map(|_| line);
            let _ = said.send(read);
            // Later lines (a standby's "listening on" once it serves) are read and
            // dropped, so the server never writes into a closed pipe.
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        });
        let Ok(line) = heard.recv_timeout(PATIENCE) else {
            let _ = child.kill();
            panic!(
                "weft server on {} printed nothing in {PATIENCE:?}",
                data.display()
            );
        };
        let line = line.unwrap();
        // A standby of a cluster says so first, and forwards until it serves.
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .or_else(|| line.trim().strip_prefix("standby on "))
            .unwrap_or_else(|| panic!("unexpected first line from weft server: {line:?}"))
            .to_string();
        Server { child, url }
    }

    /// SIGTERM, then wait for the server to exit: its graceful shutdown runs.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success(), "kill -TERM failed: {sent:?}");
        self.child.wait().unwrap()
    }

    /// Send `signal` (`STOP`, `CONT`, …) to the server process.
    pub fn signal(&self, signal: &str) {
        let sent = std::process::Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success(), "kill -{signal} failed: {sent:?}");
    }

    /// The exit status, if the server has exited.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().unwrap()
    }

    /// SIGKILL: no shutdown code runs.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    pub fn get(&self, path: &str) -> (u16, Value) {
        let resp = agent().get(format!("{}{path}", self.url)).call();
        read(resp)
    }

    pub fn delete(&self, path: &str) -> (u16, Value) {
        read(agent().delete(format!("{}{path}", self.url)).call())
    }

    pub fn post_json(&self, path: &str, body: &Value) -> (u16, Value) {
        read(agent().post(format!("{}{path}", self.url)).send_json(body))
    }

    pub fn post_bytes(&self, path: &str, body: &[u8]) -> (u16, Value) {
        read(
            agent()
                .post(format!("{}{path}", self.url))
                .content_type("application/wasm")
                .send(body),
        )
    }

    /// Wait (long-polling, bounded) for a run's result body.
    pub fn result(&self, id: &str) -> Value {
        until_seen(&format!("{id} to close"), || {
            let (status, body) = self.get(&format!("{}/result?wait_s=10", execution(id)));
            match status {
                200 => Ok(body),
                202 => Err(body),
                other => panic!("result of {id}: {other} {body}"),
            }
        })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The path of execution `id` (a child's id has a `/`, which a path segment escapes).
pub fn execution(id: &str) -> String {
    format!("/v1/executions/{}", id.replace('/', "%2F"))
}

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

pub fn read(resp: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> (u16, Value) {
    let mut resp = resp.unwrap();
    let status = resp.status().as_u16();
    let text = resp
        .body_mut()
        .with_config()
        .limit(64 << 20)
        .read_to_string()
        .unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

impl Server {
    /// The events of `id`'s history, fetched through the API.
    pub fn history(&self, id: &str) -> Vec<weft_host::history::Event> {
        let (status, exported) = self.get(&format!("{}/history", execution(id)));
        assert_eq!(status, 200, "{exported}");
        weft_host::history::export::from_json(&exported.to_string())
            .unwrap()
            .2
    }

    /// `id`'s history, fetched through the API, replayed on the component built from
    /// `component`; its events.
    pub fn assert_replays(&self, id: &str, component: &str) -> Vec<weft_host::history::Event> {
        let events = self.history(id);
        let engine = super::engine();
        let module = engine.load(&super::component_bytes(component)).unwrap();
        weft_host::replay::replay(&engine, &module, &events)
            .unwrap_or_else(|e| panic!("replay of {id} on {component} failed: {e}"));
        events
    }

    /// Run the `weft` command line against this server.
    pub fn cli(&self, args: &[&str]) -> Output {
        super::weft()
            .args(args)
            .args(["--server", &self.url])
            .output()
            .unwrap()
    }
}

/// Stdout (trimmed) of a command that must succeed (its stderr is in the panic
/// otherwise).
pub fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Stderr of a command that must succeed (its notes for people go there).
pub fn said(out: Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stderr).unwrap()
}

/// Stderr of a command that must exit with `code`.
pub fn fails_with(out: Output, code: i32) -> String {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout {} stderr {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stderr).unwrap()
}
