//! Job endpoints (§5.1-5.18).

use serde::Serialize;

use super::respond::{self, Resp};
use super::Req;
use crate::clock::now_ms;
use crate::jq::Jq;
use crate::model::{
    BulkAckReq, BulkEnqueueReq, EnqueueReq, ErrorsPage, FailureReq, JobOut, JobsPage, Pages,
    PatchReq, Status,
};
use crate::names::check_name;
use crate::pagination::{errors_link, jobs_link};
use crate::query::{closed, form_pairs, parse_order, JobFilter, Order, FILTER_PARAMS};
use crate::store::{EnqueueError, FailOutcome, PatchError};
use crate::validate;

#[derive(Serialize)]
struct StatusBody {
    status: &'static str,
}

#[derive(Serialize)]
struct VersionBody {
    version: &'static str,
}

#[derive(Serialize)]
struct QueuesBody {
    queues: Vec<String>,
}

#[derive(Serialize)]
struct JobsBody {
    jobs: Vec<JobOut>,
}

#[derive(Serialize)]
struct NotFoundBody {
    not_found: Vec<String>,
}

#[derive(Serialize)]
struct CountBody {
    count: usize,
}

#[derive(Serialize)]
struct PatchedBody {
    patched: usize,
}

#[derive(Serialize)]
struct DeletedBody {
    deleted: usize,
}

pub const VERSION: &str = "0.6.1";

const JOB_NOT_FOUND: &str = "job not found";
const NOT_IN_FLIGHT: &str = "job not found in in-flight set";

fn query_error(r: &Req, detail: &str) -> Resp {
    r.error(
        400,
        &format!("invalid query parameters: Failed to deserialize query string: {detail}"),
    )
}

pub fn health(r: &Req) -> Resp {
    respond::obj(200, r.fmt, &StatusBody { status: "ok" })
}

pub fn version(r: &Req) -> Resp {
    respond::obj(200, r.fmt, &VersionBody { version: VERSION })
}

pub fn queues(r: &Req) -> Resp {
    let queues = r.app.store.lock().queues();
    respond::obj(200, r.fmt, &QueuesBody { queues })
}

pub fn reset(r: &Req) -> Resp {
    r.app.store.lock().reset();
    respond::no_content()
}

// ----- enqueue ---------------------------------------------------------------

pub async fn enqueue(r: &mut Req) -> Resp {
    let job: EnqueueReq = match r.body().await {
        Ok(j) => j,
        Err(e) => return e,
    };
    let checks = validate::names(&job)
        .and_then(|_| validate::while_needs_key(&job))
        .and_then(|_| validate::not_unique_and_batch(&job));
    if let Err(e) = checks {
        return r.error(400, &e);
    }
    if job.unique_key.is_some() || job.batch.is_some() {
        let pro = r.app.is_pro();
        if job.unique_key.is_some() && !pro {
            return r.error(403, validate::UNIQUE_LICENCE);
        }
        if job.batch.is_some() && !pro {
            return r.error(403, validate::BATCH_LICENCE);
        }
    }
    if let Err(e) = validate::while_word(&job) {
        return r.error(400, &e);
    }
    if let Some(b) = &job.batch {
        if let Err(e) = validate::batch_dry_run(b, &job.payload) {
            return r.error(422, &e);
        }
    }
    r.app.charge_enqueue(1);
    r.app.commit(1).await;
    let res = r.app.store.lock().enqueue(vec![job], now_ms());
    match res {
        Ok((mut outs, reused)) => match outs.pop() {
            Some(o) => respond::obj(if reused { 200 } else { 201 }, r.fmt, &o),
            None => r.error(500, "internal server error"),
        },
        Err(EnqueueError::Internal) => r.error(500, "internal server error"),
    }
}

pub async fn enqueue_bulk(r: &mut Req) -> Resp {
    let bulk: BulkEnqueueReq = match r.body().await {
        Ok(j) => j,
        Err(e) => return e,
    };
    for (i, job) in bulk.jobs.iter().enumerate() {
        let checks = validate::names(job)
            .and_then(|_| validate::while_needs_key(job))
            .and_then(|_| validate::while_word(job))
            .and_then(|_| validate::not_unique_and_batch(job));
        if let Err(e) = checks {
            return r.error(400, &format!("jobs[{i}]: {e}"));
        }
    }
    let any_unique = bulk.jobs.iter().any(|j| j.unique_key.is_some());
    let any_batch = bulk.jobs.iter().any(|j| j.batch.is_some());
    if any_unique || any_batch {
        let pro = r.app.is_pro();
        if any_unique && !pro {
            return r.error(403, validate::UNIQUE_LICENCE);
        }
        if any_batch && !pro {
            return r.error(403, validate::BATCH_LICENCE);
        }
    }
    for job in &bulk.jobs {
        if let Some(b) = &job.batch {
            if let Err(e) = validate::batch_dry_run(b, &job.payload) {
                return r.error(422, &e);
            }
        }
    }
    r.app.charge_enqueue(bulk.jobs.len());
    r.app.commit(bulk.jobs.len()).await;
    let res = r.app.store.lock().enqueue(bulk.jobs, now_ms());
    match res {
        Ok((jobs, reused)) => {
            respond::obj(if reused { 200 } else { 201 }, r.fmt, &JobsBody { jobs })
        }
        Err(EnqueueError::Internal) => r.error(500, "internal server error"),
    }
}

// ----- ack / failure ----------------------------------------------------------

pub async fn ack(r: &Req) -> Resp {
    r.app.commit_completions(1).await;
    if r.app.store.lock().ack(r.param(0), now_ms()) {
        respond::no_content()
    } else {
        r.error(404, NOT_IN_FLIGHT)
    }
}

pub async fn ack_many(r: &mut Req) -> Resp {
    let req: BulkAckReq = match r.body().await {
        Ok(j) => j,
        Err(e) => return e,
    };
    if req.ids.is_empty() {
        return r.error(400, "ids must not be empty");
    }
    r.app.commit_completions(req.ids.len()).await;
    let not_found = r.app.store.lock().ack_many(&req.ids, now_ms());
    if not_found.is_empty() {
        respond::no_content()
    } else {
        respond::obj(422, r.fmt, &NotFoundBody { not_found })
    }
}

pub async fn fail(r: &mut Req) -> Resp {
    let req: FailureReq = match r.body().await {
        Ok(j) => j,
        Err(e) => return e,
    };
    r.app.commit_completions(1).await;
    let res = r.app.store.lock().fail(r.param(0), req, now_ms());
    match res {
        FailOutcome::Done(job) => respond::obj(200, r.fmt, &*job),
        FailOutcome::NotInFlight => r.error(404, NOT_IN_FLIGHT),
    }
}

// ----- reads -------------------------------------------------------------------

/// Parse filter values out of a closed-set result by parameter name.
pub(super) fn filter_from(names: &[&str], vals: &[Option<String>]) -> Result<JobFilter, String> {
    let ordered: Vec<Option<String>> = FILTER_PARAMS
        .iter()
        .map(|f| {
            names
                .iter()
                .position(|n| n == f)
                .and_then(|i| vals.get(i).cloned().flatten())
        })
        .collect();
    JobFilter::from_values(&ordered)
}

/// Validate ids and compile the jq filter (in that order).
fn finish_filter(r: &Req, f: &JobFilter) -> Result<Option<Jq>, Resp> {
    if let Some(bad) = &f.bad_id {
        return Err(r.error(400, &format!("invalid job ID: {bad:?}")));
    }
    match &f.filter {
        None => Ok(None),
        Some(code) => Jq::compile(code, &[])
            .map(Some)
            .map_err(|e| r.error(400, &format!("invalid filter: {e}"))),
    }
}

pub(super) const LIST_PARAMS: [&str; 11] = [
    "from", "order", "limit", "status", "queue", "type", "id", "priority", "ready_at", "attempts",
    "filter",
];

pub(super) fn parse_limit(v: Option<&str>) -> Result<u16, String> {
    match v {
        None => Ok(50),
        Some(s) => s.parse::<u16>().map_err(|e| format!("limit: {e}")),
    }
}

pub fn list(r: &Req) -> Resp {
    let vals = match closed(form_pairs(&r.query), &LIST_PARAMS) {
        Ok(v) => v,
        Err(e) => return query_error(r, &e),
    };
    let parsed = (|| -> Result<_, String> {
        let order = parse_order(vals[1].as_deref())?;
        let limit = parse_limit(vals[2].as_deref())?;
        let f = filter_from(&LIST_PARAMS, &vals)?;
        Ok((order, limit, f))
    })();
    let (order, limit, f) = match parsed {
        Ok(x) => x,
        Err(e) => return query_error(r, &e),
    };
    if !(1..=2000).contains(&limit) {
        return r.error(400, "limit must be between 1 and 2000");
    }
    let jq = match finish_filter(r, &f) {
        Ok(j) => j,
        Err(e) => return e,
    };
    let from = vals[0].as_deref();
    let (jobs, more) =
        r.app
            .store
            .lock()
            .list(&f, jq.as_ref(), from, order, usize::from(limit), now_ms());
    let next = more
        .then(|| {
            jobs.last()
                .map(|j| jobs_link(Some(&j.id), order, limit, &f))
        })
        .flatten();
    let prev = match (from, jobs.first()) {
        (Some(_), Some(j)) => Some(jobs_link(Some(&j.id), order.flip(), limit, &f)),
        _ => None,
    };
    let pages = Pages {
        self_: jobs_link(from, order, limit, &f),
        next,
        prev,
    };
    respond::obj(200, r.fmt, &JobsPage { jobs, pages })
}

pub fn count(r: &Req) -> Resp {
    let vals = match closed(form_pairs(&r.query), &FILTER_PARAMS) {
        Ok(v) => v,
        Err(e) => return query_error(r, &e),
    };
    let f = match JobFilter::from_values(&vals) {
        Ok(f) => f,
        Err(e) => return query_error(r, &e),
    };
    let jq = match finish_filter(r, &f) {
        Ok(j) => j,
        Err(e) => return e,
    };
    let count = r.app.store.lock().count(&f, jq.as_ref(), now_ms());
    respond::obj(200, r.fmt, &CountBody { count })
}

pub fn get(r: &Req) -> Resp {
    let out = r
        .app
        .store
        .lock()
        .get(r.param(0), now_ms())
        .map(|j| j.out(true));
    match out {
        Some(j) => respond::obj(200, r.fmt, &j),
        None => r.error(404, JOB_NOT_FOUND),
    }
}

// ----- patch -------------------------------------------------------------------

/// Validation of the patch object common to single and bulk PATCH (422s).
fn check_patch(p: &PatchReq) -> Result<(), String> {
    match &p.queue {
        Some(None) => return Err("queue cannot be null".into()),
        Some(Some(q)) => check_name("queue", q)?,
        None => {}
    }
    if let Some(None) = p.priority {
        return Err("priority cannot be null".into());
    }
    Ok(())
}

pub async fn patch_one(r: &mut Req) -> Resp {
    let p: PatchReq = match r.body().await {
        Ok(j) => j,
        Err(e) => return e,
    };
    if let Err(e) = check_patch(&p) {
        return r.error(422, &e);
    }
    r.app.commit(1).await;
    let res = r.app.store.lock().patch_one(r.param(0), &p, now_ms());
    match res {
        Ok(job) => respond::obj(200, r.fmt, &job),
        Err(PatchError::NotFound) => r.error(404, JOB_NOT_FOUND),
        Err(PatchError::Terminal(s)) => r.error(
            422,
            &format!("cannot patch job {} in {} status", r.param(0), s.as_str()),
        ),
    }
}

pub async fn patch_many(r: &mut Req) -> Resp {
    let p: PatchReq = match r.body().await {
        Ok(j) => j,
        Err(e) => return e,
    };
    let vals = match closed(form_pairs(&r.query), &FILTER_PARAMS) {
        Ok(v) => v,
        Err(e) => return query_error(r, &e),
    };
    let f = match JobFilter::from_values(&vals) {
        Ok(f) => f,
        Err(e) => return query_error(r, &e),
    };
    if let Some(st) = &f.statuses {
        if st.contains(&Status::Completed) {
            return r.error(422, "cannot patch jobs in Completed status");
        }
        if st.contains(&Status::Dead) {
            return r.error(422, "cannot patch jobs in Dead status");
        }
    }
    if let Some(bad) = &f.bad_id {
        return r.error(400, &format!("invalid job ID: {bad:?}"));
    }
    if let Err(e) = check_patch(&p) {
        return r.error(422, &e);
    }
    let jq = match finish_filter(r, &f) {
        Ok(j) => j,
        Err(e) => return e,
    };
    let patched = r.app.store.lock().patch_many(&f, jq.as_ref(), &p, now_ms());
    // How many changed is known only once they have.
    r.app.commit(patched).await;
    respond::obj(200, r.fmt, &PatchedBody { patched })
}

// ----- delete ------------------------------------------------------------------

pub async fn delete_one(r: &Req) -> Resp {
    r.app.commit(1).await;
    if r.app.store.lock().delete_one(r.param(0)) {
        respond::no_content()
    } else {
        r.error(404, JOB_NOT_FOUND)
    }
}

pub async fn delete_many(r: &Req) -> Resp {
    let vals = match closed(form_pairs(&r.query), &FILTER_PARAMS) {
        Ok(v) => v,
        Err(e) => return query_error(r, &e),
    };
    let f = match JobFilter::from_values(&vals) {
        Ok(f) => f,
        Err(e) => return query_error(r, &e),
    };
    let jq = match finish_filter(r, &f) {
        Ok(j) => j,
        Err(e) => return e,
    };
    let deleted = r.app.store.lock().delete_many(&f, jq.as_ref(), now_ms());
    r.app.commit(deleted).await;
    respond::obj(200, r.fmt, &DeletedBody { deleted })
}

// ----- error records -------------------------------------------------------------

pub fn errors(r: &Req) -> Resp {
    let vals = match closed(form_pairs(&r.query), &["from", "order", "limit"]) {
        Ok(v) => v,
        Err(e) => return query_error(r, &e),
    };
    let parsed = (|| -> Result<_, String> {
        let from = match vals[0].as_deref() {
            None => None,
            Some(s) => Some(s.parse::<u32>().map_err(|e| format!("from: {e}"))?),
        };
        let order = parse_order(vals[1].as_deref())?;
        let limit = parse_limit(vals[2].as_deref())?;
        Ok((from, order, limit))
    })();
    let (from, order, limit) = match parsed {
        Ok(x) => x,
        Err(e) => return query_error(r, &e),
    };
    if !(1..=2000).contains(&limit) {
        return r.error(400, "limit must be between 1 and 2000");
    }
    let id = r.param(0).to_string();
    let records = {
        let st = r.app.store.lock();
        match st.get(&id, now_ms()) {
            Some(j) => j.errors.clone(),
            None => return r.error(404, JOB_NOT_FOUND),
        }
    };
    let mut sel: Vec<_> = records
        .into_iter()
        .filter(|e| match (from, order) {
            (None, _) => true,
            (Some(c), Order::Asc) => e.attempt > c,
            (Some(c), Order::Desc) => e.attempt < c,
        })
        .collect();
    sel.sort_by_key(|e| e.attempt);
    if order == Order::Desc {
        sel.reverse();
    }
    let limit_n = usize::from(limit);
    let more = sel.len() > limit_n;
    sel.truncate(limit_n);
    let next = more
        .then(|| {
            sel.last()
                .map(|e| errors_link(&id, Some(e.attempt), order, limit))
        })
        .flatten();
    let prev = match (from, sel.first()) {
        (Some(_), Some(e)) => Some(errors_link(&id, Some(e.attempt), order.flip(), limit)),
        _ => None,
    };
    let pages = Pages {
        self_: errors_link(&id, from, order, limit),
        next,
        prev,
    };
    respond::obj(200, r.fmt, &ErrorsPage { errors: sel, pages })
}

pub fn error_record(r: &Req) -> Resp {
    let raw = r.param(1);
    let Ok(attempt) = raw.parse::<u32>() else {
        return respond::text(
            400,
            &format!("Invalid URL: Cannot parse value at index 1 with value `{raw}` to a `u32`"),
        );
    };
    let st = r.app.store.lock();
    let Some(job) = st.get(r.param(0), now_ms()) else {
        return r.error(404, JOB_NOT_FOUND);
    };
    match job.errors.iter().find(|e| e.attempt == attempt) {
        Some(e) => respond::obj(200, r.fmt, e),
        None => r.error(404, "error record not found"),
    }
}
