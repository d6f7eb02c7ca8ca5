//! The handout queue: jobs waiting for host threads, and those handed out.

use crate::error::Error;
use crate::ready::Readiness;
use crate::take::Job;
use std::collections::{HashMap, VecDeque};

/// Jobs waiting for host threads, and the ones handed out but unresolved.
#[derive(Default)]
pub(super) struct Handout {
    pub(super) jobs: VecDeque<Job>,
    /// Connection generation: jobs from a closed connection were requeued by
    /// the server and must not be handed out.
    pub(super) epoch: u64,
    pub(super) outstanding: Outstanding,
    pub(super) fatal: Option<Error>,
    pub(super) stopping: bool,
    pub(super) stopped: bool,
    pub(super) wakeups: u64,
}

impl Readiness for Handout {
    /// Whether `Worker::next` would return at once: what `zizq_worker_fd`
    /// shows. A wakeup is not a state: it ends the waits under way only, so
    /// it does not make the descriptor readable.
    fn is_ready(&self) -> bool {
        !self.jobs.is_empty() || self.fatal.is_some() || self.stopping || self.stopped
    }
}

/// Handed-out jobs not yet resolved, counted per handout: the server may
/// redeliver a job while the first copy still runs, and each copy's handler
/// resolves it once, so one ack must not release the other copy.
#[derive(Default)]
pub(super) struct Outstanding {
    by_id: HashMap<String, u32>,
    total: usize,
}

impl Outstanding {
    pub(super) fn hand_out(&mut self, id: &str) {
        *self.by_id.entry(id.to_string()).or_default() += 1;
        self.total += 1;
    }

    /// Resolve one handout of `id`; false if none was open (an outcome for a
    /// job this worker did not hand out, or resolved twice).
    pub(super) fn resolve(&mut self, id: &str) -> bool {
        let Some(copies) = self.by_id.get_mut(id) else {
            return false;
        };
        *copies -= 1;
        if *copies == 0 {
            self.by_id.remove(id);
        }
        self.total -= 1;
        true
    }

    pub(super) fn len(&self) -> usize {
        self.total
    }

    pub(super) fn is_empty(&self) -> bool {
        self.total == 0
    }
}
