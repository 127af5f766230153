//! `attack-tests ftw` against the real inspector on loopback (CRS 3.3.4 at PL1 from
//! `inspector/engine/tests/data/base.conf`, in front of a small echo upstream): our go-ftw
//! examples in `attack-tests/ftw/` must all pass, with rule ids read from the inspector's
//! audit log; the same tests with wrong expectations must fail, naming what differed.
//!
//! Uses `inspector` next to `attack-tests` (`cargo test --workspace` builds it; after
//! `cargo test -p attack-tests` alone: `cargo build -p inspector`). Missing: a failure when
//! `CI=true`, a loud SKIP otherwise.
#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const EXE: &str = env!("CARGO_BIN_EXE_attack-tests");

/// The inspector process and the temp dir, gone on drop.
struct Inspector {
    child: Child,
    addr: SocketAddr,
    dir: PathBuf,
}

impl Drop for Inspector {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// An HTTP/1.1 origin that answers every request `200 ok` and closes.
fn echo_upstream() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for mut conn in listener.incoming().flatten() {
            std::thread::spawn(move || {
                conn.set_read_timeout(Some(Duration::from_secs(5))).ok();
                let mut got = Vec::new();
                let mut buf = [0u8; 4096];
                while let Ok(n @ 1..) = conn.read(&mut buf) {
                    got.extend_from_slice(&buf[..n]);
                    let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") else { continue };
                    let head = String::from_utf8_lossy(&got[..end]).to_ascii_lowercase();
                    let length = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    if got.len() >= end + 4 + length {
                        break;
                    }
                }
                let _ = conn.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n");
            });
        }
    });
    addr
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn start_inspector(bin: &Path) -> Inspector {
    let dir = std::env::temp_dir().join(format!("attack-tests-ftw-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let upstream = echo_upstream();
    let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("../inspector/engine/tests/data/base.conf");
    let child = Command::new(bin)
        .args(["--upstream", &upstream.to_string(), "--listen", &addr.to_string()])
        .args(["--metrics-listen", &format!("127.0.0.1:{}", free_port())])
        .arg("--rules")
        .arg(rules)
        .arg("--audit-log")
        .arg(dir.join("audit.jsonl"))
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("inspector.log")).unwrap())
        .spawn()
        .unwrap();
    let mut inspector = Inspector { child, addr, dir };
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        let log = || std::fs::read_to_string(inspector.dir.join("inspector.log")).unwrap_or_default();
        assert!(inspector.child.try_wait().unwrap().is_none(), "inspector exited:\n{}", log());
        assert!(Instant::now() < deadline, "inspector not listening after 60 s:\n{}", log());
        std::thread::sleep(Duration::from_millis(100));
    }
    inspector
}

fn ftw(inspector: &Inspector, tests: &Path) -> (bool, serde_json::Value) {
    let out = Command::new(EXE)
        .arg("ftw")
        .arg("--tests")
        .arg(tests)
        .args(["--url", &format!("http://{}", inspector.addr), "--json"])
        .arg("--audit-log")
        .arg(inspector.dir.join("audit.jsonl"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let summary = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    (out.status.success(), summary)
}

#[test]
fn our_go_ftw_examples_pass_against_the_inspector_and_wrong_expectations_fail() {
    let bin = Path::new(EXE).with_file_name("inspector");
    if !bin.is_file() {
        let why = format!("{} is missing (cargo build -p inspector)", bin.display());
        assert!(std::env::var("CI").map_or(true, |v| v != "true"), "{why}");
        eprintln!("\n*** SKIP ftw test: {why} ***\n");
        return;
    }
    let inspector = start_inspector(&bin);
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("ftw");
    let count = attack_tests::ftw::load(&examples).unwrap().len();
    assert!(count >= 7, "the examples shrank to {count} tests");

    let (ok, summary) = ftw(&inspector, &examples);
    println!("{summary:#}");
    assert!(ok, "{summary:#}");
    assert_eq!((summary["passed"].as_u64(), summary["failed"].as_u64()), (Some(count as u64), Some(0)), "{summary:#}");
    let audit = std::fs::read_to_string(inspector.dir.join("audit.jsonl")).unwrap();
    assert!(audit.contains("942100"), "the inspector under test logged the SQLi: {audit}");

    // The same SQLi tests with wrong expectations: another rule id, and 403 for the benign search.
    let text = std::fs::read_to_string(examples.join("sqli.yaml")).unwrap();
    let wrong =
        text.replace("expect_ids: [942100, 949110]", "expect_ids: [941100]").replace("status: 200", "status: 403");
    let wrong_file = inspector.dir.join("wrong.yaml");
    std::fs::write(&wrong_file, wrong).unwrap();
    let (ok, summary) = ftw(&inspector, &wrong_file);
    assert!(!ok, "wrong expectations must fail: {summary:#}");
    let reasons: Vec<&str> =
        summary["results"].as_array().unwrap().iter().filter_map(|r| r["reason"].as_str()).collect();
    assert_eq!(summary["failed"].as_u64(), Some(2), "{summary:#}");
    assert!(reasons.iter().any(|r| r.contains("rule 941100 did not match")), "{reasons:?}");
    assert!(reasons.iter().any(|r| r.contains("status 200")), "{reasons:?}");
}
