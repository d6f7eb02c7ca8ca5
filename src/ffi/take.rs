//! Header section: Take streams, job batches and the callback loop.
//!
//! Take streams (pull API), job batches and the callback loop `zizq_take_jobs`.

use super::client::{client_arg, zizq_client};
use super::error::zizq_error;
use super::{
    borrow, boundary, bytes_arg, free_handle, infallible, live_handle, new_handle, out_arg, Handle,
    Out,
};
use crate::error::{zizq_status, Error, Result, Status};
use crate::runtime::timeout_from_ms;
use crate::take::{Job, TakeOptions, TakeStream};
use std::ffi::{c_char, c_void};

/// One job of a batch. Every pointer stays valid until the batch is freed.
#[repr(C)]
pub struct zizq_job {
    /// Job id, NUL-terminated.
    pub id: *const c_char,
    /// Job type, NUL-terminated.
    pub r#type: *const c_char,
    /// Queue name, NUL-terminated.
    pub queue: *const c_char,
    /// The whole job document (id, type, queue, priority, status, payload,
    /// ready_at, attempts, dequeued_at...) in the client's document format.
    pub doc: *const u8,
    /// Length of `doc` in bytes.
    pub doc_len: usize,
    /// The job's priority (lower runs first), as in the document.
    pub priority: u32,
    /// Failures recorded so far (0 on the first delivery).
    pub attempts: u32,
}

/// Jobs handed over by one `zizq_take_next` or `zizq_worker_next` call.
/// Owned by the caller; release with `zizq_batch_free` (from any thread).
pub struct zizq_batch {
    // `views` points into `jobs`; both are immutable once built.
    _jobs: Vec<Job>,
    views: Vec<zizq_job>,
}

impl Handle for zizq_batch {}

impl zizq_batch {
    /// Hand over up to `max_jobs` (0 = all) from `next` in `*out`: a batch,
    /// or NULL when there were none (timeout or wakeup).
    pub(crate) fn hand_over(
        out: Out<'_, *mut zizq_batch>,
        max_jobs: usize,
        next: impl FnOnce(usize) -> Result<Vec<Job>>,
    ) -> Result<()> {
        let max = if max_jobs == 0 { usize::MAX } else { max_jobs };
        let jobs = next(max)?;
        if jobs.is_empty() {
            out.write(std::ptr::null_mut());
        } else {
            let views = jobs.iter().map(view).collect();
            new_handle(out, zizq_batch { _jobs: jobs, views });
        }
        Ok(())
    }
}

pub(crate) fn view(job: &Job) -> zizq_job {
    zizq_job {
        id: job.id.as_ptr(),
        r#type: job.kind.as_ptr(),
        queue: job.queue.as_ptr(),
        doc: job.doc.as_ptr(),
        doc_len: job.doc.len(),
        priority: job.priority,
        attempts: job.attempts,
    }
}

/// Number of jobs in the batch (0 for NULL).
/// # Safety
/// `batch` is NULL or a live batch.
#[no_mangle]
pub unsafe extern "C" fn zizq_batch_len(batch: *const zizq_batch) -> usize {
    // SAFETY: `batch` is NULL or a live batch (# Safety above).
    infallible(0, || unsafe { borrow(batch) }.map_or(0, |b| b.views.len()))
}

/// The batch's jobs as an array of `zizq_batch_len` elements (NULL for NULL).
/// # Safety
/// `batch` is NULL or a live batch.
#[no_mangle]
pub unsafe extern "C" fn zizq_batch_jobs(batch: *const zizq_batch) -> *const zizq_job {
    infallible(std::ptr::null(), || {
        // SAFETY: `batch` is NULL or a live batch (# Safety above).
        unsafe { borrow(batch) }.map_or(std::ptr::null(), |b| b.views.as_ptr())
    })
}

/// Job `index` of the batch, or NULL when out of range.
/// # Safety
/// `batch` is NULL or a live batch.
#[no_mangle]
pub unsafe extern "C" fn zizq_batch_get(batch: *const zizq_batch, index: usize) -> *const zizq_job {
    infallible(std::ptr::null(), || {
        // SAFETY: `batch` is NULL or a live batch (# Safety above).
        unsafe { borrow(batch) }
            .and_then(|b| b.views.get(index))
            .map_or(std::ptr::null(), |j| j as *const zizq_job)
    })
}

/// Release a batch. NULL is ignored.
/// # Safety
/// `batch` may be NULL; otherwise it is a live batch, used by no other call
/// during or after this one.
#[no_mangle]
pub unsafe extern "C" fn zizq_batch_free(batch: *mut zizq_batch) {
    // SAFETY: `batch` is NULL or a batch given up by the caller.
    unsafe { free_handle(batch) }
}

/// An open `GET /jobs/take` stream. One thread at a time may call
/// `zizq_take_next`; `zizq_take_wakeup` and `zizq_take_close` work from any
/// thread.
pub struct zizq_take_stream {
    stream: TakeStream,
}

impl Handle for zizq_take_stream {
    fn generation(&self) -> Option<u64> {
        Some(self.stream.generation())
    }
}

/// `zizq_take_free` closes the stream, as `zizq_take_close` does, before
/// releasing it.
impl Drop for zizq_take_stream {
    fn drop(&mut self) {
        self.stream.close();
    }
}

/// Borrow a stream argument that belongs to this process.
///
/// # Safety
/// `ptr` must be NULL or a stream not yet freed, for `'a`.
unsafe fn stream_arg<'a>(ptr: *const zizq_take_stream) -> Result<&'a TakeStream> {
    // SAFETY: the same contract as ours.
    Ok(&unsafe { live_handle(ptr, "stream") }?.stream)
}

/// Open a take stream. `doc` (may be empty): `{"prefetch": n (default 1,
/// 0 = unlimited), "queues": [names] (default all), "worker_id": "..."}`.
/// Returns once the server accepted the stream (HTTP 200); a refusal is
/// `ZIZQ_E_STREAM` with the HTTP status in the error.
/// # Safety
/// Any pointer may be NULL; otherwise `client` is a live client, `doc` holds
/// `doc_len` readable bytes, `out` and `err` are writable.
#[no_mangle]
pub unsafe extern "C" fn zizq_take_open(
    client: *const zizq_client,
    doc: *const u8,
    doc_len: usize,
    out: *mut *mut zizq_take_stream,
    err: *mut *mut zizq_error,
) -> zizq_status {
    boundary(err, || {
        // SAFETY: `client` is NULL or a live client, `doc` NULL or `doc_len`
        // readable bytes (# Safety above).
        let (client, doc) = unsafe { (client_arg(client)?, bytes_arg(doc, doc_len, "doc")?) };
        let options = TakeOptions::parse(client.documents(), doc, "take_open")?;
        // SAFETY: `out` is NULL or writable (# Safety above).
        let out = unsafe { out_arg(out, "out") }?;
        let stream = TakeStream::open(client, &options)?;
        new_handle(out, zizq_take_stream { stream });
        Ok(())
    })
}

/// Wait up to `timeout_ms` (negative = forever) for jobs and hand over up to
/// `max_jobs` of them (0 = all buffered). On `ZIZQ_OK`, `*out` is a batch, or
/// NULL when the wait timed out or `zizq_take_wakeup` was called. Errors:
/// `ZIZQ_E_STREAM_ENDED` (the server ended the stream), `ZIZQ_E_TIMEOUT`
/// (silent longer than the idle timeout), `ZIZQ_E_STREAM`,
/// `ZIZQ_E_CONNECTION`, `ZIZQ_E_CLOSED`, `ZIZQ_E_BUSY` (another thread is
/// waiting). Jobs received before a failure are handed over first.
/// # Safety
/// Any pointer may be NULL; otherwise `stream` is a live stream, `out` and
/// `err` are writable.
#[no_mangle]
pub unsafe extern "C" fn zizq_take_next(
    stream: *const zizq_take_stream,
    max_jobs: usize,
    timeout_ms: i64,
    out: *mut *mut zizq_batch,
    err: *mut *mut zizq_error,
) -> zizq_status {
    boundary(err, || {
        // SAFETY: `stream` is NULL or a live stream, `out` NULL or writable
        // (# Safety above).
        let (stream, out) = unsafe { (stream_arg(stream)?, out_arg(out, "out")?) };
        zizq_batch::hand_over(out, max_jobs, |max| {
            stream.next(max, timeout_from_ms(timeout_ms))
        })
    })
}

/// Make the current (or next) `zizq_take_next` return at once with no batch.
/// Any thread.
/// Returns `ZIZQ_OK`, `ZIZQ_E_NULL_ARG` for NULL or `ZIZQ_E_FORKED` in a
/// fork child. No `err` argument: those statuses say all there is to say.
/// # Safety
/// `stream` is NULL or a live stream.
#[no_mangle]
pub unsafe extern "C" fn zizq_take_wakeup(stream: *const zizq_take_stream) -> zizq_status {
    boundary(std::ptr::null_mut(), || {
        // SAFETY: `stream` is NULL or a live stream (# Safety above).
        let stream = unsafe { stream_arg(stream) }?;
        stream.wakeup();
        Ok(())
    })
}

/// A file descriptor that is readable while `zizq_take_next` would not
/// block (jobs buffered, stream ended, wakeup pending). For `poll`/`epoll`,
/// asyncio `add_reader` and the like; do not read or close it. -1 for NULL.
/// # Safety
/// `stream` is NULL or a live stream.
#[no_mangle]
pub unsafe extern "C" fn zizq_take_fd(stream: *const zizq_take_stream) -> i32 {
    infallible(-1, || {
        // SAFETY: `stream` is NULL or a live stream (# Safety above).
        unsafe { borrow(stream) }.map_or(-1, |s| s.stream.fd())
    })
}

/// Close the stream: the connection is dropped (the server puts jobs that
/// were not acknowledged back in their queue) and a waiting
/// `zizq_take_next` returns `ZIZQ_E_CLOSED`. Any thread; idempotent.
/// Returns `ZIZQ_OK`, `ZIZQ_E_NULL_ARG` for NULL or `ZIZQ_E_FORKED` in a
/// fork child. No `err` argument: those statuses say all there is to say.
/// # Safety
/// `stream` is NULL or a live stream.
#[no_mangle]
pub unsafe extern "C" fn zizq_take_close(stream: *const zizq_take_stream) -> zizq_status {
    boundary(std::ptr::null_mut(), || {
        // SAFETY: `stream` is NULL or a live stream (# Safety above).
        let stream = unsafe { stream_arg(stream) }?;
        stream.close();
        Ok(())
    })
}

/// Close and release the stream. Call once, after every other call on it
/// returned. NULL is ignored.
/// # Safety
/// `stream` may be NULL; otherwise it is a live stream, used by no other call
/// during or after this one.
#[no_mangle]
pub unsafe extern "C" fn zizq_take_free(stream: *mut zizq_take_stream) {
    // SAFETY: `stream` is NULL or a stream given up by the caller.
    unsafe { free_handle(stream) }
}

/// Called once the server accepted the stream.
pub type zizq_on_connect = Option<unsafe extern "C" fn(userdata: *mut c_void)>;
/// Called for each job; return 0 to continue, non-zero to stop the loop.
/// `job` is valid only during the call.
pub type zizq_on_job =
    Option<unsafe extern "C" fn(userdata: *mut c_void, job: *const zizq_job) -> i32>;

/// Stream jobs to callbacks on the calling thread until `on_job` returns
/// non-zero (`ZIZQ_OK`), the server ends the stream (`ZIZQ_OK`), the client
/// is closed (`ZIZQ_E_CLOSED`) or the stream fails (its error). `doc` as for
/// `zizq_take_open`. Callbacks run on this thread only; they may call other
/// `zizq_*` functions on the same client (e.g. to acknowledge the job).
/// # Safety
/// Any pointer may be NULL; otherwise `client` is a live client, `doc` holds
/// `doc_len` readable bytes, `err` is writable. `on_connect` and `on_job` must
/// be safe to call with `userdata` on this thread.
#[no_mangle]
pub unsafe extern "C" fn zizq_take_jobs(
    client: *const zizq_client,
    doc: *const u8,
    doc_len: usize,
    on_connect: zizq_on_connect,
    on_job: zizq_on_job,
    userdata: *mut c_void,
    err: *mut *mut zizq_error,
) -> zizq_status {
    boundary(err, || {
        // SAFETY: `client` is NULL or a live client, `doc` NULL or `doc_len`
        // readable bytes (# Safety above).
        let (client, doc) = unsafe { (client_arg(client)?, bytes_arg(doc, doc_len, "doc")?) };
        let options = TakeOptions::parse(client.documents(), doc, "take_jobs")?;
        let on_job = on_job
            .ok_or_else(|| Error::new(Status::ZIZQ_E_NULL_ARG, "`on_job` must not be NULL"))?;
        let stream = TakeStream::open(client, &options)?;
        if let Some(on_connect) = on_connect {
            // SAFETY: the caller vouches that its callbacks may be called
            // with `userdata` on this thread (# Safety above).
            unsafe { on_connect(userdata) };
        }
        loop {
            let jobs = match stream.next(usize::MAX, None) {
                Ok(jobs) => jobs,
                Err(e) if e.status == Status::ZIZQ_E_STREAM_ENDED => return Ok(()),
                Err(e) => return Err(e),
            };
            for job in &jobs {
                let view = view(job);
                // SAFETY: as for `on_connect`; `view` points into `job`,
                // which outlives the call, as `zizq_on_job` promises.
                if unsafe { on_job(userdata, &view) } != 0 {
                    return Ok(());
                }
            }
        }
    })
}
