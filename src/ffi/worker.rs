//! Workers: the core's consumer loop (reconnects, batched acks, safe shutdown).

use super::client::{client_arg, zizq_client};
use super::error::zizq_error;
use super::take::zizq_batch;
use super::{boundary, bytes_arg, handle, infallible, out_arg, segment_arg, write_buf, zizq_buf};
use crate::codec;
use crate::error::{zizq_status, Result};
use crate::runtime::{self, timeout_from_ms};
use crate::worker::{Worker, WorkerOptions};
use std::ffi::c_char;

/// A running worker. `zizq_worker_next`, `zizq_worker_ack`,
/// `zizq_worker_nack`, `zizq_worker_wakeup` and `zizq_worker_stats` may be
/// called from any number of threads at once.
pub struct zizq_worker {
    worker: Worker,
}

/// Borrow a worker argument that belongs to this process (a handle inherited
/// across `fork()` is refused before any of its locks is touched).
unsafe fn worker_arg<'a>(ptr: *const zizq_worker) -> Result<&'a Worker> {
    let worker = &handle(ptr, "worker")?.worker;
    runtime::check_fork(worker.generation())?;
    Ok(worker)
}

/// Start a worker. `doc` (client's format, may be empty): `queues` (array,
/// default all), `prefetch` (default 10; 0 = unlimited), `worker_id`,
/// `max_ack_batch` (ids per bulk ack, default and maximum 1000),
/// `ack_concurrency` (ack requests in flight, default 4), `backoff_min_ms` /
/// `backoff_max_ms` (reconnect and retry backoff, default 500 / 30000),
/// `shutdown_timeout_ms` (default 30000). The take stream opens in the
/// background; connection problems are retried, and a 4xx answer to the take
/// request stops the worker (reported by `zizq_worker_next`).
#[no_mangle]
pub unsafe extern "C" fn zizq_worker_new(
    client: *const zizq_client,
    doc: *const u8,
    doc_len: usize,
    out: *mut *mut zizq_worker,
    err: *mut *mut zizq_error,
) -> zizq_status {
    boundary(err, || {
        let client = client_arg(client)?;
        let map = codec::decode_args(client.format(), bytes_arg(doc, doc_len, "doc")?)?;
        let options = WorkerOptions::parse(&map)?;
        out_arg(out, "out")?;
        let worker = Worker::start(client, options)?;
        *out = Box::into_raw(Box::new(zizq_worker { worker }));
        Ok(())
    })
}

/// Wait up to `timeout_ms` (negative = forever) for jobs and hand over up to
/// `max_jobs` (0 = all buffered). On `ZIZQ_OK`, `*out` is a batch, or NULL
/// after a timeout or `zizq_worker_wakeup`. Every job handed over must be
/// resolved with `zizq_worker_ack` or `zizq_worker_nack`. Returns
/// `ZIZQ_E_CLOSED` once shutdown has begun, or the error that stopped the
/// worker.
#[no_mangle]
pub unsafe extern "C" fn zizq_worker_next(
    worker: *const zizq_worker,
    max_jobs: usize,
    timeout_ms: i64,
    out: *mut *mut zizq_batch,
    err: *mut *mut zizq_error,
) -> zizq_status {
    boundary(err, || {
        let worker = worker_arg(worker)?;
        zizq_batch::hand_over(out, max_jobs, |max| {
            worker.next(max, timeout_from_ms(timeout_ms))
        })
    })
}

/// Queue an acknowledgement of job `id`; returns at once. The worker sends
/// it (batched with others) and retries until the server has it.
/// `ZIZQ_E_CLOSED` after shutdown completed (the ack was not accepted).
#[no_mangle]
pub unsafe extern "C" fn zizq_worker_ack(
    worker: *const zizq_worker,
    id: *const c_char,
    err: *mut *mut zizq_error,
) -> zizq_status {
    boundary(err, || {
        let worker = worker_arg(worker)?;
        worker.ack(segment_arg(id, "id")?)
    })
}

/// Queue a failure report for job `id`; returns at once. `doc` (client's
/// format): `{message, error_type?, backtrace?, retry_at?, kill?}`;
/// `retry_at` asks for a retry at that time, `kill: true` gives up on the job.
#[no_mangle]
pub unsafe extern "C" fn zizq_worker_nack(
    worker: *const zizq_worker,
    id: *const c_char,
    doc: *const u8,
    doc_len: usize,
    err: *mut *mut zizq_error,
) -> zizq_status {
    boundary(err, || {
        let worker = worker_arg(worker)?;
        worker.nack(segment_arg(id, "id")?, bytes_arg(doc, doc_len, "doc")?)
    })
}

/// Make every thread waiting in `zizq_worker_next` return at once.
#[no_mangle]
pub unsafe extern "C" fn zizq_worker_wakeup(worker: *const zizq_worker) -> zizq_status {
    boundary(std::ptr::null_mut(), || {
        let worker = worker_arg(worker)?;
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
#[no_mangle]
pub unsafe extern "C" fn zizq_worker_shutdown(
    worker: *const zizq_worker,
    timeout_ms: i64,
    err: *mut *mut zizq_error,
) -> zizq_status {
    boundary(err, || {
        worker_arg(worker)?.shutdown(timeout_from_ms(timeout_ms))
    })
}

/// Counters as a map in the client's format: `state` (`running`,
/// `stopping`, `stopped`, `failed`), `taken`, `handed_out`, `acked`, `nacked`,
/// `in_flight` (`buffered` + `outstanding`), `pending_acks`, `stale` (acks or
/// nacks for jobs the server had already requeued), `dropped` (outcomes
/// given up), `discarded`, `connects`, `reconnects`, `ack_requests`,
/// `nack_requests`, `last_error`.
#[no_mangle]
pub unsafe extern "C" fn zizq_worker_stats(
    worker: *const zizq_worker,
    out: *mut zizq_buf,
    err: *mut *mut zizq_error,
) -> zizq_status {
    boundary(err, || {
        let worker = worker_arg(worker)?;
        out_arg(out, "out")?;
        let stats = worker.stats();
        write_buf(out, worker.client().encode(&stats));
        Ok(())
    })
}

/// Release the worker. Without a prior `zizq_worker_shutdown` everything
/// stops at once: queued acks are lost and the server requeues unacknowledged
/// jobs. Call once, after every other call on it returned. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn zizq_worker_free(worker: *mut zizq_worker) {
    infallible((), || {
        if worker.is_null() {
            return;
        }
        let boxed = Box::from_raw(worker);
        if runtime::check_fork(boxed.worker.generation()).is_err() {
            std::mem::forget(boxed);
        }
    })
}
