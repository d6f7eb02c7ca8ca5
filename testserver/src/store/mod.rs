//! In-memory job store: one mutex-protected `State` with ordered indexes.
//!
//! Hot paths (enqueue, take, ack) are O(log n); listing, counting and bulk
//! operations scan.

mod crons;
mod index;
mod jobs;
mod sched;
mod take;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use parking_lot::{Mutex, MutexGuard};
use tokio::sync::Notify;

use crate::config::{ms, Config};
use crate::cron::CronGroup;
use crate::ids::IdGen;
use crate::model::{Backoff, Job};

pub use crons::CronError;
pub use jobs::{EnqueueError, FailOutcome, PatchError};
pub use take::StreamReg;

use index::Index;

/// Server defaults applied at failure/completion time.
#[derive(Clone, Copy, Debug)]
pub struct Defaults {
    pub retry_limit: u32,
    pub backoff: Backoff,
    pub completed_retention_ms: u64,
    pub dead_retention_ms: u64,
}

impl Defaults {
    pub fn from_config(c: &Config) -> Defaults {
        Defaults {
            retry_limit: c.default_retry_limit,
            backoff: Backoff {
                exponent: c.default_backoff_exponent,
                base_ms: u32::try_from(ms(c.default_backoff_base)).unwrap_or(u32::MAX),
                jitter_ms: u32::try_from(ms(c.default_backoff_jitter)).unwrap_or(u32::MAX),
            },
            completed_retention_ms: ms(c.default_completed_job_retention),
            dead_retention_ms: ms(c.default_dead_job_retention),
        }
    }
}

/// All mutable server state.
pub struct State {
    pub(crate) jobs: BTreeMap<u128, Job>,
    idx: Index,
    unique: HashMap<String, u128>,
    batches: HashMap<String, u128>,
    idgen: IdGen,
    pub(crate) streams: HashMap<u64, StreamReg>,
    next_stream_id: u64,
    /// Jobs currently in flight (all streams).
    pub in_flight: usize,
    pub global_limit: usize,
    pub defaults: Defaults,
    pub backoff_random: Option<f64>,
    pub pro: bool,
    pub(crate) crons: BTreeMap<String, CronGroup>,
    /// Time the scheduler will next wake up at (u64::MAX = idle).
    sched_next: u64,
    sched_notify: Arc<Notify>,
}

impl State {
    fn new(config: &Config, sched_notify: Arc<Notify>) -> State {
        State {
            jobs: BTreeMap::new(),
            idx: Index::default(),
            unique: HashMap::new(),
            batches: HashMap::new(),
            idgen: IdGen::default(),
            streams: HashMap::new(),
            next_stream_id: 1,
            in_flight: 0,
            global_limit: config.global_in_flight_limit,
            defaults: Defaults::from_config(config),
            backoff_random: config.backoff_random,
            pro: config.tier == crate::config::Tier::Pro,
            crons: BTreeMap::new(),
            sched_next: u64::MAX,
            sched_notify,
        }
    }

    /// Make sure the scheduler wakes by `at`.
    fn wake_scheduler_by(&mut self, at: u64) {
        if at < self.sched_next {
            self.sched_next = at;
            self.sched_notify.notify_one();
        }
    }
}

/// Thread-safe handle to the state.
pub struct Store {
    state: Mutex<State>,
    /// Wakes the scheduler task early.
    pub sched_notify: Arc<Notify>,
}

impl Store {
    pub fn new(config: &Config) -> Store {
        let sched_notify = Arc::new(Notify::new());
        Store {
            state: Mutex::new(State::new(config, sched_notify.clone())),
            sched_notify,
        }
    }

    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock()
    }
}

impl State {
    /// Wake the scheduler immediately (e.g. after a tier switch).
    pub fn sched_wake_now(&mut self) {
        self.sched_next = 0;
        self.sched_notify.notify_one();
    }
}
