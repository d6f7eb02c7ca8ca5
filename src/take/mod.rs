//! The pull-style take stream: a reader task on the runtime parses frames
//! from a dedicated HTTP/1.1 connection into a bounded queue; host threads
//! collect batches with `next` on their own thread. A wakeup and an optional
//! readiness file descriptor let event loops integrate.

mod eventfd;
mod job;
mod options;
mod pump;

pub use job::Job;
pub use options::TakeOptions;
pub(crate) use pump::{open, pump, JobSink};

use crate::client::Client;
use crate::error::{Error, Result, Status};
use crate::runtime;
use crate::stream::FrameParser;
use crate::transport::TakeConnection;
use eventfd::EventFd;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// State shared between the reader task and host threads.
struct Shared {
    state: Mutex<State>,
    changed: Condvar,
    /// Signalled when host threads took jobs out: the reader may read again.
    space: Notify,
    max_buffered: usize,
    readiness: Option<EventFd>,
}

#[derive(Default)]
struct State {
    jobs: VecDeque<Job>,
    /// Why the stream stopped (error, end of stream); sticky.
    end: Option<Error>,
    closed: bool,
    woken: bool,
    fd_signalled: bool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Keep the readiness fd readable exactly while `next` would not block.
    fn sync_fd(&self, st: &mut State) {
        let Some(fd) = &self.readiness else { return };
        let ready = !st.jobs.is_empty() || st.end.is_some() || st.closed || st.woken;
        if ready != st.fd_signalled {
            if ready {
                fd.signal();
            } else {
                fd.drain();
            }
            st.fd_signalled = ready;
        }
    }

    fn push(&self, jobs: Vec<Job>) {
        let mut st = self.lock();
        st.jobs.extend(jobs);
        self.sync_fd(&mut st);
        drop(st);
        self.changed.notify_all();
    }

    fn finish(&self, err: Error) {
        let mut st = self.lock();
        if st.end.is_none() {
            st.end = Some(err);
        }
        self.sync_fd(&mut st);
        drop(st);
        self.changed.notify_all();
    }

    fn buffered(&self) -> usize {
        self.lock().jobs.len()
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
    /// Connect and wait for the server's 200; the reader then runs in the
    /// background until `close`.
    pub fn open(client: &Client, options: &TakeOptions) -> Result<TakeStream> {
        let generation = runtime::generation();
        let readiness = Some(EventFd::new()?);
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
            space: Notify::new(),
            max_buffered: (options.prefetch as usize).clamp(64, 65_536),
            readiness,
        });
        let cancel = client.stream_token();
        let path = client.full_path(&options.path());
        let worker_id = options.worker_id.clone();
        let reader_shared = shared.clone();
        let reader_cancel = cancel.clone();
        let opened = client.block(move |c| async move {
            let connection = open(&c, &path, worker_id.as_deref(), &reader_cancel).await?;
            let format = c.format();
            let idle = c.options().stream_idle_timeout;
            let parser = FrameParser::new(format, c.options().max_frame_bytes);
            tokio::spawn(read_loop(
                reader_shared,
                connection,
                parser,
                idle,
                reader_cancel,
            ));
            Ok(())
        });
        let stream = TakeStream {
            shared,
            cancel,
            reading: AtomicBool::new(false),
            generation,
        };
        match opened {
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
        let shared = &self.shared;
        let mut st = shared.lock();
        loop {
            // Closed here, or through the client (`close_streams`, `close`):
            // buffered jobs go back to the server with the connection.
            if st.closed || self.cancel.is_cancelled() {
                return Err(Error::closed());
            }
            if !st.jobs.is_empty() {
                let n = max_jobs.min(st.jobs.len());
                let jobs: Vec<Job> = st.jobs.drain(..n).collect();
                shared.sync_fd(&mut st);
                drop(st);
                shared.space.notify_one();
                return Ok(jobs);
            }
            if let Some(err) = &st.end {
                return Err(err.clone());
            }
            if st.woken {
                st.woken = false;
                shared.sync_fd(&mut st);
                return Ok(Vec::new());
            }
            st = match deadline {
                None => shared.changed.wait(st).unwrap_or_else(|p| p.into_inner()),
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return Ok(Vec::new());
                    }
                    shared
                        .changed
                        .wait_timeout(st, deadline - now)
                        .unwrap_or_else(|p| p.into_inner())
                        .0
                }
            };
        }
    }

    /// Make the current (or next) `next` call return at once.
    pub fn wakeup(&self) {
        let mut st = self.shared.lock();
        st.woken = true;
        self.shared.sync_fd(&mut st);
        drop(st);
        self.shared.changed.notify_all();
    }

    /// Close the connection (the server requeues unacknowledged jobs) and
    /// wake any waiting thread. Idempotent.
    pub fn close(&self) {
        self.cancel.cancel();
        let mut st = self.shared.lock();
        st.closed = true;
        st.jobs.clear();
        self.shared.sync_fd(&mut st);
        drop(st);
        self.shared.changed.notify_all();
    }

    /// Readiness descriptor (-1 if not requested).
    pub fn fd(&self) -> i32 {
        self.shared.readiness.as_ref().map_or(-1, |fd| fd.0)
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

async fn read_loop(
    shared: Arc<Shared>,
    mut connection: TakeConnection,
    mut parser: FrameParser,
    idle: Duration,
    cancel: CancellationToken,
) {
    let outcome = tokio::select! {
        _ = cancel.cancelled() => Err(Error::closed()),
        outcome = pump(&*shared, &mut connection, &mut parser, idle) => outcome,
    };
    // Dropping the connection closes it: the server requeues what was not acked.
    drop(connection);
    if let Err(err) = outcome {
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
