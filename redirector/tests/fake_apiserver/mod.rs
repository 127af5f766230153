//! A fake apiserver for the binary's end-to-end tests: plain HTTP/1.1 on loopback, one thread
//! per connection, every request recorded and answered by the test's `route` function. A
//! watch can be held open (never answered) so that the client waits as on a quiet cluster.
//! It is not an apiserver: it answers only what each test scripts.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

/// One request: method, path with query, and its JSON body (`Null` when empty).
#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    pub target: String,
    pub body: Value,
}

/// How the fake answers.
pub enum Reply {
    /// A status code and a JSON body.
    Json(u16, Value),
    /// No answer: the connection is held open (a quiet watch).
    Hold,
}

type Route = dyn Fn(&Request) -> Reply + Send + Sync;

/// The running fake.
pub struct FakeApi {
    pub port: u16,
    pub requests: Arc<Mutex<Vec<Request>>>,
    _dir: tempfile::TempDir,
    pub kubeconfig: PathBuf,
}

impl FakeApi {
    /// Listens on 127.0.0.1 and writes a kubeconfig pointing at it.
    pub fn start(route: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> FakeApi {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (seen, route): (_, Arc<Route>) = (requests.clone(), Arc::new(route));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (seen, route) = (seen.clone(), route.clone());
                std::thread::spawn(move || connection(stream, &seen, &*route));
            }
        });
        let dir = tempfile::tempdir().unwrap();
        let kubeconfig = dir.path().join("kubeconfig");
        std::fs::write(&kubeconfig, config(port)).unwrap();
        FakeApi { port, requests, _dir: dir, kubeconfig }
    }

    /// The requests so far.
    pub fn seen(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }

    /// The kubeconfig's path.
    pub fn kubeconfig(&self) -> &Path {
        &self.kubeconfig
    }
}

fn config(port: u16) -> String {
    format!(
        "apiVersion: v1\nkind: Config\nclusters: [{{name: fake, cluster: {{server: 'http://127.0.0.1:{port}'}}}}]\n\
         users: [{{name: u, user: {{}}}}]\ncontexts: [{{name: c, context: {{cluster: fake, user: u}}}}]\n\
         current-context: c\n"
    )
}

fn connection(stream: TcpStream, seen: &Mutex<Vec<Request>>, route: &Route) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut out = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut length = 0;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            if header.trim().is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let mut words = line.split_whitespace();
        let method = words.next().unwrap_or_default().to_owned();
        let target = words.next().unwrap_or_default().to_owned();
        let body = if body.is_empty() { Value::Null } else { serde_json::from_slice(&body).unwrap_or(Value::Null) };
        let request = Request { method, target, body };
        seen.lock().unwrap().push(request.clone());
        match route(&request) {
            Reply::Hold => {
                std::thread::sleep(Duration::from_secs(60));
                return;
            }
            Reply::Json(status, value) => {
                let text = value.to_string();
                let head = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                    text.len()
                );
                if out.write_all(head.as_bytes()).and_then(|()| out.write_all(text.as_bytes())).is_err() {
                    return;
                }
            }
        }
    }
}

/// A Kubernetes `Status` error body.
pub fn status(code: u16, reason: &str) -> Value {
    serde_json::json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": reason, "reason": reason, "code": code})
}
