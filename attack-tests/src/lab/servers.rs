//! The lab pods' servers (`attack-tests lab-serve`, run in a pod netns through
//! `ip netns exec`): an HTTP/1.1 echo server that answers every request with 200, the header
//! `x-lab-origin: <label>` and a body holding what it received (request line, headers, body),
//! keeping connections alive as the inspector's pool expects; and TCP listeners that greet
//! each connection with `<label> port=<port> peer=<client>` and echo lines back.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

/// The response header naming the origin that answered: its presence proves the request
/// reached a pod's server (an inspector's block never carries it).
pub const ORIGIN_HEADER: &str = "x-lab-origin";
/// The largest request head or body the echo server reads.
const MAX: usize = 16 << 20;

/// Serves `http` and `tcp` ports until killed.
pub fn serve(label: &str, http: &[u16], tcp: &[u16]) -> std::io::Result<()> {
    let mut threads = Vec::new();
    for (&port, is_http) in http.iter().map(|p| (p, true)).chain(tcp.iter().map(|p| (p, false))) {
        let listener = TcpListener::bind(("0.0.0.0", port))?;
        let label = label.to_owned();
        threads.push(std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let label = label.clone();
                std::thread::spawn(move || {
                    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
                    let _ = if is_http { echo_http(stream, &label) } else { banner(stream, &label, port) };
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

fn echo_http(stream: TcpStream, label: &str) -> std::io::Result<()> {
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
        let header = |name: &str| {
            text.lines().skip(1).find_map(|l| {
                let (n, v) = l.split_once(':')?;
                n.trim().eq_ignore_ascii_case(name).then(|| v.trim().to_ascii_lowercase())
            })
        };
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
        write!(
            out,
            "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n{ORIGIN_HEADER}: {label}\r\ncontent-length: {}\r\n{}\r\n",
            answer.len(),
            if close { "connection: close\r\n" } else { "" }
        )?;
        out.write_all(&answer)?;
        if close {
            return Ok(());
        }
    }
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
