//! Take-stream registry: capacity accounting, dispatch order, requeue.

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

use tokio::sync::Notify;

use super::State;
use crate::model::{JobOut, Scope, Status};

/// Largest batch taken at once (keeps lock hold times short).
const MAX_BATCH: usize = 256;

/// One open take stream.
pub struct StreamReg {
    /// Queue filter (`None` = all queues).
    pub queues: Option<BTreeSet<String>>,
    /// Max unacknowledged jobs, 0 = unlimited.
    pub prefetch: usize,
    /// Jobs delivered on this stream that are still in flight.
    pub in_flight: HashSet<u128>,
    /// Wakes the stream task (new job, freed capacity).
    pub notify: Arc<Notify>,
    /// Asks the stream task to end (server-side close).
    pub close: Arc<Notify>,
    /// Set when the last take found nothing; cleared when woken.
    pub waiting: bool,
}

impl StreamReg {
    fn wants(&self, queue: &str) -> bool {
        self.queues.as_ref().is_none_or(|q| q.contains(queue))
    }
}

impl State {
    /// Register a stream; returns its id and its wake/close handles.
    pub fn register_stream(
        &mut self,
        prefetch: usize,
        queues: Option<BTreeSet<String>>,
    ) -> (u64, Arc<Notify>, Arc<Notify>) {
        let id = self.next_stream_id;
        self.next_stream_id += 1;
        let notify = Arc::new(Notify::new());
        let close = Arc::new(Notify::new());
        self.streams.insert(
            id,
            StreamReg {
                queues,
                prefetch,
                in_flight: HashSet::new(),
                notify: notify.clone(),
                close: close.clone(),
                waiting: false,
            },
        );
        (id, notify, close)
    }

    /// Remove a stream and return its in-flight jobs to `ready`.
    pub fn unregister_stream(&mut self, sid: u64) {
        let Some(reg) = self.streams.remove(&sid) else {
            return;
        };
        let was_full = self.global_limit > 0 && self.in_flight >= self.global_limit;
        let mut ids: Vec<u128> = reg.in_flight.into_iter().collect();
        ids.sort_unstable();
        for id in ids {
            let Some(job) = self.jobs.get_mut(&id) else {
                continue;
            };
            if job.status != Status::InFlight || job.owner != Some(sid) {
                continue;
            }
            job.owner = None;
            job.status = Status::Ready;
            self.idx.insert(job);
            self.in_flight = self.in_flight.saturating_sub(1);
            let q = job.queue.clone();
            self.wake_for_queue(&q);
        }
        if was_full {
            self.wake_all_streams();
        }
    }

    /// Ask every stream to close; returns how many were asked.
    pub fn close_all_streams(&mut self) -> usize {
        for s in self.streams.values() {
            s.close.notify_one();
        }
        self.streams.len()
    }

    /// Wake waiting streams interested in `queue`.
    pub(crate) fn wake_for_queue(&mut self, queue: &str) {
        for s in self.streams.values_mut() {
            if s.waiting && s.wants(queue) {
                s.waiting = false;
                s.notify.notify_one();
            }
        }
    }

    pub(crate) fn wake_all_streams(&mut self) {
        for s in self.streams.values_mut() {
            s.waiting = false;
            s.notify.notify_one();
        }
    }

    /// Capacity of a stream right now.
    fn capacity(&self, reg: &StreamReg) -> usize {
        let mut cap = if reg.prefetch == 0 {
            1
        } else {
            reg.prefetch.saturating_sub(reg.in_flight.len())
        };
        if self.global_limit > 0 {
            cap = cap.min(self.global_limit.saturating_sub(self.in_flight));
        }
        cap.min(MAX_BATCH)
    }

    /// Pick ready jobs for a stream (at most `max`), mark them in flight.
    /// An empty result marks the stream as waiting.
    pub fn take_batch(&mut self, sid: u64, max: usize, now: u64) -> Vec<JobOut> {
        let Some(reg) = self.streams.get(&sid) else {
            return Vec::new();
        };
        let cap = self.capacity(reg).min(max);
        let mut picked: Vec<u128> = Vec::new();
        if cap > 0 {
            match &reg.queues {
                None => picked.extend(self.idx.ready_all.iter().take(cap).map(|&(_, id)| id)),
                Some(qs) => {
                    let mut iters: Vec<_> = qs
                        .iter()
                        .filter_map(|q| self.idx.ready_by_queue.get(q))
                        .map(|s| s.iter().peekable())
                        .collect();
                    while picked.len() < cap {
                        let mut best: Option<(usize, (u16, u128))> = None;
                        for (i, it) in iters.iter_mut().enumerate() {
                            if let Some(&&k) = it.peek() {
                                if best.is_none_or(|(_, b)| k < b) {
                                    best = Some((i, k));
                                }
                            }
                        }
                        match best {
                            Some((i, (_, id))) => {
                                iters[i].next();
                                picked.push(id);
                            }
                            None => break,
                        }
                    }
                }
            }
        }
        if picked.is_empty() {
            if let Some(reg) = self.streams.get_mut(&sid) {
                reg.waiting = true;
            }
            return Vec::new();
        }
        let mut out = Vec::with_capacity(picked.len());
        for id in picked {
            let Some(job) = self.jobs.get_mut(&id) else {
                continue;
            };
            self.idx.remove(job);
            job.status = Status::InFlight;
            job.dequeued_at = Some(now);
            job.owner = Some(sid);
            out.push(job.out(true));
            let release_key = match (&job.unique_key, job.unique_while) {
                (Some(k), Some(Scope::Queued)) => Some(k.clone()),
                _ => None,
            };
            let batch_key = job.batch.as_ref().map(|b| b.key.clone());
            if let Some(k) = release_key {
                if self.unique.get(&k) == Some(&id) {
                    self.unique.remove(&k);
                }
            }
            if let Some(k) = batch_key {
                if self.batches.get(&k) == Some(&id) {
                    self.batches.remove(&k);
                }
            }
            self.in_flight += 1;
            if let Some(reg) = self.streams.get_mut(&sid) {
                reg.in_flight.insert(id);
            }
        }
        out
    }
}
