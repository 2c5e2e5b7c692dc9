//! The `weft` command line. A team's own host binary is a `main` that registers its
//! activities and calls [`main`] (or [`main_with`] to add verbs of its own, as the
//! repo's `weft` adds `bench`).

mod activity_ops;
mod batch;
mod build;
mod cluster;
mod codec_keys;
mod config_file;
mod control;
mod delete;
mod describe;
mod history;
mod human;
mod local;
mod messages;
mod pause;
mod remote;
mod replay;
mod reset;
mod schedule;
mod search;
mod sensitive;
mod server;
mod stack;
mod start;
mod steer_text;
mod timeline;
mod update_with_start;

use std::future::Future;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use weft_model::names::NameError;

use crate::activities::ActivityRegistry;
use crate::telemetry::{OtlpExporter, TelemetryError};

pub use codec_keys::CodecKeysArg;

/// Exit codes every command uses.
pub mod exit {
    /// Something went wrong (I/O, bad input, a host error).
    pub const ERROR: u8 = 1;
    /// The command line itself was wrong.
    pub const USAGE: u8 = 2;
    /// The workflow ran and failed, or replay diverged.
    pub const WORKFLOW_FAILED: u8 = 3;
    /// The execution, module or file named does not exist.
    pub const NOT_FOUND: u8 = 4;
    /// The host refused the request (validation, id in use).
    pub const REJECTED: u8 = 5;
    /// `weft server` stopped after a storage I/O error (fail-stop); restart it to
    /// resume from what is durable.
    pub const STORAGE_FAILED: u8 = 6;
}

/// An error that knows its exit code.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub fn new(code: u8, message: impl std::fmt::Display) -> Failure {
        Failure {
            code,
            message: message.to_string(),
        }
    }
}

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Failure {
        Failure::new(exit::ERROR, e)
    }
}

pub type CliResult = Result<(), Failure>;

#[derive(Parser)]
#[command(
    name = "weft",
    version,
    about = "A durable workflow host: Rust workflows compiled to WebAssembly, recorded and replayable",
    after_help = "Examples:\n  weft build guest-examples/hello\n  weft run --data ./data hello.wasm hello --input '\"world\"'      # embedded, no server\n  weft server --data ./data &\n  weft deploy hello.component.wasm\n  weft execute hello --input '\"world\"' --id hello-1\n  weft list\n  weft history show hello-1\n  weft cancel hello-1 --reason 'no longer needed'\n  weft replay --module hello-v2.component.wasm --id hello-1\n\nClient commands talk to the server at --server, else $WEFT_SERVER, else http://127.0.0.1:7233.\nExit codes: 0 ok, 1 error, 2 usage, 3 workflow failed or replay diverged, 4 not found, 5 rejected, 6 the server stopped after a storage I/O error."
)]
struct Cli<V: Verbs> {
    /// Log as JSON lines instead of human-readable text.
    #[arg(long, global = true)]
    log_json: bool,
    /// Export the host's spans (a workflow task, an activity attempt) to an
    /// OpenTelemetry collector over OTLP/HTTP, as in `http://localhost:4318` (needs a
    /// weft built with the `otel` feature, as the repo's `weft` is).
    #[arg(long, global = true, value_name = "URL", env = "WEFT_OTLP_ENDPOINT")]
    otlp_endpoint: Option<String>,
    #[command(subcommand)]
    command: Command<V>,
}

/// Verbs a host binary adds to the command line, beside weft's own.
pub trait Verbs: Subcommand {
    /// Run the verb, with the binary's activities.
    fn run(self, activities: ActivityRegistry) -> impl Future<Output = CliResult>;
}

/// No verbs of the binary's own.
#[derive(Subcommand)]
pub enum NoVerbs {}

impl Verbs for NoVerbs {
    async fn run(self, _: ActivityRegistry) -> CliResult {
        match self {}
    }
}

#[derive(Subcommand)]
enum Command<V: Verbs> {
    Build(build::BuildArgs),
    #[command(subcommand)]
    Toolchain(build::ToolchainCommand),
    Run(local::RunArgs),
    Server(server::ServerArgs),
    Deploy(remote::DeployArgs),
    Modules(remote::ModulesArgs),
    Metrics(remote::MetricsArgs),
    Start(start::StartCommand),
    Execute(start::ExecuteCommand),
    Describe(describe::DescribeArgs),
    Stack(stack::StackArgs),
    List(remote::ListArgs),
    Count(search::CountArgs),
    Result(start::ResultArgs),
    Signal(messages::SignalArgs),
    Query(messages::QueryArgs),
    Update(messages::UpdateArgs),
    UpdateWithStart(update_with_start::UpdateWithStartArgs),
    Cancel(control::CancelArgs),
    Terminate(control::TerminateArgs),
    Reset(reset::ResetArgs),
    #[command(
        subcommand,
        after_help = "Example:\n  weft batch terminate --query \"WorkflowType = 'order'\" --reason 'bad deploy'\n  weft batch list\n  weft batch describe batch-4f2a9c01d2e3 --json\n  weft batch stop batch-4f2a9c01d2e3"
    )]
    Batch(batch::BatchCommand),
    Delete(delete::DeleteArgs),
    Pause(pause::PauseArgs),
    Unpause(pause::UnpauseArgs),
    #[command(
        subcommand,
        after_help = "Example:\n  weft activity pause order-17 --activity charge_card --reason 'payments API is down'\n  weft activity update-options order-17 --activity charge_card --max-attempts 10\n  weft activity unpause order-17 --activity charge_card"
    )]
    Activity(activity_ops::ActivityCommand),
    #[command(
        subcommand,
        after_help = "Example:\n  weft history show hello-1\n  weft history export hello-1 -o hello-1.history.json\n  weft history show --data ./data hello-1     # offline"
    )]
    History(history::HistoryCommand),
    Replay(replay::ReplayArgs),
    #[command(
        subcommand,
        after_help = "Example:\n  weft schedule create ping --workflow-type hello --input '\"world\"' --interval 1s\n  weft schedule describe ping\n  weft schedule pause ping --note 'maintenance'\n  weft schedule delete ping"
    )]
    Schedule(schedule::ScheduleCommand),
    #[command(subcommand)]
    Cluster(cluster::ClusterCommand),
    SensitiveFields(sensitive::SensitiveFieldsArgs),
    #[command(flatten)]
    Own(V),
}

/// The `weft` command line as clap defines it: every verb, flag and help text (the CLI
/// reference, docs/guide/cli.md, is rendered from it).
/// `V` names the binary's own verbs ([`NoVerbs`] for the library's alone).
pub fn command<V: Verbs>() -> clap::Command {
    <Cli<V> as clap::CommandFactory>::command()
}

/// Run the `weft` command line with the given activities compiled in.
pub fn main(activities: ActivityRegistry) -> ExitCode {
    main_with::<NoVerbs>(activities)
}

/// Run the `weft` command line with the given activities compiled in and the binary's
/// own verbs `V`.
pub fn main_with<V: Verbs>(activities: ActivityRegistry) -> ExitCode {
    let args = match config_file::expand(std::env::args_os().collect()) {
        Ok(args) => args,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(exit::USAGE);
        }
    };
    let cli = match Cli::<V>::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { exit::USAGE } else { 0 });
        }
    };
    let level = if matches!(cli.command, Command::Server(_)) {
        "info"
    } else {
        "warn"
    };
    let exporter = match init_tracing(cli.log_json, level, cli.otlp_endpoint.as_deref()) {
        Ok(exporter) => exporter,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(exit::USAGE);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("starting the tokio runtime");
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Build(args) => build::build(args),
            Command::Toolchain(cmd) => build::toolchain(cmd),
            Command::Run(args) => local::run(args, activities).await,
            Command::Server(args) => server::serve(args, activities).await,
            Command::Deploy(args) => remote::deploy(args),
            Command::Modules(args) => remote::modules(args),
            Command::Start(args) => start::start(args),
            Command::Execute(args) => start::execute(args),
            Command::Describe(args) => describe::describe(args),
            Command::Stack(args) => stack::stack(args),
            Command::Metrics(args) => remote::metrics(args),
            Command::List(args) => remote::list(args).await,
            Command::Count(args) => search::count(args).await,
            Command::Result(args) => start::result(args),
            Command::Signal(args) => messages::signal(args),
            Command::Query(args) => messages::query(args),
            Command::Update(args) => messages::update(args),
            Command::UpdateWithStart(args) => update_with_start::update_with_start(args),
            Command::Cancel(args) => control::cancel(args),
            Command::Terminate(args) => control::terminate(args),
            Command::Reset(args) => reset::reset(args),
            Command::Batch(command) => batch::batch(command),
            Command::Delete(args) => delete::delete(args),
            Command::Pause(args) => pause::pause(args),
            Command::Unpause(args) => pause::unpause(args),
            Command::Activity(cmd) => activity_ops::activity(cmd),
            Command::History(cmd) => history::history(cmd).await,
            Command::Replay(args) => replay::replay(args).await,
            Command::Schedule(cmd) => schedule::schedule(cmd),
            Command::Cluster(cmd) => cluster::cluster(cmd),
            Command::SensitiveFields(args) => sensitive::sensitive_fields(args),
            Command::Own(verb) => verb.run(activities).await,
        }
    });
    drop(runtime);
    if let Some(exporter) = exporter {
        exporter.shutdown();
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("error: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

/// Log to stderr (filtered by `WEFT_LOG`, else `default_level`), and with an OTLP
/// endpoint also send the host's spans there.
fn init_tracing(
    json: bool,
    default_level: &str,
    otlp_endpoint: Option<&str>,
) -> Result<Option<OtlpExporter>, TelemetryError> {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::{EnvFilter, Layer};
    let exporter = otlp_endpoint
        .map(|endpoint| OtlpExporter::new(endpoint, "weft"))
        .transpose()?;
    let filter =
        EnvFilter::try_from_env("WEFT_LOG").unwrap_or_else(|_| EnvFilter::new(default_level));
    let fmt = tracing_subscriber::fmt::layer()
        // No colour codes in log files and pipes.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    let fmt = if json {
        fmt.json().boxed()
    } else {
        fmt.boxed()
    };
    let _ = tracing_subscriber::registry()
        .with(fmt.with_filter(filter))
        .with(exporter.as_ref().map(|e| e.layer()))
        .try_init();
    Ok(exporter)
}

/// The module name a component file is deployed under by default: its file name
/// without `.wasm` and `.component`.
/// A clap value parser for a user-given name: checked as the runtime checks it, so
/// the command line refuses what the API refuses, with the same message.
pub(crate) fn name_arg<T>(text: &str) -> Result<String, NameError>
where
    T: std::str::FromStr<Err = NameError>,
{
    T::from_str(text).map(|_| text.to_string())
}

/// A `--request-id`, checked as the server checks it.
pub(crate) fn request_id_arg(text: &str) -> Result<String, String> {
    crate::runtime::check_request_id(text).map(|()| text.to_string())
}

pub fn module_name(path: &std::path::Path) -> String {
    let file = path
        .file_name()
        .and_then(|f| f.to_str())
        .unwrap_or("module");
    let stem = file.strip_suffix(".wasm").unwrap_or(file);
    stem.strip_suffix(".component").unwrap_or(stem).to_string()
}
