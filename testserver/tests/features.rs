//! Pro features and transports: cron, unique jobs, batches, jq filters,
//! TLS and mutual TLS.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use serde_json::{json, Value};
use zizq_testserver::TlsConfig;

const T: Duration = Duration::from_secs(5);

fn entry(name: &str, expr: &str, queue: &str) -> Value {
    json!({"name": name, "expression": expr, "timezone": "UTC",
           "job": {"type": "cron", "queue": queue, "payload": {"from": name}}})
}

#[tokio::test]
async fn cron_fires_every_second() {
    let s = start(cfg());
    let mut c = Client::h1(s.addr()).await;
    let r = c
        .json(
            "PUT",
            "/crons/g1",
            &json!({"entries": [entry("tick", "* * * * * *", "cronq")]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let g = r.json();
    assert_eq!(g["name"], "g1");
    assert_eq!(g["paused"], false);
    let e = &g["entries"][0];
    assert_eq!(
        e["job"],
        json!({"type":"cron","queue":"cronq","priority":32768,"payload":{"from":"tick"}})
    );
    assert!(e["next_enqueue_at"].as_u64().unwrap() % 1000 == 0);
    assert!(e.get("last_enqueue_at").is_none());
    let mut t = Take::open(s.addr(), "/jobs/take?queue=cronq", None).await;
    let j = t.next_job(T).await.expect("cron job within a few seconds");
    assert_eq!(j["payload"], json!({"from":"tick"}));
    assert_eq!(j["ready_at"].as_u64().unwrap() % 1000, 0);
    let e = c.get("/crons/g1/entries/tick").await.json();
    assert!(e["last_enqueue_at"].as_u64().is_some());
    assert!(e["next_enqueue_at"].as_u64().unwrap() > e["last_enqueue_at"].as_u64().unwrap());
    // paused entries advance but enqueue nothing
    let r = c
        .json("PATCH", "/crons/g1/entries/tick", &json!({"paused": true}))
        .await
        .json();
    assert_eq!(r["paused"], true);
    assert!(r["paused_at"].as_u64().is_some());
    c.delete("/jobs?queue=cronq").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        c.get("/jobs/count?queue=cronq&status=ready").await.json()["count"],
        0
    );
    // free tier stops firing
    s.control().set_tier(Tier::Free);
    c.json("PUT", "/_testserver/config", &json!({"tier":"pro"}))
        .await;
}

#[tokio::test]
async fn cron_crud_and_smart_merge() {
    let s = start(cfg());
    let mut c = Client::h1(s.addr()).await;
    let body = json!({"entries": [entry("b", "0 0 * * *", "q"), entry("a", "0 * * * *", "q")]});
    let g = c.json("PUT", "/crons/grp", &body).await.json();
    let names: Vec<&str> = g["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["b", "a"], "PUT answers in request order");
    let next_a = g["entries"][1]["next_enqueue_at"].clone();
    let got = c.get("/crons/grp").await.json();
    let names: Vec<&str> = got["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["a", "b"], "GET answers in name order");
    assert_eq!(
        c.get("/crons/grp/entries/a").await.text(),
        format!(
            r#"{{"name":"a","expression":"0 * * * *","timezone":"UTC","paused":false,"job":{{"type":"cron","queue":"q","priority":32768,"payload":{{"from":"a"}}}},"next_enqueue_at":{next_a}}}"#
        )
    );
    // merge: a unchanged keeps its schedule, b removed, c added; group paused
    let body = json!({"paused": true, "entries": [entry("a", "0 * * * *", "q"), entry("c", "*/5 * * * * *", "q")]});
    let g = c.json("PUT", "/crons/grp", &body).await.json();
    assert_eq!(g["paused"], true);
    assert!(g["paused_at"].as_u64().is_some());
    assert_eq!(g["entries"][0]["next_enqueue_at"], next_a);
    assert_eq!(g["entries"].as_array().unwrap().len(), 2);
    assert_eq!(
        c.get("/crons/grp/entries/b").await.error(),
        "cron entry 'b' not found in group 'grp'"
    );
    let g = c
        .json("PATCH", "/crons/grp", &json!({"paused": false}))
        .await
        .json();
    assert!(g["resumed_at"].as_u64().is_some());
    // POST entries
    let r = c
        .post("/crons/new/entries", &entry("x", "@hourly", "q"))
        .await;
    assert_eq!(r.status, 201);
    let r = c
        .post("/crons/new/entries", &entry("x", "@hourly", "q"))
        .await;
    assert_eq!(
        (r.status, r.error().as_str()),
        (409, "cron entry 'x' already exists in group 'new'")
    );
    // PUT entry: URL name wins
    let r = c
        .json(
            "PUT",
            "/crons/new/entries/y",
            &entry("ignored", "0 0 1 * *", "q"),
        )
        .await;
    assert_eq!((r.status, r.json()["name"].as_str()), (200, Some("y")));
    assert_eq!(c.get("/crons").await.text(), r#"{"crons":["grp","new"]}"#);
    // template echo with options
    let e = json!({"name":"opt","expression":"0 0 * * *","job":{"type":"t","queue":"q","payload":null,
        "retry_limit":2,"unique_key":"u","backoff":{"exponent":1,"base_ms":2,"jitter_ms":3}}});
    let r = c.post("/crons/new/entries", &e).await.json();
    assert_eq!(
        r["job"],
        json!({"type":"t","queue":"q","priority":32768,"payload":null,"retry_limit":2,
        "backoff":{"exponent":1.0,"base_ms":2,"jitter_ms":3},"unique_key":"u","unique_while":"queued"})
    );
    assert!(r.get("timezone").is_none());
    // errors
    let bad = [
        (
            json!({"entries":[entry("a","nope","q")]}),
            "invalid cron expression: ",
        ),
        (
            json!({"entries":[{"name":"a","expression":"* * * * *","timezone":"Mars/X","job":{"type":"t","queue":"q","payload":1}}]}),
            "invalid timezone: \"Mars/X\"",
        ),
        (
            json!({"entries":[{"name":"a","expression":"* * * * *","job":{"type":"t","queue":"q","payload":1,"ready_at":1}}]}),
            "ready_at is not supported for cron entries",
        ),
        (
            json!({"entries":[entry("a,b","* * * * *","q")]}),
            "cron entry name must not contain ','",
        ),
        (
            json!({"entries":[entry("a","* * * * *","q"), entry("a","* * * * *","q")]}),
            "duplicate cron entry name: \"a\"",
        ),
        (
            json!({"entries":[{"name":"a","expression":"* * * * *","job":{"type":"t","queue":"q","payload":1,"batch":{"key":"k","when":"true","fold":"("}}}]}),
            "batch expression: fold: ",
        ),
    ];
    for (b, msg) in bad {
        let r = c.json("PUT", "/crons/g2", &b).await;
        assert_eq!(r.status, 400, "{}", r.text());
        assert!(r.error().starts_with(msg), "{} vs {msg}", r.error());
    }
    assert_eq!(
        c.json("PUT", "/crons/a*b", &json!({"entries":[]}))
            .await
            .error(),
        "cron group name must not contain '*' (reserved)"
    );
    assert_eq!(c.json("PUT", "/crons/g2", &json!({})).await.status, 400);
    assert_eq!(c.json("PATCH", "/crons/grp", &json!({})).await.status, 400);
    assert_eq!(
        c.json("PATCH", "/crons/none", &json!({"paused":true}))
            .await
            .error(),
        "cron group 'none' not found"
    );
    assert_eq!(
        c.get("/crons/none").await.error(),
        "cron group 'none' not found"
    );
    assert_eq!(c.delete("/crons/new/entries/x").await.status, 204);
    assert_eq!(c.delete("/crons/new/entries/x").await.status, 404);
    assert_eq!(c.delete("/crons/grp").await.status, 204);
    assert_eq!(c.delete("/crons/grp").await.status, 404);
    assert_eq!(c.delete("/crons").await.text(), r#"{"deleted":1}"#);
    // reset deletes crons too
    c.json("PUT", "/crons/z", &json!({"entries":[]})).await;
    c.req("POST", "/reset", &[], None).await;
    assert_eq!(c.get("/crons").await.text(), r#"{"crons":[]}"#);
}

#[tokio::test]
async fn unique_jobs_scopes() {
    let s = start(cfg());
    let mut c = Client::h1(s.addr()).await;
    let first = c
        .enqueue(json!({"type":"t","queue":"u","payload":1,"unique_key":"k"}))
        .await;
    assert_eq!(
        (first["unique_key"].as_str(), first["unique_while"].as_str()),
        (Some("k"), Some("queued"))
    );
    let r = c
        .post(
            "/jobs",
            &json!({"type":"t","queue":"other","payload":2,"unique_key":"k"}),
        )
        .await;
    assert_eq!(r.status, 200);
    let d = r.json();
    assert_eq!(
        (
            d["id"].clone(),
            d["duplicate"].as_bool(),
            d["queue"].as_str()
        ),
        (first["id"].clone(), Some(true), Some("u"))
    );
    // taking a queued-scope job releases the key
    let mut t = Take::open(s.addr(), "/jobs/take?queue=u", None).await;
    t.jobs(1).await;
    let r = c
        .post(
            "/jobs",
            &json!({"type":"t","queue":"u2","payload":3,"unique_key":"k"}),
        )
        .await;
    assert_eq!(r.status, 201);
    // active scope conflicts with an in-flight holder
    let a = c
        .enqueue(
            json!({"type":"t","queue":"act","payload":1,"unique_key":"ka","unique_while":"active"}),
        )
        .await;
    let mut t2 = Take::open(s.addr(), "/jobs/take?queue=act", None).await;
    t2.jobs(1).await;
    let r = c.post("/jobs", &json!({"type":"t","queue":"act","payload":1,"unique_key":"ka","unique_while":"active"})).await;
    assert_eq!(
        (
            r.status,
            r.json()["id"].clone(),
            r.json()["status"].as_str()
        ),
        (200, a["id"].clone(), Some("in_flight"))
    );
    // exists scope: a retained completed job still conflicts
    let e = c.enqueue(json!({"type":"t","queue":"ex","payload":1,"unique_key":"ke","unique_while":"exists","retention":{"completed_ms":60000}})).await;
    let mut t3 = Take::open(s.addr(), "/jobs/take?queue=ex", None).await;
    t3.jobs(1).await;
    assert_eq!(c.ack(e["id"].as_str().unwrap()).await.status, 204);
    let r = c
        .post(
            "/jobs",
            &json!({"type":"t","queue":"ex","payload":1,"unique_key":"ke","unique_while":"exists"}),
        )
        .await;
    assert_eq!(
        (r.status, r.json()["status"].as_str()),
        (200, Some("completed"))
    );
    // a queued-scope request does not conflict with a completed holder
    let r = c
        .post(
            "/jobs",
            &json!({"type":"t","queue":"ex","payload":1,"unique_key":"ke"}),
        )
        .await;
    assert_eq!(r.status, 201);
    // bulk: later duplicates of an earlier job in the same request
    let r = c
        .post(
            "/jobs/bulk",
            &json!({"jobs":[
        {"type":"t","queue":"b","payload":1,"unique_key":"kb"},
        {"type":"t","queue":"b","payload":2,"unique_key":"kb"}]}),
        )
        .await;
    assert_eq!(r.status, 201);
    let jobs = r.json()["jobs"].clone();
    assert_eq!(jobs[0]["id"], jobs[1]["id"]);
    assert_eq!(
        (
            jobs[0]["duplicate"].as_bool(),
            jobs[1]["duplicate"].as_bool()
        ),
        (Some(false), Some(true))
    );
    let r = c
        .post(
            "/jobs/bulk",
            &json!({"jobs":[{"type":"t","queue":"b","payload":1,"unique_key":"kb"}]}),
        )
        .await;
    assert_eq!(r.status, 200, "all duplicates -> 200");
}

#[tokio::test]
async fn batched_jobs_fold_and_seal() {
    let s = start(cfg());
    let mut c = Client::h1(s.addr()).await;
    let batch = json!({"key":"bk","when":"($existing | length) < 3","fold":"$existing + $new"});
    let mk = |p: Value| json!({"type":"t","queue":"bq","payload":p,"batch":batch.clone()});
    let first = c.enqueue(mk(json!([1]))).await;
    assert_eq!(first["batch"], batch);
    let r = c.post("/jobs", &mk(json!([2]))).await;
    assert_eq!(r.status, 200);
    let f = r.json();
    assert_eq!(
        (
            f["id"].clone(),
            f["folded"].as_bool(),
            f["duplicate"].as_bool()
        ),
        (first["id"].clone(), Some(true), Some(false))
    );
    c.post("/jobs", &mk(json!([3]))).await;
    let g = c
        .get(&format!("/jobs/{}", first["id"].as_str().unwrap()))
        .await
        .json();
    assert_eq!(g["payload"], json!([1, 2, 3]));
    // when is now false: sealed, a new job starts
    let r = c.post("/jobs", &mk(json!([4]))).await;
    assert_eq!(r.status, 201);
    let second = r.json();
    assert_ne!(second["id"], first["id"]);
    // taking the open job closes the batch
    let mut t = Take::open(s.addr(), "/jobs/take?queue=bq&prefetch=5", None).await;
    t.jobs(2).await;
    assert_eq!(c.post("/jobs", &mk(json!([5]))).await.status, 201);
    // future ready_at never folds
    let fut = json!({"type":"t","queue":"fq","payload":[1],"batch":batch.clone(),"ready_at":4_000_000_000_000u64});
    assert_eq!(c.post("/jobs", &fut).await.status, 201);
    assert_eq!(c.post("/jobs", &fut).await.status, 201);
    // bulk folds within the request
    let b2 = json!({"key":"k2","when":"true","fold":"$existing + $new"});
    let r = c
        .post(
            "/jobs/bulk",
            &json!({"jobs":[
        {"type":"t","queue":"q2","payload":"a","batch":b2},
        {"type":"t","queue":"q2","payload":"b","batch":b2}]}),
        )
        .await;
    assert_eq!(r.status, 201);
    let jobs = r.json()["jobs"].clone();
    assert_eq!(jobs[1]["folded"], true);
    let g = c
        .get(&format!("/jobs/{}", jobs[0]["id"].as_str().unwrap()))
        .await
        .json();
    assert_eq!(g["payload"], "ab");
    // dry-run errors -> 422
    let cases = [
        (
            json!({"key":"k","when":"(","fold":"$new"}),
            "batch expression: when: ",
        ),
        (
            json!({"key":"k","when":"true","fold":"$nope"}),
            "batch expression: fold: ",
        ),
        (
            json!({"key":"k","when":"true","fold":"empty"}),
            "batch dry-run: fold: fold expression produced no output",
        ),
        (
            json!({"key":"k","when":"true","fold":"1, 2"}),
            "batch dry-run: fold: fold expression produced more than one output",
        ),
        (
            json!({"key":"k","when":"$new.x.y","fold":"$new"}),
            "batch dry-run: when: expression failed at runtime: ",
        ),
    ];
    for (b, msg) in cases {
        let r = c
            .post(
                "/jobs",
                &json!({"type":"t","queue":"e","payload":5,"batch":b}),
            )
            .await;
        assert_eq!(r.status, 422, "{}", r.text());
        assert!(r.error().starts_with(msg), "{} vs {msg}", r.error());
    }
    let r = c.post("/jobs/bulk", &json!({"jobs":[{"type":"t","queue":"e","payload":5,"batch":{"key":"k","when":"(","fold":"$new"}}]})).await;
    assert_eq!(r.status, 422);
    // multiple outputs from `when` are fine (first is used)
    let r = c.post("/jobs", &json!({"type":"t","queue":"e","payload":5,"batch":{"key":"m","when":"true, false","fold":"$new"}})).await;
    assert_eq!(r.status, 201);
}

#[tokio::test]
async fn jq_payload_filters() {
    let s = start(cfg());
    let mut c = Client::h1(s.addr()).await;
    for p in [
        json!({"name":"alice","age":30,"tags":["a"]}),
        json!({"name":"bob","age":20}),
        json!(5),
        json!(null),
    ] {
        c.enqueue(job("j", p)).await;
    }
    let count = |f: &str| {
        format!(
            "/jobs/count?filter={}",
            f.replace(' ', "%20")
                .replace('"', "%22")
                .replace('=', "%3D")
                .replace('>', "%3E")
                .replace('|', "%7C")
        )
    };
    for (f, n) in [
        (".age > 25", 1),
        (".name | test(\"^b\")", 1),
        ("has(\"tags\")", 1),
        (".name | startswith(\"a\")", 1),
        (".age == null", 1),
        ("true", 4),
        (".[]", 2),
        ("select(.age > 10) | .name", 2),
    ] {
        assert_eq!(c.get(&count(f)).await.json()["count"], n, "{f}");
    }
    let r = c.get(&count(".n ===")).await;
    assert_eq!(
        (r.status, r.error().as_str()),
        (400, "invalid filter: expected nothing, got \"===\"")
    );
    assert_eq!(
        c.get(&count(".[")).await.error(),
        "invalid filter: expected closing bracket, got \"\""
    );
    assert_eq!(
        c.delete("/jobs?filter=.age%20%3E%2025").await.json()["deleted"],
        1
    );
}

// ----- TLS ---------------------------------------------------------------------

struct Pki {
    ca_pem: String,
    server_cert: String,
    server_key: String,
    client_cert: String,
    client_key: String,
}

fn pki() -> Pki {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::from_params(&ca_params, &ca_key);
    let skey = KeyPair::generate().unwrap();
    let scert = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&skey, &issuer)
        .unwrap();
    let ckey = KeyPair::generate().unwrap();
    let ccert = CertificateParams::new(vec!["client".to_string()])
        .unwrap()
        .signed_by(&ckey, &issuer)
        .unwrap();
    Pki {
        ca_pem: ca_cert.pem(),
        server_cert: scert.pem(),
        server_key: skey.serialize_pem(),
        client_cert: ccert.pem(),
        client_key: ckey.serialize_pem(),
    }
}

fn client_config(p: &Pki, alpn: &[u8], with_cert: bool) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls_pemfile::certs(&mut p.ca_pem.as_bytes()) {
        roots.add(c.unwrap()).unwrap();
    }
    let b = rustls::ClientConfig::builder_with_provider(crypto())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots);
    let mut cfg = if with_cert {
        let certs: Vec<CertificateDer<'static>> =
            rustls_pemfile::certs(&mut p.client_cert.as_bytes())
                .map(|c| c.unwrap())
                .collect();
        let key: PrivateKeyDer<'static> = rustls_pemfile::private_key(&mut p.client_key.as_bytes())
            .unwrap()
            .unwrap();
        b.with_client_auth_cert(certs, key).unwrap()
    } else {
        b.with_no_client_auth()
    };
    cfg.alpn_protocols = vec![alpn.to_vec()];
    Arc::new(cfg)
}

/// GET /health over TLS; returns (negotiated ALPN, status) or an error text.
async fn tls_health(
    addr: std::net::SocketAddr,
    cfg: Arc<rustls::ClientConfig>,
) -> Result<(Vec<u8>, u16), String> {
    let tcp = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| e.to_string())?;
    let conn = tokio_rustls::TlsConnector::from(cfg);
    let tls = conn
        .connect(ServerName::try_from("127.0.0.1").unwrap(), tcp)
        .await
        .map_err(|e| e.to_string())?;
    let alpn = tls
        .get_ref()
        .1
        .alpn_protocol()
        .map(|a| a.to_vec())
        .unwrap_or_default();
    let req = hyper::Request::builder()
        .uri(format!("https://{addr}/health"))
        .header("host", addr.to_string())
        .body(http_body_util::Full::new(bytes::Bytes::new()))
        .unwrap();
    let status = if alpn == b"h2" {
        let (mut s, c) =
            hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tls))
                .await
                .map_err(|e| e.to_string())?;
        tokio::spawn(c);
        s.send_request(req)
            .await
            .map_err(|e| e.to_string())?
            .status()
            .as_u16()
    } else {
        let (mut s, c) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
            .await
            .map_err(|e| e.to_string())?;
        tokio::spawn(c);
        s.send_request(req)
            .await
            .map_err(|e| e.to_string())?
            .status()
            .as_u16()
    };
    Ok((alpn, status))
}

#[tokio::test]
async fn tls_with_alpn_h2_and_http1() {
    let p = pki();
    let mut config = cfg();
    config.tls = Some(TlsConfig {
        cert_pem: p.server_cert.clone().into_bytes(),
        key_pem: p.server_key.clone().into_bytes(),
        client_ca_pem: None,
    });
    let s = start(config);
    assert!(s.url().starts_with("https://127.0.0.1:"));
    let (alpn, st) = tls_health(s.addr(), client_config(&p, b"h2", false))
        .await
        .unwrap();
    assert_eq!((alpn.as_slice(), st), (&b"h2"[..], 200));
    let (alpn, st) = tls_health(s.addr(), client_config(&p, b"http/1.1", false))
        .await
        .unwrap();
    assert_eq!((alpn.as_slice(), st), (&b"http/1.1"[..], 200));
    // plain HTTP to the TLS port fails
    let addr = s.addr();
    let plain = async move {
        let mut c = Client::h1(addr).await;
        c.send("GET", "/health", &[], None).await
    };
    let res = tokio::time::timeout(T, tokio::spawn(plain))
        .await
        .expect("fails quickly");
    assert!(res.is_err(), "plain HTTP must not get an answer");
}

#[tokio::test]
async fn mutual_tls_requires_client_cert_and_pro() {
    let p = pki();
    let tls = TlsConfig {
        cert_pem: p.server_cert.clone().into_bytes(),
        key_pem: p.server_key.clone().into_bytes(),
        client_ca_pem: Some(p.ca_pem.clone().into_bytes()),
    };
    let mut config = cfg();
    config.tls = Some(tls.clone());
    let s = start(config);
    let (_, st) = tls_health(s.addr(), client_config(&p, b"h2", true))
        .await
        .unwrap();
    assert_eq!(st, 200);
    let (_, st) = tls_health(s.addr(), client_config(&p, b"http/1.1", true))
        .await
        .unwrap();
    assert_eq!(st, 200);
    assert!(
        tls_health(s.addr(), client_config(&p, b"h2", false))
            .await
            .is_err(),
        "no client cert must fail"
    );
    // free tier refuses to start with mTLS
    let mut config = cfg();
    config.tls = Some(tls);
    config.tier = Tier::Free;
    let err = TestServer::start(config).err().expect("must refuse");
    assert_eq!(
        err.to_string(),
        "cannot enable mTLS: mutual TLS requires a pro license"
    );
}
