//! What a seed expands into: the workflows it starts, the client's operations, which
//! fault classes are on (swarm testing: each class is on or off for a whole seed), and
//! the host's settings. Printed in full by `weft-sim --seed N`.

use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};
use sim_workload::{Program, Step};

/// A client operation, before it is sent.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// Start workflow `w{index}` on its program.
    Start(usize),
    /// Send token `token` to workflow `w{index}` as signal `tok`.
    Signal(usize, u64),
    /// Send token `token` to workflow `w{index}` as update `bump`, waiting for its result.
    Update(usize, u64),
    /// Cancel workflow `w{index}`.
    Cancel(usize),
    /// Terminate workflow `w{index}`.
    Terminate(usize),
}

/// The fault classes a seed turns on.
#[derive(Debug, Clone, Default)]
pub struct FaultClasses {
    /// Crash the process at a quiescent instant (a kill keeps unsynced writes).
    pub kill: bool,
    /// Cut the power at a quiescent instant (unsynced writes kept, dropped or torn).
    pub power_loss: bool,
    /// Crash the process inside a disk operation.
    pub crash_at_op: bool,
    /// Fail an fsync.
    pub fsync_failure: bool,
    /// Fill the disk.
    pub disk_full: bool,
    /// Lose requests and replies between the client and the host.
    pub network: bool,
}

/// Everything a seed decides before it runs.
#[derive(Debug, Clone)]
pub struct Options {
    pub seed: u64,
    pub programs: Vec<Program>,
    pub ops: Vec<Op>,
    pub faults: FaultClasses,
    /// Most crashes (of any kind) in the seed.
    pub max_crashes: u32,
    /// Workflow instances the host keeps between tasks (0: replay before every task).
    pub cache_size: usize,
}

/// A uniform draw below `n` (n > 0).
pub fn below(rng: &mut ChaCha8Rng, n: u64) -> u64 {
    rng.next_u64() % n
}

/// True with probability `percent` / 100.
pub fn chance(rng: &mut ChaCha8Rng, percent: u64) -> bool {
    below(rng, 100) < percent
}

impl Options {
    pub fn from_seed(seed: u64) -> Options {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let faults = FaultClasses {
            kill: chance(&mut rng, 60),
            power_loss: chance(&mut rng, 60),
            crash_at_op: chance(&mut rng, 50),
            fsync_failure: chance(&mut rng, 40),
            disk_full: chance(&mut rng, 40),
            network: chance(&mut rng, 50),
        };
        let workflows = 1 + below(&mut rng, 4) as usize;
        let programs: Vec<Program> = (0..workflows)
            .map(|_| Program {
                steps: steps(&mut rng, 0),
                log: Vec::new(),
            })
            .collect();
        let stops = chance(&mut rng, 30);
        let updates = chance(&mut rng, 60);
        let mut ops: Vec<Op> = (0..workflows).map(Op::Start).collect();
        let mut token = 0;
        for (i, program) in programs.iter().enumerate() {
            let wanted: u32 = program
                .steps
                .iter()
                .map(|s| match s {
                    Step::Signals { count, .. } => *count,
                    _ => 0,
                })
                .sum();
            for _ in 0..wanted + below(&mut rng, 2) as u32 {
                token += 1;
                ops.push(match updates && chance(&mut rng, 50) {
                    true => Op::Update(i, token),
                    false => Op::Signal(i, token),
                });
            }
            if stops && chance(&mut rng, 40) {
                ops.push(match chance(&mut rng, 50) {
                    true => Op::Cancel(i),
                    false => Op::Terminate(i),
                });
            }
        }
        // Shuffle everything after the starts; a signal to a run not started yet is
        // refused, and sent again later.
        let tail = &mut ops[workflows..];
        for i in (1..tail.len()).rev() {
            tail.swap(i, below(&mut rng, i as u64 + 1) as usize);
        }
        Options {
            seed,
            programs,
            ops,
            faults,
            max_crashes: below(&mut rng, 4) as u32,
            cache_size: [0, 1, 8][below(&mut rng, 3) as usize],
        }
    }
}

/// A random program of up to five steps; children only at the top.
fn steps(rng: &mut ChaCha8Rng, depth: u32) -> Vec<Step> {
    let n = 1 + below(rng, 5);
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(match below(rng, 10) {
            0..=2 => Step::Activity {
                key: below(rng, 100) as u32,
                fails: below(rng, 3) as u32,
            },
            3..=4 => Step::Timer {
                ms: 1 + below(rng, 60_000),
            },
            5..=6 => Step::Signals {
                count: 1 + below(rng, 2) as u32,
                timeout_ms: 1_000 + below(rng, 120_000),
            },
            7 if depth == 0 => Step::Child {
                steps: steps(rng, depth + 1),
            },
            8 if depth == 0 => Step::ContinueAsNew,
            _ => Step::Timer {
                ms: 1 + below(rng, 1_000),
            },
        });
    }
    out
}
