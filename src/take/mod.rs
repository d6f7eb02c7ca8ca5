//! The pull-style take stream: a reader task on the runtime parses frames
//! from a dedicated HTTP/1.1 connection into a bounded queue; host threads
//! collect batches with `next` on their own thread. A wakeup and an optional
//! readiness file descriptor let event loops integrate.

mod job;
mod options;
mod pump;

pub use job::Job;
pub use options::{Queues, TakeOptions};
pub(crate) use pump::{open, pump, JobSink};

use crate::client::Client;
use crate::codec::Format;
use crate::error::{Error, Result, Status};
use crate::observe::{Gauge, Level, Observer};
use crate::ready::{Readiness, Ready};
use crate::runtime;
use crate::stream::FrameParser;
use crate::transport::TakeConnection;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// State shared between the reader task and host threads.
struct Shared {
    state: Ready<State>,
    /// Signalled when host threads took jobs out: the reader may read again.
    space: Notify,
    max_buffered: usize,
}

#[derive(Default)]
struct State {
    jobs: VecDeque<Job>,
    /// Why the stream stopped (error, end of stream); sticky.
    end: Option<Error>,
    closed: bool,
    woken: bool,
}

impl Readiness for State {
    /// Exactly while `next` would not block.
    fn is_ready(&self) -> bool {
        !self.jobs.is_empty() || self.end.is_some() || self.closed || self.woken
    }
}

impl Shared {
    fn push(&self, jobs: Vec<Job>) {
        self.state.update(|st| st.jobs.extend(jobs));
    }

    fn finish(&self, err: Error) {
        self.state.update(|st| {
            if st.end.is_none() {
                st.end = Some(err);
            }
        });
    }

    fn buffered(&self) -> usize {
        self.state.lock().jobs.len()
    }
}

/// An open take stream.
pub struct TakeStream {
    shared: Arc<Shared>,
    cancel: CancellationToken,
    /// Set while a host thread is inside `next`: one reader at a time.
    reading: AtomicBool,
    generation: u64,
}

impl TakeStream {
    /// Connect and wait for the server's 200 (on a deferred client: start
    /// connecting); the reader then runs in the background until `close`.
    pub fn open(client: &Client, options: &TakeOptions) -> Result<TakeStream> {
        let generation = runtime::generation();
        let shared = Arc::new(Shared {
            state: Ready::new(State::default())?,
            space: Notify::new(),
            max_buffered: (options.prefetch as usize).clamp(64, 65_536),
        });
        let cancel = client.stream_token();
        let path = client.full_path(&options.path());
        let worker_id = options.worker_id.clone();
        let reader_shared = shared.clone();
        let reader_cancel = cancel.clone();
        let connect = move |c: Client| async move {
            let connection = open(&c, &path, worker_id.as_deref(), &reader_cancel).await?;
            let format = c.format();
            let idle = c.options().stream_idle_timeout;
            let parser = FrameParser::new(format, c.options().max_frame_bytes);
            let observer = c.observer().clone();
            let url = c.base_url();
            observer.events.emit(Level::Info, "take", "connected", || {
                (
                    format!("take stream {path} connected to {url}"),
                    vec![("url", url.clone().into()), ("path", path.clone().into())],
                )
            });
            tokio::spawn(read_loop(
                Gauge::up(&observer, |s| &s.take_streams),
                observer,
                reader_shared,
                connection,
                parser,
                idle,
                c.documents(),
                reader_cancel,
            ));
            Ok(())
        };
        let stream = TakeStream {
            shared,
            cancel,
            reading: AtomicBool::new(false),
            generation,
        };
        // A deferred client never waits: the stream connects in the
        // background and a failure to connect ends it, as a later failure
        // would.
        if client.is_deferred() {
            let shared = stream.shared.clone();
            let c = client.clone();
            runtime::runtime()?.spawn(async move {
                if let Err(err) = connect(c).await {
                    shared.finish(err);
                }
            });
            return Ok(stream);
        }
        match client.block(connect) {
            Ok(()) => {}
            // `close_streams` while connecting: a stream that is already over,
            // as if it had been closed a moment after opening.
            Err(_) if stream.cancel.is_cancelled() && !client.is_closed() => stream.close(),
            Err(err) => return Err(err),
        }
        Ok(stream)
    }

    /// Up to `max_jobs` buffered jobs, waiting up to `timeout` (None = forever)
    /// for the first. `Ok(empty)` after a timeout or a wakeup.
    pub fn next(&self, max_jobs: usize, timeout: Option<Duration>) -> Result<Vec<Job>> {
        if self
            .reading
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            return Err(Error::new(
                Status::ZIZQ_E_BUSY,
                "another thread is already waiting on this take stream",
            ));
        }
        let result = self.wait_for_jobs(max_jobs.max(1), timeout);
        self.reading.store(false, Ordering::Release);
        result
    }

    fn wait_for_jobs(&self, max_jobs: usize, timeout: Option<Duration>) -> Result<Vec<Job>> {
        let deadline = timeout.map(|t| Instant::now() + t);
        let result = self.shared.state.wait(deadline, |st| {
            // Closed here, or through the client (`close_streams`, `close`):
            // buffered jobs go back to the server with the connection.
            if st.closed || self.cancel.is_cancelled() {
                return Some(Err(Error::closed()));
            }
            if !st.jobs.is_empty() {
                let n = max_jobs.min(st.jobs.len());
                return Some(Ok(st.jobs.drain(..n).collect::<Vec<Job>>()));
            }
            if let Some(err) = &st.end {
                return Some(Err(err.clone()));
            }
            if st.woken {
                st.woken = false;
                return Some(Ok(Vec::new()));
            }
            None
        });
        match result {
            Some(Ok(jobs)) if !jobs.is_empty() => {
                self.shared.space.notify_one();
                Ok(jobs)
            }
            Some(result) => result,
            None => Ok(Vec::new()),
        }
    }

    /// Make the current (or next) `next` call return at once.
    pub fn wakeup(&self) {
        self.shared.state.update(|st| st.woken = true);
    }

    /// Close the connection (the server requeues unacknowledged jobs) and
    /// wake any waiting thread. Idempotent.
    pub fn close(&self) {
        self.cancel.cancel();
        self.shared.state.update(|st| {
            st.closed = true;
            st.jobs.clear();
        });
    }

    /// Readiness descriptor (-1 if not requested).
    pub fn fd(&self) -> i32 {
        self.shared.state.fd()
    }

    pub fn generation(&self) -> u64 {
        self.generation
    }
}

impl Drop for TakeStream {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

#[allow(clippy::too_many_arguments)]
async fn read_loop(
    open: Gauge,
    observer: Arc<Observer>,
    shared: Arc<Shared>,
    mut connection: TakeConnection,
    mut parser: FrameParser,
    idle: Duration,
    documents: Format,
    cancel: CancellationToken,
) {
    let outcome = tokio::select! {
        _ = cancel.cancelled() => Err(Error::closed()),
        outcome = pump(&*shared, &mut connection, &mut parser, idle, documents) => outcome,
    };
    // Dropping the connection closes it: the server requeues what was not acked.
    drop(connection);
    drop(open);
    if let Err(err) = outcome {
        let (level, kind) = match err.status {
            Status::ZIZQ_E_CLOSED => (Level::Debug, "closed"),
            Status::ZIZQ_E_STREAM_ENDED => (Level::Warn, "ended"),
            _ => (Level::Error, "failed"),
        };
        observer.events.emit(level, "take", kind, || {
            (
                format!("take stream stopped: {}", err.message),
                vec![("reason", err.message.clone().into())],
            )
        });
        shared.finish(err);
    }
}

impl JobSink for Shared {
    async fn wait_for_space(&self) {
        loop {
            let notified = self.space.notified();
            if self.buffered() < self.max_buffered {
                return;
            }
            notified.await;
        }
    }

    fn deliver(&self, jobs: Vec<Job>) {
        self.push(jobs);
    }
}
