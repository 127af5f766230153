//! The lab pods' servers (`attack-tests lab-serve`, run in a pod netns through
//! `ip netns exec`): an HTTP/1.1 echo server that answers every request with 200, the header
//! `x-lab-origin: <label>` and a body holding what it received (request line, headers, body),
//! keeping connections alive as the inspector's pool expects; and TCP listeners that greet
//! each connection with `<label> port=<port> peer=<client>` and echo lines back.
//!
//! With a [`Marker`], the echo server checks every request for the inspector's signed marker
//! header (HMAC with the lab run's key): it answers `x-lab-inspected: yes|no`, and appends
//! one line per request without a valid marker to its unsigned log (`<unix ms> <request
//! line>`), so a test can count what reached the origin uninspected, answered or not.

use std::fs::OpenOptions;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// The response header naming the origin that answered: its presence proves the request
/// reached a pod's server (an inspector's block never carries it).
pub const ORIGIN_HEADER: &str = "x-lab-origin";
/// The request header the lab's inspectors sign (`--sign-header`).
pub const MARKER_HEADER: &str = "x-chainwall-inspected";
/// The response header saying whether the request carried a valid marker (`yes`/`no`).
pub const INSPECTED_HEADER: &str = "x-lab-inspected";
/// The largest request head or body the echo server reads.
const MAX: usize = 16 << 20;

/// The marker check of an echo server.
#[derive(Clone, Debug)]
pub struct Marker {
    /// The HMAC key (the key file's bytes, surrounding whitespace trimmed, as the inspector reads it).
    pub key: Vec<u8>,
    /// Where requests without a valid marker are logged.
    pub unsigned_log: PathBuf,
}

impl Marker {
    /// Whether `value` (the marker header, if any) is valid; logs `request_line` if not.
    fn check(&self, value: Option<&str>, request_line: &str) -> bool {
        if value.is_some_and(|v| inspector::sign::verify(&self.key, v).is_some()) {
            return true;
        }
        let line = format!("{} {}\n", super::client::now_ms(), request_line.trim_end());
        let file = OpenOptions::new().create(true).append(true).open(&self.unsigned_log);
        if let Err(e) = file.and_then(|mut f| f.write_all(line.as_bytes())) {
            eprintln!("lab-serve: cannot log to {}: {e}", self.unsigned_log.display());
        }
        false
    }
}

/// The requests logged as unsigned in `log` (an absent log: none): unix ms and request line.
pub fn unsigned(log: &std::path::Path) -> Vec<(u128, String)> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    text.lines()
        .filter_map(|l| l.split_once(' ').and_then(|(at, rest)| Some((at.parse().ok()?, rest.to_owned()))))
        .collect()
}

/// Serves `http` and `tcp` ports until killed.
pub fn serve(label: &str, http: &[u16], tcp: &[u16], marker: Option<Marker>) -> std::io::Result<()> {
    let mut threads = Vec::new();
    let marker = Arc::new(marker);
    for (&port, is_http) in http.iter().map(|p| (p, true)).chain(tcp.iter().map(|p| (p, false))) {
        let listener = TcpListener::bind(("0.0.0.0", port))?;
        let label = label.to_owned();
        let marker = Arc::clone(&marker);
        threads.push(std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let label = label.clone();
                let marker = Arc::clone(&marker);
                std::thread::spawn(move || {
                    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
                    let _ = if is_http {
                        echo_http(stream, &label, marker.as_ref().as_ref())
                    } else {
                        banner(stream, &label, port)
                    };
                });
            }
        }));
    }
    eprintln!("lab-serve {label}: http {http:?}, tcp {tcp:?}");
    for t in threads {
        let _ = t.join();
    }
    Ok(())
}

fn banner(stream: TcpStream, label: &str, port: u16) -> std::io::Result<()> {
    let peer = stream.peer_addr()?;
    let mut out = stream.try_clone()?;
    writeln!(out, "{label} port={port} peer={peer}")?;
    for line in BufReader::new(stream).lines() {
        writeln!(out, "{}", line?)?;
    }
    Ok(())
}

fn echo_http(stream: TcpStream, label: &str, marker: Option<&Marker>) -> std::io::Result<()> {
    let mut out = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    loop {
        let mut head = Vec::new();
        loop {
            let mut line = Vec::new();
            if reader.read_until(b'\n', &mut line)? == 0 {
                return Ok(());
            }
            if head.is_empty() && (line == b"\r\n" || line == b"\n") {
                continue;
            }
            let end = line == b"\r\n" || line == b"\n";
            head.extend_from_slice(&line);
            if end {
                break;
            }
            if head.len() > MAX {
                return Ok(());
            }
        }
        let text = String::from_utf8_lossy(&head).into_owned();
        let header = |name: &str| raw_header(&text, name).map(str::to_ascii_lowercase);
        let body = match (header("transfer-encoding"), header("content-length")) {
            (Some(te), _) if te.contains("chunked") => chunked(&mut reader)?,
            (_, Some(len)) => {
                let len: usize = len.parse().unwrap_or(0).min(MAX);
                let mut body = vec![0; len];
                reader.read_exact(&mut body)?;
                body
            }
            _ => Vec::new(),
        };
        let mut answer = format!("{label} received:\n{}", text.replace("\r\n", "\n")).into_bytes();
        answer.extend_from_slice(&body);
        let close = header("connection").is_some_and(|c| c.contains("close"));
        let inspected = marker.map(|m| {
            let signed = m.check(raw_header(&text, MARKER_HEADER), text.lines().next().unwrap_or_default());
            format!("{INSPECTED_HEADER}: {}\r\n", if signed { "yes" } else { "no" })
        });
        write!(
            out,
            "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n{ORIGIN_HEADER}: {label}\r\n{}content-length: {}\r\n{}\r\n",
            inspected.unwrap_or_default(),
            answer.len(),
            if close { "connection: close\r\n" } else { "" }
        )?;
        out.write_all(&answer)?;
        if close {
            return Ok(());
        }
    }
}

/// A header's value as received (not lowercased).
fn raw_header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().skip(1).find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

fn chunked(reader: &mut impl BufRead) -> std::io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let size = usize::from_str_radix(line.split(';').next().unwrap_or_default().trim(), 16)
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "bad chunk size"))?;
        if size == 0 {
            // Trailers, up to the blank line.
            loop {
                let mut t = String::new();
                if reader.read_line(&mut t)? == 0 || t.trim().is_empty() {
                    return Ok(body);
                }
            }
        }
        if body.len() + size > MAX {
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, "body too large"));
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..])?;
        let mut crlf = String::new();
        reader.read_line(&mut crlf)?;
    }
}
