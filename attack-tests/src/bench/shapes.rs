//! The three request shapes of the proxy issue, as the exact bytes the generator sends on a
//! keep-alive connection: `GET /`, a GET with 6 query args and ~10 headers, and a 1 KiB
//! urlencoded form POST. All benign at CRS PL1 (the agreement check confirms it per peer).

use crate::corpus::{DEFAULT_HOST, DEFAULT_UA};

/// A request shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Shape {
    /// `GET /` with Host, User-Agent and Accept.
    Root,
    /// `GET /api/v1/products?...` with 6 query args and 10 headers.
    Query,
    /// `POST /contact` with a 1024-byte `application/x-www-form-urlencoded` body.
    Form,
}

/// The form body's size.
pub const FORM_BYTES: usize = 1024;

impl Shape {
    /// Every shape, in table order.
    pub const ALL: [Shape; 3] = [Shape::Root, Shape::Query, Shape::Form];

    /// Its name in the table.
    pub fn name(self) -> &'static str {
        match self {
            Shape::Root => "GET /",
            Shape::Query => "GET 6 args",
            Shape::Form => "POST 1 KiB form",
        }
    }

    /// The request bytes.
    pub fn request(self) -> Vec<u8> {
        let common = format!("Host: {DEFAULT_HOST}\r\nUser-Agent: {DEFAULT_UA}\r\n");
        let text = match self {
            Shape::Root => format!("GET / HTTP/1.1\r\n{common}Accept: */*\r\n\r\n"),
            Shape::Query => format!(
                "GET /api/v1/products?category=shoes&color=red&size=42&sort=price&page=2&limit=20 HTTP/1.1\r\n\
                 {common}Accept: application/json\r\nAccept-Language: en-GB,en;q=0.8\r\n\
                 Accept-Encoding: gzip, deflate\r\nReferer: https://shop.example/catalog\r\n\
                 Cookie: session=9f8e7d6c5b4a3928; theme=dark\r\nCache-Control: no-cache\r\n\
                 X-Request-Id: 7d0f8a42-bench\r\nDNT: 1\r\n\r\n"
            ),
            Shape::Form => {
                let body = form_body();
                format!(
                    "POST /contact HTTP/1.1\r\n{common}Accept: text/html\r\n\
                     Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                )
            }
        };
        text.into_bytes()
    }
}

/// A contact form padded with plain words to exactly [`FORM_BYTES`].
fn form_body() -> String {
    let mut body = String::from("name=Ana+Lopez&email=ana%40example.org&subject=Quote+request&message=");
    let words = "Hello+we+would+like+a+quote+for+ten+chairs+and+two+tables+delivered+next+month+";
    while body.len() < FORM_BYTES {
        body.push_str(words);
    }
    body.truncate(FORM_BYTES);
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_have_the_sizes_the_issue_names() {
        let query = String::from_utf8(Shape::Query.request()).unwrap_or_default();
        let target = query.split(' ').nth(1).unwrap_or_default();
        assert_eq!(target.split('&').count(), 6);
        assert_eq!(query.trim_end().lines().count(), 11, "request line + 10 headers");
        let form = Shape::Form.request();
        let body_at = form.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4).unwrap_or(0);
        assert_eq!(form.len() - body_at, FORM_BYTES);
    }
}
