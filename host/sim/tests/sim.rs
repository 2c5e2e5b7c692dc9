//! The simulator proves itself: each canary (a known bug compiled in) is caught within
//! 300 seeds, and a seed run twice gives the same trace. Run by scripts/test.sh's `sim`
//! tier (`cargo test --workspace --test sim`), with a fresh range of seeds after it.

use std::sync::OnceLock;

use weft_runtime::runtime::canary::Canary;
use weft_sim::{run_seed, Shared};

/// Seeds a canary may take to be caught.
const CANARY_SEEDS: u64 = 300;

fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| Shared::new().expect("the workload component"))
}

#[test]
fn every_canary_is_caught_within_300_seeds() {
    let mut missed = Vec::new();
    for canary in Canary::ALL {
        let caught = (0..CANARY_SEEDS).find_map(|seed| {
            let verdict = run_seed(shared(), seed, Some(canary));
            verdict.violations.first().map(|v| (seed, v.clone()))
        });
        match caught {
            Some((seed, violation)) => eprintln!("{}: seed {seed}: {violation}", canary.name()),
            None => missed.push(canary.name()),
        }
    }
    assert!(missed.is_empty(), "canaries never caught: {missed:?}");
}

#[test]
fn a_seed_run_twice_gives_the_same_trace_and_no_violation() {
    for seed in [1, 3] {
        let (a, b) = (
            run_seed(shared(), seed, None),
            run_seed(shared(), seed, None),
        );
        assert_eq!(a.violations, Vec::<String>::new(), "seed {seed}");
        assert_eq!(a.trace, b.trace, "seed {seed}");
        assert!(
            a.trace.len() > 10,
            "seed {seed} did something: {:?}",
            a.trace
        );
    }
}

/// The command line as CI and a user run it: a range ends with a summary line, a
/// canary's first catching seed is named and fails the run, bad arguments are refused.
#[test]
fn the_command_line_sums_up_a_range_and_names_the_seed_that_caught_a_canary() {
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_weft-sim"))
            .args(args)
            .output()
            .expect("weft-sim runs");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        (out.status.code(), stdout, stderr)
    };
    let (code, stdout, _) = run(&["--seeds", "2..4"]);
    let last = stdout.lines().last().unwrap_or_default();
    assert_eq!(code, Some(0), "{stdout}");
    assert!(
        last.contains("seeds") && last.contains("violations 0"),
        "{last}"
    );
    let (code, stdout, _) = run(&["--canary", "keep-fired-timer", "--seeds", "0..300"]);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(stdout.contains("FAIL seed=0:"), "{stdout}");
    assert!(
        stdout.contains("canary keep-fired-timer caught by seed 0"),
        "{stdout}"
    );
    let (code, _, stderr) = run(&["--seeds", "5..5"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("--seeds: `5..5` is empty"), "{stderr}");
    let (code, _, stderr) = run(&["--seed", "1", "--canary", "nope"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("no canary `nope`"), "{stderr}");
}
