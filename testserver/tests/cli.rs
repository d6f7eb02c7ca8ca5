//! The binary: listening line, exit paths and flag errors.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

const BIN: &str = env!("CARGO_BIN_EXE_zizq-testserver");

fn spawn(args: &[&str]) -> (Child, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .expect("read line");
    (child, line)
}

fn wait_exit(child: &mut Child) -> Option<i32> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Some(st) = child.try_wait().unwrap() {
            return st.code();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    panic!("server did not exit");
}

fn addr(line: &str) -> std::net::SocketAddr {
    line.trim()
        .strip_prefix("listening on http://")
        .expect("listening line")
        .parse()
        .expect("addr")
}

#[tokio::test]
async fn prints_url_and_exits_on_stdin_eof() {
    let (mut child, line) = spawn(&[
        "--port",
        "0",
        "--exit-on-stdin-eof",
        "--heartbeat-interval",
        "100ms",
    ]);
    assert!(line.starts_with("listening on http://127.0.0.1:"), "{line}");
    assert!(line.ends_with('\n'));
    let mut c = Client::h1(addr(&line)).await;
    assert_eq!(c.get("/health").await.status, 200);
    drop(child.stdin.take());
    assert_eq!(wait_exit(&mut child), Some(0));
}

#[tokio::test]
async fn exits_cleanly_on_sigterm_with_open_stream() {
    let (mut child, line) = spawn(&["--port=0", "--tier", "free", "-l", "0"]);
    let a = addr(&line);
    let mut c = Client::h1(a).await;
    c.enqueue(job("q", serde_json::json!(1))).await;
    let mut t = Take::open(a, "/jobs/take", None).await;
    t.jobs(1).await;
    assert_eq!(c.get("/crons").await.status, 403);
    // SAFETY: sending a signal to our own child process.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    assert!(
        t.wait_end(Duration::from_secs(5)).await,
        "stream ended cleanly"
    );
    assert_eq!(wait_exit(&mut child), Some(0));
}

#[test]
fn bad_flags() {
    for args in [
        &["--bogus"][..],
        &["--port"],
        &["--tier", "gold"],
        &["--heartbeat-interval", "soon"],
        &["--tls-cert", "x"],
    ] {
        let out = Command::new(BIN).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("usage: zizq-testserver"), "{err}");
        assert!(out.stdout.is_empty());
    }
    let out = Command::new(BIN).arg("--help").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn unusable_port_exits_1() {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port().to_string();
    let mut child = Command::new(BIN)
        .args(["--port", &port])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    assert_eq!(wait_exit(&mut child), Some(1));
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(err.starts_with("Error: "), "{err}");
}

/// `TestServer` works from a plain `#[test]` (no runtime around it).
#[test]
fn in_process_from_plain_test() {
    use std::io::Write;
    let server = TestServer::start_default().expect("start");
    assert!(server.url().starts_with("http://127.0.0.1:"));
    let mut sock = std::net::TcpStream::connect(server.addr()).unwrap();
    sock.write_all(b"GET /version HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .unwrap();
    let mut out = String::new();
    sock.read_to_string(&mut out).unwrap();
    assert!(out.starts_with("HTTP/1.1 200 OK"), "{out}");
    assert!(out.ends_with(r#"{"version":"0.6.1"}"#), "{out}");
    let control = server.control();
    control.set_delay_ms(1);
    assert_eq!(control.state().faults.delay_ms, 1);
    server.shutdown();
}
