//! Sensitive fields end to end, with the `audited-payment` example on a real `weft
//! server`: the activities get the real card (the gateway's fingerprint of it comes
//! back), while everything the host shows has it masked — `result`, `describe`,
//! `history show` and `export`, `list`, the web UI's pages and its download — and so
//! does the audit trail. With the codec on, the database file holds no plaintext of
//! them; `history export --decode --reveal` with the keys gives the real values, which
//! replay. Without the codec, the server reveals nothing.

use crate::support;

use std::path::Path;

use base64::Engine as _;
use serde_json::{json, Value};
use support::pages::Visitor;
use support::server::{fails_with, ok, said, Server};
use support::*;

const CARD: &str = "4111 1111 1111 1111";
const CVV: &str = "737";
/// The security code as a JSON payload holds it (bare digits could be in any hex id).
const CVV_JSON: &str = "\"737\"";
/// Masked by the server's own `--sensitive-field customer_ref`.
const CUSTOMER_REF: &str = "ref-quimby-5530";
/// The memo's `api_key`, one of the default names.
const API_KEY: &str = "k-live-8842";
const SECRETS: [&str; 4] = [CARD, CVV_JSON, CUSTOMER_REF, API_KEY];

fn request(id: &str, card: &str) -> String {
    json!({
        "id": id, "customer": "Ada", "card_number": card, "cvv": {"$sensitive": CVV},
        "amount_cents": 1999, "customer_ref": CUSTOMER_REF,
    })
    .to_string()
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[track_caller]
fn assert_masked(shown: &str, what: &str) {
    for secret in SECRETS {
        assert!(!shown.contains(secret), "{what} shows `{secret}`: {shown}");
    }
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

fn key_file(dir: &Path) -> std::path::PathBuf {
    let key = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
    let file = dir.join("keys.json");
    let text = json!({"active": "k1", "keys": {"k1": key}});
    std::fs::write(&file, text.to_string()).unwrap();
    file
}

/// The audit trail's entries, one JSON object a line.
fn trail(file: &Path) -> Vec<Value> {
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn audited_payment_shows_sensitive_fields_masked_and_hands_activities_the_real_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let keys = key_file(tmp.path());
    let audit = tmp.path().join("audit.jsonl");
    let server = Server::start_with(
        &data,
        &[("WEFT_EXAMPLE_AUDIT_LOG", path(&audit))],
        &[
            "--codec-keys",
            path(&keys),
            "--sensitive-field",
            "customer_ref",
        ],
    );
    let component = component("audited-payment");
    ok(server.cli(&["deploy", path(&component), "--name", "audited-payment"]));
    let memo = format!("api_key=\"{API_KEY}\"");
    let start = ["start", "audited_payment", "--id", "pay-1", "--memo", &memo];
    ok(server.cli(&[&start[..], &["--input", &request("p-1", CARD)]].concat()));

    // The result: the card masked, and the fingerprint the gateway made of the real one.
    let result: Value = serde_json::from_str(&ok(server.cli(&["result", "pay-1"]))).unwrap();
    assert_eq!(result["card_number"], "****1111");
    assert_eq!(result["audit_entries"], 3);
    let real = example_activities::fingerprint("4111111111111111");
    assert_eq!(result["card_fingerprint"], real.as_str());

    // Everything the CLI shows, through the server.
    let fields = ok(server.cli(&["sensitive-fields", "--json"]));
    let fields: Value = serde_json::from_str(&fields).unwrap();
    assert_eq!(fields["marker"], "$sensitive");
    let names = fields["fields"].as_array().unwrap();
    assert!(names.contains(&json!("customerref")) && names.contains(&json!("cardnumber")));
    for args in [
        &["describe", "pay-1"][..],
        &["describe", "pay-1", "--json"],
        &["history", "show", "pay-1"],
        &["history", "show", "pay-1", "--json"],
        &["list"],
    ] {
        assert_masked(&ok(server.cli(args)), &args.join(" "));
    }
    let shown = ok(server.cli(&["history", "show", "pay-1", "--json"]));
    assert!(shown.contains("****1111") && shown.contains(r#""$sensitive": "****""#));
    let described = ok(server.cli(&["describe", "pay-1", "--json"]));
    let described: Value = serde_json::from_str(&described).unwrap();
    assert_eq!(described["memo"]["api_key"], "****");

    // The web UI: the run's page and its download.
    let mut browser = Visitor::new(&server.url);
    let page = browser.get("/ui/executions/pay-1");
    assert_eq!(page.status, 200, "{}", page.body);
    assert_masked(&page.body, "the run's page");
    assert!(page.body.contains("****1111"), "{}", page.body);
    let download = browser.get("/ui/executions/pay-1/history.json");
    assert_masked(&download.body, "the UI's download");

    // Exports: masked, unless revealed with the keys.
    let exported = tmp.path().join("masked.json");
    let export = ["history", "export", "pay-1", "-o", path(&exported)];
    ok(server.cli(&export));
    assert_masked(&std::fs::read_to_string(&exported).unwrap(), "export");
    let codec = ["--decode", "--codec-keys", path(&keys)];
    ok(server.cli(&[&export[..], &codec].concat()));
    let decoded = std::fs::read_to_string(&exported).unwrap();
    assert_masked(&decoded, "export --decode");
    assert!(decoded.contains("****1111"), "{decoded}");
    let err = fails_with(server.cli(&[&export[..], &["--reveal"]].concat()), 2);
    assert!(err.contains("--decode"), "{err}");
    let revealed = tmp.path().join("revealed.json");
    let reveal = [
        "history",
        "export",
        "pay-1",
        "-o",
        path(&revealed),
        "--reveal",
    ];
    ok(server.cli(&[&reveal[..], &codec].concat()));
    let text = std::fs::read_to_string(&revealed).unwrap();
    for secret in SECRETS {
        assert!(
            text.contains(secret),
            "the revealed export lacks `{secret}`"
        );
    }
    assert_replays(&component, &revealed);
    // By id with the keys: the stored form, opened by the CLI.
    let by_id = ["replay", "--id", "pay-1", "--module", path(&component)];
    assert!(said(server.cli(&[&by_id[..], &codec[1..]].concat())).contains("matches"));

    // The audit trail: each step once, masked.
    let entries = trail(&audit);
    let steps: Vec<&str> = entries
        .iter()
        .map(|e| e["step"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["received", "authorized", "captured"]);
    assert_masked(&std::fs::read_to_string(&audit).unwrap(), "the audit trail");
    let received = &entries[0]["details"];
    assert_eq!(received["card_number"], "****1111");
    assert_eq!(received["cvv"], json!({"$sensitive": "****"}));
    assert_eq!(entries[1]["details"]["card_fingerprint"], real.as_str());
    assert!(server.terminate().success());

    // At rest: the codec encrypted them all.
    let raw = std::fs::read(data.join("weft.redb")).unwrap();
    for secret in SECRETS {
        assert!(!contains(&raw, secret), "`{secret}` is in the redb file");
    }
    // Offline: masked by the default names (the server's own are not in the folder)
    // unless revealed; the folder is the right to read them.
    let offline = ["history", "show", "--data", path(&data), "pay-1"];
    let shown = ok(weft()
        .args(offline)
        .args(["--codec-keys", path(&keys)])
        .output()
        .unwrap());
    for secret in [CARD, CVV_JSON, API_KEY] {
        assert!(
            !shown.contains(secret),
            "offline show: `{secret}` in {shown}"
        );
    }
    let extra = [
        "--sensitive-field",
        "customer_ref",
        "--codec-keys",
        path(&keys),
    ];
    assert_masked(
        &ok(weft().args(offline).args(extra).output().unwrap()),
        "offline show",
    );
    let file = tmp.path().join("offline.json");
    let export = [
        "history",
        "export",
        "--data",
        path(&data),
        "pay-1",
        "--reveal",
    ];
    let out = weft()
        .args(export)
        .args(["-o", path(&file), "--decode", "--codec-keys", path(&keys)])
        .output()
        .unwrap();
    ok(out);
    assert!(std::fs::read_to_string(&file).unwrap().contains(CARD));
    assert_replays(&component, &file);
}

#[test]
fn without_a_codec_the_server_masks_and_reveals_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let audit = tmp.path().join("audit.jsonl");
    let server = Server::start(tmp.path(), &[("WEFT_EXAMPLE_AUDIT_LOG", path(&audit))]);
    let component = component("audited-payment");
    ok(server.cli(&["deploy", path(&component), "--name", "audited-payment"]));
    // The client writes the security code bare: the host learns from the history that
    // the field holds a `Sensitive`, and masks it in the start's input too.
    let bare = request("p-2", CARD).replace(r#"{"$sensitive":"737"}"#, r#""737""#);
    assert!(bare.contains(r#""cvv":"737""#), "{bare}");
    ok(server.cli(&[
        "start",
        "audited_payment",
        "--id",
        "pay-2",
        "--input",
        &bare,
    ]));
    // A masked card would be declined: this one goes through.
    let result = ok(server.cli(&["result", "pay-2"]));
    assert!(result.contains("****1111"), "{result}");
    let shown = ok(server.cli(&["history", "show", "pay-2", "--json"]));
    assert!(
        !shown.contains(CVV_JSON) && !shown.contains(CARD),
        "{shown}"
    );
    assert!(shown.contains(r#""cvv": "****""#), "{shown}");
    // The stored form is plaintext here, so the server masks it too.
    let exported = tmp.path().join("stored.json");
    let export = ["history", "export", "pay-2", "-o", path(&exported)];
    ok(server.cli(&export));
    let text = std::fs::read_to_string(&exported).unwrap();
    assert!(!text.contains(CARD) && !text.contains(CVV_JSON), "{text}");
    let keys = key_file(tmp.path());
    let reveal = ["--decode", "--reveal", "--codec-keys", path(&keys)];
    let err = fails_with(server.cli(&[&export[..], &reveal].concat()), 5);
    assert!(err.contains("--data --reveal"), "{err}");

    // Replayed from the server's masked answer: this workflow only passes the values
    // on, so the masked history replays too.
    let replay = ["replay", "--id", "pay-2", "--module", path(&component)];
    assert!(said(server.cli(&replay)).contains("matches"));
    // A schedule's action shows masked too, in the API and on its UI page.
    ok(server.cli(&[
        "schedule",
        "create",
        "nightly-pay",
        "--workflow-type",
        "audited_payment",
        "--input",
        &request("p-n", CARD),
        "--cron",
        "0 2 * * *",
        "--paused",
    ]));
    let described = ok(server.cli(&["schedule", "describe", "nightly-pay", "--json"]));
    assert!(described.contains("****1111"), "{described}");
    assert!(
        !described.contains(CARD) && !described.contains(CVV_JSON),
        "{described}"
    );
    let page = Visitor::new(&server.url).get("/ui/schedules/nightly-pay");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(!page.body.contains(CARD), "{}", page.body);

    // A card whose check digit is wrong is declined, and the trail says so.
    ok(server.cli(&[
        "start",
        "audited_payment",
        "--id",
        "pay-3",
        "--input",
        &request("p-3", "4111 1111 1111 1112"),
    ]));
    let err = fails_with(server.cli(&["result", "pay-3"]), 3);
    assert!(err.contains("PaymentDeclined"), "{err}");
    let steps: Vec<String> = trail(&audit)
        .iter()
        .filter(|e| e["workflow_id"] == "pay-3")
        .map(|e| e["step"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(steps, ["received", "declined"]);
    let trail_text = std::fs::read_to_string(&audit).unwrap();
    assert!(!trail_text.contains("4111 1111 1111 111"), "{trail_text}");
    assert!(server.terminate().success());
    let file = tmp.path().join("pay-2.json");
    let export = [
        "history",
        "export",
        "--data",
        path(tmp.path()),
        "pay-2",
        "--reveal",
    ];
    ok(weft()
        .args(export)
        .args(["-o", path(&file)])
        .output()
        .unwrap());
    assert!(std::fs::read_to_string(&file).unwrap().contains(CARD));
    assert_replays(&component, &file);
}

/// The history file `file` replays on `component` (`weft replay`).
#[track_caller]
fn assert_replays(component: &Path, file: &Path) {
    let replay = ["replay", "--module", path(component), path(file)];
    let replayed = said(weft().args(replay).output().unwrap());
    assert!(replayed.contains("matches"), "{replayed}");
}
