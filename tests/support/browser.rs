//! A real browser for the web UI's tests: headless Chromium driven through
//! chromedriver's W3C WebDriver endpoints over plain HTTP (`ureq`), or headless Firefox
//! through its built-in Marionette protocol (`super::marionette`), with screenshots
//! saved under `target/ui-screenshots/` for a person to look at.
//!
//! `scripts/test.sh` installs Debian's `chromium`, `chromium-driver` and `firefox-esr`
//! when missing. Without them [`Browser::start`] and [`Browser::firefox`] answer `None`
//! and the test says it skipped, unless `CI` or `WEFT_REQUIRE_BROWSER=1` is set: then it
//! fails, so a green CI cannot hide a missing install.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use base64::Engine as _;
use serde_json::{json, Value};

use super::marionette::{Marionette, FIREFOX};
use super::poll::{until, until_seen};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
/// The W3C name of a reference to an element.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// One headless browser session, ended when dropped.
pub struct Browser {
    backend: Backend,
    /// Screenshots are named `<test>-<step>.png`.
    test: String,
    _profile: tempfile::TempDir,
}

enum Backend {
    /// Chromium, behind its chromedriver.
    Chromium {
        driver: Child,
        endpoint: String,
        agent: ureq::Agent,
    },
    Firefox(RefCell<Marionette>),
}

/// Whether `program` is installed; when it is not, says that `test` skipped, or fails
/// when `CI` or `WEFT_REQUIRE_BROWSER=1` asks for every browser test to run.
fn installed(program: &str, packages: &str, test: &str) -> bool {
    if Path::new(program).exists() {
        return true;
    }
    let required = std::env::var_os("CI").is_some()
        || std::env::var("WEFT_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
    assert!(
        !required,
        "{program} is missing: scripts/test.sh installs {packages}"
    );
    eprintln!("skipped {test}: no {program} (apt-get install {packages})");
    false
}

impl Browser {
    /// Headless Firefox for `test` (named `<test>` in screenshots), or `None` when it is
    /// not installed (see [`installed`]).
    pub fn firefox(test: &str) -> Option<Browser> {
        if !installed(FIREFOX, "firefox-esr", test) {
            return None;
        }
        let profile = tempfile::tempdir().unwrap();
        let marionette = Marionette::start(profile.path());
        Some(Browser {
            backend: Backend::Firefox(RefCell::new(marionette)),
            test: test.to_string(),
            _profile: profile,
        })
    }

    /// Headless Chromium for `test`, or `None` when chromedriver is not installed (see
    /// [`installed`]).
    pub fn start(test: &str) -> Option<Browser> {
        if !installed(CHROMEDRIVER, "chromium chromium-driver", test) {
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let base = format!("http://127.0.0.1:{port}");
        until("chromedriver to answer", || {
            agent.get(format!("{base}/status")).call().ok()
        });
        let profile = tempfile::tempdir().unwrap();
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1280,900",
            "--force-device-scale-factor=1",
            "--lang=en-US",
        ];
        let mut args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "unhandledPromptBehavior": "accept",
            "goog:chromeOptions": {"binary": CHROMIUM, "args": args},
        }}});
        let mut browser = Browser {
            backend: Backend::Chromium {
                driver,
                endpoint: String::new(),
                agent,
            },
            test: test.to_string(),
            _profile: profile,
        };
        let Backend::Chromium { agent, .. } = &browser.backend else {
            unreachable!("made just above")
        };
        // Made before the session, so a failure to start one still ends chromedriver.
        let session = call(
            agent,
            "POST",
            &format!("{base}/session"),
            Some(capabilities),
        );
        let id = session["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {session}"));
        if let Backend::Chromium { endpoint, .. } = &mut browser.backend {
            *endpoint = format!("{base}/session/{id}");
        }
        Some(browser)
    }

    /// The WebDriver endpoint `method path` of the session, with `body`: its value.
    fn command(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        match &self.backend {
            Backend::Chromium {
                endpoint, agent, ..
            } => call(agent, method, &format!("{endpoint}{path}"), body),
            Backend::Firefox(marionette) => marionette.borrow_mut().call(method, path, body),
        }
    }

    pub fn goto(&self, url: &str) {
        self.command("POST", "/url", Some(json!({"url": url})));
    }

    /// The elements `css` selects now.
    pub fn find_all(&self, css: &str) -> Vec<String> {
        let found = self.command(
            "POST",
            "/elements",
            Some(json!({"using": "css selector", "value": css})),
        );
        found
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                let id = e[ELEMENT].as_str();
                id.unwrap_or_else(|| panic!("not an element: {e}"))
                    .to_string()
            })
            .collect()
    }

    /// The first element `css` selects, waiting (bounded) for it to appear.
    pub fn find(&self, css: &str) -> String {
        until(&format!("{css} on the page"), || {
            self.find_all(css).into_iter().next()
        })
    }

    /// Wait (bounded) until `check` holds for the page's text.
    pub fn wait_for_text(&self, what: &str, check: impl Fn(&str) -> bool) -> String {
        until_seen(what, || {
            let text = self.execute("return document.body ? document.body.innerText : ''");
            let text = text.as_str().unwrap_or_default().to_string();
            if check(&text) {
                Ok(text)
            } else {
                Err(text)
            }
        })
    }

    pub fn click(&self, element: &str) {
        self.command("POST", &format!("/element/{element}/click"), None);
    }

    pub fn type_into(&self, element: &str, text: &str) {
        self.command("POST", &format!("/element/{element}/clear"), None);
        self.command(
            "POST",
            &format!("/element/{element}/value"),
            Some(json!({"text": text})),
        );
    }

    pub fn text(&self, element: &str) -> String {
        self.command("GET", &format!("/element/{element}/text"), None)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Run `script` (a function body) in the page.
    pub fn execute(&self, script: &str) -> Value {
        self.command(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
    }

    /// Save the viewport as `target/ui-screenshots/<test>-<step>.png`.
    pub fn screenshot(&self, step: &str) -> PathBuf {
        let png = self.command("GET", "/screenshot", None);
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap())
            .unwrap();
        assert!(bytes.starts_with(b"\x89PNG"), "a screenshot is a PNG");
        let dir = super::repo_root().join("target/ui-screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{}-{step}.png", self.test));
        std::fs::write(&path, bytes).unwrap();
        path
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Backend::Chromium {
            driver,
            endpoint,
            agent,
        } = &mut self.backend
        {
            if !endpoint.is_empty() {
                let _ = agent.delete(endpoint.as_str()).call();
            }
            let _ = driver.kill();
            let _ = driver.wait();
        }
    }
}

/// A WebDriver request to chromedriver: its value.
fn call(agent: &ureq::Agent, method: &str, url: &str, body: Option<Value>) -> Value {
    let response = match (method, body) {
        ("GET", _) => agent.get(url).call(),
        ("DELETE", _) => agent.delete(url).call(),
        (_, body) => agent.post(url).send_json(body.unwrap_or(json!({}))),
    };
    let mut response = response.unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    let text = response
        .body_mut()
        .with_config()
        .limit(64 << 20)
        .read_to_string()
        .unwrap();
    let value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    assert!(response.status().is_success(), "{method} {url}: {text}");
    value["value"].clone()
}
