//! The pull-style take stream: a reader task on the runtime parses frames
//! from a dedicated HTTP/1.1 connection into a bounded queue; host threads
//! collect batches with `next` on their own thread. A wakeup and an optional
//! readiness file descriptor let event loops integrate.

use crate::api::query_string;
use crate::client::Client;
use crate::codec::{self, Format};
use crate::error::{Error, Result, Status};
use crate::options::{self, Bounded};
use crate::runtime;
use crate::stream::FrameParser;
use crate::transport::{open_take_stream, TakeConnection};
use bytes::Bytes;
use http_body_util::BodyExt;
use serde::Deserialize;
use serde_json::Value;
use std::borrow::Cow;
use std::collections::VecDeque;
use std::ffi::CString;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// What to take: `{"prefetch": n, "queues": [...], "worker_id": "..."}`.
#[derive(Clone, Debug, Default)]
pub struct TakeOptions {
    pub prefetch: u64,
    pub queues: Vec<String>,
    pub worker_id: Option<String>,
}

/// The take options document of `zizq_take_open` and `zizq_take_jobs`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TakeOptionsDoc {
    prefetch: Option<Bounded<0, { u64::MAX }>>,
    queues: Option<Queues>,
    worker_id: Option<String>,
}

/// The queues to take from: one name, or a list of them. Names are joined
/// with ',' in the take request, so they may not hold one.
#[derive(Clone, Debug, Default)]
pub struct Queues(pub Vec<String>);

impl<'de> Deserialize<'de> for Queues {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let refuse = || {
            serde::de::Error::custom(
                "must be a queue name or a list of non-empty names without ','",
            )
        };
        let names = match Value::deserialize(d)? {
            Value::String(name) => vec![name],
            Value::Array(items) => items
                .into_iter()
                .map(|item| match item {
                    Value::String(name) if !name.is_empty() && !name.contains(',') => Ok(name),
                    _ => Err(refuse()),
                })
                .collect::<std::result::Result<_, _>>()?,
            _ => return Err(refuse()),
        };
        Ok(Queues(names))
    }
}

impl TakeOptions {
    /// Parse a take options document in `format` (empty = defaults:
    /// prefetch 1, every queue). `what` names the call in errors.
    pub fn parse(format: Format, doc: &[u8], what: &str) -> Result<TakeOptions> {
        let doc: TakeOptionsDoc = options::from_map(codec::decode_args(format, doc)?, what)?;
        Ok(TakeOptions::new(
            doc.prefetch.map(|Bounded(n)| n),
            doc.queues,
            doc.worker_id,
            1,
        ))
    }

    /// Take options from their parts, `default_prefetch` standing in for a
    /// prefetch not given.
    pub fn new(
        prefetch: Option<u64>,
        queues: Option<Queues>,
        worker_id: Option<String>,
        default_prefetch: u64,
    ) -> TakeOptions {
        TakeOptions {
            prefetch: prefetch.unwrap_or(default_prefetch),
            queues: queues.unwrap_or_default().0,
            worker_id,
        }
    }

    /// `/jobs/take?prefetch=N[&queue=a,b]`
    pub fn path(&self) -> String {
        let mut params = vec![("prefetch", self.prefetch.to_string())];
        if !self.queues.is_empty() {
            params.push(("queue", self.queues.join(",")));
        }
        format!("/jobs/take{}", query_string(&params))
    }
}

/// One job from the stream: fields a handler needs to route it, plus the
/// raw document in the client's format.
pub struct Job {
    pub id: CString,
    pub kind: CString,
    pub queue: CString,
    pub priority: u32,
    pub attempts: u32,
    pub doc: Bytes,
}

#[derive(Deserialize)]
struct Head<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow)]
    queue: Cow<'a, str>,
    #[serde(default)]
    priority: u32,
    #[serde(default)]
    attempts: u32,
}

impl Job {
    /// Read the routing fields of a job frame without decoding its payload.
    pub fn from_frame(format: Format, doc: Bytes) -> Result<Job> {
        let head: Head = match format {
            Format::Json => serde_json::from_slice(&doc)
                .map_err(|e| Error::decode(format!("invalid job frame (JSON): {e}")))?,
            Format::Msgpack => rmp_serde::from_slice(&doc)
                .map_err(|e| Error::decode(format!("invalid job frame (MessagePack): {e}")))?,
        };
        let c = |s: Cow<str>| {
            CString::new(s.as_bytes()).map_err(|_| Error::decode("job field contains a NUL byte"))
        };
        Ok(Job {
            id: c(head.id)?,
            kind: c(head.kind)?,
            queue: c(head.queue)?,
            priority: head.priority,
            attempts: head.attempts,
            doc,
        })
    }

    pub fn id_str(&self) -> &str {
        self.id.to_str().unwrap_or_default()
    }
}

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

pub(crate) async fn open(
    client: &Client,
    path: &str,
    worker_id: Option<&str>,
    cancel: &CancellationToken,
) -> Result<TakeConnection> {
    let timeout = client.options().connect_timeout + client.options().read_timeout;
    tokio::select! {
        _ = cancel.cancelled() => Err(Error::closed()),
        result = open_take_stream(
            client.endpoint(),
            path,
            client.format().stream_accept(),
            worker_id,
            timeout,
        ) => result,
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

/// Where a stream reader delivers jobs.
pub(crate) trait JobSink: Sync {
    /// Resolves when the sink accepts more jobs (backpressure).
    fn wait_for_space(&self) -> impl std::future::Future<Output = ()> + Send;
    fn deliver(&self, jobs: Vec<Job>);
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

/// Read frames into `sink` until the stream fails, ends or goes silent for
/// longer than `idle`. Always returns an error saying why it stopped.
pub(crate) async fn pump<S: JobSink>(
    sink: &S,
    connection: &mut TakeConnection,
    parser: &mut FrameParser,
    idle: Duration,
) -> Result<()> {
    let format = parser.format();
    loop {
        sink.wait_for_space().await;
        let frame = match tokio::time::timeout(idle, connection.body.frame()).await {
            Err(_) => {
                return Err(Error::new(
                    Status::ZIZQ_E_TIMEOUT,
                    format!(
                        "take stream silent for {} ms (no jobs or heartbeats); presumed dead",
                        idle.as_millis()
                    ),
                ))
            }
            Ok(None) => {
                parser.finish()?;
                return Err(Error::new(
                    Status::ZIZQ_E_STREAM_ENDED,
                    "the server ended the take stream",
                ));
            }
            Ok(Some(Err(e))) => return Err(crate::transport::hyper_error("take stream failed", e)),
            Ok(Some(Ok(frame))) => frame,
        };
        let Ok(data) = frame.into_data() else {
            continue; // trailers
        };
        parser.feed(&data);
        let mut jobs = Vec::new();
        let mut failure = None;
        loop {
            match parser.next_frame() {
                Ok(Some(doc)) => match Job::from_frame(format, doc) {
                    Ok(job) => jobs.push(job),
                    Err(e) => {
                        failure = Some(stream_error(e));
                        break;
                    }
                },
                Ok(None) => break,
                Err(e) => {
                    failure = Some(stream_error(e));
                    break;
                }
            }
        }
        if !jobs.is_empty() {
            sink.deliver(jobs);
        }
        if let Some(err) = failure {
            return Err(err);
        }
    }
}

/// A bad frame breaks the stream: report it as a stream failure while
/// keeping oversize frames distinguishable.
fn stream_error(mut err: Error) -> Error {
    if err.status == Status::ZIZQ_E_DECODE {
        err.status = Status::ZIZQ_E_STREAM;
    }
    err
}

/// Linux eventfd used as a level-triggered readiness signal.
struct EventFd(i32);

impl EventFd {
    fn new() -> Result<EventFd> {
        // SAFETY: plain syscall; the fd is owned by the returned value.
        let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
        if fd < 0 {
            return Err(Error::invalid(format!(
                "cannot create the readiness descriptor: {}",
                std::io::Error::last_os_error()
            )));
        }
        Ok(EventFd(fd))
    }

    fn signal(&self) {
        let one: u64 = 1;
        // SAFETY: writes 8 bytes from a valid u64 to our own fd.
        unsafe { libc::write(self.0, (&one as *const u64).cast(), 8) };
    }

    fn drain(&self) {
        let mut value: u64 = 0;
        // SAFETY: reads 8 bytes into a valid u64 from our own fd.
        unsafe { libc::read(self.0, (&mut value as *mut u64).cast(), 8) };
    }
}

impl Drop for EventFd {
    fn drop(&mut self) {
        // SAFETY: we own the fd.
        unsafe { libc::close(self.0) };
    }
}
