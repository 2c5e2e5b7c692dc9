//! The end-to-end tests, in one test binary: each module is one area, run on real
//! components built from guest-examples/ and tests/fixtures/, real redb files, real
//! servers on loopback and real processes. One binary links wasmtime once instead of
//! once per area, which keeps the build's time and disk small.
//!
//! Run one area with `cargo test -p weft --test e2e <module>::`, for example
//! `cargo test -p weft --test e2e schedules::`.

mod support;

mod activities;
mod activity_examples;
mod activity_features;
mod bad_input;
mod batch;
mod cancellation;
mod children;
mod codec;
mod continue_as_new;
mod crash_compose;
mod crash_resume;
mod custom_metrics;
mod data_converter;
mod entity;
mod examples;
mod golden;
mod id_policies;
mod metrics;
mod mtls;
mod otlp;
mod queries;
mod replay;
mod saga;
mod schedule_cli;
mod schedules;
mod search_attributes;
mod server;
mod signals;
mod stop;
mod storage_faults;
mod task_queues;
mod task_retries;
mod timeouts;
mod typed_converter;
mod updates;
mod upgrades;
mod versioning;
mod wasi;
