//! Completion queues: the non-blocking form of every client operation.
//!
//! A client bound to a queue (`Client::defer`) starts each call on the
//! runtime instead of waiting for it: the call gets a ticket, and its result
//! waits in the queue until the host takes it on a thread of its own choosing
//! (`next`). No host code ever runs on a library thread. The queue's
//! readiness descriptor is readable while a completion waits, so one `poll`
//! can serve requests, take streams and workers. The number of calls started
//! and not yet taken is bounded, so a host that stops taking completions is
//! refused new calls instead of growing memory.

use crate::codec::{self, Format};
use crate::error::{Error, Result, Status};
use crate::options::{self, Bounded};
use crate::ready::{Readiness, Ready};
use crate::runtime;
use bytes::Bytes;
use serde::Deserialize;
use std::cell::Cell;
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// What a finished call answers: the value its blocking form returns.
#[derive(Debug)]
pub enum Outcome {
    Unit,
    Count(i64),
    Document(Bytes),
    /// `zizq_request`: the HTTP status and the body.
    Reply(u16, Bytes),
}

impl From<()> for Outcome {
    fn from(_: ()) -> Outcome {
        Outcome::Unit
    }
}

impl From<i64> for Outcome {
    fn from(count: i64) -> Outcome {
        Outcome::Count(count)
    }
}

impl From<Bytes> for Outcome {
    fn from(doc: Bytes) -> Outcome {
        Outcome::Document(doc)
    }
}

impl From<(u16, Bytes)> for Outcome {
    fn from((status, body): (u16, Bytes)) -> Outcome {
        Outcome::Reply(status, body)
    }
}

/// One finished call, as the host takes it.
#[derive(Debug)]
pub struct Completion {
    pub ticket: u64,
    pub result: Result<Outcome>,
}

/// The options document of `zizq_completion_queue_new`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CompletionQueueOptionsDoc {
    max_pending: Option<Bounded<1, 1_000_000>>,
}

/// Calls a queue holds at most unless its options say otherwise.
const DEFAULT_MAX_PENDING: usize = 4096;

thread_local! {
    /// The ticket of the call this thread started last (`zizq_last_ticket`).
    static LAST_TICKET: Cell<u64> = const { Cell::new(0) };
}

/// The ticket of the last call started on this thread (0 before any).
pub fn last_ticket() -> u64 {
    LAST_TICKET.with(Cell::get)
}

/// A completion queue; clones share it.
#[derive(Clone)]
pub struct CompletionQueue {
    shared: Arc<Shared>,
}

struct Shared {
    state: Ready<State>,
    max_pending: usize,
    inbox: Arc<Inbox>,
}

impl Drop for Shared {
    fn drop(&mut self) {
        self.inbox.close();
    }
}

/// A started call, ready to run on the runtime.
type Call = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Calls on their way from host threads to the runtime. Waking a runtime
/// thread from outside costs a system call and usually preempts the host on
/// a busy machine; a host that starts a burst of calls (a frame's worth)
/// rings the doorbell once and the dispatcher task spawns them all.
struct Inbox {
    calls: Mutex<Vec<Call>>,
    doorbell: Notify,
    closed: AtomicBool,
}

impl Inbox {
    /// A new inbox and the task that empties it.
    fn start() -> Result<Arc<Inbox>> {
        let inbox = Arc::new(Inbox {
            calls: Mutex::new(Vec::new()),
            doorbell: Notify::new(),
            closed: AtomicBool::new(false),
        });
        runtime::runtime()?.spawn(inbox.clone().dispatch());
        Ok(inbox)
    }

    fn post(&self, call: Call) {
        let first = {
            let mut calls = self.calls.lock().unwrap_or_else(|p| p.into_inner());
            calls.push(call);
            calls.len() == 1
        };
        if first {
            self.doorbell.notify_one();
        }
    }

    /// End the dispatcher once it has spawned what was posted.
    fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.doorbell.notify_one();
    }

    async fn dispatch(self: Arc<Inbox>) {
        loop {
            self.doorbell.notified().await;
            let calls = std::mem::take(&mut *self.calls.lock().unwrap_or_else(|p| p.into_inner()));
            for call in calls {
                tokio::spawn(call);
            }
            if self.closed.load(Ordering::SeqCst) {
                return;
            }
        }
    }
}

struct State {
    /// The next ticket to hand out; tickets start at 1 so that 0 means none.
    next_ticket: u64,
    /// Calls started and not finished, with the token that cancels each.
    running: HashMap<u64, CancellationToken>,
    /// Finished calls, oldest first, until the host takes them.
    done: VecDeque<Completion>,
    closed: bool,
}

impl Readiness for State {
    /// Exactly while `next` would not block.
    fn is_ready(&self) -> bool {
        !self.done.is_empty() || (self.closed && self.running.is_empty())
    }
}

impl CompletionQueue {
    /// A queue with the options of a JSON document (empty for defaults):
    /// `{"max_pending": n}`.
    pub fn new(options: &[u8]) -> Result<CompletionQueue> {
        let map = codec::decode_args(Format::Json, options)
            .map_err(|e| Error::invalid(format!("completion queue options: {}", e.message)))?;
        let doc: CompletionQueueOptionsDoc = options::from_map(map, "completion queue options")?;
        Ok(CompletionQueue {
            shared: Arc::new(Shared {
                state: Ready::new(State {
                    next_ticket: 1,
                    running: HashMap::new(),
                    done: VecDeque::new(),
                    closed: false,
                })?,
                max_pending: doc
                    .max_pending
                    .map_or(DEFAULT_MAX_PENDING, |Bounded(n)| n as usize),
                inbox: Inbox::start()?,
            }),
        })
    }

    /// Start `work` on the runtime under a new ticket, which is returned and
    /// remembered as this thread's last ticket. Refused at once when the
    /// queue is closed or holds `max_pending` calls. `mark` turns the error
    /// of a call stopped through the queue (`cancel`, `close`) into the one
    /// its blocking form would report.
    pub fn start<F>(
        &self,
        work: F,
        mark: impl FnOnce(Error) -> Error + Send + 'static,
    ) -> Result<u64>
    where
        F: Future<Output = Result<Outcome>> + Send + 'static,
    {
        let (ticket, stop) = self.reserve()?;
        let shared = self.shared.clone();
        self.shared.inbox.post(Box::pin(async move {
            let result = tokio::select! {
                biased;
                _ = stop.cancelled() => Err(mark(shared.stop_reason())),
                result = work => result,
            };
            shared.finish(ticket, result);
        }));
        LAST_TICKET.with(|last| last.set(ticket));
        Ok(ticket)
    }

    /// Queue the result of a call that finished without the server (an
    /// empty filter answers locally), under a new ticket, as `start` does.
    pub fn finished(&self, outcome: Outcome) -> Result<u64> {
        let (ticket, _) = self.reserve()?;
        self.shared.finish(ticket, Ok(outcome));
        LAST_TICKET.with(|last| last.set(ticket));
        Ok(ticket)
    }

    fn reserve(&self) -> Result<(u64, CancellationToken)> {
        let mut st = self.shared.state.lock();
        if st.closed {
            return Err(Error::new(
                Status::ZIZQ_E_CLOSED,
                "the completion queue is closed",
            ));
        }
        let pending = st.running.len() + st.done.len();
        if pending >= self.shared.max_pending {
            return Err(Error::resource(format!(
                "{pending} calls are pending on this completion queue \
                 (max_pending); take completions before starting more"
            )));
        }
        let ticket = st.next_ticket;
        st.next_ticket += 1;
        let stop = CancellationToken::new();
        st.running.insert(ticket, stop.clone());
        Ok((ticket, stop))
    }

    /// Up to `max` finished calls, oldest first, waiting up to `timeout`
    /// (None = forever) for the first. An empty list after a timeout;
    /// `ZIZQ_E_CLOSED` once the queue is closed and every call was taken.
    pub fn next(&self, max: usize, timeout: Option<Duration>) -> Result<Vec<Completion>> {
        let deadline = timeout.map(|t| Instant::now() + t);
        let taken = self.shared.state.wait(deadline, |st| {
            if !st.done.is_empty() {
                let n = max.min(st.done.len());
                return Some(Ok(st.done.drain(..n).collect()));
            }
            if st.closed && st.running.is_empty() {
                return Some(Err(Error::new(
                    Status::ZIZQ_E_CLOSED,
                    "the completion queue is closed and every call was taken",
                )));
            }
            None
        });
        taken.unwrap_or_else(|| Ok(Vec::new()))
    }

    /// Stop a running call: it completes with `ZIZQ_E_CANCELLED` (unless it
    /// finished first). A ticket that finished and waits to be taken is left
    /// as it is; one never handed out, or already taken, is refused.
    pub fn cancel(&self, ticket: u64) -> Result<()> {
        let st = self.shared.state.lock();
        if let Some(stop) = st.running.get(&ticket) {
            stop.cancel();
            return Ok(());
        }
        if st.done.iter().any(|c| c.ticket == ticket) {
            return Ok(());
        }
        Err(Error::invalid(format!(
            "ticket {ticket} is not pending on this completion queue \
             (never started here, or its completion was already taken)"
        )))
    }

    /// Calls started and not yet taken.
    pub fn pending(&self) -> usize {
        let st = self.shared.state.lock();
        st.running.len() + st.done.len()
    }

    /// Refuse new calls and stop every running one: each completes with
    /// `ZIZQ_E_CLOSED`. Completions already queued stay to be taken.
    /// Idempotent.
    pub fn close(&self) {
        self.shared.state.update(|st| {
            st.closed = true;
            for stop in st.running.values() {
                stop.cancel();
            }
        });
    }

    /// The readiness descriptor: readable while `next` would not block.
    pub fn fd(&self) -> i32 {
        self.shared.state.fd()
    }
}

impl Shared {
    fn finish(&self, ticket: u64, result: Result<Outcome>) {
        self.state.update(|st| {
            if st.running.remove(&ticket).is_some() {
                st.done.push_back(Completion { ticket, result });
            }
        });
    }

    /// Why a call stopped through the queue: closed, or cancelled.
    fn stop_reason(&self) -> Error {
        if self.state.lock().closed {
            Error::new(Status::ZIZQ_E_CLOSED, "the completion queue was closed")
        } else {
            Error::new(Status::ZIZQ_E_CANCELLED, "the call was cancelled")
        }
    }
}
