//! A minimal HTTP/1.1 client over `std::net::TcpStream`: the request goes out byte for byte
//! as the corpus wrote it (raw target, headers in order), one connection per request.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// Serializes a request: request line, headers, blank line, body.
pub fn wire(method: &str, target: &str, version: &str, headers: &[(String, String)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("{method} {target} HTTP/{version}\r\n").into_bytes();
    for (name, value) in headers {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    out
}

/// Sends `request` (with `Connection: close` among its headers) and returns the response
/// status.
pub fn send(addr: SocketAddr, request: &[u8], timeout: Duration) -> std::io::Result<u16> {
    exchange(addr, request, timeout).map(|r| r.status)
}

/// A response: status, headers in order, body (as framed on the wire).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The headers, in order.
    pub headers: Vec<(String, String)>,
    /// The body bytes as received (not dechunked).
    pub body: Vec<u8>,
}

impl Response {
    /// The first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Sends `request` and reads one response: to the server's close, to its `Content-Length`,
/// or to the end of a chunked body.
pub fn exchange(addr: SocketAddr, request: &[u8], timeout: Duration) -> std::io::Result<Response> {
    let mut stream = TcpStream::connect_timeout(&addr, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    stream.write_all(request)?;
    let mut response = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => response.extend_from_slice(&buf[..n]),
            // A reset after a full response (nginx closing early on an error) is still an answer,
            // and so is a head whose body has no framing when the server keeps the connection.
            Err(e) if !response.is_empty() && e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) if parse(&response).is_some() && matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                break;
            }
            Err(e) => return Err(e),
        }
        if parse(&response).is_some_and(|(r, complete)| complete && r.status >= 200) {
            break;
        }
    }
    parse(&response).map(|(r, _)| r).ok_or_else(|| {
        let head = String::from_utf8_lossy(&response[..response.len().min(80)]).into_owned();
        std::io::Error::new(std::io::ErrorKind::InvalidData, format!("no HTTP status line in {head:?}"))
    })
}

/// The response in `bytes` (once its head is complete) and whether its body is complete.
fn parse(bytes: &[u8]) -> Option<(Response, bool)> {
    let status = status_of(bytes)?;
    let end = bytes.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = String::from_utf8_lossy(&bytes[..end]);
    let headers: Vec<(String, String)> = head
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':').map(|(n, v)| (n.trim().to_string(), v.trim().to_string())))
        .collect();
    let body = bytes[end..].to_vec();
    let response = Response { status, headers, body };
    let complete = match response.header("content-length").and_then(|v| v.parse::<usize>().ok()) {
        Some(length) => response.body.len() >= length,
        None if response.header("transfer-encoding").is_some_and(|v| v.contains("chunked")) => {
            response.body.ends_with(b"0\r\n\r\n")
        }
        None => false,
    };
    Some((response, complete))
}

/// The body as nginx hands it to ModSecurity: a `chunked` body decoded (chunk extensions
/// and trailers dropped); any other body unchanged. Malformed chunking gives what was read.
pub fn dechunk(headers: &[(String, String)], body: &[u8]) -> Vec<u8> {
    let chunked = headers.iter().any(|(n, v)| n.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    if !chunked {
        return body.to_vec();
    }
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(eol) = rest.windows(2).position(|w| w == b"\r\n") {
        let size_text = String::from_utf8_lossy(&rest[..eol]);
        let size_hex = size_text.split(';').next().unwrap_or_default().trim();
        let Ok(size) = usize::from_str_radix(size_hex, 16) else { break };
        let start = eol + 2;
        if size == 0 || start + size > rest.len() {
            break;
        }
        out.extend_from_slice(&rest[start..start + size]);
        rest = rest.get(start + size + 2..).unwrap_or_default();
    }
    out
}

/// The status code of a raw HTTP/1.x response.
fn status_of(response: &[u8]) -> Option<u16> {
    let line = response.split(|&b| b == b'\n').next()?;
    let text = std::str::from_utf8(line).ok()?;
    let mut words = text.split_whitespace();
    words.next().filter(|v| v.starts_with("HTTP/1."))?;
    words.next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wire_form_is_byte_exact() {
        let h = vec![("Host".to_string(), "a".to_string())];
        assert_eq!(wire("GET", "/x?a=%27", "1.1", &h, b""), b"GET /x?a=%27 HTTP/1.1\r\nHost: a\r\n\r\n".to_vec());
        assert_eq!(wire("GET", "/", "1.0", &h, b""), b"GET / HTTP/1.0\r\nHost: a\r\n\r\n".to_vec());
        assert_eq!(status_of(b"HTTP/1.1 403 Forbidden\r\n"), Some(403));
        assert_eq!(status_of(b"garbage"), None);
        let (r, complete) =
            parse(b"HTTP/1.1 403 Forbidden\r\nx-request-id: ab\r\ncontent-length: 2\r\n\r\n{}").expect("parses");
        assert_eq!((r.status, r.header("X-Request-Id"), complete), (403, Some("ab"), true));
        assert!(!parse(b"HTTP/1.1 200 OK\r\ncontent-length: 9\r\n\r\nab").expect("parses").1);
        let te = vec![("Transfer-Encoding".to_string(), "chunked".to_string())];
        assert_eq!(dechunk(&te, b"7\r\nname=ok\r\n2;x=y\r\n&a\r\n0\r\n\r\n"), b"name=ok&a".to_vec());
    }
}
