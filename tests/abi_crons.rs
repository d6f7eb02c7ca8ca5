//! The cron API through the C ABI, on a Pro server and on a free one.

// The tests drive the C ABI as a C program does: every unsafe call passes
// handles and buffers the library returned, or locals that outlive the call.
#![allow(clippy::undocumented_unsafe_blocks)]

mod common;

use common::*;
use serde_json::{json, Value};
use zizq::ffi::crons::*;
use zizq_testserver::Tier;

fn entry(name: &str, expression: &str) -> Value {
    json!({"name": name, "expression": expression, "timezone": null, "paused": null,
           "job": {"type": "report", "queue": "crons", "payload": {"entry": name}}})
}

fn run_cron_api(c: &Client) -> R<()> {
    let g = cstr("nightly jobs");
    let e = cstr("second");
    let group = c.doc(&json!({"paused": null, "entries": [entry("first", "0 3 * * *"), entry("second", "*/5 * * * *")]}), |d, l, o, err| unsafe {
        zizq_replace_cron_group(c.ptr, g.as_ptr(), d, l, o, err)
    })?;
    assert_eq!(group["name"], "nightly jobs");
    assert_eq!(group["paused"], false);
    let entries = group["entries"].as_array().unwrap();
    assert_eq!(entries[0]["name"], "first");
    assert_eq!(entries[0]["job"]["priority"], 32768);
    assert!(entries[0]["next_enqueue_at"].as_u64().unwrap() > 0);
    assert!(entries[0].get("timezone").is_none(), "nulls are not sent");

    let names = c.dec(&buf(|o, err| unsafe {
        zizq_list_cron_groups(c.ptr, o, err)
    })?);
    assert_eq!(names, json!({"crons": ["nightly jobs"]}));
    let fetched = c.dec(&buf(|o, err| unsafe {
        zizq_get_cron_group(c.ptr, g.as_ptr(), o, err)
    })?);
    assert_eq!(fetched["entries"].as_array().unwrap().len(), 2);

    let paused = c.doc(&json!({"paused": true}), |d, l, o, err| unsafe {
        zizq_update_cron_group(c.ptr, g.as_ptr(), d, l, o, err)
    })?;
    assert_eq!(paused["paused"], true);
    assert!(paused["paused_at"].is_u64());

    let added = c.doc(&entry("third", "@daily"), |d, l, o, err| unsafe {
        zizq_add_cron_group_entry(c.ptr, g.as_ptr(), d, l, o, err)
    })?;
    assert_eq!(added["name"], "third");
    let dup = c
        .doc(&entry("third", "@daily"), |d, l, o, err| unsafe {
            zizq_add_cron_group_entry(c.ptr, g.as_ptr(), d, l, o, err)
        })
        .unwrap_err();
    assert_eq!((dup.status, dup.http), (S::ZIZQ_E_CLIENT, 409));
    assert_eq!(
        dup.message,
        "cron entry 'third' already exists in group 'nightly jobs'"
    );

    let got = c.dec(&buf(|o, err| unsafe {
        zizq_get_cron_group_entry(c.ptr, g.as_ptr(), e.as_ptr(), o, err)
    })?);
    assert_eq!(got["expression"], "*/5 * * * *");
    let replaced = c.doc(
        &json!({"expression": "*/10 * * * *", "timezone": "Europe/Paris",
                "job": {"type": "report", "queue": "crons", "payload": null, "priority": 3}}),
        |d, l, o, err| unsafe {
            zizq_replace_cron_group_entry(c.ptr, g.as_ptr(), e.as_ptr(), d, l, o, err)
        },
    )?;
    assert_eq!(replaced["name"], "second", "the name comes from the path");
    assert_eq!(replaced["timezone"], "Europe/Paris");
    assert_eq!(replaced["job"]["priority"], 3);
    let entry_paused = c.doc(&json!({"paused": true}), |d, l, o, err| unsafe {
        zizq_update_cron_group_entry(c.ptr, g.as_ptr(), e.as_ptr(), d, l, o, err)
    })?;
    assert_eq!(entry_paused["paused"], true);
    let bad = c
        .doc(
            &json!({"expression": "not cron", "job": {"type": "t", "queue": "q", "payload": 1}}),
            |d, l, o, err| unsafe {
                zizq_replace_cron_group_entry(c.ptr, g.as_ptr(), e.as_ptr(), d, l, o, err)
            },
        )
        .unwrap_err();
    assert_eq!(bad.http, 400);
    assert!(
        bad.message.starts_with("invalid cron expression"),
        "{}",
        bad.message
    );

    check(|err| unsafe { zizq_delete_cron_group_entry(c.ptr, g.as_ptr(), e.as_ptr(), err) })?;
    let gone =
        buf(|o, err| unsafe { zizq_get_cron_group_entry(c.ptr, g.as_ptr(), e.as_ptr(), o, err) })
            .unwrap_err();
    assert_eq!(gone.status, S::ZIZQ_E_NOT_FOUND);
    check(|err| unsafe { zizq_delete_cron_group(c.ptr, g.as_ptr(), err) })?;
    let gone = buf(|o, err| unsafe { zizq_get_cron_group(c.ptr, g.as_ptr(), o, err) }).unwrap_err();
    assert_eq!(gone.message, "cron group 'nightly jobs' not found");

    for name in ["a", "b"] {
        let n = cstr(name);
        c.doc(&json!({"entries": []}), |d, l, o, err| unsafe {
            zizq_replace_cron_group(c.ptr, n.as_ptr(), d, l, o, err)
        })?;
    }
    let mut deleted = -1;
    check(|err| unsafe { zizq_delete_all_crons(c.ptr, &mut deleted, err) })?;
    assert_eq!(deleted, 2);
    Ok(())
}

#[test]
fn cron_api_on_a_pro_server() {
    let env = server_with_tier(Tier::Pro);
    for format in FORMATS {
        let c = env.client(format);
        match run_cron_api(&c) {
            Ok(()) => assert!(!env.free_tier()),
            Err(err) => {
                assert!(env.free_tier(), "{err:?}");
                assert_eq!((err.status, err.http), (S::ZIZQ_E_CLIENT, 403));
            }
        }
    }
}

#[test]
fn cron_api_on_a_free_server_answers_403() {
    let env = server_with_tier(Tier::Free);
    if env.control().is_none() && !env.free_tier() {
        return; // an external Pro server: covered above
    }
    for format in FORMATS {
        let c = env.client(format);
        let err = run_cron_api(&c).unwrap_err();
        assert_eq!(
            (err.status, err.http, err.retryable),
            (S::ZIZQ_E_CLIENT, 403, false)
        );
        assert_eq!(err.message, "cron scheduling requires a pro license");
    }
}

#[test]
fn cron_entries_fire_on_schedule() {
    let env = server_with_tier(Tier::Pro);
    if env.free_tier() {
        return;
    }
    let c = env.client("json");
    let g = cstr("every-second");
    c.doc(
        &json!({"entries": [entry("tick", "* * * * * *")]}),
        |d, l, o, err| unsafe { zizq_replace_cron_group(c.ptr, g.as_ptr(), d, l, o, err) },
    )
    .unwrap();
    wait_until(10, "a cron firing", || {
        c.count_jobs(json!({"queue": "crons"})).unwrap() >= 1
    });
    let page = c.list_jobs(json!({"queue": "crons"})).unwrap();
    assert_eq!(page["jobs"][0]["payload"], json!({"entry": "tick"}));
    c.erase_all_data().unwrap();
}
