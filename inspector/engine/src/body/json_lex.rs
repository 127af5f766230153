//! yajl's lexer, as libmodsecurity's JSON processor sees it: the same tokens, the same
//! UTF-8 check (lead byte and continuation bytes only), the same escapes and the same error
//! texts. yajl finishes a parse by feeding one space, so a number or literal at the very end
//! is complete and a truncated one is a lexical error.

/// One token.
pub(super) enum Token {
    BeginObject,
    EndObject,
    BeginArray,
    EndArray,
    Comma,
    Colon,
    /// A decoded string (a key or a value).
    String(Vec<u8>),
    /// A number (its text), `true`, `false`, or `null` (empty).
    Scalar(Vec<u8>),
}

pub(super) struct Lexer<'a> {
    input: &'a [u8],
    pos: usize,
}

fn lexical(what: &str) -> String {
    format!("lexical error: {what}\n")
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

impl<'a> Lexer<'a> {
    pub fn new(input: &'a [u8]) -> Self {
        Self { input, pos: 0 }
    }

    /// The byte at `i`, with the final space yajl feeds at the end.
    fn at(&self, i: usize) -> Option<u8> {
        match i.cmp(&self.input.len()) {
            std::cmp::Ordering::Less => Some(self.input[i]),
            std::cmp::Ordering::Equal => Some(b' '),
            std::cmp::Ordering::Greater => None,
        }
    }

    fn skip_space(&mut self) {
        while self.pos < self.input.len() && is_space(self.input[self.pos]) {
            self.pos += 1;
        }
    }

    /// Whether nothing but whitespace remains.
    pub fn only_whitespace_left(&mut self) -> bool {
        self.skip_space();
        self.pos >= self.input.len()
    }

    /// The next token; `None` at the end (or inside an unfinished string).
    pub fn next(&mut self) -> Result<Option<Token>, String> {
        self.skip_space();
        let Some(&b) = self.input.get(self.pos) else { return Ok(None) };
        self.pos += 1;
        let token = match b {
            b'{' => Token::BeginObject,
            b'}' => Token::EndObject,
            b'[' => Token::BeginArray,
            b']' => Token::EndArray,
            b',' => Token::Comma,
            b':' => Token::Colon,
            b'"' => match self.string()? {
                Some(s) => Token::String(s),
                None => return Ok(None),
            },
            b't' => self.literal(b"true", b"true")?,
            b'f' => self.literal(b"false", b"false")?,
            b'n' => self.literal(b"null", b"")?,
            b'-' | b'0'..=b'9' => self.number()?,
            b'/' => return Err(lexical("probable comment found in input text, comments are not enabled.")),
            _ => return Err(lexical("invalid char in json text.")),
        };
        Ok(Some(token))
    }

    fn literal(&mut self, word: &[u8], value: &[u8]) -> Result<Token, String> {
        for &expected in &word[1..] {
            match self.at(self.pos) {
                Some(b) if b == expected => self.pos += 1,
                _ => return Err(lexical("invalid string in json text.")),
            }
        }
        Ok(Token::Scalar(value.to_vec()))
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while self.at(self.pos).is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<Token, String> {
        let start = self.pos - 1;
        let first = self.input[start];
        if first == b'-' {
            match self.at(self.pos) {
                Some(b'0') => self.pos += 1,
                Some(b'1'..=b'9') => _ = self.digits(),
                _ => return Err(lexical("malformed number, a digit is required after the minus sign.")),
            }
        } else if first != b'0' {
            self.digits();
        }
        if self.at(self.pos) == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(lexical("malformed number, a digit is required after the decimal point."));
            }
        }
        if matches!(self.at(self.pos), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.at(self.pos), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(lexical("malformed number, a digit is required after the exponent."));
            }
        }
        Ok(Token::Scalar(self.input[start..self.pos].to_vec()))
    }

    /// A string after its opening quote; `None` when the input ends inside it.
    fn string(&mut self) -> Result<Option<Vec<u8>>, String> {
        let mut out = Vec::new();
        loop {
            let Some(&b) = self.input.get(self.pos) else { return Ok(None) };
            self.pos += 1;
            match b {
                b'"' => return Ok(Some(out)),
                b'\\' => {
                    let Some(&e) = self.input.get(self.pos) else { return Ok(None) };
                    self.pos += 1;
                    match e {
                        b'"' | b'\\' | b'/' => out.push(e),
                        b'b' => out.push(0x08),
                        b'f' => out.push(0x0c),
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'u' => match self.hex4()? {
                            Some(unit) => self.unicode(unit, &mut out)?,
                            None => return Ok(None),
                        },
                        _ => return Err(lexical("inside a string, '\\' occurs before a character which it may not.")),
                    }
                }
                0..=0x1f => return Err(lexical("invalid character inside string.")),
                0x80.. => {
                    let extra = match b {
                        0xc0..=0xdf => 1,
                        0xe0..=0xef => 2,
                        0xf0..=0xf7 => 3,
                        _ => return Err(lexical("invalid bytes in UTF8 string.")),
                    };
                    out.push(b);
                    for _ in 0..extra {
                        match self.input.get(self.pos) {
                            None => return Ok(None),
                            Some(&c @ 0x80..=0xbf) => out.push(c),
                            Some(_) => return Err(lexical("invalid bytes in UTF8 string.")),
                        }
                        self.pos += 1;
                    }
                }
                _ => out.push(b),
            }
        }
    }

    fn hex4(&mut self) -> Result<Option<u32>, String> {
        let mut unit = 0;
        for _ in 0..4 {
            let Some(&h) = self.input.get(self.pos) else { return Ok(None) };
            let Some(d) = (h as char).to_digit(16) else {
                return Err(lexical("invalid (non-hex) character occurs after '\\u' inside string."));
            };
            unit = unit * 16 + d;
            self.pos += 1;
        }
        Ok(Some(unit))
    }

    /// yajl's `\u` decoding: a high surrogate takes the next `\u` whatever it is, and
    /// becomes `?` when none follows; anything else is encoded as is.
    fn unicode(&mut self, unit: u32, out: &mut Vec<u8>) -> Result<(), String> {
        let mut code = unit;
        if unit & 0xfc00 == 0xd800 {
            if self.input.get(self.pos..self.pos + 2) != Some(b"\\u") {
                out.push(b'?');
                return Ok(());
            }
            self.pos += 2;
            let Some(low) = self.hex4()? else { return Ok(()) };
            code = (((unit & 0x3f) << 10) | ((((unit >> 6) & 0xf) + 1) << 16)) | (low & 0x3ff);
        }
        encode_utf8(code, out);
        Ok(())
    }
}

/// UTF-8 of a code point, surrogates included (as yajl writes them).
fn encode_utf8(code: u32, out: &mut Vec<u8>) {
    // Every arm keeps only the bits it shifts in, so the casts never truncate meaningfully.
    let byte = |v: u32| u8::try_from(v & 0xff).unwrap_or(0);
    match code {
        0..=0x7f => out.push(byte(code)),
        0x80..=0x7ff => out.extend([byte(0xc0 | (code >> 6)), byte(0x80 | (code & 0x3f))]),
        0x800..=0xffff => {
            out.extend([byte(0xe0 | (code >> 12)), byte(0x80 | ((code >> 6) & 0x3f)), byte(0x80 | (code & 0x3f))]);
        }
        _ => out.extend([
            byte(0xf0 | (code >> 18)),
            byte(0x80 | ((code >> 12) & 0x3f)),
            byte(0x80 | ((code >> 6) & 0x3f)),
            byte(0x80 | (code & 0x3f)),
        ]),
    }
}
