//! The process-wide tokio runtime and fork detection.
//!
//! One runtime per process, created on first use and never
//! dropped (dropping a runtime joins its threads, which would hang in a fork
//! child where those threads do not exist). A `pthread_atfork` child handler
//! bumps a generation counter; handles remember the generation they were
//! created in and refuse to work in another one. A fork child that creates a
//! new client gets a fresh runtime for its own generation.

use crate::error::{Error, Result, Status};
use std::future::Future;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};
use std::sync::Once;
use std::time::Duration;
use tokio::runtime::Runtime;

static FORK_GENERATION: AtomicU64 = AtomicU64::new(0);
static ATFORK: Once = Once::new();

/// Runtime of the current generation, tagged with that generation.
struct Tagged {
    generation: u64,
    runtime: Runtime,
}

static RUNTIME: AtomicPtr<Tagged> = AtomicPtr::new(std::ptr::null_mut());

extern "C" fn on_fork_child() {
    // Only an atomic increment: nothing else is safe in an atfork handler.
    FORK_GENERATION.fetch_add(1, Ordering::SeqCst);
}

/// Generation of the current process: changes in every fork child.
pub fn generation() -> u64 {
    // SAFETY: registers a handler that only does an atomic increment, which
    // is async-signal-safe as a fork child handler must be; registered once.
    ATFORK.call_once(|| unsafe {
        libc::pthread_atfork(None, None, Some(on_fork_child));
    });
    FORK_GENERATION.load(Ordering::SeqCst)
}

/// Fail with `ZIZQ_E_FORKED` when a handle from generation `created` is used
/// in a different process.
pub fn check_fork(created: u64) -> Result<()> {
    if generation() == created {
        Ok(())
    } else {
        Err(Error::new(
            Status::ZIZQ_E_FORKED,
            "this handle was created in the parent process; create a new one after fork",
        ))
    }
}

/// Runtime worker threads: one unless `ZIZQ_RUNTIME_THREADS` (1–64) says
/// otherwise. Its work per job is small: sockets, TLS, framing, and turning
/// replies and jobs into the host's document format (about 1 µs a job);
/// encoding requests and handling jobs happen on the host's threads. With
/// a second worker the tasks of one job (the take stream, the ack batcher,
/// the HTTP/2 connection) woke each other across threads: on 2 cores that
/// cost a fifth to a quarter more client CPU and a third more context
/// switches per job, and lowered throughput (bench/README.md, "One runtime
/// thread").
fn worker_threads() -> usize {
    std::env::var("ZIZQ_RUNTIME_THREADS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|n| (1..=64).contains(n))
        .unwrap_or(1)
}

/// Signals a runtime thread still takes: faults it raises itself (blocking
/// those is undefined), and SIGPROF, so that profilers sample it.
const UNBLOCKED_SIGNALS: [libc::c_int; 7] = [
    libc::SIGSEGV,
    libc::SIGBUS,
    libc::SIGFPE,
    libc::SIGILL,
    libc::SIGTRAP,
    libc::SIGSYS,
    libc::SIGPROF,
];

/// Run on every runtime thread as it starts: block the signals a host
/// handles. The kernel gives a process-directed signal (Ctrl+C's SIGINT,
/// SIGTERM, SIGCHLD...) to any thread that does not block it; landing on a
/// runtime thread, it would escape a host that waits for it with `sigwait`
/// in one thread and blocks it in the others (its default action could end
/// the process instead), and a Go host would have to handle it on a thread
/// it does not own. Blocked SIGPIPE also leaves a write to a closed socket
/// to return EPIPE.
fn block_host_signals() {
    // SAFETY: `set` is a local initialised by sigfillset before use;
    // pthread_sigmask changes only the calling thread's mask.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut set);
        for signal in UNBLOCKED_SIGNALS {
            libc::sigdelset(&mut set, signal);
        }
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
    }
}

/// The runtime for this process, created on first use.
pub fn runtime() -> Result<&'static Runtime> {
    let generation = generation();
    loop {
        let current = RUNTIME.load(Ordering::Acquire);
        // SAFETY: pointers stored in RUNTIME come from Box::into_raw and are
        // never freed.
        if let Some(tagged) = unsafe { current.as_ref() } {
            if tagged.generation == generation {
                return Ok(&tagged.runtime);
            }
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(worker_threads())
            .thread_name("zizq-rt")
            .on_thread_start(block_host_signals)
            .enable_all()
            .build()
            .map_err(|e| Error::resource(format!("cannot start the runtime: {e}")))?;
        let fresh = Box::into_raw(Box::new(Tagged {
            generation,
            runtime,
        }));
        // On success the previous runtime (if any) belongs to a parent
        // process and is leaked on purpose.
        if RUNTIME
            .compare_exchange(current, fresh, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            // SAFETY: just installed; never freed.
            return Ok(unsafe { &(*fresh).runtime });
        }
        // Another thread installed one first; ours has never run anything.
        // SAFETY: `fresh` was never shared.
        let ours = unsafe { Box::from_raw(fresh) };
        ours.runtime.shutdown_background();
    }
}

/// Run `fut` on the runtime and block the calling (host) thread until it
/// finishes. A panic inside the task becomes `ZIZQ_E_PANIC`.
pub fn block_on<F, T>(fut: F) -> Result<T>
where
    F: Future<Output = Result<T>> + Send + 'static,
    T: Send + 'static,
{
    let rt = runtime()?;
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    rt.spawn(async move {
        let _ = tx.send(fut.await);
    });
    rx.recv()
        .unwrap_or_else(|_| Err(Error::new(Status::ZIZQ_E_PANIC, "internal task panicked")))
}

/// Convert a C timeout in milliseconds; negative means "wait forever".
pub fn timeout_from_ms(ms: i64) -> Option<Duration> {
    u64::try_from(ms).ok().map(Duration::from_millis)
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// The signals a runtime thread blocks, from its `/proc` status.
    fn runtime_thread_blocked_signals() -> u64 {
        let (tx, rx) = std::sync::mpsc::channel();
        runtime().unwrap().spawn(async move {
            let _ = tx.send(std::fs::read_to_string("/proc/thread-self/status"));
        });
        let status = rx.recv().unwrap().unwrap();
        let mask = status
            .lines()
            .find_map(|line| line.strip_prefix("SigBlk:"))
            .expect("a SigBlk line");
        u64::from_str_radix(mask.trim(), 16).unwrap()
    }

    #[test]
    fn runtime_threads_leave_host_signals_to_the_host() {
        let blocked = runtime_thread_blocked_signals();
        let bit = |signal: libc::c_int| 1u64 << (signal - 1);
        for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGCHLD, libc::SIGPIPE] {
            assert_ne!(blocked & bit(signal), 0, "signal {signal} not blocked");
        }
        for signal in UNBLOCKED_SIGNALS {
            assert_eq!(blocked & bit(signal), 0, "signal {signal} blocked");
        }
    }
}
