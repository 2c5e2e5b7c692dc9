//! The end-to-end tests, in one test binary: each module is one area, run on real
//! components built from guest-examples/ and tests/fixtures/, real redb files, real
//! servers on loopback and real processes. One binary links wasmtime once instead of
//! once per area, which keeps the build's time and disk small.
//!
//! Two tiers share the binary: the heavy tests live under `heavy::` (crashes, TLS, long
//! chains, OTLP); `scripts/test.sh` runs the rest first (`--skip heavy::`), then those.
//! It also builds every component beforehand and names the folder in
//! `WEFT_TEST_COMPONENTS`; without it, each component is built on first use.
//!
//! Run one area with `cargo test -p weft --test e2e <module>::`, for example
//! `cargo test -p weft --test e2e schedules::` (plain `cargo test --workspace` leaves
//! this binary out: it is the fast tier).

mod support;

mod activities;
mod activity_examples;
mod activity_features;
mod activity_ops;
mod bad_input;
mod batch;
mod batch_chunks;
mod batch_jobs;
mod cancellation;
mod children;
mod circuit_breaker;
#[cfg(feature = "postgres")]
mod cluster_in_process;
mod codec;
mod compliance;
mod continue_as_new;
mod cron_chains;
mod custom_metrics;
mod data_converter;
mod debounce;
mod details;
mod disk_failure;
mod docs;
mod dsl;
mod dynamic_workflow;
mod entity;
mod event_times;
mod examples;
mod fairness;
mod golden;
mod heavy;
mod id_policies;
mod maintenance;
mod metrics;
mod on_demand;
mod pause;
mod priorities;
mod queries;
mod replay;
mod request_ids;
mod reset;
mod retention;
mod saga;
mod schedule_cli;
mod schedules;
mod search_attributes;
mod server;
mod signals;
mod stack;
mod start_rate;
mod stop;
mod storage_faults;
mod task_queues;
mod task_retries;
mod timeouts;
mod typed_converter;
mod ui;
mod ui_batches;
mod ui_steer;
mod update_with_start;
mod updates;
mod upgrades;
mod versioning;
mod wasi;
mod workflow_limits;
