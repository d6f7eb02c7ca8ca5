//! TLS and mutual TLS through the C ABI, with certificates minted per test.

// The tests drive the C ABI as a C program does: every unsafe call passes
// handles and buffers the library returned, or locals that outlive the call.
#![allow(clippy::undocumented_unsafe_blocks)]

mod common;

use common::*;
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use serde_json::json;
use zizq_testserver::{Config, TlsConfig};

struct Pki {
    ca_pem: String,
    server_cert: String,
    server_key: String,
    client_cert: String,
    client_key: String,
}

fn mint() -> Pki {
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_key = KeyPair::generate().unwrap();
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let leaf = |names: Vec<String>| {
        let key = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(names)
            .unwrap()
            .signed_by(&key, &issuer)
            .unwrap();
        (cert.pem(), key.serialize_pem())
    };
    let (server_cert, server_key) = leaf(vec!["localhost".into(), "127.0.0.1".into()]);
    let (client_cert, client_key) = leaf(vec!["worker-1".into()]);
    Pki {
        ca_pem: ca_cert.pem(),
        server_cert,
        server_key,
        client_cert,
        client_key,
    }
}

fn tls_server(pki: &Pki, mutual: bool) -> Env {
    let tls = TlsConfig {
        cert_pem: pki.server_cert.clone().into_bytes(),
        key_pem: pki.server_key.clone().into_bytes(),
        client_ca_pem: mutual.then(|| pki.ca_pem.clone().into_bytes()),
    };
    Env::with(|c: &mut Config| c.tls = Some(tls))
}

#[test]
fn https_with_a_custom_ca_in_both_formats() {
    if std::env::var("ZIZQ_TEST_URL").is_ok() {
        return; // needs a server of our own
    }
    let pki = mint();
    let env = tls_server(&pki, false);
    assert!(env.url.starts_with("https://"));
    for format in FORMATS {
        let c = Client::new(
            &env.url,
            &json!({"format": format, "tls": {"ca_pem": pki.ca_pem}}),
        )
        .unwrap();
        assert_eq!(c.health().unwrap(), json!({"status": "ok"}));
        let ids = seed_jobs(&c, "tls", 2);
        // The take stream uses its own HTTP/1.1 TLS connection.
        use zizq::ffi::take::*;
        let d = c.enc(&json!({"prefetch": 2}));
        let mut s = std::ptr::null_mut();
        check(|e| unsafe { zizq_take_open(c.ptr, d.as_ptr(), d.len(), &mut s, e) }).unwrap();
        let mut got = 0;
        while got < 2 {
            let mut b = std::ptr::null_mut();
            check(|e| unsafe { zizq_take_next(s, 0, 5000, &mut b, e) }).unwrap();
            got += unsafe { zizq_batch_len(b) };
            unsafe { zizq_batch_free(b) };
        }
        for id in &ids {
            c.report_success(id).unwrap();
        }
        unsafe { zizq_take_free(s) };
    }
    // The CA from a file works too, named explicitly or by `ca` (a path,
    // where `ca` with PEM armour is the text itself).
    let path = std::env::temp_dir().join(format!("zizq-ca-{}.pem", std::process::id()));
    std::fs::write(&path, &pki.ca_pem).unwrap();
    let path = path.to_str().unwrap();
    for tls in [
        json!({"ca_file": path}),
        json!({"ca": path}),
        json!({"ca": pki.ca_pem}),
    ] {
        let c = Client::new(&env.url, &json!({ "tls": tls })).unwrap();
        assert!(c.health().is_ok(), "{tls}");
    }
    let err = Client::new(
        &env.url,
        &json!({"tls": {"ca": path, "ca_pem": pki.ca_pem}}),
    )
    .err()
    .unwrap();
    assert_eq!(err.status, S::ZIZQ_E_INVALID_ARG);
    assert!(err.message.contains("not both"), "{}", err.message);
    let missing = Client::new(&env.url, &json!({"tls": {"ca": "/nonexistent/ca.pem"}}));
    assert!(missing.is_err() || missing.unwrap().health().is_err());
    std::fs::remove_file(path).ok();
}

#[test]
fn untrusted_servers_and_plain_http_fail_clearly() {
    if std::env::var("ZIZQ_TEST_URL").is_ok() {
        return;
    }
    let pki = mint();
    let other = mint();
    let env = tls_server(&pki, false);
    // Signed by a CA we do not trust.
    let c = Client::new(&env.url, &json!({"tls": {"ca_pem": other.ca_pem}})).unwrap();
    let err = c.health().unwrap_err();
    assert_eq!(err.status, S::ZIZQ_E_TLS, "{err:?}");
    assert!(!err.message.is_empty());
    // Reported as an error event too, for the operator's logs.
    let b = buf(|o, e| unsafe { zizq::ffi::observe::zizq_client_next_events(c.ptr, 0, 0, o, e) })
        .unwrap();
    let events = c.dec(&b);
    let failed = &events[0];
    assert_eq!(
        (&failed["area"], &failed["kind"], &failed["level"]),
        (&json!("transport"), &json!("tls_failed"), &json!("error")),
        "{events:#}"
    );
    assert_eq!(failed["fields"]["status"], "ZIZQ_E_TLS");
    // Speaking TLS to a plain HTTP server.
    let plain = Env::new();
    let url = plain.url.replace("http://", "https://");
    let c = Client::new(&url, &json!({"tls": {"ca_pem": pki.ca_pem}})).unwrap();
    let err = c.health().unwrap_err();
    assert!(
        matches!(err.status, S::ZIZQ_E_TLS | S::ZIZQ_E_CONNECTION),
        "{err:?}"
    );
}

#[test]
fn mutual_tls_requires_the_client_certificate() {
    if std::env::var("ZIZQ_TEST_URL").is_ok() {
        return;
    }
    let pki = mint();
    let env = tls_server(&pki, true);
    let anonymous = Client::new(&env.url, &json!({"tls": {"ca_pem": pki.ca_pem}})).unwrap();
    let err = anonymous.health().unwrap_err();
    assert!(
        matches!(err.status, S::ZIZQ_E_TLS | S::ZIZQ_E_CONNECTION),
        "{err:?}"
    );
    let c = Client::new(
        &env.url,
        &json!({"format": "json", "tls": {"ca": pki.ca_pem, "client_cert": pki.client_cert, "client_key": pki.client_key}}),
    )
    .unwrap();
    assert_eq!(c.health().unwrap(), json!({"status": "ok"}));
    c.enqueue(json!({"type": "t", "queue": "mtls", "payload": null}))
        .unwrap();
    assert_eq!(c.count_jobs(json!({"queue": "mtls"})).unwrap(), 1);
}
