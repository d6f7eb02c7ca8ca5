//! The worker: one correct consumer loop for every shim.
//!
//! * A stream task keeps a take stream open, reconnecting with exponential
//!   backoff and jitter after any failure (a 4xx answer on connect is fatal),
//!   and buffers jobs for host threads.
//! * Host threads call `next` (concurrently) to get jobs, then `ack`/`nack`,
//!   which only queue the outcome and return at once.
//! * An ack task drains whatever outcomes are queued into one bulk ack (at
//!   most `max_ack_batch` ids) with several requests in flight, without any
//!   timer: the prefetch window is released by acks, so ack latency is
//!   throughput. Failed requests are retried with backoff unless the server
//!   answered 4xx; 404/422 for jobs the server already requeued are counted
//!   as stale, not raised.
//! * `shutdown` stops taking, lets handed-out jobs finish, flushes every ack
//!   and nack, and only then closes the stream (closing first would make the
//!   server requeue jobs whose acks are still on their way).

use crate::api::{enc, jobs};
use crate::client::Client;
use crate::codec::{self, Format};
use crate::error::{Error, Repeat, Result, Status};
use crate::options::{self, Bounded};
use crate::runtime;
use crate::stream::FrameParser;
use crate::take::{self, Job, JobSink, Queues, TakeOptions};
use bytes::Bytes;
use hyper::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, Notify, Semaphore};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Worker options, from a document in the client's format.
#[derive(Clone, Debug)]
pub struct WorkerOptions {
    pub take: TakeOptions,
    pub max_ack_batch: usize,
    pub ack_concurrency: usize,
    pub backoff_min: Duration,
    pub backoff_max: Duration,
    pub shutdown_timeout: Duration,
}

/// The worker options document of `zizq_worker_new`: the take options
/// (with another prefetch default) and the worker's own.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WorkerOptionsDoc {
    queues: Option<Queues>,
    prefetch: Option<Bounded<0, { u64::MAX }>>,
    worker_id: Option<String>,
    max_ack_batch: Option<Bounded<1, 1000>>,
    ack_concurrency: Option<Bounded<1, 64>>,
    backoff_min_ms: Option<Bounded<1, 3_600_000>>,
    backoff_max_ms: Option<Bounded<1, 3_600_000>>,
    shutdown_timeout_ms: Option<Bounded<0, 86_400_000>>,
}

impl WorkerOptions {
    /// Parse a worker options document in `format` (empty = defaults).
    pub fn parse(format: Format, doc: &[u8]) -> Result<WorkerOptions> {
        let what = "worker options";
        let doc: WorkerOptionsDoc = options::from_map(codec::decode_args(format, doc)?, what)?;
        let value = |n: Option<Bounded<0, { u64::MAX }>>| n.map(|Bounded(n)| n);
        let millis = |ms: Option<u64>, default| Duration::from_millis(ms.unwrap_or(default));
        let options = WorkerOptions {
            take: TakeOptions::new(value(doc.prefetch), doc.queues, doc.worker_id, 10),
            max_ack_batch: doc.max_ack_batch.map_or(1000, |Bounded(n)| n as usize),
            ack_concurrency: doc.ack_concurrency.map_or(4, |Bounded(n)| n as usize),
            backoff_min: millis(doc.backoff_min_ms.map(|Bounded(n)| n), 500),
            backoff_max: millis(doc.backoff_max_ms.map(|Bounded(n)| n), 30_000),
            shutdown_timeout: millis(doc.shutdown_timeout_ms.map(|Bounded(n)| n), 30_000),
        };
        if options.backoff_min > options.backoff_max {
            return Err(Error::invalid(
                "worker options: `backoff_min_ms` exceeds `backoff_max_ms`",
            ));
        }
        Ok(options)
    }
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

/// Exponential backoff with "equal jitter": half the delay is fixed, half random.
struct Backoff {
    min: Duration,
    max: Duration,
    attempt: u32,
}

impl Backoff {
    fn new(min: Duration, max: Duration) -> Self {
        Backoff {
            min,
            max,
            attempt: 0,
        }
    }

    fn reset(&mut self) {
        self.attempt = 0;
    }

    fn is_fresh(&self) -> bool {
        self.attempt == 0
    }

    fn next_delay(&mut self) -> Duration {
        let exp = self
            .min
            .saturating_mul(1u32 << self.attempt.min(20))
            .min(self.max);
        self.attempt = self.attempt.saturating_add(1);
        let half = exp / 2;
        half + half.mul_f64(rand::random::<f64>())
    }
}

#[derive(Default)]
struct Counters {
    taken: AtomicU64,
    handed_out: AtomicU64,
    acked: AtomicU64,
    nacked: AtomicU64,
    stale: AtomicU64,
    dropped: AtomicU64,
    discarded: AtomicU64,
    pending: AtomicU64,
    connects: AtomicU64,
    reconnects: AtomicU64,
    connect_failures: AtomicU64,
    probes: AtomicU64,
    ack_requests: AtomicU64,
    nack_requests: AtomicU64,
}

fn add(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Ordering::Relaxed);
}

fn get(counter: &AtomicU64) -> u64 {
    counter.load(Ordering::Relaxed)
}

/// Jobs waiting for host threads, and the ones handed out but unresolved.
#[derive(Default)]
struct Handout {
    jobs: VecDeque<Job>,
    /// Connection generation: jobs from a closed connection were requeued by
    /// the server and must not be handed out.
    epoch: u64,
    outstanding: Outstanding,
    fatal: Option<Error>,
    stopping: bool,
    stopped: bool,
    wakeups: u64,
}

/// Handed-out jobs not yet resolved, counted per handout: the server may
/// redeliver a job while the first copy still runs, and each copy's handler
/// resolves it once, so one ack must not release the other copy.
#[derive(Default)]
struct Outstanding {
    by_id: HashMap<String, u32>,
    total: usize,
}

impl Outstanding {
    fn hand_out(&mut self, id: &str) {
        *self.by_id.entry(id.to_string()).or_default() += 1;
        self.total += 1;
    }

    /// Resolve one handout of `id`; false if none was open (an outcome for a
    /// job this worker did not hand out, or resolved twice).
    fn resolve(&mut self, id: &str) -> bool {
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

    fn len(&self) -> usize {
        self.total
    }

    fn is_empty(&self) -> bool {
        self.total == 0
    }
}

enum Outcome {
    Ack(String),
    Nack(String, Bytes),
}

struct Inner {
    client: Client,
    options: WorkerOptions,
    handout: Mutex<Handout>,
    changed: Condvar,
    space: Notify,
    max_buffered: usize,
    outcomes: Mutex<Option<mpsc::UnboundedSender<Outcome>>>,
    counters: Counters,
    last_error: Mutex<Option<Error>>,
    /// Shutdown step 1: stop reading and handing out jobs.
    stop_taking: CancellationToken,
    /// Shutdown last step: close the take connection.
    close_stream: CancellationToken,
    /// Give up retrying acks (shutdown deadline passed or worker freed).
    abandon: CancellationToken,
    /// Signalled when the server answers again after an outage (a probe
    /// found it, or the take stream connected): outcome retries go at once.
    server_back: Notify,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Inner {
    fn handout(&self) -> MutexGuard<'_, Handout> {
        lock(&self.handout)
    }

    fn record_error(&self, err: &Error) {
        *lock(&self.last_error) = Some(err.clone());
    }

    fn fail(&self, err: Error) {
        self.record_error(&err);
        let mut h = self.handout();
        if h.fatal.is_none() {
            h.fatal = Some(err);
        }
        drop(h);
        self.changed.notify_all();
    }

    /// A new connection: forget jobs buffered from the previous one.
    fn new_epoch(&self) -> u64 {
        let mut h = self.handout();
        h.epoch += 1;
        let stale = h.jobs.len() as u64;
        h.jobs.clear();
        add(&self.counters.discarded, stale);
        h.epoch
    }
}

/// Delivers one connection's jobs into the handout queue.
struct Sink<'a> {
    inner: &'a Inner,
    epoch: u64,
}

impl JobSink for Sink<'_> {
    async fn wait_for_space(&self) {
        loop {
            let notified = self.inner.space.notified();
            if self.inner.handout().jobs.len() < self.inner.max_buffered {
                return;
            }
            notified.await;
        }
    }

    fn deliver(&self, jobs: Vec<Job>) {
        let n = jobs.len();
        let mut h = self.inner.handout();
        if h.epoch != self.epoch {
            return;
        }
        h.jobs.extend(jobs);
        drop(h);
        add(&self.inner.counters.taken, n as u64);
        if n == 1 {
            self.inner.changed.notify_one();
        } else {
            self.inner.changed.notify_all();
        }
    }
}

/// A running worker.
pub struct Worker {
    inner: Arc<Inner>,
    tasks: Mutex<Option<(JoinHandle<()>, JoinHandle<()>)>>,
    generation: u64,
}

impl Worker {
    /// Start taking jobs in the background.
    pub fn start(client: &Client, options: WorkerOptions) -> Result<Worker> {
        let generation = runtime::generation();
        let rt = runtime::runtime()?;
        if client.is_closed() {
            return Err(Error::closed());
        }
        let (tx, rx) = mpsc::unbounded_channel();
        let max_buffered = (options.take.prefetch as usize).clamp(1, 65_536).max(1024);
        let inner = Arc::new(Inner {
            client: client.clone(),
            options,
            handout: Mutex::new(Handout::default()),
            changed: Condvar::new(),
            space: Notify::new(),
            max_buffered,
            outcomes: Mutex::new(Some(tx)),
            counters: Counters::default(),
            last_error: Mutex::new(None),
            stop_taking: CancellationToken::new(),
            close_stream: CancellationToken::new(),
            abandon: CancellationToken::new(),
            server_back: Notify::new(),
        });
        let stream = rt.spawn(stream_loop(inner.clone()));
        let acks = rt.spawn(ack_loop(inner.clone(), rx));
        Ok(Worker {
            inner,
            tasks: Mutex::new(Some((stream, acks))),
            generation,
        })
    }

    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Up to `max_jobs` jobs, waiting up to `timeout` (None = forever) for
    /// the first. Empty after a timeout or a wakeup. Several threads may wait
    /// at once.
    pub fn next(&self, max_jobs: usize, timeout: Option<Duration>) -> Result<Vec<Job>> {
        let deadline = timeout.map(|t| Instant::now() + t);
        let inner = &self.inner;
        let mut h = inner.handout();
        let wakeups = h.wakeups;
        loop {
            if h.stopping || h.stopped {
                return Err(Error::new(
                    Status::ZIZQ_E_CLOSED,
                    "the worker is shutting down",
                ));
            }
            if let Some(err) = &h.fatal {
                return Err(err.clone());
            }
            if !h.jobs.is_empty() {
                let n = max_jobs.max(1).min(h.jobs.len());
                let jobs: Vec<Job> = h.jobs.drain(..n).collect();
                for job in &jobs {
                    h.outstanding.hand_out(job.id_str());
                }
                drop(h);
                add(&inner.counters.handed_out, n as u64);
                inner.space.notify_one();
                return Ok(jobs);
            }
            if h.wakeups != wakeups {
                return Ok(Vec::new());
            }
            h = match deadline {
                None => inner.changed.wait(h).unwrap_or_else(|p| p.into_inner()),
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return Ok(Vec::new());
                    }
                    inner
                        .changed
                        .wait_timeout(h, deadline - now)
                        .unwrap_or_else(|p| p.into_inner())
                        .0
                }
            };
        }
    }

    /// Make every thread waiting in `next` return at once.
    pub fn wakeup(&self) {
        self.inner.handout().wakeups += 1;
        self.inner.changed.notify_all();
    }

    /// Queue an acknowledgement; returns at once.
    pub fn ack(&self, id: &str) -> Result<()> {
        self.resolve(id, Outcome::Ack(id.to_string()))
    }

    /// Queue a failure report (`doc` as for `report_failure`); returns at once.
    pub fn nack(&self, id: &str, doc: &[u8]) -> Result<()> {
        let body = jobs::failure_body(&self.inner.client, doc)?;
        self.resolve(id, Outcome::Nack(id.to_string(), body))
    }

    fn resolve(&self, id: &str, outcome: Outcome) -> Result<()> {
        let inner = &self.inner;
        {
            let tx = lock(&inner.outcomes);
            let sender = tx.as_ref().ok_or_else(|| {
                Error::new(
                    Status::ZIZQ_E_CLOSED,
                    "the worker has shut down; the outcome was not accepted",
                )
            })?;
            add(&inner.counters.pending, 1);
            if sender.send(outcome).is_err() {
                inner.counters.pending.fetch_sub(1, Ordering::Relaxed);
                return Err(Error::closed());
            }
        }
        // Only now is the handout resolved: shutdown waits for every handout
        // to be resolved and then for the queued outcomes to be flushed.
        let mut h = inner.handout();
        if h.outstanding.resolve(id) && h.stopping && h.outstanding.is_empty() {
            drop(h);
            inner.changed.notify_all();
        }
        Ok(())
    }

    /// Stop in the safe order within `timeout` (None = the configured
    /// shutdown timeout). `ZIZQ_E_TIMEOUT` if handed-out jobs were not
    /// resolved or outcomes not flushed in time (see `stats`).
    pub fn shutdown(&self, timeout: Option<Duration>) -> Result<()> {
        let inner = &self.inner;
        let deadline = Instant::now() + timeout.unwrap_or(inner.options.shutdown_timeout);
        let Some((stream, acks)) = lock(&self.tasks).take() else {
            return Ok(()); // already shut down
        };
        // 1. Stop taking; waiting threads get ZIZQ_E_CLOSED.
        inner.stop_taking.cancel();
        let mut h = inner.handout();
        h.stopping = true;
        inner.changed.notify_all();
        // 2. Let handed-out jobs finish. Once the client is closed their
        // outcomes cannot be sent, and the server requeues them anyway.
        while !h.outstanding.is_empty() && !inner.client.is_closed() {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            h = inner
                .changed
                .wait_timeout(h, deadline - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        let unresolved = if inner.client.is_closed() {
            0
        } else {
            h.outstanding.len()
        };
        drop(h);
        // 3. Flush every queued ack and nack.
        lock(&inner.outcomes).take();
        let remaining = deadline.saturating_duration_since(Instant::now());
        let abandon = inner.abandon.clone();
        let flushed = runtime::block_on(async move {
            let mut acks = acks;
            let flushed = tokio::time::timeout(remaining, &mut acks).await.is_ok();
            if !flushed {
                abandon.cancel();
                let _ = tokio::time::timeout(Duration::from_secs(1), &mut acks).await;
                acks.abort();
            }
            Ok(flushed)
        })?;
        // 4. Only now close the stream.
        inner.close_stream.cancel();
        let _ = runtime::block_on(async move {
            let mut stream = stream;
            if tokio::time::timeout(Duration::from_secs(2), &mut stream)
                .await
                .is_err()
            {
                stream.abort();
            }
            Ok(())
        });
        let mut h = inner.handout();
        h.stopped = true;
        h.jobs.clear();
        drop(h);
        inner.changed.notify_all();
        if unresolved > 0 || !flushed {
            let err = Error::new(
                Status::ZIZQ_E_TIMEOUT,
                format!(
                    "shutdown timed out: {unresolved} handed-out job(s) unresolved, {} outcome(s) not delivered",
                    get(&inner.counters.pending)
                ),
            );
            inner.record_error(&err);
            return Err(err);
        }
        Ok(())
    }

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

    pub fn client(&self) -> &Client {
        &self.inner.client
    }
}

impl Drop for Worker {
    /// Without a shutdown, everything stops at once: queued outcomes are lost
    /// and the server requeues the jobs that were not acknowledged.
    fn drop(&mut self) {
        self.inner.stop_taking.cancel();
        self.inner.abandon.cancel();
        self.inner.close_stream.cancel();
        lock(&self.inner.outcomes).take();
        if let Some((stream, acks)) = lock(&self.tasks).take() {
            stream.abort();
            acks.abort();
        }
        self.inner.handout().stopped = true;
        self.inner.changed.notify_all();
    }
}

/// Keep a take stream open and its jobs flowing until shutdown, or until the
/// client is closed: the take connection is the worker's own, so closing the
/// client must end it here.
async fn stream_loop(inner: Arc<Inner>) {
    let closed = inner.client.closed_token().clone();
    tokio::select! {
        _ = closed.cancelled() => inner.fail(Error::closed()),
        _ = take_until_shutdown(&inner) => {}
    }
}

async fn take_until_shutdown(inner: &Arc<Inner>) {
    let client = &inner.client;
    let options = &inner.options;
    let path = client.full_path(&options.take.path());
    let mut backoff = Backoff::new(options.backoff_min, options.backoff_max);
    // Until a probe finds the server answering, a failure is taken for an
    // outage, whose end should cut the grown reconnect delay short.
    let mut awaiting_return = true;
    loop {
        let opened = tokio::select! {
            _ = inner.stop_taking.cancelled() => return,
            opened = take::open(client, &path, options.take.worker_id.as_deref(), &inner.abandon) => opened,
        };
        let delay = match opened {
            Ok(mut connection) => {
                backoff.reset();
                awaiting_return = true;
                inner.server_back.notify_waiters();
                if get(&inner.counters.connects) > 0 {
                    add(&inner.counters.reconnects, 1);
                }
                add(&inner.counters.connects, 1);
                let sink = Sink {
                    epoch: inner.new_epoch(),
                    inner,
                };
                let mut parser =
                    FrameParser::new(client.format(), client.options().max_frame_bytes);
                let idle = client.options().stream_idle_timeout;
                let ended = tokio::select! {
                    _ = inner.stop_taking.cancelled() => None,
                    outcome = take::pump(&sink, &mut connection, &mut parser, idle) => Some(outcome),
                };
                let Some(outcome) = ended else {
                    // Shutting down: hold the connection until outcomes are flushed.
                    inner.close_stream.cancelled().await;
                    return;
                };
                drop(connection);
                inner.new_epoch();
                let err = outcome.err().unwrap_or_else(Error::closed);
                if err.status == Status::ZIZQ_E_CLOSED {
                    inner.fail(err);
                    return;
                }
                inner.record_error(&err);
                // A clean end (e.g. a server restart) reconnects at once the
                // first time; repeated failures back off.
                if err.status == Status::ZIZQ_E_STREAM_ENDED && backoff.is_fresh() {
                    backoff.next_delay();
                    Duration::ZERO
                } else {
                    backoff.next_delay()
                }
            }
            Err(err) => {
                add(&inner.counters.connect_failures, 1);
                let permanent = err.status == Status::ZIZQ_E_CLOSED
                    || (400..500).contains(&err.http_status)
                    || err.status == Status::ZIZQ_E_TLS;
                if permanent {
                    inner.fail(err);
                    return;
                }
                inner.record_error(&err);
                backoff.next_delay()
            }
        };
        let returned = tokio::select! {
            _ = inner.stop_taking.cancelled() => return,
            returned = wait_to_reconnect(inner, delay, &mut awaiting_return) => returned,
        };
        if returned {
            // The outage is over: if the server still refuses the stream,
            // back off from the initial step again.
            backoff.reset();
            inner.server_back.notify_waiters();
        }
    }
}

/// Wait `delay` before the next take attempt. A wait longer than one initial
/// backoff step probes the server every step (one health request at a time)
/// and ends as soon as a probe finds the server answering while
/// `awaiting_return`: the worker is back within about a step of the server,
/// while a server that stays down sees only paced, cheap probes, and one that
/// answers probes but refuses the stream gets the full backoff. Returns
/// whether a probe ended the wait.
async fn wait_to_reconnect(inner: &Inner, delay: Duration, awaiting_return: &mut bool) -> bool {
    let step = inner.options.backoff_min;
    let deadline = tokio::time::Instant::now() + delay;
    let mut next_probe = tokio::time::Instant::now() + step;
    while next_probe < deadline {
        tokio::time::sleep_until(next_probe).await;
        next_probe += step;
        match tokio::time::timeout_at(deadline, probe(inner)).await {
            Ok(true) if *awaiting_return => {
                *awaiting_return = false;
                return true;
            }
            Ok(true) => {}
            Ok(false) => *awaiting_return = true,
            Err(_) => return false,
        }
        // A slow probe delays the next one rather than overlapping it.
        next_probe = next_probe.max(tokio::time::Instant::now());
    }
    tokio::time::sleep_until(deadline).await;
    false
}

/// Whether the server answers a health request (the client's read timeout
/// bounds it).
async fn probe(inner: &Inner) -> bool {
    add(&inner.counters.probes, 1);
    matches!(
        inner.client.send(Method::GET, "/health", None, Repeat::Safe).await,
        Ok(reply) if (200..300).contains(&reply.status)
    )
}

/// Send queued outcomes: acks in bulk, nacks one by one, until the channel
/// closes; then wait for every request in flight.
async fn ack_loop(inner: Arc<Inner>, mut rx: mpsc::UnboundedReceiver<Outcome>) {
    let permits = Arc::new(Semaphore::new(inner.options.ack_concurrency));
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
        let Ok(permit) = permits.clone().acquire_owned().await else {
            break;
        };
        // Whatever arrived while every request slot was busy joins this batch.
        open &= drain(&inner, &requests, &mut rx, &mut acks, max);
        let batch: Vec<String> = acks.drain(..acks.len().min(max)).collect();
        let inner = inner.clone();
        requests.spawn(async move {
            send_acks(&inner, batch).await;
            drop(permit);
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
                tokio::select! {
                    _ = inner.abandon.cancelled() => return Err(err),
                    _ = inner.server_back.notified() => {}
                    _ = tokio::time::sleep(backoff.next_delay()) => {}
                }
            }
        }
    }
}

/// The error for an answer the worker did not want.
fn refusal(status: u16, body: &Bytes) -> Error {
    Error::from_response(
        status,
        codec::error_message(None, body, status),
        body.clone(),
    )
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
        "/jobs/success",
        body,
        &inner.counters.ack_requests,
        |status, reply| match status {
            204 => Verdict::Done,
            // Some ids were no longer in flight (requeued after a dropped
            // connection, or deleted): the others were completed.
            422 => {
                let missing = codec::decode(format, reply)
                    .ok()
                    .and_then(|v| v.get("not_found").and_then(Value::as_array).map(Vec::len))
                    .unwrap_or(0);
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
        }
        Err(err) => {
            inner.record_error(&err);
            add(&inner.counters.dropped, n);
        }
    }
}

async fn send_nack(inner: &Inner, id: &str, body: Bytes) {
    let path = format!("/jobs/{}/failure", enc(id));
    let stale = AtomicU64::new(0);
    let result = deliver(
        inner,
        &path,
        body,
        &inner.counters.nack_requests,
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
        Ok(()) if stale.load(Ordering::Relaxed) == 1 => add(&inner.counters.stale, 1),
        Ok(()) => add(&inner.counters.nacked, 1),
        Err(err) => {
            inner.record_error(&err);
            add(&inner.counters.dropped, 1);
        }
    }
}
