//! Outcome delivery: acks batched into bulk requests, nacks one by one,
//! retried with backoff, and the verdict on each HTTP answer.

use super::backoff::Backoff;
use super::stats::add;
use super::Inner;
use crate::api::jobs;
use crate::error::{Error, Repeat, Status};
use crate::observe::Level;
use bytes::Bytes;
use hyper::Method;
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::{mpsc, Notify, Semaphore};
use tokio_util::task::TaskTracker;

pub(super) enum Outcome {
    Ack(String),
    Nack(String, Bytes),
}

/// Acks each request in flight asks of the queue before another request
/// may start beside it (see `ack_loop`). With 16, a c25/p50 worker on the
/// cost-shaped server sent 1.35× the official client's ack requests, each a
/// commit, and dequeued 4 % slower; with 32 it sends as many and keeps up.
const ACKS_PER_EXTRA_REQUEST: usize = 32;

/// Send queued outcomes: acks in bulk, nacks one by one, until the channel
/// closes; then wait for every request in flight.
///
/// How many ack requests fly at once adapts to the load. One always may:
/// whatever queued up while it was out goes in the next, so a slow server
/// gets few, large batches (each commit costs it a fixed time, so fewer
/// requests per job are what lets it go faster). Another starts beside
/// `n` requests in flight only once `n × ACKS_PER_EXTRA_REQUEST` acks
/// wait (up to `ack_concurrency` in all): a burst is not held back behind
/// one slow request, and a trickle never splits into small requests.
/// While shutting down (the channel closed) every slot may be used.
pub(super) async fn ack_loop(inner: Arc<Inner>, mut rx: mpsc::UnboundedReceiver<Outcome>) {
    let permits = Arc::new(Semaphore::new(inner.options.ack_concurrency));
    let finished = Arc::new(Notify::new());
    let requests = TaskTracker::new();
    let max = inner.options.max_ack_batch;
    let mut acks: Vec<String> = Vec::new();
    let mut open = true;
    loop {
        if acks.is_empty() {
            if !open {
                break;
            }
            match rx.recv().await {
                Some(outcome) => accept(&inner, &requests, &mut acks, outcome),
                None => break,
            }
        }
        open &= drain(&inner, &requests, &mut rx, &mut acks, max);
        if acks.is_empty() {
            continue;
        }
        let in_flight = inner.options.ack_concurrency - permits.available_permits();
        if open && in_flight > 0 && acks.len() < in_flight * ACKS_PER_EXTRA_REQUEST {
            // Wait for more acks, or for a request to come back.
            let done = finished.notified();
            tokio::select! {
                outcome = rx.recv() => match outcome {
                    Some(outcome) => accept(&inner, &requests, &mut acks, outcome),
                    None => open = false,
                },
                _ = done => {}
            }
            continue;
        }
        let Ok(permit) = permits.clone().acquire_owned().await else {
            break;
        };
        // Whatever arrived while every request slot was busy joins this batch.
        open &= drain(&inner, &requests, &mut rx, &mut acks, max);
        let batch: Vec<String> = acks.drain(..acks.len().min(max)).collect();
        let inner = inner.clone();
        let finished = finished.clone();
        requests.spawn(async move {
            send_acks(&inner, batch).await;
            drop(permit);
            finished.notify_one();
        });
    }
    requests.close();
    requests.wait().await;
}

fn accept(inner: &Arc<Inner>, requests: &TaskTracker, acks: &mut Vec<String>, outcome: Outcome) {
    match outcome {
        Outcome::Ack(id) => acks.push(id),
        Outcome::Nack(id, body) => {
            let inner = inner.clone();
            requests.spawn(async move { send_nack(&inner, &id, body).await });
        }
    }
}

/// Take every queued outcome without waiting (acks up to `max`). Returns
/// false once the channel is closed and empty.
fn drain(
    inner: &Arc<Inner>,
    requests: &TaskTracker,
    rx: &mut mpsc::UnboundedReceiver<Outcome>,
    acks: &mut Vec<String>,
    max: usize,
) -> bool {
    while acks.len() < max {
        match rx.try_recv() {
            Ok(outcome) => accept(inner, requests, acks, outcome),
            Err(mpsc::error::TryRecvError::Empty) => return true,
            Err(mpsc::error::TryRecvError::Disconnected) => return false,
        }
    }
    true
}

/// What an outcome request carries, for its events.
#[derive(Clone, Copy)]
enum Carrying {
    /// A bulk ack of this many ids.
    Acks(u64),
    /// One nack.
    Nack,
}

impl Carrying {
    fn describe(self) -> String {
        match self {
            Carrying::Acks(n) => format!("ack batch of {n} job(s)"),
            Carrying::Nack => "failure report".to_string(),
        }
    }

    fn count(self) -> u64 {
        match self {
            Carrying::Acks(n) => n,
            Carrying::Nack => 1,
        }
    }

    /// The event kinds: retried, refused (4xx), dropped (given up).
    fn kinds(self) -> [&'static str; 3] {
        match self {
            Carrying::Acks(_) => ["acks_retried", "acks_refused", "acks_dropped"],
            Carrying::Nack => ["nack_retried", "nack_refused", "nack_dropped"],
        }
    }
}

/// Report a request that will not be delivered: refused by the server (4xx),
/// or given up (shutdown deadline, client closed).
fn report_lost(inner: &Inner, carrying: Carrying, err: &Error) {
    let [_, refused, dropped] = carrying.kinds();
    let (kind, verb) = if (400..500).contains(&err.http_status) {
        (refused, "refused by the server")
    } else {
        (dropped, "dropped")
    };
    inner.event(Level::Error, kind, || {
        (
            format!("{} {verb}: {}", carrying.describe(), err.message),
            vec![
                ("count", carrying.count().into()),
                ("http_status", err.http_status.into()),
                ("reason", err.message.clone().into()),
            ],
        )
    });
}

/// What to do with the answer to an outcome request.
enum Verdict {
    Done,
    Retry(Error),
    Drop(Error),
}

/// Send one request, retrying transient failures with backoff until it
/// succeeds, the server refuses it (4xx) or the worker abandons it.
async fn deliver(
    inner: &Inner,
    path: &str,
    body: Bytes,
    counter: &AtomicU64,
    carrying: Carrying,
    judge: impl Fn(u16, &Bytes) -> Verdict,
) -> std::result::Result<(), Error> {
    let mut backoff = Backoff::new(inner.options.backoff_min / 2, inner.options.backoff_max);
    loop {
        add(counter, 1);
        let verdict = match inner
            .client
            // A repeated ack or nack answers 404/422, which the judge accepts.
            .send(Method::POST, path, Some(body.clone()), Repeat::Safe)
            .await
        {
            Ok(reply) => judge(reply.status, &reply.body),
            Err(err) if err.status == Status::ZIZQ_E_CLOSED => Verdict::Drop(err),
            Err(err) => Verdict::Retry(err),
        };
        match verdict {
            Verdict::Done => return Ok(()),
            Verdict::Drop(err) => return Err(err),
            Verdict::Retry(err) => {
                inner.record_error(&err);
                let delay = backoff.next_delay();
                inner.event(Level::Warn, carrying.kinds()[0], || {
                    let delay_ms = delay.as_millis() as u64;
                    (
                        format!(
                            "{} failed ({}); retrying in {delay_ms} ms",
                            carrying.describe(),
                            err.message
                        ),
                        vec![
                            ("count", carrying.count().into()),
                            ("delay_ms", delay_ms.into()),
                            ("http_status", err.http_status.into()),
                            ("reason", err.message.clone().into()),
                        ],
                    )
                });
                tokio::select! {
                    _ = inner.abandon.cancelled() => return Err(err),
                    _ = inner.server_back.notified() => {}
                    _ = tokio::time::sleep(delay) => {}
                }
            }
        }
    }
}

/// The error for an answer the worker did not want.
fn refusal(status: u16, body: &Bytes) -> Error {
    Error::from_response(status, None, body.clone())
}

/// Send one batch of acks. `acked` counts jobs completed: a job redelivered
/// while its first copy ran may be acked twice in one batch, and the server
/// completes it once, so each id is sent once and the extra acks count as
/// stale, like acks for jobs the server had already requeued.
async fn send_acks(inner: &Inner, acks: Vec<String>) {
    let n = acks.len() as u64;
    let mut seen = HashSet::with_capacity(acks.len());
    let ids: Vec<&str> = acks
        .iter()
        .map(String::as_str)
        .filter(|id| seen.insert(*id))
        .collect();
    let distinct = ids.len() as u64;
    let body = jobs::bulk_ack_body(&inner.client, &ids);
    let format = inner.client.format();
    let stale = AtomicU64::new(0);
    let result = deliver(
        inner,
        jobs::BULK_SUCCESS_PATH,
        body,
        &inner.counters.ack_requests,
        Carrying::Acks(distinct),
        |status, reply| match status {
            204 => Verdict::Done,
            // Some ids were no longer in flight (requeued after a dropped
            // connection, or deleted): the others were completed.
            422 => {
                let missing = jobs::bulk_ack_not_found(format, reply);
                stale.store(missing as u64, Ordering::Relaxed);
                Verdict::Done
            }
            400..=499 => Verdict::Drop(refusal(status, reply)),
            _ => Verdict::Retry(refusal(status, reply)),
        },
    )
    .await;
    inner.counters.pending.fetch_sub(n, Ordering::Relaxed);
    match result {
        Ok(()) => {
            let completed = distinct - stale.load(Ordering::Relaxed).min(distinct);
            add(&inner.counters.acked, completed);
            add(&inner.counters.stale, n - completed);
            if n > completed {
                report_stale(inner, n - completed);
            }
        }
        Err(err) => {
            inner.record_error(&err);
            report_lost(inner, Carrying::Acks(distinct), &err);
            add(&inner.counters.dropped, n);
        }
    }
}

async fn send_nack(inner: &Inner, id: &str, body: Bytes) {
    let path = jobs::failure_path(id);
    let stale = AtomicU64::new(0);
    let result = deliver(
        inner,
        &path,
        body,
        &inner.counters.nack_requests,
        Carrying::Nack,
        |status, reply| match status {
            200 => Verdict::Done,
            // The job is no longer in flight (requeued or deleted).
            404 => {
                stale.store(1, Ordering::Relaxed);
                Verdict::Done
            }
            400..=499 => Verdict::Drop(refusal(status, reply)),
            _ => Verdict::Retry(refusal(status, reply)),
        },
    )
    .await;
    inner.counters.pending.fetch_sub(1, Ordering::Relaxed);
    match result {
        Ok(()) if stale.load(Ordering::Relaxed) == 1 => {
            add(&inner.counters.stale, 1);
            report_stale(inner, 1);
        }
        Ok(()) => add(&inner.counters.nacked, 1),
        Err(err) => {
            inner.record_error(&err);
            report_lost(inner, Carrying::Nack, &err);
            add(&inner.counters.dropped, 1);
        }
    }
}

/// Outcomes for jobs the server no longer had in flight (requeued after a
/// lost connection, or deleted): harmless, but a sign of redeliveries.
fn report_stale(inner: &Inner, count: u64) {
    inner.event(Level::Info, "stale_outcomes", || {
        (
            format!("{count} outcome(s) for jobs no longer in flight on the server (requeued or deleted)"),
            vec![("count", count.into())],
        )
    });
}
