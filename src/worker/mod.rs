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

mod backoff;
mod handout;
mod options;
mod outcomes;
mod shutdown;
mod stats;
mod stream;

pub use options::WorkerOptions;

use crate::api::jobs;
use crate::client::Client;
use crate::error::{Error, Result, Status};
use crate::observe::{Fields, Level};
use crate::ready::{Guard, Ready};
use crate::runtime;
use crate::take::Job;
use handout::Handout;
use outcomes::{ack_loop, Outcome};
use stats::{add, Counters};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use stream::stream_loop;
use tokio::sync::{mpsc, Notify};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

struct Inner {
    client: Client,
    options: WorkerOptions,
    handout: Ready<Handout>,
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
    fn handout(&self) -> Guard<'_, Handout> {
        self.handout.lock()
    }

    fn record_error(&self, err: &Error) {
        *lock(&self.last_error) = Some(err.clone());
    }

    /// Record a worker event in the client's queue.
    fn event(&self, level: Level, kind: &'static str, build: impl FnOnce() -> (String, Fields)) {
        self.client
            .observer()
            .events
            .emit(level, "worker", kind, build);
    }

    fn fail(&self, err: Error) {
        self.record_error(&err);
        let level = if err.status == Status::ZIZQ_E_CLOSED {
            Level::Info
        } else {
            Level::Error
        };
        self.event(level, "failed", || {
            (
                format!("worker stopped taking jobs: {}", err.message),
                vec![
                    ("reason", err.message.clone().into()),
                    ("http_status", err.http_status.into()),
                ],
            )
        });
        self.handout.update(|h| {
            if h.fatal.is_none() {
                h.fatal = Some(err);
            }
        });
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
        let handout = Ready::new(Handout::default())?;
        let inner = Arc::new(Inner {
            client: client.clone(),
            options,
            handout,
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
        // Wakeups counted before this call began do not end it.
        let mut wakeups = None;
        let jobs = inner.handout.wait(deadline, |h| {
            let wakeups = *wakeups.get_or_insert(h.wakeups);
            if h.stopping || h.stopped {
                return Some(Err(Error::new(
                    Status::ZIZQ_E_CLOSED,
                    "the worker is shutting down",
                )));
            }
            if let Some(err) = &h.fatal {
                return Some(Err(err.clone()));
            }
            if !h.jobs.is_empty() {
                let n = max_jobs.max(1).min(h.jobs.len());
                let jobs: Vec<Job> = h.jobs.drain(..n).collect();
                for job in &jobs {
                    h.outstanding.hand_out(job.id_str());
                }
                return Some(Ok(jobs));
            }
            if h.wakeups != wakeups {
                return Some(Ok(Vec::new()));
            }
            None
        });
        match jobs {
            Some(Ok(jobs)) if !jobs.is_empty() => {
                add(&inner.counters.handed_out, jobs.len() as u64);
                inner.space.notify_one();
                Ok(jobs)
            }
            Some(result) => result,
            None => Ok(Vec::new()),
        }
    }

    /// Make every thread waiting in `next` return at once.
    /// A descriptor readable while `next` would return at once without a
    /// wakeup: jobs are buffered, the worker failed or is shutting down.
    pub fn fd(&self) -> i32 {
        self.inner.handout.fd()
    }

    pub fn wakeup(&self) {
        self.inner.handout.update(|h| h.wakeups += 1);
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
            inner.handout.notify_all();
        }
        Ok(())
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
        self.inner.handout.update(|h| h.stopped = true);
    }
}
