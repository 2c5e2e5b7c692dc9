//! Golden data folders: a data folder written by every history format weft has had
//! (`tests/golden/format-<n>`, made by `scripts/make-golden.sh`) opens with today's
//! code. Its closed runs keep their outcomes and replay against the modules stored with
//! them; its open run (a timer sleeping 30 days) resumes and completes, on a virtual
//! clock.

use crate::support;

use std::path::Path;

use serde_json::json;
use support::*;
use weft_host::history::{Outcome, FORMAT_VERSION};
use weft_host::payload_codec::PayloadCodec;
use weft_host::runtime::Inspector;
use weft_host::storage::{RunFilter, Status};

fn copy_folder(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

async fn open_golden(format: u16) {
    let golden = repo_root().join(format!("tests/golden/format-{format}"));
    let dir = tempfile::tempdir().unwrap();
    copy_folder(&golden, dir.path());
    // The virtual clock starts where the folder's timer run started, so that its
    // 30 days pass on the clock (a later start would fire the timer late, as a host
    // that was down for years would).
    let timer_start = Inspector::open(dir.path())
        .unwrap()
        .find_run("golden-timer")
        .unwrap()
        .start_ms;
    let keys = dir.path().join("codec-keys.json");
    let codec = PayloadCodec::from_file(keys.exists().then_some(keys.as_path())).unwrap();
    let env = test_env()
        .codec(codec)
        .start_at(timer_start)
        .activities(activities())
        .data_dir(dir.path())
        .start()
        .await
        .unwrap_or_else(|e| panic!("format {format}: {e}"));
    let host = env.host();

    // The closed runs and their outcomes.
    let expected = [
        ("golden-hello", json!("Hello, golden!")),
        ("golden-sequence", json!("Hello, CBA!")),
    ];
    for (id, result) in expected {
        let run = host.find_run(id).unwrap();
        assert_eq!(run.status, Status::Completed, "{id}");
        assert_eq!(run.format_version, format);
        let outcome = host.outcome(&run).unwrap().unwrap();
        assert_eq!(completed(&outcome), result, "{id}");
        let module = host.module(&run.module_digest).unwrap();
        let events = host.history(&run.run_id).unwrap();
        weft_host::replay::replay(host.engine(), &module, &events)
            .unwrap_or_else(|e| panic!("format {format}, {id}: {e}"));
    }

    // The open run resumed: its 30-day timer fires on the virtual clock.
    let run = host.find_run("golden-timer").unwrap();
    let outcome = host.wait(&run.run_id).await.unwrap();
    let Outcome::Completed(result) = outcome else {
        panic!("format {format}: the timer run did not complete: {outcome:?}");
    };
    let result = result.to_json();
    assert_eq!(result["slept_ms"], json!(30u64 * 86_400_000), "{result}");
    assert_eq!(result["greeting"], json!("Hello, timer!"));
    let module = host.module(&run.module_digest).unwrap();
    let events = host.history(&run.run_id).unwrap();
    weft_host::replay::replay(host.engine(), &module, &events).unwrap();

    // The run indexes list them all.
    let all = host.list_runs(&RunFilter::default(), 10).unwrap();
    assert_eq!(all.len(), 3);
    let open = RunFilter {
        status: Some(Status::Running),
        ..RunFilter::default()
    };
    assert!(host.list_runs(&open, 10).unwrap().is_empty());
}

#[tokio::test]
async fn format_1_data_opens_resumes_and_replays() {
    open_golden(1).await;
}

#[tokio::test]
async fn format_2_data_opens_resumes_and_replays() {
    open_golden(2).await;
}

#[tokio::test]
async fn format_3_data_opens_resumes_and_replays() {
    open_golden(3).await;
}

#[tokio::test]
async fn format_4_data_opens_resumes_and_replays() {
    open_golden(4).await;
}

/// Format 5's folder was written with a payload codec (its key file is in the folder):
/// its payloads are stored encrypted and compressed, and read with the key.
#[tokio::test]
async fn format_5_data_opens_resumes_and_replays() {
    let copy = tempfile::tempdir().unwrap();
    copy_folder(&repo_root().join("tests/golden/format-5"), copy.path());
    let inspector = Inspector::open(copy.path()).unwrap();
    let run = inspector.find_run("golden-sequence").unwrap();
    let err = inspector.history(&run.run_id).unwrap_err().to_string();
    assert!(err.contains("`golden-5`"), "{err}");
    let stored = inspector.stored().history_of(&run).unwrap();
    let json = weft_host::history::export::to_json("w", "r", &stored).to_string();
    assert!(
        json.contains(r#""key_id":"golden-5""#) && !json.contains("CBA"),
        "{json}"
    );
    drop(inspector);
    open_golden(5).await;
}

/// Format 6 added the events of resets, pauses, activity operations, priorities and a
/// start's summary; its folder was written with the same test key as format 5's.
#[tokio::test]
async fn format_6_data_opens_resumes_and_replays() {
    open_golden(6).await;
}

/// Format 7 added the events of fairness and of flow options per activity and child
/// (and what the same release added besides); its folder was written with the same test
/// key as format 5's, its components built with the flow-option imports.
#[tokio::test]
async fn format_7_data_opens_resumes_and_replays() {
    open_golden(7).await;
}

/// Format 8 added the time of what arrives between tasks (`arrived`), a child's record
/// of its parent's cancellation (`child-cancel-requested`) and the cause chain and
/// encoded message of a failure (the older shape kept under `history::format_7`); its
/// folder was written with format 5's test key, the same way as format 7's.
#[tokio::test]
async fn format_8_data_opens_resumes_and_replays() {
    open_golden(8).await;
}

/// Format 9 added the cron schedule a run was started with (`cron-schedule`); its folder
/// was written with format 5's test key, the same way as format 8's, its components
/// importing the task-attempt, validator-panic and cron functions of the contract.
#[tokio::test]
async fn format_9_data_opens_resumes_and_replays() {
    assert_eq!(FORMAT_VERSION, 9, "add a golden folder for the new format");
    open_golden(9).await;
}
