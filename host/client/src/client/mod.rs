//! A blocking client for the HTTP/JSON API of `weft server` ([`crate::api::types`]).
//!
//! ```no_run
//! use weft_api::types::StartBody;
//! use weft_client::client::Client;
//! use weft_client::client::DeployMode;
//!
//! let client = Client::new("http://127.0.0.1:7233");
//! let wasm = std::fs::read("hello.component.wasm")?;
//! let module = client.deploy(&wasm, "hello", DeployMode::Move)?;
//! println!("deployed {} version {}", module.name, module.version);
//! let started = client.start(StartBody {
//!     workflow_type: "hello".into(),
//!     input: serde_json::json!("world"),
//!     id: Some("hello-1".into()),
//!     ..Default::default()
//! })?;
//! let outcome = client.result(&started.workflow_id, true)?;
//! println!("{:?}", outcome.result);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod batches;
mod control;
mod error;
mod executions;
mod messages;
mod schedules;
mod steer;
mod tls;
mod update_with_start;

use std::time::Duration;

pub use weft_model::DeployMode;

use serde::de::DeserializeOwned;

pub use error::ClientError;
pub use tls::{ClientOptions, ClientSetupError};

use crate::api::types::{
    ApiErrorBody, ClusterStatus, CountBody, Description, ErrorCode, ExecutionPage, ExecutionStatus,
    ModuleInfo, ModuleList, ResultBody, StartBody, Started, MAX_MODULE_BYTES,
};

/// The server holds a `result` request open at most this long before answering 202.
const LONG_POLL_S: u64 = 30;
/// Time allowed for an ordinary request, beyond any long poll.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// A checked deploy replays every open execution of the name; give it time.
const DEPLOY_TIMEOUT: Duration = Duration::from_secs(600);
/// How many times a request with a request id is sent before its error is returned.
const REQUEST_ATTEMPTS: u32 = 4;
/// The wait before the first retry of a request with a request id; it doubles.
const FIRST_RETRY_DELAY: Duration = Duration::from_millis(100);
/// Largest answer read (histories are the large ones).
const MAX_ANSWER_BYTES: u64 = 1 << 30;

/// A connection to one `weft server`. Cheap to clone; clones share connections.
#[derive(Clone)]
pub struct Client {
    base_url: String,
    agent: ureq::Agent,
    tls: tls::TlsContext,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.base_url)
            .finish()
    }
}

impl Client {
    /// A client for the server at `base_url` (`http://host:port`; a trailing `/` is
    /// ignored). Nothing is sent until the first request. An `https://` URL is checked
    /// against the public web's root CAs; for a server with its own CA, a client
    /// certificate or a token, use [`Client::with_options`].
    pub fn new(base_url: impl Into<String>) -> Client {
        Client::with_options(base_url, &ClientOptions::default())
            .expect("no TLS files and no token: nothing to fail on")
    }

    /// A client that trusts `options.tls_ca`, presents `options.tls_cert` and
    /// `options.tls_key` when the server asks for a client certificate (mTLS), and
    /// sends `options.token` as a bearer token with every request.
    ///
    /// ```no_run
    /// use weft_client::client::{Client, ClientOptions};
    ///
    /// let client = Client::with_options(
    ///     "https://127.0.0.1:7233",
    ///     &ClientOptions {
    ///         tls_ca: Some("ca.pem".into()),
    ///         tls_cert: Some("client.pem".into()),
    ///         tls_key: Some("client.key".into()),
    ///         token: std::env::var("WEFT_TOKEN").ok(),
    ///     },
    /// )?;
    /// client.health()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// Fails when a PEM file cannot be read or holds no certificate or key (the error
    /// names the file), when TLS files are given for an `http://` URL, when only one
    /// of the certificate and the key is given, and for a token a header cannot carry.
    pub fn with_options(
        base_url: impl Into<String>,
        options: &ClientOptions,
    ) -> Result<Client, ClientError> {
        let base_url = base_url.into().trim_end_matches('/').to_string();
        let mut config = ureq::Agent::config_builder()
            // Error answers carry an `ApiErrorBody` worth reading.
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(10)));
        config = tls::configure(config, &base_url, options)?;
        if let Some(token) = &options.token {
            let value = tls::bearer_header(token)?;
            config = config.middleware(
                move |mut request: ureq::http::Request<ureq::SendBody>,
                      next: ureq::middleware::MiddlewareNext| {
                    request
                        .headers_mut()
                        .insert(ureq::http::header::AUTHORIZATION, value.clone());
                    next.handle(request)
                },
            );
        }
        let tls = tls::TlsContext {
            https: base_url.starts_with("https://"),
            client_cert: options.tls_cert.is_some(),
        };
        Ok(Client {
            base_url,
            agent: config.build().new_agent(),
            tls,
        })
    }

    /// The server's URL, as given.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// `GET /v1/health`: Ok when a weft server answers.
    pub fn health(&self) -> Result<(), ClientError> {
        let url = self.url("/v1/health");
        let _: serde_json::Value = self.send(&url, self.agent.get(&url).call())?.1;
        Ok(())
    }

    /// Deploy a component under `name`: the next version of the name, or the existing
    /// version when the same bytes are deployed again. The open executions of the
    /// name's earlier versions move to it when they replay on it
    /// ([`ModuleInfo::moved`], [`ModuleInfo::stayed`]); with [`DeployMode::Check`] the
    /// server refuses (409, with [`ApiErrorBody::divergences`]) if any diverges, with
    /// [`DeployMode::Pin`] nobody moves.
    pub fn deploy(
        &self,
        component: &[u8],
        name: &str,
        mode: DeployMode,
    ) -> Result<ModuleInfo, ClientError> {
        let url = self.url("/v1/modules");
        if component.len() > MAX_MODULE_BYTES {
            // The server would refuse it too, after reading it all.
            return Err(local_error(
                413,
                ErrorCode::TooLarge,
                format!(
                    "the component is {} bytes, over the limit of {MAX_MODULE_BYTES}",
                    component.len()
                ),
            ));
        }
        let answer = self
            .agent
            .post(&url)
            .query("name", name)
            .query(
                "check",
                if mode == DeployMode::Check {
                    "true"
                } else {
                    "false"
                },
            )
            .query(
                "pin",
                if mode == DeployMode::Pin {
                    "true"
                } else {
                    "false"
                },
            )
            .content_type("application/wasm")
            .config()
            .timeout_global(Some(DEPLOY_TIMEOUT))
            .build()
            .send(component);
        Ok(self.send(&url, answer)?.1)
    }

    /// Every version of every module name, by name then version.
    pub fn modules(&self) -> Result<Vec<ModuleInfo>, ClientError> {
        let list: ModuleList = self.get("/v1/modules")?;
        Ok(list.modules)
    }

    /// The hosts of the server's cluster and the shards each holds (`GET /v1/cluster`).
    pub fn cluster(&self) -> Result<ClusterStatus, ClientError> {
        self.get("/v1/cluster")
    }

    /// The server's metrics, in Prometheus' text format (`GET /metrics`).
    pub fn metrics(&self) -> Result<String, ClientError> {
        let url = self.url("/metrics");
        let (_, bytes) = self.send_raw(&url, self.call_get(&url))?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// Start an execution; 409 when the workflow id has a running execution, 429
    /// (`resource_exhausted`, not retried) when its type is past a start rate that
    /// refuses. The start carries `body.request_id` (a fresh one when it has none) and
    /// is sent again with it when the answer is lost, so it starts at most one run.
    /// With `body.debounce` ([`DebounceBody`](weft_api::types::DebounceBody)) the run
    /// answered is pending until its period passes, and superseded by a later start of
    /// the same type and key within it.
    pub fn start(&self, mut body: StartBody) -> Result<Started, ClientError> {
        body.request_id.get_or_insert_with(new_request_id);
        self.post_retrying("/v1/executions", &body)
    }

    /// One page of runs, newest first, optionally only those with `status` and of
    /// `workflow_type`. Pass the page's `next_cursor` back as `cursor` for the next one.
    pub fn list(
        &self,
        status: Option<ExecutionStatus>,
        workflow_type: Option<&str>,
        limit: Option<usize>,
        cursor: Option<&str>,
    ) -> Result<ExecutionPage, ClientError> {
        let url = self.url("/v1/executions");
        let mut request = self.agent.get(&url);
        if let Some(status) = status {
            request = request.query("status", status.as_str());
        }
        if let Some(t) = workflow_type {
            request = request.query("type", t);
        }
        if let Some(limit) = limit {
            request = request.query("limit", limit.to_string());
        }
        if let Some(cursor) = cursor {
            request = request.query("cursor", cursor);
        }
        let answer = request
            .config()
            .timeout_global(Some(REQUEST_TIMEOUT))
            .build()
            .call();
        Ok(self.send(&url, answer)?.1)
    }

    /// The executions passing a list filter (`WorkflowType = 'hello' AND
    /// OrderStatus = 'shipped' ORDER BY StartTime DESC`), a page at a time; pass the
    /// page's `next_cursor` back as `cursor`.
    pub fn search(
        &self,
        query: &str,
        limit: Option<usize>,
        cursor: Option<&str>,
    ) -> Result<ExecutionPage, ClientError> {
        let url = self.url("/v1/executions");
        let mut request = self.agent.get(&url).query("query", query);
        if let Some(limit) = limit {
            request = request.query("limit", limit.to_string());
        }
        if let Some(cursor) = cursor {
            request = request.query("cursor", cursor);
        }
        let answer = request
            .config()
            .timeout_global(Some(REQUEST_TIMEOUT))
            .build()
            .call();
        Ok(self.send(&url, answer)?.1)
    }

    /// How many executions pass a list filter; with `GROUP BY ExecutionStatus` at its
    /// end, per status too.
    pub fn count(&self, query: &str) -> Result<CountBody, ClientError> {
        let url = self.url("/v1/execution-count");
        let answer = self
            .agent
            .get(&url)
            .query("query", query)
            .config()
            .timeout_global(Some(REQUEST_TIMEOUT))
            .build()
            .call();
        Ok(self.send(&url, answer)?.1)
    }

    /// Status, module version, what the run waits for, and how it ended.
    /// `id` is a workflow id (its latest run) or a run id.
    pub fn describe(&self, id: &str) -> Result<Description, ClientError> {
        self.get(&format!("/v1/executions/{}", path_segment(id)))
    }

    /// How a run ended. With `wait`, long-polls until it has; without, answers at once
    /// (status `running` and neither result nor failure while it is open).
    pub fn result(&self, id: &str, wait: bool) -> Result<ResultBody, ClientError> {
        let url = self.url(&format!("/v1/executions/{}/result", path_segment(id)));
        let wait_s = if wait { LONG_POLL_S } else { 0 };
        loop {
            let answer = self
                .agent
                .get(&url)
                .query("wait_s", wait_s.to_string())
                .config()
                .timeout_global(Some(REQUEST_TIMEOUT + Duration::from_secs(wait_s)))
                .build()
                .call();
            let (status, body): (u16, ResultBody) = self.send(&url, answer)?;
            if !wait || status != 202 {
                return Ok(body);
            }
        }
    }

    /// A run's history as the history file's JSON (`history::export`), which
    /// `history::export::from_json` decodes and `weft replay` reads.
    pub fn history(&self, id: &str) -> Result<serde_json::Value, ClientError> {
        self.get(&format!("/v1/executions/{}/history", path_segment(id)))
    }

    /// A run's history as stored: payloads the server's codec encoded stay envelopes
    /// (`GET /v1/executions/{id}/history?stored=true`), as `weft history export` writes
    /// them unless told to decode.
    pub fn history_stored(&self, id: &str) -> Result<serde_json::Value, ClientError> {
        self.get(&format!(
            "/v1/executions/{}/history?stored=true",
            path_segment(id)
        ))
    }

    /// The fields the server masks wherever it shows a payload
    /// (`GET /v1/sensitive-fields`).
    pub fn sensitive_fields(
        &self,
    ) -> Result<crate::api::sensitive_types::SensitiveFieldsBody, ClientError> {
        self.get("/v1/sensitive-fields")
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        let url = self.url(path);
        Ok(self.send(&url, self.call_get(&url))?.1)
    }

    /// DELETE `path`; the decoded answer.
    fn delete<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        let url = self.url(path);
        let answer = self
            .agent
            .delete(&url)
            .config()
            .timeout_global(Some(REQUEST_TIMEOUT))
            .build()
            .call();
        Ok(self.send(&url, answer)?.1)
    }

    /// GET `url`, within the request timeout.
    fn call_get(&self, url: &str) -> Result<ureq::http::Response<ureq::Body>, ureq::Error> {
        self.agent
            .get(url)
            .config()
            .timeout_global(Some(REQUEST_TIMEOUT))
            .build()
            .call()
    }

    /// POST `body` as JSON to `path`; the decoded answer.
    fn post<B: serde::Serialize, T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ClientError> {
        let url = self.url(path);
        let answer = self
            .agent
            .post(&url)
            .config()
            .timeout_global(Some(REQUEST_TIMEOUT))
            .build()
            .send_json(body);
        Ok(self.send(&url, answer)?.1)
    }

    /// [`Client::post`] for a request that carries a request id: sent again, with the
    /// same id, after a transport error or an answer that says the outcome is unknown
    /// or the host could not take it yet, a few times with a short backoff. The server
    /// applies a request id once, so a retry never applies it twice.
    fn post_retrying<B: serde::Serialize, T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ClientError> {
        let mut delay = FIRST_RETRY_DELAY;
        let mut attempt = 1;
        loop {
            match self.post(path, body) {
                Err(e) if attempt < REQUEST_ATTEMPTS && e.worth_retrying() => {
                    std::thread::sleep(delay);
                    delay *= 2;
                    attempt += 1;
                }
                answer => return answer,
            }
        }
    }

    /// Turn an answer into its status and decoded body, or the error it carries.
    fn send<T: DeserializeOwned>(
        &self,
        url: &str,
        answer: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<(u16, T), ClientError> {
        let (status, bytes) = self.send_raw(url, answer)?;
        let body = serde_json::from_slice(&bytes).map_err(|e| ClientError::Decode {
            url: url.to_string(),
            reason: format!("HTTP {status} with a body that does not decode: {e}"),
        })?;
        Ok((status, body))
    }

    /// The status and bytes of a successful answer; an error answer as an error.
    fn send_raw(
        &self,
        url: &str,
        answer: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<(u16, Vec<u8>), ClientError> {
        let mut response = answer.map_err(|e| self.transport_error(url, e))?;
        let status = response.status().as_u16();
        let bytes = response
            .body_mut()
            .with_config()
            .limit(MAX_ANSWER_BYTES)
            .read_to_vec()
            .map_err(|e| self.transport_error(url, e))?;
        if status >= 400 {
            let body = serde_json::from_slice::<ApiErrorBody>(&bytes)
                .unwrap_or_else(|_| foreign_error(url, status, &bytes));
            return Err(ClientError::Api { status, body });
        }
        Ok((status, bytes))
    }
}

/// A fresh request id: a retry of a request sends the same one.
pub(crate) fn new_request_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

impl Client {
    /// A transport error as a [`ClientError`]: TLS failures explained, others
    /// classified by [`ClientError::transport`].
    fn transport_error(&self, url: &str, e: ureq::Error) -> ClientError {
        match tls::explain(&e, self.tls) {
            Some(reason) => ClientError::Tls {
                url: self.base_url.clone(),
                reason,
            },
            None => ClientError::transport(&self.base_url, url, e),
        }
    }
}

/// An error answer that is not an [`ApiErrorBody`] (a proxy, another server, or a
/// request the server's router rejected before a handler saw it).
fn foreign_error(url: &str, status: u16, bytes: &[u8]) -> ApiErrorBody {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim();
    let mut message = format!("HTTP {status} from {url}");
    if !text.is_empty() {
        let short: String = text.chars().take(200).collect();
        message.push_str(&format!(": {short}"));
    }
    ApiErrorBody {
        code: code_of_status(status),
        message,
        divergences: Vec::new(),
    }
}

fn local_error(status: u16, code: ErrorCode, message: String) -> ClientError {
    ClientError::Api {
        status,
        body: ApiErrorBody {
            code,
            message,
            divergences: Vec::new(),
        },
    }
}

/// The error code the API uses with an HTTP status.
fn code_of_status(status: u16) -> ErrorCode {
    match status {
        400 => ErrorCode::BadRequest,
        401 => ErrorCode::Unauthorized,
        404 => ErrorCode::NotFound,
        409 => ErrorCode::Conflict,
        413 => ErrorCode::TooLarge,
        422 => ErrorCode::Invalid,
        429 => ErrorCode::ResourceExhausted,
        503 => ErrorCode::Unavailable,
        _ => ErrorCode::Internal,
    }
}

/// `id` escaped for use as one path segment (ids may hold `/`, `?`, spaces, …).
pub(crate) use weft_api::paths::segment as path_segment;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_escaped_as_one_path_segment() {
        assert_eq!(path_segment("hello-1.a_b~"), "hello-1.a_b~");
        assert_eq!(path_segment("a/b c?d#é"), "a%2Fb%20c%3Fd%23%C3%A9");
    }

    #[test]
    fn an_unreachable_server_is_a_connect_error_naming_the_url() {
        // Port 1 on loopback: nothing listens there.
        let client = Client::new("http://127.0.0.1:1/");
        let err = client.health().unwrap_err();
        assert!(matches!(err, ClientError::Connect { .. }), "{err:?}");
        let message = err.to_string();
        assert!(message.contains("at http://127.0.0.1:1 "), "{message}");
        assert!(message.contains("weft server"), "{message}");
    }

    #[test]
    fn foreign_error_bodies_keep_their_status() {
        let body = foreign_error("http://x/v1/y", 404, b"");
        assert_eq!(body.code, ErrorCode::NotFound);
        assert_eq!(body.message, "HTTP 404 from http://x/v1/y");
        let body = foreign_error("http://x", 400, b"Failed to deserialize query string");
        assert_eq!(body.code, ErrorCode::BadRequest);
        assert!(body.message.ends_with("Failed to deserialize query string"));
    }
}
