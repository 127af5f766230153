//! The smuggling and ambiguity table (`tests/data/smuggling.yaml`, reliability.md 1.2): each
//! raw request is written on a new connection to the in-process proxy, in front of a raw-TCP
//! origin recording the exact bytes it received. `reject`: the stated status, the connection
//! closed, nothing forwarded (and `by` names who refused). `normalise`: the origin received,
//! byte for byte parsed strictly, exactly the canonical requests the engine inspected.
#![allow(clippy::unwrap_used)]

mod support;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use inspector::proxy::Inspected;
use inspector::request::Canonical;
use serde::Deserialize;
use support::{CANARY, inspector_with};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    row: u32,
    raw: String,
    expect: Expect,
    #[serde(default)]
    by: Option<By>,
    #[serde(default)]
    status: Option<u16>,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    forwarded: Forwarded,
}

#[derive(Debug, Deserialize, PartialEq, Eq, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum Expect {
    Reject,
    Normalise,
}

#[derive(Debug, Deserialize, PartialEq, Eq, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum By {
    Hyper,
    Proxy,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Forwarded {
    target: Option<String>,
    host: Option<String>,
    body: Option<String>,
    requests: Option<usize>,
}

/// `\r \n \t \0 \\ \xHH` and the `{long}` / `{many}` placeholders.
fn decode(raw: &str) -> Vec<u8> {
    let raw = raw.replace("{long}", &"a".repeat(40 * 1024)).replace("{many}", &"X-N: n\r\n".repeat(120));
    let (mut out, mut bytes) = (Vec::new(), raw.bytes());
    while let Some(b) = bytes.next() {
        if b != b'\\' {
            out.push(b);
            continue;
        }
        match bytes.next().unwrap() {
            b'r' => out.push(b'\r'),
            b'n' => out.push(b'\n'),
            b't' => out.push(b'\t'),
            b'0' => out.push(0),
            b'\\' => out.push(b'\\'),
            b'x' => {
                let hex = [bytes.next().unwrap(), bytes.next().unwrap()];
                out.push(u8::from_str_radix(std::str::from_utf8(&hex).unwrap(), 16).unwrap());
            }
            other => panic!("unknown escape \\{}", other as char),
        }
    }
    out
}

/// A raw-TCP origin: records every byte, answers `200 ok` to each complete request.
async fn origin() -> (SocketAddr, Arc<Mutex<Vec<u8>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let shared = log.clone();
    tokio::spawn(async move {
        loop {
            let (mut stream, _) = listener.accept().await.unwrap();
            let log = shared.clone();
            tokio::spawn(async move {
                let (mut pending, mut buf) = (Vec::new(), vec![0u8; 65536]);
                while let Ok(n @ 1..) = stream.read(&mut buf).await {
                    log.lock().unwrap().extend_from_slice(&buf[..n]);
                    pending.extend_from_slice(&buf[..n]);
                    while let Some(Ok(len)) = parse_request(&pending).map(|r| r.map(|(_, len)| len)) {
                        pending.drain(..len);
                        let ok = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok").await;
                        if ok.is_err() {
                            return;
                        }
                    }
                }
            });
        }
    });
    (addr, log)
}

/// A request as the origin parsed it: method, target, headers, body.
type Parsed = (String, String, Vec<(String, Vec<u8>)>, Vec<u8>);

/// Parses one complete request at the start of `buf` strictly (CRLF only, one
/// `Content-Length`, no `Transfer-Encoding`); `None` when incomplete.
fn parse_request(buf: &[u8]) -> Option<Result<(Parsed, usize), String>> {
    let mut headers = [httparse::EMPTY_HEADER; 128];
    let mut req = httparse::Request::new(&mut headers);
    let head = match req.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return None,
        Err(e) => return Some(Err(format!("origin cannot parse: {e}"))),
    };
    if buf[..head].iter().enumerate().any(|(i, &b)| b == b'\n' && (i == 0 || buf[i - 1] != b'\r')) {
        return Some(Err("bare LF forwarded".into()));
    }
    let fields: Vec<(String, Vec<u8>)> =
        req.headers.iter().map(|h| (h.name.to_ascii_lowercase(), h.value.to_vec())).collect();
    let lengths: Vec<_> = fields.iter().filter(|(n, _)| n == "content-length").collect();
    if lengths.len() > 1 || fields.iter().any(|(n, _)| n == "transfer-encoding") {
        return Some(Err(format!("ambiguous framing forwarded: {fields:?}")));
    }
    let length = lengths.first().map_or(0, |(_, v)| std::str::from_utf8(v).unwrap().parse::<usize>().unwrap());
    if buf.len() < head + length {
        return None;
    }
    let parsed =
        (req.method.unwrap().to_owned(), req.path.unwrap().to_owned(), fields, buf[head..head + length].to_vec());
    Some(Ok((parsed, head + length)))
}

fn canonical(c: &Canonical) -> Parsed {
    let headers = c.headers.iter().map(|(n, v)| (n.as_str().to_owned(), v.as_bytes().to_vec())).collect();
    (c.method.to_string(), c.target.clone(), headers, c.body.to_vec())
}

/// Writes `raw`, reads responses: until `finals` final responses arrived (normalise), or until
/// the proxy closes the connection (reject). Returns (statuses, response bytes, closed).
async fn exchange(addr: SocketAddr, raw: &[u8], finals: Option<usize>) -> (Vec<u16>, String, bool) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let _ = stream.write_all(raw).await;
    let (mut out, mut buf, mut closed) = (Vec::new(), vec![0u8; 65536], false);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    loop {
        if finals.is_some_and(|n| statuses(&out).iter().filter(|s| **s >= 200).count() >= n) {
            break;
        }
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) => {
                closed = true;
                break;
            }
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
            Err(_) => break,
        }
    }
    (statuses(&out), String::from_utf8_lossy(&out).into_owned(), closed)
}

/// The statuses of the complete responses in `out`.
fn statuses(mut out: &[u8]) -> Vec<u16> {
    let mut found = Vec::new();
    loop {
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut resp = httparse::Response::new(&mut headers);
        let Ok(httparse::Status::Complete(head)) = resp.parse(out) else { return found };
        let length = resp
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case("content-length"))
            .map_or(0, |h| std::str::from_utf8(h.value).unwrap().parse::<usize>().unwrap());
        if out.len() < head + length {
            return found;
        }
        found.push(resp.code.unwrap());
        out = &out[head + length..];
    }
}

#[tokio::test]
async fn smuggling_table() {
    let cases: Vec<Case> =
        serde_saphyr::from_str(&std::fs::read_to_string("tests/data/smuggling.yaml").unwrap()).unwrap();
    assert!(cases.len() >= 40, "the table has {} cases", cases.len());
    let (origin_addr, received) = origin().await;
    let inspected = Arc::new(Mutex::new(Vec::new()));
    let sink = inspected.clone();
    let hook = Inspected(Arc::new(move |c: &Canonical| sink.lock().unwrap().push(c.clone())));
    let rules = format!("SecRuleEngine On\nSecRequestBodyAccess On\n{CANARY}");
    let proxy = inspector_with(origin_addr, &rules, &[], Some(hook)).await;
    let mut failures = Vec::new();
    for case in &cases {
        received.lock().unwrap().clear();
        inspected.lock().unwrap().clear();
        if let Err(why) = run(case, proxy.proxy_addr, &received, &inspected).await {
            failures.push(format!("{} (row {}): {why}", case.name, case.row));
        }
    }
    let rejects = cases.iter().filter(|c| c.expect == Expect::Reject).count();
    println!("smuggling table: {} cases, {rejects} reject, {} normalise", cases.len(), cases.len() - rejects);
    assert!(failures.is_empty(), "{} failing cases:\n{}", failures.len(), failures.join("\n"));
}

async fn run(
    case: &Case,
    addr: SocketAddr,
    received: &Mutex<Vec<u8>>,
    inspected: &Mutex<Vec<Canonical>>,
) -> Result<(), String> {
    let raw = decode(&case.raw);
    let requests = case.forwarded.requests.unwrap_or(usize::from(case.expect == Expect::Normalise));
    let finals = (case.expect == Expect::Normalise).then_some(requests);
    let (statuses, text, closed) = exchange(addr, &raw, finals).await;
    let _ = &case.note;
    tokio::time::sleep(Duration::from_millis(20)).await;
    let inspected: Vec<Parsed> = inspected.lock().unwrap().iter().map(canonical).collect();
    let bytes = received.lock().unwrap().clone();
    let mut forwarded = Vec::new();
    let mut rest = bytes.as_slice();
    while !rest.is_empty() {
        match parse_request(rest) {
            Some(Ok((parsed, len))) => {
                forwarded.push(parsed);
                rest = &rest[len..];
            }
            Some(Err(e)) => return Err(e),
            None => return Err(format!("incomplete request forwarded: {:?}", String::from_utf8_lossy(rest))),
        }
    }
    if forwarded != inspected {
        return Err(format!("the origin received {forwarded:?}\nbut the engine inspected {inspected:?}"));
    }
    if forwarded.len() != requests {
        return Err(format!("{} requests forwarded, expected {requests}; answer {text:?}", forwarded.len()));
    }
    match case.expect {
        Expect::Normalise => {
            if statuses.iter().filter(|s| **s >= 200).ne(std::iter::repeat_n(&200, requests)) {
                return Err(format!("statuses {statuses:?}, expected {requests}× 200: {text:?}"));
            }
            let Some(first) = forwarded.first() else { return Ok(()) };
            let f = &case.forwarded;
            let host = first.2.iter().find(|(n, _)| n == "host").map(|(_, v)| String::from_utf8_lossy(v));
            let checks = [
                f.target.as_deref().is_none_or(|t| t == first.1),
                f.host.as_deref().is_none_or(|h| Some(h) == host.as_deref()),
                f.body.as_deref().is_none_or(|b| b.as_bytes() == first.3),
            ];
            if checks.contains(&false) {
                return Err(format!("forwarded {first:?}, expected {:?}", case.forwarded));
            }
        }
        Expect::Reject => {
            let want = case.status.unwrap_or(400);
            if statuses.last() != Some(&want) || !closed {
                return Err(format!("expected {want} and close; got {statuses:?}, closed {closed}: {text:?}"));
            }
            let ours = text.rsplit("HTTP/1.1 ").next().is_some_and(|last| last.contains("x-request-id"));
            let by = if ours { By::Proxy } else { By::Hyper };
            if case.by != Some(by) {
                return Err(format!("refused by {by:?}, the table says {:?}", case.by));
            }
        }
    }
    Ok(())
}
