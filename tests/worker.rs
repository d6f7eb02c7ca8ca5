//! The core's worker through the C ABI: throughput path, nacks, faults
//! (stream cuts, silent streams, failing and slow acks), shutdown order.

// The tests drive the C ABI as a C program does: every unsafe call passes
// handles and buffers the library returned, or locals that outlive the call.
#![allow(clippy::undocumented_unsafe_blocks)]

mod common;

use common::*;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::ptr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use zizq::ffi::take::*;
use zizq::ffi::worker::*;
use zizq_testserver::{Config, Control, TestServer};

struct Worker {
    ptr: *mut zizq_worker,
    client: Arc<Client>,
}
unsafe impl Send for Worker {}
unsafe impl Sync for Worker {}
impl Drop for Worker {
    fn drop(&mut self) {
        unsafe { zizq_worker_free(self.ptr) }
    }
}

/// A job handed to a handler.
#[derive(Debug)]
struct Taken {
    id: String,
    doc: Value,
}

impl Worker {
    fn new(client: Arc<Client>, options: Value) -> R<Worker> {
        let d = client.enc(&options);
        let mut ptr = ptr::null_mut();
        check(|e| unsafe { zizq_worker_new(client.ptr, d.as_ptr(), d.len(), &mut ptr, e) })?;
        Ok(Worker { ptr, client })
    }

    fn next(&self, max: usize, timeout_ms: i64) -> R<Vec<Taken>> {
        let mut batch = ptr::null_mut();
        check(|e| unsafe { zizq_worker_next(self.ptr, max, timeout_ms, &mut batch, e) })?;
        let mut out = vec![];
        unsafe {
            for i in 0..zizq_batch_len(batch) {
                let j = &*zizq_batch_get(batch, i);
                out.push(Taken {
                    id: name(j.id),
                    doc: self
                        .client
                        .dec(std::slice::from_raw_parts(j.doc, j.doc_len)),
                });
            }
            zizq_batch_free(batch);
        }
        Ok(out)
    }

    fn ack(&self, id: &str) -> R<()> {
        let id = cstr(id);
        check(|e| unsafe { zizq_worker_ack(self.ptr, id.as_ptr(), e) })
    }

    fn nack(&self, id: &str, failure: Value) -> R<()> {
        let id = cstr(id);
        let d = self.client.enc(&failure);
        check(|e| unsafe { zizq_worker_nack(self.ptr, id.as_ptr(), d.as_ptr(), d.len(), e) })
    }

    fn shutdown(&self, timeout_ms: i64) -> R<()> {
        check(|e| unsafe { zizq_worker_shutdown(self.ptr, timeout_ms, e) })
    }

    fn stats(&self) -> Value {
        let b = buf(|o, e| unsafe { zizq_worker_stats(self.ptr, o, e) }).unwrap();
        self.client.dec(&b)
    }
}

/// Run `threads` handler threads that ack every job until the server has
/// no job left; returns how many times each id was seen.
fn process_all(w: &Arc<Worker>, threads: usize) -> HashMap<String, usize> {
    let seen: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (w, seen, done) = (w.clone(), seen.clone(), done.clone());
            std::thread::spawn(move || {
                while !done.load(std::sync::atomic::Ordering::SeqCst) {
                    for job in w.next(1, 50).expect("next") {
                        *seen.lock().unwrap().entry(job.id.clone()).or_default() += 1;
                        w.ack(&job.id).expect("ack accepted");
                    }
                }
            })
        })
        .collect();
    wait_until(60, "every job acknowledged", || {
        w.client.count_jobs(json!({})).unwrap() == 0
    });
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    for h in handles {
        h.join().unwrap();
    }
    Arc::try_unwrap(seen).unwrap().into_inner().unwrap()
}

fn fast_options() -> Value {
    json!({"prefetch": 20, "backoff_min_ms": 20, "backoff_max_ms": 200})
}

#[test]
fn processes_every_job_in_both_formats() {
    let env = Env::new();
    for format in FORMATS {
        let c = Arc::new(env.client(format));
        let ids = seed_jobs(&c, "work", 300);
        let w =
            Arc::new(Worker::new(c.clone(), json!({"queues": ["work"], "prefetch": 50})).unwrap());
        let seen = process_all(&w, 4);
        assert_eq!(seen.len(), 300);
        w.shutdown(5000).unwrap();
        assert_eq!(
            c.count_jobs(json!({"queue": "work"})).unwrap(),
            0,
            "all acked (and purged)"
        );
        let s = w.stats();
        assert_eq!(s["state"], "stopped");
        assert_eq!(s["acked"], 300);
        assert_eq!(s["in_flight"], 0);
        assert_eq!(s["pending_acks"], 0);
        assert!(s["ack_requests"].as_u64().unwrap() <= 300);
        assert_eq!(s["dropped"], 0);
        // After shutdown: next and ack report the closed worker.
        assert_eq!(w.next(1, 0).unwrap_err().status, S::ZIZQ_E_CLOSED);
        assert_eq!(w.ack(&ids[0]).unwrap_err().status, S::ZIZQ_E_CLOSED);
        w.shutdown(0).unwrap(); // idempotent
    }
}

#[test]
fn jobs_delivered_together_reach_every_waiting_thread() {
    // Threads are woken one at a time, each by the one before that left
    // jobs over; handlers that wait for each other must still all start.
    let env = Env::new();
    let c = Arc::new(env.client("json"));
    let w = Arc::new(Worker::new(c.clone(), json!({"queues": ["meet"], "prefetch": 8})).unwrap());
    let threads = 4;
    let arrived = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (w, arrived) = (w.clone(), arrived.clone());
            std::thread::spawn(move || {
                let job = w.next(1, 20_000).expect("next").pop().expect("a job");
                arrived.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let deadline = Instant::now() + Duration::from_secs(10);
                while arrived.load(std::sync::atomic::Ordering::SeqCst) < threads {
                    assert!(Instant::now() < deadline, "a handler waited alone");
                    std::thread::sleep(Duration::from_millis(5));
                }
                w.ack(&job.id).expect("ack accepted");
            })
        })
        .collect();
    // Every thread is asleep in `next` before the jobs exist.
    std::thread::sleep(Duration::from_millis(200));
    seed_jobs(&c, "meet", threads);
    for h in handles {
        h.join().expect("every handler met the others");
    }
    w.shutdown(5000).unwrap();
    assert_eq!(w.stats()["acked"], threads);
}

#[test]
fn nacks_retry_later_or_kill() {
    let env = Env::new();
    for format in FORMATS {
        let c = Arc::new(env.client(format));
        c.erase_all_data().unwrap();
        let ids = seed_jobs(&c, "n", 2);
        let w = Worker::new(c.clone(), json!({"queues": ["n"]})).unwrap();
        let mut got = vec![];
        while got.len() < 2 {
            got.extend(w.next(0, 2000).unwrap());
        }
        assert_eq!(got[0].doc["queue"], "n");
        let later = 4_102_444_800_000u64;
        w.nack(&ids[0], json!({"message": "RuntimeError: boom", "error_type": "RuntimeError", "backtrace": "x.rb:1\ny.rb:2", "retry_at": later}))
            .unwrap();
        w.nack(&ids[1], json!({"message": "gave up", "kill": true}))
            .unwrap();
        assert_eq!(
            w.nack(&ids[1], json!({"no": "message"}))
                .unwrap_err()
                .status,
            S::ZIZQ_E_INVALID_ARG
        );
        w.shutdown(5000).unwrap();
        let job = c.get_job(&ids[0]).unwrap();
        assert_eq!(
            (job["status"].as_str(), job["ready_at"].as_u64()),
            (Some("scheduled"), Some(later))
        );
        assert_eq!(c.get_job(&ids[1]).unwrap()["status"], "dead");
        let id = cstr(&ids[0]);
        let rec = c.dec(
            &buf(|o, e| unsafe { zizq::ffi::jobs::zizq_get_error(c.ptr, id.as_ptr(), 1, o, e) })
                .unwrap(),
        );
        assert_eq!(rec["backtrace"], "x.rb:1\ny.rb:2");
        assert_eq!(w.stats()["nacked"], 2);
    }
}

#[test]
fn survives_stream_cuts() {
    let env = Env::new();
    let Some(control) = env.control() else { return };
    let c = Arc::new(env.client("msgpack"));
    let ids = seed_jobs(&c, "cut", 200);
    // The server must see acks to send more than `prefetch` jobs, so most
    // acks of a stream arrive before it is cut.
    control.close_streams_after_jobs(25);
    let w = Arc::new(
        Worker::new(
            c.clone(),
            json!({"prefetch": 10, "backoff_min_ms": 20, "backoff_max_ms": 200}),
        )
        .unwrap(),
    );
    let seen = process_all(&w, 3);
    control.clear_faults();
    w.shutdown(5000).unwrap();
    let s = w.stats();
    let duplicates: usize = seen.values().map(|n| n - 1).sum();
    assert_eq!(seen.len(), 200);
    assert!(
        ids.iter().all(|id| seen.contains_key(id)),
        "every job handled"
    );
    assert!(s["reconnects"].as_u64().unwrap() >= 5, "{s}");
    assert_eq!(c.count_jobs(json!({})).unwrap(), 0, "{s}");
    assert_eq!(s["in_flight"], 0);
    // Acks for jobs of a cut stream may find them requeued: counted as stale.
    assert_eq!(
        s["acked"].as_u64().unwrap() + s["stale"].as_u64().unwrap(),
        (200 + duplicates) as u64,
        "{s}"
    );
    eprintln!("stream cuts: {s} duplicates={duplicates}");
}

#[test]
fn reconnects_when_heartbeats_stop() {
    let env = Env::new();
    let Some(control) = env.control() else { return };
    let c = Arc::new(env.client_with(json!({"format": "json", "stream_idle_timeout_ms": 400})));
    let w = Arc::new(Worker::new(c.clone(), fast_options()).unwrap());
    wait_until(5, "connected", || w.stats()["connects"] == 1);
    control.set_heartbeats(false);
    wait_until(10, "idle stream detected", || {
        w.stats()["reconnects"].as_u64().unwrap() >= 1
    });
    control.set_heartbeats(true);
    let ids = seed_jobs(&c, "hb", 50);
    let seen = process_all(&w, 2);
    assert_eq!(seen.len(), 50);
    assert!(
        ids.iter().all(|id| seen.contains_key(id)),
        "every job handled"
    );
    w.shutdown(5000).unwrap();
    let s = w.stats();
    assert!(
        s["last_error"].as_str().unwrap_or("").contains("silent")
            || s["reconnects"].as_u64().unwrap() >= 1
    );
    assert_eq!(c.count_jobs(json!({})).unwrap(), 0);
}

#[test]
fn retries_failing_acks_and_tolerates_slow_answers() {
    let env = Env::new();
    let Some(control) = env.control() else { return };
    let c = Arc::new(env.client("msgpack"));
    let ids = seed_jobs(&c, "slow", 150);
    control.fail_requests(503, 6, Some("POST"), Some("/jobs/success"));
    control.set_delay_ms(30);
    let w = Arc::new(Worker::new(c.clone(), fast_options()).unwrap());
    let seen = process_all(&w, 4);
    assert_eq!(seen.len(), 150);
    assert!(
        ids.iter().all(|id| seen.contains_key(id)),
        "every job handled"
    );
    w.shutdown(20_000).unwrap();
    control.clear_faults();
    let s = w.stats();
    assert_eq!(c.count_jobs(json!({})).unwrap(), 0, "{s}");
    assert_eq!(s["pending_acks"], 0);
    assert_eq!(s["dropped"], 0);
    assert!(
        s["last_error"].as_str().unwrap().contains("injected fault"),
        "{s}"
    );
    eprintln!("failing acks: {s}");
}

#[test]
fn shutdown_waits_for_handed_out_jobs_and_flushes_their_acks() {
    let env = Env::new();
    let c = Arc::new(env.client("json"));
    let ids = seed_jobs(&c, "sd", 5);
    let w = Arc::new(Worker::new(c.clone(), json!({"prefetch": 5})).unwrap());
    let mut held = vec![];
    while held.len() < 3 {
        held.extend(w.next(3 - held.len(), 2000).unwrap());
    }
    // Shutdown starts while three jobs are being handled.
    let stopper = {
        let w = w.clone();
        std::thread::spawn(move || w.shutdown(10_000))
    };
    wait_until(5, "stopping", || w.stats()["state"] == "stopping");
    assert_eq!(
        w.next(1, 0).unwrap_err().status,
        S::ZIZQ_E_CLOSED,
        "no more jobs handed out"
    );
    std::thread::sleep(Duration::from_millis(100));
    for job in &held {
        w.ack(&job.id).unwrap();
    }
    stopper.join().unwrap().unwrap();
    for job in &held {
        assert_eq!(
            c.get_job(&job.id).unwrap_err().status,
            S::ZIZQ_E_NOT_FOUND,
            "acked and purged"
        );
    }
    // The two jobs never handed out went back to the queue.
    wait_until(5, "requeue", || {
        c.count_jobs(json!({"status": "ready"})).unwrap() == 2
    });
    assert_eq!(ids.len(), 5);
}

#[test]
fn shutdown_timeout_is_reported() {
    let env = Env::new();
    let c = Arc::new(env.client("json"));
    let ids = seed_jobs(&c, "to", 1);
    let w = Worker::new(c.clone(), json!({})).unwrap();
    let held = w.next(1, 2000).unwrap();
    assert_eq!(held[0].id, ids[0]);
    let err = w.shutdown(200).unwrap_err();
    assert_eq!(err.status, S::ZIZQ_E_TIMEOUT);
    assert!(err.message.contains("1 handed-out job"), "{}", err.message);
    wait_until(5, "requeue", || {
        c.get_job(&ids[0]).unwrap()["status"] == "ready"
    });
}

#[test]
fn refused_take_request_stops_the_worker() {
    let env = Env::new();
    let Some(control) = env.control() else { return };
    let c = Arc::new(env.client("json"));
    control.fail_requests(403, -1, Some("GET"), Some("/jobs/take"));
    let w = Worker::new(c.clone(), fast_options()).unwrap();
    let err = loop {
        match w.next(1, 2000) {
            Ok(_) => continue,
            Err(e) => break e,
        }
    };
    assert_eq!((err.status, err.http), (S::ZIZQ_E_STREAM, 403));
    assert_eq!(w.stats()["state"], "failed");
    w.shutdown(1000).unwrap();
}

#[test]
fn invalid_worker_options_and_wakeup() {
    let env = Env::new();
    let c = Arc::new(env.client("msgpack"));
    for bad in [
        json!({"max_ack_batch": 5000}),
        json!({"bogus": 1}),
        json!({"backoff_min_ms": 10, "backoff_max_ms": 5}),
    ] {
        let err = Worker::new(c.clone(), bad.clone()).err().expect("refused");
        assert_eq!(err.status, S::ZIZQ_E_INVALID_ARG, "{bad}");
    }
    let w = Arc::new(Worker::new(c.clone(), json!({})).unwrap());
    let waiters: Vec<_> = (0..3)
        .map(|_| {
            let w = w.clone();
            std::thread::spawn(move || w.next(1, -1).map(|b| b.len()))
        })
        .collect();
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(unsafe { zizq_worker_wakeup(w.ptr) }, S::ZIZQ_OK);
    for t in waiters {
        assert_eq!(t.join().unwrap().unwrap(), 0);
    }
    w.shutdown(1000).unwrap();
}

/// `zizq_worker_fd` is readable exactly while `zizq_worker_next` would
/// return at once: jobs buffered, then shutdown; a wakeup does not count.
#[test]
fn worker_fd_follows_readiness() {
    let env = Env::new();
    let c = Arc::new(env.client("json"));
    let w = Worker::new(c.clone(), json!({"queues": ["fd"]})).unwrap();
    let fd = unsafe { zizq_worker_fd(w.ptr) };
    assert!(fd >= 0);
    assert_eq!(unsafe { zizq_worker_fd(ptr::null()) }, -1);
    let readable = |ms: i32| readable(fd, ms);
    assert!(!readable(0));
    assert_eq!(unsafe { zizq_worker_wakeup(w.ptr) }, S::ZIZQ_OK);
    assert!(!readable(0), "a wakeup is not readiness");

    seed_jobs(&c, "fd", 2);
    assert!(readable(5000), "jobs arrived");
    let mut taken = w.next(0, 0).unwrap();
    wait_until(5, "both jobs", || {
        if taken.len() < 2 {
            taken.extend(w.next(0, 0).unwrap());
        }
        taken.len() == 2
    });
    assert!(!readable(0), "nothing buffered");
    for job in &taken {
        w.ack(&job.id).unwrap();
    }
    // Shutting down makes it readable: a waiter would return ZIZQ_E_CLOSED.
    w.shutdown(5000).unwrap();
    assert!(readable(0));
    assert_eq!(w.next(1, 0).unwrap_err().status, S::ZIZQ_E_CLOSED);
}

/// The server sends at most `prefetch` unacknowledged jobs: a worker that
/// acks nothing ends up holding exactly that many, the rest stay ready.
#[test]
fn prefetch_defaults_to_twice_the_concurrency() {
    let env = Env::new();
    let c = Arc::new(env.client("json"));
    for (queue, options, window) in [
        ("window-3", json!({"concurrency": 3}), 6),
        (
            "window-explicit",
            json!({"concurrency": 3, "prefetch": 4}),
            4,
        ),
        ("window-default", json!({}), 10),
    ] {
        seed_jobs(&c, queue, 30);
        let mut options = options;
        options["queues"] = json!([queue]);
        let w = Worker::new(c.clone(), options).unwrap();
        wait_until(30, &format!("{queue}: {window} jobs taken"), || {
            let ready = c
                .count_jobs(json!({"queue": queue, "status": "ready"}))
                .unwrap();
            w.stats()["taken"] == window && ready == 30 - window
        });
        w.shutdown(1000).unwrap();
    }
    for bad in [json!({"concurrency": 0}), json!({"concurrency": "4"})] {
        let err = Worker::new(c.clone(), bad.clone()).err().expect("refused");
        assert_eq!(err.status, S::ZIZQ_E_INVALID_ARG, "{bad}");
    }
}

#[test]
fn closing_the_client_stops_its_worker() {
    let env = Env::new();
    for format in FORMATS {
        let observer = env.client(format);
        observer.erase_all_data().unwrap();
        seed_jobs(&observer, "closing", 20);
        let c = Arc::new(env.client(format));
        let w = Arc::new(
            Worker::new(c.clone(), json!({"queues": ["closing"], "prefetch": 5})).unwrap(),
        );
        let first = w.next(1, 5000).unwrap();
        assert_eq!(first.len(), 1);
        // A thread blocked in next() is woken by the close.
        let waiter = {
            let w = w.clone();
            std::thread::spawn(move || loop {
                match w.next(100, 10_000) {
                    Ok(_) => continue, // buffered jobs, not acked
                    Err(e) => return e.status,
                }
            })
        };
        c.close();
        assert_eq!(waiter.join().unwrap(), S::ZIZQ_E_CLOSED);
        assert_eq!(w.next(1, 0).unwrap_err().status, S::ZIZQ_E_CLOSED);
        assert_eq!(w.stats()["state"], "failed");
        // The take connection was closed, so the server requeued every job.
        wait_until(10, "jobs requeued after close", || {
            observer
                .count_jobs(json!({"queue": "closing", "status": "ready"}))
                .unwrap()
                == 20
        });
        // Shutdown does not wait for handed-out jobs whose acks cannot be sent.
        let started = std::time::Instant::now();
        w.shutdown(30_000).unwrap();
        assert!(started.elapsed() < Duration::from_secs(10));
    }
}

/// Hand out job `id`, end the take stream so the server requeues it, and
/// take its redelivered copy: the worker then holds two handouts of one job.
fn hand_out_twice(w: &Worker, control: &Control, id: &str) {
    let first = w.next(1, 5000).unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].id, id);
    assert_eq!(control.close_streams(), 1);
    let again = loop {
        let batch = w.next(1, 5000).unwrap();
        if !batch.is_empty() {
            break batch;
        }
    };
    assert_eq!(again[0].id, id, "the same job, redelivered");
    assert_eq!(w.stats()["handed_out"], 2);
}

#[test]
fn shutdown_waits_for_every_copy_of_a_redelivered_job() {
    let env = Env::new();
    let Some(control) = env.control() else { return };
    let c = Arc::new(env.client("json"));
    let ids = seed_jobs(&c, "copies", 1);
    let w = Worker::new(c.clone(), fast_options()).unwrap();
    hand_out_twice(&w, &control, &ids[0]);
    assert_eq!(w.stats()["outstanding"], 2, "two handouts of one job");
    // The first copy's handler finishes; the second still runs.
    w.ack(&ids[0]).unwrap();
    assert_eq!(w.stats()["outstanding"], 1);
    let err = w.shutdown(300).unwrap_err();
    assert_eq!(err.status, S::ZIZQ_E_TIMEOUT);
    assert!(err.message.contains("1 handed-out job"), "{}", err.message);
}

#[test]
fn a_job_acked_twice_in_one_batch_counts_once() {
    let env = Env::new();
    let Some(control) = env.control() else { return };
    let c = Arc::new(env.client("msgpack"));
    let x = seed_jobs(&c, "twice", 1).remove(0);
    let w = Worker::new(
        c.clone(),
        json!({"ack_concurrency": 1, "backoff_min_ms": 20, "backoff_max_ms": 200}),
    )
    .unwrap();
    hand_out_twice(&w, &control, &x);
    let y = seed_jobs(&c, "twice", 1).remove(0);
    assert_eq!(w.next(1, 5000).unwrap()[0].id, y);
    // Y's ack holds the only request slot (the server answers late), so both
    // acks of X queue behind it and go out in one bulk request.
    control.set_delay_ms(500);
    w.ack(&y).unwrap();
    wait_until(5, "Y's ack sent", || w.stats()["ack_requests"] == 1);
    w.ack(&x).unwrap();
    w.ack(&x).unwrap();
    w.shutdown(10_000).unwrap();
    control.clear_faults();
    let s = w.stats();
    assert_eq!(s["ack_requests"], 2, "X's acks shared a request: {s}");
    assert_eq!(
        (s["acked"].as_u64(), s["stale"].as_u64()),
        (Some(2), Some(1)),
        "{s}"
    );
    assert_eq!(s["pending_acks"], 0);
    assert_eq!(c.count_jobs(json!({})).unwrap(), 0);
}

#[test]
fn a_slow_server_gets_few_large_ack_batches() {
    // While one ack request is out, acks wait for it rather than go out
    // beside it in small requests; a second request starts only once
    // enough of them (32 per request in flight) wait.
    let env = Env::new();
    let Some(control) = env.control() else { return };
    let c = Arc::new(env.client("msgpack"));
    seed_jobs(&c, "slow_acks", 40);
    let w = Worker::new(c.clone(), json!({"queues": ["slow_acks"], "prefetch": 40})).unwrap();
    let mut taken = Vec::new();
    while taken.len() < 40 {
        taken.extend(w.next(0, 5000).unwrap());
    }
    control.set_delay_ms(300);
    w.ack(&taken[0].id).unwrap();
    wait_until(5, "the first ack sent", || w.stats()["ack_requests"] == 1);
    // 10 more: fewer than 32, so they wait for the first request.
    for job in &taken[1..11] {
        w.ack(&job.id).unwrap();
    }
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(w.stats()["ack_requests"], 1, "{}", w.stats());
    // 29 more: 39 waiting, enough for a request beside the first one.
    for job in &taken[11..] {
        w.ack(&job.id).unwrap();
    }
    wait_until(5, "a second request", || w.stats()["ack_requests"] == 2);
    w.shutdown(10_000).unwrap();
    control.clear_faults();
    let s = w.stats();
    assert_eq!(
        (s["acked"].as_u64(), s["ack_requests"].as_u64()),
        (Some(40), Some(2)),
        "{s}"
    );
    assert_eq!(c.count_jobs(json!({"queue": "slow_acks"})).unwrap(), 0);
}

/// An in-process server on `port` (0 = any), as `Env` starts them.
fn server_on(port: u16) -> TestServer {
    TestServer::start(Config {
        port,
        heartbeat_interval: Duration::from_millis(100),
        ..Config::default()
    })
    .expect("test server starts")
}

#[test]
fn resumes_within_a_step_of_the_servers_return() {
    if std::env::var("ZIZQ_TEST_URL").is_ok() {
        return; // stops and restarts its own server
    }
    let step_ms = 20u64;
    let server = server_on(0);
    let port = server.addr().port();
    let c = Arc::new(Client::new(&server.url(), &json!({"format": "json"})).unwrap());
    let w = Worker::new(
        c.clone(),
        json!({"backoff_min_ms": step_ms, "backoff_max_ms": 3_600_000}),
    )
    .unwrap();
    wait_until(5, "connected", || w.stats()["connects"] == 1);
    server.shutdown();
    // An outage long enough for the reconnect delay to grow far past the
    // initial step: after n failed attempts it is at least step * 2^n / 2.
    wait_until(30, "backoff grown", || {
        w.stats()["connect_failures"].as_u64().unwrap() >= 8
    });
    let seen = Instant::now();
    let failures = w.stats()["connect_failures"].as_u64().unwrap();
    let grown = Duration::from_millis(step_ms << failures) / 2;
    let server = server_on(port);
    let id = seed_jobs(&c, "back", 1).remove(0);
    // The grown delay started before `seen`; a worker still sleeping it out
    // could not have the job before `seen + grown`. Half of that is a bound
    // measured in the worker's own backoff, far above one step.
    let deadline = seen + grown / 2;
    let got = w
        .next(
            1,
            deadline
                .saturating_duration_since(Instant::now())
                .as_millis() as i64,
        )
        .unwrap();
    assert_eq!(
        got.first().map(|j| j.id.as_str()),
        Some(id.as_str()),
        "handled long before the grown delay ({grown:?}) ran out: {}",
        w.stats()
    );
    w.ack(&id).unwrap();
    w.shutdown(5000).unwrap();
    let s = w.stats();
    assert_eq!(s["connects"], 2, "{s}");
    assert_eq!(
        s["connect_failures"], failures,
        "no failed attempt after the return: {s}"
    );
    assert!(s["probes"].as_u64().unwrap() >= 1, "{s}");
    assert_eq!(s["acked"], 1, "{s}");
    drop(server);
}

#[test]
fn probes_do_not_hurry_a_server_that_refuses_the_stream() {
    let env = Env::new();
    let Some(control) = env.control() else { return };
    let c = Arc::new(env.client("json"));
    // The server answers health probes but refuses every take request.
    control.fail_requests(503, -1, Some("GET"), Some("/jobs/take"));
    let w = Worker::new(
        c.clone(),
        json!({"backoff_min_ms": 20, "backoff_max_ms": 3_600_000}),
    )
    .unwrap();
    // Probes are sent one initial step apart, so 60 of them span at least
    // 60 steps: a backoff doubling from one step fits few attempts in that,
    // while reconnecting on every answered probe would make ~60.
    wait_until(30, "60 probes", || {
        w.stats()["probes"].as_u64().unwrap() >= 60
    });
    let s = w.stats();
    let attempts = s["connect_failures"].as_u64().unwrap();
    assert!(attempts <= 15, "the take request kept its backoff: {s}");
    assert_eq!(s["connects"], 0, "{s}");
    control.clear_faults();
    w.shutdown(1000).unwrap();
}

/// Time from the server's return after an outage (ZIZQ_OUTAGE_SECS, default
/// 8) to the first job handled, with the default backoff (0.5 s to 30 s), over
/// ZIZQ_OUTAGE_ROUNDS outages (default 3) of one worker:
/// `cargo test --release --test worker -- --ignored --nocapture recovery`.
#[test]
#[ignore]
fn measure_recovery_after_outage() {
    let setting = |name: &str, default: u64| -> u64 {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let outage = Duration::from_secs(setting("ZIZQ_OUTAGE_SECS", 8));
    let rounds = setting("ZIZQ_OUTAGE_ROUNDS", 3);
    let mut server = server_on(0);
    let port = server.addr().port();
    let c = Arc::new(Client::new(&server.url(), &json!({"format": "msgpack"})).unwrap());
    let w = Worker::new(c.clone(), json!({})).unwrap();
    wait_until(5, "connected", || w.stats()["connects"] == 1);
    let mut times = vec![];
    for round in 1..=rounds {
        server.shutdown();
        std::thread::sleep(outage);
        server = server_on(port);
        let back = Instant::now();
        let id = seed_jobs(&c, "back", 1).remove(0);
        let got = w.next(1, 120_000).unwrap();
        let recovered = back.elapsed().as_secs_f64() * 1000.0;
        assert_eq!(got[0].id, id);
        w.ack(&id).unwrap();
        wait_until(10, "acked", || w.stats()["acked"] == round);
        let s = w.stats();
        println!(
            "outage {} s, round {round}: first job handled {recovered:.0} ms after the \
             server's return (so far: connect_failures {}, probes {})",
            outage.as_secs(),
            s["connect_failures"],
            s["probes"]
        );
        times.push(recovered);
    }
    w.shutdown(5000).unwrap();
    times.sort_by(f64::total_cmp);
    println!(
        "recovery after a {} s outage: min {:.0} ms, median {:.0} ms, max {:.0} ms",
        outage.as_secs(),
        times[0],
        times[times.len() / 2],
        times[times.len() - 1]
    );
}

/// Handler threads that ack every job they are given until `stop` is set.
fn ack_everything(
    w: &Arc<Worker>,
    threads: usize,
    pause: Duration,
    stop: &Arc<std::sync::atomic::AtomicBool>,
) -> Vec<std::thread::JoinHandle<()>> {
    (0..threads)
        .map(|_| {
            let (w, stop) = (w.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    for job in w.next(1, 50).expect("next") {
                        std::thread::sleep(pause);
                        w.ack(&job.id).expect("ack accepted");
                    }
                }
            })
        })
        .collect()
}

#[test]
fn acks_resume_after_their_connection_goes_silent() {
    let env = Env::new();
    let Some(control) = env.control() else { return };
    // Keep-alive far beyond the test: only the ack's timeout can retire the
    // silent connection.
    let c = Arc::new(env.client_with(json!({
        "format": "msgpack",
        "read_timeout_ms": 500,
        "keepalive_interval_ms": 600_000,
    })));
    let observer = env.client("json");
    seed_jobs(&c, "silent", 30);
    let w = Arc::new(Worker::new(c.clone(), fast_options()).unwrap());
    let first = loop {
        if let Some(job) = w.next(1, 1000).unwrap().pop() {
            break job;
        }
    };
    // The first ack's connection goes silent.
    control.blackhole(1);
    w.ack(&first.id).unwrap();
    wait_until(10, "the ack swallowed", || control.faults().blackhole == 0);
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let handlers = ack_everything(&w, 2, Duration::ZERO, &stop);
    wait_until(30, "every job acknowledged", || {
        observer.count_jobs(json!({})).unwrap() == 0
    });
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    for h in handlers {
        h.join().unwrap();
    }
    w.shutdown(20_000).unwrap();
    let s = w.stats();
    assert_eq!(s["acked"], 30, "{s}");
    assert_eq!(s["dropped"], 0, "{s}");
    assert!(
        s["last_error"].as_str().unwrap().contains("timed out"),
        "{s}"
    );
}

/// Measurement, not a test: how long a client and a worker take to recover
/// when their request connection goes silent, with `read_timeout` 2 s and
/// default keep-alive and backoff. Run with
/// `cargo test --release --test worker measure_dead_connection -- --ignored --nocapture`.
#[test]
#[ignore]
fn measure_dead_connection_recovery() {
    use std::time::Instant;
    let env = Env::new();
    let control = env.control().expect("the in-process test server");
    let options = json!({"format": "msgpack", "read_timeout_ms": 2000});

    // A client calling in a loop: from the request that meets the silent
    // connection to the first success.
    let c = env.client_with(options.clone());
    c.health().unwrap();
    for trial in 1..=5 {
        control.blackhole(1);
        let t0 = Instant::now();
        let mut failures = 0;
        while c.health().is_err() {
            failures += 1;
        }
        println!(
            "client trial {trial}: first success after {} ms ({failures} failed call(s))",
            t0.elapsed().as_millis()
        );
        control.blackhole(0);
    }

    // A worker acking a steady flow of jobs: from the ack that meets the
    // silent connection to the next ack the server confirms.
    let wc = Arc::new(env.client_with(options));
    seed_jobs(&wc, "measure", 30_000);
    let w = Arc::new(Worker::new(wc.clone(), json!({"prefetch": 20})).unwrap());
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let handlers = ack_everything(&w, 2, Duration::from_millis(1), &stop);
    let acked = |w: &Worker| w.stats()["acked"].as_u64().unwrap();
    std::thread::sleep(Duration::from_secs(1));
    for trial in 1..=3 {
        control.blackhole(1);
        while control.faults().blackhole != 0 {
            std::thread::sleep(Duration::from_micros(200));
        }
        let t0 = Instant::now();
        // Answers already on their way when the connection froze land
        // within microseconds; count from after them.
        std::thread::sleep(Duration::from_millis(100));
        let before = acked(&w);
        while acked(&w) == before {
            std::thread::sleep(Duration::from_millis(2));
        }
        println!(
            "worker trial {trial}: acks resumed after {} ms ({})",
            t0.elapsed().as_millis(),
            w.stats()["last_error"]
        );
        control.blackhole(0);
        std::thread::sleep(Duration::from_secs(1));
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    for h in handlers {
        h.join().unwrap();
    }
    w.shutdown(20_000).unwrap();
    println!("worker stats: {}", w.stats());
}
