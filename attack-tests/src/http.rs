//! A minimal HTTP/1.1 client over `std::net::TcpStream`: the request goes out byte for byte
//! as the corpus wrote it (raw target, headers in order), one connection per request.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// Serializes a request: request line, headers, blank line, body.
pub fn wire(method: &str, target: &str, headers: &[(String, String)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("{method} {target} HTTP/1.1\r\n").into_bytes();
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
/// status, reading until the server closes.
pub fn send(addr: SocketAddr, request: &[u8], timeout: Duration) -> std::io::Result<u16> {
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
            // A reset after a full response (nginx closing early on an error) is still an answer.
            Err(e) if !response.is_empty() && e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => return Err(e),
        }
    }
    status_of(&response).ok_or_else(|| {
        let head = String::from_utf8_lossy(&response[..response.len().min(80)]).into_owned();
        std::io::Error::new(std::io::ErrorKind::InvalidData, format!("no HTTP status line in {head:?}"))
    })
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
        assert_eq!(wire("GET", "/x?a=%27", &h, b""), b"GET /x?a=%27 HTTP/1.1\r\nHost: a\r\n\r\n".to_vec());
        assert_eq!(status_of(b"HTTP/1.1 403 Forbidden\r\n"), Some(403));
        assert_eq!(status_of(b"garbage"), None);
        let te = vec![("Transfer-Encoding".to_string(), "chunked".to_string())];
        assert_eq!(dechunk(&te, b"7\r\nname=ok\r\n2;x=y\r\n&a\r\n0\r\n\r\n"), b"name=ok&a".to_vec());
    }
}
