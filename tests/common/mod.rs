//! Test harness: a server per test (the in-process zizq-testserver, or the
//! external server named by ZIZQ_TEST_URL, shared and reset between tests),
//! and a thin safe wrapper that drives libzizq through its C ABI only.

#![allow(dead_code)]

use serde_json::{json, Value};
use std::ffi::{c_char, CStr, CString};
use std::ptr;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;
use zizq::codec::{self, Format};
use zizq::error::zizq_status;
use zizq::ffi::client::*;
use zizq::ffi::error::*;
use zizq::ffi::zizq_buf;
use zizq::ffi::*;
use zizq_testserver::{Config, Control, TestServer, Tier};

pub use zizq::error::zizq_status as S;

/// Tests against an external server run one at a time.
static EXTERNAL: Mutex<()> = Mutex::new(());

pub struct Env {
    pub url: String,
    server: Option<TestServer>,
    tier: Tier,
    _serial: Option<MutexGuard<'static, ()>>,
}

impl Env {
    pub fn new() -> Env {
        Env::with(|_| {})
    }

    /// A fresh in-process server configured by `configure` (heartbeats every
    /// 100 ms unless changed), or the external server when ZIZQ_TEST_URL is set.
    pub fn with(configure: impl FnOnce(&mut Config)) -> Env {
        if let Ok(url) = std::env::var("ZIZQ_TEST_URL") {
            let guard = EXTERNAL.lock().unwrap_or_else(|p| p.into_inner());
            let tier = match std::env::var("ZIZQ_TEST_TIER").as_deref() {
                Ok("free") => Tier::Free,
                _ => Tier::Pro,
            };
            let env = Env {
                url,
                server: None,
                tier,
                _serial: Some(guard),
            };
            env.client("json")
                .erase_all_data()
                .expect("reset external server");
            return env;
        }
        let mut config = Config {
            heartbeat_interval: Duration::from_millis(100),
            ..Config::default()
        };
        configure(&mut config);
        let tier = config.tier;
        let server = TestServer::start(config).expect("test server starts");
        Env {
            url: server.url(),
            tier,
            server: Some(server),
            _serial: None,
        }
    }

    /// Fault injection, or `None` against an external server (skip the test).
    pub fn control(&self) -> Option<Control> {
        self.server.as_ref().map(|s| s.control())
    }

    /// Whether paid features answer 403 on this server (an external
    /// server's tier is given by ZIZQ_TEST_TIER=free).
    pub fn free_tier(&self) -> bool {
        self.tier == Tier::Free
    }

    pub fn client(&self, format: &str) -> Client {
        Client::new(&self.url, &json!({ "format": format })).expect("client")
    }

    pub fn client_with(&self, options: Value) -> Client {
        Client::new(&self.url, &options).expect("client")
    }
}

/// An in-process server of `tier`; an external server has its own tier.
pub fn server_with_tier(tier: Tier) -> Env {
    Env::with(|c| c.tier = tier)
}

/// An error reported through the C ABI.
#[derive(Debug, Clone)]
pub struct Err {
    pub status: zizq_status,
    pub http: u16,
    pub message: String,
    pub body: Option<Vec<u8>>,
    /// `zizq_error_body_format`.
    pub body_format: zizq_format,
    pub retryable: bool,
    pub outcome_unknown: bool,
}

pub type R<T> = Result<T, Err>;

/// Call an export with a `zizq_error **` and collect the error object.
pub fn check(f: impl FnOnce(*mut *mut zizq_error) -> zizq_status) -> R<()> {
    let mut err: *mut zizq_error = ptr::null_mut();
    let status = f(&mut err);
    if status == S::ZIZQ_OK {
        assert!(err.is_null(), "no error object on success");
        return Ok(());
    }
    assert!(!err.is_null(), "error object on failure ({status:?})");
    unsafe {
        assert_eq!(zizq_error_status(err), status);
        let message = CStr::from_ptr(zizq_error_message(err))
            .to_string_lossy()
            .into_owned();
        let mut len = 0usize;
        let body = zizq_error_body(err, &mut len);
        let body = (!body.is_null()).then(|| std::slice::from_raw_parts(body, len).to_vec());
        let e = Err {
            status,
            http: zizq_error_http_status(err),
            message,
            body,
            body_format: zizq_error_body_format(err),
            retryable: zizq_error_retryable(err),
            outcome_unknown: zizq_error_outcome_unknown(err),
        };
        zizq_error_free(err);
        Result::Err(e)
    }
}

/// Call an export that fills a `zizq_buf`.
pub fn buf(f: impl FnOnce(*mut zizq_buf, *mut *mut zizq_error) -> zizq_status) -> R<Vec<u8>> {
    let mut out = zizq_buf {
        data: ptr::null_mut(),
        len: 0,
        cap: 0,
    };
    check(|err| f(&mut out, err))?;
    let bytes = if out.data.is_null() {
        Vec::new()
    } else {
        unsafe { std::slice::from_raw_parts(out.data, out.len).to_vec() }
    };
    unsafe { zizq_buf_free(&mut out) };
    assert!(out.data.is_null() && out.len == 0, "zizq_buf_free resets");
    Ok(bytes)
}

pub fn cstr(s: &str) -> CString {
    CString::new(s).unwrap()
}

/// A client handle, used only through the C ABI.
#[derive(Debug)]
pub struct Client {
    pub ptr: *mut zizq_client,
    /// The format of the documents it takes and returns.
    pub format: Format,
}

unsafe impl Send for Client {}
unsafe impl Sync for Client {}

impl Drop for Client {
    fn drop(&mut self) {
        unsafe { zizq_client_free(self.ptr) };
    }
}

impl Client {
    /// A handle derived from this client (`zizq_client_derive`): same
    /// connections, its own cancellation.
    pub fn derive(&self) -> Client {
        let mut raw = ptr::null_mut();
        check(|e| unsafe { zizq_client_derive(self.ptr, &mut raw, e) }).unwrap();
        Client {
            ptr: raw,
            format: self.format,
        }
    }

    pub fn new(url: &str, options: &Value) -> R<Client> {
        let url = cstr(url);
        let opts = serde_json::to_vec(options).unwrap();
        let mut ptr = ptr::null_mut();
        check(|err| unsafe {
            zizq_client_new(url.as_ptr(), opts.as_ptr(), opts.len(), &mut ptr, err)
        })?;
        let format = match unsafe { zizq_client_document_format(ptr) } {
            zizq_format::ZIZQ_FORMAT_JSON => Format::Json,
            zizq_format::ZIZQ_FORMAT_MSGPACK => Format::Msgpack,
            zizq_format::ZIZQ_FORMAT_NONE => panic!("a client has a document format"),
        };
        Ok(Client { ptr, format })
    }

    pub fn enc(&self, v: &Value) -> Vec<u8> {
        codec::encode(self.format, v)
    }

    pub fn dec(&self, bytes: &[u8]) -> Value {
        if bytes.is_empty() {
            return Value::Null;
        }
        codec::decode(self.format, bytes).expect("document in the client's format")
    }

    /// Call an export taking a document and filling a buffer.
    pub fn doc(
        &self,
        v: &Value,
        f: impl FnOnce(*const u8, usize, *mut zizq_buf, *mut *mut zizq_error) -> zizq_status,
    ) -> R<Value> {
        let d = self.enc(v);
        buf(|out, err| f(d.as_ptr(), d.len(), out, err)).map(|b| self.dec(&b))
    }

    pub fn doc_count(
        &self,
        v: &Value,
        f: impl FnOnce(*const u8, usize, *mut i64, *mut *mut zizq_error) -> zizq_status,
    ) -> R<i64> {
        let d = self.enc(v);
        let mut n = -1;
        check(|err| f(d.as_ptr(), d.len(), &mut n, err))?;
        Ok(n)
    }

    pub fn health(&self) -> R<Value> {
        buf(|o, e| unsafe { zizq::ffi::server::zizq_health(self.ptr, o, e) }).map(|b| self.dec(&b))
    }

    pub fn erase_all_data(&self) -> R<()> {
        check(|e| unsafe { zizq::ffi::server::zizq_erase_all_data(self.ptr, e) })
    }

    pub fn enqueue(&self, v: Value) -> R<Value> {
        self.doc(&v, |d, l, o, e| unsafe {
            zizq::ffi::jobs::zizq_enqueue(self.ptr, d, l, o, e)
        })
    }

    pub fn enqueue_bulk(&self, jobs: Vec<Value>) -> R<Value> {
        self.doc(&json!({ "jobs": jobs }), |d, l, o, e| unsafe {
            zizq::ffi::jobs::zizq_enqueue_bulk(self.ptr, d, l, o, e)
        })
    }

    pub fn get_job(&self, id: &str) -> R<Value> {
        let id = cstr(id);
        buf(|o, e| unsafe { zizq::ffi::jobs::zizq_get_job(self.ptr, id.as_ptr(), o, e) })
            .map(|b| self.dec(&b))
    }

    pub fn list_jobs(&self, v: Value) -> R<Value> {
        self.doc(&v, |d, l, o, e| unsafe {
            zizq::ffi::jobs::zizq_list_jobs(self.ptr, d, l, o, e)
        })
    }

    pub fn count_jobs(&self, v: Value) -> R<i64> {
        self.doc_count(&v, |d, l, o, e| unsafe {
            zizq::ffi::jobs::zizq_count_jobs(self.ptr, d, l, o, e)
        })
    }

    pub fn delete_job(&self, id: &str) -> R<()> {
        let id = cstr(id);
        check(|e| unsafe { zizq::ffi::jobs::zizq_delete_job(self.ptr, id.as_ptr(), e) })
    }

    pub fn report_success(&self, id: &str) -> R<()> {
        let id = cstr(id);
        check(|e| unsafe { zizq::ffi::jobs::zizq_report_success(self.ptr, id.as_ptr(), e) })
    }

    pub fn report_failure(&self, id: &str, v: Value) -> R<Value> {
        let id = cstr(id);
        self.doc(&v, |d, l, o, e| unsafe {
            zizq::ffi::jobs::zizq_report_failure(self.ptr, id.as_ptr(), d, l, o, e)
        })
    }

    pub fn request(&self, method: &str, path: &str, body: Option<&[u8]>) -> R<(u16, Vec<u8>)> {
        let m = cstr(method);
        let p = cstr(path);
        let mut status = 0u16;
        let (bp, bl) = body.map_or((ptr::null(), 0), |b| (b.as_ptr(), b.len()));
        let out = buf(|o, e| unsafe {
            zizq::ffi::server::zizq_request(
                self.ptr,
                m.as_ptr(),
                p.as_ptr(),
                bp,
                bl,
                &mut status,
                o,
                e,
            )
        })?;
        Ok((status, out))
    }

    pub fn close(&self) {
        assert_eq!(unsafe { zizq_client_close(self.ptr) }, S::ZIZQ_OK);
    }
}

/// Enqueue `n` jobs on `queue` (payload `{"n": i}`) and return their ids.
pub fn seed_jobs(c: &Client, queue: &str, n: usize) -> Vec<String> {
    let jobs: Vec<Value> = (0..n)
        .map(|i| json!({"type": "t", "queue": queue, "payload": {"n": i}}))
        .collect();
    let mut ids = Vec::new();
    for chunk in jobs.chunks(1000) {
        let out = c.enqueue_bulk(chunk.to_vec()).expect("bulk enqueue");
        ids.extend(
            out["jobs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|j| j["id"].as_str().unwrap().to_string()),
        );
    }
    ids
}

/// Poll `cond` until it holds (panics after `secs` seconds).
pub fn wait_until(secs: u64, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    while !cond() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub fn name(ptr: *const c_char) -> String {
    unsafe { CStr::from_ptr(ptr).to_string_lossy().into_owned() }
}

pub const FORMATS: [&str; 2] = ["json", "msgpack"];

/// Whether a readiness descriptor becomes readable within `ms` milliseconds.
pub fn readable(fd: i32, ms: i32) -> bool {
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: `p` is one valid pollfd for the duration of the call.
    unsafe { libc::poll(&mut p, 1, ms) == 1 }
}
