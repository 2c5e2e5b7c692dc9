//! Bounded waiting. Every loop in the tests that waits for a host (or a process) to get
//! somewhere polls through these, so a test that never gets there fails after
//! [`PATIENCE`], naming what it waited for and what it last saw, instead of hanging.

use std::fmt::Debug;
use std::future::Future;
use std::time::{Duration, Instant};

/// How long a test waits for anything before it fails. Generous: the machine running
/// the suite may be busy with other builds, and nothing here waits out a real timer.
pub const PATIENCE: Duration = Duration::from_secs(120);

/// The pause between two looks.
const PAUSE: Duration = Duration::from_millis(10);

/// Calls `probe` until it returns `Some`, pausing between calls; fails the test after
/// [`PATIENCE`], naming `what` it waited for.
pub fn until<T>(what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    until_seen(what, || probe().ok_or("nothing yet"))
}

/// [`until`] for a probe that says what it sees (`Err`) while it waits, which the failure
/// shows.
pub fn until_seen<T, S: Debug>(what: &str, mut probe: impl FnMut() -> Result<T, S>) -> T {
    let deadline = Instant::now() + PATIENCE;
    loop {
        match probe() {
            Ok(found) => return found,
            Err(seen) if Instant::now() >= deadline => gave_up(what, seen),
            Err(_) => std::thread::sleep(PAUSE),
        }
    }
}

/// [`until`] for an async probe; pauses on tokio's timer, so the runtime keeps going.
pub async fn until_async<T, F>(what: &str, mut probe: impl FnMut() -> F) -> T
where
    F: Future<Output = Option<T>>,
{
    until_seen_async(what, || {
        let looked = probe();
        async move { looked.await.ok_or("nothing yet") }
    })
    .await
}

/// [`until_seen`] for an async probe.
pub async fn until_seen_async<T, S: Debug, F>(what: &str, mut probe: impl FnMut() -> F) -> T
where
    F: Future<Output = Result<T, S>>,
{
    let deadline = Instant::now() + PATIENCE;
    loop {
        match probe().await {
            Ok(found) => return found,
            Err(seen) if Instant::now() >= deadline => gave_up(what, seen),
            Err(_) => tokio::time::sleep(PAUSE).await,
        }
    }
}

/// Awaits `future` for at most [`PATIENCE`]; fails the test naming `what` otherwise.
pub async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    match tokio::time::timeout(PATIENCE, future).await {
        Ok(done) => done,
        Err(_) => gave_up(what, "still pending"),
    }
}

fn gave_up(what: &str, seen: impl Debug) -> ! {
    panic!("waited {PATIENCE:?} for {what}, in vain; last seen: {seen:?}")
}
