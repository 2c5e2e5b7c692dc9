//! The heavy end-to-end tests, a tier of their own (`scripts/test.sh` runs them after
//! the others; `cargo test --workspace --test e2e heavy::` runs them alone): hosts killed
//! with SIGKILL and restarted, TLS and mTLS, long chains of runs, span export over OTLP, a server on PostgreSQL,
//! the web UI in a real browser.
//! They spawn processes, make certificates and wait on real restarts, so they cost more
//! per test than the rest.

mod chaos;
mod cluster;
mod crash_compose;
mod crash_resume;
mod long_chains;
mod mtls;
mod otlp;
mod postgres;
mod server_crash;
mod ui_browser;
