//! mTLS and bearer tokens, as guest-examples/mtls/README.md tells a user to run them:
//! a real `weft server` with `--tls-cert --tls-key [--tls-client-ca]` and
//! `--tokens-file`/`WEFT_SERVER_TOKENS`, reached with the client library and with the
//! `weft` CLI (flags and environment variables). The certificates are made here with
//! rcgen, under the file names the example's script gives them.

use crate::support;

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use serde_json::json;
use support::server::{fails_with, ok, Server};
use support::{component, component_bytes, weft};
use weft_host::api::types::{ErrorCode, StartBody};
use weft_host::client::{Client, ClientError, ClientOptions, DeployMode};

/// A CA and the certificates it signed, as PEM files in `dir`: `ca.pem`, `server.pem`
/// and `server.key` (for localhost and 127.0.0.1), `client.pem` and `client.key`.
struct Pki {
    dir: PathBuf,
}

impl Pki {
    fn make(dir: &Path, ca_name: &str) -> Pki {
        std::fs::create_dir_all(dir).unwrap();
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.distinguished_name.push(DnType::CommonName, ca_name);
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_key = KeyPair::generate().unwrap();
        let ca_cert = ca.self_signed(&ca_key).unwrap();
        std::fs::write(dir.join("ca.pem"), ca_cert.pem()).unwrap();
        let issuer = Issuer::new(ca, ca_key);

        let leaf = |name: &str, sans: Vec<String>, usage: ExtendedKeyUsagePurpose| {
            let mut params = CertificateParams::new(sans).unwrap();
            params.distinguished_name.push(DnType::CommonName, name);
            params.extended_key_usages = vec![usage];
            let key = KeyPair::generate().unwrap();
            let cert = params.signed_by(&key, &issuer).unwrap();
            std::fs::write(dir.join(format!("{name}.pem")), cert.pem()).unwrap();
            std::fs::write(dir.join(format!("{name}.key")), key.serialize_pem()).unwrap();
        };
        leaf(
            "server",
            vec!["localhost".into(), "127.0.0.1".into()],
            ExtendedKeyUsagePurpose::ServerAuth,
        );
        leaf("client", vec![], ExtendedKeyUsagePurpose::ClientAuth);
        Pki {
            dir: dir.to_path_buf(),
        }
    }

    fn file(&self, name: &str) -> String {
        self.dir.join(name).to_str().unwrap().to_string()
    }

    /// Trust this CA; present this CA's client certificate when `with_cert`.
    fn options(&self, with_cert: bool) -> ClientOptions {
        ClientOptions {
            tls_ca: Some(self.dir.join("ca.pem")),
            tls_cert: with_cert.then(|| self.dir.join("client.pem")),
            tls_key: with_cert.then(|| self.dir.join("client.key")),
            token: None,
        }
    }
}

/// Deploy hello, run it to the end as `id` with `name`, check the greeting and replay
/// the history the server recorded.
fn run_hello(client: &Client, id: &str, name: &str) {
    client
        .deploy(&component_bytes("hello"), "hello", DeployMode::Move)
        .unwrap();
    let started = client
        .start(StartBody {
            workflow_type: "hello".into(),
            input: json!(name),
            id: Some(id.into()),
            ..Default::default()
        })
        .unwrap();
    let outcome = client.result(&started.workflow_id, true).unwrap();
    assert_eq!(outcome.result, Some(json!(format!("Hello, {name}!"))));
    assert_replays(client, id);
}

/// `id`'s history, fetched through the API, replays on the hello component.
fn assert_replays(client: &Client, id: &str) {
    let exported = client.history(id).unwrap();
    let (_, _, events) = weft_host::history::export::from_json(&exported.to_string()).unwrap();
    assert!(events.len() > 3, "{events:?}");
    let engine = support::engine();
    let module = engine.load(&component_bytes("hello")).unwrap();
    weft_host::replay::replay(&engine, &module, &events)
        .unwrap_or_else(|e| panic!("replay of {id} failed: {e}"));
}

fn refused(result: Result<(), ClientError>) -> String {
    let e = result.unwrap_err();
    assert!(matches!(e, ClientError::Tls { .. }), "{e:?}");
    e.to_string()
}

#[test]
fn mtls_refuses_clients_without_the_right_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let certs = Pki::make(&dir.path().join("certs"), "weft test CA");
    let other = Pki::make(&dir.path().join("other"), "another CA");
    component("hello");
    let server = Server::start_with(
        &dir.path().join("data"),
        &[],
        &[
            "--tls-cert",
            &certs.file("server.pem"),
            "--tls-key",
            &certs.file("server.key"),
            "--tls-client-ca",
            &certs.file("ca.pem"),
        ],
    );
    assert!(
        server.url.starts_with("https://127.0.0.1:"),
        "{}",
        server.url
    );

    // No client certificate: refused at the handshake.
    let anonymous = Client::with_options(&server.url, &certs.options(false)).unwrap();
    let e = refused(anonymous.health());
    assert!(
        e.contains("the server asked for a client certificate: pass --tls-cert and --tls-key"),
        "{e}"
    );
    // A certificate from another CA: refused too.
    let stranger = ClientOptions {
        tls_cert: Some(other.dir.join("client.pem")),
        tls_key: Some(other.dir.join("client.key")),
        ..certs.options(false)
    };
    let e = refused(
        Client::with_options(&server.url, &stranger)
            .unwrap()
            .health(),
    );
    assert!(
        e.contains("the server refused the client certificate"),
        "{e}"
    );
    // A client that does not trust the server's CA stops before sending anything.
    let e = refused(Client::new(&server.url).health());
    assert!(
        e.contains("not signed by a CA this client trusts") && e.contains("--tls-ca"),
        "{e}"
    );
    // Plain HTTP to the TLS port.
    let plain = server.url.replace("https://", "http://");
    let e = refused(Client::new(&plain).health());
    assert!(e.contains("use an https:// URL"), "{e}");
    // TLS files with an http:// URL are a mistake the client names before connecting.
    let e = Client::with_options(&plain, &certs.options(true)).unwrap_err();
    assert!(e.to_string().contains("is plain HTTP"), "{e}");

    // The right certificate: a real workflow, start to end.
    let client = Client::with_options(&server.url, &certs.options(true)).unwrap();
    run_hello(&client, "mtls-1", "mTLS");

    // The CLI with flags.
    let tls_flags = [
        "--tls-ca",
        &certs.file("ca.pem"),
        "--tls-cert",
        &certs.file("client.pem"),
        "--tls-key",
        &certs.file("client.key"),
    ];
    let out = server.cli(
        &[
            ["execute", "hello", "--input", "\"cli\"", "--id", "mtls-cli"].as_slice(),
            &tls_flags,
        ]
        .concat(),
    );
    assert_eq!(ok(out), "\"Hello, cli!\"");
    assert_replays(&client, "mtls-cli");
    // … and with the environment variables.
    let out = weft()
        .args(["result", "mtls-1"])
        .env("WEFT_SERVER", &server.url)
        .env("WEFT_TLS_CA", certs.file("ca.pem"))
        .env("WEFT_TLS_CERT", certs.file("client.pem"))
        .env("WEFT_TLS_KEY", certs.file("client.key"))
        .output()
        .unwrap();
    assert_eq!(ok(out), "\"Hello, mTLS!\"");
    // The CLI without a certificate says what to pass.
    let out = server.cli(&["modules", "--tls-ca", &certs.file("ca.pem")]);
    let said = fails_with(out, 1);
    assert!(
        said.contains("the server asked for a client certificate: pass --tls-cert and --tls-key"),
        "{said}"
    );
    // A key file that is not there is named.
    let out = server.cli(&[
        "modules",
        "--tls-ca",
        &certs.file("ca.pem"),
        "--tls-cert",
        &certs.file("client.pem"),
        "--tls-key",
        &certs.file("missing.key"),
    ]);
    let said = fails_with(out, 2);
    assert!(
        said.contains("cannot read --tls-key file") && said.contains("missing.key"),
        "{said}"
    );
}

#[test]
fn tokens_are_required_on_every_route() {
    let dir = tempfile::tempdir().unwrap();
    let certs = Pki::make(&dir.path().join("certs"), "weft test CA");
    let tokens = dir.path().join("tokens.txt");
    std::fs::write(&tokens, "# one token per line\nfile-token-1\n").unwrap();
    component("hello");
    // TLS without client certificates, and tokens from a file and the environment.
    let server = Server::start_with(
        &dir.path().join("data"),
        &[("WEFT_SERVER_TOKENS", "env-token-2")],
        &[
            "--tls-cert",
            &certs.file("server.pem"),
            "--tls-key",
            &certs.file("server.key"),
            "--tokens-file",
            tokens.to_str().unwrap(),
        ],
    );
    let with_token = |token: Option<&str>| {
        let options = ClientOptions {
            token: token.map(str::to_string),
            ..certs.options(false)
        };
        Client::with_options(&server.url, &options).unwrap()
    };

    let unauthorized = |e: ClientError, says: &str| {
        assert_eq!(e.status(), Some(401), "{e:?}");
        assert_eq!(e.code(), Some(ErrorCode::Unauthorized), "{e:?}");
        assert!(e.to_string().contains(says), "{e}");
    };
    let missing = with_token(None);
    unauthorized(missing.health().unwrap_err(), "requires a bearer token");
    unauthorized(missing.metrics().unwrap_err(), "requires a bearer token");
    unauthorized(missing.modules().unwrap_err(), "requires a bearer token");
    unauthorized(missing.cluster().unwrap_err(), "requires a bearer token");
    let wrong = with_token(Some("file-token-"));
    unauthorized(wrong.health().unwrap_err(), "not one this server accepts");
    unauthorized(wrong.metrics().unwrap_err(), "not one this server accepts");

    run_hello(&with_token(Some("file-token-1")), "token-1", "token");
    let from_env = with_token(Some("env-token-2"));
    assert!(from_env.metrics().unwrap().contains("weft_"));
    assert_eq!(from_env.cluster().unwrap().shards, 1);
    assert_replays(&from_env, "token-1");

    // The CLI with WEFT_TOKEN (and the CA from WEFT_TLS_CA).
    let cli = |token: &str, args: &[&str]| {
        weft()
            .args(args)
            .env("WEFT_SERVER", &server.url)
            .env("WEFT_TLS_CA", certs.file("ca.pem"))
            .env("WEFT_TOKEN", token)
            .output()
            .unwrap()
    };
    let out = cli(
        "env-token-2",
        &[
            "execute",
            "hello",
            "--input",
            "\"env\"",
            "--id",
            "token-cli",
        ],
    );
    assert_eq!(ok(out), "\"Hello, env!\"");
    assert_replays(&from_env, "token-cli");
    let said = fails_with(cli("guess", &["describe", "token-cli"]), 1);
    assert!(said.contains("not one this server accepts"), "{said}");
    // `--token` on the command line works too.
    let out = server.cli(&[
        "describe",
        "token-cli",
        "--tls-ca",
        &certs.file("ca.pem"),
        "--token",
        "file-token-1",
    ]);
    assert!(ok(out).contains("completed"));
}

#[test]
fn the_server_refuses_to_start_on_unusable_files() {
    let dir = tempfile::tempdir().unwrap();
    let certs = Pki::make(&dir.path().join("certs"), "weft test CA");
    let server = |args: &[&str]| {
        weft()
            .args(["server", "--listen", "127.0.0.1:0", "--data"])
            .arg(dir.path().join("data"))
            .args(args)
            .output()
            .unwrap()
    };
    let missing = dir.path().join("missing.pem");
    let out = server(&[
        "--tls-cert",
        missing.to_str().unwrap(),
        "--tls-key",
        &certs.file("server.key"),
    ]);
    let said = fails_with(out, 1);
    assert!(
        said.contains("cannot read --tls-cert file") && said.contains("missing.pem"),
        "{said}"
    );
    // The client's key with the server's certificate.
    let out = server(&[
        "--tls-cert",
        &certs.file("server.pem"),
        "--tls-key",
        &certs.file("client.key"),
    ]);
    let said = fails_with(out, 1);
    assert!(
        said.contains("is the key the one of that certificate?"),
        "{said}"
    );
    // A client CA without the server's own certificate.
    let out = server(&["--tls-client-ca", &certs.file("ca.pem")]);
    let said = fails_with(out, 2);
    assert!(said.contains("--tls-cert"), "{said}");
    // A tokens file with no token would refuse everyone.
    let empty = dir.path().join("tokens.txt");
    std::fs::write(&empty, "# nobody yet\n").unwrap();
    let said = fails_with(server(&["--tokens-file", empty.to_str().unwrap()]), 2);
    assert!(said.contains("holds no token"), "{said}");
}
