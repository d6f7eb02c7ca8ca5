//! Error paths, bad input, concurrency and shutdown, through the C ABI.

// The tests drive the C ABI as a C program does: every unsafe call passes
// handles and buffers the library returned, or locals that outlive the call.
#![allow(clippy::undocumented_unsafe_blocks)]

mod common;

use common::*;
use serde_json::json;
use std::ptr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use zizq::ffi::client::*;
use zizq::ffi::jobs::*;

#[test]
fn client_creation_reports_bad_urls_and_options() {
    let cases: &[(&str, serde_json::Value, &str)] = &[
        ("ftp://x", json!({}), "unsupported scheme"),
        ("localhost:7890", json!({}), "URL"),
        ("http://", json!({}), "URL"),
        ("http://h:1?x=1", json!({}), "query"),
        ("http://h:1", json!({"format": "xml"}), "unknown format"),
        (
            "http://h:1",
            json!({"read_timeout_ms": -5}),
            "read_timeout_ms",
        ),
        ("http://h:1", json!({"connections": 0}), "connections"),
        ("http://h:1", json!({"bogus": true}), "unknown key `bogus`"),
        ("http://h:1", json!({"tls": {"ca_pem": "x"}}), "https"),
        ("https://h:1", json!({"tls": {"ca_pem": "not a pem"}}), "CA"),
        (
            "https://h:1",
            json!({"tls": {"ca_file": "/no/such/file.pem"}}),
            "cannot read",
        ),
        (
            "https://h:1",
            json!({"tls": {"client_key_pem": "x"}}),
            "both",
        ),
    ];
    for (url, options, needle) in cases {
        let err = Client::new(url, options).unwrap_err();
        assert!(
            matches!(err.status, S::ZIZQ_E_INVALID_ARG | S::ZIZQ_E_TLS),
            "{url} {options}: {err:?}"
        );
        assert!(
            err.message.contains(needle),
            "{url} {options}: {}",
            err.message
        );
    }
    // Options must be JSON.
    let url = cstr("http://h:1");
    let mut out = ptr::null_mut();
    let bad = b"\x81\xa1a\x01";
    let err =
        check(|e| unsafe { zizq_client_new(url.as_ptr(), bad.as_ptr(), bad.len(), &mut out, e) })
            .unwrap_err();
    assert_eq!(err.status, S::ZIZQ_E_INVALID_ARG);
    assert!(out.is_null(), "outputs are written only on success");
    // NULL and invalid UTF-8.
    let err = check(|e| unsafe { zizq_client_new(ptr::null(), ptr::null(), 0, &mut out, e) })
        .unwrap_err();
    assert_eq!(err.status, S::ZIZQ_E_NULL_ARG);
    let bad_utf8 = [b'h', 0xff, 0];
    let err = check(|e| unsafe {
        zizq_client_new(bad_utf8.as_ptr().cast(), ptr::null(), 0, &mut out, e)
    })
    .unwrap_err();
    assert_eq!(err.status, S::ZIZQ_E_INVALID_ARG);
    assert!(err.message.contains("UTF-8"));
    let err =
        check(|e| unsafe { zizq_client_new(url.as_ptr(), ptr::null(), 0, ptr::null_mut(), e) })
            .unwrap_err();
    assert_eq!(err.status, S::ZIZQ_E_NULL_ARG);
    // A NULL error pointer is allowed.
    assert_eq!(
        unsafe { zizq_client_new(ptr::null(), ptr::null(), 0, &mut out, ptr::null_mut()) },
        S::ZIZQ_E_NULL_ARG
    );

    let c = Client::new("http://127.0.0.1:1/prefix/", &json!({"format": "json"})).unwrap();
    let url = buf(|o, e| unsafe { zizq_client_url(c.ptr, o, e) }).unwrap();
    assert_eq!(url, b"http://127.0.0.1:1/prefix");
    assert_eq!(
        unsafe { zizq_client_format(c.ptr) },
        zizq_format::ZIZQ_FORMAT_JSON
    );
}

#[test]
fn bad_arguments_get_clear_errors() {
    let env = Env::new();
    for format in FORMATS {
        let c = env.client(format);
        // Malformed documents.
        for bad in [&b"{\"type\":"[..], &b"\xc1"[..], &b"[1,2] x"[..]] {
            let mut out = zizq::ffi::zizq_buf {
                data: ptr::null_mut(),
                len: 0,
                cap: 0,
            };
            let err =
                check(|e| unsafe { zizq_enqueue(c.ptr, bad.as_ptr(), bad.len(), &mut out, e) })
                    .unwrap_err();
            assert!(
                matches!(err.status, S::ZIZQ_E_DECODE | S::ZIZQ_E_INVALID_ARG),
                "{err:?}"
            );
        }
        // Missing or unknown keys.
        let err = c.enqueue(json!({"type": "t", "queue": "q"})).unwrap_err();
        assert_eq!(err.status, S::ZIZQ_E_INVALID_ARG);
        assert!(err.message.contains("payload"));
        let err = c
            .enqueue(json!({"type": "t", "queue": "q", "payload": 1, "colour": "red"}))
            .unwrap_err();
        assert!(
            err.message.contains("unknown key `colour`"),
            "{}",
            err.message
        );
        let err = c.list_jobs(json!({"limit": "ten"})).unwrap_err();
        assert_eq!(err.status, S::ZIZQ_E_INVALID_ARG);
        // The server's validation comes back as a client error with its message.
        let err = c
            .enqueue(json!({"type": "t", "queue": "a,b", "payload": 1}))
            .unwrap_err();
        assert_eq!((err.status, err.http), (S::ZIZQ_E_CLIENT, 400));
        assert_eq!(err.message, "queue must not contain ','");
        let err = c.list_jobs(json!({"limit": 5000})).unwrap_err();
        assert_eq!(err.message, "limit must be between 1 and 2000");
        let err = c.list_jobs(json!({"filter": ".a ==="})).unwrap_err();
        assert!(err.message.starts_with("invalid filter"), "{}", err.message);
        // NULL and invalid UTF-8 ids.
        let err = check(|e| unsafe { zizq_delete_job(c.ptr, ptr::null(), e) }).unwrap_err();
        assert_eq!(err.status, S::ZIZQ_E_NULL_ARG);
        let bad_id = [0xc3u8, 0x28, 0];
        let err =
            check(|e| unsafe { zizq_delete_job(c.ptr, bad_id.as_ptr().cast(), e) }).unwrap_err();
        assert_eq!(err.status, S::ZIZQ_E_INVALID_ARG);
        let err = check(|e| unsafe { zizq_report_success(ptr::null(), bad_id.as_ptr().cast(), e) })
            .unwrap_err();
        assert_eq!(err.status, S::ZIZQ_E_NULL_ARG);
        // NULL output pointers.
        let d = c.enc(&json!({}));
        let err =
            check(|e| unsafe { zizq_count_jobs(c.ptr, d.as_ptr(), d.len(), ptr::null_mut(), e) })
                .unwrap_err();
        assert_eq!(err.status, S::ZIZQ_E_NULL_ARG);
        // A non-NULL pointer with length 0 is an empty document; NULL with a length is refused.
        let err =
            check(|e| unsafe { zizq_count_jobs(c.ptr, ptr::null(), 3, &mut 0, e) }).unwrap_err();
        assert_eq!(err.status, S::ZIZQ_E_NULL_ARG);
        // Ids are percent-encoded: odd ids are just unknown jobs.
        for id in ["a/b", "../health", "x?y=1", "sp ace", "ünï"] {
            assert_eq!(
                c.get_job(id).unwrap_err().status,
                S::ZIZQ_E_NOT_FOUND,
                "{id}"
            );
        }
    }
}

#[test]
fn empty_ids_and_names_are_refused_before_any_request() {
    use zizq::ffi::crons::*;
    // Nobody listens on port 1: a request would fail with ZIZQ_E_CONNECTION.
    let c = Client::new("http://127.0.0.1:1", &json!({"format": "json"})).unwrap();
    let empty = cstr("");
    let name = cstr("n");
    let doc = c.enc(&json!({}));
    let failure = c.enc(&json!({"message": "m"}));
    let (d, f) = ((doc.as_ptr(), doc.len()), (failure.as_ptr(), failure.len()));
    let calls: Vec<(&str, R<Vec<u8>>)> = vec![
        (
            "get_job",
            buf(|o, e| unsafe { zizq_get_job(c.ptr, empty.as_ptr(), o, e) }),
        ),
        (
            "update_job",
            buf(|o, e| unsafe { zizq_update_job(c.ptr, empty.as_ptr(), d.0, d.1, o, e) }),
        ),
        (
            "delete_job",
            check(|e| unsafe { zizq_delete_job(c.ptr, empty.as_ptr(), e) }).map(|_| vec![]),
        ),
        (
            "report_success",
            check(|e| unsafe { zizq_report_success(c.ptr, empty.as_ptr(), e) }).map(|_| vec![]),
        ),
        (
            "report_failure",
            buf(|o, e| unsafe { zizq_report_failure(c.ptr, empty.as_ptr(), f.0, f.1, o, e) }),
        ),
        (
            "list_errors",
            buf(|o, e| unsafe { zizq_list_errors(c.ptr, empty.as_ptr(), d.0, d.1, o, e) }),
        ),
        (
            "get_error",
            buf(|o, e| unsafe { zizq_get_error(c.ptr, empty.as_ptr(), 1, o, e) }),
        ),
        (
            "get_cron_group",
            buf(|o, e| unsafe { zizq_get_cron_group(c.ptr, empty.as_ptr(), o, e) }),
        ),
        (
            "delete_cron_group",
            check(|e| unsafe { zizq_delete_cron_group(c.ptr, empty.as_ptr(), e) }).map(|_| vec![]),
        ),
        (
            "get_cron_group_entry (group)",
            buf(|o, e| unsafe {
                zizq_get_cron_group_entry(c.ptr, empty.as_ptr(), name.as_ptr(), o, e)
            }),
        ),
        (
            "get_cron_group_entry (entry)",
            buf(|o, e| unsafe {
                zizq_get_cron_group_entry(c.ptr, name.as_ptr(), empty.as_ptr(), o, e)
            }),
        ),
        (
            "delete_cron_group_entry",
            check(|e| unsafe {
                zizq_delete_cron_group_entry(c.ptr, name.as_ptr(), empty.as_ptr(), e)
            })
            .map(|_| vec![]),
        ),
    ];
    for (call, result) in calls {
        let err = result.unwrap_err();
        assert_eq!(err.status, S::ZIZQ_E_INVALID_ARG, "{call}: {err:?}");
        assert!(
            err.message.contains("must not be empty"),
            "{call}: {}",
            err.message
        );
    }
    let ids = c.enc(&json!({"ids": ["a", ""]}));
    let err = check(|e| unsafe { zizq_report_success_bulk(c.ptr, ids.as_ptr(), ids.len(), e) })
        .unwrap_err();
    assert_eq!(err.status, S::ZIZQ_E_INVALID_ARG, "{err:?}");
}

#[test]
fn server_errors_and_dead_servers_are_retryable() {
    let env = Env::new();
    if let Some(control) = env.control() {
        let c = env.client("json");
        control.fail_requests(503, 1, None, Some("/health"));
        let err = c.health().unwrap_err();
        assert_eq!(
            (err.status, err.http, err.retryable),
            (S::ZIZQ_E_SERVER, 503, true)
        );
        assert_eq!(err.message, "injected fault");
        assert!(c.health().is_ok());
        // A reset connection: a GET is retried once on a new connection...
        control.reset_connections(1);
        assert!(c.health().is_ok());
        // ...a POST is not (the server may have acted on it: its outcome is
        // unknown, so it is not retryable), and the next call reconnects.
        control.reset_connections(1);
        let err = c
            .enqueue(json!({"type": "t", "queue": "q", "payload": 1}))
            .unwrap_err();
        assert_eq!(err.status, S::ZIZQ_E_CONNECTION, "{err:?}");
        assert!(err.outcome_unknown && !err.retryable, "{err:?}");
        assert!(c
            .enqueue(json!({"type": "t", "queue": "q", "payload": 1}))
            .is_ok());
    }
    // Nobody listens on port 1.
    let c = Client::new("http://127.0.0.1:1", &json!({"connect_timeout_ms": 2000})).unwrap();
    let err = c.health().unwrap_err();
    assert_eq!(err.status, S::ZIZQ_E_CONNECTION);
    assert!(err.retryable);
    assert!(err.message.contains("127.0.0.1:1"), "{}", err.message);
}

#[test]
fn slow_answers_time_out() {
    let env = Env::new();
    let Some(control) = env.control() else { return };
    let c = env.client_with(json!({"format": "json", "read_timeout_ms": 200}));
    control.set_delay_ms(1000);
    let t = Instant::now();
    let err = c.health().unwrap_err();
    assert_eq!(err.status, S::ZIZQ_E_TIMEOUT);
    assert!(t.elapsed() < Duration::from_millis(900));
    control.set_delay_ms(0);
    assert!(c.health().is_ok(), "the connection is still usable");
}

#[test]
fn concurrent_calls_are_multiplexed() {
    let env = Env::new();
    let Some(control) = env.control() else { return };
    let c = Arc::new(env.client("msgpack"));
    c.health().unwrap(); // connect first
    control.set_delay_ms(200);
    let t = Instant::now();
    let threads: Vec<_> = (0..16)
        .map(|_| {
            let c = c.clone();
            std::thread::spawn(move || c.health().unwrap())
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let elapsed = t.elapsed();
    // Serialized calls would take 16 x 200 ms = 3.2 s.
    assert!(elapsed < Duration::from_millis(1600), "took {elapsed:?}");
    assert_eq!(
        control.state().connections,
        1,
        "one shared HTTP/2 connection"
    );
}

#[test]
fn close_wakes_blocked_calls_and_later_calls_fail() {
    let env = Env::new();
    let Some(control) = env.control() else { return };
    let c = Arc::new(env.client("json"));
    control.set_delay_ms(10_000);
    let blocked = {
        let c = c.clone();
        std::thread::spawn(move || c.health())
    };
    wait_until(5, "request in flight", || control.state().requests >= 1);
    let t = Instant::now();
    c.close();
    let err = blocked.join().unwrap().unwrap_err();
    assert_eq!(err.status, S::ZIZQ_E_CLOSED);
    assert!(t.elapsed() < Duration::from_secs(2));
    c.close(); // idempotent
    assert_eq!(c.health().unwrap_err().status, S::ZIZQ_E_CLOSED);
    assert_eq!(
        c.enqueue(json!({"type": "t", "queue": "q", "payload": 1}))
            .unwrap_err()
            .status,
        S::ZIZQ_E_CLOSED
    );
    let d = c.enc(&json!({}));
    let mut s = ptr::null_mut();
    let err = check(|e| unsafe {
        zizq::ffi::take::zizq_take_open(c.ptr, d.as_ptr(), d.len(), &mut s, e)
    })
    .unwrap_err();
    assert_eq!(err.status, S::ZIZQ_E_CLOSED);
    // Close/free tolerate NULL.
    assert_eq!(
        unsafe { zizq_client_close(ptr::null()) },
        S::ZIZQ_E_NULL_ARG
    );
    unsafe { zizq_client_free(ptr::null_mut()) };
    unsafe { zizq::ffi::zizq_buf_free(ptr::null_mut()) };
    unsafe { zizq::ffi::error::zizq_error_free(ptr::null_mut()) };
}

#[test]
fn error_object_accessors_tolerate_null() {
    use zizq::ffi::error::*;
    unsafe {
        assert_eq!(zizq_error_status(ptr::null()), S::ZIZQ_E_NULL_ARG);
        assert_eq!(zizq_error_http_status(ptr::null()), 0);
        assert_eq!(name(zizq_error_message(ptr::null())), "");
        let mut len = 7;
        assert!(zizq_error_body(ptr::null(), &mut len).is_null());
        assert_eq!(len, 0);
        assert!(!zizq_error_retryable(ptr::null()));
    }
}

#[test]
fn derived_handles_cancel_their_own_calls() {
    let env = Env::new();
    let Some(control) = env.control() else { return };
    let c = Arc::new(env.client("json"));
    let d = Arc::new(c.derive());
    control.set_delay_ms(3000);
    let on_parent = {
        let c = c.clone();
        std::thread::spawn(move || c.health())
    };
    let on_derived = {
        let d = d.clone();
        std::thread::spawn(move || d.health())
    };
    wait_until(5, "both requests in flight", || {
        control.state().requests >= 2
    });
    let t = Instant::now();
    assert_eq!(unsafe { zizq_client_cancel(d.ptr) }, S::ZIZQ_OK);
    let err = on_derived.join().unwrap().unwrap_err();
    assert_eq!(err.status, S::ZIZQ_E_CANCELLED);
    assert!(t.elapsed() < Duration::from_secs(2));
    // The parent's call was not affected.
    assert!(on_parent.join().unwrap().is_ok());
    control.set_delay_ms(0);
    // Cancel is an edge, not a state: the next call works.
    assert!(d.health().is_ok());
    // Closing the parent closes the derived handle.
    c.close();
    assert_eq!(d.health().unwrap_err().status, S::ZIZQ_E_CLOSED);
}
