//! `Content-Disposition: form-data; name="..."; filename="..."`, parsed as libmodsecurity
//! 3.0.9 parses it, with its negative return codes (they appear in the error message).
//! Every `name`/`filename` seen lands in `MULTIPART_NAME`/`MULTIPART_FILENAME` at once.

use super::multipart::Parser;
use super::multipart_part::Part;

/// RFC 2616 token characters.
fn is_token(c: u8) -> bool {
    c > 32 && c < 127 && !b"()<>@,;:\\\"/[]?=".contains(&c)
}

fn skip_blanks(v: &[u8], mut p: usize) -> usize {
    while v.get(p).is_some_and(|&c| c == b' ' || c == b'\t') {
        p += 1;
    }
    p
}

impl Parser {
    /// Parses the header value into `part`; `Err(code)` as libmodsecurity numbers them.
    pub(super) fn content_disposition(&mut self, part: &mut Part, value: &[u8]) -> Result<(), i32> {
        let v = value.split(|&c| c == 0).next().unwrap_or_default();
        if !v.starts_with(b"form-data") {
            return Err(-1);
        }
        let mut p = skip_blanks(v, 9);
        if p == v.len() {
            return Ok(());
        }
        if v[p] != b';' {
            return Err(-2);
        }
        p += 1;
        while p < v.len() {
            p = skip_blanks(v, p);
            if p == v.len() {
                return Err(-3);
            }
            let start = p;
            while p < v.len() && !matches!(v[p], b'=' | b'\t' | b' ') {
                p += 1;
            }
            if p == v.len() {
                return Err(-4);
            }
            let name = &v[start..p];
            p = skip_blanks(v, p);
            if p == v.len() {
                return Err(-5);
            }
            if v[p] != b'=' {
                return Err(-13);
            }
            p = skip_blanks(v, p + 1);
            if p == v.len() {
                return Err(-6);
            }
            let mut text = Vec::new();
            if v[p] == b'"' || v[p] == b'\'' {
                let quote = v[p];
                self.out.flags.invalid_quoting |= quote == b'\'';
                p += 1;
                if p == v.len() {
                    return Err(-7);
                }
                while p < v.len() {
                    if v[p] == b'\\' {
                        match v.get(p + 1) {
                            None => return Err(-8),
                            Some(&n) if n == quote || n == b'\\' => p += 1,
                            Some(_) => {}
                        }
                    } else if v[p] == quote {
                        break;
                    }
                    text.push(v[p]);
                    p += 1;
                }
                p += 1; // the closing quote (or one past the end, as libmodsecurity does)
            } else {
                let start = p;
                while p < v.len() && is_token(v[p]) {
                    p += 1;
                }
                text = v[start..p].to_vec();
            }
            match name {
                b"name" => {
                    self.out.names.push(text.clone(), text.clone());
                    if !part.name.is_empty() {
                        return Err(-14);
                    }
                    part.name = text;
                }
                b"filename" => {
                    self.out.filenames.push(text.clone(), text.clone());
                    if !part.filename.is_empty() {
                        return Err(-15);
                    }
                    part.filename = text;
                }
                _ => return Err(-11),
            }
            if p < v.len() {
                p = skip_blanks(v, p);
                if p == v.len() {
                    return Ok(());
                }
                if v[p] != b';' {
                    if p > 0 && matches!(v[p - 1], b'\'' | b'"') {
                        self.out.flags.invalid_quoting = true;
                    }
                    return Err(-12);
                }
                p += 1;
            }
        }
        Ok(())
    }
}
