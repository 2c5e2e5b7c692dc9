//! `list_runs`, `open_runs` and `run` against a reference model of the run records.

use std::collections::BTreeMap;

use super::{commit, run, Backend, Dice};
use crate::storage::{RunFilter, RunRecord, Status, Storage, Write};

/// Types that share prefixes, to catch an index prefix that ends too late (with a NUL
/// where the backend's text allows one).
fn types(b: &Backend<'_>) -> [&'static str; 4] {
    [
        "a",
        "ab",
        "b",
        if b.nul_in_text { "b\0c" } else { "b\u{1}c" },
    ]
}

/// What `list_runs` must answer: the model's runs, filtered, newest first.
fn expected(model: &BTreeMap<String, RunRecord>, filter: &RunFilter) -> Vec<RunRecord> {
    let mut runs: Vec<RunRecord> = model
        .values()
        .filter(|r| filter.matches(r))
        .cloned()
        .collect();
    runs.sort_by(|a, b| b.order_key().cmp(&a.order_key()));
    runs
}

/// Every filter worth asking: each status and type alone, together, and neither.
fn filters(types: &[&str]) -> Vec<RunFilter> {
    let statuses = std::iter::once(None).chain(Status::ALL.map(Some));
    let types: Vec<Option<String>> = std::iter::once(None)
        .chain(types.iter().chain(&["none"]).map(|t| Some(t.to_string())))
        .collect();
    statuses
        .flat_map(|status| {
            types.iter().map(move |t| RunFilter {
                status,
                workflow_type: t.clone(),
                before: None,
            })
        })
        .collect()
}

/// A few hundred `PutRun`s in batches: new runs, status changes, the odd change of
/// type or start time, and several writes of one run in one commit.
pub fn random_writes(
    storage: &dyn Storage,
    types: &[&str],
    dice: &mut Dice,
) -> BTreeMap<String, RunRecord> {
    let mut model: BTreeMap<String, RunRecord> = BTreeMap::new();
    let mut next_id = 0;
    for _ in 0..60 {
        let mut batch = Vec::new();
        for _ in 0..1 + dice.roll(8) {
            let record = if model.is_empty() || dice.roll(3) == 0 {
                next_id += 1;
                // Few distinct start times, so many runs tie and the run id decides.
                run(
                    next_id,
                    types[dice.roll(4)],
                    dice.roll(40) as u64,
                    Status::Running,
                )
            } else {
                let id = model.keys().nth(dice.roll(model.len())).unwrap().clone();
                let mut r = model[&id].clone();
                r.status = Status::ALL[dice.roll(6)];
                match dice.roll(10) {
                    0 => r.workflow_type = types[dice.roll(4)].to_string(),
                    1 => r.start_ms = dice.roll(40) as u64,
                    _ => {}
                }
                r
            };
            model.insert(record.run_id.clone(), record.clone());
            batch.push(Write::PutRun(record));
        }
        commit(storage, batch).unwrap();
    }
    model
}

/// Every filter's list, whole and a page at a time, the open runs and every record
/// agree with the model.
pub fn assert_agrees(storage: &dyn Storage, types: &[&str], model: &BTreeMap<String, RunRecord>) {
    for filter in filters(types) {
        let want = expected(model, &filter);
        assert_eq!(
            storage.list_runs(&filter, usize::MAX).unwrap(),
            want,
            "{filter:?}"
        );
        // The same, a page at a time.
        let mut paged = Vec::new();
        let mut filter = filter;
        loop {
            let page = storage.list_runs(&filter, 7).unwrap();
            let last = page.last().map(|r| (r.start_ms, r.run_id.clone()));
            paged.extend(page);
            match last {
                Some(cursor) => filter.before = Some(cursor),
                None => break,
            }
        }
        assert_eq!(paged, want, "paged, {filter:?}");
    }
    let mut open = expected(
        model,
        &RunFilter {
            status: Some(Status::Running),
            ..RunFilter::default()
        },
    );
    open.reverse();
    assert_eq!(storage.open_runs().unwrap(), open);
    for r in model.values() {
        assert_eq!(storage.run(&r.run_id).unwrap().as_ref(), Some(r));
    }
}

/// Random run writes, then every list agrees with the model, and again after
/// reopening the store.
pub fn indexes_agree_with_a_reference_model(b: &Backend<'_>, seed: u64) {
    let types = types(b);
    let model = {
        let storage = b.open();
        let model = random_writes(storage.as_ref(), &types, &mut Dice(seed));
        assert!(model.len() > 50, "{}", model.len());
        assert_agrees(storage.as_ref(), &types, &model);
        model
    };
    assert_agrees(b.open().as_ref(), &types, &model);
}

/// A page holds at most `limit` runs, and the cursor leaves out the run it names.
pub fn a_page_ends_at_the_limit_and_the_cursor_is_exclusive(b: &Backend<'_>) {
    let storage = b.open();
    let runs: Vec<RunRecord> = (1..=5).map(|i| run(i, "a", 10, Status::Running)).collect();
    commit(
        storage.as_ref(),
        runs.iter().cloned().map(Write::PutRun).collect(),
    )
    .unwrap();
    let all = RunFilter::default();
    let first = storage.list_runs(&all, 2).unwrap();
    assert_eq!(first, vec![runs[4].clone(), runs[3].clone()]);
    let rest = RunFilter {
        before: Some((10, runs[3].run_id.clone())),
        ..all
    };
    assert_eq!(storage.list_runs(&rest, 10).unwrap().len(), 3);
    assert!(storage
        .list_runs(&RunFilter::default(), 0)
        .unwrap()
        .is_empty());
}
