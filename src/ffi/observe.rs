//! Header section: Logs and figures: client events and statistics.
//!
//! What a client reports: its events (pulled on the host's thread) and its
//! figures.

use super::client::{client_arg, zizq_client};
use super::error::zizq_error;
use super::{boundary, infallible, live_handle, out_arg, write_buf, zizq_buf};
use crate::error::zizq_status;
use crate::runtime::timeout_from_ms;
use serde_json::Value;
use std::time::Instant;

/// A descriptor that is readable exactly while `zizq_client_next_events`
/// would return at once (events are queued, a wakeup is pending, or the
/// client is closed), for `poll`/`epoll`/`select` or an event loop (asyncio
/// `add_reader`, Ruby `IO#wait_readable`). Never read it or close it: it belongs to the client
/// and stays valid until the last handle of the client is freed. Every handle
/// derived from a client reports the same descriptor. -1 for NULL or a handle
/// from before `fork()`.
/// # Safety
/// `client` is NULL or a live client.
#[no_mangle]
pub unsafe extern "C" fn zizq_client_events_fd(client: *const zizq_client) -> i32 {
    infallible(-1, || {
        // SAFETY: `client` is NULL or a live client (# Safety above).
        unsafe { live_handle(client, "client") }.map_or(-1, |c| c.client.observer().events.fd())
    })
}

/// Take up to `max_events` (0 = all) of the client's queued events, waiting
/// up to `timeout_ms` (negative = forever) for the first. Events are what the
/// library did that an operator may want to know (connections opened,
/// closed and retired, requests retried, take streams connected and ended,
/// worker reconnects and their delay, ack and nack batches retried, refused
/// or dropped, stale outcomes, worker draining and stopped, TLS failures),
/// from this client, every handle derived from it, and its take streams and
/// workers. No callback ever runs: the host reads events on its own thread.
///
/// On `ZIZQ_OK`, `*out` is an array in the client's document format (empty
/// after a timeout or `zizq_client_events_wakeup`), oldest first, of maps:
/// `time_ms` (milliseconds since the Unix epoch), `level` (`"debug"`,
/// `"info"`, `"warn"`, `"error"`), `area` (`"transport"`, `"take"`,
/// `"worker"`, `"events"`), `kind` (stable, e.g. `"reconnect_scheduled"`;
/// see the README for the list), `message` (one English line) and `fields`
/// (a map: e.g. `url`, `delay_ms`, `count`, `http_status`, `reason`).
///
/// Only events at the client's `log_level` option and above are kept (default
/// `"info"`). The queue holds at most 1024 events; when it is full the oldest
/// is dropped, and the next read starts with one `events`/`dropped` warning
/// whose `count` field says how many were lost (the total is in
/// `zizq_client_stats`). After `zizq_client_close`, the events still queued
/// are returned, then `ZIZQ_E_CLOSED`. Any thread; several threads may read
/// at once (each event goes to one of them).
/// # Safety
/// Any pointer may be NULL; otherwise `client` is a live client, `out` and
/// `err` are writable.
#[no_mangle]
pub unsafe extern "C" fn zizq_client_next_events(
    client: *const zizq_client,
    max_events: usize,
    timeout_ms: i64,
    out: *mut zizq_buf,
    err: *mut *mut zizq_error,
) -> zizq_status {
    boundary(err, || {
        // SAFETY: `client` is NULL or a live client, `out` NULL or writable
        // (# Safety above).
        let (client, out) = unsafe { (client_arg(client)?, out_arg(out, "out")?) };
        let deadline = timeout_from_ms(timeout_ms).map(|t| Instant::now() + t);
        let events = client.observer().events.next(max_events, deadline)?;
        let list = Value::Array(events.iter().map(|e| e.to_value()).collect());
        write_buf(out, client.document(&list));
        Ok(())
    })
}

/// Make the current (or next) `zizq_client_next_events` on this client (or
/// any handle of it) return at once, with the events queued, possibly none;
/// the events descriptor is readable until then. For the thread that
/// forwards events to a host's logger: how it is told to stop. Any thread.
/// Returns `ZIZQ_OK`, `ZIZQ_E_NULL_ARG` for NULL or `ZIZQ_E_FORKED` in a
/// fork child. No `err` argument: those statuses say all there is to say.
/// # Safety
/// `client` is NULL or a live client.
#[no_mangle]
pub unsafe extern "C" fn zizq_client_events_wakeup(client: *const zizq_client) -> zizq_status {
    boundary(std::ptr::null_mut(), || {
        // SAFETY: `client` is NULL or a live client (# Safety above).
        unsafe { client_arg(client) }?.observer().events.wakeup();
        Ok(())
    })
}

/// The client's figures, as a map in its document format in `*out`, shared
/// by every handle derived from it: `requests` (answered or failed, made by
/// the client, its derived handles and its workers; not take streams),
/// split by outcome into `requests_ok` (1xx–3xx), `requests_client_error`
/// (4xx), `requests_server_error` (5xx), `requests_failed` (no answer) and
/// `timeouts`; `retries` (requests sent again on a new connection after
/// theirs failed before answering); `open_connections` (request
/// connections); `take_streams` (open take streams, of workers too);
/// `bytes_out` and `bytes_in` (request and response bodies); the request
/// latency of answered requests over the last `latency_window_ms` (about a
/// minute): `latency_samples`, `latency_p50_ms`, `latency_p90_ms`,
/// `latency_p99_ms` (null without samples; resolution about 19%); and
/// `events_dropped` (see `zizq_client_next_events`). Keeping the figures
/// costs a request two clock reads and a few atomic additions; they are
/// always on. Any thread.
/// # Safety
/// Any pointer may be NULL; otherwise `client` is a live client, `out` and
/// `err` are writable.
#[no_mangle]
pub unsafe extern "C" fn zizq_client_stats(
    client: *const zizq_client,
    out: *mut zizq_buf,
    err: *mut *mut zizq_error,
) -> zizq_status {
    boundary(err, || {
        // SAFETY: `client` is NULL or a live client, `out` NULL or writable
        // (# Safety above).
        let (client, out) = unsafe { (client_arg(client)?, out_arg(out, "out")?) };
        write_buf(out, client.stats());
        Ok(())
    })
}
