//! Header section: Jobs: enqueue, query, update, delete, outcomes, error records.
//!
//! Job operations. Documents (`doc`, `*out`) are in the client's document
//! format.
//! Times are integer milliseconds since the Unix epoch, as on the wire.

use super::client::{call_buf, call_count, call_unit, zizq_client};
use super::error::zizq_error;
use super::{bytes_arg, segment_arg, zizq_buf};
use crate::api::jobs;
use crate::error::zizq_status;
use std::ffi::c_char;

/// Enqueue one job. `doc`: `{type, queue, payload, priority?, ready_at?,
/// retry_limit?, backoff?, retention?, unique_key?, unique_while?, batch?}`.
/// `backoff` and `retention` take the server's milliseconds
/// (`{exponent, base_ms, jitter_ms}`, `{completed_ms, dead_ms}`) or seconds
/// (`{exponent, base, jitter}`, `{completed, dead}`; numbers), which
/// libzizq converts; the same holds for `zizq_enqueue_bulk`, updates and
/// cron job templates. `*out`: the job as created (HTTP 201), or the existing job when it is a
/// unique duplicate or was folded into a batch (HTTP 200; see its
/// `duplicate`/`folded` fields).
///
/// After an unknown outcome (`zizq_error_outcome_unknown`) a retry is not
/// safe: the job may exist already and a repeat would enqueue it again, so
/// the error is not retryable; give the job a `unique_key` (servers with
/// unique jobs) to make a repeat answer the existing job instead.
/// # Safety
/// Any pointer may be NULL; otherwise `client` is a live client, `doc` holds
/// `doc_len` readable bytes, `out` and `err` are writable.
#[no_mangle]
pub unsafe extern "C" fn zizq_enqueue(
    client: *const zizq_client,
    doc: *const u8,
    doc_len: usize,
    out: *mut zizq_buf,
    err: *mut *mut zizq_error,
) -> zizq_status {
    // SAFETY: `client`, `out` and `err` are valid or NULL as `call_buf` requires; `doc`
    // NULL or `doc_len` readable bytes (# Safety above).
    unsafe {
        call_buf(client, out, err, |c| {
            jobs::enqueue(c, bytes_arg(doc, doc_len, "doc")?)
        })
    }
}

/// Enqueue many jobs atomically. `doc`: `{"jobs": [<enqueue doc>, ...]}`.
/// `*out`: `{"jobs": [...]}`, one result per input in the same order.
///
/// After an unknown outcome a retry is not safe (a repeat could enqueue
/// every job again; see `zizq_enqueue` and `unique_key`).
/// # Safety
/// Any pointer may be NULL; otherwise `client` is a live client, `doc` holds
/// `doc_len` readable bytes, `out` and `err` are writable.
#[no_mangle]
pub unsafe extern "C" fn zizq_enqueue_bulk(
    client: *const zizq_client,
    doc: *const u8,
    doc_len: usize,
    out: *mut zizq_buf,
    err: *mut *mut zizq_error,
) -> zizq_status {
    // SAFETY: `client`, `out` and `err` are valid or NULL as `call_buf` requires; `doc`
    // NULL or `doc_len` readable bytes (# Safety above).
    unsafe {
        call_buf(client, out, err, |c| {
            jobs::enqueue_bulk(c, bytes_arg(doc, doc_len, "doc")?)
        })
    }
}

/// Fetch one job (with its payload). Unknown id: `ZIZQ_E_NOT_FOUND`.
///
/// After an unknown outcome a retry is safe (a read).
/// # Safety
/// Any pointer may be NULL; otherwise `client` is a live client, `id` is NUL-
/// terminated, `out` and `err` are writable.
#[no_mangle]
pub unsafe extern "C" fn zizq_get_job(
    client: *const zizq_client,
    id: *const c_char,
    out: *mut zizq_buf,
    err: *mut *mut zizq_error,
) -> zizq_status {
    // SAFETY: `client`, `out` and `err` are valid or NULL as `call_buf` requires; `id` NULL
    // or a NUL-terminated string (# Safety above).
    unsafe {
        call_buf(client, out, err, |c| {
            jobs::get_job(c, segment_arg(id, "id")?)
        })
    }
}

/// List jobs. `doc` (may be empty): `{id, status, queue, type}` (a string or
/// an array of strings each), `{priority, ready_at, attempts}` (an integer,
/// `"lo..hi"` or `[lo, hi]`), `filter` (jq expression on the payload),
/// `from` (cursor), `order` (`"asc"`/`"desc"`), `limit` (1..2000).
/// An empty array or string for id/status/queue/type matches nothing: the
/// answer is an empty page and no request is made.
/// `*out`: `{"jobs": [...], "pages": {"self", "next", "prev"}}`; follow page
/// links with `zizq_get_path`.
///
/// After an unknown outcome a retry is safe (a read).
/// # Safety
/// Any pointer may be NULL; otherwise `client` is a live client, `doc` holds
/// `doc_len` readable bytes, `out` and `err` are writable.
#[no_mangle]
pub unsafe extern "C" fn zizq_list_jobs(
    client: *const zizq_client,
    doc: *const u8,
    doc_len: usize,
    out: *mut zizq_buf,
    err: *mut *mut zizq_error,
) -> zizq_status {
    // SAFETY: `client`, `out` and `err` are valid or NULL as `call_buf` requires; `doc`
    // NULL or `doc_len` readable bytes (# Safety above).
    unsafe {
        call_buf(client, out, err, |c| {
            jobs::list_jobs(c, bytes_arg(doc, doc_len, "doc")?)
        })
    }
}

/// Count jobs matching the filters of `zizq_list_jobs` (without `from`,
/// `order`, `limit`).
///
/// After an unknown outcome a retry is safe (a read).
/// # Safety
/// Any pointer may be NULL; otherwise `client` is a live client, `doc` holds
/// `doc_len` readable bytes, `out` and `err` are writable.
#[no_mangle]
pub unsafe extern "C" fn zizq_count_jobs(
    client: *const zizq_client,
    doc: *const u8,
    doc_len: usize,
    out: *mut i64,
    err: *mut *mut zizq_error,
) -> zizq_status {
    // SAFETY: `client`, `out` and `err` are valid or NULL as `call_count` requires; `doc`
    // NULL or `doc_len` readable bytes (# Safety above).
    unsafe {
        call_count(client, out, err, |c| {
            jobs::count_jobs(c, bytes_arg(doc, doc_len, "doc")?)
        })
    }
}

/// Update a job's mutable fields. `doc`: any of `queue`, `priority`,
/// `ready_at`, `retry_limit`, `backoff`, `retention`. A key that is absent
/// leaves the field unchanged; null resets it to the server default (not
/// allowed for `queue` and `priority`). `*out`: the updated job.
///
/// After an unknown outcome a retry is safe (it sets the same values).
/// # Safety
/// Any pointer may be NULL; otherwise `client` is a live client, `id` is NUL-
/// terminated, `doc` holds `doc_len` readable bytes, `out` and `err` are
/// writable.
#[no_mangle]
pub unsafe extern "C" fn zizq_update_job(
    client: *const zizq_client,
    id: *const c_char,
    doc: *const u8,
    doc_len: usize,
    out: *mut zizq_buf,
    err: *mut *mut zizq_error,
) -> zizq_status {
    // SAFETY: `client`, `out` and `err` are valid or NULL as `call_buf` requires; `id` NULL
    // or a NUL-terminated string, `doc` NULL or `doc_len` readable
    // bytes (# Safety above).
    unsafe {
        call_buf(client, out, err, |c| {
            jobs::update_job(c, segment_arg(id, "id")?, bytes_arg(doc, doc_len, "doc")?)
        })
    }
}

/// Update every job matching `where`. `doc`: `{"where": {filters},
/// "apply": {fields as in zizq_update_job}}`. `*out`: number of jobs patched.
///
/// After an unknown outcome a retry is safe (it sets the same values; the
/// count is then what the repeat patched).
/// # Safety
/// Any pointer may be NULL; otherwise `client` is a live client, `doc` holds
/// `doc_len` readable bytes, `out` and `err` are writable.
#[no_mangle]
pub unsafe extern "C" fn zizq_update_all_jobs(
    client: *const zizq_client,
    doc: *const u8,
    doc_len: usize,
    out: *mut i64,
    err: *mut *mut zizq_error,
) -> zizq_status {
    // SAFETY: `client`, `out` and `err` are valid or NULL as `call_count` requires; `doc`
    // NULL or `doc_len` readable bytes (# Safety above).
    unsafe {
        call_count(client, out, err, |c| {
            jobs::update_all_jobs(c, bytes_arg(doc, doc_len, "doc")?)
        })
    }
}

/// Delete one job, whatever its status.
///
/// After an unknown outcome a retry is safe; it may answer
/// `ZIZQ_E_NOT_FOUND` if the first attempt deleted the job.
/// # Safety
/// Any pointer may be NULL; otherwise `client` is a live client, `id` is NUL-
/// terminated, `err` is writable.
#[no_mangle]
pub unsafe extern "C" fn zizq_delete_job(
    client: *const zizq_client,
    id: *const c_char,
    err: *mut *mut zizq_error,
) -> zizq_status {
    // SAFETY: `client` and `err` are valid or NULL as `call_unit` requires; `id` NULL or a
    // NUL-terminated string (# Safety above).
    unsafe { call_unit(client, err, |c| jobs::delete_job(c, segment_arg(id, "id")?)) }
}

/// Delete every job matching `doc`: `{"where": {filters}}` (an empty `where`
/// deletes all jobs). `*out`: number deleted.
///
/// After an unknown outcome a retry is safe; the count is then what the
/// repeat deleted.
/// # Safety
/// Any pointer may be NULL; otherwise `client` is a live client, `doc` holds
/// `doc_len` readable bytes, `out` and `err` are writable.
#[no_mangle]
pub unsafe extern "C" fn zizq_delete_all_jobs(
    client: *const zizq_client,
    doc: *const u8,
    doc_len: usize,
    out: *mut i64,
    err: *mut *mut zizq_error,
) -> zizq_status {
    // SAFETY: `client`, `out` and `err` are valid or NULL as `call_count` requires; `doc`
    // NULL or `doc_len` readable bytes (# Safety above).
    unsafe {
        call_count(client, out, err, |c| {
            jobs::delete_all_jobs(c, bytes_arg(doc, doc_len, "doc")?)
        })
    }
}

/// Acknowledge one in-flight job (mark it completed). A job that is not in
/// flight: `ZIZQ_E_NOT_FOUND`.
///
/// After an unknown outcome a retry is safe; it answers `ZIZQ_E_NOT_FOUND`
/// if the first attempt completed the job.
/// # Safety
/// Any pointer may be NULL; otherwise `client` is a live client, `id` is NUL-
/// terminated, `err` is writable.
#[no_mangle]
pub unsafe extern "C" fn zizq_report_success(
    client: *const zizq_client,
    id: *const c_char,
    err: *mut *mut zizq_error,
) -> zizq_status {
    // SAFETY: `client` and `err` are valid or NULL as `call_unit` requires; `id` NULL or a
    // NUL-terminated string (# Safety above).
    unsafe {
        call_unit(client, err, |c| {
            jobs::report_success(c, segment_arg(id, "id")?)
        })
    }
}

/// Acknowledge many jobs. `doc`: an array of ids, or `{"ids": [...]}`.
/// Ids that are no longer in flight are ignored (the server's 422 counts as
/// success).
///
/// After an unknown outcome a retry is safe (ids already completed are
/// ignored).
/// # Safety
/// Any pointer may be NULL; otherwise `client` is a live client, `doc` holds
/// `doc_len` readable bytes, `err` is writable.
#[no_mangle]
pub unsafe extern "C" fn zizq_report_success_bulk(
    client: *const zizq_client,
    doc: *const u8,
    doc_len: usize,
    err: *mut *mut zizq_error,
) -> zizq_status {
    // SAFETY: `client` and `err` are valid or NULL as `call_unit` requires; `doc` NULL or
    // `doc_len` readable bytes (# Safety above).
    unsafe {
        call_unit(client, err, |c| {
            jobs::report_success_bulk(c, bytes_arg(doc, doc_len, "doc")?)
        })
    }
}

/// Report a failure (nack). `doc`: `{message, error_type?, backtrace?,
/// retry_at?, kill?}`. `*out`: the updated job (scheduled for a retry, or
/// dead).
///
/// After an unknown outcome a retry is safe; it answers `ZIZQ_E_NOT_FOUND`
/// if the first attempt was recorded (the job is no longer in flight).
/// # Safety
/// Any pointer may be NULL; otherwise `client` is a live client, `id` is NUL-
/// terminated, `doc` holds `doc_len` readable bytes, `out` and `err` are
/// writable.
#[no_mangle]
pub unsafe extern "C" fn zizq_report_failure(
    client: *const zizq_client,
    id: *const c_char,
    doc: *const u8,
    doc_len: usize,
    out: *mut zizq_buf,
    err: *mut *mut zizq_error,
) -> zizq_status {
    // SAFETY: `client`, `out` and `err` are valid or NULL as `call_buf` requires; `id` NULL
    // or a NUL-terminated string, `doc` NULL or `doc_len` readable
    // bytes (# Safety above).
    unsafe {
        call_buf(client, out, err, |c| {
            jobs::report_failure(c, segment_arg(id, "id")?, bytes_arg(doc, doc_len, "doc")?)
        })
    }
}

/// List a job's error records. `doc` (may be empty): `{from, order, limit}`.
/// `*out`: `{"errors": [...], "pages": {...}}`.
///
/// After an unknown outcome a retry is safe (a read).
/// # Safety
/// Any pointer may be NULL; otherwise `client` is a live client, `id` is NUL-
/// terminated, `doc` holds `doc_len` readable bytes, `out` and `err` are
/// writable.
#[no_mangle]
pub unsafe extern "C" fn zizq_list_errors(
    client: *const zizq_client,
    id: *const c_char,
    doc: *const u8,
    doc_len: usize,
    out: *mut zizq_buf,
    err: *mut *mut zizq_error,
) -> zizq_status {
    // SAFETY: `client`, `out` and `err` are valid or NULL as `call_buf` requires; `id` NULL
    // or a NUL-terminated string, `doc` NULL or `doc_len` readable
    // bytes (# Safety above).
    unsafe {
        call_buf(client, out, err, |c| {
            jobs::list_errors(c, segment_arg(id, "id")?, bytes_arg(doc, doc_len, "doc")?)
        })
    }
}

/// Fetch the error record of one attempt (1-based).
///
/// After an unknown outcome a retry is safe (a read).
/// # Safety
/// Any pointer may be NULL; otherwise `client` is a live client, `id` is NUL-
/// terminated, `out` and `err` are writable.
#[no_mangle]
pub unsafe extern "C" fn zizq_get_error(
    client: *const zizq_client,
    id: *const c_char,
    attempt: u32,
    out: *mut zizq_buf,
    err: *mut *mut zizq_error,
) -> zizq_status {
    // SAFETY: `client`, `out` and `err` are valid or NULL as `call_buf` requires; `id` NULL
    // or a NUL-terminated string (# Safety above).
    unsafe {
        call_buf(client, out, err, |c| {
            jobs::get_error(c, segment_arg(id, "id")?, attempt)
        })
    }
}
