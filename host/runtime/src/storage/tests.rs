//! The storage's conformance tests on redb (real files, reopened), and what is redb's
//! alone: a database from before the run indexes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::conformance::{self, commit, run, runs::assert_agrees, Backend, Dice};
use super::redb_tables::{HISTORY, MODULES, MODULE_VERSIONS, RUNS, WORKFLOWS};
use super::*;

/// Runs `test` on a redb file of its own, opened again at every `Backend::open`.
fn on_redb(test: impl FnOnce(&Backend<'_>)) {
    let dir = tempfile::tempdir().unwrap();
    let path: PathBuf = dir.path().join("weft.redb");
    let open = move || Box::new(RedbStorage::open(&path).unwrap()) as Box<dyn Storage>;
    test(&Backend {
        open: &open,
        nul_in_text: true,
    });
}

#[test]
fn indexes_agree_with_a_reference_model() {
    on_redb(|b| conformance::runs::indexes_agree_with_a_reference_model(b, 0x5eed));
    on_redb(|b| conformance::runs::indexes_agree_with_a_reference_model(b, 0xfeed_beef));
}

#[test]
fn indexes_agree_with_a_reference_model_in_memory() {
    let storage = RedbStorage::in_memory().unwrap();
    let types = ["a", "ab", "b", "b\0c"];
    let model = conformance::runs::random_writes(&storage, &types, &mut Dice(0x5eed));
    assert_agrees(&storage, &types, &model);
}

#[test]
fn a_page_ends_at_the_limit_and_the_cursor_is_exclusive() {
    on_redb(conformance::runs::a_page_ends_at_the_limit_and_the_cursor_is_exclusive);
}

#[test]
fn reopening_a_file_keeps_everything() {
    on_redb(conformance::records::reopening_keeps_everything);
}

#[test]
fn timers_come_back_in_fire_order_and_deletes_remove_them() {
    on_redb(conformance::records::timers_come_back_in_fire_order_and_deletes_remove_them);
}

#[test]
fn later_writes_win_within_and_across_commits() {
    on_redb(conformance::records::later_writes_win_within_and_across_commits);
}

#[test]
fn requests_read_back_by_workflow_id_and_key() {
    on_redb(conformance::requests::requests_read_back_by_workflow_id_and_key);
}

#[test]
fn the_first_record_of_a_request_stays() {
    on_redb(conformance::requests::the_first_record_of_a_request_stays);
}

#[test]
fn faulty_storage_fails_exactly_the_commits_it_is_told_to_and_writes_nothing_for_them() {
    on_redb(conformance::records::faulty_storage_fails_exactly_the_commits_it_is_told_to);
}

/// The types the old-layout test uses.
const TYPES: &[&str] = &["a", "b"];

/// A database as weft wrote it before the run indexes, outcomes and timers existed.
fn write_old_layout(path: &Path, runs: &[RunRecord]) {
    let db = redb::Database::create(path).unwrap();
    let tx = db.begin_write().unwrap();
    {
        let mut table = tx.open_table(RUNS).unwrap();
        let mut workflows = tx.open_table(WORKFLOWS).unwrap();
        for r in runs {
            let bytes = postcard::to_stdvec(r).unwrap();
            table.insert(r.run_id.as_str(), bytes.as_slice()).unwrap();
            workflows
                .insert(r.workflow_id.as_str(), r.run_id.as_str())
                .unwrap();
        }
        tx.open_table(HISTORY).unwrap();
        tx.open_table(MODULES).unwrap();
        tx.open_table(MODULE_VERSIONS).unwrap();
    }
    tx.commit().unwrap();
}

#[test]
fn an_old_database_gets_its_indexes_built_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("weft.redb");
    let runs = vec![
        run(1, "a", 1, Status::Completed),
        run(2, "b", 2, Status::Running),
        run(3, "a", 3, Status::Running),
    ];
    write_old_layout(&path, &runs);
    let storage = RedbStorage::open(&path).unwrap();
    let mut model: BTreeMap<String, RunRecord> =
        runs.iter().map(|r| (r.run_id.clone(), r.clone())).collect();
    assert_agrees(&storage, TYPES, &model);
    // The built rows move like any others.
    let mut closed = runs[2].clone();
    closed.status = Status::Failed;
    commit(&storage, vec![Write::PutRun(closed.clone())]).unwrap();
    model.insert(closed.run_id.clone(), closed);
    assert_agrees(&storage, TYPES, &model);
    drop(storage);
    assert_agrees(&RedbStorage::open(&path).unwrap(), TYPES, &model);
}

#[test]
fn removing_a_run_takes_every_row_kept_for_it() {
    on_redb(conformance::removal::removing_a_run_takes_every_row_kept_for_it);
}

#[test]
fn closed_runs_are_found_by_close_time() {
    on_redb(conformance::removal::closed_runs_are_found_by_close_time);
}
