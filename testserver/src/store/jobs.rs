//! Job operations: enqueue, ack, failure, read, patch, delete, reset.

use std::ops::Bound;

use serde_json::Value;

use super::State;
use crate::ids::{format_id, parse_id};
use crate::jq::{from_val, to_val, truthy, Jq};
use crate::model::{
    EnqueueReq, ErrorRecord, FailureReq, Job, JobOut, PatchReq, Retention, Scope, Status,
};
use crate::query::{JobFilter, Order};

/// Enqueue failure (fold expression failing at fold time).
#[derive(Debug)]
pub enum EnqueueError {
    Internal,
}

/// Failure outcome.
pub enum FailOutcome {
    NotInFlight,
    Done(Box<JobOut>),
}

/// PATCH /jobs/{id} errors after validation.
#[derive(Debug)]
pub enum PatchError {
    NotFound,
    Terminal(Status),
}

/// Backoff delay of §9.6 in ms (saturating, never panics).
pub fn backoff_delay(attempts: u32, exponent: f32, base_ms: u32, jitter_ms: u32, u: f64) -> u64 {
    let a = f64::from(attempts);
    let v =
        a.powf(f64::from(exponent)) * 1000.0 + f64::from(base_ms) + u * f64::from(jitter_ms) * a;
    let v = v.floor();
    if v.is_nan() || v <= 0.0 {
        0
    } else {
        // `as` saturates for out-of-range floats
        v as u64
    }
}

impl State {
    // ----- low-level helpers --------------------------------------------

    /// Insert a brand-new job with all its indexes.
    fn add_job(&mut self, job: Job) {
        self.idx.insert(&job);
        self.idx.queue_add(&job.queue);
        let (status, ready_at, queue) = (job.status, job.ready_at, job.queue.clone());
        self.jobs.insert(job.id, job);
        match status {
            Status::Ready => self.wake_for_queue(&queue),
            Status::Scheduled => self.wake_scheduler_by(ready_at),
            _ => {}
        }
    }

    /// Remove a job and everything that refers to it.
    pub(crate) fn remove_job(&mut self, id: u128) -> Option<Job> {
        let mut job = self.jobs.remove(&id)?;
        self.idx.remove(&job);
        self.idx.queue_sub(&job.queue);
        self.release_owner(&mut job);
        if let Some(k) = &job.unique_key {
            if self.unique.get(k) == Some(&id) {
                self.unique.remove(k);
            }
        }
        self.close_batch(&job);
        Some(job)
    }

    /// Close the open batch held by `job`, if any.
    fn close_batch(&mut self, job: &Job) {
        if let Some(b) = &job.batch {
            if self.batches.get(&b.key) == Some(&job.id) {
                self.batches.remove(&b.key);
            }
        }
    }

    fn release_unique(&mut self, job: &Job) {
        if let Some(k) = &job.unique_key {
            if self.unique.get(k) == Some(&job.id) {
                self.unique.remove(k);
            }
        }
    }

    /// Free the prefetch slot of the stream that holds `job`.
    pub(crate) fn release_owner(&mut self, job: &mut Job) {
        if let Some(sid) = job.owner.take() {
            let was_full = self.global_limit > 0 && self.in_flight >= self.global_limit;
            self.in_flight = self.in_flight.saturating_sub(1);
            if let Some(s) = self.streams.get_mut(&sid) {
                s.in_flight.remove(&job.id);
                s.notify.notify_one();
            }
            if was_full {
                self.wake_all_streams();
            }
        }
    }

    fn completed_retention(&self, job: &Job) -> u64 {
        job.retention
            .and_then(|r| r.completed_ms)
            .unwrap_or(self.defaults.completed_retention_ms)
    }

    fn dead_retention(&self, job: &Job) -> u64 {
        job.retention
            .and_then(|r| r.dead_ms)
            .unwrap_or(self.defaults.dead_retention_ms)
    }

    // ----- enqueue --------------------------------------------------------

    /// Enqueue validated requests. Returns one output per request and
    /// whether every output is a duplicate or a fold.
    pub fn enqueue(
        &mut self,
        reqs: Vec<EnqueueReq>,
        now: u64,
    ) -> Result<(Vec<JobOut>, bool), EnqueueError> {
        let mut outs = Vec::with_capacity(reqs.len());
        let mut all_reused = !reqs.is_empty();
        for req in reqs {
            let (out, reused) = self.enqueue_one(req, now)?;
            all_reused &= reused;
            outs.push(out);
        }
        Ok((outs, all_reused))
    }

    pub(crate) fn enqueue_one(
        &mut self,
        req: EnqueueReq,
        now: u64,
    ) -> Result<(JobOut, bool), EnqueueError> {
        let ready_at = req.ready_at.unwrap_or(now);
        let status = if ready_at > now {
            Status::Scheduled
        } else {
            Status::Ready
        };
        let scope = req.unique_key.as_ref().map(|_| {
            req.unique_while
                .as_deref()
                .and_then(Scope::parse)
                .unwrap_or(Scope::Queued)
        });
        if let (Some(key), Some(scope)) = (&req.unique_key, scope) {
            if let Some(holder) = self.unique.get(key).and_then(|id| self.jobs.get(id)) {
                if scope.covers(holder.status) {
                    return Ok((holder.enqueue_out(true, false), true));
                }
            }
        }
        if let (Some(batch), Status::Ready) = (&req.batch, status) {
            if let Some(&open) = self.batches.get(&batch.key) {
                match self.try_fold(open, &req.payload)? {
                    Some(out) => return Ok((out, true)),
                    None => {
                        self.batches.remove(&batch.key);
                    }
                }
            }
        }
        let id = self.idgen.next(now);
        let job = Job {
            id,
            id_str: format_id(id),
            type_: req.type_,
            queue: req.queue,
            priority: req.priority.unwrap_or(32768),
            status,
            payload: req.payload,
            ready_at,
            attempts: 0,
            retry_limit: req.retry_limit,
            backoff: req.backoff,
            dequeued_at: None,
            failed_at: None,
            retention: req.retention,
            purge_at: None,
            completed_at: None,
            unique_key: req.unique_key,
            unique_while: scope,
            batch: req.batch,
            errors: Vec::new(),
            owner: None,
        };
        if let Some(k) = &job.unique_key {
            self.unique.insert(k.clone(), id);
        }
        if let (Some(b), Status::Ready) = (&job.batch, status) {
            self.batches.insert(b.key.clone(), id);
        }
        let out = job.enqueue_out(false, false);
        self.add_job(job);
        Ok((out, false))
    }

    /// Fold `payload` into the open batch job `open`. `Ok(None)` = seal.
    fn try_fold(&mut self, open: u128, payload: &Value) -> Result<Option<JobOut>, EnqueueError> {
        let Some(job) = self.jobs.get_mut(&open) else {
            return Ok(None);
        };
        if job.status != Status::Ready {
            return Ok(None);
        }
        let Some(spec) = job.batch.clone() else {
            return Ok(None);
        };
        let vars = ["$existing", "$new"];
        let when = Jq::compile(&spec.when, &vars).map_err(|_| EnqueueError::Internal)?;
        let existing = to_val(&job.payload);
        let new = to_val(payload);
        let go = match when
            .run(jaq_json::Val::Null, vec![existing.clone(), new.clone()])
            .first()
        {
            Some(Ok(v)) => truthy(v),
            _ => false,
        };
        if !go {
            return Ok(None);
        }
        let fold = Jq::compile(&spec.fold, &vars).map_err(|_| EnqueueError::Internal)?;
        let outs = fold.run(jaq_json::Val::Null, vec![existing, new]);
        if outs.len() != 1 {
            return Err(EnqueueError::Internal);
        }
        let v = match &outs[0] {
            Ok(v) => from_val(v).map_err(|_| EnqueueError::Internal)?,
            Err(_) => return Err(EnqueueError::Internal),
        };
        job.payload = v;
        Ok(Some(job.enqueue_out(false, true)))
    }

    // ----- ack / failure --------------------------------------------------

    /// Complete an in-flight job. False if it is not in flight.
    pub fn ack(&mut self, id_str: &str, now: u64) -> bool {
        let Some(id) = parse_id(id_str) else {
            return false;
        };
        match self.jobs.get(&id) {
            Some(j) if j.status == Status::InFlight => {}
            _ => return false,
        }
        self.complete(id, now);
        true
    }

    fn complete(&mut self, id: u128, now: u64) {
        let Some(mut job) = self.jobs.remove(&id) else {
            return;
        };
        self.release_owner(&mut job);
        let retention = self.completed_retention(&job);
        if job.unique_while != Some(Scope::Exists) {
            self.release_unique(&job);
        }
        if retention == 0 {
            self.jobs.insert(id, job);
            self.remove_job(id);
            return;
        }
        self.idx.remove(&job);
        job.status = Status::Completed;
        job.completed_at = Some(now);
        let purge = now.saturating_add(retention);
        job.purge_at = Some(purge);
        self.idx.insert(&job);
        self.jobs.insert(id, job);
        self.wake_scheduler_by(purge);
    }

    /// Bulk ack: returns distinct ids (request order) that were not in flight.
    pub fn ack_many(&mut self, ids: &[String], now: u64) -> Vec<String> {
        let mut seen = std::collections::HashSet::new();
        let mut missing = Vec::new();
        for id in ids {
            if !seen.insert(id.as_str()) {
                continue;
            }
            if !self.ack(id, now) {
                missing.push(id.clone());
            }
        }
        missing
    }

    /// Record a failure of an in-flight job (§5.7).
    pub fn fail(&mut self, id_str: &str, req: FailureReq, now: u64) -> FailOutcome {
        let Some(id) = parse_id(id_str) else {
            return FailOutcome::NotInFlight;
        };
        let Some(mut job) = self.jobs.remove(&id) else {
            return FailOutcome::NotInFlight;
        };
        if job.status != Status::InFlight {
            self.jobs.insert(id, job);
            return FailOutcome::NotInFlight;
        }
        self.release_owner(&mut job);
        job.attempts = job.attempts.saturating_add(1);
        job.failed_at = Some(now);
        job.errors.push(ErrorRecord {
            attempt: job.attempts,
            message: req.message,
            error_type: req.error_type,
            backtrace: req.backtrace,
            dequeued_at: job.dequeued_at.unwrap_or(0),
            failed_at: now,
        });
        let limit = job.retry_limit.unwrap_or(self.defaults.retry_limit);
        let retry_at = if req.kill {
            None
        } else if let Some(at) = req.retry_at {
            Some(at)
        } else if job.attempts > limit {
            None
        } else {
            let b = job.backoff.unwrap_or(self.defaults.backoff);
            let u = self.backoff_random.unwrap_or_else(rand::random::<f64>);
            let u = if u.is_finite() {
                u.clamp(0.0, 1.0)
            } else {
                0.0
            };
            Some(now.saturating_add(backoff_delay(
                job.attempts,
                b.exponent,
                b.base_ms,
                b.jitter_ms,
                u,
            )))
        };
        match retry_at {
            Some(at) => {
                job.status = Status::Scheduled;
                job.ready_at = at;
                if let Some(k) = &job.unique_key {
                    if !self.unique.contains_key(k) {
                        self.unique.insert(k.clone(), id);
                    }
                }
                let out = job.out(false);
                self.idx.insert(&job);
                self.jobs.insert(id, job);
                self.wake_scheduler_by(at);
                FailOutcome::Done(Box::new(out))
            }
            None => {
                let retention = self.dead_retention(&job);
                if job.unique_while != Some(Scope::Exists) {
                    self.release_unique(&job);
                }
                job.status = Status::Dead;
                if retention == 0 {
                    let out = job.out(false);
                    self.jobs.insert(id, job);
                    self.remove_job(id);
                    return FailOutcome::Done(Box::new(out));
                }
                let purge = now.saturating_add(retention);
                job.purge_at = Some(purge);
                let out = job.out(false);
                self.idx.insert(&job);
                self.jobs.insert(id, job);
                self.wake_scheduler_by(purge);
                FailOutcome::Done(Box::new(out))
            }
        }
    }

    // ----- reads ------------------------------------------------------------

    /// A visible job by id.
    pub fn get(&self, id_str: &str, now: u64) -> Option<&Job> {
        let id = parse_id(id_str)?;
        self.jobs.get(&id).filter(|j| j.visible(now))
    }

    /// Iterate jobs after/before the exclusive cursor in id order.
    fn cursor_iter<'a>(
        &'a self,
        from: Option<&'a str>,
        order: Order,
    ) -> Box<dyn Iterator<Item = &'a Job> + 'a> {
        match (from, from.and_then(parse_id)) {
            (None, _) => match order {
                Order::Asc => Box::new(self.jobs.values()),
                Order::Desc => Box::new(self.jobs.values().rev()),
            },
            (Some(_), Some(id)) => match order {
                Order::Asc => Box::new(
                    self.jobs
                        .range((Bound::Excluded(id), Bound::Unbounded))
                        .map(|(_, j)| j),
                ),
                Order::Desc => Box::new(self.jobs.range(..id).rev().map(|(_, j)| j)),
            },
            (Some(c), None) => match order {
                Order::Asc => Box::new(self.jobs.values().filter(move |j| j.id_str.as_str() > c)),
                Order::Desc => Box::new(
                    self.jobs
                        .values()
                        .rev()
                        .filter(move |j| j.id_str.as_str() < c),
                ),
            },
        }
    }

    fn filtered<'a>(
        &'a self,
        f: &'a JobFilter,
        jq: Option<&'a Jq>,
        from: Option<&'a str>,
        order: Order,
        now: u64,
        include_hidden: bool,
    ) -> impl Iterator<Item = &'a Job> + 'a {
        self.cursor_iter(from, order).filter(move |j| {
            (include_hidden || j.visible(now))
                && f.matches_fields(j)
                && jq.is_none_or(|q| q.matches(&j.payload))
        })
    }

    /// One page of jobs (with payload) and whether more exist.
    pub fn list(
        &self,
        f: &JobFilter,
        jq: Option<&Jq>,
        from: Option<&str>,
        order: Order,
        limit: usize,
        now: u64,
    ) -> (Vec<JobOut>, bool) {
        let mut out: Vec<JobOut> = Vec::new();
        let mut more = false;
        for j in self.filtered(f, jq, from, order, now, false) {
            if out.len() == limit {
                more = true;
                break;
            }
            out.push(j.out(true));
        }
        (out, more)
    }

    pub fn count(&self, f: &JobFilter, jq: Option<&Jq>, now: u64) -> usize {
        self.filtered(f, jq, None, Order::Asc, now, false).count()
    }

    /// Distinct queue names of stored jobs, sorted by bytes.
    pub fn queues(&self) -> Vec<String> {
        self.idx.queues.keys().cloned().collect()
    }

    // ----- patch ------------------------------------------------------------

    /// Apply a validated patch to one non-terminal job.
    fn apply_patch(&mut self, id: u128, p: &PatchReq, now: u64) {
        let Some(job) = self.jobs.get_mut(&id) else {
            return;
        };
        let old_status = job.status;
        let old_queue_prio = (job.queue.clone(), job.priority);
        self.idx.remove(job);
        if let Some(Some(q)) = &p.queue {
            if *q != job.queue {
                self.idx.queue_sub(&job.queue);
                self.idx.queue_add(q);
                job.queue = q.clone();
            }
        }
        if let Some(Some(pr)) = p.priority {
            job.priority = pr;
        }
        match p.ready_at {
            Some(Some(at)) => {
                job.ready_at = at;
                if job.status == Status::Ready && at > now {
                    job.status = Status::Scheduled;
                } else if job.status == Status::Scheduled && at <= now {
                    job.status = Status::Ready;
                }
            }
            Some(None) if job.status == Status::Scheduled => {
                job.ready_at = now;
                job.status = Status::Ready;
            }
            _ => {}
        }
        if let Some(rl) = p.retry_limit {
            job.retry_limit = rl;
        }
        if let Some(b) = p.backoff {
            job.backoff = b;
        }
        match &p.retention {
            Some(None) => job.retention = None,
            Some(Some(rp)) => {
                let mut r = job.retention.unwrap_or_default();
                if let Some(v) = rp.completed_ms {
                    r.completed_ms = v;
                }
                if let Some(v) = rp.dead_ms {
                    r.dead_ms = v;
                }
                job.retention = (r != Retention::default()).then_some(r);
            }
            None => {}
        }
        self.idx.insert(job);
        let (status, queue, ready_at) = (job.status, job.queue.clone(), job.ready_at);
        let moved = old_queue_prio != (queue.clone(), job.priority);
        let job_snapshot_batch = job.batch.clone();
        if old_status == Status::Ready && status != Status::Ready {
            if let Some(b) = job_snapshot_batch {
                if self.batches.get(&b.key) == Some(&id) {
                    self.batches.remove(&b.key);
                }
            }
        }
        if status == Status::Ready && (old_status != Status::Ready || moved) {
            self.wake_for_queue(&queue);
        }
        if status == Status::Scheduled {
            self.wake_scheduler_by(ready_at);
        }
    }

    /// PATCH /jobs/{id} after body validation.
    pub fn patch_one(
        &mut self,
        id_str: &str,
        p: &PatchReq,
        now: u64,
    ) -> Result<JobOut, PatchError> {
        let id = parse_id(id_str).ok_or(PatchError::NotFound)?;
        let job = self.jobs.get(&id).ok_or(PatchError::NotFound)?;
        if job.status.is_terminal() {
            return Err(PatchError::Terminal(job.status));
        }
        self.apply_patch(id, p, now);
        self.jobs
            .get(&id)
            .map(|j| j.out(false))
            .ok_or(PatchError::NotFound)
    }

    /// PATCH /jobs: patch every matching non-terminal job.
    pub fn patch_many(&mut self, f: &JobFilter, jq: Option<&Jq>, p: &PatchReq, now: u64) -> usize {
        let ids: Vec<u128> = self
            .filtered(f, jq, None, Order::Asc, now, true)
            .filter(|j| !j.status.is_terminal())
            .map(|j| j.id)
            .collect();
        for id in &ids {
            self.apply_patch(*id, p, now);
        }
        ids.len()
    }

    // ----- delete -----------------------------------------------------------

    pub fn delete_one(&mut self, id_str: &str) -> bool {
        parse_id(id_str)
            .and_then(|id| self.remove_job(id))
            .is_some()
    }

    pub fn delete_many(&mut self, f: &JobFilter, jq: Option<&Jq>, now: u64) -> usize {
        let ids: Vec<u128> = self
            .filtered(f, jq, None, Order::Asc, now, true)
            .map(|j| j.id)
            .collect();
        for id in &ids {
            self.remove_job(*id);
        }
        ids.len()
    }

    /// Delete every cron group and every job.
    pub fn reset(&mut self) {
        self.crons.clear();
        self.jobs.clear();
        self.idx.clear();
        self.unique.clear();
        self.batches.clear();
        self.in_flight = 0;
        for s in self.streams.values_mut() {
            s.in_flight.clear();
        }
        self.wake_all_streams();
    }
}

#[cfg(test)]
mod tests {
    use super::backoff_delay;

    #[test]
    fn backoff_formula() {
        assert_eq!(backoff_delay(1, 4.0, 15000, 30000, 0.0), 16000);
        assert_eq!(backoff_delay(1, 4.0, 15000, 30000, 0.5), 31000);
        assert_eq!(backoff_delay(2, 2.0, 100, 10, 0.25), 4000 + 100 + 5);
        assert_eq!(backoff_delay(3, -3.0, 0, 0, 0.0), 37);
        assert_eq!(
            backoff_delay(u32::MAX, 1000.0, u32::MAX, u32::MAX, 0.9),
            u64::MAX
        );
    }
}
