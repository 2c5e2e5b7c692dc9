//! A disk that fails on cue, for tests of fail-stop: a redb backend over a real file
//! whose writes and fsyncs start returning I/O errors when told to.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use redb::backends::FileBackend;
use redb::StorageBackend;

/// A redb backend over the file at a path; once [`DiskSwitch::fail`] is called every
/// `write`, `set_len` and `sync_data` fails with an I/O error, as a dying disk would.
/// Reads keep working. Open it with [`super::RedbStorage::with_backend`].
#[derive(Debug)]
pub struct FailingBackend {
    file: FileBackend,
    failing: Arc<AtomicBool>,
}

/// Tells a [`FailingBackend`] to start failing.
#[derive(Debug, Clone)]
pub struct DiskSwitch(Arc<AtomicBool>);

impl DiskSwitch {
    /// Fail every later write and fsync.
    pub fn fail(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

impl FailingBackend {
    /// The backend over the file at `path` (created if missing), healthy until its
    /// switch says otherwise.
    pub fn open(path: &Path) -> io::Result<(FailingBackend, DiskSwitch)> {
        let file: File = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        let file = FileBackend::new(file).map_err(io::Error::other)?;
        let failing = Arc::new(AtomicBool::new(false));
        let switch = DiskSwitch(failing.clone());
        Ok((FailingBackend { file, failing }, switch))
    }

    fn check(&self) -> io::Result<()> {
        if self.failing.load(Ordering::SeqCst) {
            Err(io::Error::other("injected disk failure"))
        } else {
            Ok(())
        }
    }
}

impl StorageBackend for FailingBackend {
    fn len(&self) -> io::Result<u64> {
        self.file.len()
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> io::Result<()> {
        self.file.read(offset, out)
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        self.check()?;
        self.file.set_len(len)
    }

    fn sync_data(&self) -> io::Result<()> {
        self.check()?;
        self.file.sync_data()
    }

    fn write(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        self.check()?;
        self.file.write(offset, data)
    }

    fn close(&self) -> io::Result<()> {
        self.file.close()
    }
}
