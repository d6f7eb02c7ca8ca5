//! Ordinary endpoints: status codes, bodies, negotiation, pagination,
//! patch, failure/backoff, retention and licence tiers.

mod common;

use std::time::Duration;

use common::*;
use serde_json::{json, Value};

async fn setup(config: Config) -> (TestServer, Client) {
    let s = start(config);
    let c = Client::h1(s.addr()).await;
    (s, c)
}

/// Take `n` jobs on a fresh stream and return them with the stream.
async fn take_n(s: &TestServer, n: usize) -> (Take, Vec<Value>) {
    let mut t = Take::open(s.addr(), &format!("/jobs/take?prefetch={n}"), None).await;
    let jobs = t.jobs(n).await;
    (t, jobs)
}

#[tokio::test]
async fn health_version_head_and_routing() {
    let (_s, mut c) = setup(cfg()).await;
    let r = c.get("/health").await;
    assert_eq!((r.status, r.text().as_str()), (200, r#"{"status":"ok"}"#));
    assert_eq!(
        r.header("content-type").as_deref(),
        Some("application/json")
    );
    let r = c.get("/health?x=1").await;
    assert_eq!(r.status, 200);
    let r = c.get("/version").await;
    assert_eq!(r.text(), r#"{"version":"0.6.1"}"#);
    let r = c.req("HEAD", "/version", &[], None).await;
    assert_eq!(r.status, 200);
    assert!(r.body.is_empty());
    assert_eq!(r.header("content-length").as_deref(), Some("19"));
    let r = c.get("/nope").await;
    assert_eq!(
        (r.status, r.text().as_str()),
        (404, r#"{"error":"not found"}"#)
    );
    assert_eq!(c.get("/jobs/").await.status, 404);
    assert_eq!(c.get("/health/").await.status, 404);
    let r = c.req("PUT", "/jobs", &[], None).await;
    assert_eq!(r.status, 405);
    assert_eq!(
        r.header("allow").as_deref(),
        Some("GET,HEAD,POST,PATCH,DELETE")
    );
    assert!(r.body.is_empty());
    assert_eq!(r.header("content-type"), None);
    let r = c.req("GET", "/jobs/bulk", &[], None).await;
    assert_eq!(
        (r.status, r.header("allow").as_deref()),
        (405, Some("POST"))
    );
    let r = c.req("DELETE", "/jobs/take", &[], None).await;
    assert_eq!(
        (r.status, r.header("allow").as_deref()),
        (405, Some("GET,HEAD"))
    );
    let r = c.req("POST", "/crons/g", &[], None).await;
    assert_eq!(
        r.header("allow").as_deref(),
        Some("GET,HEAD,PUT,PATCH,DELETE")
    );
}

#[tokio::test]
async fn negotiation_rules() {
    let (_s, mut c) = setup(cfg()).await;
    let not_acc =
        r#"{"error":"not acceptable","supported":["application/json","application/msgpack"]}"#;
    for a in [
        "",
        "application/*",
        "APPLICATION/JSON",
        "text/html",
        "application/vnd.zizq.msgpack-stream",
    ] {
        let r = c.req("GET", "/health", &[("accept", a)], None).await;
        assert_eq!(r.status, 406, "accept {a:?}");
        assert_eq!(r.text(), not_acc);
        assert_eq!(
            r.header("content-type").as_deref(),
            Some("application/json")
        );
    }
    // 406 also on the 404 fallback
    assert_eq!(
        c.req("GET", "/zzz", &[("accept", "text/html")], None)
            .await
            .status,
        406
    );
    let r = c
        .req(
            "GET",
            "/health",
            &[("accept", "application/json, application/msgpack")],
            None,
        )
        .await;
    assert_eq!(
        r.header("content-type").as_deref(),
        Some("application/msgpack")
    );
    assert_eq!(r.body.as_ref(), b"\x81\xa6status\xa2ok");
    let r = c.req("GET", "/health", &[("accept", "*/*")], None).await;
    assert_eq!(r.status, 200);
    // 415, negotiated
    let body = Some(b"{}".to_vec());
    for ct in [
        "application/x-www-form-urlencoded",
        "text/plain",
        "Application/JSON",
        "application/vnd.api+json",
    ] {
        let r = c
            .req("POST", "/jobs", &[("content-type", ct)], body.clone())
            .await;
        assert_eq!(r.status, 415, "{ct}");
        assert_eq!(
            r.text(),
            r#"{"error":"unsupported media type","supported":["application/json","application/msgpack"]}"#
        );
    }
    let r = c
        .req(
            "POST",
            "/jobs",
            &[
                ("content-type", "text/plain"),
                ("accept", "application/msgpack"),
            ],
            body,
        )
        .await;
    assert_eq!(r.status, 415);
    assert_eq!(r.msgpack()["error"], "unsupported media type");
    // body decode errors
    let r = c.req("POST", "/jobs", &[], Some(vec![])).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.error(),
        "invalid JSON: EOF while parsing a value at line 1 column 0"
    );
    let r = c.post("/jobs", &json!({"type":"t","queue":"q"})).await;
    assert_eq!(r.status, 400);
    assert!(
        r.error()
            .starts_with("invalid JSON: missing field `payload`"),
        "{}",
        r.error()
    );
    let r = c
        .req(
            "POST",
            "/jobs",
            &[("content-type", "application/json; charset=utf-8")],
            Some(br#"{"type":"t","queue":"q","payload":1,"priority":65536}"#.to_vec()),
        )
        .await;
    assert!(r
        .error()
        .starts_with("invalid JSON: invalid value: integer `65536`, expected u16"));
    let r = c
        .req(
            "POST",
            "/jobs",
            &[],
            Some(br#"{"type":"t","queue":"q","queue":"r","payload":1}"#.to_vec()),
        )
        .await;
    assert!(
        r.error().contains("duplicate field `queue`"),
        "{}",
        r.error()
    );
    let r = c
        .req(
            "POST",
            "/jobs",
            &[],
            Some(b"{\"type\":\"t\xff\",\"queue\":\"q\",\"payload\":1}".to_vec()),
        )
        .await;
    assert_eq!(r.status, 400);
    let r = c
        .req(
            "POST",
            "/jobs",
            &[("content-type", "application/msgpack")],
            Some(vec![0xc1]),
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(r.error().starts_with("invalid MessagePack: "));
    // msgpack bin payload is rejected
    let mut mp = vec![0x83, 0xa4];
    mp.extend_from_slice(b"type");
    mp.extend_from_slice(&[0xa1, b't', 0xa5]);
    mp.extend_from_slice(b"queue");
    mp.extend_from_slice(&[0xa1, b'q', 0xa7]);
    mp.extend_from_slice(b"payload");
    mp.extend_from_slice(&[0xc4, 0x01, 0x00]);
    let r = c
        .req(
            "POST",
            "/jobs",
            &[("content-type", "application/msgpack")],
            Some(mp),
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(r.error().contains("byte array"), "{}", r.error());
    // invalid UTF-8 path segment -> plain text
    let r = c.get("/jobs/%ff").await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.header("content-type").as_deref(),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(r.text(), "Invalid URL: Invalid UTF-8 in `id`");
    let r = c.get("/jobs/abc/errors/x").await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.text(),
        "Invalid URL: Cannot parse value at index 1 with value `x` to a `u32`"
    );
}

#[tokio::test]
async fn enqueue_json_exact_and_msgpack_encoding() {
    let (_s, mut c) = setup(cfg()).await;
    let r = c
        .post(
            "/jobs",
            &json!({"type":"t1","queue":"q1","payload":{"n":1},"priority":5}),
        )
        .await;
    assert_eq!(r.status, 201);
    let j = r.json();
    let id = j["id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 25);
    assert!(id
        .bytes()
        .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase()));
    let ready_at = j["ready_at"].as_u64().unwrap();
    assert_eq!(
        r.text(),
        format!(
            r#"{{"id":"{id}","type":"t1","queue":"q1","priority":5,"status":"ready","ready_at":{ready_at},"attempts":0,"duplicate":false,"folded":false}}"#
        )
    );
    // ids strictly increase
    let mut last = id.clone();
    for _ in 0..50 {
        let j = c.enqueue(job("q1", json!(null))).await;
        let n = j["id"].as_str().unwrap().to_string();
        assert!(n > last);
        last = n;
    }
    // full view with payload null, and all optional fields in order
    let r = c
        .post(
            "/jobs",
            &json!({"type":"t","queue":"q","payload":null,"ready_at":1,"retry_limit":3,
              "backoff":{"exponent":2,"base_ms":10,"jitter_ms":0},"retention":{}}),
        )
        .await;
    assert_eq!(r.status, 201);
    let id2 = r.json()["id"].as_str().unwrap().to_string();
    let g = c.get(&format!("/jobs/{id2}")).await;
    assert_eq!(
        g.text(),
        format!(
            r#"{{"id":"{id2}","type":"t","queue":"q","priority":32768,"status":"ready","payload":null,"ready_at":1,"attempts":0,"retry_limit":3,"backoff":{{"exponent":2.0,"base_ms":10,"jitter_ms":0}},"retention":{{}}}}"#
        )
    );
    // msgpack: smallest ints, float32 exponent, string keys
    let r = c
        .req(
            "GET",
            &format!("/jobs/{id2}"),
            &[("accept", "application/msgpack")],
            None,
        )
        .await;
    assert_eq!(
        r.header("content-type").as_deref(),
        Some("application/msgpack")
    );
    let b = &r.body;
    let find = |pat: &[u8]| b.windows(pat.len()).position(|w| w == pat);
    assert!(find(b"\xa8priority\xcd\x80\x00").is_some());
    assert!(find(b"\xa8attempts\x00").is_some());
    assert!(find(b"\xa8ready_at\x01").is_some());
    assert!(find(b"\xa8exponent\xca\x40\x00\x00\x00").is_some());
    assert!(find(b"\xa7payload\xc0").is_some());
    assert_eq!(b[0], 0x8b, "fixmap of 11 keys");
    // msgpack request body
    let r = c
        .msgpack(
            "POST",
            "/jobs",
            &json!({"type":"m","queue":"mq","payload":[1,-2,1.5,"x",true]}),
        )
        .await;
    assert_eq!(r.status, 201);
    let v = r.msgpack();
    assert_eq!(v["queue"], "mq");
    assert_eq!(v["duplicate"], false);
    let g = c
        .get(&format!("/jobs/{}", v["id"].as_str().unwrap()))
        .await
        .json();
    assert_eq!(g["payload"], json!([1, -2, 1.5, "x", true]));
}

#[tokio::test]
async fn enqueue_validation_and_scheduling() {
    let (_s, mut c) = setup(cfg()).await;
    let cases = [
        (
            json!({"type":"","queue":"q","payload":1}),
            "type must not be empty",
        ),
        (
            json!({"type":"t","queue":"a,b","payload":1}),
            "queue must not contain ','",
        ),
        (
            json!({"type":"t","queue":"a\u{0}","payload":1}),
            "queue must not contain null bytes",
        ),
        (
            json!({"type":"t{","queue":"a*","payload":1}),
            "type must not contain '{' (reserved)",
        ),
        (
            json!({"type":"t","queue":"q","payload":1,"unique_while":"queued"}),
            "unique_while requires unique_key",
        ),
        (
            json!({"type":"t","queue":"q","payload":1,"unique_key":"k","batch":{"key":"b","when":"true","fold":"$new"}}),
            "unique_key and batch cannot be combined",
        ),
        (
            json!({"type":"t","queue":"q","payload":1,"unique_key":"k","unique_while":"x"}),
            "invalid unique_while: \"x\" (expected \"queued\", \"active\", or \"exists\")",
        ),
    ];
    for (body, msg) in cases {
        let r = c.post("/jobs", &body).await;
        assert_eq!((r.status, r.error().as_str()), (400, msg));
    }
    let r = c
        .post(
            "/jobs",
            &json!({"type":"a b/c.d:é","queue":"q q","payload":1}),
        )
        .await;
    assert_eq!(r.status, 201);
    let future = c
        .enqueue(json!({"type":"t","queue":"q","payload":1,"ready_at": 4_000_000_000_000u64}))
        .await;
    assert_eq!(future["status"], "scheduled");
    let past = c
        .enqueue(json!({"type":"t","queue":"q","payload":1,"ready_at": 5}))
        .await;
    assert_eq!(
        (past["status"].as_str(), past["ready_at"].as_u64()),
        (Some("ready"), Some(5))
    );
    let r = c
        .post(
            "/jobs",
            &json!({"type":"t","queue":"q","payload":1,"priority":null,"ready_at":null}),
        )
        .await;
    assert_eq!(r.json()["priority"], 32768);
    // bulk
    let r = c.post("/jobs/bulk", &json!({"jobs":[]})).await;
    assert_eq!((r.status, r.text().as_str()), (201, r#"{"jobs":[]}"#));
    let r = c
        .post(
            "/jobs/bulk",
            &json!({"jobs":[job("a", json!(1)), {"type":"t","queue":"a,b","payload":1}]}),
        )
        .await;
    assert_eq!(
        (r.status, r.error().as_str()),
        (400, "jobs[1]: queue must not contain ','")
    );
    let r = c
        .post(
            "/jobs/bulk",
            &json!({"jobs":[job("b1", json!(1)), job("b2", json!(2))]}),
        )
        .await;
    assert_eq!(r.status, 201);
    let jobs = r.json()["jobs"].as_array().unwrap().clone();
    assert_eq!(jobs.len(), 2);
    assert_eq!(jobs[1]["queue"], "b2");
    assert!(jobs[0].get("payload").is_none());
    assert_eq!(c.post("/jobs/bulk", &json!({})).await.status, 400);
}

#[tokio::test]
async fn list_pagination_links_and_filters() {
    let (_s, mut c) = setup(cfg()).await;
    let mut ids = Vec::new();
    for i in 0..7 {
        let q = if i % 2 == 0 { "example" } else { "other" };
        ids.push(
            c.enqueue(json!({"type":"t","queue":q,"payload":{"n":i},"priority":i}))
                .await["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    let r = c.get("/jobs?limit=3").await.json();
    assert_eq!(r["jobs"].as_array().unwrap().len(), 3);
    assert_eq!(
        r["pages"],
        json!({"self":"/jobs?order=asc&limit=3","next":format!("/jobs?from={}&order=asc&limit=3", ids[2]),"prev":null})
    );
    let p2 = c.get(r["pages"]["next"].as_str().unwrap()).await.json();
    assert_eq!(p2["jobs"][0]["id"], ids[3]);
    assert_eq!(
        p2["pages"]["prev"],
        format!("/jobs?from={}&order=desc&limit=3", ids[3])
    );
    let p3 = c.get(p2["pages"]["next"].as_str().unwrap()).await.json();
    assert_eq!(p3["jobs"].as_array().unwrap().len(), 1);
    assert_eq!(p3["pages"]["next"], Value::Null);
    let back = c.get(p3["pages"]["prev"].as_str().unwrap()).await.json();
    let got: Vec<&str> = back["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_str().unwrap())
        .collect();
    assert_eq!(got, vec![ids[5].as_str(), ids[4].as_str(), ids[3].as_str()]);
    // desc first page has no prev
    let d = c.get("/jobs?order=desc&limit=2").await.json();
    assert_eq!(d["jobs"][0]["id"], ids[6]);
    assert_eq!(d["pages"]["prev"], Value::Null);
    // canonical filter rendering
    let r = c.get("/jobs?limit=2&queue=example,example&status=ready,scheduled&priority=0..5&attempts=..&filter=.n%20%3E%3D%202").await.json();
    assert_eq!(
        r["pages"]["self"],
        "/jobs?order=asc&limit=2&status=scheduled,ready&queue=example&priority=..5&attempts=..4294967295&filter=.n%20%3E%3D%202"
    );
    let got: Vec<i64> = r["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["payload"]["n"].as_i64().unwrap())
        .collect();
    assert_eq!(got, vec![2, 4]);
    assert_eq!(r["pages"]["next"], Value::Null);
    let r = c
        .get("/jobs?limit=1&queue=example&filter=.n%20%3E%3D%202")
        .await
        .json();
    assert_eq!(
        r["pages"]["next"],
        format!(
            "/jobs?from={}&order=asc&limit=1&queue=example&filter=.n%20%3E%3D%202",
            ids[2]
        )
    );
    let r = c.get("/jobs?priority=3..&type=t").await.json();
    assert_eq!(r["jobs"].as_array().unwrap().len(), 4);
    assert_eq!(
        r["pages"]["self"],
        "/jobs?order=asc&limit=50&type=t&priority=3.."
    );
    let r = c
        .get(&format!("/jobs?id={},{}", ids[1], ids[0]))
        .await
        .json();
    assert_eq!(r["jobs"].as_array().unwrap().len(), 2);
    assert_eq!(
        r["pages"]["self"],
        format!("/jobs?order=asc&limit=50&id={},{}", ids[0], ids[1])
    );
    assert_eq!(
        c.get("/jobs?status=&queue=").await.json()["jobs"]
            .as_array()
            .unwrap()
            .len(),
        7
    );
    assert_eq!(
        c.get("/jobs?queue=a+b").await.json()["pages"]["self"],
        "/jobs?order=asc&limit=50&queue=a b"
    );
    // count
    assert_eq!(c.get("/jobs/count").await.text(), r#"{"count":7}"#);
    assert_eq!(c.get("/jobs/count?queue=other").await.json()["count"], 3);
    assert_eq!(
        c.get("/jobs/count?filter=.n%20%3D%3D%201").await.json()["count"],
        1
    );
    // errors
    let bad = [
        ("/jobs?limit=0", "limit must be between 1 and 2000"),
        ("/jobs?limit=2001", "limit must be between 1 and 2000"),
        ("/jobs?id=abc", "invalid job ID: \"abc\""),
        ("/jobs?filter=foo", "invalid filter: undefined filter \"foo\""),
        ("/jobs?filter=", "invalid filter: expected term"),
        ("/jobs?bogus=1", "invalid query parameters: Failed to deserialize query string: bogus: unknown field `bogus`, expected one of `from`, `order`, `limit`, `status`, `queue`, `type`, `id`, `priority`, `ready_at`, `attempts`, `filter`"),
        ("/jobs?status=a&status=b", "invalid query parameters: Failed to deserialize query string: duplicate field `status`"),
        ("/jobs?status=bogus", "invalid query parameters: Failed to deserialize query string: status: unknown status: bogus"),
        ("/jobs?order=up", "invalid query parameters: Failed to deserialize query string: order: unknown variant `up`, expected `asc` or `desc`"),
        ("/jobs?priority=5..1", "invalid query parameters: Failed to deserialize query string: priority: range lower bound exceeds upper bound"),
        ("/jobs/count?limit=1", "invalid query parameters: Failed to deserialize query string: limit: unknown field `limit`, expected one of `id`, `status`, `queue`, `type`, `priority`, `ready_at`, `attempts`, `filter`"),
    ];
    for (path, msg) in bad {
        let r = c.get(path).await;
        assert_eq!((r.status, r.error().as_str()), (400, msg), "{path}");
    }
    for path in [
        "/jobs?limit=70000",
        "/jobs?priority=x",
        "/jobs?ready_at=-1",
        "/jobs?attempts=99999999999",
    ] {
        let r = c.get(path).await;
        assert_eq!(r.status, 400, "{path}");
        assert!(
            r.error().starts_with("invalid query parameters: "),
            "{path}"
        );
    }
    // non-id cursor is a lexicographic bound
    let r = c.get("/jobs?from=").await.json();
    assert_eq!(r["jobs"].as_array().unwrap().len(), 7);
    assert_eq!(r["pages"]["self"], "/jobs?from=&order=asc&limit=50");
    assert_eq!(
        c.get("/jobs?from=zzz").await.json()["jobs"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    // queues
    assert_eq!(
        c.get("/queues").await.text(),
        r#"{"queues":["example","other"]}"#
    );
}

#[tokio::test]
async fn ack_bulk_ack_delete_reset() {
    let (s, mut c) = setup(cfg()).await;
    for i in 0..4 {
        c.enqueue(job("q", json!(i))).await;
    }
    let sched = c
        .enqueue(json!({"type":"t","queue":"q","payload":1,"ready_at":4_000_000_000_000u64}))
        .await;
    let sid = sched["id"].as_str().unwrap().to_string();
    let (_t, jobs) = take_n(&s, 4).await;
    let id = |i: usize| jobs[i]["id"].as_str().unwrap().to_string();
    assert_eq!(c.ack(&id(0)).await.status, 204);
    let r = c.ack(&id(0)).await;
    assert_eq!(
        (r.status, r.error().as_str()),
        (404, "job not found in in-flight set")
    );
    assert_eq!(c.ack(&sid).await.status, 404);
    assert_eq!(c.ack("garbage").await.status, 404);
    // completed with retention 0 -> gone
    assert_eq!(
        c.get(&format!("/jobs/{}", id(0))).await.error(),
        "job not found"
    );
    let r = c.post("/jobs/success", &json!({"ids":[]})).await;
    assert_eq!(
        (r.status, r.error().as_str()),
        (400, "ids must not be empty")
    );
    assert_eq!(c.post("/jobs/success", &json!({})).await.status, 400);
    let r = c
        .post(
            "/jobs/success",
            &json!({"ids":[id(1), id(1), "nope", id(0)]}),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json(), json!({"not_found":["nope", id(0)]}));
    let r = c.post("/jobs/success", &json!({"ids":[id(2)]})).await;
    assert_eq!(r.status, 204);
    assert!(r.body.is_empty());
    assert_eq!(r.header("content-type"), None);
    // delete in-flight, then its ack is 404
    assert_eq!(c.delete(&format!("/jobs/{}", id(3))).await.status, 204);
    assert_eq!(c.ack(&id(3)).await.status, 404);
    assert_eq!(
        c.delete(&format!("/jobs/{}", id(3))).await.error(),
        "job not found"
    );
    // bulk delete
    c.enqueue(job("x", json!(1))).await;
    c.enqueue(job("y", json!(1))).await;
    let r = c.delete("/jobs?queue=x").await;
    assert_eq!(r.text(), r#"{"deleted":1}"#);
    assert_eq!(c.delete("/jobs?id=bad").await.status, 400);
    let r = c.delete("/jobs").await;
    assert_eq!(r.json()["deleted"], 2);
    c.enqueue(job("z", json!(1))).await;
    let r = c
        .req("POST", "/reset", &[], Some(b"ignored".to_vec()))
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(c.get("/jobs/count").await.json()["count"], 0);
    assert_eq!(c.get("/queues").await.text(), r#"{"queues":[]}"#);
}

#[tokio::test]
async fn patch_single_and_bulk() {
    let (s, mut c) = setup(cfg()).await;
    let a = c.enqueue(job("q", json!(1))).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = c.json("PATCH", &format!("/jobs/{a}"), &json!({})).await;
    assert_eq!(r.status, 200);
    assert!(r.json().get("payload").is_none());
    assert!(r.json().get("duplicate").is_none());
    let checks = [
        (json!({"queue":null}), "queue cannot be null"),
        (json!({"queue":"a,b"}), "queue must not contain ','"),
        (json!({"priority":null}), "priority cannot be null"),
    ];
    for (b, msg) in checks {
        let r = c.json("PATCH", &format!("/jobs/{a}"), &b).await;
        assert_eq!((r.status, r.error().as_str()), (422, msg));
    }
    assert_eq!(
        c.json("PATCH", "/jobs/unknown", &json!({})).await.error(),
        "job not found"
    );
    assert_eq!(
        c.json("PATCH", "/jobs/unknown", &json!({"priority":"x"}))
            .await
            .status,
        400
    );
    let r = c
        .json("PATCH", &format!("/jobs/{a}"), &json!({"queue":"q2","priority":7,"retry_limit":4,
              "backoff":{"exponent":1.5,"base_ms":1,"jitter_ms":2},"retention":{"completed_ms":5},"type":"ignored"}))
        .await
        .json();
    assert_eq!(
        (
            r["queue"].as_str(),
            r["priority"].as_u64(),
            r["type"].as_str()
        ),
        (Some("q2"), Some(7), Some("t"))
    );
    assert_eq!(
        r["backoff"],
        json!({"exponent":1.5,"base_ms":1,"jitter_ms":2})
    );
    let r = c
        .json(
            "PATCH",
            &format!("/jobs/{a}"),
            &json!({"retention":{"completed_ms":null,"dead_ms":9}}),
        )
        .await
        .json();
    assert_eq!(r["retention"], json!({"dead_ms":9}));
    let r = c
        .json(
            "PATCH",
            &format!("/jobs/{a}"),
            &json!({"retention":{"dead_ms":null},"retry_limit":null,"backoff":null}),
        )
        .await
        .json();
    assert!(
        r.get("retention").is_none()
            && r.get("retry_limit").is_none()
            && r.get("backoff").is_none()
    );
    // ready -> scheduled -> ready
    let r = c
        .json(
            "PATCH",
            &format!("/jobs/{a}"),
            &json!({"ready_at": 4_000_000_000_000u64}),
        )
        .await
        .json();
    assert_eq!(r["status"], "scheduled");
    let r = c
        .json("PATCH", &format!("/jobs/{a}"), &json!({"ready_at": null}))
        .await
        .json();
    assert_eq!(r["status"], "ready");
    let r = c
        .json(
            "PATCH",
            &format!("/jobs/{a}"),
            &json!({"ready_at": 4_000_000_000_000u64}),
        )
        .await
        .json();
    assert_eq!(r["status"], "scheduled");
    let r = c
        .json("PATCH", &format!("/jobs/{a}"), &json!({"ready_at": 3}))
        .await
        .json();
    assert_eq!(
        (r["status"].as_str(), r["ready_at"].as_u64()),
        (Some("ready"), Some(3))
    );
    // in-flight: only fields change
    let (_t, jobs) = take_n(&s, 1).await;
    let r = c
        .json(
            "PATCH",
            &format!("/jobs/{a}"),
            &json!({"ready_at": 4_000_000_000_000u64, "priority": 1}),
        )
        .await
        .json();
    assert_eq!(
        (r["status"].as_str(), r["priority"].as_u64()),
        (Some("in_flight"), Some(1))
    );
    assert_eq!(jobs[0]["id"], a);
    // completed job cannot be patched (retain it first)
    let b = c
        .enqueue(json!({"type":"t","queue":"q3","payload":1,"retention":{"completed_ms":60000}}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut t = Take::open(s.addr(), "/jobs/take?queue=q3", None).await;
    t.jobs(1).await;
    assert_eq!(c.ack(&b).await.status, 204);
    let r = c.json("PATCH", &format!("/jobs/{b}"), &json!({})).await;
    assert_eq!(
        (r.status, r.error()),
        (422, format!("cannot patch job {b} in completed status"))
    );
    // bulk
    for i in 0..3 {
        c.enqueue(job("bulk", json!({"n": i}))).await;
    }
    let r = c
        .json("PATCH", "/jobs?queue=bulk", &json!({"priority": 9}))
        .await;
    assert_eq!(r.text(), r#"{"patched":3}"#);
    assert_eq!(
        c.get("/jobs/count?queue=bulk&priority=9").await.json()["count"],
        3
    );
    let r = c
        .json(
            "PATCH",
            "/jobs?queue=bulk&filter=.n%20%3E%200",
            &json!({"queue": "bulk2"}),
        )
        .await;
    assert_eq!(r.json()["patched"], 2);
    let r = c.json("PATCH", "/jobs?status=completed", &json!({})).await;
    assert_eq!(
        (r.status, r.error().as_str()),
        (422, "cannot patch jobs in Completed status")
    );
    let r = c.json("PATCH", "/jobs?status=dead", &json!({})).await;
    assert_eq!(r.error(), "cannot patch jobs in Dead status");
    assert_eq!(c.json("PATCH", "/jobs?id=x", &json!({})).await.status, 400);
    assert_eq!(
        c.json("PATCH", "/jobs", &json!({"queue": null}))
            .await
            .status,
        422
    );
    assert_eq!(
        c.json("PATCH", "/jobs?filter=%5B", &json!({})).await.status,
        400
    );
    assert_eq!(
        c.json("PATCH", "/jobs?bogus=1", &json!({})).await.status,
        400
    );
    // body decoded before query
    let r = c
        .req("PATCH", "/jobs?bogus=1", &[], Some(b"nope".to_vec()))
        .await;
    assert!(r.error().starts_with("invalid JSON"));
    // terminal jobs are skipped silently by bulk patch
    let r = c
        .json("PATCH", "/jobs?queue=q3", &json!({"priority": 1}))
        .await;
    assert_eq!(r.json()["patched"], 0);
}

#[tokio::test]
async fn failure_backoff_and_error_records() {
    let mut config = cfg();
    config.backoff_random = Some(0.5);
    let (s, mut c) = setup(config).await;
    let id = c
        .enqueue(json!({"type":"t","queue":"f","payload":1,"backoff":{"exponent":2,"base_ms":1000,"jitter_ms":2000}}))
        .await["id"].as_str().unwrap().to_string();
    let mut t = Take::open(s.addr(), "/jobs/take?queue=f", None).await;
    let j = t.jobs(1).await.remove(0);
    let dq = j["dequeued_at"].as_u64().unwrap();
    // body decoded before existence
    assert_eq!(c.post("/jobs/nope/failure", &json!({})).await.status, 400);
    assert_eq!(
        c.post(&format!("/jobs/{id}/failure"), &json!({"message":null}))
            .await
            .status,
        400
    );
    assert_eq!(
        c.post(
            &format!("/jobs/{id}/failure"),
            &json!({"message":"m","kill":null})
        )
        .await
        .status,
        400
    );
    let r = c.post("/jobs/nope/failure", &json!({"message":"x"})).await;
    assert_eq!(
        (r.status, r.error().as_str()),
        (404, "job not found in in-flight set")
    );
    let r = c
        .post(
            &format!("/jobs/{id}/failure"),
            &json!({"message":"boom","error_type":"E","backtrace":"bt"}),
        )
        .await;
    assert_eq!(r.status, 200);
    let v = r.json();
    let failed_at = v["failed_at"].as_u64().unwrap();
    // delay = 1^2*1000 + 1000 + 0.5*2000*1 = 3000
    assert_eq!(v["ready_at"].as_u64().unwrap(), failed_at + 3000);
    assert_eq!(
        (v["status"].as_str(), v["attempts"].as_u64()),
        (Some("scheduled"), Some(1))
    );
    assert!(v.get("payload").is_none());
    assert_eq!(
        r.text(),
        format!(
            r#"{{"id":"{id}","type":"t","queue":"f","priority":32768,"status":"scheduled","ready_at":{},"attempts":1,"backoff":{{"exponent":2.0,"base_ms":1000,"jitter_ms":2000}},"dequeued_at":{dq},"failed_at":{failed_at}}}"#,
            failed_at + 3000
        )
    );
    let e = c.get(&format!("/jobs/{id}/errors/1")).await;
    assert_eq!(
        e.text(),
        format!(
            r#"{{"attempt":1,"message":"boom","error_type":"E","backtrace":"bt","dequeued_at":{dq},"failed_at":{failed_at}}}"#
        )
    );
    assert_eq!(
        c.get(&format!("/jobs/{id}/errors/0")).await.error(),
        "error record not found"
    );
    assert_eq!(c.get("/jobs/nope/errors/1").await.error(), "job not found");
    // second failure via retry_at in the past: redelivered quickly
    c.json("PATCH", &format!("/jobs/{id}"), &json!({"ready_at": null}))
        .await;
    let j = t.jobs(1).await.remove(0);
    assert_eq!(j["attempts"], 1);
    let v = c
        .post(
            &format!("/jobs/{id}/failure"),
            &json!({"message":"again","retry_at": 1}),
        )
        .await
        .json();
    assert_eq!(
        (v["status"].as_str(), v["ready_at"].as_u64()),
        (Some("scheduled"), Some(1))
    );
    let j = t.jobs(1).await.remove(0);
    assert_eq!(j["attempts"], 2);
    // third: kill -> dead, retained 7 days by default
    let v = c
        .post(
            &format!("/jobs/{id}/failure"),
            &json!({"message":"dead","kill":true}),
        )
        .await
        .json();
    assert_eq!(v["status"], "dead");
    assert_eq!(
        v["purge_at"].as_u64().unwrap(),
        v["failed_at"].as_u64().unwrap() + 604_800_000
    );
    // errors list + pagination
    let r = c.get(&format!("/jobs/{id}/errors?limit=2")).await.json();
    assert_eq!(r["errors"].as_array().unwrap().len(), 2);
    assert_eq!(
        r["pages"],
        json!({"self":format!("/jobs/{id}/errors?order=asc&limit=2"),"next":format!("/jobs/{id}/errors?from=2&order=asc&limit=2"),"prev":null})
    );
    let r2 = c.get(r["pages"]["next"].as_str().unwrap()).await.json();
    assert_eq!(r2["errors"][0]["attempt"], 3);
    assert_eq!(
        r2["pages"]["prev"],
        format!("/jobs/{id}/errors?from=3&order=desc&limit=2")
    );
    let r3 = c.get(&format!("/jobs/{id}/errors?order=desc")).await.json();
    assert_eq!(r3["errors"][0]["attempt"], 3);
    assert_eq!(
        c.get(&format!("/jobs/{id}/errors?limit=0")).await.error(),
        "limit must be between 1 and 2000"
    );
    assert_eq!(c.get("/jobs/nope/errors?limit=0").await.status, 400);
    assert_eq!(c.get("/jobs/nope/errors").await.status, 404);
    assert_eq!(c.get(&format!("/jobs/{id}/errors?x=1")).await.status, 400);
}

#[tokio::test]
async fn retry_limit_default_backoff_and_retention_zero() {
    let mut config = cfg();
    config.backoff_random = Some(0.0);
    config.default_dead_job_retention = Duration::ZERO;
    let (s, mut c) = setup(config).await;
    let id = c
        .enqueue(json!({"type":"t","queue":"r","payload":1,"retry_limit":1}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut t = Take::open(s.addr(), "/jobs/take?queue=r", None).await;
    t.jobs(1).await;
    let v = c
        .post(&format!("/jobs/{id}/failure"), &json!({"message":"1"}))
        .await
        .json();
    // default backoff: 1^4*1000 + 15000 + 0 = 16000
    assert_eq!(
        v["ready_at"].as_u64().unwrap(),
        v["failed_at"].as_u64().unwrap() + 16000
    );
    c.json("PATCH", &format!("/jobs/{id}"), &json!({"ready_at": null}))
        .await;
    t.jobs(1).await;
    let v = c
        .post(&format!("/jobs/{id}/failure"), &json!({"message":"2"}))
        .await
        .json();
    assert_eq!(v["status"], "dead");
    assert!(v.get("purge_at").is_none());
    assert_eq!(c.get(&format!("/jobs/{id}")).await.status, 404);
    // retry_limit 0 dies on first failure; retry_at still wins over the limit
    let id2 = c
        .enqueue(json!({"type":"t","queue":"r","payload":1,"retry_limit":0}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    t.jobs(1).await;
    let v = c
        .post(
            &format!("/jobs/{id2}/failure"),
            &json!({"message":"x","retry_at": 1}),
        )
        .await
        .json();
    assert_eq!(v["status"], "scheduled");
    t.jobs(1).await;
    let v = c
        .post(&format!("/jobs/{id2}/failure"), &json!({"message":"x"}))
        .await
        .json();
    assert_eq!(v["status"], "dead");
}

#[tokio::test]
async fn completed_retention_and_purge_hiding() {
    let mut config = cfg();
    config.default_completed_job_retention = Duration::from_millis(300);
    let (s, mut c) = setup(config).await;
    let id = c.enqueue(job("k", json!(1))).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut t = Take::open(s.addr(), "/jobs/take", None).await;
    t.jobs(1).await;
    assert_eq!(c.ack(&id).await.status, 204);
    let v = c.get(&format!("/jobs/{id}")).await.json();
    assert_eq!(v["status"], "completed");
    assert_eq!(
        v["purge_at"].as_u64().unwrap(),
        v["completed_at"].as_u64().unwrap() + 300
    );
    eventually("job purged", || {
        let addr = s.addr();
        let id = id.clone();
        async move {
            Client::h1(addr)
                .await
                .get(&format!("/jobs/{id}"))
                .await
                .status
                == 404
        }
    })
    .await;
    assert_eq!(c.get("/jobs/count").await.json()["count"], 0);
}

#[tokio::test]
async fn free_tier_gates_in_order() {
    let mut config = cfg();
    config.tier = Tier::Free;
    let (s, mut c) = setup(config).await;
    let r = c
        .post(
            "/jobs",
            &json!({"type":"t","queue":"q","payload":1,"unique_key":"k"}),
        )
        .await;
    assert_eq!(
        (r.status, r.error().as_str()),
        (403, "unique jobs requires a pro license")
    );
    let r = c.post("/jobs", &json!({"type":"t","queue":"q","payload":1,"batch":{"key":"b","when":"true","fold":"$new"}})).await;
    assert_eq!(
        (r.status, r.error().as_str()),
        (403, "batched jobs requires a pro license")
    );
    // bad word with a key on free: 403 first (single), 400 on bulk
    let r = c
        .post(
            "/jobs",
            &json!({"type":"t","queue":"q","payload":1,"unique_key":"k","unique_while":"x"}),
        )
        .await;
    assert_eq!(r.status, 403);
    let r = c.post("/jobs/bulk", &json!({"jobs":[{"type":"t","queue":"q","payload":1,"unique_key":"k","unique_while":"x"}]})).await;
    assert_eq!(r.status, 400);
    assert!(r.error().starts_with("jobs[0]: invalid unique_while"));
    let r = c.post("/jobs/bulk", &json!({"jobs":[job("q", json!(1)), {"type":"t","queue":"q","payload":1,"unique_key":"k"}]})).await;
    assert_eq!(r.status, 403);
    // validation comes before the licence
    let r = c
        .post(
            "/jobs",
            &json!({"type":"","queue":"q","payload":1,"unique_key":"k"}),
        )
        .await;
    assert_eq!(r.status, 400);
    // cron: body errors before 403, everything else 403
    let r = c.json("PATCH", "/crons/x", &json!({})).await;
    assert_eq!(r.status, 400);
    for (m, p) in [
        ("GET", "/crons"),
        ("DELETE", "/crons"),
        ("GET", "/crons/g"),
        ("DELETE", "/crons/g"),
        ("GET", "/crons/g/entries/e"),
    ] {
        let r = c.req(m, p, &[], None).await;
        assert_eq!(
            (r.status, r.error().as_str()),
            (403, "cron scheduling requires a pro license"),
            "{m} {p}"
        );
    }
    let r = c.json("PUT", "/crons/g", &json!({"entries":[]})).await;
    assert_eq!(r.status, 403);
    // reset works on free
    assert_eq!(c.req("POST", "/reset", &[], None).await.status, 204);
    // switch to pro at run time through the control API
    let r = c
        .json("PUT", "/_testserver/config", &json!({"tier":"pro"}))
        .await;
    assert_eq!(r.json()["tier"], "pro");
    assert_eq!(c.get("/crons").await.status, 200);
    s.control().set_tier(Tier::Free);
    assert_eq!(c.get("/crons").await.status, 403);
}
