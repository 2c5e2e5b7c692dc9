//! Firefox for the web UI's tests, driven through Marionette, the remote protocol built
//! into Firefox (no geckodriver to install): JSON messages prefixed by their length
//! over a TCP connection, `[0, id, "WebDriver:Command", params]` answered by
//! `[1, id, error, result]`. [`super::browser::Browser`] speaks the W3C WebDriver
//! endpoints; [`Marionette::call`] takes the same endpoint and body and sends the
//! Marionette command of the same meaning.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use serde_json::{json, Value};

use super::poll::until;

pub const FIREFOX: &str = "/usr/bin/firefox-esr";

/// A headless Firefox and the connection to its Marionette server.
pub struct Marionette {
    firefox: Child,
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    next_id: u64,
}

impl Marionette {
    /// Start a headless Firefox on `profile` (a fresh folder) and open a session that
    /// accepts dialogs.
    pub fn start(profile: &Path) -> Marionette {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let prefs = [
            format!("user_pref(\"marionette.port\", {port});"),
            "user_pref(\"browser.shell.checkDefaultBrowser\", false);".into(),
            "user_pref(\"datareporting.policy.dataSubmissionEnabled\", false);".into(),
            "user_pref(\"toolkit.telemetry.reportingpolicy.firstRun\", false);".into(),
            "user_pref(\"browser.startup.homepage_override.mstone\", \"ignore\");".into(),
            "user_pref(\"app.update.disabledForTesting\", true);".into(),
            "user_pref(\"network.captive-portal-service.enabled\", false);".into(),
            "user_pref(\"intl.accept_languages\", \"en-US\");".into(),
        ];
        std::fs::write(profile.join("user.js"), prefs.join("\n")).unwrap();
        let firefox = Command::new(FIREFOX)
            .args(["--headless", "--marionette", "--no-remote", "--profile"])
            .arg(profile)
            .args(["--width", "1280", "--height", "900", "about:blank"])
            .env("MOZ_CRASHREPORTER_DISABLE", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stream = until("Firefox's Marionette server to listen", || {
            TcpStream::connect(("127.0.0.1", port)).ok()
        });
        let mut marionette = Marionette {
            firefox,
            reader: BufReader::new(stream.try_clone().unwrap()),
            writer: stream,
            next_id: 0,
        };
        let hello = marionette.read();
        assert_eq!(hello["marionetteProtocol"], 3, "{hello}");
        let capabilities = json!({"unhandledPromptBehavior": "accept"});
        marionette.send("WebDriver:NewSession", capabilities);
        marionette
    }

    /// The WebDriver endpoint `method path` (relative to the session) with `body`, sent
    /// as the Marionette command of the same meaning; its value.
    pub fn call(&mut self, method: &str, path: &str, body: Option<Value>) -> Value {
        let body = body.unwrap_or(json!({}));
        let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let (name, params) = match (method, parts.as_slice()) {
            ("POST", ["url"]) => ("WebDriver:Navigate", body),
            ("POST", ["elements"]) => ("WebDriver:FindElements", body),
            ("POST", ["execute", "sync"]) => ("WebDriver:ExecuteScript", body),
            ("GET", ["screenshot"]) => ("WebDriver:TakeScreenshot", json!({"full": false})),
            ("POST", ["element", id, "click"]) => ("WebDriver:ElementClick", json!({"id": id})),
            ("POST", ["element", id, "clear"]) => ("WebDriver:ElementClear", json!({"id": id})),
            ("POST", ["element", id, "value"]) => (
                "WebDriver:ElementSendKeys",
                json!({"id": id, "text": body["text"]}),
            ),
            ("GET", ["element", id, "text"]) => ("WebDriver:GetElementText", json!({"id": id})),
            _ => panic!("no Marionette command for {method} {path}"),
        };
        let result = self.send(name, params);
        // Most commands answer `{"value": ..}`; a few answer the value itself.
        match result.as_object() {
            Some(o) if o.len() == 1 && o.contains_key("value") => result["value"].clone(),
            _ => result,
        }
    }

    fn send(&mut self, name: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let message = json!([0, id, name, params]).to_string();
        write!(self.writer, "{}:{message}", message.len()).unwrap();
        self.writer.flush().unwrap();
        let reply = self.read();
        assert_eq!(reply[1], id, "{reply}");
        assert!(reply[2].is_null(), "{name}: {}", reply[2]);
        reply[3].clone()
    }

    fn read(&mut self) -> Value {
        let mut length = Vec::new();
        self.reader.read_until(b':', &mut length).unwrap();
        length.pop();
        let length: usize = String::from_utf8(length).unwrap().parse().unwrap();
        let mut body = vec![0; length];
        self.reader.read_exact(&mut body).unwrap();
        serde_json::from_slice(&body).unwrap()
    }
}

impl Drop for Marionette {
    fn drop(&mut self) {
        let _ = self.send_quietly();
        let _ = self.firefox.kill();
        let _ = self.firefox.wait();
    }
}

impl Marionette {
    /// End the session, ignoring a browser already gone.
    fn send_quietly(&mut self) -> std::io::Result<()> {
        let message = json!([0, u64::MAX, "WebDriver:DeleteSession", {}]).to_string();
        write!(self.writer, "{}:{message}", message.len())
    }
}
