//! Header section: Non-blocking calls: completion queues and deferred clients.
//!
//! Every client operation can start without blocking: make a deferred client
//! with `zizq_client_defer`, call any operation on it as usual, and collect
//! the results from the completion queue when its descriptor is readable.
//!
//! ```c
//! zizq_completion_queue *cq;  zizq_client *loop_client;
//! zizq_completion_queue_new(NULL, 0, &cq, &err);
//! zizq_client_defer(client, cq, &loop_client, &err);
//! if (zizq_enqueue(loop_client, doc, len, NULL, &err) == ZIZQ_PENDING)
//!     remember(zizq_last_ticket());
//! // ... when zizq_completion_queue_fd(cq) is readable:
//! zizq_completion done[64];  size_t n;
//! zizq_completion_queue_next(cq, done, 64, 0, &n);
//! for (size_t i = 0; i < n; i++) { handle(&done[i]); zizq_completion_free(&done[i]); }
//! ```

use super::client::{client_arg, zizq_client};
use super::error::zizq_error;
use super::{
    borrow, boundary, bytes_arg, free_handle, infallible, live_handle, new_handle, out_arg,
    zizq_buf, Handle,
};
use crate::completion::{self, Completion, CompletionQueue, Outcome};
use crate::error::{zizq_status, Status};
use crate::runtime::{self, timeout_from_ms};

/// A completion queue: where the calls of deferred clients finish. Any
/// thread may use it; completions are handed out once each.
pub struct zizq_completion_queue {
    queue: CompletionQueue,
    generation: u64,
}

impl Handle for zizq_completion_queue {
    fn generation(&self) -> Option<u64> {
        Some(self.generation)
    }
}

/// One finished call. The host owns `out` and `err`: release both with
/// `zizq_completion_free`.
#[repr(C)]
pub struct zizq_completion {
    /// The ticket the call was started under (`zizq_last_ticket`).
    pub ticket: u64,
    /// What the blocking form of the call would have returned.
    pub status: zizq_status,
    /// `zizq_request`: the HTTP status of the answer; 0 for other calls.
    pub http_status: u16,
    /// Calls that answer a count (`zizq_count_jobs`...): the count; else 0.
    pub count: i64,
    /// Calls that answer a document or a body: its bytes; else empty.
    pub out: zizq_buf,
    /// On failure, the error object the blocking call would have given;
    /// else NULL.
    pub err: *mut zizq_error,
}

impl zizq_completion {
    fn from(completion: Completion) -> zizq_completion {
        let mut record = zizq_completion {
            ticket: completion.ticket,
            status: Status::ZIZQ_OK,
            http_status: 0,
            count: 0,
            out: zizq_buf::empty(),
            err: std::ptr::null_mut(),
        };
        match completion.result {
            Ok(Outcome::Unit) => {}
            Ok(Outcome::Count(count)) => record.count = count,
            Ok(Outcome::Document(doc)) => record.out = zizq_buf::from_bytes(doc),
            Ok(Outcome::Reply(status, body)) => {
                record.http_status = status;
                record.out = zizq_buf::from_bytes(body);
            }
            Err(error) => {
                record.status = error.status;
                record.err = Box::into_raw(Box::new(zizq_error::new(error)));
            }
        }
        record
    }
}

/// Borrow a queue argument that belongs to this process.
///
/// # Safety
/// `ptr` must be NULL or a queue not yet freed, for `'a`.
unsafe fn queue_arg<'a>(
    ptr: *const zizq_completion_queue,
) -> crate::error::Result<&'a CompletionQueue> {
    // SAFETY: the same contract as ours.
    Ok(&unsafe { live_handle(ptr, "queue") }?.queue)
}

/// Create a completion queue. `options` is a JSON object (may be NULL/empty):
/// `max_pending` (4096, 1..1000000): the most calls started and not yet
/// taken; starting one more fails at once with `ZIZQ_E_RESOURCE`.
/// # Safety
/// Any pointer may be NULL; otherwise `options` holds `options_len` readable
/// bytes, `out` and `err` are writable.
#[no_mangle]
pub unsafe extern "C" fn zizq_completion_queue_new(
    options: *const u8,
    options_len: usize,
    out: *mut *mut zizq_completion_queue,
    err: *mut *mut zizq_error,
) -> zizq_status {
    boundary(err, || {
        // SAFETY: `options` is NULL or `options_len` readable bytes, `out`
        // NULL or writable (# Safety above).
        let (options, out) = unsafe {
            (
                bytes_arg(options, options_len, "options")?,
                out_arg(out, "out")?,
            )
        };
        let generation = runtime::generation();
        runtime::runtime()?;
        let queue = CompletionQueue::new(options)?;
        new_handle(out, zizq_completion_queue { queue, generation });
        Ok(())
    })
}

/// A client whose calls never block: every operation called on it (the job,
/// cron and server calls, `zizq_request`, `zizq_get_path`) checks its
/// arguments, starts, and returns `ZIZQ_PENDING` at once — never waiting for
/// a connection, DNS, TLS or a free stream. Its result, exactly what the
/// blocking call returns (the same document, count, HTTP status or error
/// object), arrives in `queue` under the ticket `zizq_last_ticket()` returns
/// right after. Arguments the call can check itself fail at once as usual
/// (and start nothing); the output arguments are not used and may be NULL.
/// `zizq_take_open` on it returns the stream at once, connecting in the
/// background (a failure comes from `zizq_take_next`).
///
/// It shares `client`'s connections and has its own cancellation scope:
/// `zizq_client_cancel` on it cancels its running calls (they complete with
/// `ZIZQ_E_CANCELLED`, as does freeing it with `zizq_client_free`), and
/// closing `client` or the queue completes them with `ZIZQ_E_CLOSED`.
/// # Safety
/// Any pointer may be NULL; otherwise `client` and `queue` are live, `out`
/// and `err` are writable.
#[no_mangle]
pub unsafe extern "C" fn zizq_client_defer(
    client: *const zizq_client,
    queue: *const zizq_completion_queue,
    out: *mut *mut zizq_client,
    err: *mut *mut zizq_error,
) -> zizq_status {
    boundary(err, || {
        // SAFETY: `client` and `queue` are NULL or live, `out` NULL or
        // writable (# Safety above).
        let (client, queue, out) =
            unsafe { (client_arg(client)?, queue_arg(queue)?, out_arg(out, "out")?) };
        let generation = runtime::generation();
        new_handle(
            out,
            zizq_client {
                client: client.defer(queue.clone()),
                generation,
            },
        );
        Ok(())
    })
}

/// The ticket of the call this thread most recently started on a deferred
/// client (read it right after the call returned `ZIZQ_PENDING`); 0 before
/// any. Tickets are unique per queue, counting from 1.
#[no_mangle]
pub extern "C" fn zizq_last_ticket() -> u64 {
    infallible(0, completion::last_ticket)
}

/// A file descriptor that is readable while `zizq_completion_queue_next`
/// would not block (a completion waits, or the queue is closed and empty).
/// For `poll`/`epoll`, libuv, asyncio `add_reader`, Ruby `IO#wait_readable`;
/// do not read or close it. -1 for NULL or in a fork child.
/// # Safety
/// `queue` is NULL or a live queue.
#[no_mangle]
pub unsafe extern "C" fn zizq_completion_queue_fd(queue: *const zizq_completion_queue) -> i32 {
    // SAFETY: `queue` is NULL or a live queue (# Safety above).
    infallible(-1, || unsafe { queue_arg(queue) }.map_or(-1, |q| q.fd()))
}

/// Take up to `cap` finished calls into `out[0..*n]`, oldest first, waiting
/// up to `timeout_ms` (0 = not at all, negative = forever) for the first.
/// `*n` is 0 after a timeout. Release each with `zizq_completion_free`.
/// Returns `ZIZQ_OK`; `ZIZQ_E_CLOSED` once the queue is closed and every
/// completion was taken; `ZIZQ_E_NULL_ARG` (`queue`, `n`, or `out` with a
/// non-zero `cap`); `ZIZQ_E_FORKED` in a fork child. No `err` argument:
/// those statuses say all there is to say.
/// # Safety
/// Any pointer may be NULL; otherwise `queue` is live, `out` has room for
/// `cap` completions and `n` is writable.
#[no_mangle]
pub unsafe extern "C" fn zizq_completion_queue_next(
    queue: *const zizq_completion_queue,
    out: *mut zizq_completion,
    cap: usize,
    timeout_ms: i64,
    n: *mut usize,
) -> zizq_status {
    boundary(std::ptr::null_mut(), || {
        // SAFETY: `queue` is NULL or live, `n` NULL or writable (# Safety
        // above).
        let (queue, n) = unsafe { (queue_arg(queue)?, out_arg(n, "n")?) };
        if cap == 0 {
            n.write(0);
            return Ok(());
        }
        if out.is_null() {
            return Err(crate::error::Error::new(
                Status::ZIZQ_E_NULL_ARG,
                "`out` must not be NULL when `cap` is not 0",
            ));
        }
        let taken = queue.next(cap, timeout_from_ms(timeout_ms))?;
        n.write(taken.len());
        for (i, completion) in taken.into_iter().enumerate() {
            // SAFETY: `out` has room for `cap` completions (# Safety above)
            // and `next` returned at most `cap`; the host's storage may be
            // uninitialised, so it is written without reading it.
            unsafe { out.add(i).write(zizq_completion::from(completion)) };
        }
        Ok(())
    })
}

/// Cancel a running call: it completes with `ZIZQ_E_CANCELLED` (unless it
/// finished first; a call cancelled after its request was sent reports an
/// unknown outcome, as a cancelled blocking call does). A ticket whose
/// completion waits to be taken is left as it is (`ZIZQ_OK`).
/// Returns `ZIZQ_OK`; `ZIZQ_E_INVALID_ARG` for a ticket this queue never
/// gave or already handed out; `ZIZQ_E_NULL_ARG`; `ZIZQ_E_FORKED`. No `err`
/// argument: those statuses say all there is to say.
/// # Safety
/// `queue` is NULL or a live queue.
#[no_mangle]
pub unsafe extern "C" fn zizq_completion_queue_cancel(
    queue: *const zizq_completion_queue,
    ticket: u64,
) -> zizq_status {
    boundary(std::ptr::null_mut(), || {
        // SAFETY: `queue` is NULL or a live queue (# Safety above).
        unsafe { queue_arg(queue) }?.cancel(ticket)
    })
}

/// Calls started on this queue and not yet taken (running or waiting to be
/// taken). 0 for NULL or in a fork child.
/// # Safety
/// `queue` is NULL or a live queue.
#[no_mangle]
pub unsafe extern "C" fn zizq_completion_queue_pending(
    queue: *const zizq_completion_queue,
) -> usize {
    // SAFETY: `queue` is NULL or a live queue (# Safety above).
    infallible(0, || unsafe { queue_arg(queue) }.map_or(0, |q| q.pending()))
}

/// Close the queue: new calls on its deferred clients fail with
/// `ZIZQ_E_CLOSED`, and every running call completes promptly with
/// `ZIZQ_E_CLOSED`; completions stay to be taken. Never blocks; idempotent.
/// Returns `ZIZQ_OK`, `ZIZQ_E_NULL_ARG` or `ZIZQ_E_FORKED`.
/// # Safety
/// `queue` is NULL or a live queue.
#[no_mangle]
pub unsafe extern "C" fn zizq_completion_queue_close(
    queue: *const zizq_completion_queue,
) -> zizq_status {
    boundary(std::ptr::null_mut(), || {
        // SAFETY: `queue` is NULL or a live queue (# Safety above).
        unsafe { queue_arg(queue) }?.close();
        Ok(())
    })
}

/// Close and release the queue, with the completions nobody took. Call once,
/// after every other call on it returned; deferred clients of the queue stay
/// valid (their new calls fail with `ZIZQ_E_CLOSED`). NULL is ignored.
/// # Safety
/// `queue` may be NULL; otherwise it is a live queue, used by no other call
/// during or after this one.
#[no_mangle]
pub unsafe extern "C" fn zizq_completion_queue_free(queue: *mut zizq_completion_queue) {
    // SAFETY: `queue` is NULL or live (# Safety above); closing first stops
    // the calls that would finish into it.
    unsafe {
        if let Some(q) = borrow(queue) {
            if runtime::check_fork(q.generation).is_ok() {
                q.queue.close();
            }
        }
        free_handle(queue)
    }
}

/// Release a completion's document and error object and reset them (to an
/// empty buffer and NULL), so that a second call does nothing. NULL is
/// ignored.
/// # Safety
/// `completion` is NULL or a completion filled by
/// `zizq_completion_queue_next` (or reset by this function).
#[no_mangle]
pub unsafe extern "C" fn zizq_completion_free(completion: *mut zizq_completion) {
    infallible((), || {
        // SAFETY: by this function's contract `completion` is NULL or a
        // completion nothing else accesses during the call.
        let Some(completion) = (unsafe { completion.as_mut() }) else {
            return;
        };
        // SAFETY: `out` was filled by libzizq or reset; `err` is NULL or an
        // error object we made, reset below so it is freed once.
        unsafe {
            super::zizq_buf_free(&mut completion.out);
            free_handle(completion.err);
        }
        completion.err = std::ptr::null_mut();
    })
}
