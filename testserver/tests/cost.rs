//! The cost-shaped mode (`--cost-profile reference`): the protocol is the
//! same, and every state change goes through the journal lane.

mod common;

use common::*;
use serde_json::json;
use zizq_testserver::CostProfile;

#[tokio::test]
async fn state_changes_are_committed_through_their_lanes() {
    let s = start(zizq_testserver::Config {
        cost: CostProfile::reference(),
        ..cfg()
    });
    let mut c = Client::h2(s.addr()).await;
    let jobs: Vec<_> = (0..3)
        .map(|i| json!({"type": "t", "queue": "cost", "payload": {"i": i}}))
        .collect();
    let r = c.post("/jobs/bulk", &json!({ "jobs": jobs })).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let mut t = Take::open(s.addr(), "/jobs/take?queue=cost&prefetch=3", None).await;
    let taken = t.jobs(3).await;
    let ids: Vec<_> = taken.iter().map(|j| j["id"].clone()).collect();
    let r = c.post("/jobs/success", &json!({ "ids": ids })).await;
    assert_eq!(r.status, 204, "{}", r.text());
    let r = c.get("/jobs/count?queue=cost").await;
    assert_eq!(r.json()["count"], 0);
    drop(t);

    let state = s.control().state();
    // 3 enqueued + 3 dispatched through the journal, in at least two
    // commits (the dispatch waited for the enqueue); the 3 acks through the
    // completion lane, in one commit (one request).
    assert_eq!(state.committed_changes, 6);
    assert!(state.commits >= 2, "{}", state.commits);
    assert_eq!((state.completion_commits, state.completed_changes), (1, 3));
    assert_eq!(state.requests_by_kind["POST /jobs/bulk"], 1);
    assert_eq!(state.requests_by_kind["POST /jobs/success"], 1);
    assert_eq!(state.requests_by_kind["GET /jobs/count"], 1);
    assert_eq!(state.requests_by_kind["GET /jobs/take"], 1);
}

#[tokio::test]
async fn the_default_server_commits_nothing() {
    let s = start(cfg());
    let mut c = Client::h1(s.addr()).await;
    c.enqueue(json!({"type": "t", "queue": "q", "payload": null}))
        .await;
    let state = s.control().state();
    assert_eq!((state.commits, state.committed_changes), (0, 0));
    assert_eq!(state.requests_by_kind["POST /jobs"], 1);
}
