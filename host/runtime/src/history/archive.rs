//! The archive: closed runs written to a folder before retention removes them, one
//! zstd-compressed history file per run (the format of [`super::export`]), with
//! payloads as stored, so what the payload codec encrypted stays encrypted.
//!
//! Layout: `DIR/<workflow id>/<close ms>-<run id>.history.json.zst`, the workflow id
//! percent-encoded where it has characters a file name must not (`/` in a child's
//! id). Each file is written to a temporary name, fsynced, renamed and its folder
//! fsynced, so a file that exists is whole and durable before its run is removed.
//! `weft history show --archive DIR <id>` and `weft replay --archive DIR --id <id>`
//! read a run back by run id, or a workflow id's latest-closed run.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use ruzstd::encoding::CompressionLevel;

use super::export;
use super::Event;

/// What a history file in the archive ends with.
pub const SUFFIX: &str = ".history.json.zst";

/// Reading or writing the archive failed.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("cannot write the archive file {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot read the archive {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    /// No file of that run or workflow id.
    #[error("no archived run of `{id}` in {dir}")]
    NotFound { id: String, dir: String },
    /// The file is not a zstd frame of a history file.
    #[error("the archive file {path} is damaged: {reason}")]
    Damaged { path: String, reason: String },
}

/// An archive folder.
#[derive(Debug, Clone)]
pub struct Archive {
    dir: PathBuf,
}

impl Archive {
    pub fn new(dir: impl Into<PathBuf>) -> Archive {
        Archive { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Write one run's history durably; the file's path.
    pub fn write(
        &self,
        workflow_id: &str,
        run_id: &str,
        close_ms: u64,
        events: &[Event],
    ) -> Result<PathBuf, ArchiveError> {
        let folder = self.dir.join(file_name(workflow_id));
        let path = folder.join(format!("{close_ms}-{}{SUFFIX}", file_name(run_id)));
        let failed = |source| ArchiveError::Write {
            path: path.display().to_string(),
            source,
        };
        let json = export::to_json(workflow_id, run_id, events).to_string();
        let frame = ruzstd::encoding::compress_to_vec(json.as_bytes(), CompressionLevel::Fastest);
        std::fs::create_dir_all(&folder).map_err(failed)?;
        let partial = folder.join(format!(".{}.partial", file_name(run_id)));
        let mut file = std::fs::File::create(&partial).map_err(failed)?;
        file.write_all(&frame).map_err(failed)?;
        file.sync_all().map_err(failed)?;
        drop(file);
        std::fs::rename(&partial, &path).map_err(failed)?;
        std::fs::File::open(&folder)
            .and_then(|f| f.sync_all())
            .map_err(failed)?;
        Ok(path)
    }

    /// The file of run `id`, or of workflow id `id`'s run that closed last.
    pub fn find(&self, id: &str) -> Result<PathBuf, ArchiveError> {
        let not_found = || ArchiveError::NotFound {
            id: id.to_string(),
            dir: self.dir.display().to_string(),
        };
        let read = |dir: &Path| {
            std::fs::read_dir(dir).map_err(|source| ArchiveError::Read {
                path: dir.display().to_string(),
                source,
            })
        };
        if !self.dir.is_dir() {
            return Err(not_found());
        }
        // A workflow id: its folder's run that closed last.
        let folder = self.dir.join(file_name(id));
        if folder.is_dir() {
            let latest = (read(&folder)?.flatten())
                .filter_map(|e| Some((close_ms(&e.file_name().to_string_lossy())?, e.path())))
                .max();
            return latest.map(|(_, path)| path).ok_or_else(not_found);
        }
        // A run id: whichever folder has it.
        let wanted = format!("-{}{SUFFIX}", file_name(id));
        for folder in read(&self.dir)?.flatten() {
            for file in read(&folder.path())?.flatten() {
                let name = file.file_name().to_string_lossy().into_owned();
                if name.ends_with(&wanted) && close_ms(&name).is_some() {
                    return Ok(file.path());
                }
            }
        }
        Err(not_found())
    }

    /// The history file's text of run (or workflow) `id`, and the file it came from.
    pub fn read(&self, id: &str) -> Result<(PathBuf, String), ArchiveError> {
        let path = self.find(id)?;
        Ok((path.clone(), read_file(&path)?))
    }
}

/// The text of a history file, decompressed when it is a zstd frame (as archive
/// files are).
pub fn read_file(path: &Path) -> Result<String, ArchiveError> {
    let bytes = std::fs::read(path).map_err(|source| ArchiveError::Read {
        path: path.display().to_string(),
        source,
    })?;
    let damaged = |reason: String| ArchiveError::Damaged {
        path: path.display().to_string(),
        reason,
    };
    let bytes = if bytes.starts_with(&ZSTD_MAGIC) {
        let mut decoder = ruzstd::decoding::StreamingDecoder::new(bytes.as_slice())
            .map_err(|e| damaged(e.to_string()))?;
        let mut text = Vec::new();
        std::io::Read::read_to_end(&mut decoder, &mut text).map_err(|e| damaged(e.to_string()))?;
        text
    } else {
        bytes
    };
    String::from_utf8(bytes).map_err(|e| damaged(e.to_string()))
}

/// The first bytes of a zstd frame.
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// The close time an archive file's name starts with.
fn close_ms(name: &str) -> Option<u64> {
    let stem = name.strip_suffix(SUFFIX)?;
    stem.split_once('-')?.0.parse().ok()
}

/// `id` as one file name: `%`, `/`, `\`, NUL and a leading `.` percent-encoded.
fn file_name(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for (i, c) in id.char_indices() {
        match c {
            '%' | '/' | '\\' | '\0' => out.push_str(&format!("%{:02X}", c as u32)),
            '.' if i == 0 => out.push_str("%2E"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn history(run: &str) -> Vec<Event> {
        vec![
            Event::TaskStarted { time_ms: 1 },
            Event::Terminated {
                reason: format!("{run} over"),
            },
        ]
    }

    /// A run reads back by its run id and by its workflow id (the run that closed
    /// last); ids with `/` stay in one folder; an unknown id is not found.
    #[test]
    fn runs_read_back_by_run_id_and_workflow_id() {
        let dir = tempfile::tempdir().unwrap();
        let archive = Archive::new(dir.path());
        archive
            .write("order/child-1", "r1", 100, &history("r1"))
            .unwrap();
        archive
            .write("order/child-1", "r2", 200, &history("r2"))
            .unwrap();
        let (path, text) = archive.read("r1").unwrap();
        assert!(path
            .to_string_lossy()
            .ends_with("order%2Fchild-1/100-r1.history.json.zst"));
        let (wf, run, events) = export::from_json(&text).unwrap();
        assert_eq!((wf.as_str(), run.as_str()), ("order/child-1", "r1"));
        assert_eq!(events, history("r1"));
        let (_, latest) = archive.read("order/child-1").unwrap();
        assert_eq!(export::from_json(&latest).unwrap().1, "r2");
        assert!(matches!(
            archive.read("r3"),
            Err(ArchiveError::NotFound { .. })
        ));
        // A plain (uncompressed) history file reads too.
        let plain = dir.path().join("plain.json");
        std::fs::write(&plain, &text).unwrap();
        assert_eq!(read_file(&plain).unwrap(), text);
    }
}
