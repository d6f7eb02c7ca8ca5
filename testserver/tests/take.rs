//! Take streams: framing, heartbeats, prefetch, dispatch order, requeue,
//! wake-ups, global limit and every fault of the control API.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const T: Duration = Duration::from_secs(5);

async fn state(c: &mut Client) -> Value {
    c.get("/_testserver/state").await.json()
}

#[tokio::test]
async fn ndjson_framing_and_heartbeats_exact() {
    let s = start(cfg());
    let mut c = Client::h1(s.addr()).await;
    let mut t = Take::open(s.addr(), "/jobs/take", None).await;
    assert_eq!(t.status, 200);
    assert_eq!(
        t.headers.get("content-type").unwrap(),
        "application/x-ndjson"
    );
    assert!(t.headers.get("content-length").is_none());
    // headers arrive before any job; the first frame is a heartbeat
    let started = Instant::now();
    assert_eq!(t.next_line(T).await, Some(None));
    // (no heartbeat is sent at connect time: it comes after the interval)
    assert!(started.elapsed() >= Duration::from_millis(20));
    assert_eq!(t.chunks.last().unwrap().as_ref(), b"\n");
    let id = c
        .enqueue(json!({"type":"t1","queue":"q1","payload":{"n":2},"priority":1}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let j = t.next_job(T).await.unwrap();
    let line = String::from_utf8(t.chunks.last().unwrap().to_vec()).unwrap();
    let (ra, dq) = (
        j["ready_at"].as_u64().unwrap(),
        j["dequeued_at"].as_u64().unwrap(),
    );
    assert_eq!(
        line,
        format!("{{\"id\":\"{id}\",\"type\":\"t1\",\"queue\":\"q1\",\"priority\":1,\"status\":\"in_flight\",\"payload\":{{\"n\":2}},\"ready_at\":{ra},\"attempts\":0,\"dequeued_at\":{dq}}}\n")
    );
    // heartbeats keep coming at about the interval
    let t0 = Instant::now();
    for _ in 0..3 {
        assert_eq!(t.next_line(T).await, Some(None));
    }
    let el = t0.elapsed();
    assert!(
        el >= Duration::from_millis(150) && el < Duration::from_secs(3),
        "{el:?}"
    );
}

#[tokio::test]
async fn msgpack_and_sse_framing() {
    let s = start(cfg());
    let mut c = Client::h1(s.addr()).await;
    c.enqueue(json!({"type":"t","queue":"q","payload":[1,2],"priority":32768}))
        .await;
    let mut t = Take::open(
        s.addr(),
        "/jobs/take",
        Some("application/vnd.zizq.msgpack-stream"),
    )
    .await;
    assert_eq!(
        t.headers.get("content-type").unwrap(),
        "application/vnd.zizq.msgpack-stream"
    );
    let j = t.next_mp_frame(T).await.unwrap().unwrap();
    assert_eq!(
        (j["status"].as_str(), j["payload"].clone()),
        (Some("in_flight"), json!([1, 2]))
    );
    let raw = t.chunks[0].clone();
    let n = u32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]]) as usize;
    assert_eq!(raw.len(), n + 4);
    assert!(raw.windows(11).any(|w| w == b"\xa8priority\xcd\x80"));
    assert_eq!(t.next_mp_frame(T).await, Some(None));
    assert_eq!(t.chunks.last().unwrap().as_ref(), &[0, 0, 0, 0]);
    drop(t);
    // application/msgpack also selects the msgpack stream
    let t = Take::open(s.addr(), "/jobs/take", Some("application/msgpack")).await;
    assert_eq!(
        t.headers.get("content-type").unwrap(),
        "application/vnd.zizq.msgpack-stream"
    );
    drop(t);
    let mut t = Take::open(s.addr(), "/jobs/take", Some("text/event-stream")).await;
    assert_eq!(t.headers.get("content-type").unwrap(), "text/event-stream");
    assert_eq!(t.headers.get("cache-control").unwrap(), "no-cache");
    // the job requeued by the msgpack stream's disconnect arrives here
    // (heartbeats may come first while the job is being requeued)
    let deadline = Instant::now() + T;
    while !t
        .buffered()
        .windows(16)
        .any(|w| w == b"}\n\n: heartbeat\n\n")
    {
        assert!(Instant::now() < deadline, "sse job and heartbeat expected");
        assert!(t.pull(T).await, "stream ended");
    }
    let text = String::from_utf8(t.buffered().to_vec()).unwrap();
    let text = text.trim_start_matches(": heartbeat\n\n");
    assert!(text.starts_with("data: {\"id\":"), "{text}");
    assert!(text.contains("\"status\":\"in_flight\""));
    assert!(text.contains("}\n\n: heartbeat\n\n"));
}

#[tokio::test]
async fn take_errors() {
    let s = start(cfg());
    let mut c = Client::h1(s.addr()).await;
    let r = c
        .req("GET", "/jobs/take", &[("accept", "text/html")], None)
        .await;
    assert_eq!(r.status, 406);
    assert_eq!(
        r.text(),
        r#"{"error":"not acceptable","supported":["text/event-stream","application/x-ndjson","application/vnd.zizq.msgpack-stream"]}"#
    );
    let r = c.req("GET", "/jobs/take", &[("accept", "")], None).await;
    assert_eq!(r.status, 406);
    for (q, msg) in [
        ("prefetch=x", "Failed to deserialize query string: prefetch: invalid digit found in string"),
        ("foo=1", "Failed to deserialize query string: foo: unknown field `foo`, expected `prefetch` or `queue`"),
        ("prefetch=1&prefetch=2", "Failed to deserialize query string: duplicate field `prefetch`"),
        ("prefetch=99999999999999999999999", "Failed to deserialize query string: prefetch: number too large to fit in target type"),
    ] {
        let r = c.get(&format!("/jobs/take?{q}")).await;
        assert_eq!(r.status, 400);
        assert_eq!(r.header("content-type").as_deref(), Some("text/plain; charset=utf-8"));
        assert_eq!(r.text(), msg);
    }
    let r = c.req("HEAD", "/jobs/take", &[], None).await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn prefetch_released_by_ack_fail_delete_from_other_connections() {
    let s = start(cfg());
    let mut c = Client::h2(s.addr()).await;
    for i in 0..6 {
        c.enqueue(job("p", json!(i))).await;
    }
    let mut t = Take::open(s.addr(), "/jobs/take?prefetch=2", None).await;
    let js = t.jobs(2).await;
    assert_eq!(
        (js[0]["payload"].clone(), js[1]["payload"].clone()),
        (json!(0), json!(1))
    );
    assert_eq!(js[0]["dequeued_at"], js[1]["dequeued_at"]);
    t.expect_no_job(Duration::from_millis(300)).await;
    // ack from another connection frees a slot
    assert_eq!(c.ack(js[0]["id"].as_str().unwrap()).await.status, 204);
    let j = t.jobs(1).await.remove(0);
    assert_eq!(j["payload"], 2);
    t.expect_no_job(Duration::from_millis(200)).await;
    // failure frees a slot
    let r = c
        .post(
            &format!("/jobs/{}/failure", js[1]["id"].as_str().unwrap()),
            &json!({"message":"x","retry_at": 4_000_000_000_000u64}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(t.jobs(1).await[0]["payload"], 3);
    // delete frees a slot
    assert_eq!(
        c.delete(&format!("/jobs/{}", j["id"].as_str().unwrap()))
            .await
            .status,
        204
    );
    assert_eq!(t.jobs(1).await[0]["payload"], 4);
    // PATCH does not free capacity
    let r = c
        .json("PATCH", "/jobs?status=in_flight", &json!({"priority": 3}))
        .await;
    assert_eq!(r.json()["patched"], 2);
    t.expect_no_job(Duration::from_millis(200)).await;
    assert_eq!(state(&mut c).await["in_flight"], 2);
}

#[tokio::test]
async fn dispatch_order_and_queue_filter() {
    let s = start(cfg());
    let mut c = Client::h1(s.addr()).await;
    let specs = [
        ("a", 5, 0),
        ("b", 1, 1),
        ("a", 1, 2),
        ("c", 0, 3),
        ("b", 5, 4),
        ("a", 3, 5),
    ];
    for (q, p, n) in specs {
        c.enqueue(json!({"type":"t","queue":q,"payload":n,"priority":p}))
            .await;
    }
    let mut t = Take::open(s.addr(), "/jobs/take?prefetch=0&queue=a,b", None).await;
    let got: Vec<i64> = t
        .jobs(5)
        .await
        .iter()
        .map(|j| j["payload"].as_i64().unwrap())
        .collect();
    assert_eq!(got, vec![1, 2, 5, 0, 4]);
    t.expect_no_job(Duration::from_millis(200)).await;
    let mut t2 = Take::open(s.addr(), "/jobs/take?queue=&prefetch=10", None).await;
    assert_eq!(t2.jobs(1).await[0]["payload"], 3);
}

#[tokio::test]
async fn requeue_on_disconnect_h1_and_h2() {
    let s = start(cfg());
    let mut c = Client::h1(s.addr()).await;
    for i in 0..3 {
        c.enqueue(job("d", json!(i))).await;
    }
    let mut t = Take::open(s.addr(), "/jobs/take?prefetch=3", None).await;
    let js = t.jobs(3).await;
    assert_eq!(state(&mut c).await["in_flight"], 3);
    assert_eq!(state(&mut c).await["take_streams"], 1);
    drop(t);
    eventually("requeued after h1 disconnect", || {
        let addr = s.addr();
        async move {
            Client::h1(addr)
                .await
                .get("/jobs/count?status=ready")
                .await
                .json()["count"]
                == 3
        }
    })
    .await;
    let j = c
        .get(&format!("/jobs/{}", js[0]["id"].as_str().unwrap()))
        .await
        .json();
    assert_eq!(
        (j["attempts"].as_u64(), j["dequeued_at"].clone()),
        (Some(0), js[0]["dequeued_at"].clone())
    );
    // same over h2: dropping the body resets the stream
    let mut t = Take::open_h2(s.addr(), "/jobs/take?prefetch=3", None).await;
    let again = t.jobs(3).await;
    assert_eq!(again[0]["id"], js[0]["id"]);
    drop(t);
    eventually("requeued after h2 reset", || {
        let addr = s.addr();
        async move {
            Client::h1(addr)
                .await
                .get("/jobs/count?status=ready")
                .await
                .json()["count"]
                == 3
        }
    })
    .await;
    eventually("stream count back to 0", || {
        let addr = s.addr();
        async move {
            Client::h1(addr)
                .await
                .get("/_testserver/state")
                .await
                .json()["take_streams"]
                == 0
        }
    })
    .await;
}

#[tokio::test]
async fn wakeups_promotion_retry_patch() {
    let mut config = cfg();
    config.heartbeat_interval = Duration::from_secs(30);
    let s = start(config);
    let mut c = Client::h1(s.addr()).await;
    let mut t = Take::open(s.addr(), "/jobs/take?prefetch=0", None).await;
    // scheduled promotion
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    c.enqueue(json!({"type":"t","queue":"w","payload":"sched","ready_at": now + 300}))
        .await;
    let j = t.next_job(T).await.unwrap();
    assert_eq!(j["payload"], "sched");
    assert!(j["dequeued_at"].as_u64().unwrap() >= now + 300);
    // retry due
    let r = c
        .post(
            &format!("/jobs/{}/failure", j["id"].as_str().unwrap()),
            &json!({"message":"x","retry_at": now + 200}),
        )
        .await;
    assert_eq!(r.json()["status"], "scheduled");
    let j2 = t.next_job(T).await.unwrap();
    assert_eq!(
        (j2["id"].clone(), j2["attempts"].as_u64()),
        (j["id"].clone(), Some(1))
    );
    // PATCH scheduled -> ready
    let id = c
        .enqueue(json!({"type":"t","queue":"w","payload":"p","ready_at": 4_000_000_000_000u64}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    t.expect_no_job(Duration::from_millis(200)).await;
    c.json("PATCH", &format!("/jobs/{id}"), &json!({"ready_at": null}))
        .await;
    assert_eq!(t.next_job(T).await.unwrap()["payload"], "p");
}

#[tokio::test]
async fn global_in_flight_limit_and_unlimited_huge_prefetch() {
    let mut config = cfg();
    config.global_in_flight_limit = 2;
    let s = start(config);
    let mut c = Client::h1(s.addr()).await;
    for i in 0..4 {
        c.enqueue(job("g", json!(i))).await;
    }
    let mut t1 = Take::open(s.addr(), "/jobs/take?prefetch=18446744073709551615", None).await;
    let mut t2 = Take::open(s.addr(), "/jobs/take?prefetch=0", None).await;
    let js = t1.jobs(2).await;
    t2.expect_no_job(Duration::from_millis(300)).await;
    c.ack(js[0]["id"].as_str().unwrap()).await;
    // one more job goes to one of the two streams
    let got = tokio::select! {
        j = t1.next_job(T) => j,
        j = t2.next_job(T) => j,
    };
    assert!(got.is_some());
    assert_eq!(state(&mut c).await["in_flight"], 2);
    drop((t1, t2));
    let mut config = cfg();
    config.global_in_flight_limit = 0;
    let s = start(config);
    let mut c = Client::h1(s.addr()).await;
    for i in 0..5 {
        c.enqueue(job("g", json!(i))).await;
    }
    let mut t = Take::open(s.addr(), "/jobs/take?prefetch=18446744073709551615", None).await;
    t.jobs(5).await;
    assert_eq!(c.get("/health").await.status, 200);
}

#[tokio::test]
async fn fault_heartbeats_off_and_close_streams() {
    let s = start(cfg());
    let mut c = Client::h1(s.addr()).await;
    let r = c
        .json("PUT", "/_testserver/faults", &json!({"heartbeats": false}))
        .await;
    assert_eq!(r.json()["heartbeats"], false);
    let mut t = Take::open(s.addr(), "/jobs/take?prefetch=5", None).await;
    assert_eq!(
        t.next_line(Duration::from_millis(400)).await,
        None,
        "no heartbeat expected"
    );
    c.json("PUT", "/_testserver/faults", &json!({"heartbeats": true}))
        .await;
    assert_eq!(t.next_line(T).await, Some(None));
    c.enqueue(job("x", json!(1))).await;
    t.jobs(1).await;
    let r = c.req("POST", "/_testserver/close_streams", &[], None).await;
    assert_eq!(r.text(), r#"{"closed":1}"#);
    assert!(t.wait_end(T).await, "stream should end cleanly");
    eventually("job requeued", || {
        let addr = s.addr();
        async move {
            Client::h1(addr)
                .await
                .get("/jobs/count?status=ready")
                .await
                .json()["count"]
                == 1
        }
    })
    .await;
}

#[tokio::test]
async fn fault_close_streams_after_jobs() {
    let s = start(cfg());
    let mut c = Client::h1(s.addr()).await;
    s.control().close_streams_after_jobs(2);
    for i in 0..5 {
        c.enqueue(job("c", json!(i))).await;
    }
    for round in 0..2 {
        let mut t = Take::open_h2(s.addr(), "/jobs/take?prefetch=10", None).await;
        let js = t.jobs(2).await;
        assert!(
            t.wait_end(T).await,
            "round {round}: stream should end after 2 jobs"
        );
        assert!(t.next_job(Duration::from_millis(50)).await.is_none());
        // jobs of the closed stream were requeued: acking is too late
        eventually("requeued", || {
            let addr = s.addr();
            async move {
                Client::h1(addr)
                    .await
                    .get("/jobs/count?status=ready")
                    .await
                    .json()["count"]
                    == 5
            }
        })
        .await;
        assert_eq!(c.ack(js[0]["id"].as_str().unwrap()).await.status, 404);
    }
    let r = c.req("DELETE", "/_testserver/faults", &[], None).await;
    assert_eq!(r.text(), "{}");
    assert_eq!(s.control().faults().close_streams_after_jobs, 0);
}

#[tokio::test]
async fn fault_corrupt_and_truncate_frames() {
    let s = start(cfg());
    let mut c = Client::h1(s.addr()).await;
    c.enqueue(job("f", json!(1))).await;
    c.json(
        "PUT",
        "/_testserver/faults",
        &json!({"corrupt_next_frame": true}),
    )
    .await;
    let mut t = Take::open(s.addr(), "/jobs/take?prefetch=5", None).await;
    while !t.buffered().contains(&b'\n') {
        assert!(t.pull(T).await);
    }
    assert_eq!(t.buffered(), b"{not json\n");
    assert_eq!(state(&mut c).await["in_flight"], 1);
    assert!(!s.control().faults().corrupt_next_frame);
    // msgpack corruption keeps framing
    drop(t);
    c.json(
        "PUT",
        "/_testserver/faults",
        &json!({"corrupt_next_frame": true}),
    )
    .await;
    let mut t = Take::open(
        s.addr(),
        "/jobs/take",
        Some("application/vnd.zizq.msgpack-stream"),
    )
    .await;
    while t.buffered().len() < 4 {
        assert!(t.pull(T).await);
    }
    let n = u32::from_be_bytes(t.buffered()[..4].try_into().unwrap()) as usize;
    while t.buffered().len() < 4 + n {
        assert!(t.pull(T).await);
    }
    assert!(t.buffered()[4..4 + n].iter().all(|&b| b == 0xc1));
    assert!(rmp_serde::from_slice::<Value>(&t.buffered()[4..4 + n]).is_err());
    drop(t);
    // truncation: partial frame, then the stream ends; job requeued
    eventually("ready again", || {
        let addr = s.addr();
        async move {
            Client::h1(addr)
                .await
                .get("/jobs/count?status=ready")
                .await
                .json()["count"]
                == 1
        }
    })
    .await;
    s.control().truncate_next_frame(true);
    let mut t = Take::open(
        s.addr(),
        "/jobs/take",
        Some("application/vnd.zizq.msgpack-stream"),
    )
    .await;
    assert!(t.wait_end(T).await);
    let b = t.buffered();
    assert!(b.len() >= 5);
    let n = u32::from_be_bytes(b[..4].try_into().unwrap()) as usize;
    assert!(b.len() < 4 + n, "frame must be incomplete");
    c.enqueue(job("f2", json!(2))).await;
    s.control().truncate_next_frame(true);
    let mut t = Take::open(s.addr(), "/jobs/take?queue=f2", None).await;
    assert!(t.wait_end(T).await);
    assert!(!t.buffered().is_empty() && !t.buffered().contains(&b'\n'));
    eventually("both requeued", || {
        let addr = s.addr();
        async move {
            Client::h1(addr)
                .await
                .get("/jobs/count?status=ready")
                .await
                .json()["count"]
                == 2
        }
    })
    .await;
}

#[tokio::test]
async fn fault_fail_requests_delay_and_reset() {
    let s = start(cfg());
    let mut c = Client::h1(s.addr()).await;
    let r = c
        .json("PUT", "/_testserver/faults", &json!({"fail_requests": {"status": 503, "count": 2, "method": "POST", "path": "/jobs"}}))
        .await;
    assert_eq!(
        r.json()["fail_requests"],
        json!({"status":503,"count":2,"method":"POST","path":"/jobs"})
    );
    assert_eq!(c.get("/jobs/count").await.status, 200);
    for _ in 0..2 {
        let r = c.post("/jobs", &job("q", json!(1))).await;
        assert_eq!(
            (r.status, r.text().as_str()),
            (503, r#"{"error":"injected fault"}"#)
        );
    }
    assert_eq!(c.post("/jobs", &job("q", json!(1))).await.status, 201);
    assert_eq!(
        c.get("/jobs/count").await.json()["count"],
        1,
        "faulted requests did nothing"
    );
    // prefix match, msgpack error body, until cleared
    s.control().fail_requests(500, -1, None, Some("/jobs*"));
    let r = c
        .req(
            "GET",
            "/jobs/count",
            &[("accept", "application/msgpack")],
            None,
        )
        .await;
    assert_eq!(
        (r.status, r.msgpack()["error"].as_str()),
        (500, Some("injected fault"))
    );
    assert_eq!(c.get("/jobs").await.status, 500);
    assert_eq!(c.get("/health").await.status, 200);
    assert_eq!(
        c.get("/_testserver/state").await.status,
        200,
        "control routes never faulted"
    );
    c.json(
        "PUT",
        "/_testserver/faults",
        &json!({"fail_requests": null}),
    )
    .await;
    assert_eq!(c.get("/jobs").await.status, 200);
    // delay
    c.json("PUT", "/_testserver/faults", &json!({"delay_ms": 300}))
        .await;
    let t0 = Instant::now();
    assert_eq!(c.get("/health").await.status, 200);
    assert!(t0.elapsed() >= Duration::from_millis(300));
    c.json("PUT", "/_testserver/faults", &json!({"delay_ms": 0}))
        .await;
    // reset: raw socket sees the connection aborted without an answer
    s.control().reset_connections(1);
    let mut raw = tokio::net::TcpStream::connect(s.addr()).await.unwrap();
    raw.write_all(b"GET /health HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    let res = tokio::time::timeout(T, raw.read_to_end(&mut buf))
        .await
        .expect("closed in time");
    assert!(
        buf.is_empty(),
        "no answer expected, got {:?}",
        String::from_utf8_lossy(&buf)
    );
    assert!(res.is_err() || res.unwrap() == 0);
    let mut c2 = Client::h1(s.addr()).await;
    assert_eq!(
        c2.get("/health").await.status,
        200,
        "only N requests are reset"
    );
    let st = state(&mut c2).await;
    assert!(st["requests"].as_u64().unwrap() >= 10);
    assert!(st["connections"].as_u64().unwrap() >= 1);
    // invalid fault values are rejected
    assert_eq!(
        c2.json("PUT", "/_testserver/faults", &json!({"bogus": 1}))
            .await
            .status,
        400
    );
    assert_eq!(
        c2.json("PUT", "/_testserver/faults", &json!({"delay_ms": "x"}))
            .await
            .status,
        400
    );
}

#[tokio::test]
async fn shutdown_ends_streams_cleanly() {
    let s = start(cfg());
    let mut c = Client::h1(s.addr()).await;
    c.enqueue(job("s", json!(1))).await;
    let mut t = Take::open(s.addr(), "/jobs/take", None).await;
    t.jobs(1).await;
    let control = s.control();
    let handle = std::thread::spawn(move || s.shutdown());
    assert!(t.wait_end(T).await, "stream ends with the final chunk");
    handle.join().unwrap();
    drop(control);
}

#[tokio::test]
async fn disconnect_detected_without_waiting_for_a_heartbeat() {
    let mut config = cfg();
    config.heartbeat_interval = Duration::from_secs(60);
    let s = start(config);
    let mut c = Client::h1(s.addr()).await;
    c.enqueue(job("dd", json!(1))).await;
    for h2 in [false, true] {
        let mut t = if h2 {
            Take::open_h2(s.addr(), "/jobs/take", None).await
        } else {
            Take::open(s.addr(), "/jobs/take", None).await
        };
        t.jobs(1).await;
        let t0 = Instant::now();
        drop(t);
        eventually("requeued promptly", || {
            let addr = s.addr();
            async move {
                Client::h1(addr)
                    .await
                    .get("/jobs/count?status=ready")
                    .await
                    .json()["count"]
                    == 1
            }
        })
        .await;
        assert!(
            t0.elapsed() < Duration::from_secs(5),
            "h2={h2}: {:?}",
            t0.elapsed()
        );
    }
}

#[tokio::test]
async fn blackhole_swallows_requests_and_keeps_their_connections_silent() {
    let s = start(cfg());
    let mut c = Client::h1(s.addr()).await;
    let set = c
        .json("PUT", "/_testserver/faults", &json!({"blackhole": 1}))
        .await;
    assert_eq!(set.json()["blackhole"], 1);
    // The request is read and never answered; the connection stays open.
    let mut raw = tokio::net::TcpStream::connect(s.addr()).await.unwrap();
    raw.write_all(b"GET /health HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 64];
    assert!(
        tokio::time::timeout(Duration::from_millis(300), raw.read(&mut buf))
            .await
            .is_err(),
        "neither an answer nor a close"
    );
    // Later requests on the frozen connection are not read either.
    raw.write_all(b"GET /health HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    assert!(
        tokio::time::timeout(Duration::from_millis(300), raw.read(&mut buf))
            .await
            .is_err()
    );
    // The count was consumed: other connections work.
    let mut h2 = Client::h2(s.addr()).await;
    assert_eq!(h2.get("/health").await.status, 200);
    assert_eq!(state(&mut h2).await["faults"]["blackhole"], 0);
    // -1 swallows every request, on HTTP/2 too, until cleared.
    s.control().blackhole(-1);
    let swallowed = tokio::spawn(async move { h2.get("/health").await });
    eventually("the h2 request reaches the server", || {
        let control = s.control();
        async move { control.state().requests >= 3 }
    })
    .await;
    assert!(!swallowed.is_finished());
    // Clearing closes the blackholed connections (EOF, no answer).
    let cleared = c.delete("/_testserver/faults").await;
    assert_eq!(cleared.status, 200);
    let n = tokio::time::timeout(T, raw.read(&mut buf))
        .await
        .expect("closed once cleared");
    assert!(matches!(n, Ok(0) | Err(_)), "no answer: {n:?}");
    let mut fresh = Client::h1(s.addr()).await;
    assert_eq!(fresh.get("/health").await.status, 200);
    // Bad values are refused.
    assert_eq!(
        fresh
            .json("PUT", "/_testserver/faults", &json!({"blackhole": -2}))
            .await
            .status,
        400
    );
}
