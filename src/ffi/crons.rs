//! Header section: Cron groups and entries (a Pro feature).
//!
//! Cron operations (a Pro feature of the server: a free server answers 403,
//! reported as `ZIZQ_E_CLIENT` with HTTP status 403).

use super::client::{call_buf, call_count, call_unit, zizq_client};
use super::error::zizq_error;
use super::{bytes_arg, segment_arg, zizq_buf};
use crate::api::crons;
use crate::error::zizq_status;
use std::ffi::c_char;

/// `*out`: `{"crons": [group names]}`.
///
/// After an unknown outcome a retry is safe (a read).
/// # Safety
/// Any pointer may be NULL; otherwise `client` is a live client, `out` and
/// `err` are writable.
#[no_mangle]
pub unsafe extern "C" fn zizq_list_cron_groups(
    client: *const zizq_client,
    out: *mut zizq_buf,
    err: *mut *mut zizq_error,
) -> zizq_status {
    // SAFETY: `client`, `out` and `err` are valid or NULL as `call_buf` requires (# Safety
    // above).
    unsafe { call_buf(client, out, err, crons::list_cron_groups) }
}

/// `*out`: the group with its entries.
///
/// After an unknown outcome a retry is safe (a read).
/// # Safety
/// Any pointer may be NULL; otherwise `client` is a live client, `group` is
/// NUL-terminated, `out` and `err` are writable.
#[no_mangle]
pub unsafe extern "C" fn zizq_get_cron_group(
    client: *const zizq_client,
    group: *const c_char,
    out: *mut zizq_buf,
    err: *mut *mut zizq_error,
) -> zizq_status {
    // SAFETY: `client`, `out` and `err` are valid or NULL as `call_buf` requires; `group`
    // NULL or a NUL-terminated string (# Safety above).
    unsafe {
        call_buf(client, out, err, |c| {
            crons::get_cron_group(c, segment_arg(group, "group")?)
        })
    }
}

/// Create or replace a whole group. `doc`: `{"paused": bool|null, "entries":
/// [{name, expression, job, timezone?, paused?}, ...]}`. Entries missing from
/// `entries` are deleted; unchanged expressions keep their schedule.
///
/// After an unknown outcome a retry is safe (a PUT sets the same group).
/// # Safety
/// Any pointer may be NULL; otherwise `client` is a live client, `group` is
/// NUL-terminated, `doc` holds `doc_len` readable bytes, `out` and `err` are
/// writable.
#[no_mangle]
pub unsafe extern "C" fn zizq_replace_cron_group(
    client: *const zizq_client,
    group: *const c_char,
    doc: *const u8,
    doc_len: usize,
    out: *mut zizq_buf,
    err: *mut *mut zizq_error,
) -> zizq_status {
    // SAFETY: `client`, `out` and `err` are valid or NULL as `call_buf` requires; `group`
    // NULL or a NUL-terminated string, `doc` NULL or `doc_len` readable
    // bytes (# Safety above).
    unsafe {
        call_buf(client, out, err, |c| {
            crons::replace_cron_group(
                c,
                segment_arg(group, "group")?,
                bytes_arg(doc, doc_len, "doc")?,
            )
        })
    }
}

/// Pause or resume a group. `doc`: `{"paused": bool}`.
///
/// After an unknown outcome a retry is safe (it sets the same value).
/// # Safety
/// Any pointer may be NULL; otherwise `client` is a live client, `group` is
/// NUL-terminated, `doc` holds `doc_len` readable bytes, `out` and `err` are
/// writable.
#[no_mangle]
pub unsafe extern "C" fn zizq_update_cron_group(
    client: *const zizq_client,
    group: *const c_char,
    doc: *const u8,
    doc_len: usize,
    out: *mut zizq_buf,
    err: *mut *mut zizq_error,
) -> zizq_status {
    // SAFETY: `client`, `out` and `err` are valid or NULL as `call_buf` requires; `group`
    // NULL or a NUL-terminated string, `doc` NULL or `doc_len` readable
    // bytes (# Safety above).
    unsafe {
        call_buf(client, out, err, |c| {
            crons::update_cron_group(
                c,
                segment_arg(group, "group")?,
                bytes_arg(doc, doc_len, "doc")?,
            )
        })
    }
}

/// Delete a group and its entries.
///
/// After an unknown outcome a retry is safe; it may answer
/// `ZIZQ_E_NOT_FOUND` if the first attempt deleted the group.
/// # Safety
/// Any pointer may be NULL; otherwise `client` is a live client, `group` is
/// NUL-terminated, `err` is writable.
#[no_mangle]
pub unsafe extern "C" fn zizq_delete_cron_group(
    client: *const zizq_client,
    group: *const c_char,
    err: *mut *mut zizq_error,
) -> zizq_status {
    // SAFETY: `client` and `err` are valid or NULL as `call_unit` requires; `group` NULL or
    // a NUL-terminated string (# Safety above).
    unsafe {
        call_unit(client, err, |c| {
            crons::delete_cron_group(c, segment_arg(group, "group")?)
        })
    }
}

/// Delete every cron group. `*out`: number of groups deleted.
///
/// After an unknown outcome a retry is safe; the count is then what the
/// repeat deleted.
/// # Safety
/// Any pointer may be NULL; otherwise `client` is a live client, `out` and
/// `err` are writable.
#[no_mangle]
pub unsafe extern "C" fn zizq_delete_all_crons(
    client: *const zizq_client,
    out: *mut i64,
    err: *mut *mut zizq_error,
) -> zizq_status {
    // SAFETY: `client`, `out` and `err` are valid or NULL as `call_count` requires (#
    // Safety above).
    unsafe { call_count(client, out, err, crons::delete_all_crons) }
}

/// Add an entry (creating the group if needed). `doc`: `{name, expression,
/// job, timezone?, paused?}`. An existing entry name: `ZIZQ_E_CLIENT` (409).
///
/// After an unknown outcome a retry is safe (nothing is created twice); it
/// answers 409 if the first attempt added the entry.
/// # Safety
/// Any pointer may be NULL; otherwise `client` is a live client, `group` is
/// NUL-terminated, `doc` holds `doc_len` readable bytes, `out` and `err` are
/// writable.
#[no_mangle]
pub unsafe extern "C" fn zizq_add_cron_group_entry(
    client: *const zizq_client,
    group: *const c_char,
    doc: *const u8,
    doc_len: usize,
    out: *mut zizq_buf,
    err: *mut *mut zizq_error,
) -> zizq_status {
    // SAFETY: `client`, `out` and `err` are valid or NULL as `call_buf` requires; `group`
    // NULL or a NUL-terminated string, `doc` NULL or `doc_len` readable
    // bytes (# Safety above).
    unsafe {
        call_buf(client, out, err, |c| {
            crons::add_cron_group_entry(
                c,
                segment_arg(group, "group")?,
                bytes_arg(doc, doc_len, "doc")?,
            )
        })
    }
}

/// `*out`: one entry.
///
/// After an unknown outcome a retry is safe (a read).
/// # Safety
/// Any pointer may be NULL; otherwise `client` is a live client, `group` is
/// NUL-terminated, `entry` is NUL-terminated, `out` and `err` are writable.
#[no_mangle]
pub unsafe extern "C" fn zizq_get_cron_group_entry(
    client: *const zizq_client,
    group: *const c_char,
    entry: *const c_char,
    out: *mut zizq_buf,
    err: *mut *mut zizq_error,
) -> zizq_status {
    // SAFETY: `client`, `out` and `err` are valid or NULL as `call_buf` requires; `group`
    // and `entry` NULL or NUL-terminated strings (# Safety above).
    unsafe {
        call_buf(client, out, err, |c| {
            crons::get_cron_group_entry(
                c,
                segment_arg(group, "group")?,
                segment_arg(entry, "entry")?,
            )
        })
    }
}

/// Create or replace one entry. `doc`: `{expression, job, timezone?,
/// paused?}`. The name is `entry` (sent in the body as the server requires);
/// a `name` key in `doc` is refused, as the Ruby client's keywords refuse it.
///
/// After an unknown outcome a retry is safe (a PUT sets the same entry).
/// # Safety
/// Any pointer may be NULL; otherwise `client` is a live client, `group` is
/// NUL-terminated, `entry` is NUL-terminated, `doc` holds `doc_len` readable
/// bytes, `out` and `err` are writable.
#[no_mangle]
pub unsafe extern "C" fn zizq_replace_cron_group_entry(
    client: *const zizq_client,
    group: *const c_char,
    entry: *const c_char,
    doc: *const u8,
    doc_len: usize,
    out: *mut zizq_buf,
    err: *mut *mut zizq_error,
) -> zizq_status {
    // SAFETY: `client`, `out` and `err` are valid or NULL as `call_buf` requires; `group`
    // and `entry` NULL or NUL-terminated strings, `doc` NULL or
    // `doc_len` readable bytes (# Safety above).
    unsafe {
        call_buf(client, out, err, |c| {
            crons::replace_cron_group_entry(
                c,
                segment_arg(group, "group")?,
                segment_arg(entry, "entry")?,
                bytes_arg(doc, doc_len, "doc")?,
            )
        })
    }
}

/// Pause or resume one entry. `doc`: `{"paused": bool}`.
///
/// After an unknown outcome a retry is safe (it sets the same value).
/// # Safety
/// Any pointer may be NULL; otherwise `client` is a live client, `group` is
/// NUL-terminated, `entry` is NUL-terminated, `doc` holds `doc_len` readable
/// bytes, `out` and `err` are writable.
#[no_mangle]
pub unsafe extern "C" fn zizq_update_cron_group_entry(
    client: *const zizq_client,
    group: *const c_char,
    entry: *const c_char,
    doc: *const u8,
    doc_len: usize,
    out: *mut zizq_buf,
    err: *mut *mut zizq_error,
) -> zizq_status {
    // SAFETY: `client`, `out` and `err` are valid or NULL as `call_buf` requires; `group`
    // and `entry` NULL or NUL-terminated strings, `doc` NULL or
    // `doc_len` readable bytes (# Safety above).
    unsafe {
        call_buf(client, out, err, |c| {
            crons::update_cron_group_entry(
                c,
                segment_arg(group, "group")?,
                segment_arg(entry, "entry")?,
                bytes_arg(doc, doc_len, "doc")?,
            )
        })
    }
}

/// Delete one entry.
///
/// After an unknown outcome a retry is safe; it may answer
/// `ZIZQ_E_NOT_FOUND` if the first attempt deleted the entry.
/// # Safety
/// Any pointer may be NULL; otherwise `client` is a live client, `group` is
/// NUL-terminated, `entry` is NUL-terminated, `err` is writable.
#[no_mangle]
pub unsafe extern "C" fn zizq_delete_cron_group_entry(
    client: *const zizq_client,
    group: *const c_char,
    entry: *const c_char,
    err: *mut *mut zizq_error,
) -> zizq_status {
    // SAFETY: `client` and `err` are valid or NULL as `call_unit` requires; `group` and
    // `entry` NULL or NUL-terminated strings (# Safety above).
    unsafe {
        call_unit(client, err, |c| {
            crons::delete_cron_group_entry(
                c,
                segment_arg(group, "group")?,
                segment_arg(entry, "entry")?,
            )
        })
    }
}
