//! The storage's conformance tests (the ones redb passes) on PostgreSQL, each in a
//! schema of its own.

mod common;

use common::TestSchema;
use weft_runtime::storage::conformance::{records, removal, requests, runs, search};

macro_rules! conformance {
    ($($name:ident => $test:expr;)*) => {$(
        #[test]
        fn $name() {
            let Some(schema) = TestSchema::new(stringify!($name)) else { return };
            schema.run($test);
        }
    )*};
}

conformance! {
    indexes_agree_with_a_reference_model => |b| runs::indexes_agree_with_a_reference_model(b, 0x5eed);
    indexes_agree_with_another_reference_model => |b| runs::indexes_agree_with_a_reference_model(b, 0xfeed_beef);
    a_page_ends_at_the_limit_and_the_cursor_is_exclusive => runs::a_page_ends_at_the_limit_and_the_cursor_is_exclusive;
    reopening_keeps_everything => records::reopening_keeps_everything;
    timers_come_back_in_fire_order_and_deletes_remove_them => records::timers_come_back_in_fire_order_and_deletes_remove_them;
    later_writes_win_within_and_across_commits => records::later_writes_win_within_and_across_commits;
    faulty_storage_fails_exactly_the_commits_it_is_told_to => records::faulty_storage_fails_exactly_the_commits_it_is_told_to;
    requests_read_back_by_workflow_id_and_key => requests::requests_read_back_by_workflow_id_and_key;
    the_first_record_of_a_request_stays => requests::the_first_record_of_a_request_stays;
    search_answers_agree_with_testing_every_run => search::answers_agree_with_testing_every_run;
    search_order_by_sorts_and_pages => search::order_by_sorts_and_pages;
    search_counts_group_by_status => search::counts_group_by_status;
    search_replacing_attributes_moves_their_index_rows => search::replacing_attributes_moves_their_index_rows;
    removing_a_run_takes_every_row_kept_for_it => removal::removing_a_run_takes_every_row_kept_for_it;
    closed_runs_are_found_by_close_time => removal::closed_runs_are_found_by_close_time;
}
