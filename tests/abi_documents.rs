//! A client whose documents differ from its wire format (the `documents`
//! option), and error bodies that say their format.

// The tests drive the C ABI as a C program does: every unsafe call passes
// handles and buffers the library returned, or locals that outlive the call.
#![allow(clippy::undocumented_unsafe_blocks)]

mod common;

use common::*;
use serde_json::json;
use std::ptr;
use zizq::codec::{self, Format};
use zizq::ffi::client::zizq_client_format;
use zizq::ffi::client::zizq_format::{self, *};
use zizq::ffi::take::*;
use zizq::ffi::worker::*;

/// Decode strictly as JSON: a MessagePack document would fail here.
fn json_doc(bytes: &[u8]) -> serde_json::Value {
    codec::decode(Format::Json, bytes).expect("a JSON document")
}

/// The first job of the next batch of a take stream or worker, as (id, doc).
fn first_job(batch: *mut zizq_batch) -> (String, Vec<u8>) {
    assert!(!batch.is_null(), "a job arrived");
    unsafe {
        let job = &*zizq_batch_get(batch, 0);
        let taken = (
            name(job.id),
            std::slice::from_raw_parts(job.doc, job.doc_len).to_vec(),
        );
        zizq_batch_free(batch);
        taken
    }
}

#[test]
fn json_documents_travel_over_a_msgpack_wire() {
    let env = Env::new();
    let c = env.client_with(json!({"format": "msgpack", "documents": "json"}));
    // `c.enc`/`c.dec` follow zizq_client_document_format: JSON.
    assert_eq!(c.format, Format::Json);
    assert_eq!(unsafe { zizq_client_format(c.ptr) }, ZIZQ_FORMAT_MSGPACK);

    let payload = json!({"n": 1, "text": "é", "list": [1.5, null, true]});
    let job = c
        .enqueue(json!({"type": "t", "queue": "docs", "payload": payload}))
        .unwrap();
    let id = job["id"].as_str().unwrap().to_string();
    assert_eq!(c.get_job(&id).unwrap()["payload"], payload);
    c.enqueue_bulk(vec![
        json!({"type": "t", "queue": "docs", "payload": {"n": 2}}),
    ])
    .unwrap();
    assert_eq!(c.count_jobs(json!({"queue": ["docs"]})).unwrap(), 2);
    let page = c.list_jobs(json!({"queue": ["docs"], "limit": 1})).unwrap();
    assert_eq!(page["jobs"].as_array().unwrap().len(), 1);
    // An empty filter is answered by libzizq itself, in the same format.
    let none = c.list_jobs(json!({"queue": []})).unwrap();
    assert_eq!(none["jobs"], json!([]));

    // `zizq_request` passes bytes as given: the wire's MessagePack.
    let (status, raw) = c.request("GET", &format!("/jobs/{id}"), None).unwrap();
    assert_eq!(status, 200);
    assert!(codec::decode(Format::Json, &raw).is_err());
    assert_eq!(codec::decode(Format::Msgpack, &raw).unwrap()["id"], id);

    // A take stream (options in JSON) hands over JSON job documents.
    let options = c.enc(&json!({"queues": ["docs"], "prefetch": 1}));
    let mut stream = ptr::null_mut();
    check(|e| unsafe { zizq_take_open(c.ptr, options.as_ptr(), options.len(), &mut stream, e) })
        .unwrap();
    let mut batch = ptr::null_mut();
    check(|e| unsafe { zizq_take_next(stream, 1, 5000, &mut batch, e) }).unwrap();
    let (taken, doc) = first_job(batch);
    assert_eq!(json_doc(&doc)["id"], taken);
    unsafe { zizq_take_free(stream) };

    // So does a worker, and its nack takes a JSON failure document.
    let options = c.enc(&json!({"queues": ["docs"], "prefetch": 10}));
    let mut worker = ptr::null_mut();
    check(|e| unsafe { zizq_worker_new(c.ptr, options.as_ptr(), options.len(), &mut worker, e) })
        .unwrap();
    let mut batch = ptr::null_mut();
    check(|e| unsafe { zizq_worker_next(worker, 1, 5000, &mut batch, e) }).unwrap();
    let (taken, doc) = first_job(batch);
    assert!(json_doc(&doc)["payload"].is_object());
    let failure = c.enc(&json!({"message": "boom", "kill": true}));
    let id_c = cstr(&taken);
    check(|e| unsafe {
        zizq_worker_nack(worker, id_c.as_ptr(), failure.as_ptr(), failure.len(), e)
    })
    .unwrap();
    check(|e| unsafe { zizq_worker_shutdown(worker, 5000, e) }).unwrap();
    let stats = buf(|o, e| unsafe { zizq_worker_stats(worker, o, e) }).unwrap();
    assert_eq!(json_doc(&stats)["nacked"], 1);
    unsafe { zizq_worker_free(worker) };
    assert_eq!(c.get_job(&taken).unwrap()["status"], "dead");

    // A document in the wire's format is not a host document here.
    let mp = codec::encode(Format::Msgpack, &json!({"type": "t", "queue": "docs"}));
    let err = check(|e| unsafe {
        let mut out = zizq::ffi::zizq_buf {
            data: ptr::null_mut(),
            len: 0,
            cap: 0,
        };
        zizq::ffi::jobs::zizq_enqueue(c.ptr, mp.as_ptr(), mp.len(), &mut out, e)
    })
    .unwrap_err();
    assert_eq!(err.status, S::ZIZQ_E_DECODE);
}

#[test]
fn error_bodies_say_their_format() {
    let env = Env::new();
    for (wire, expected) in [("json", ZIZQ_FORMAT_JSON), ("msgpack", ZIZQ_FORMAT_MSGPACK)] {
        let c = env.client_with(json!({"format": wire, "documents": "json"}));
        let err = c.get_job("no-such-job").unwrap_err();
        assert_eq!(err.status, S::ZIZQ_E_NOT_FOUND);
        assert_eq!(err.body_format, expected, "{wire}");
        let body = err.body.expect("a body");
        let format = if expected == ZIZQ_FORMAT_JSON {
            Format::Json
        } else {
            Format::Msgpack
        };
        assert!(codec::decode(format, &body).unwrap()["error"].is_string());
    }
    // No answer, no body: not a document.
    let c = env.client("json");
    c.close();
    let err = c.health().unwrap_err();
    assert_eq!(err.status, S::ZIZQ_E_CLOSED);
    assert_eq!(err.body_format, ZIZQ_FORMAT_NONE);
}

#[test]
fn the_none_format_is_refused_where_a_format_is_expected() {
    let env = Env::new();
    let refused = |options: serde_json::Value| Client::new(&env.url, &options).unwrap_err();
    assert_eq!(
        refused(json!({"documents": "yaml"})).status,
        S::ZIZQ_E_INVALID_ARG
    );
    let doc = b"{}";
    let mut out = zizq::ffi::zizq_buf {
        data: ptr::null_mut(),
        len: 0,
        cap: 0,
    };
    let none = zizq_format::ZIZQ_FORMAT_NONE as i32;
    let err = check(|e| unsafe {
        zizq::ffi::doc::zizq_doc_transcode(
            none,
            ZIZQ_FORMAT_JSON as i32,
            doc.as_ptr(),
            doc.len(),
            &mut out,
            e,
        )
    })
    .unwrap_err();
    assert_eq!(err.status, S::ZIZQ_E_INVALID_ARG);
}
