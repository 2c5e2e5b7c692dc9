//! What plugs into wasmtime-wasi's traits: clocks that read the recorded activation
//! time, random streams drawn from the recorded seed, and stdout/stderr that log.
//!
//! wasmtime-wasi owns these as trait objects, so they cannot borrow the instance state;
//! they share the little they need ([`TaskFacts`], the [`SeededRng`]) instead.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};
use wasmtime_wasi::{HostMonotonicClock, HostWallClock};

use crate::engine::host_imports::SeededRng;

/// What the current task recorded, as the WASI objects see it.
#[derive(Default)]
pub(super) struct TaskFacts {
    time_ms: AtomicU64,
    replaying: AtomicBool,
}

impl TaskFacts {
    pub(super) fn set(&self, time_ms: u64, replaying: bool) {
        // Written and read on the thread that runs the task; the atomics only make the
        // sharing legal.
        self.time_ms.store(time_ms, Ordering::Relaxed);
        self.replaying.store(replaying, Ordering::Relaxed);
    }

    fn time_ms(&self) -> u64 {
        self.time_ms.load(Ordering::Relaxed)
    }

    fn replaying(&self) -> bool {
        self.replaying.load(Ordering::Relaxed)
    }
}

/// Both WASI clocks: the activation's recorded time. The monotonic clock counts from the
/// Unix epoch too, so it never goes backwards across tasks (recorded times do not).
pub(super) struct RecordedClock(pub(super) Arc<TaskFacts>);

const MILLISECOND_NS: u64 = 1_000_000;

impl HostWallClock for RecordedClock {
    fn resolution(&self) -> Duration {
        Duration::from_millis(1)
    }

    fn now(&self) -> Duration {
        Duration::from_millis(self.0.time_ms())
    }
}

impl HostMonotonicClock for RecordedClock {
    fn resolution(&self) -> u64 {
        MILLISECOND_NS
    }

    fn now(&self) -> u64 {
        self.0.time_ms().saturating_mul(MILLISECOND_NS)
    }
}

/// WASI's random (secure and insecure alike): the instance's seeded stream.
pub(super) struct SeededRandom(pub(super) SeededRng);

impl rand_core_010::TryRng for SeededRandom {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok(self.0.next_u32())
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        Ok(self.0.next_u64())
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        self.0.fill(dst);
        Ok(())
    }
}

/// Which stream a [`LogSink`] stands for.
#[derive(Debug, Clone, Copy)]
pub(super) enum OutputKind {
    Stdout,
    Stderr,
}

/// stdout or stderr of one instance: each line becomes a `tracing` event with the
/// workflow id (stdout at info level, stderr at warn), none while replaying.
#[derive(Clone)]
pub(super) struct LogSink {
    kind: OutputKind,
    workflow_id: Arc<str>,
    facts: Arc<TaskFacts>,
}

impl LogSink {
    pub(super) fn new(kind: OutputKind, workflow_id: Arc<str>, facts: Arc<TaskFacts>) -> LogSink {
        LogSink {
            kind,
            workflow_id,
            facts,
        }
    }

    fn writer(&self) -> LineWriter {
        LineWriter {
            sink: self.clone(),
            partial: Vec::new(),
        }
    }

    fn emit(&self, line: &[u8]) {
        if self.facts.replaying() {
            return;
        }
        let line = String::from_utf8_lossy(line);
        let line = line.trim_end_matches(['\n', '\r']);
        let workflow = &*self.workflow_id;
        match self.kind {
            OutputKind::Stdout => tracing::info!(workflow, stream = "stdout", "{line}"),
            OutputKind::Stderr => tracing::warn!(workflow, stream = "stderr", "{line}"),
        }
    }
}

impl IsTerminal for LogSink {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for LogSink {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.writer())
    }

    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(self.writer())
    }
}

/// A stream handed to the guest. Output is logged a whole line at a time (`println!`
/// may arrive in pieces); a line longer than [`LONGEST_LINE`] is logged in parts.
struct LineWriter {
    sink: LogSink,
    partial: Vec<u8>,
}

const LONGEST_LINE: usize = 8 << 10;

impl LineWriter {
    fn push(&mut self, mut bytes: &[u8]) {
        while let Some(end) = bytes.iter().position(|&b| b == b'\n') {
            let (line, rest) = bytes.split_at(end + 1);
            if self.partial.is_empty() {
                self.sink.emit(line);
            } else {
                self.partial.extend_from_slice(line);
                self.sink.emit(&self.partial);
                self.partial.clear();
            }
            bytes = rest;
        }
        self.partial.extend_from_slice(bytes);
        if self.partial.len() >= LONGEST_LINE {
            self.sink.emit(&self.partial);
            self.partial.clear();
        }
    }
}

impl Drop for LineWriter {
    fn drop(&mut self) {
        if !self.partial.is_empty() {
            self.sink.emit(&self.partial);
        }
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for LineWriter {
    async fn ready(&mut self) {}
}

impl OutputStream for LineWriter {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        self.push(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        // Lines are logged as they complete; a partial line waits for its end.
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(64 << 10)
    }
}

impl AsyncWrite for LineWriter {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.get_mut().push(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clocks_read_the_recorded_time() {
        let facts = Arc::new(TaskFacts::default());
        facts.set(1_700_000_000_123, false);
        let clock = RecordedClock(facts.clone());
        assert_eq!(
            HostWallClock::now(&clock),
            Duration::from_millis(1_700_000_000_123)
        );
        assert_eq!(
            HostMonotonicClock::now(&clock),
            1_700_000_000_123 * MILLISECOND_NS
        );
        facts.set(1_700_000_000_500, true);
        assert_eq!(
            HostMonotonicClock::now(&clock),
            1_700_000_000_500 * MILLISECOND_NS
        );
    }

    #[test]
    fn random_is_the_seeded_stream() {
        use rand_core_010::Rng;
        let a = SeededRng::default();
        a.seed(7);
        let b = SeededRng::default();
        b.seed(7);
        let mut wasi = SeededRandom(a.clone());
        let mut from_wasi = [0; 16];
        wasi.fill_bytes(&mut from_wasi);
        let mut direct = [0; 16];
        b.fill(&mut direct);
        assert_eq!(from_wasi, direct);
        // The two share one stream: what WASI drew is gone for the other.
        let (mut next_a, mut next_b) = ([0; 8], [0; 8]);
        a.fill(&mut next_a);
        b.fill(&mut next_b);
        assert_eq!(next_a, next_b);
    }
}
