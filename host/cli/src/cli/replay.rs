//! `weft replay`: check that workflow code reproduces recorded histories — one file, a
//! folder of them, or a live execution's history fetched from a server.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use super::remote::{api_failure, ServerArg};
use super::{exit, CliResult, Failure};
use crate::engine::{Engine, EngineConfig, Module};
use crate::history::archive::{self, read_file, Archive, ArchiveError};
use crate::history::export;
use crate::masking::MASK;
use crate::payload_codec::PayloadCodec;
use crate::replay::{replay as replay_history, ReplayError, ReplayStats};

/// Replay recorded histories against a workflow component; no activity runs.
///
/// Give a history file, a folder (every `*.json` and `*.history.json.zst` in it is
/// replayed, with a progress bar and a summary), `--id` to fetch a live execution's
/// history from the server, or `--archive DIR --id` to read an archived run. Exits
/// 0 when the component makes every recorded decision, 3 when any history diverges
/// (with the event, both commands and the source line that issued them).
#[derive(Args)]
#[command(
    after_help = "Example:\n  weft replay --module hello.wasm hello.history.json\n  weft replay --module hello-v2.wasm histories/\n  weft replay --module hello-v2.wasm --id hello-1 --server http://127.0.0.1:7233\n  weft replay --module hello.wasm --codec-keys keys.json encrypted.history.json\n  weft replay --module hello.wasm --archive /var/lib/weft/archive --id hello-1\n\nExit codes: 0 all match, 3 a history diverged, 4 a file or execution not found, 5 the module is not a weft component, 1 other errors."
)]
pub struct ReplayArgs {
    /// The workflow component to check.
    #[arg(long)]
    module: PathBuf,
    /// A history file written by `weft history export`, or a folder of them.
    #[arg(required_unless_present = "id", conflicts_with = "id")]
    history: Option<PathBuf>,
    /// Replay this execution's history (workflow id or run id), fetched from the server
    /// (or read from --archive). The server's answer has its sensitive fields masked;
    /// with --codec-keys the stored form is fetched and opened here instead.
    #[arg(long)]
    id: Option<String>,
    /// Read --id's history from this archive folder (what `weft server --retention
    /// --archive-dir` wrote) instead of the server.
    #[arg(long, value_name = "DIR", requires = "id")]
    archive: Option<PathBuf>,
    #[command(flatten)]
    server: ServerArg,
    /// One JSON object per history on stdout (history, workflow_id, run_id, matches,
    /// events, tasks, commands, divergence).
    #[arg(long)]
    json: bool,
    /// Key file to decode the payloads of history files exported encoded.
    #[command(flatten)]
    codec: super::codec_keys::CodecKeysArg,
    /// Compile the component afresh instead of reusing (and keeping) its compiled form
    /// in `compiled/` of weft's cache folder (`$WEFT_CACHE_DIR`, else
    /// `$XDG_CACHE_HOME/weft`, else `~/.cache/weft`).
    #[arg(long)]
    no_compile_cache: bool,
}

impl ReplayArgs {
    /// Where compiled components are kept between runs, so that replaying one history
    /// after another costs a file read instead of a compilation; `None` when disabled
    /// or when there is no cache folder (no `HOME`).
    fn compile_cache(&self) -> Option<PathBuf> {
        if self.no_compile_cache {
            return None;
        }
        match weft_toolchain::cache_dir() {
            Ok(dir) => Some(dir.join("compiled")),
            Err(e) => {
                tracing::warn!("compiling without a cache: {e}");
                None
            }
        }
    }
}

/// What replaying one history found.
#[derive(Debug, Serialize)]
struct Verdict {
    /// The file, or `execution <id>`.
    history: String,
    workflow_id: String,
    run_id: String,
    matches: bool,
    #[serde(flatten)]
    stats: Option<Counts>,
    /// The first divergence's report, or why the history could not be replayed.
    #[serde(skip_serializing_if = "Option::is_none")]
    divergence: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip)]
    millis: f64,
}

#[derive(Debug, Serialize)]
struct Counts {
    events: usize,
    tasks: usize,
    commands: usize,
}

impl From<ReplayStats> for Counts {
    fn from(s: ReplayStats) -> Counts {
        Counts {
            events: s.events,
            tasks: s.tasks,
            commands: s.commands,
        }
    }
}

/// A component loaded once and replayed against many histories.
struct Checker {
    engine: Arc<Engine>,
    module: Arc<Module>,
    codec: PayloadCodec,
}

impl Checker {
    fn load(
        path: &Path,
        codec: PayloadCodec,
        cache_dir: Option<PathBuf>,
    ) -> Result<Checker, Failure> {
        let bytes = std::fs::read(path).map_err(|e| {
            Failure::new(
                exit::NOT_FOUND,
                format!("cannot read {}: {e}", path.display()),
            )
        })?;
        let engine = Engine::new(EngineConfig::for_replay(cache_dir))?;
        let module = engine
            .load(&bytes)
            .map_err(|e| Failure::new(exit::REJECTED, format!("{}: {e}", path.display())))?;
        Ok(Checker {
            engine,
            module,
            codec,
        })
    }

    /// Replay one history file's text; `Err` when it is not a readable history.
    fn check(&self, label: String, text: &str) -> Verdict {
        let mut verdict = Verdict {
            history: label,
            workflow_id: String::new(),
            run_id: String::new(),
            matches: false,
            stats: None,
            divergence: None,
            error: None,
            millis: 0.0,
        };
        let (workflow_id, run_id, mut events) = match export::from_json(text) {
            Ok(h) => h,
            Err(e) => {
                verdict.error = Some(e.to_string());
                return verdict;
            }
        };
        if let Err(e) = self.codec.decode_events(&mut events) {
            verdict.error = Some(e.to_string());
            return verdict;
        }
        verdict.workflow_id = workflow_id;
        verdict.run_id = run_id;
        let started = Instant::now();
        let outcome = replay_history(&self.engine, &self.module, &events);
        verdict.millis = started.elapsed().as_secs_f64() * 1e3;
        match outcome {
            Ok(stats) => {
                verdict.matches = true;
                verdict.stats = Some(stats.into());
            }
            Err(e @ (ReplayError::Nondeterminism { .. } | ReplayError::TaskFailed { .. })) => {
                verdict.divergence = Some(e.to_string());
            }
            Err(e) => verdict.error = Some(e.to_string()),
        }
        verdict
    }
}

/// Said of a divergent replay of a history the server masked.
const MASKED_HINT: &str = "\nnote: the server masked sensitive fields in this history, so the \
    workflow saw other values than the run did; replay with --codec-keys (the stored form, \
    opened here), a `history export --decode --reveal` file, or the data folder";

pub async fn replay(args: ReplayArgs) -> CliResult {
    let checker = Checker::load(&args.module, args.codec.codec()?, args.compile_cache())?;
    match (&args.id, &args.history) {
        (Some(id), _) if args.archive.is_some() => {
            let archive = Archive::new(args.archive.as_deref().expect("just checked"));
            let (path, text) = archive.read(id).map_err(|e| match e {
                ArchiveError::NotFound { .. } => Failure::new(exit::NOT_FOUND, e),
                e => Failure::from(e),
            })?;
            one(checker.check(path.display().to_string(), &text), args.json)
        }
        (Some(id), _) => {
            let client = args.server.client()?;
            // The server masks sensitive fields in what it answers; with the keys, the
            // stored form is opened here instead, with its payloads as the run saw them.
            let json = if args.codec.codec()?.has_keys() {
                client.history_stored(id)
            } else {
                client.history(id)
            }
            .map_err(api_failure)?;
            let mut verdict = checker.check(format!("execution {id}"), &json.to_string());
            if let Some(report) = &mut verdict.divergence {
                if json.to_string().contains(MASK) {
                    report.push_str(MASKED_HINT);
                }
            }
            one(verdict, args.json)
        }
        (None, Some(path)) if path.is_dir() => folder(&checker, path, args.json),
        (None, Some(path)) => {
            let text = read_file(path).map_err(|e| match e {
                ArchiveError::Read { .. } => Failure::new(exit::NOT_FOUND, e),
                e => Failure::from(e),
            })?;
            let verdict = checker.check(path.display().to_string(), &text);
            one(verdict, args.json)
        }
        (None, None) => unreachable!("clap requires a history or --id"),
    }
}

/// Report on a single history.
fn one(v: Verdict, json: bool) -> CliResult {
    if json {
        println!("{}", serde_json::to_string(&v)?);
    }
    if let Some(error) = v.error {
        // Not a history at all: the command line named the wrong thing.
        return Err(Failure::new(exit::USAGE, format!("{}: {error}", v.history)));
    }
    if let Some(report) = v.divergence {
        return Err(Failure::new(
            exit::WORKFLOW_FAILED,
            format!("replay of {} diverged\n{report}", v.workflow_id),
        ));
    }
    if !json {
        let s = v.stats.expect("a matching replay has stats");
        eprintln!(
            "replay of {} matches: {} events, {} tasks, {} commands in {:.1} ms",
            v.workflow_id, s.events, s.tasks, s.commands, v.millis
        );
    }
    Ok(())
}

/// A history file by its name: `*.json`, or an archive's `*.history.json.zst`.
fn is_history_file(path: &Path) -> bool {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    name.ends_with(".json") || name.ends_with(archive::SUFFIX)
}

/// Replay every history file (`*.json`, `*.history.json.zst`) in `dir`, then
/// summarize.
fn folder(checker: &Checker, dir: &Path, json: bool) -> CliResult {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| {
            Failure::new(
                exit::NOT_FOUND,
                format!("cannot read {}: {e}", dir.display()),
            )
        })?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && is_history_file(p))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(Failure::new(
            exit::NOT_FOUND,
            format!(
                "no history files (*.json, *.history.json.zst) in {}",
                dir.display()
            ),
        ));
    }
    let bar = progress_bar(files.len() as u64);
    let started = Instant::now();
    let mut verdicts = Vec::with_capacity(files.len());
    for file in &files {
        bar.set_message(
            file.file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned(),
        );
        let verdict = match read_file(file) {
            Ok(text) => checker.check(file.display().to_string(), &text),
            Err(e) => Verdict {
                history: file.display().to_string(),
                workflow_id: String::new(),
                run_id: String::new(),
                matches: false,
                stats: None,
                divergence: None,
                error: Some(format!("cannot read: {e}")),
                millis: 0.0,
            },
        };
        if json {
            bar.suspend(|| println!("{}", serde_json::to_string(&verdict).unwrap_or_default()));
        }
        verdicts.push(verdict);
        bar.inc(1);
    }
    bar.finish_and_clear();
    let summary = Summary::of(&verdicts);
    eprint!(
        "{}",
        summary.render(&verdicts, started.elapsed().as_millis() as u64)
    );
    if summary.diverged > 0 {
        Err(Failure::new(
            exit::WORKFLOW_FAILED,
            format!(
                "{} of {} histories diverged",
                summary.diverged,
                verdicts.len()
            ),
        ))
    } else if summary.unreadable > 0 {
        Err(Failure::new(
            exit::ERROR,
            format!(
                "{} of {} files could not be replayed",
                summary.unreadable,
                verdicts.len()
            ),
        ))
    } else {
        Ok(())
    }
}

/// A bar on stderr, hidden when stderr is not a terminal (logs, CI, pipes).
fn progress_bar(len: u64) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    if !std::io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    bar.set_style(
        ProgressStyle::with_template("replaying {bar:30} {pos}/{len} {wide_msg}")
            .expect("a valid template"),
    );
    bar
}

#[derive(Debug, PartialEq, Eq)]
struct Summary {
    passed: usize,
    diverged: usize,
    unreadable: usize,
}

impl Summary {
    fn of(verdicts: &[Verdict]) -> Summary {
        let count = |f: fn(&Verdict) -> bool| verdicts.iter().filter(|v| f(v)).count();
        Summary {
            passed: count(|v| v.matches),
            diverged: count(|v| v.divergence.is_some()),
            unreadable: count(|v| v.error.is_some()),
        }
    }

    /// The summary line, then the first divergence (or error) of each file that did
    /// not pass.
    fn render(&self, verdicts: &[Verdict], elapsed_ms: u64) -> String {
        let mut out = format!(
            "replayed {} histories in {}: {} passed, {} diverged",
            verdicts.len(),
            super::human::duration(elapsed_ms),
            self.passed,
            self.diverged
        );
        if self.unreadable > 0 {
            out.push_str(&format!(", {} could not be replayed", self.unreadable));
        }
        out.push('\n');
        for v in verdicts.iter().filter(|v| !v.matches) {
            if let Some(report) = &v.divergence {
                out.push_str(&format!(
                    "\ndiverged: {} ({}, run {})\n{report}\n",
                    v.history, v.workflow_id, v.run_id
                ));
            } else if let Some(error) = &v.error {
                out.push_str(&format!("\nnot replayed: {}: {error}\n", v.history));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(history: &str, divergence: Option<&str>, error: Option<&str>) -> Verdict {
        Verdict {
            history: history.into(),
            workflow_id: "w".into(),
            run_id: "r".into(),
            matches: divergence.is_none() && error.is_none(),
            stats: None,
            divergence: divergence.map(Into::into),
            error: error.map(Into::into),
            millis: 0.0,
        }
    }

    #[test]
    fn summary_counts_and_lists_each_failure_once() {
        let verdicts = vec![
            verdict("a.json", None, None),
            verdict("b.json", Some("[WEFT-NDE-1] at event 3"), None),
            verdict("c.json", None, Some("not a weft history file")),
        ];
        let summary = Summary::of(&verdicts);
        assert_eq!(
            summary,
            Summary {
                passed: 1,
                diverged: 1,
                unreadable: 1
            }
        );
        let text = summary.render(&verdicts, 1_040);
        assert!(text.starts_with(
            "replayed 3 histories in 1.0 s: 1 passed, 1 diverged, 1 could not be replayed\n"
        ));
        assert!(text.contains("diverged: b.json (w, run r)\n[WEFT-NDE-1] at event 3\n"));
        assert!(text.contains("not replayed: c.json: not a weft history file\n"));
        assert!(!text.contains("a.json"));
    }
}
