//! The worker's counters and the `stats` map built from them.

use super::{lock, Worker};
use serde::Serialize;
use serde_json::Value;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Default)]
pub(super) struct Counters {
    pub(super) taken: AtomicU64,
    pub(super) handed_out: AtomicU64,
    pub(super) acked: AtomicU64,
    pub(super) nacked: AtomicU64,
    pub(super) stale: AtomicU64,
    pub(super) dropped: AtomicU64,
    pub(super) discarded: AtomicU64,
    pub(super) pending: AtomicU64,
    pub(super) connects: AtomicU64,
    pub(super) reconnects: AtomicU64,
    pub(super) connect_failures: AtomicU64,
    pub(super) probes: AtomicU64,
    pub(super) ack_requests: AtomicU64,
    pub(super) nack_requests: AtomicU64,
}

/// The map `zizq_worker_stats` returns; its keys are listed in the ABI
/// description (`build.rs` reads this struct), which the shims check.
#[derive(Serialize)]
struct WorkerStats {
    /// "running", "stopping", "stopped" or "failed".
    state: &'static str,
    taken: u64,
    handed_out: u64,
    acked: u64,
    nacked: u64,
    in_flight: u64,
    buffered: u64,
    outstanding: u64,
    pending_acks: u64,
    stale: u64,
    dropped: u64,
    discarded: u64,
    connects: u64,
    reconnects: u64,
    connect_failures: u64,
    probes: u64,
    ack_requests: u64,
    nack_requests: u64,
    last_error: Option<String>,
}

pub(super) fn add(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Ordering::Relaxed);
}

pub(super) fn get(counter: &AtomicU64) -> u64 {
    counter.load(Ordering::Relaxed)
}

impl Worker {
    /// Counters and state as a map.
    pub fn stats(&self) -> Value {
        let inner = &self.inner;
        let c = &inner.counters;
        let h = inner.handout();
        let state = if h.stopped {
            "stopped"
        } else if h.stopping {
            "stopping"
        } else if h.fatal.is_some() {
            "failed"
        } else {
            "running"
        };
        let buffered = h.jobs.len() as u64;
        let outstanding = h.outstanding.len() as u64;
        drop(h);
        let last_error = lock(&inner.last_error).as_ref().map(|e| e.to_string());
        let stats = WorkerStats {
            state,
            taken: get(&c.taken),
            handed_out: get(&c.handed_out),
            acked: get(&c.acked),
            nacked: get(&c.nacked),
            in_flight: buffered + outstanding,
            buffered,
            outstanding,
            pending_acks: get(&c.pending),
            stale: get(&c.stale),
            dropped: get(&c.dropped),
            discarded: get(&c.discarded),
            connects: get(&c.connects),
            reconnects: get(&c.reconnects),
            connect_failures: get(&c.connect_failures),
            probes: get(&c.probes),
            ack_requests: get(&c.ack_requests),
            nack_requests: get(&c.nack_requests),
            last_error,
        };
        // Serializing plain fields cannot fail.
        serde_json::to_value(stats).unwrap_or_default()
    }
}
