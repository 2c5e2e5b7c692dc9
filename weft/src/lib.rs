//! The repo's `weft` binary beside the library's command line: the verbs only this
//! binary has (`weft bench`, which builds the repo's examples by path).

mod bench;
mod bench_contention;
mod bench_open_runs;
mod bench_remote;
mod bench_signals;
mod bench_store;

use clap::Subcommand;
use weft_host::activities::ActivityRegistry;
use weft_host::cli::{CliResult, Verbs};

/// The verbs of the repo's `weft` beside the library's.
#[derive(Subcommand)]
pub enum RepoVerbs {
    Bench(bench::BenchArgs),
}

impl Verbs for RepoVerbs {
    async fn run(self, activities: ActivityRegistry) -> CliResult {
        match self {
            RepoVerbs::Bench(args) => bench::bench(args, activities).await,
        }
    }
}
