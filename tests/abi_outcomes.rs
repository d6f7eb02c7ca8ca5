//! Dead connections and unknown outcomes through the C ABI: a request that
//! times out on a silent connection retires it, keep-alive finds silent
//! connections, and errors tell "not acted on — safe to retry" from "sent,
//! outcome unknown" (retryable only for operations safe to repeat).

// The tests drive the C ABI as a C program does: every unsafe call passes
// handles and buffers the library returned, or locals that outlive the call.
#![allow(clippy::undocumented_unsafe_blocks)]

mod common;

use common::*;
use serde_json::json;
use std::sync::Arc;
use zizq::ffi::client::*;

fn job() -> serde_json::Value {
    json!({"type": "t", "queue": "q", "payload": 1})
}

#[test]
fn a_request_that_times_out_retires_its_connection() {
    let env = Env::new();
    let Some(control) = env.control() else { return };
    // Keep-alive far beyond the test: only the timeout can retire it.
    let c = env.client_with(json!({
        "format": "json",
        "read_timeout_ms": 500,
        "keepalive_interval_ms": 600_000,
    }));
    c.health().unwrap();
    control.blackhole(1);
    let err = c.health().unwrap_err();
    assert_eq!(err.status, S::ZIZQ_E_TIMEOUT, "{err:?}");
    // The next request opens a fresh connection instead of waiting on the
    // silent one.
    c.health().expect("the request after a timeout succeeds");
    let id = c.enqueue(job()).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(c.get_job(&id).unwrap()["id"], id.as_str());
}

#[test]
fn keepalive_closes_a_silent_connection_before_the_read_timeout() {
    let env = Env::new();
    let Some(control) = env.control() else { return };
    let c = env.client_with(json!({
        "format": "msgpack",
        "read_timeout_ms": 60_000,
        "keepalive_interval_ms": 100,
        "keepalive_timeout_ms": 100,
    }));
    c.health().unwrap();
    control.blackhole(1);
    // The unanswered PING closes the connection long before the read
    // timeout: a POST fails as a connection error whose outcome is unknown...
    let err = c.enqueue(job()).unwrap_err();
    assert_eq!(err.status, S::ZIZQ_E_CONNECTION, "{err:?}");
    assert!(err.outcome_unknown && !err.retryable, "{err:?}");
    // ...and a GET is sent again on a new connection.
    control.blackhole(1);
    c.health().expect("GET retried on a fresh connection");
}

#[test]
fn nothing_sent_is_safe_to_retry() {
    // Nobody listens on port 1: nothing was acted on, whatever the operation.
    let c = Client::new("http://127.0.0.1:1", &json!({"connect_timeout_ms": 2000})).unwrap();
    for err in [
        c.health().unwrap_err(),
        c.enqueue(job()).unwrap_err(),
        c.enqueue_bulk(vec![job()]).unwrap_err(),
    ] {
        assert_eq!(err.status, S::ZIZQ_E_CONNECTION, "{err:?}");
        assert!(err.retryable && !err.outcome_unknown, "{err:?}");
    }
    // A 503 answer: the server did not act.
    let env = Env::new();
    let Some(control) = env.control() else { return };
    let c = env.client("json");
    control.fail_requests(503, 1, Some("POST"), Some("/jobs"));
    let err = c.enqueue(job()).unwrap_err();
    assert_eq!((err.status, err.http), (S::ZIZQ_E_SERVER, 503));
    assert!(err.retryable && !err.outcome_unknown, "{err:?}");
    // 429 and 408 are worth retrying; other 4xx are not.
    for (status, retryable) in [(429, true), (408, true), (409, false), (400, false)] {
        control.fail_requests(status, 1, None, Some("/jobs"));
        let err = c.enqueue(job()).unwrap_err();
        assert_eq!((err.http, err.retryable), (status, retryable), "{err:?}");
        assert!(!err.outcome_unknown);
    }
}

#[test]
fn sent_without_an_answer_is_retryable_only_when_a_repeat_is_harmless() {
    let env = Env::new();
    let Some(control) = env.control() else { return };
    let c = env.client_with(json!({"format": "json", "read_timeout_ms": 500}));
    let id = c.enqueue(job()).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let expect_unknown = |err: Err, retryable: bool| {
        assert!(err.outcome_unknown, "{err:?}");
        assert_eq!(err.retryable, retryable, "{err:?}");
        assert!(err.message.contains("sent"), "{}", err.message);
    };

    // The connection goes silent after the request was read.
    control.blackhole(1);
    let err = c.enqueue(job()).unwrap_err();
    assert_eq!(err.status, S::ZIZQ_E_TIMEOUT);
    expect_unknown(err, false);
    control.blackhole(1);
    let err = c.enqueue_bulk(vec![job()]).unwrap_err();
    expect_unknown(err, false);
    control.blackhole(1);
    let err = c.get_job(&id).unwrap_err();
    assert_eq!(err.status, S::ZIZQ_E_TIMEOUT);
    expect_unknown(err, true);
    control.blackhole(1);
    expect_unknown(c.delete_job("no-such-job").unwrap_err(), true);
    control.blackhole(1);
    expect_unknown(c.report_success("no-such-job").unwrap_err(), true);
    // The escape hatch: POST may duplicate, other methods may not.
    control.blackhole(1);
    let body = c.enc(&job());
    expect_unknown(c.request("POST", "/jobs", Some(&body)).unwrap_err(), false);
    control.blackhole(1);
    expect_unknown(c.request("GET", "/jobs", None).unwrap_err(), true);

    // The connection is reset after the request was read: the POST is not
    // sent again; the GET is sent again once, then reported.
    control.reset_connections(1);
    let err = c.enqueue(job()).unwrap_err();
    assert_eq!(err.status, S::ZIZQ_E_CONNECTION, "{err:?}");
    expect_unknown(err, false);
    control.reset_connections(2);
    let err = c.get_job(&id).unwrap_err();
    assert_eq!(err.status, S::ZIZQ_E_CONNECTION, "{err:?}");
    expect_unknown(err, true);
    assert_eq!(c.get_job(&id).unwrap()["id"], id.as_str());
}

#[test]
fn cancelled_or_closed_in_flight_is_an_unknown_outcome() {
    let env = Env::new();
    let Some(control) = env.control() else { return };
    let c = Arc::new(env.client("json"));
    let d = Arc::new(c.derive());
    c.health().unwrap();
    control.set_delay_ms(10_000);
    let enqueue = {
        let d = d.clone();
        std::thread::spawn(move || d.enqueue(job()))
    };
    wait_until(5, "request in flight", || control.state().requests >= 2);
    assert_eq!(unsafe { zizq_client_cancel(d.ptr) }, S::ZIZQ_OK);
    let err = enqueue.join().unwrap().unwrap_err();
    assert_eq!(err.status, S::ZIZQ_E_CANCELLED);
    assert!(err.outcome_unknown && !err.retryable, "{err:?}");
    let get = {
        let c = c.clone();
        std::thread::spawn(move || c.health())
    };
    wait_until(5, "request in flight", || control.state().requests >= 3);
    c.close();
    let err = get.join().unwrap().unwrap_err();
    assert_eq!(err.status, S::ZIZQ_E_CLOSED);
    assert!(err.outcome_unknown && !err.retryable, "{err:?}");
    // A call refused because the client is closed sent nothing.
    let err = c.enqueue(job()).unwrap_err();
    assert_eq!(err.status, S::ZIZQ_E_CLOSED);
    assert!(!err.outcome_unknown);
}
