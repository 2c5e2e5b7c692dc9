//! One seed: the host opened on the simulated disk generation after generation (each a
//! fresh single-threaded runtime with paused time), driven step by step, crashed and
//! restarted as the seed decides, then healed and run to the end, its invariants checked
//! after every restart and at the end.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng;
use weft_runtime::runtime::{set_point_hook, Clock, Entropy, Executor, Host, HostConfig};
use weft_runtime::storage::RedbStorage;

use crate::activities::{self, Generation};
use crate::checks;
use crate::client::{Client, InFlight, Network};
use crate::disk::{Faults, SimDisk};
use crate::ledger::Ledger;
use crate::options::{below, chance, Options};
use crate::trace::Trace;
use crate::Shared;

/// Virtual time the simulation starts at (2023-11-14).
const START_MS: u64 = 1_700_000_000_000;
/// Most restarts of one seed (crashes and fail-stops).
const MAX_GENERATIONS: u32 = 10;
/// Most driver steps of one generation: past it the seed fails as a harness timeout.
const MAX_STEPS: u32 = 20_000;
/// How long after the faults stop every run must have closed (virtual time).
const LIVENESS_BOUND_MS: u64 = 30 * 86_400_000;
/// redb's page cache on the simulated disk.
const CACHE_BYTES: usize = 4 << 20;
/// Most faults armed on the disk in one seed.
const MAX_FAULTS: u32 = 3;

/// How a generation ended.
enum End {
    /// The process died or stopped; the disk holds this image.
    Restart(Vec<u8>),
    /// The seed is over.
    Done,
}

/// A seed in progress.
pub struct Seed<'a> {
    shared: &'a Shared,
    pub options: Options,
    rng: ChaCha8Rng,
    pub ledger: Arc<Mutex<Ledger>>,
    queue: VecDeque<crate::options::Op>,
    current: Arc<Mutex<Generation>>,
    pub trace: Trace,
    now_ms: u64,
    crashes: u32,
    faults: u32,
    healed_at: Option<u64>,
    pub violations: Vec<String>,
    pub generations: u32,
}

impl<'a> Seed<'a> {
    pub fn new(shared: &'a Shared, seed: u64) -> Seed<'a> {
        let options = Options::from_seed(seed);
        Seed {
            shared,
            rng: ChaCha8Rng::seed_from_u64(seed ^ 0x5eed_5eed),
            ledger: Arc::new(Mutex::new(Ledger::new(options.programs.len()))),
            queue: options.ops.iter().cloned().collect(),
            current: Arc::new(Mutex::new(Generation {
                seed,
                ..Generation::default()
            })),
            trace: Trace::default(),
            now_ms: START_MS,
            crashes: 0,
            faults: 0,
            healed_at: None,
            violations: Vec::new(),
            generations: 0,
            options,
        }
    }

    /// Run every generation, then the final checks; the violations the activities and
    /// the client saw as they went join the seed's.
    pub fn run(&mut self) {
        self.run_generations();
        let seen = std::mem::take(&mut self.ledger.lock().unwrap().violations);
        self.violations.extend(seen);
    }

    fn run_generations(&mut self) {
        let mut image = Vec::new();
        for generation in 0..MAX_GENERATIONS {
            self.generations = generation + 1;
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .start_paused(true)
                .build()
                .expect("a current-thread runtime");
            let end = runtime.block_on(self.generation(generation, image));
            drop(runtime);
            set_point_hook(None);
            match end {
                End::Restart(next) => {
                    image = next;
                    // The host stays down a while: timers due meanwhile fire on resume.
                    self.now_ms += below(&mut self.rng, 120_000);
                }
                End::Done => return,
            }
        }
        self.violations
            .push(format!("harness: more than {MAX_GENERATIONS} generations"));
    }

    async fn generation(&mut self, generation: u32, image: Vec<u8>) -> End {
        let disk = SimDisk::from_image(image);
        let Some(host) = self.open(generation, &disk).await else {
            return End::Done;
        };
        self.violations
            .extend(checks::durable(&host, &self.ledger.lock().unwrap()));
        let client = Client {
            host: host.clone(),
            programs: Arc::new(self.options.programs.clone()),
            ledger: self.ledger.clone(),
            in_flight: Arc::new(Mutex::new(InFlight::default())),
            disk: disk.clone(),
            trace: self.trace.clone(),
        };
        // Operations whose answers were lost in the last generation go again.
        let lost = std::mem::take(&mut self.ledger.lock().unwrap().retries);
        self.queue.extend(lost);
        for step in 0..MAX_STEPS {
            settle().await;
            self.now_ms = host.clock().now_ms();
            if let Some(end) = self.stopped(&host, &disk, &client) {
                return end;
            }
            if self.healed_at.is_some() {
                if let Some(end) = self.heal_step(&host, &client) {
                    return end;
                }
                continue;
            }
            if let Some(end) = self.fault_step(&host, &disk, &client, step) {
                return end;
            }
        }
        self.violations.push(format!(
            "harness: more than {MAX_STEPS} steps in generation {generation}"
        ));
        End::Done
    }

    /// Open the host on `disk` (deploying the workload in the first generation).
    async fn open(&mut self, generation: u32, disk: &SimDisk) -> Option<Host> {
        let storage = match RedbStorage::with_backend_inline(disk.backend(), CACHE_BYTES) {
            Ok(s) => s,
            Err(e) => {
                self.violations.push(format!(
                    "recovery: the database does not open after the crash: {e}"
                ));
                return None;
            }
        };
        let config = HostConfig {
            clock: Clock::virtual_at(self.now_ms, false),
            entropy: Entropy::seeded(
                self.options
                    .seed
                    .wrapping_mul(1_000)
                    .wrapping_add(u64::from(generation)),
            ),
            executor: Executor::Shared(tokio::runtime::Handle::current()),
            shared_engine: Some(self.shared.engine.clone()),
            cache_size: self.options.cache_size,
            ..HostConfig::in_memory()
        };
        let registry = activities::registry(self.ledger.clone(), self.current.clone());
        let host = match Host::open_with_storage(config, Arc::new(storage), registry).await {
            Ok(host) => host,
            Err(e) => {
                self.violations.push(format!(
                    "recovery: the host does not open after the crash: {e}"
                ));
                return None;
            }
        };
        {
            let mut current = self.current.lock().unwrap();
            current.host = Some(host.downgrade());
            current.disk = Some(disk.clone());
            current.number = generation;
        }
        if generation == 0 {
            if let Err(e) = host
                .deploy(self.shared.component.clone(), "sim", false)
                .await
            {
                self.violations.push(format!("harness: deploy: {e}"));
                return None;
            }
        }
        self.trace.push(format!(
            "generation {generation}: open at {}",
            host.clock().now_ms()
        ));
        Some(host)
    }

    /// The process died or stopped: the image a restart finds, as its fault decides.
    fn stopped(&mut self, host: &Host, disk: &SimDisk, client: &Client) -> Option<End> {
        if disk.severed() {
            let power = chance(&mut self.rng, 50);
            self.trace.push(format!(
                "the process died at disk operation {} ({})",
                disk.ops(),
                if power { "power cut" } else { "kill" }
            ));
            self.requeue_in_flight(client);
            let image = match power {
                true => disk.power_loss_image(&mut self.rng),
                false => disk.process_kill_image(),
            };
            disk.sever();
            return Some(End::Restart(image));
        }
        let failure = host.failure()?;
        self.trace.push(format!("fail-stop: {failure}"));
        self.requeue_in_flight(client);
        // After a failed fsync the kernel may have dropped what it could not write.
        let image = disk.power_loss_image(&mut self.rng);
        disk.sever();
        Some(End::Restart(image))
    }

    /// Operations without an answer when the process died: their outcome is unknown,
    /// and the client sends them again after the restart.
    fn requeue_in_flight(&self, client: &Client) {
        let ops = std::mem::take(&mut client.in_flight.lock().unwrap().ops);
        client
            .ledger
            .lock()
            .unwrap()
            .retries
            .extend(ops.into_values());
    }

    /// One step while faults may happen: an operation, time, a fault or a crash.
    fn fault_step(
        &mut self,
        host: &Host,
        disk: &SimDisk,
        client: &Client,
        step: u32,
    ) -> Option<End> {
        let idle = client.in_flight.lock().unwrap().ops.is_empty();
        if self.queue.is_empty() && idle && self.ledger.lock().unwrap().retries.is_empty() {
            disk.heal();
            set_point_hook(None);
            self.healed_at = Some(self.now_ms);
            self.trace.push(format!("heal at {}", self.now_ms));
            return None;
        }
        let roll = below(&mut self.rng, 100);
        let faults = self.options.faults.clone();
        if roll < 40 {
            if self.queue.is_empty() {
                let retries = std::mem::take(&mut self.ledger.lock().unwrap().retries);
                self.queue.extend(retries);
            }
            let Some(op) = self.queue.pop_front() else {
                self.advance(host);
                return None;
            };
            let network = match (faults.network, below(&mut self.rng, 10)) {
                (true, 0) => Network::RequestLost,
                (true, 1) => Network::ReplyLost,
                _ => Network::Delivered,
            };
            self.trace
                .push(format!("step {step}: send {op:?} ({network:?})"));
            client.send(op, network);
        } else if roll < 80 {
            self.advance(host);
        } else if roll < 90 && self.faults < MAX_FAULTS {
            self.arm(disk);
        } else if roll < 95
            && self.crashes < self.options.max_crashes
            && (faults.kill || faults.power_loss)
        {
            self.crashes += 1;
            let power = faults.power_loss && (!faults.kill || chance(&mut self.rng, 50));
            self.trace.push(format!(
                "step {step}: crash ({})",
                if power { "power cut" } else { "kill" }
            ));
            let image = match power {
                true => disk.power_loss_image(&mut self.rng),
                false => disk.process_kill_image(),
            };
            disk.sever();
            self.requeue_in_flight(client);
            return Some(End::Restart(image));
        } else {
            host.clock()
                .skip_to(self.now_ms + 1 + below(&mut self.rng, 500));
        }
        None
    }

    /// The final checks (see [`checks::finished`]).
    fn finish(&mut self, host: &Host) {
        let ledger = self.ledger.lock().unwrap();
        let programs = &self.options.programs;
        let found = checks::finished(host, &self.shared.engine, &ledger, programs);
        self.violations.extend(found);
    }

    /// With `WEFT_SIM_DUMP=1`, every run's history and the stored timers into the trace.
    fn dump(&self, host: &Host) {
        if std::env::var_os("WEFT_SIM_DUMP").is_none() {
            return;
        }
        for run in host.runs().unwrap_or_default() {
            self.trace.push(format!(
                "run {} of {} ({:?})",
                run.run_id, run.workflow_id, run.status
            ));
            for event in host.history(&run.run_id).unwrap_or_default() {
                self.trace.push(format!("    {event:?}"));
            }
        }
        self.trace
            .push(format!("timer rows: {:?}", host.storage().timers()));
    }

    /// Move time to the next deadline (or a little, when nobody waits).
    fn advance(&mut self, host: &Host) {
        let to = match host.clock().next_deadline() {
            Some(at) => at,
            None => self.now_ms + 1 + below(&mut self.rng, 5_000),
        };
        host.clock().skip_to(to);
    }

    /// Arm one fault of a class the seed has on.
    fn arm(&mut self, disk: &SimDisk) {
        let f = &self.options.faults;
        let mut classes = Vec::new();
        if f.crash_at_op {
            classes.push(0);
        }
        if f.fsync_failure {
            classes.push(1);
        }
        if f.disk_full {
            classes.push(2);
        }
        if f.crash_at_op {
            classes.push(3);
        }
        if classes.is_empty() {
            return;
        }
        self.faults += 1;
        let class = classes[below(&mut self.rng, classes.len() as u64) as usize];
        if class == 3 {
            return self.crash_at_point(disk);
        }
        let faults = match class {
            0 => Faults {
                crash_at_op: Some(disk.ops() + 1 + below(&mut self.rng, 200)),
                ..Faults::default()
            },
            1 => Faults {
                fail_sync_at: Some(disk.syncs() + 1 + below(&mut self.rng, 20)),
                ..Faults::default()
            },
            _ => Faults {
                quota_bytes: Some(disk.file_len() + below(&mut self.rng, 256 << 10)),
                ..Faults::default()
            },
        };
        self.trace.push(format!("arm {faults:?}"));
        disk.arm(faults);
    }

    /// Crash the process when it reaches its k-th named point (see
    /// `weft_runtime::runtime::set_point_hook`): after a task is recorded and before
    /// it is acknowledged, after a continue-as-new, after a parent closed.
    fn crash_at_point(&mut self, disk: &SimDisk) {
        let k = 1 + below(&mut self.rng, 8) as u32;
        let reached = AtomicU32::new(0);
        let (disk, trace) = (disk.clone(), self.trace.clone());
        self.trace.push(format!("arm crash at named point {k}"));
        set_point_hook(Some(Arc::new(move |point: &str| {
            if reached.fetch_add(1, Ordering::Relaxed) + 1 == k && !disk.severed() {
                trace.push(format!("crash at point {point}"));
                disk.sever();
            }
        })));
    }

    /// One step after the faults stopped: time runs on until every run has closed.
    fn heal_step(&mut self, host: &Host, client: &Client) -> Option<End> {
        let retries = std::mem::take(&mut self.ledger.lock().unwrap().retries);
        self.queue.extend(retries);
        if let Some(op) = self.queue.pop_front() {
            self.trace.push(format!("send {op:?} (healed)"));
            client.send(op, Network::Delivered);
            return None;
        }
        let open = host
            .storage()
            .open_runs()
            .map_or(usize::MAX, |runs| runs.len());
        let idle = client.in_flight.lock().unwrap().ops.is_empty();
        if open == 0 && idle {
            self.dump(host);
            self.finish(host);
            return Some(End::Done);
        }
        let healed_at = self.healed_at.unwrap_or(self.now_ms);
        match host.clock().next_deadline() {
            Some(at) if at <= healed_at + LIVENESS_BOUND_MS => {
                host.clock().skip_to(at);
                None
            }
            _ => {
                self.finish(host);
                if self.violations.is_empty() {
                    self.violations.push(format!(
                        "liveness: {open} runs open with nothing left to wait for"
                    ));
                }
                Some(End::Done)
            }
        }
    }
}

/// Run every task that can run: returns once the runtime has nothing else to do (with
/// paused time, a timer fires only when every task waits).
async fn settle() {
    tokio::time::sleep(std::time::Duration::from_nanos(1)).await;
}
