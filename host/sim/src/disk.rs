//! The simulated disk: a redb [`StorageBackend`] in memory that knows what was synced.
//!
//! Reads see every write (the page cache); a successful `sync_data` makes everything
//! written so far durable. What happens to writes since the last sync depends on how the
//! process ends: a process kill keeps them all (the page cache survives `kill -9`), a
//! power cut keeps each independently whole, not at all, or torn at a 512-byte sector
//! (disks reorder writes between barriers). Faults come on cue: a crash at the k-th
//! write (the process dies inside that operation), a failing fsync, a full disk.

use std::io;
use std::sync::{Arc, Mutex};

use rand_chacha::ChaCha8Rng;
use rand_core::RngCore;
use redb::StorageBackend;

const SECTOR: usize = 512;

/// A write the disk has not synced yet.
#[derive(Debug, Clone)]
enum Pending {
    Write { offset: u64, data: Vec<u8> },
    SetLen(u64),
}

/// Faults armed on a disk; each fires once.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// The process dies inside its k-th mutating operation (write or set_len, counted
    /// from when the disk was opened): that operation and every later one fails.
    pub crash_at_op: Option<u64>,
    /// The k-th `sync_data` (counted from when the disk was opened) fails with EIO.
    pub fail_sync_at: Option<u64>,
    /// Writes that would make the file longer than this fail with "storage full".
    pub quota_bytes: Option<u64>,
}

#[derive(Debug, Default)]
struct State {
    live: Vec<u8>,
    durable: Vec<u8>,
    pending: Vec<Pending>,
    ops: u64,
    syncs: u64,
    faults: Faults,
    /// The process died (a crash at an operation): every operation fails.
    severed: bool,
}

/// A simulated disk; clones share it. Open redb on it with [`SimDisk::backend`].
#[derive(Debug, Clone, Default)]
pub struct SimDisk(Arc<Mutex<State>>);

/// The redb backend of a [`SimDisk`].
#[derive(Debug)]
pub struct SimBackend(SimDisk);

impl SimDisk {
    /// A disk holding `image`, all of it durable.
    pub fn from_image(image: Vec<u8>) -> SimDisk {
        SimDisk(Arc::new(Mutex::new(State {
            durable: image.clone(),
            live: image,
            ..State::default()
        })))
    }

    /// A backend for redb on this disk.
    pub fn backend(&self) -> SimBackend {
        SimBackend(self.clone())
    }

    /// Arm `faults` (replacing those armed before).
    pub fn arm(&self, faults: Faults) {
        self.0.lock().unwrap().faults = faults;
    }

    /// Disarm every fault.
    pub fn heal(&self) {
        self.0.lock().unwrap().faults = Faults::default();
    }

    /// The process dies now: every later operation fails (the image a restart finds
    /// is taken before, with [`SimDisk::power_loss_image`] or
    /// [`SimDisk::process_kill_image`]).
    pub fn sever(&self) {
        self.0.lock().unwrap().severed = true;
    }

    /// The file's length as reads see it.
    pub fn file_len(&self) -> u64 {
        self.0.lock().unwrap().live.len() as u64
    }

    /// Mutating operations so far.
    pub fn ops(&self) -> u64 {
        self.0.lock().unwrap().ops
    }

    /// Successful and failed syncs so far.
    pub fn syncs(&self) -> u64 {
        self.0.lock().unwrap().syncs
    }

    /// Whether the process died inside a disk operation (see [`Faults::crash_at_op`]).
    pub fn severed(&self) -> bool {
        self.0.lock().unwrap().severed
    }

    /// Writes not yet synced.
    pub fn unsynced(&self) -> usize {
        self.0.lock().unwrap().pending.len()
    }

    /// What a restart after a process kill finds: every write made, synced or not.
    pub fn process_kill_image(&self) -> Vec<u8> {
        self.0.lock().unwrap().live.clone()
    }

    /// What a restart after a power cut finds: the durable image, then each unsynced
    /// write kept whole, dropped, or torn (a random prefix of its sectors), as `rng`
    /// decides.
    pub fn power_loss_image(&self, rng: &mut ChaCha8Rng) -> Vec<u8> {
        let state = self.0.lock().unwrap();
        let mut image = state.durable.clone();
        for op in &state.pending {
            match rng.next_u32() % 3 {
                0 => {}
                1 => apply(&mut image, op, None),
                _ => {
                    let sectors = match op {
                        Pending::Write { data, .. } => data.len().div_ceil(SECTOR),
                        Pending::SetLen(_) => 1,
                    };
                    let kept = rng.next_u32() as usize % (sectors + 1);
                    apply(&mut image, op, Some(kept * SECTOR));
                }
            }
        }
        image
    }
}

/// Apply `op` to `image`; a write only up to `limit` bytes when given.
fn apply(image: &mut Vec<u8>, op: &Pending, limit: Option<usize>) {
    match op {
        Pending::SetLen(len) => image.resize(*len as usize, 0),
        Pending::Write { offset, data } => {
            let data = &data[..limit.unwrap_or(data.len()).min(data.len())];
            let start = *offset as usize;
            if image.len() < start + data.len() {
                image.resize(start + data.len(), 0);
            }
            image[start..start + data.len()].copy_from_slice(data);
        }
    }
}

fn io_error(what: &str) -> io::Error {
    io::Error::other(format!("simulated disk: {what}"))
}

impl State {
    /// Count a mutating operation; fails when the process is dead or dies now.
    fn mutate(&mut self, new_len: u64) -> io::Result<()> {
        if self.severed {
            return Err(io_error("the process is dead"));
        }
        self.ops += 1;
        if self.faults.crash_at_op == Some(self.ops) {
            self.severed = true;
            return Err(io_error("the process died here"));
        }
        if self.faults.quota_bytes.is_some_and(|q| new_len > q) {
            return Err(io::Error::new(
                io::ErrorKind::StorageFull,
                "simulated disk: full",
            ));
        }
        Ok(())
    }
}

impl StorageBackend for SimBackend {
    fn len(&self) -> io::Result<u64> {
        Ok(self.0 .0.lock().unwrap().live.len() as u64)
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> io::Result<()> {
        let state = self.0 .0.lock().unwrap();
        let start = offset as usize;
        let Some(bytes) = state.live.get(start..start + out.len()) else {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "read past the end",
            ));
        };
        out.copy_from_slice(bytes);
        Ok(())
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        let mut state = self.0 .0.lock().unwrap();
        state.mutate(len)?;
        let op = Pending::SetLen(len);
        apply(&mut state.live, &op, None);
        state.pending.push(op);
        Ok(())
    }

    fn sync_data(&self) -> io::Result<()> {
        let mut state = self.0 .0.lock().unwrap();
        if state.severed {
            return Err(io_error("the process is dead"));
        }
        state.syncs += 1;
        if state.faults.fail_sync_at == Some(state.syncs) {
            return Err(io_error("fsync failed (EIO)"));
        }
        let pending = std::mem::take(&mut state.pending);
        for op in &pending {
            apply(&mut state.durable, op, None);
        }
        Ok(())
    }

    fn write(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        let mut state = self.0 .0.lock().unwrap();
        let end = offset + data.len() as u64;
        let new_len = end.max(state.live.len() as u64);
        state.mutate(new_len)?;
        let op = Pending::Write {
            offset,
            data: data.to_vec(),
        };
        apply(&mut state.live, &op, None);
        state.pending.push(op);
        Ok(())
    }
}

#[cfg(test)]
mod tests;
