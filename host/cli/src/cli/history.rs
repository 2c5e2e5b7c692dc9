//! `weft history show` and `weft history export`: a run's history from a server, or
//! offline from a data folder (`--data`).

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};

use super::codec_keys::CodecKeysArg;
use super::remote::{api_failure, ServerArg};
use super::{exit, timeline, CliResult, Failure};
use crate::history::archive::{Archive, ArchiveError};
use crate::history::{export, Event};
use crate::masking::{self, SensitiveFields};
use crate::payload_codec::PayloadCodec;

/// Read or export execution histories.
#[derive(Subcommand)]
pub enum HistoryCommand {
    Show(ShowArgs),
    Export(ExportArgs),
}

/// Where a history comes from: a data folder (offline) or a server.
#[derive(Args)]
pub struct Source {
    /// Read this data folder offline instead of asking a server (the folder must not be
    /// open in a running host).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Read the run from this archive folder (what `weft server --retention
    /// --archive-dir` wrote before removing it) instead of asking a server.
    #[arg(long, value_name = "DIR", conflicts_with = "data")]
    archive: Option<PathBuf>,
    #[command(flatten)]
    server: ServerArg,
    #[command(flatten)]
    codec: CodecKeysArg,
    /// Read offline (--data, --archive): mask this field too, besides the default
    /// names and the values marked `Sensitive<T>` (a server masks with its own list).
    /// Repeatable.
    #[arg(long = "sensitive-field", value_name = "NAME", value_parser = super::server::parse_field_name)]
    sensitive_fields: Vec<String>,
}

/// Show a run's history as a timeline, one line per event.
///
/// Each line has the event's index, its time relative to the start (the time of the
/// workflow task it belongs to), its name and its key fields, with payloads as JSON cut
/// to 80 characters.
#[derive(Args)]
#[command(
    after_help = "Example:\n  weft history show hello-1\n  weft history show --json hello-1 > hello-1.history.json\n  weft history show --data ./data hello-1     # offline\n  weft history show --archive /var/lib/weft/archive hello-1     # a run retention removed"
)]
pub struct ShowArgs {
    /// Workflow id (its latest run) or run id.
    execution: String,
    #[command(flatten)]
    source: Source,
    /// Print the history file's JSON (what `history export` writes) instead.
    #[arg(long)]
    json: bool,
}

/// Write a run's history to a JSON file that `weft replay` reads.
///
/// Payloads the payload codec encrypted or compressed stay encoded in the file (each
/// shows its envelope: key id, nonce, ciphertext) unless `--decode` is given with the
/// key file; `weft replay --codec-keys` reads such a file.
///
/// Sensitive fields are masked in the file, as everywhere weft shows a payload, unless
/// `--reveal` is given by someone with the right to read them: with `--decode` and the
/// key file (the server masks every payload it answers, so only payloads the codec
/// encrypted reach the file with their real values), or offline from a data folder. A
/// masked file may not replay as the run went; replay a revealed one.
#[derive(Args)]
#[command(
    after_help = "Example:\n  weft history export hello-1 -o hello-1.history.json\n  weft history export --data ./data hello-1 -o hello-1.history.json     # offline\n  weft history export hello-1 -o plain.json --decode --codec-keys keys.json   # payloads decrypted\n  weft history export pay-1 -o real.json --decode --reveal --codec-keys keys.json   # sensitive values too"
)]
pub struct ExportArgs {
    /// Workflow id (its latest run) or run id.
    execution: String,
    /// Output file (`-` for stdout).
    #[arg(short, long)]
    output: PathBuf,
    #[command(flatten)]
    source: Source,
    /// Decode the payloads the codec encoded, with the keys of --codec-keys.
    #[arg(long)]
    decode: bool,
    /// Keep the real values of sensitive fields. From a server it needs --decode with
    /// the key file; offline (--data, --archive), the folder is the right to read them.
    #[arg(long)]
    reveal: bool,
}

/// A run's history, both as events and as the history file's JSON.
struct Fetched {
    workflow_id: String,
    run_id: String,
    events: Vec<Event>,
    json: serde_json::Value,
}

pub async fn history(cmd: HistoryCommand) -> CliResult {
    match cmd {
        HistoryCommand::Show(args) => {
            let h = fetch(&args.source, &args.execution, Payloads::Decoded, false).await?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&h.json)?);
            } else {
                print!("{}", timeline::render(&h.workflow_id, &h.run_id, &h.events));
            }
            Ok(())
        }
        HistoryCommand::Export(args) => {
            let payloads = if args.decode {
                if args.source.codec.codec_keys.is_none() {
                    return Err(Failure::new(
                        exit::USAGE,
                        "--decode needs the codec key file: --codec-keys <file> (or WEFT_CODEC_KEYS)",
                    ));
                }
                Payloads::Decoded
            } else {
                Payloads::Stored
            };
            if args.reveal && args.source.is_server() && !args.decode {
                return Err(Failure::new(
                    exit::USAGE,
                    "--reveal: a server masks every payload it answers; the real values reach \
                     you only encrypted by its codec, so add --decode --codec-keys <file> (or \
                     read the data folder offline with --data)",
                ));
            }
            let h = fetch(&args.source, &args.execution, payloads, args.reveal).await?;
            let text = serde_json::to_string_pretty(&h.json)?;
            if args.output.as_os_str() == "-" {
                println!("{text}");
            } else {
                std::fs::write(&args.output, text + "\n")
                    .map_err(|e| format!("cannot write {}: {e}", args.output.display()))?;
                eprintln!(
                    "wrote {} events to {}",
                    h.events.len(),
                    args.output.display()
                );
            }
            Ok(())
        }
    }
}

impl Source {
    fn is_server(&self) -> bool {
        self.data.is_none() && self.archive.is_none()
    }

    /// The fields masked when reading offline.
    fn offline_fields(&self) -> SensitiveFields {
        SensitiveFields::default().with(&self.sensitive_fields)
    }
}

/// Whether a fetched history's encoded payloads are decoded or stay envelopes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Payloads {
    Decoded,
    Stored,
}

/// A run's history with its sensitive fields masked, unless `reveal`.
async fn fetch(
    source: &Source,
    id: &str,
    payloads: Payloads,
    reveal: bool,
) -> Result<Fetched, Failure> {
    let codec = source.codec.codec()?;
    let (workflow_id, run_id, mut events) = match (&source.data, &source.archive) {
        (Some(dir), _) => fetch_local(dir, id, payloads, codec).await?,
        (None, Some(dir)) => {
            let (workflow_id, run_id, mut events) = archived(dir, id)?;
            if payloads == Payloads::Decoded {
                decode(&codec, &mut events, id)?;
            }
            (workflow_id, run_id, events)
        }
        (None, None) => from_server(source, id, payloads, &codec, reveal)?,
    };
    if !reveal && !source.is_server() {
        masking::mask_events(&source.offline_fields(), &mut events);
    }
    Ok(Fetched {
        json: export::to_json(&workflow_id, &run_id, &events),
        workflow_id,
        run_id,
        events,
    })
}

/// A run's history from a server, masked: what the server answers is masked already;
/// what this decodes is masked here, with the server's names, unless `reveal`.
fn from_server(
    source: &Source,
    id: &str,
    payloads: Payloads,
    codec: &PayloadCodec,
    reveal: bool,
) -> Result<(String, String, Vec<Event>), Failure> {
    let client = source.server.client()?;
    // Asked to decode with our keys, the server's stored form is decoded here;
    // without keys, a server with keys answers plaintext for `show`.
    let json = match payloads {
        Payloads::Decoded if !codec.has_keys() => client.history(id),
        _ => client.history_stored(id),
    }
    .map_err(api_failure)?;
    let (workflow_id, run_id, mut events) = export::from_json(&json.to_string()).map_err(|e| {
        format!(
            "the history {} answered for {id} does not decode: {e}",
            source.server.server
        )
    })?;
    if reveal && PayloadCodec::encoded_payloads(&events) == 0 {
        return Err(Failure::new(
            exit::REJECTED,
            format!(
                "--reveal: no payload of {id} is encrypted by the server's codec, and the \
                 server masks the others; read the data folder offline with --data --reveal"
            ),
        ));
    }
    if payloads == Payloads::Decoded && codec.has_keys() {
        decode(codec, &mut events, id)?;
        if !reveal {
            // Opened here, so masked here, with the server's names.
            let fields = client.sensitive_fields().map_err(api_failure)?;
            let fields = SensitiveFields::none().with(&fields.fields);
            masking::mask_events(&fields, &mut events);
        }
    }
    Ok((workflow_id, run_id, events))
}

fn decode(codec: &PayloadCodec, events: &mut [Event], id: &str) -> Result<(), Failure> {
    codec
        .decode_events(events)
        .map_err(|e| Failure::from(format!("the history of {id}: {e}")))
}

/// A run from an archive folder, payloads as stored.
fn archived(dir: &Path, id: &str) -> Result<(String, String, Vec<Event>), Failure> {
    let (path, text) = Archive::new(dir).read(id).map_err(|e| match e {
        ArchiveError::NotFound { .. } => Failure::new(exit::NOT_FOUND, e),
        e => Failure::from(e),
    })?;
    export::from_json(&text)
        .map_err(|e| Failure::from(format!("{} is not a history file: {e}", path.display())))
}

async fn fetch_local(
    dir: &Path,
    id: &str,
    payloads: Payloads,
    codec: PayloadCodec,
) -> Result<(String, String, Vec<Event>), Failure> {
    let inspector = super::local::open_existing(dir, codec).await?;
    let run = inspector.find_run(id).map_err(super::local::not_found)?;
    let events = match payloads {
        Payloads::Decoded => inspector.history(&run.run_id)?,
        Payloads::Stored => inspector.stored().history_of(&run)?,
    };
    Ok((run.workflow_id, run.run_id, events))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_data_folder_is_not_found() {
        let dir = tempfile::tempdir().unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let err = rt
            .block_on(fetch_local(
                dir.path(),
                "x",
                Payloads::Decoded,
                PayloadCodec::none(),
            ))
            .err()
            .unwrap();
        assert_eq!(err.code, exit::NOT_FOUND);
    }
}
