//! `weft-sim`: run seeds of the deterministic simulation of the weft host.
//!
//! ```text
//! weft-sim --seed 123                    one seed: its options, its trace, its verdict
//! weft-sim --seed 123 --check-determinism  the seed twice; the traces must match
//! weft-sim --seeds 0..200                the regression seeds, then a range; a summary line
//! weft-sim --canary ack-before-durable --seeds 0..300
//!                                        with a known bug compiled in: fails (exit 1) at
//!                                        the first seed that catches it, naming it
//! ```
//!
//! A seed that fails in a range is added to `host/sim/regressions.txt`, whose seeds run
//! first in every range. Exit status: 0 when no seed failed, 1 when one did (with
//! `--canary`: when a seed caught the bug), 2 on bad arguments.

use std::ops::Range;
use std::process::ExitCode;

use weft_runtime::runtime::canary::Canary;
use weft_sim::{
    add_regression, probe_counts, regression_seeds, regressions_path, run_seed, Shared, Verdict,
    PROBES,
};

struct Args {
    seed: Option<u64>,
    seeds: Option<Range<u64>>,
    canary: Option<Canary>,
    check_determinism: bool,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut out = Args {
        seed: None,
        seeds: None,
        canary: None,
        check_determinism: false,
    };
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--seed" => {
                let v = value("--seed")?;
                out.seed = Some(
                    v.parse()
                        .map_err(|_| format!("--seed: `{v}` is not a number"))?,
                );
            }
            "--seeds" => {
                let v = value("--seeds")?;
                let (a, b) = v
                    .split_once("..")
                    .ok_or(format!("--seeds: `{v}` is not A..B"))?;
                let bad = |_| format!("--seeds: `{v}` is not A..B with numbers A < B");
                let (a, b): (u64, u64) = (a.parse().map_err(bad)?, b.parse().map_err(bad)?);
                if a >= b {
                    return Err(format!("--seeds: `{v}` is empty"));
                }
                out.seeds = Some(a..b);
            }
            "--canary" => {
                let v = value("--canary")?;
                let names: Vec<_> = Canary::ALL.iter().map(|c| c.name()).collect();
                out.canary = Some(Canary::named(&v).ok_or(format!(
                    "--canary: no canary `{v}` (known: {})",
                    names.join(", ")
                ))?);
            }
            "--check-determinism" => out.check_determinism = true,
            "-h" | "--help" => return Err(HELP.to_string()),
            other => return Err(format!("unknown argument `{other}`\n\n{HELP}")),
        }
    }
    if out.seed.is_some() == out.seeds.is_some() {
        return Err(format!("give one of --seed N and --seeds A..B\n\n{HELP}"));
    }
    Ok(out)
}

const HELP: &str = "usage: weft-sim (--seed N | --seeds A..B) [--canary NAME] [--check-determinism]

  --seed N               run one seed; print its options, its trace and its verdict
  --seeds A..B           run the regression seeds (host/sim/regressions.txt), then seeds A to B-1;
                         print a failure line per failing seed and a summary line
  --canary NAME          switch a known bug on (ack-before-durable, skip-fsync, keep-fired-timer,
                         forget-activities, signal-twice); stops at the first seed that catches it
  --check-determinism    run each seed twice and compare the traces

example: cargo run --release -p weft-sim -- --seed 7";

fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let shared = match Shared::new() {
        Ok(shared) => shared,
        Err(e) => {
            eprintln!("error: cannot prepare the workload: {e:#}");
            return ExitCode::from(2);
        }
    };
    match (args.seed, args.seeds.clone()) {
        (Some(seed), _) => one(&shared, seed, &args),
        (None, Some(range)) => range_of(&shared, range, &args),
        (None, None) => unreachable!("checked by parse"),
    }
}

/// Run `seed`, twice when determinism is checked; the second run's mismatch is a
/// violation of its own.
fn checked(shared: &Shared, seed: u64, args: &Args) -> Verdict {
    let mut verdict = run_seed(shared, seed, args.canary);
    if args.check_determinism {
        let again = run_seed(shared, seed, args.canary);
        if again.hash != verdict.hash {
            verdict.violations.push(format!(
                "nondeterminism: two runs of seed {seed} gave traces {:016x} and {:016x}",
                verdict.hash, again.hash
            ));
        }
    }
    verdict
}

fn one(shared: &Shared, seed: u64, args: &Args) -> ExitCode {
    let verdict = checked(shared, seed, args);
    println!("seed {seed}\noptions: {}", verdict.options);
    for line in &verdict.trace {
        println!("  {line}");
    }
    println!(
        "seed {seed}: {} generations, trace {:016x}, {} ms",
        verdict.generations, verdict.hash, verdict.millis
    );
    for v in &verdict.violations {
        println!("VIOLATION seed={seed}: {v}");
    }
    println!(
        "seeds 1, failed {}, violations {}",
        u8::from(!verdict.violations.is_empty()),
        verdict.violations.len()
    );
    if verdict.violations.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn range_of(shared: &Shared, range: Range<u64>, args: &Args) -> ExitCode {
    let regressions = regressions_path();
    let first: Vec<u64> = match args.canary {
        Some(_) => Vec::new(),
        None => regression_seeds(&regressions),
    };
    let began = std::time::Instant::now();
    let (mut run, mut failed, mut violations) = (0u64, 0u64, 0usize);
    let mut probes = [0u64; PROBES.len()];
    for seed in first.into_iter().chain(range.clone()) {
        let verdict = checked(shared, seed, args);
        run += 1;
        for (total, n) in probes.iter_mut().zip(probe_counts(&verdict.trace)) {
            *total += n;
        }
        if verdict.violations.is_empty() {
            continue;
        }
        failed += 1;
        violations += verdict.violations.len();
        println!(
            "FAIL seed={seed}: {}; reproduce: cargo run --release -p weft-sim -- --seed {seed}{}",
            verdict.violations[0],
            args.canary
                .map_or(String::new(), |c| format!(" --canary {}", c.name()))
        );
        if let Some(canary) = args.canary {
            println!(
                "canary {} caught by seed {seed} after {run} seeds; seeds {run}, violations {violations}",
                canary.name()
            );
            return ExitCode::FAILURE;
        }
        if let Err(e) = add_regression(&regressions, &verdict) {
            eprintln!("cannot add seed {seed} to {}: {e}", regressions.display());
        }
    }
    let counted: Vec<String> = PROBES
        .iter()
        .zip(probes)
        .map(|((name, _), n)| format!("{name} {n}"))
        .collect();
    println!("coverage: {}", counted.join(", "));
    let ms = began.elapsed().as_millis();
    let mean = ms / u128::from(run.max(1));
    println!(
        "seeds {}..{} (+{} regression): run {run}, failed {failed}, violations {violations}, {ms} ms ({mean} ms/seed)",
        range.start,
        range.end,
        run - (range.end - range.start)
    );
    if let Some(canary) = args.canary {
        // The simulator, not the host, failed here: the status says only whether the
        // bug was caught.
        println!(
            "canary {} was NOT caught in seeds {}..{}",
            canary.name(),
            range.start,
            range.end
        );
    }
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
