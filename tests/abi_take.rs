//! Take streams, the callback loop and the exported parser, through the C ABI.

// The tests drive the C ABI as a C program does: every unsafe call passes
// handles and buffers the library returned, or locals that outlive the call.
#![allow(clippy::undocumented_unsafe_blocks)]

mod common;

use common::*;
use serde_json::json;
use std::ffi::c_void;
use std::ptr;
use std::time::{Duration, Instant};
use zizq::ffi::client::zizq_client_close_streams;
use zizq::ffi::parser::*;
use zizq::ffi::take::*;

#[derive(Debug)]
struct Stream(*mut zizq_take_stream);
unsafe impl Send for Stream {}
unsafe impl Sync for Stream {}
impl Drop for Stream {
    fn drop(&mut self) {
        unsafe { zizq_take_free(self.0) }
    }
}

fn open(c: &Client, options: serde_json::Value) -> R<Stream> {
    let d = c.enc(&options);
    let mut s = ptr::null_mut();
    check(|e| unsafe { zizq_take_open(c.ptr, d.as_ptr(), d.len(), &mut s, e) })?;
    Ok(Stream(s))
}

/// A thread waiting without a timeout in `next`, once it is blocked there
/// (another reader is then refused as busy).
fn blocked_waiter(s: &std::sync::Arc<Stream>) -> std::thread::JoinHandle<R<Vec<Taken>>> {
    let waiter = {
        let s = s.clone();
        std::thread::spawn(move || next(&s, 0, -1))
    };
    wait_until(
        5,
        "the waiter to block",
        || matches!(next(s, 0, 0), Err(ref e) if e.status == S::ZIZQ_E_BUSY),
    );
    waiter
}

/// A job of a batch: id, type, queue and the decoded document.
type Taken = (String, String, String, serde_json::Value);

/// Ids (and raw docs) of the next batch; empty on timeout.
fn next(s: &Stream, max: usize, timeout_ms: i64) -> R<Vec<Taken>> {
    let mut batch = ptr::null_mut();
    check(|e| unsafe { zizq_take_next(s.0, max, timeout_ms, &mut batch, e) })?;
    if batch.is_null() {
        return Ok(vec![]);
    }
    let mut out = vec![];
    unsafe {
        let n = zizq_batch_len(batch);
        let jobs = std::slice::from_raw_parts(zizq_batch_jobs(batch), n);
        for j in jobs {
            let doc = std::slice::from_raw_parts(j.doc, j.doc_len);
            out.push((
                name(j.id),
                name(j.r#type),
                name(j.queue),
                serde_json::Value::Null,
            ));
            let last = out.last_mut().unwrap();
            last.3 = zizq::codec::decode(zizq::codec::Format::Json, doc)
                .or_else(|_| zizq::codec::decode(zizq::codec::Format::Msgpack, doc))
                .unwrap();
        }
        assert!(zizq_batch_get(batch, n).is_null());
        zizq_batch_free(batch);
    }
    Ok(out)
}

#[test]
fn stream_delivers_batches_in_dispatch_order() {
    let env = Env::new();
    for format in FORMATS {
        let c = env.client(format);
        c.enqueue(json!({"type": "low", "queue": "s", "payload": 1, "priority": 9}))
            .unwrap();
        let ids = seed_jobs(&c, "s", 3);
        let s = open(
            &c,
            json!({"prefetch": 10, "queues": ["s", "other"], "worker_id": "w-1"}),
        )
        .unwrap();
        let mut got = vec![];
        while got.len() < 4 {
            got.extend(next(&s, 0, 5000).unwrap());
        }
        // Lower priority numbers are served first.
        assert_eq!(got[0].1, "low");
        assert_eq!(
            got[1..].iter().map(|j| j.0.clone()).collect::<Vec<_>>(),
            ids
        );
        assert_eq!(got[1].2, "s");
        assert_eq!(got[1].3["status"], "in_flight");
        assert_eq!(got[1].3["payload"], json!({"n": 0}));
        for j in &got {
            c.report_success(&j.0).unwrap();
        }
        // max_jobs limits the batch size.
        seed_jobs(&c, "s", 3);
        let mut sizes = vec![];
        let mut total = 0;
        while total < 3 {
            let b = next(&s, 1, 5000).unwrap();
            total += b.len();
            sizes.push(b.len());
            for j in b {
                c.report_success(&j.0).unwrap();
            }
        }
        assert!(sizes.iter().all(|&n| n <= 1), "{sizes:?}");
        c.erase_all_data().unwrap();
    }
}

#[test]
fn timeout_wakeup_fd_and_close() {
    let env = Env::new();
    let c = env.client("msgpack");
    let s = open(&c, json!({})).unwrap();
    let fd = unsafe { zizq_take_fd(s.0) };
    assert!(fd >= 0);
    let readable = |ms: i32| readable(fd, ms);
    assert!(!readable(0));
    let t = Instant::now();
    assert!(next(&s, 0, 100).unwrap().is_empty());
    assert!(t.elapsed() >= Duration::from_millis(90));

    // A wakeup makes the next call return at once, and the fd readable.
    assert_eq!(unsafe { zizq_take_wakeup(s.0) }, S::ZIZQ_OK);
    assert!(readable(0));
    let t = Instant::now();
    assert!(next(&s, 0, 10_000).unwrap().is_empty());
    assert!(t.elapsed() < Duration::from_secs(5));
    assert!(!readable(0));

    // A job makes the fd readable.
    seed_jobs(&c, "default", 1);
    assert!(readable(5000));
    assert_eq!(next(&s, 0, 0).unwrap().len(), 1);

    // Only one reader at a time; close from another thread wakes it.
    let s = std::sync::Arc::new(s);
    let waiter = blocked_waiter(&s);
    assert_eq!(unsafe { zizq_take_close(s.0) }, S::ZIZQ_OK);
    assert_eq!(unsafe { zizq_take_close(s.0) }, S::ZIZQ_OK, "idempotent");
    let err = waiter.join().unwrap().unwrap_err();
    assert_eq!(err.status, S::ZIZQ_E_CLOSED);
    assert!(readable(0));
}

#[test]
fn heartbeats_keep_an_idle_stream_alive_and_silence_kills_it() {
    let env = Env::new();
    let Some(control) = env.control() else { return };
    for format in FORMATS {
        let c = env.client_with(json!({"format": format, "stream_idle_timeout_ms": 600}));
        let s = open(&c, json!({})).unwrap();
        // Heartbeats every 100 ms: a 1.5 s wait sees no failure.
        assert!(next(&s, 0, 1500).unwrap().is_empty());
        control.set_heartbeats(false);
        let err = next(&s, 0, 5000).unwrap_err();
        assert_eq!(err.status, S::ZIZQ_E_TIMEOUT, "{}", err.message);
        assert!(err.retryable);
        assert!(err.message.contains("silent"), "{}", err.message);
        // The failure is sticky.
        assert_eq!(next(&s, 0, 0).unwrap_err().status, S::ZIZQ_E_TIMEOUT);
        control.set_heartbeats(true);
    }
}

#[test]
fn server_side_faults_end_or_break_the_stream() {
    let env = Env::new();
    let Some(control) = env.control() else { return };
    for format in FORMATS {
        let c = env.client(format);
        // Closed by the server: the end is reported, jobs first.
        let s = open(&c, json!({"prefetch": 5})).unwrap();
        seed_jobs(&c, "f", 2);
        wait_until(5, "jobs delivered", || control.state().in_flight == 2);
        assert!(control.close_streams() >= 1);
        let mut got = 0;
        let err = loop {
            match next(&s, 0, 5000) {
                Ok(b) => got += b.len(),
                Err(e) => break e,
            }
        };
        assert_eq!(got, 2);
        assert_eq!(err.status, S::ZIZQ_E_STREAM_ENDED);
        c.erase_all_data().unwrap();

        // A corrupt frame breaks the stream with a clear error.
        control.corrupt_next_frame(true);
        let s = open(&c, json!({})).unwrap();
        seed_jobs(&c, "f", 1);
        let err = next(&s, 0, 5000).unwrap_err();
        assert_eq!(err.status, S::ZIZQ_E_STREAM, "{}", err.message);
        assert!(err.message.contains("invalid job frame"), "{}", err.message);
        drop(s);
        c.erase_all_data().unwrap();

        // A truncated frame followed by the end of the stream.
        control.truncate_next_frame(true);
        let s = open(&c, json!({})).unwrap();
        seed_jobs(&c, "f", 1);
        let err = next(&s, 0, 5000).unwrap_err();
        assert_eq!(err.status, S::ZIZQ_E_STREAM, "{}", err.message);
        assert!(err.message.contains("truncated"), "{}", err.message);
        drop(s);
        c.erase_all_data().unwrap();

        // A refused take request.
        control.fail_requests(503, 1, Some("GET"), Some("/jobs/take"));
        let err = open(&c, json!({})).unwrap_err();
        assert_eq!((err.status, err.http), (S::ZIZQ_E_STREAM, 503));
        assert!(err.retryable);
        assert_eq!(err.message, "take stream returned HTTP 503: injected fault");
        control.clear_faults();
    }
}

#[test]
fn invalid_take_options_are_refused_locally() {
    let env = Env::new();
    let c = env.client("json");
    for bad in [
        json!({"prefetch": -1}),
        json!({"queues": [1]}),
        json!({"queues": ["a,b"]}),
        json!({"bogus": 1}),
    ] {
        let err = open(&c, bad.clone()).unwrap_err();
        assert_eq!(err.status, S::ZIZQ_E_INVALID_ARG, "{bad}");
    }
    let mut s = ptr::null_mut();
    let bad = b"{not json";
    let err = check(|e| unsafe { zizq_take_open(c.ptr, bad.as_ptr(), bad.len(), &mut s, e) })
        .unwrap_err();
    assert_eq!(err.status, S::ZIZQ_E_DECODE);
    let err =
        check(|e| unsafe { zizq_take_next(ptr::null(), 0, 0, ptr::null_mut(), e) }).unwrap_err();
    assert_eq!(err.status, S::ZIZQ_E_NULL_ARG);
}

struct Seen {
    connected: bool,
    ids: Vec<String>,
    client: *const zizq::ffi::client::zizq_client,
    stop_after: usize,
}

/// # Safety
/// `user` is the `Seen` passed to `zizq_take_jobs`.
unsafe extern "C" fn on_connect(user: *mut c_void) {
    unsafe { (*(user as *mut Seen)).connected = true };
}

/// # Safety
/// `user` is the `Seen` passed to `zizq_take_jobs`; `job` is valid for the call.
unsafe extern "C" fn on_job(user: *mut c_void, job: *const zizq_job) -> i32 {
    let seen = unsafe { &mut *(user as *mut Seen) };
    let id = name(unsafe { (*job).id });
    // Callbacks may call back into the library (here: ack the job).
    let cid = cstr(&id);
    let status =
        unsafe { zizq::ffi::jobs::zizq_report_success(seen.client, cid.as_ptr(), ptr::null_mut()) };
    // NOT_FOUND when the server already ended the stream and requeued the job.
    assert!(
        matches!(status, S::ZIZQ_OK | S::ZIZQ_E_NOT_FOUND),
        "{status:?}"
    );
    seen.ids.push(id);
    (seen.ids.len() >= seen.stop_after) as i32
}

#[test]
fn callback_loop_runs_on_the_calling_thread_until_asked_to_stop() {
    let env = Env::new();
    for format in FORMATS {
        let c = env.client(format);
        let ids = seed_jobs(&c, "cb", 5);
        let mut seen = Seen {
            connected: false,
            ids: vec![],
            client: c.ptr,
            stop_after: 3,
        };
        let d = c.enc(&json!({"prefetch": 2, "queues": ["cb"]}));
        check(|e| unsafe {
            zizq_take_jobs(
                c.ptr,
                d.as_ptr(),
                d.len(),
                Some(on_connect),
                Some(on_job),
                &mut seen as *mut Seen as *mut c_void,
                e,
            )
        })
        .unwrap();
        assert!(seen.connected);
        assert_eq!(seen.ids, ids[..3]);
        assert_eq!(c.count_jobs(json!({"queue": "cb"})).unwrap(), 2);
        c.erase_all_data().unwrap();
    }
    // A NULL job callback is refused.
    let c = env.client("json");
    let err =
        check(|e| unsafe { zizq_take_jobs(c.ptr, ptr::null(), 0, None, None, ptr::null_mut(), e) })
            .unwrap_err();
    assert_eq!(err.status, S::ZIZQ_E_NULL_ARG);
}

#[test]
fn callback_loop_returns_when_the_server_ends_the_stream() {
    let env = Env::new();
    let Some(control) = env.control() else { return };
    let c = env.client("json");
    let ids = seed_jobs(&c, "end", 2);
    control.close_streams_after_jobs(2);
    let mut seen = Seen {
        connected: false,
        ids: vec![],
        client: c.ptr,
        stop_after: usize::MAX,
    };
    let d = c.enc(&json!({"prefetch": 5}));
    check(|e| unsafe {
        zizq_take_jobs(
            c.ptr,
            d.as_ptr(),
            d.len(),
            None,
            Some(on_job),
            &mut seen as *mut Seen as *mut c_void,
            e,
        )
    })
    .unwrap();
    assert_eq!(seen.ids, ids);
}

fn parser(format: i32, max: usize) -> *mut zizq_parser {
    let mut p = ptr::null_mut();
    check(|e| unsafe { zizq_parser_new(format, max, &mut p, e) }).unwrap();
    p
}

fn feed(p: *mut zizq_parser, data: &[u8]) -> R<Vec<Vec<u8>>> {
    let mut frames = ptr::null_mut();
    check(|e| unsafe { zizq_parser_feed(p, data.as_ptr(), data.len(), &mut frames, e) })?;
    let mut out = vec![];
    for i in 0..unsafe { zizq_frames_len(frames) } {
        let (mut d, mut l) = (ptr::null(), 0);
        assert_eq!(
            unsafe { zizq_frames_get(frames, i, &mut d, &mut l) },
            S::ZIZQ_OK
        );
        out.push(unsafe { std::slice::from_raw_parts(d, l).to_vec() });
    }
    unsafe { zizq_frames_free(frames) };
    Ok(out)
}

#[test]
fn exported_parser_frames_both_formats() {
    use zizq::ffi::client::zizq_format::*;
    // NDJSON split anywhere, heartbeats skipped, \r stripped.
    let p = parser(ZIZQ_FORMAT_JSON as i32, 0);
    assert!(feed(p, b"\n{\"a\"").unwrap().is_empty());
    assert_eq!(
        feed(p, b":1}\r\n\n{\"b\":2}\n").unwrap(),
        vec![b"{\"a\":1}".to_vec(), b"{\"b\":2}".to_vec()]
    );
    check(|e| unsafe { zizq_parser_finish(p, e) }).unwrap();
    assert!(feed(p, b"{\"c\":").unwrap().is_empty());
    let err = check(|e| unsafe { zizq_parser_finish(p, e) }).unwrap_err();
    assert_eq!(err.status, S::ZIZQ_E_STREAM);
    unsafe { zizq_parser_free(p) };

    // Malformed JSON in a frame.
    let p = parser(ZIZQ_FORMAT_JSON as i32, 0);
    assert_eq!(feed(p, b"{bad}\n").unwrap_err().status, S::ZIZQ_E_DECODE);
    unsafe { zizq_parser_free(p) };

    // Length-prefixed MessagePack, byte by byte, with a heartbeat.
    let doc = zizq::codec::encode(zizq::codec::Format::Msgpack, &json!({"id": "x"}));
    let mut stream = vec![0, 0, 0, 0];
    stream.extend((doc.len() as u32).to_be_bytes());
    stream.extend(&doc);
    let p = parser(ZIZQ_FORMAT_MSGPACK as i32, 1024);
    let mut frames = vec![];
    for b in &stream {
        frames.extend(feed(p, std::slice::from_ref(b)).unwrap());
    }
    assert_eq!(frames, vec![doc.clone()]);
    // Oversized frames are refused instead of buffered.
    let err = feed(p, &[0, 1, 0, 0]).unwrap_err();
    assert_eq!(err.status, S::ZIZQ_E_FRAME_TOO_LARGE);
    unsafe { zizq_parser_free(p) };

    let mut p = ptr::null_mut();
    let err = check(|e| unsafe { zizq_parser_new(7, 0, &mut p, e) }).unwrap_err();
    assert_eq!(err.status, S::ZIZQ_E_INVALID_ARG);
    let (mut d, mut l) = (ptr::null(), 0);
    assert_eq!(
        unsafe { zizq_frames_get(ptr::null(), 0, &mut d, &mut l) },
        S::ZIZQ_E_NULL_ARG
    );
}

#[test]
fn close_streams_ends_every_stream_and_keeps_the_client() {
    let env = Env::new();
    let c = std::sync::Arc::new(env.client("json"));
    let s = std::sync::Arc::new(open(&c, json!({"prefetch": 1})).unwrap());
    let waiter = blocked_waiter(&s);
    assert_eq!(unsafe { zizq_client_close_streams(c.ptr) }, S::ZIZQ_OK);
    assert_eq!(waiter.join().unwrap().unwrap_err().status, S::ZIZQ_E_CLOSED);
    // The client still works, and so do streams opened afterwards.
    assert!(c.health().is_ok());
    let fresh = open(&c, json!({"prefetch": 1})).unwrap();
    let ids = seed_jobs(&c, "default", 1);
    assert_eq!(next(&fresh, 0, 5000).unwrap()[0].0, ids[0]);

    // A stream still connecting when the streams are closed opens already
    // over: a listener that accepts and never answers keeps it connecting.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    let c = std::sync::Arc::new(Client::new(&url, &json!({"format": "json"})).unwrap());
    let opening = {
        let c = c.clone();
        std::thread::spawn(move || open(&c, json!({"prefetch": 1})).map(|s| next(&s, 0, 0)))
    };
    let started = Instant::now();
    std::thread::sleep(Duration::from_millis(150));
    assert_eq!(unsafe { zizq_client_close_streams(c.ptr) }, S::ZIZQ_OK);
    let after_open = opening.join().unwrap().expect("the open itself succeeds");
    assert_eq!(after_open.unwrap_err().status, S::ZIZQ_E_CLOSED);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "not the read timeout"
    );
    drop(silent);
    assert_eq!(
        unsafe { zizq_client_close_streams(ptr::null()) },
        S::ZIZQ_E_NULL_ARG
    );
}
