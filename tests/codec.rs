//! Payload codecs end to end, with the `encryption` example on a real `weft server`
//! holding a key file: nothing recognisable of a run's payloads is in the bytes of the
//! redb file, results and histories still come back decoded, keys rotate, a missing key
//! is named, large payloads are compressed, `history export` keeps payloads encoded
//! unless told to decode, and every history replays.

use crate::support;

use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde_json::{json, Value};
use support::server::{fails_with, ok, Server};
use support::*;
use weft_host::history::vocab::Encoding;
use weft_host::history::{export, Event, Job};
use weft_host::payload_codec::Envelope;
use weft_host::runtime::Inspector;
use weft_host::storage::{RedbStorage, Storage};

/// What the test must never find in the database file.
const SECRETS: [&str; 8] = [
    "Zebulon",                // the customer, in the workflow's input and result
    "rosebud-7731",           // the card, the activity's input
    "ROSEBUD-7731",           // the activity's output, in the result
    "alice-4411",             // the signal
    "quarterly ledger entry", // the large attachment (compressed, then encrypted)
    "k2-signal-bob",          // a signal after the rotation
    "quimby-5530",            // the memo
    "nightly-ledger-9918",    // a schedule's input (the schedule record is sealed)
];

fn key(byte: u8) -> String {
    base64::engine::general_purpose::STANDARD.encode([byte; 32])
}

fn key_file(dir: &Path, name: &str, active: &str, keys: &[(&str, u8)]) -> PathBuf {
    let keys: serde_json::Map<String, Value> = keys
        .iter()
        .map(|(id, b)| (id.to_string(), json!(key(*b))))
        .collect();
    let path = dir.join(name);
    let text = json!({ "active": active, "keys": keys, "compress_above": 1024 });
    std::fs::write(&path, text.to_string()).unwrap();
    path
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

fn statement(card: &str) -> Value {
    json!({
        "customer": "Customer Zebulon",
        "card": card,
        "attachment": "quarterly ledger entry 42; ".repeat(4000),
    })
}

/// The key ids of the encoded payloads in an exported (stored) history file, in order.
fn key_ids(file: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(file).unwrap();
    let (_, _, events) = export::from_json(&text).unwrap();
    let mut ids = Vec::new();
    for event in &events {
        let payload = match event {
            Event::Job(Job::StartWorkflow(s)) | Event::PendingJob(Job::StartWorkflow(s)) => {
                &s.input
            }
            Event::Job(Job::Signal(s)) => &s.input,
            _ => continue,
        };
        assert_eq!(payload.encoding, Encoding::Encoded, "{event:?}");
        ids.push(Envelope::of(payload).unwrap().key_id.unwrap());
    }
    ids
}

fn cli(args: &[&str]) -> std::process::Output {
    weft()
        .env_remove("WEFT_CODEC_KEYS")
        .args(args)
        .output()
        .unwrap()
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn encryption_example_keeps_payloads_encrypted_at_rest() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let k1 = key_file(tmp.path(), "k1.json", "k1", &[("k1", 1)]);
    let component = component("encryption");

    // A server with the key file: a run with recognisable payloads, and one left open.
    let server = Server::start_with(&data, &[], &["--codec-keys", path(&k1)]);
    ok(server.cli(&["deploy", path(&component), "--name", "encryption"]));
    let input = statement("card-rosebud-7731").to_string();
    let memo = r#"note="ship to quimby-5530""#;
    let start = ["start", "encryption", "--input", &input, "--id", "enc-1"];
    ok(server.cli(&[&start[..], &["--memo", memo]].concat()));
    // The memo is kept in the (encrypted) history only; describe decodes it.
    let described = ok(server.cli(&["describe", "enc-1"]));
    assert!(described.contains("ship to quimby-5530"), "{described}");
    ok(server.cli(&[
        "signal",
        "enc-1",
        "approve",
        "--input",
        "\"approved-by-alice-4411\"",
    ]));
    let result: Value = serde_json::from_str(&ok(server.cli(&["result", "enc-1"]))).unwrap();
    assert_eq!(result["customer"], "Customer Zebulon");
    assert_eq!(result["card"], "CARD-ROSEBUD-7731");
    assert_eq!(result["approved_by"], "approved-by-alice-4411");
    assert_eq!(result["attachment_bytes"], 27 * 4000);
    let shown = ok(server.cli(&["history", "show", "enc-1"]));
    assert!(shown.contains("rosebud-7731"), "{shown}");
    server.assert_replays("enc-1", "encryption");
    ok(server.cli(&["start", "encryption", "--input", &input, "--id", "enc-2"]));
    // A schedule's input and memo are sealed with the schedule; describe shows them.
    ok(server.cli(&[
        "schedule",
        "create",
        "enc-nightly",
        "--workflow-type",
        "encryption",
        "--input",
        &statement("nightly-ledger-9918").to_string(),
        "--cron",
        "0 2 * * *",
        "--paused",
    ]));
    let described = ok(server.cli(&["schedule", "describe", "enc-nightly", "--json"]));
    assert!(described.contains("nightly-ledger-9918"), "{described}");
    // The server's export stays encoded unless told to decode with the keys.
    let from_server = tmp.path().join("server-export.json");
    ok(server.cli(&["history", "export", "enc-1", "-o", path(&from_server)]));
    let text = std::fs::read_to_string(&from_server).unwrap();
    assert!(!text.contains("rosebud") && text.contains("\"encoded\""));
    let decoded = tmp.path().join("server-decoded.json");
    let args = [
        "history",
        "export",
        "enc-1",
        "-o",
        path(&decoded),
        "--decode",
    ];
    let err = fails_with(server.cli(&args), 2);
    assert!(err.contains("--codec-keys"), "{err}");
    ok(server.cli(&[&args[..], &["--codec-keys", path(&k1)]].concat()));
    assert!(std::fs::read_to_string(&decoded)
        .unwrap()
        .contains("rosebud-7731"));
    assert!(server.terminate().success());

    // No plaintext of any payload is in the file; the key id is.
    let raw = std::fs::read(data.join("weft.redb")).unwrap();
    for secret in SECRETS {
        assert!(!contains(&raw, secret), "`{secret}` is in the redb file");
    }
    assert!(contains(&raw, "k1"));

    // The 108 kB attachment is stored compressed: the whole history is smaller.
    let run_id = Inspector::open(&data)
        .unwrap()
        .find_run("enc-1")
        .unwrap()
        .run_id;
    let stored: usize = RedbStorage::open(&data.join("weft.redb"))
        .unwrap()
        .history(&run_id)
        .unwrap()
        .iter()
        .map(|c| c.bytes.len())
        .sum();
    assert!(stored < 27 * 4000 / 10, "the history takes {stored} bytes");

    // Offline readers: without keys, an error naming the key; with them, plaintext.
    let data_s = path(&data);
    let err = fails_with(cli(&["history", "show", "--data", data_s, "enc-1"]), 1);
    assert!(
        err.contains("`k1`") && err.contains("--codec-keys"),
        "{err}"
    );
    let shown = weft()
        .env("WEFT_CODEC_KEYS", &k1)
        .args(["history", "show", "--data", data_s, "enc-1"])
        .output()
        .unwrap();
    assert!(ok(shown).contains("rosebud-7731"));

    // Export keeps the envelopes; --decode opens them; replay takes the key file.
    let encoded = tmp.path().join("enc-1.json");
    ok(cli(&[
        "history",
        "export",
        "--data",
        data_s,
        "enc-1",
        "-o",
        path(&encoded),
    ]));
    let text = std::fs::read_to_string(&encoded).unwrap();
    assert!(
        text.contains("\"key_id\": \"k1\"") && !text.contains("rosebud"),
        "{text}"
    );
    assert_eq!(key_ids(&encoded), ["k1", "k1"]);
    let plain = tmp.path().join("enc-1.plain.json");
    let keys = ["--codec-keys", path(&k1)];
    let args = [
        "history",
        "export",
        "--data",
        data_s,
        "enc-1",
        "-o",
        path(&plain),
        "--decode",
    ];
    ok(cli(&[&args[..], &keys].concat()));
    assert!(std::fs::read_to_string(&plain)
        .unwrap()
        .contains("ROSEBUD-7731"));
    let replay = ["replay", "--module", path(&component), path(&encoded)];
    let err = fails_with(cli(&replay), 2);
    assert!(err.contains("`k1`"), "{err}");
    let replayed = cli(&[&replay[..], &keys].concat());
    let said = String::from_utf8_lossy(&replayed.stdout).to_string()
        + &String::from_utf8_lossy(&replayed.stderr);
    assert!(
        replayed.status.success() && said.contains("matches"),
        "{said}"
    );
    ok(cli(&["replay", "--module", path(&component), path(&plain)]));

    // Rotation: k2 is active, k1 kept to read. The old runs stay readable, the open
    // one resumes, and what is new is under k2.
    let k2 = key_file(tmp.path(), "k2.json", "k2", &[("k1", 1), ("k2", 2)]);
    let server = Server::start_with(&data, &[], &["--codec-keys", path(&k2)]);
    let old: Value = serde_json::from_str(&ok(server.cli(&["result", "enc-1"]))).unwrap();
    assert_eq!(old, result);
    ok(server.cli(&["signal", "enc-2", "approve", "--input", "\"k2-signal-bob\""]));
    let second: Value = serde_json::from_str(&ok(server.cli(&["result", "enc-2"]))).unwrap();
    assert_eq!(second["approved_by"], "k2-signal-bob");
    assert_eq!(second["card"], "CARD-ROSEBUD-7731");
    server.assert_replays("enc-1", "encryption");
    server.assert_replays("enc-2", "encryption");
    let stored = tmp.path().join("enc-2.json");
    ok(server.cli(&["history", "export", "enc-2", "-o", path(&stored)]));
    assert_eq!(key_ids(&stored), ["k1", "k2"]);
    assert!(server.terminate().success());
    let raw = std::fs::read(data.join("weft.redb")).unwrap();
    for secret in SECRETS {
        assert!(!contains(&raw, secret), "`{secret}` is in the redb file");
    }

    // A key file without k1 names the key that is missing.
    let only_k2 = key_file(tmp.path(), "only-k2.json", "k2", &[("k2", 2)]);
    let show = [
        "history",
        "show",
        "--data",
        data_s,
        "enc-2",
        "--codec-keys",
        path(&only_k2),
    ];
    let err = fails_with(cli(&show), 1);
    assert!(
        err.contains("`k1`") && err.contains("not in the codec key file"),
        "{err}"
    );
    let err = fails_with(
        weft()
            .args([
                "server",
                "--data",
                data_s,
                "--codec-keys",
                "/nonexistent/k.json",
            ])
            .output()
            .unwrap(),
        2,
    );
    assert!(err.contains("/nonexistent/k.json"), "{err}");
}
