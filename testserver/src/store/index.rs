//! Secondary indexes: ready order, schedule, purge times, queue names.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::model::{Job, Status};

/// Ordered indexes kept in sync with the job map.
#[derive(Default)]
pub struct Index {
    /// All ready jobs by (priority, id).
    pub ready_all: BTreeSet<(u16, u128)>,
    /// Ready jobs per queue by (priority, id).
    pub ready_by_queue: HashMap<String, BTreeSet<(u16, u128)>>,
    /// Scheduled jobs by (ready_at, id).
    pub scheduled: BTreeSet<(u64, u128)>,
    /// Retained terminal jobs by (purge_at, id).
    pub purges: BTreeSet<(u64, u128)>,
    /// Number of stored jobs per queue name.
    pub queues: BTreeMap<String, usize>,
}

impl Index {
    /// Add the status-dependent entries of `j`.
    pub fn insert(&mut self, j: &Job) {
        match j.status {
            Status::Ready => {
                self.ready_all.insert((j.priority, j.id));
                match self.ready_by_queue.get_mut(&j.queue) {
                    Some(set) => {
                        set.insert((j.priority, j.id));
                    }
                    None => {
                        let mut set = BTreeSet::new();
                        set.insert((j.priority, j.id));
                        self.ready_by_queue.insert(j.queue.clone(), set);
                    }
                }
            }
            Status::Scheduled => {
                self.scheduled.insert((j.ready_at, j.id));
            }
            Status::Completed | Status::Dead => {
                if let Some(p) = j.purge_at {
                    self.purges.insert((p, j.id));
                }
            }
            Status::InFlight => {}
        }
    }

    /// Remove the status-dependent entries of `j`.
    pub fn remove(&mut self, j: &Job) {
        match j.status {
            Status::Ready => {
                self.ready_all.remove(&(j.priority, j.id));
                if let Some(set) = self.ready_by_queue.get_mut(&j.queue) {
                    set.remove(&(j.priority, j.id));
                    if set.is_empty() {
                        self.ready_by_queue.remove(&j.queue);
                    }
                }
            }
            Status::Scheduled => {
                self.scheduled.remove(&(j.ready_at, j.id));
            }
            Status::Completed | Status::Dead => {
                if let Some(p) = j.purge_at {
                    self.purges.remove(&(p, j.id));
                }
            }
            Status::InFlight => {}
        }
    }

    pub fn queue_add(&mut self, q: &str) {
        match self.queues.get_mut(q) {
            Some(n) => *n += 1,
            None => {
                self.queues.insert(q.to_string(), 1);
            }
        }
    }

    pub fn queue_sub(&mut self, q: &str) {
        if let Some(n) = self.queues.get_mut(q) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.queues.remove(q);
            }
        }
    }

    pub fn clear(&mut self) {
        *self = Index::default();
    }
}
