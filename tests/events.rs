//! Events and figures through the C ABI: what a reconnect, a retried ack and
//! a refused batch report, that a flood of events keeps the queue bounded,
//! and that the client's figures move.

// The tests drive the C ABI as a C program does: every unsafe call passes
// handles and buffers the library returned, or locals that outlive the call.
#![allow(clippy::undocumented_unsafe_blocks)]

mod common;

use common::*;
use serde_json::{json, Value};
use std::ptr;
use std::sync::Arc;
use zizq::ffi::observe::*;
use zizq::ffi::take::*;
use zizq::ffi::worker::*;

fn next_events(c: &Client, max: usize, timeout_ms: i64) -> R<Vec<Value>> {
    let b = buf(|o, e| unsafe { zizq_client_next_events(c.ptr, max, timeout_ms, o, e) })?;
    Ok(c.dec(&b).as_array().expect("an array of events").clone())
}

fn stats(c: &Client) -> Value {
    c.dec(&buf(|o, e| unsafe { zizq_client_stats(c.ptr, o, e) }).unwrap())
}

/// Read events until one of `area`/`kind` arrives (panics after 10 s);
/// returns it and every event read before it.
fn wait_for_event(c: &Client, area: &str, kind: &str) -> (Value, Vec<Value>) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut seen = Vec::new();
    while std::time::Instant::now() < deadline {
        // One at a time, so that events after the one wanted stay queued.
        for event in next_events(c, 1, 200).unwrap() {
            if event["area"] == area && event["kind"] == kind {
                return (event, seen);
            }
            seen.push(event);
        }
    }
    panic!("no {area}/{kind} event; saw {seen:#?}");
}

fn readable(fd: i32) -> bool {
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    unsafe { libc::poll(&mut p, 1, 0) == 1 }
}

struct Worker {
    ptr: *mut zizq_worker,
}
impl Drop for Worker {
    fn drop(&mut self) {
        unsafe { zizq_worker_free(self.ptr) }
    }
}

fn worker(c: &Client, options: Value) -> Worker {
    let d = c.enc(&options);
    let mut ptr = ptr::null_mut();
    check(|e| unsafe { zizq_worker_new(c.ptr, d.as_ptr(), d.len(), &mut ptr, e) }).unwrap();
    Worker { ptr }
}

/// Take one job from the worker and ack it.
fn take_and_ack(w: &Worker) -> String {
    loop {
        let mut batch = ptr::null_mut();
        check(|e| unsafe { zizq_worker_next(w.ptr, 1, 5000, &mut batch, e) }).unwrap();
        if batch.is_null() {
            continue;
        }
        let id = unsafe { name((*zizq_batch_get(batch, 0)).id) };
        unsafe { zizq_batch_free(batch) };
        check(|e| unsafe { zizq_worker_ack(w.ptr, cstr(&id).as_ptr(), e) }).unwrap();
        return id;
    }
}

#[test]
fn connections_and_retries_are_reported_and_counted() {
    let env = Env::new();
    let Some(control) = env.control() else { return };
    let c = env.client("json");
    let fd = unsafe { zizq_client_events_fd(c.ptr) };
    assert!(fd >= 0);
    assert!(!readable(fd), "nothing happened yet");
    c.health().unwrap();
    assert!(readable(fd), "readable while events are queued");
    let events = next_events(&c, 0, 0).unwrap();
    let opened = &events[0];
    assert_eq!(opened["area"], "transport");
    assert_eq!(opened["kind"], "connection_opened");
    assert_eq!(opened["level"], "info");
    assert_eq!(opened["fields"]["url"], env.url.as_str());
    assert!(opened["time_ms"].as_u64().unwrap() > 0);
    assert!(!readable(fd), "not readable once every event is read");
    assert_eq!(next_events(&c, 0, 0).unwrap(), Vec::<Value>::new());

    // A reset connection: the GET goes again on a new connection.
    control.reset_connections(1);
    c.health().unwrap();
    let (retried, _) = wait_for_event(&c, "transport", "request_retried");
    assert_eq!(retried["level"], "info");
    assert_eq!(retried["fields"]["method"], "GET");
    assert_eq!(retried["fields"]["path"], "/health");
    let s = stats(&c);
    assert_eq!(s["retries"], 1);
    assert_eq!(s["open_connections"], 1);
    assert_eq!(s["requests_ok"], 2);

    // Derived handles report into the same queue and figures.
    let d = c.derive();
    control.fail_requests(503, 1, Some("GET"), Some("/health"));
    assert!(d.health().is_err());
    assert_eq!(stats(&c)["requests_server_error"], 1);
    assert_eq!(stats(&d)["requests"], 3);
    assert_eq!(unsafe { zizq_client_events_fd(d.ptr) }, fd);
}

#[test]
fn figures_count_outcomes_bytes_and_latency() {
    let env = Env::new();
    let Some(control) = env.control() else { return };
    let c = env.client_with(json!({"format": "json", "read_timeout_ms": 300}));
    let before = stats(&c);
    assert_eq!(before["requests"], 0);
    assert_eq!(before["latency_p50_ms"], Value::Null);
    for _ in 0..5 {
        c.enqueue(json!({"type": "t", "queue": "q", "payload": {"x": 1}}))
            .unwrap();
    }
    control.set_delay_ms(1000);
    assert_eq!(c.health().unwrap_err().status, S::ZIZQ_E_TIMEOUT);
    control.set_delay_ms(0);
    let s = stats(&c);
    assert_eq!(s["requests"], 6);
    assert_eq!(s["requests_ok"], 5);
    assert_eq!(s["timeouts"], 1);
    assert!(s["bytes_out"].as_u64().unwrap() > 5 * 20);
    assert!(s["bytes_in"].as_u64().unwrap() > 0);
    assert_eq!(s["latency_samples"], 5, "timeouts are not latencies");
    let p50 = s["latency_p50_ms"].as_f64().unwrap();
    let p99 = s["latency_p99_ms"].as_f64().unwrap();
    assert!(p50 > 0.0 && p50 <= p99);
}

#[test]
fn the_level_option_filters_and_is_checked() {
    let env = Env::new();
    let quiet = env.client_with(json!({"format": "json", "log_level": "warn"}));
    quiet.health().unwrap();
    assert_eq!(next_events(&quiet, 0, 0).unwrap(), Vec::<Value>::new());
    let err = Client::new(&env.url, &json!({"log_level": "loud"})).unwrap_err();
    assert_eq!(err.status, S::ZIZQ_E_INVALID_ARG);
    assert!(err.message.contains("log_level"), "{}", err.message);
}

#[test]
fn a_worker_reconnect_is_a_warning_with_its_delay() {
    let env = Env::new();
    let Some(control) = env.control() else { return };
    let c = env.client("msgpack");
    let w = worker(&c, json!({"backoff_min_ms": 50, "backoff_max_ms": 200}));
    let (connected, _) = wait_for_event(&c, "worker", "stream_connected");
    assert_eq!(connected["fields"]["reconnect"], false);
    wait_until(10, "a take stream", || stats(&c)["take_streams"] == 1);
    control.close_streams();
    let (scheduled, _) = wait_for_event(&c, "worker", "reconnect_scheduled");
    assert_eq!(scheduled["level"], "warn");
    assert!(scheduled["fields"]["delay_ms"].is_u64());
    assert!(scheduled["message"]
        .as_str()
        .unwrap()
        .contains("reconnecting in"));
    let (again, _) = wait_for_event(&c, "worker", "stream_connected");
    assert_eq!(again["fields"]["reconnect"], true);
    check(|e| unsafe { zizq_worker_shutdown(w.ptr, 5000, e) }).unwrap();
    let (draining, _) = wait_for_event(&c, "worker", "draining");
    assert_eq!(draining["level"], "info");
    let (stopped, _) = wait_for_event(&c, "worker", "stopped");
    assert_eq!(stopped["level"], "info");
}

#[test]
fn a_retried_ack_is_a_warning_and_a_refused_batch_an_error() {
    let env = Env::new();
    let Some(control) = env.control() else { return };
    let c = Arc::new(env.client("json"));
    seed_jobs(&c, "q", 2);
    let w = worker(&c, json!({"backoff_min_ms": 50, "backoff_max_ms": 200}));

    control.fail_requests(503, 1, Some("POST"), Some("/jobs/success"));
    take_and_ack(&w);
    let (retried, _) = wait_for_event(&c, "worker", "acks_retried");
    assert_eq!(retried["level"], "warn");
    assert_eq!(retried["fields"]["count"], 1);
    assert_eq!(retried["fields"]["http_status"], 503);
    assert!(retried["fields"]["delay_ms"].is_u64());

    control.fail_requests(400, 1, Some("POST"), Some("/jobs/success"));
    take_and_ack(&w);
    let (refused, _) = wait_for_event(&c, "worker", "acks_refused");
    assert_eq!(refused["level"], "error");
    assert_eq!(refused["fields"]["count"], 1);
    assert_eq!(refused["fields"]["http_status"], 400);
    assert!(refused["message"].as_str().unwrap().contains("refused"));
    assert!(stats(&c)["requests_client_error"].as_u64().unwrap() >= 1);
}

#[test]
fn a_flood_of_events_keeps_the_queue_bounded() {
    let env = Env::new();
    let c = env.client_with(json!({"format": "json", "log_level": "debug"}));
    // Each take stream reports its connection and its close.
    let opts = c.enc(&json!({"queues": ["q"]}));
    let rounds: u64 = 700;
    for _ in 0..rounds {
        let mut s = ptr::null_mut();
        check(|e| unsafe { zizq_take_open(c.ptr, opts.as_ptr(), opts.len(), &mut s, e) }).unwrap();
        assert_eq!(unsafe { zizq_take_close(s) }, S::ZIZQ_OK);
        unsafe { zizq_take_free(s) };
    }
    wait_until(10, "every take stream to end", || {
        stats(&c)["take_streams"] == 0
    });
    let events = next_events(&c, 0, 0).unwrap();
    assert!(events.len() <= 1025, "{} events kept", events.len());
    let first = &events[0];
    assert_eq!(
        (&first["area"], &first["kind"]),
        (&json!("events"), &json!("dropped"))
    );
    assert_eq!(first["level"], "warn");
    let dropped = first["fields"]["count"].as_u64().unwrap();
    assert!(dropped >= 2 * rounds - 1024, "{dropped} dropped");
    assert_eq!(stats(&c)["events_dropped"], dropped);
    // The oldest went first: what is left ends with the latest.
    assert_eq!(events.last().unwrap()["kind"], "closed");
}

#[test]
fn closing_returns_the_last_events_then_closed() {
    let env = Env::new();
    let c = env.client("json");
    c.health().unwrap();
    c.close();
    let fd = unsafe { zizq_client_events_fd(c.ptr) };
    assert!(readable(fd));
    assert!(!next_events(&c, 1, -1).unwrap().is_empty());
    let err = next_events(&c, 0, -1).unwrap_err();
    assert_eq!(err.status, S::ZIZQ_E_CLOSED);
    assert!(
        readable(fd),
        "a closed client's reader would return at once"
    );
    let err =
        check(|e| unsafe { zizq_client_next_events(c.ptr, 0, 0, ptr::null_mut(), e) }).unwrap_err();
    assert_eq!(err.status, S::ZIZQ_E_NULL_ARG);
}
