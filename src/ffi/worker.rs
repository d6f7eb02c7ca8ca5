//! Header section: Workers: the consumer loop with batched acknowledgements.
//!
//! Workers: the core's consumer loop (reconnects, batched acks, safe shutdown).

use super::client::{client_arg, zizq_client};
use super::error::zizq_error;
use super::take::zizq_batch;
use super::{
    borrow, boundary, bytes_arg, free_handle, infallible, live_handle, new_handle, out_arg,
    segment_arg, write_buf, zizq_buf, Handle,
};
use crate::error::{zizq_status, Result};
use crate::runtime::timeout_from_ms;
use crate::worker::{Worker, WorkerOptions};
use std::ffi::c_char;

/// A running worker. `zizq_worker_next`, `zizq_worker_ack`,
/// `zizq_worker_nack`, `zizq_worker_wakeup` and `zizq_worker_stats` may be
/// called from any number of threads at once.
pub struct zizq_worker {
    worker: Worker,
}

impl Handle for zizq_worker {
    fn generation(&self) -> Option<u64> {
        Some(self.worker.generation())
    }
}

/// Borrow a worker argument that belongs to this process.
///
/// # Safety
/// `ptr` must be NULL or a worker not yet freed, for `'a`.
unsafe fn worker_arg<'a>(ptr: *const zizq_worker) -> Result<&'a Worker> {
    // SAFETY: the same contract as ours.
    Ok(&unsafe { live_handle(ptr, "worker") }?.worker)
}

/// Start a worker. `doc` (client's document format, may be empty): `queues` (array,
/// default all), `concurrency` (how many threads or fibers of the caller
/// handle jobs, 1 to 100000), `prefetch` (unacknowledged jobs the server may
/// send; default 2 × `concurrency`, or 10 without `concurrency`; 0 =
/// unlimited), `worker_id`,
/// `max_ack_batch` (ids per bulk ack, default and maximum 1000),
/// `ack_concurrency` (the most ack requests in flight, default 4: one
/// always, another beside `n` in flight once 16 × `n` acks wait, so a slow
/// server gets few large batches), `backoff_min_ms` /
/// `backoff_max_ms` (reconnect and retry backoff, default 500 / 30000),
/// `shutdown_timeout_ms` (default 30000). The take stream opens in the
/// background; connection problems are retried, and a 4xx answer to the take
/// request stops the worker (reported by `zizq_worker_next`). While a
/// reconnect delay longer than `backoff_min_ms` runs, the worker sends
/// `GET /health` every `backoff_min_ms` (one at a time) and reconnects as
/// soon as the server answers again after an outage, so it resumes within
/// about one initial step of the server's return whatever the grown delay.
/// # Safety
/// Any pointer may be NULL; otherwise `client` is a live client, `doc` holds
/// `doc_len` readable bytes, `out` and `err` are writable.
#[no_mangle]
pub unsafe extern "C" fn zizq_worker_new(
    client: *const zizq_client,
    doc: *const u8,
    doc_len: usize,
    out: *mut *mut zizq_worker,
    err: *mut *mut zizq_error,
) -> zizq_status {
    boundary(err, || {
        // SAFETY: `client` is NULL or a live client, `doc` NULL or `doc_len`
        // readable bytes (# Safety above).
        let (client, doc) = unsafe { (client_arg(client)?, bytes_arg(doc, doc_len, "doc")?) };
        let options = WorkerOptions::parse(client.documents(), doc)?;
        // SAFETY: `out` is NULL or writable (# Safety above).
        let out = unsafe { out_arg(out, "out") }?;
        let worker = Worker::start(client, options)?;
        new_handle(out, zizq_worker { worker });
        Ok(())
    })
}

/// Wait up to `timeout_ms` (negative = forever) for jobs and hand over up to
/// `max_jobs` (0 = all buffered). On `ZIZQ_OK`, `*out` is a batch, or NULL
/// after a timeout or `zizq_worker_wakeup`. Every job handed over must be
/// resolved with `zizq_worker_ack` or `zizq_worker_nack`. Returns
/// `ZIZQ_E_CLOSED` once shutdown has begun, or the error that stopped the
/// worker.
/// # Safety
/// Any pointer may be NULL; otherwise `worker` is a live worker, `out` and
/// `err` are writable.
#[no_mangle]
pub unsafe extern "C" fn zizq_worker_next(
    worker: *const zizq_worker,
    max_jobs: usize,
    timeout_ms: i64,
    out: *mut *mut zizq_batch,
    err: *mut *mut zizq_error,
) -> zizq_status {
    boundary(err, || {
        // SAFETY: `worker` is NULL or a live worker, `out` NULL or writable
        // (# Safety above).
        let (worker, out) = unsafe { (worker_arg(worker)?, out_arg(out, "out")?) };
        zizq_batch::hand_over(out, max_jobs, |max| {
            worker.next(max, timeout_from_ms(timeout_ms))
        })
    })
}

/// Queue an acknowledgement of job `id`; returns at once. The worker sends
/// it (batched with others) and retries until the server has it.
/// `ZIZQ_E_CLOSED` after shutdown completed (the ack was not accepted).
/// # Safety
/// Any pointer may be NULL; otherwise `worker` is a live worker, `id` is NUL-
/// terminated, `err` is writable.
#[no_mangle]
pub unsafe extern "C" fn zizq_worker_ack(
    worker: *const zizq_worker,
    id: *const c_char,
    err: *mut *mut zizq_error,
) -> zizq_status {
    boundary(err, || {
        // SAFETY: `worker` is NULL or a live worker, `id` NULL or a
        // NUL-terminated string (# Safety above).
        let (worker, id) = unsafe { (worker_arg(worker)?, segment_arg(id, "id")?) };
        worker.ack(id)
    })
}

/// Queue a failure report for job `id`; returns at once. `doc` (client's
/// format): `{message, error_type?, backtrace?, retry_at?, kill?}`;
/// `retry_at` asks for a retry at that time, `kill: true` gives up on the job.
/// # Safety
/// Any pointer may be NULL; otherwise `worker` is a live worker, `id` is NUL-
/// terminated, `doc` holds `doc_len` readable bytes, `err` is writable.
#[no_mangle]
pub unsafe extern "C" fn zizq_worker_nack(
    worker: *const zizq_worker,
    id: *const c_char,
    doc: *const u8,
    doc_len: usize,
    err: *mut *mut zizq_error,
) -> zizq_status {
    boundary(err, || {
        // SAFETY: `worker` is NULL or a live worker, `id` NULL or a
        // NUL-terminated string, `doc` NULL or `doc_len` readable bytes
        // (# Safety above).
        let (worker, id, doc) = unsafe {
            (
                worker_arg(worker)?,
                segment_arg(id, "id")?,
                bytes_arg(doc, doc_len, "doc")?,
            )
        };
        worker.nack(id, doc)
    })
}

/// A file descriptor that is readable while `zizq_worker_next` would return
/// at once: jobs are buffered, the worker failed, or it is shutting down.
/// For `poll`/`epoll`, asyncio `add_reader`, Ruby `IO#wait_readable` and the
/// like: wait on it, then call `zizq_worker_next` with a zero timeout (with
/// several threads waiting, some may find the jobs taken and wait again).
/// Do not read or close it. -1 for NULL.
/// # Safety
/// `worker` is NULL or a live worker.
#[no_mangle]
pub unsafe extern "C" fn zizq_worker_fd(worker: *const zizq_worker) -> i32 {
    infallible(-1, || {
        // SAFETY: `worker` is NULL or a live worker (# Safety above).
        unsafe { borrow(worker) }.map_or(-1, |w| w.worker.fd())
    })
}

/// Make every thread waiting in `zizq_worker_next` return at once.
/// Returns `ZIZQ_OK`, `ZIZQ_E_NULL_ARG` for NULL or `ZIZQ_E_FORKED` in a
/// fork child. No `err` argument: those statuses say all there is to say.
/// # Safety
/// `worker` is NULL or a live worker.
#[no_mangle]
pub unsafe extern "C" fn zizq_worker_wakeup(worker: *const zizq_worker) -> zizq_status {
    boundary(std::ptr::null_mut(), || {
        // SAFETY: `worker` is NULL or a live worker (# Safety above).
        let worker = unsafe { worker_arg(worker) }?;
        worker.wakeup();
        Ok(())
    })
}

/// Shut down in the safe order: stop taking (waiting `zizq_worker_next`
/// calls return `ZIZQ_E_CLOSED`), wait for handed-out jobs to be resolved,
/// deliver every queued ack and nack, then close the stream (the server
/// requeues jobs that were taken but never handed out). Bounded by
/// `timeout_ms` (negative = the worker's `shutdown_timeout_ms`);
/// `ZIZQ_E_TIMEOUT` if something was left undone (see stats). Idempotent.
/// # Safety
/// Any pointer may be NULL; otherwise `worker` is a live worker, `err` is
/// writable.
#[no_mangle]
pub unsafe extern "C" fn zizq_worker_shutdown(
    worker: *const zizq_worker,
    timeout_ms: i64,
    err: *mut *mut zizq_error,
) -> zizq_status {
    boundary(err, || {
        // SAFETY: `worker` is NULL or a live worker (# Safety above).
        unsafe { worker_arg(worker) }?.shutdown(timeout_from_ms(timeout_ms))
    })
}

/// Counters as a map in the client's document format: `state` (`running`,
/// `stopping`, `stopped`, `failed`), `taken` (jobs received), `handed_out`
/// (handouts by `zizq_worker_next`; a job the server redelivered is handed
/// out again), `acked` (jobs the server confirmed completed by this worker's
/// acks, each counted once however many of its copies were acked), `nacked`
/// (failure reports the server accepted), `in_flight` (`buffered` +
/// `outstanding`), `buffered` (received, not yet handed out), `outstanding`
/// (handouts not yet acked or nacked), `pending_acks` (outcomes queued or
/// being sent), `stale` (acks or nacks that found their job no longer in
/// flight: requeued after a dropped stream, deleted, or already completed by
/// an ack of another copy), `dropped` (outcomes given up), `discarded`
/// (received jobs dropped with their stream), `connects`, `reconnects`,
/// `connect_failures` (take stream attempts that failed), `probes` (health
/// requests sent while waiting to reconnect), `ack_requests`,
/// `nack_requests`, `last_error`. Each accepted ack or nack is counted in
/// exactly one of `pending_acks`, `acked`, `nacked`, `stale` and `dropped`.
/// # Safety
/// Any pointer may be NULL; otherwise `worker` is a live worker, `out` and
/// `err` are writable.
#[no_mangle]
pub unsafe extern "C" fn zizq_worker_stats(
    worker: *const zizq_worker,
    out: *mut zizq_buf,
    err: *mut *mut zizq_error,
) -> zizq_status {
    boundary(err, || {
        // SAFETY: `worker` is NULL or a live worker, `out` NULL or writable
        // (# Safety above).
        let (worker, out) = unsafe { (worker_arg(worker)?, out_arg(out, "out")?) };
        let stats = worker.stats();
        write_buf(out, worker.client().document(&stats));
        Ok(())
    })
}

/// Release the worker. Without a prior `zizq_worker_shutdown` everything
/// stops at once: queued acks are lost and the server requeues unacknowledged
/// jobs. Call once, after every other call on it returned. NULL is ignored.
/// # Safety
/// `worker` may be NULL; otherwise it is a live worker, used by no other call
/// during or after this one.
#[no_mangle]
pub unsafe extern "C" fn zizq_worker_free(worker: *mut zizq_worker) {
    // SAFETY: `worker` is NULL or a worker given up by the caller.
    unsafe { free_handle(worker) }
}
