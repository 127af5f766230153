//! One keep-alive HTTP/1.1 client connection for the load generator: writes a prepared
//! request, reads one whole response (Content-Length or chunked), reconnects when the server
//! closes. Blocking `std::net`, so one thread drives one connection.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// How long one read or write may stall before the request counts as failed.
const IO_TIMEOUT: Duration = Duration::from_secs(5);

/// A connection that reconnects on demand.
#[derive(Debug)]
pub struct Conn {
    addr: SocketAddr,
    stream: Option<TcpStream>,
    buf: Vec<u8>,
}

impl Conn {
    /// Not connected yet: the first request connects.
    pub fn new(addr: SocketAddr) -> Conn {
        Conn { addr, stream: None, buf: Vec::with_capacity(4096) }
    }

    /// Sends `request` and returns the response status; on error the connection is dropped
    /// (the next call reconnects).
    pub fn exchange(&mut self, request: &[u8]) -> io::Result<u16> {
        let result = self.try_exchange(request);
        if result.is_err() {
            self.stream = None;
        }
        result
    }

    fn try_exchange(&mut self, request: &[u8]) -> io::Result<u16> {
        let stream = match &mut self.stream {
            Some(s) => s,
            None => {
                let s = TcpStream::connect_timeout(&self.addr, IO_TIMEOUT)?;
                s.set_nodelay(true)?;
                s.set_read_timeout(Some(IO_TIMEOUT))?;
                s.set_write_timeout(Some(IO_TIMEOUT))?;
                self.stream.insert(s)
            }
        };
        stream.write_all(request)?;
        self.buf.clear();
        let head_end = loop {
            if let Some(end) = find(&self.buf, b"\r\n\r\n") {
                break end + 4;
            }
            fill(stream, &mut self.buf)?;
        };
        let head = Head::parse(&self.buf[..head_end]).ok_or_else(|| bad("malformed response head"))?;
        match head.length {
            Some(length) => {
                while self.buf.len() < head_end + length {
                    fill(stream, &mut self.buf)?;
                }
            }
            None => read_chunked(stream, &mut self.buf, head_end)?,
        }
        if head.close {
            self.stream = None;
        }
        Ok(head.status)
    }
}

struct Head {
    status: u16,
    /// Content-Length; `None` for chunked.
    length: Option<usize>,
    close: bool,
}

impl Head {
    fn parse(head: &[u8]) -> Option<Head> {
        let text = std::str::from_utf8(head).ok()?;
        let mut lines = text.split("\r\n");
        let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
        let mut out = Head { status, length: Some(0), close: false };
        for line in lines {
            let Some((name, value)) = line.split_once(':') else { continue };
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                out.length = Some(value.parse().ok()?);
            } else if name.eq_ignore_ascii_case("transfer-encoding") && value.eq_ignore_ascii_case("chunked") {
                out.length = None;
            } else if name.eq_ignore_ascii_case("connection") && value.eq_ignore_ascii_case("close") {
                out.close = true;
            }
        }
        Some(out)
    }
}

/// Reads chunks after `from` until the last (`0`) chunk and the blank line after it.
fn read_chunked(stream: &mut TcpStream, buf: &mut Vec<u8>, mut from: usize) -> io::Result<()> {
    loop {
        let eol = loop {
            if let Some(i) = find(&buf[from..], b"\r\n") {
                break from + i;
            }
            fill(stream, buf)?;
        };
        let size_text = std::str::from_utf8(&buf[from..eol]).map_err(|_| bad("chunk size"))?;
        let size_hex = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_hex, 16).map_err(|_| bad("chunk size"))?;
        let end = eol + 2 + size + 2;
        while buf.len() < end {
            fill(stream, buf)?;
        }
        if size == 0 {
            return Ok(());
        }
        from = end;
    }
}

fn fill(stream: &mut TcpStream, buf: &mut Vec<u8>) -> io::Result<()> {
    let mut chunk = [0u8; 8192];
    let n = stream.read(&mut chunk)?;
    if n == 0 {
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "server closed the connection"));
    }
    buf.extend_from_slice(&chunk[..n]);
    Ok(())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn bad(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_owned())
}
