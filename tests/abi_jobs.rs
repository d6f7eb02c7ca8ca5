//! Job operations through the C ABI, in both formats.

// The tests drive the C ABI as a C program does: every unsafe call passes
// handles and buffers the library returned, or locals that outlive the call.
#![allow(clippy::undocumented_unsafe_blocks)]

mod common;

use common::*;
use serde_json::{json, Value};
use std::ptr;
use zizq::ffi::jobs::*;
use zizq::ffi::server::*;

#[test]
fn versions_and_status_names() {
    use zizq::ffi::*;
    assert_eq!(zizq_abi_version(), ZIZQ_ABI_VERSION);
    assert!(name(zizq_version()).starts_with("libzizq/"));
    assert_eq!(name(zizq_status_name(4)), "ZIZQ_E_NOT_FOUND");
    assert_eq!(name(zizq_status_name(999)), "ZIZQ_UNKNOWN");
    assert_eq!(name(zizq_status_str(0)), "success");
}

#[test]
fn server_endpoints_in_both_formats() {
    let env = Env::new();
    for format in FORMATS {
        let c = env.client(format);
        assert_eq!(c.health().unwrap(), json!({"status": "ok"}));
        let v = buf(|o, e| unsafe { zizq_server_version(c.ptr, o, e) }).unwrap();
        assert!(c.dec(&v)["version"].as_str().unwrap().starts_with("0."));
        c.enqueue(json!({"type": "t", "queue": "b-queue", "payload": null}))
            .unwrap();
        c.enqueue(json!({"type": "t", "queue": "a-queue", "payload": 1}))
            .unwrap();
        let q = buf(|o, e| unsafe { zizq_get_queues(c.ptr, o, e) }).unwrap();
        assert_eq!(c.dec(&q), json!({"queues": ["a-queue", "b-queue"]}));
        c.erase_all_data().unwrap();
        let q = buf(|o, e| unsafe { zizq_get_queues(c.ptr, o, e) }).unwrap();
        assert_eq!(c.dec(&q), json!({"queues": []}));
    }
}

#[test]
fn enqueue_get_update_delete_in_both_formats() {
    let env = Env::new();
    for format in FORMATS {
        let c = env.client(format);
        let later = 4_102_444_800_000u64; // 2100-01-01
        let job = c
            .enqueue(json!({"type": "send_email", "queue": "emails", "payload": {"to": "a@b.c", "n": [1, 2.5]},
                            "priority": 5, "ready_at": later, "retry_limit": 3,
                            "backoff": {"exponent": 2.0, "base_ms": 100, "jitter_ms": 0}}))
            .unwrap();
        assert_eq!(job["status"], "scheduled");
        assert_eq!(job["duplicate"], false);
        assert!(
            job.get("payload").is_none(),
            "enqueue answers omit the payload"
        );
        let id = job["id"].as_str().unwrap();

        let fetched = c.get_job(id).unwrap();
        assert_eq!(fetched["payload"], json!({"to": "a@b.c", "n": [1, 2.5]}));
        assert_eq!(fetched["ready_at"], later);
        assert_eq!(fetched["retry_limit"], 3);

        // Absent keys are unchanged, null resets to the server default.
        let cid = cstr(id);
        let patched = c
            .doc(
                &json!({"priority": 9, "retry_limit": null, "ready_at": null}),
                |d, l, o, e| unsafe { zizq_update_job(c.ptr, cid.as_ptr(), d, l, o, e) },
            )
            .unwrap();
        assert_eq!(patched["priority"], 9);
        assert!(patched.get("retry_limit").is_none());
        assert_eq!(patched["status"], "ready");
        assert_eq!(patched["queue"], "emails");
        assert_eq!(patched["backoff"]["base_ms"], 100);

        // queue/priority cannot be reset: refused locally.
        let err = c
            .doc(&json!({"queue": null}), |d, l, o, e| unsafe {
                zizq_update_job(c.ptr, cid.as_ptr(), d, l, o, e)
            })
            .unwrap_err();
        assert_eq!(err.status, S::ZIZQ_E_INVALID_ARG);
        assert!(err.message.contains("queue"), "{}", err.message);

        check(|e| unsafe { zizq_delete_job(c.ptr, cid.as_ptr(), e) }).unwrap();
        let err = c.get_job(id).unwrap_err();
        assert_eq!(err.status, S::ZIZQ_E_NOT_FOUND);
        assert_eq!(err.http, 404);
        assert_eq!(err.message, "job not found");
        assert!(!err.retryable);
        let body = err.body.expect("raw body kept");
        assert!(!body.is_empty());
    }
}

#[test]
fn bulk_enqueue_list_count_and_bulk_operations() {
    let env = Env::new();
    for format in FORMATS {
        let c = env.client(format);
        c.erase_all_data().unwrap();
        let mut jobs: Vec<Value> = (0..6)
            .map(|i| json!({"type": "a", "queue": "q1", "payload": {"i": i}}))
            .collect();
        jobs.push(
            json!({"type": "b", "queue": "q2 with space", "payload": {"i": 99}, "priority": 1}),
        );
        let out = c.enqueue_bulk(jobs).unwrap();
        assert_eq!(out["jobs"].as_array().unwrap().len(), 7);

        assert_eq!(c.count_jobs(json!({})).unwrap(), 7);
        assert_eq!(c.count_jobs(json!({"queue": ["q1"]})).unwrap(), 6);
        assert_eq!(c.count_jobs(json!({"queue": "q2 with space"})).unwrap(), 1);
        assert_eq!(
            c.count_jobs(json!({"type": ["a", "b"], "status": "ready"}))
                .unwrap(),
            7
        );
        assert_eq!(c.count_jobs(json!({"priority": [null, 1]})).unwrap(), 1);
        assert_eq!(c.count_jobs(json!({"filter": ".i >= 4"})).unwrap(), 3);

        let page = c
            .list_jobs(json!({"queue": "q1", "limit": 2, "order": "desc"}))
            .unwrap();
        let items = page["jobs"].as_array().unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0]["payload"]["i"], 5);
        assert!(page["pages"]["next"].is_string());

        let n = c
            .doc_count(
                &json!({"where": {"queue": "q1", "filter": ".i < 2"}, "apply": {"priority": 7}}),
                |d, l, o, e| unsafe { zizq_update_all_jobs(c.ptr, d, l, o, e) },
            )
            .unwrap();
        assert_eq!(n, 2);
        assert_eq!(c.count_jobs(json!({"priority": 7})).unwrap(), 2);

        let n = c
            .doc_count(
                &json!({"where": {"queue": ["q1"], "priority": 7}}),
                |d, l, o, e| unsafe { zizq_delete_all_jobs(c.ptr, d, l, o, e) },
            )
            .unwrap();
        assert_eq!(n, 2);
        let n = c
            .doc_count(&json!({}), |d, l, o, e| unsafe {
                zizq_delete_all_jobs(c.ptr, d, l, o, e)
            })
            .unwrap();
        assert_eq!(n, 5);
        assert_eq!(c.count_jobs(json!({})).unwrap(), 0);
    }
}

#[test]
fn pagination_follows_links_both_ways() {
    let env = Env::new();
    for format in FORMATS {
        let c = env.client(format);
        c.erase_all_data().unwrap();
        let ids = seed_jobs(&c, "pages", 5);
        let get_path = |link: &str| -> Value {
            let p = cstr(link);
            c.dec(&buf(|o, e| unsafe { zizq_get_path(c.ptr, p.as_ptr(), o, e) }).unwrap())
        };
        let ids_of = |page: &Value| -> Vec<String> {
            page["jobs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|j| j["id"].as_str().unwrap().to_string())
                .collect()
        };
        let first = c.list_jobs(json!({"queue": "pages", "limit": 2})).unwrap();
        assert_eq!(ids_of(&first), ids[0..2]);
        assert!(first["pages"]["prev"].is_null());
        let second = get_path(first["pages"]["next"].as_str().unwrap());
        assert_eq!(ids_of(&second), ids[2..4]);
        let third = get_path(second["pages"]["next"].as_str().unwrap());
        assert_eq!(ids_of(&third), ids[4..5]);
        assert!(third["pages"]["next"].is_null());
        // `prev` walks back nearest-first.
        let back = get_path(third["pages"]["prev"].as_str().unwrap());
        assert_eq!(ids_of(&back), vec![ids[3].clone(), ids[2].clone()]);
        // An absolute URL on the same server is followed; another host is refused.
        let absolute = format!("{}{}", env.url, first["pages"]["next"].as_str().unwrap());
        assert_eq!(ids_of(&get_path(&absolute)), ids[2..4]);
        let p = cstr("http://evil.example:1/jobs");
        let err = buf(|o, e| unsafe { zizq_get_path(c.ptr, p.as_ptr(), o, e) }).unwrap_err();
        assert_eq!(err.status, S::ZIZQ_E_INVALID_ARG);
        assert!(err.message.contains("another server"));
    }
}

#[test]
fn page_links_with_awkward_names_are_followed() {
    let env = Env::new();
    // The server writes set values into links raw; these break a link sent
    // verbatim (`+` decodes to a space, `&` starts a parameter, `%` an escape).
    let queue = "a b+c&d=x%41#é";
    for format in FORMATS {
        let c = env.client(format);
        c.erase_all_data().unwrap();
        let ids = seed_jobs(&c, queue, 3);
        seed_jobs(&c, "a b c", 2);
        let args = json!({"queue": [queue, "other&dead"], "filter": ".n >= 0 and (.n + 1) > 0", "limit": 2});
        let first = c.list_jobs(args).unwrap();
        let next = first["pages"]["next"].as_str().unwrap().to_string();
        let p = cstr(&next);
        let second = c.dec(&buf(|o, e| unsafe { zizq_get_path(c.ptr, p.as_ptr(), o, e) }).unwrap());
        let got: Vec<&str> = second["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|j| j["id"].as_str().unwrap())
            .collect();
        assert_eq!(got, [ids[2].as_str()], "link {next:?}");
        assert!(second["pages"]["next"].is_null());
    }
}

#[test]
fn empty_filters_match_nothing_without_a_request() {
    let env = Env::new();
    let Some(control) = env.control() else { return };
    for format in FORMATS {
        let c = env.client(format);
        seed_jobs(&c, "q", 3);
        let before = control.state().requests;
        let page = c.list_jobs(json!({"queue": []})).unwrap();
        assert_eq!(page, json!({"jobs": [], "pages": {}}));
        assert_eq!(c.count_jobs(json!({"id": []})).unwrap(), 0);
        assert_eq!(c.count_jobs(json!({"status": ""})).unwrap(), 0);
        let n = c
            .doc_count(&json!({"where": {"type": []}}), |d, l, o, e| unsafe {
                zizq_delete_all_jobs(c.ptr, d, l, o, e)
            })
            .unwrap();
        assert_eq!(n, 0);
        let n = c
            .doc_count(
                &json!({"where": {"queue": []}, "apply": {"priority": 1}}),
                |d, l, o, e| unsafe { zizq_update_all_jobs(c.ptr, d, l, o, e) },
            )
            .unwrap();
        assert_eq!(n, 0);
        assert_eq!(control.state().requests, before, "no request was made");
        assert_eq!(
            c.count_jobs(json!({"queue": "q"})).unwrap(),
            3,
            "nothing was deleted"
        );
        c.erase_all_data().unwrap();
    }
}

/// Take one job from `queue` through a short-lived stream.
fn take_one(c: &Client, queue: &str) -> String {
    use zizq::ffi::take::*;
    let opts = c.enc(&json!({"queues": [queue]}));
    let mut stream = ptr::null_mut();
    check(|e| unsafe { zizq_take_open(c.ptr, opts.as_ptr(), opts.len(), &mut stream, e) }).unwrap();
    let mut batch = ptr::null_mut();
    check(|e| unsafe { zizq_take_next(stream, 1, 5000, &mut batch, e) }).unwrap();
    assert!(!batch.is_null());
    let id = unsafe { name((*zizq_batch_get(batch, 0)).id) };
    unsafe {
        zizq_batch_free(batch);
        zizq_take_free(stream); // closing requeues the unacknowledged job
    }
    id
}

#[test]
fn acks_failures_and_error_records() {
    let env =
        Env::with(|c| c.default_completed_job_retention = std::time::Duration::from_secs(3600));
    for format in FORMATS {
        let c = env.client(format);
        c.erase_all_data().unwrap();
        use zizq::ffi::take::*;
        let ids = seed_jobs(&c, "acks", 4);
        let opts = c.enc(&json!({"queues": ["acks"], "prefetch": 4}));
        let mut stream = ptr::null_mut();
        check(|e| unsafe { zizq_take_open(c.ptr, opts.as_ptr(), opts.len(), &mut stream, e) })
            .unwrap();
        let mut taken = Vec::new();
        while taken.len() < 4 {
            let mut batch = ptr::null_mut();
            check(|e| unsafe { zizq_take_next(stream, 0, 5000, &mut batch, e) }).unwrap();
            for i in 0..unsafe { zizq_batch_len(batch) } {
                taken.push(unsafe { name((*zizq_batch_get(batch, i)).id) });
            }
            unsafe { zizq_batch_free(batch) };
        }
        assert_eq!(taken, ids);

        // Single ack, then a second ack of the same job is a 404.
        c.report_success(&ids[0]).unwrap();
        let err = c.report_success(&ids[0]).unwrap_err();
        assert_eq!((err.status, err.http), (S::ZIZQ_E_NOT_FOUND, 404));
        assert_eq!(err.message, "job not found in in-flight set");

        // Bulk ack with an unknown id: the server's 422 counts as success.
        let doc = c.enc(&json!([ids[1], "0000000000000000000000000"]));
        check(|e| unsafe { zizq_report_success_bulk(c.ptr, doc.as_ptr(), doc.len(), e) }).unwrap();
        // Completed (or already purged, on a server without retention).
        match c.get_job(&ids[1]) {
            Ok(job) => assert_eq!(job["status"], "completed"),
            Err(err) => assert_eq!(err.status, S::ZIZQ_E_NOT_FOUND),
        }
        let err = c.report_success(&ids[1]).unwrap_err();
        assert_eq!(err.message, "job not found in in-flight set");
        let doc = c.enc(&json!({"ids": []}));
        let err = check(|e| unsafe { zizq_report_success_bulk(c.ptr, doc.as_ptr(), doc.len(), e) })
            .unwrap_err();
        assert_eq!((err.status, err.http), (S::ZIZQ_E_CLIENT, 400));

        // A failure with retry_at schedules a retry; kill makes it dead.
        let at = 4_102_444_800_000u64;
        let job = c
            .report_failure(&ids[2], json!({"message": "boom", "error_type": "RuntimeError", "backtrace": "a.rb:1", "retry_at": at, "kill": false}))
            .unwrap();
        assert_eq!(
            (
                job["status"].as_str(),
                job["attempts"].as_u64(),
                job["ready_at"].as_u64()
            ),
            (Some("scheduled"), Some(1), Some(at))
        );
        let job = c
            .report_failure(&ids[3], json!({"message": "fatal", "kill": true}))
            .unwrap();
        assert_eq!(job["status"], "dead");
        let err = c
            .report_failure(&ids[3], json!({"error_type": "x"}))
            .unwrap_err();
        assert_eq!(err.status, S::ZIZQ_E_INVALID_ARG, "message is required");

        let cid = cstr(&ids[2]);
        let list = c
            .doc(&json!({"limit": 10}), |d, l, o, e| unsafe {
                zizq_list_errors(c.ptr, cid.as_ptr(), d, l, o, e)
            })
            .unwrap();
        let records = list["errors"].as_array().unwrap();
        assert_eq!(records.len(), 1);
        assert_eq!(records[0]["message"], "boom");
        assert_eq!(records[0]["backtrace"], "a.rb:1");
        let record =
            c.dec(&buf(|o, e| unsafe { zizq_get_error(c.ptr, cid.as_ptr(), 1, o, e) }).unwrap());
        assert_eq!(record["error_type"], "RuntimeError");
        let err = buf(|o, e| unsafe { zizq_get_error(c.ptr, cid.as_ptr(), 7, o, e) }).unwrap_err();
        assert_eq!(err.message, "error record not found");
        unsafe { zizq_take_free(stream) };
    }
}

#[test]
fn dropped_take_stream_requeues() {
    let env = Env::new();
    let c = env.client("msgpack");
    let ids = seed_jobs(&c, "rq", 1);
    assert_eq!(take_one(&c, "rq"), ids[0]);
    wait_until(5, "requeue", || {
        c.get_job(&ids[0]).unwrap()["status"] == "ready"
    });
    assert_eq!(
        take_one(&c, "rq"),
        ids[0],
        "the same job is delivered again"
    );
}

#[test]
fn generic_request_returns_any_status() {
    let env = Env::new();
    for format in FORMATS {
        let c = env.client(format);
        let (status, body) = c.request("GET", "/health", None).unwrap();
        assert_eq!(status, 200);
        assert_eq!(c.dec(&body), json!({"status": "ok"}));
        let (status, _) = c.request("GET", "/no/such/route", None).unwrap();
        assert_eq!(status, 404);
        let doc = c.enc(&json!({"type": "t", "queue": "q", "payload": [1]}));
        let (status, body) = c.request("POST", "/jobs", Some(&doc)).unwrap();
        assert_eq!(status, 201);
        assert_eq!(c.dec(&body)["queue"], "q");
        let err = c.request("GE T", "/health", None).unwrap_err();
        assert_eq!(err.status, S::ZIZQ_E_INVALID_ARG);
        let err = c.request("GET", "health", None).unwrap_err();
        assert_eq!(err.status, S::ZIZQ_E_INVALID_ARG);
    }
}

#[test]
fn unique_jobs_report_duplicates_or_403_on_free() {
    for tier in [zizq_testserver::Tier::Pro, zizq_testserver::Tier::Free] {
        let env = server_with_tier(tier);
        let free = env.free_tier();
        for format in FORMATS {
            let c = env.client(format);
            let job = json!({"type": "t", "queue": "u", "payload": {}, "unique_key": format!("k-{format}")});
            match c.enqueue(job.clone()) {
                Ok(first) => {
                    assert!(!free);
                    assert_eq!(first["duplicate"], false);
                    let second = c.enqueue(job).unwrap();
                    assert_eq!(second["duplicate"], true);
                    assert_eq!(second["id"], first["id"]);
                    assert_eq!(second["unique_while"], "queued");
                }
                Err(err) => {
                    assert!(free, "{err:?}");
                    assert_eq!((err.status, err.http), (S::ZIZQ_E_CLIENT, 403));
                    assert_eq!(err.message, "unique jobs requires a pro license");
                }
            }
        }
    }
}

/// `backoff` and `retention` may be given in seconds anywhere a job is
/// written; the server receives milliseconds.
#[test]
fn durations_in_seconds_reach_the_server_in_milliseconds() {
    let env = Env::new();
    for format in ["json", "msgpack"] {
        let c = env.client(format);
        let seconds = json!({
            "backoff": {"exponent": 2, "base": 1.5, "jitter": 0.25},
            "retention": {"completed": 60, "dead": 0.5}
        });
        let expect = |job: &Value| {
            assert_eq!(
                job["backoff"],
                json!({"exponent": 2.0, "base_ms": 1500, "jitter_ms": 250}),
                "{format}"
            );
            assert_eq!(
                job["retention"],
                json!({"completed_ms": 60000, "dead_ms": 500}),
                "{format}"
            );
        };
        let mut job = json!({"type": "t", "queue": "d", "payload": null});
        job.as_object_mut()
            .unwrap()
            .extend(seconds.as_object().unwrap().clone());
        let one = c.enqueue(job.clone()).unwrap();
        expect(&c.get_job(one["id"].as_str().unwrap()).unwrap());
        let bulk = c.enqueue_bulk(vec![job]).unwrap();
        expect(&c.get_job(bulk["jobs"][0]["id"].as_str().unwrap()).unwrap());

        let plain = c
            .enqueue(json!({"type": "t", "queue": "d", "payload": null}))
            .unwrap();
        let id = cstr(plain["id"].as_str().unwrap());
        c.doc(&seconds, |d, l, o, e| unsafe {
            zizq::ffi::jobs::zizq_update_job(c.ptr, id.as_ptr(), d, l, o, e)
        })
        .unwrap();
        expect(&c.get_job(plain["id"].as_str().unwrap()).unwrap());

        let mixed = json!({"type": "t", "queue": "d", "payload": null,
                           "backoff": {"base": 1, "base_ms": 1000}});
        assert_eq!(c.enqueue(mixed).unwrap_err().status, S::ZIZQ_E_INVALID_ARG);
    }
}
