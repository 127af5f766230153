//! Traffic from inside a lab netns (`attack-tests lab-send`, run through `ip netns exec`):
//! a JSON list of [`Probe`]s on stdin, one JSON list of [`Outcome`]s on stdout. An HTTP probe
//! sends its raw bytes and reads one response (to its `content-length`, or to the close); a
//! TCP probe connects and reads the server's greeting line. `lab-get URL` prints a body
//! (metrics scrapes from the netns that can reach the inspector).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::servers::{INSPECTED_HEADER, ORIGIN_HEADER};

/// One connection to make.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Probe {
    /// Destination.
    pub addr: SocketAddr,
    /// Raw HTTP request bytes (as text); absent: a plain TCP connection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<String>,
    /// Connect and read timeout, milliseconds.
    pub timeout_ms: u64,
}

/// What happened.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Outcome {
    /// HTTP status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The `x-lab-origin` header: the origin that answered (absent: the inspector did).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// Whether the origin saw the inspector's valid signed marker (`x-lab-inspected`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inspected: Option<bool>,
    /// A TCP server's greeting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub greeting: Option<String>,
    /// The error kind (`TimedOut`, `ConnectionRefused`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Runs every probe in order.
pub fn send_all(probes: &[Probe]) -> Vec<Outcome> {
    probes.iter().map(one).collect()
}

fn one(probe: &Probe) -> Outcome {
    let timeout = Duration::from_millis(probe.timeout_ms.max(1));
    let result = TcpStream::connect_timeout(&probe.addr, timeout).and_then(|mut s| {
        s.set_read_timeout(Some(timeout))?;
        s.set_write_timeout(Some(timeout))?;
        match &probe.http {
            Some(raw) => {
                s.write_all(raw.as_bytes())?;
                http_response(s)
            }
            None => {
                let mut line = String::new();
                BufReader::new(s).read_line(&mut line)?;
                Ok(Outcome { greeting: Some(line.trim().to_owned()), ..Outcome::default() })
            }
        }
    });
    result.unwrap_or_else(|e| Outcome { error: Some(format!("{:?}", e.kind())), ..Outcome::default() })
}

fn http_response(mut s: TcpStream) -> std::io::Result<Outcome> {
    let mut got = Vec::new();
    let mut buf = [0u8; 16384];
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(_) if head_of(&got).is_some() => break,
            Err(e) => return Err(e),
        }
        if let Some((head_len, head)) = head_of(&got) {
            let length = header(&head, "content-length").and_then(|v| v.parse::<usize>().ok());
            if length.is_some_and(|l| got.len() >= head_len + l) {
                break;
            }
        }
    }
    let Some((_, head)) = head_of(&got) else {
        let text = String::from_utf8_lossy(&got[..got.len().min(60)]).into_owned();
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, format!("no response head: {text:?}")));
    };
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok());
    let inspected = header(&head, INSPECTED_HEADER).map(|v| v == "yes");
    Ok(Outcome { status, origin: header(&head, ORIGIN_HEADER), inspected, ..Outcome::default() })
}

/// The response head (as text) and its length, once complete.
fn head_of(got: &[u8]) -> Option<(usize, String)> {
    let end = got.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    Some((end, String::from_utf8_lossy(&got[..end]).into_owned()))
}

fn header(head: &str, name: &str) -> Option<String> {
    head.lines().skip(1).find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.trim().eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
    })
}

/// `GET url` (`http://IP:PORT/path`); the body.
pub fn get(url: &str) -> std::io::Result<String> {
    let bad = || std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("{url}: expected http://IP:PORT/path"));
    let rest = url.strip_prefix("http://").ok_or_else(bad)?;
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let addr: SocketAddr = authority.parse().map_err(|_| bad())?;
    let timeout = Duration::from_secs(3);
    let mut s = TcpStream::connect_timeout(&addr, timeout)?;
    s.set_read_timeout(Some(timeout))?;
    write!(
        s,
        "GET {} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n",
        if path.is_empty() { "/" } else { path }
    )?;
    let mut got = Vec::new();
    s.read_to_end(&mut got)?;
    let (head_len, head) = head_of(&got).ok_or_else(bad)?;
    if head.split_whitespace().nth(1) != Some("200") {
        return Err(std::io::Error::other(format!("{url}: {}", head.lines().next().unwrap_or_default())));
    }
    Ok(String::from_utf8_lossy(&got[head_len..]).into_owned())
}

/// One probe of a load run, with when it was sent.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Timed {
    /// Unix time of the send, milliseconds.
    pub at_ms: u128,
    /// Which probe (index into the list).
    pub probe: usize,
    /// What happened.
    pub outcome: Outcome,
}

/// Unix time now, milliseconds.
pub fn now_ms() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis())
}

/// Cycles through `probes` for `duration`, pausing `pause` between probes (bounded: at most
/// one probe per pause or timeout).
pub fn load(probes: &[Probe], duration: Duration, pause: Duration) -> Vec<Timed> {
    let start = std::time::Instant::now();
    let mut out = Vec::new();
    for probe in (0..probes.len()).cycle() {
        if probes.is_empty() || start.elapsed() >= duration {
            break;
        }
        let at_ms = now_ms();
        out.push(Timed { at_ms, probe, outcome: one(&probes[probe]) });
        std::thread::sleep(pause);
    }
    out
}
