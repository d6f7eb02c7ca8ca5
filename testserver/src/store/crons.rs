//! Cron operations on the state and cron firing.

use super::State;
use crate::cron::{CronEntry, CronEntryOut, CronGroup, CronGroupOut, NewEntry};

/// Cron errors after validation.
#[derive(Debug)]
pub enum CronError {
    EntryExists,
}

impl State {
    pub fn cron_names(&self) -> Vec<String> {
        self.crons.keys().cloned().collect()
    }

    pub fn cron_delete_all(&mut self) -> usize {
        let n = self.crons.len();
        self.crons.clear();
        n
    }

    pub fn cron_group(&self, g: &str) -> Option<CronGroupOut> {
        self.crons.get(g).map(CronGroup::out)
    }

    fn after_cron_change(&mut self, next: Option<u64>) {
        if let Some(n) = next {
            self.wake_scheduler_by(n);
        }
    }

    /// PUT /crons/{group}: make the entry set equal to the request.
    pub fn cron_put_group(
        &mut self,
        g: &str,
        paused: Option<bool>,
        entries: Vec<NewEntry>,
        now: u64,
    ) -> CronGroupOut {
        let is_new = !self.crons.contains_key(g);
        let group = self
            .crons
            .entry(g.to_string())
            .or_insert_with(|| CronGroup::new(g.to_string()));
        if is_new {
            if paused == Some(true) {
                group.paused = true;
                group.paused_at = Some(now);
            }
        } else if let Some(p) = paused {
            group.set_paused(p, now);
        }
        let mut old = std::mem::take(&mut group.entries);
        let mut outs = Vec::with_capacity(entries.len());
        let mut earliest: Option<u64> = None;
        for e in entries {
            let name = e.req.name.clone();
            let prev = old.remove(&name);
            let entry = CronEntry::merged(name.clone(), e, prev.as_ref(), now);
            outs.push(entry.out());
            earliest = min_opt(earliest, entry.next_enqueue_at);
            group.entries.insert(name, entry);
        }
        let out = group.out_with(outs);
        self.after_cron_change(earliest);
        out
    }

    pub fn cron_patch_group(&mut self, g: &str, paused: bool, now: u64) -> Option<CronGroupOut> {
        let group = self.crons.get_mut(g)?;
        group.set_paused(paused, now);
        Some(group.out())
    }

    pub fn cron_delete_group(&mut self, g: &str) -> bool {
        self.crons.remove(g).is_some()
    }

    pub fn cron_post_entry(
        &mut self,
        g: &str,
        e: NewEntry,
        now: u64,
    ) -> Result<CronEntryOut, CronError> {
        let group = self
            .crons
            .entry(g.to_string())
            .or_insert_with(|| CronGroup::new(g.to_string()));
        if group.entries.contains_key(&e.req.name) {
            return Err(CronError::EntryExists);
        }
        let name = e.req.name.clone();
        let entry = CronEntry::merged(name.clone(), e, None, now);
        let out = entry.out();
        let next = entry.next_enqueue_at;
        group.entries.insert(name, entry);
        self.after_cron_change(next);
        Ok(out)
    }

    pub fn cron_entry(&self, g: &str, e: &str) -> Option<CronEntryOut> {
        self.crons.get(g)?.entries.get(e).map(CronEntry::out)
    }

    pub fn cron_put_entry(&mut self, g: &str, name: &str, e: NewEntry, now: u64) -> CronEntryOut {
        let group = self
            .crons
            .entry(g.to_string())
            .or_insert_with(|| CronGroup::new(g.to_string()));
        let prev = group.entries.remove(name);
        let entry = CronEntry::merged(name.to_string(), e, prev.as_ref(), now);
        let out = entry.out();
        let next = entry.next_enqueue_at;
        group.entries.insert(name.to_string(), entry);
        self.after_cron_change(next);
        out
    }

    pub fn cron_patch_entry(
        &mut self,
        g: &str,
        e: &str,
        paused: bool,
        now: u64,
    ) -> Option<CronEntryOut> {
        let entry = self.crons.get_mut(g)?.entries.get_mut(e)?;
        entry.set_paused(paused, now);
        Some(entry.out())
    }

    pub fn cron_delete_entry(&mut self, g: &str, e: &str) -> bool {
        self.crons
            .get_mut(g)
            .is_some_and(|grp| grp.entries.remove(e).is_some())
    }

    /// Fire due entries; returns the next due time (u64::MAX if none).
    pub(crate) fn fire_crons(&mut self, now: u64) -> u64 {
        let mut to_fire = Vec::new();
        let mut next_due = u64::MAX;
        for group in self.crons.values_mut() {
            for entry in group.entries.values_mut() {
                let Some(due) = entry.next_enqueue_at else {
                    continue;
                };
                if due <= now {
                    if !group.paused && !entry.paused {
                        let mut job = entry.job.clone();
                        job.ready_at = Some(due);
                        to_fire.push(job);
                        entry.last_enqueue_at = Some(due);
                    }
                    let mut next = entry.schedule.next_after(due);
                    if next.is_some_and(|n| n <= now) {
                        next = entry.schedule.next_after(now);
                    }
                    entry.next_enqueue_at = next;
                }
                if let Some(n) = entry.next_enqueue_at {
                    next_due = next_due.min(n);
                }
            }
        }
        for job in to_fire {
            let _ = self.enqueue_one(job, now);
        }
        next_due
    }
}

fn min_opt(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}
