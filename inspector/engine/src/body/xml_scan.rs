//! A byte cursor over an XML document (already known to be UTF-8): names, comments, PIs,
//! attributes and character data with references, each checked as XML 1.0 requires.

use super::xml_dtd::Entities;

pub(crate) struct Scanner<'a> {
    input: &'a [u8],
    pos: usize,
}

fn is_name_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c == b':' || c >= 0x80
}

fn is_name_char(c: u8) -> bool {
    is_name_start(c) || c.is_ascii_digit() || c == b'-' || c == b'.'
}

/// Characters XML forbids outright (C0 controls other than tab, LF and CR).
fn is_forbidden(c: u8) -> bool {
    c < 0x20 && !matches!(c, b'\t' | b'\n' | b'\r')
}

impl<'a> Scanner<'a> {
    pub fn new(input: &'a [u8]) -> Self {
        Self { input, pos: 0 }
    }

    pub fn is_space(c: u8) -> bool {
        matches!(c, b' ' | b'\t' | b'\n' | b'\r')
    }

    pub fn at_end(&self) -> bool {
        self.pos >= self.input.len()
    }

    pub fn peek(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    pub fn peek_at(&self, offset: usize) -> Option<u8> {
        self.input.get(self.pos + offset).copied()
    }

    /// Consumes one byte.
    pub fn bump(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.pos += 1;
        Some(c)
    }

    pub fn starts_with(&self, s: &[u8]) -> bool {
        self.input[self.pos..].starts_with(s)
    }

    /// Consumes `s` when it comes next.
    pub fn eat(&mut self, s: &[u8]) -> bool {
        let found = self.starts_with(s);
        if found {
            self.pos += s.len();
        }
        found
    }

    pub fn expect(&mut self, s: &[u8]) -> Option<()> {
        self.eat(s).then_some(())
    }

    /// Skips whitespace; whether there was any.
    pub fn skip_space(&mut self) -> bool {
        let start = self.pos;
        while self.peek().is_some_and(Self::is_space) {
            self.pos += 1;
        }
        self.pos > start
    }

    /// Everything up to `delim` (consumed); `None` when it never comes.
    pub fn until(&mut self, delim: &[u8]) -> Option<&'a [u8]> {
        let rest = &self.input[self.pos..];
        let i = rest.windows(delim.len()).position(|w| w == delim)?;
        self.pos += i + delim.len();
        let text = &rest[..i];
        (!text.iter().any(|&c| is_forbidden(c))).then_some(text)
    }

    pub fn skip_past(&mut self, delim: &[u8]) -> Option<()> {
        self.until(delim).map(|_| ())
    }

    /// After `<!--`: the comment, which may not contain `--`.
    pub fn comment(&mut self) -> Option<()> {
        let text = self.until(b"-->")?;
        (!text.windows(2).any(|w| w == b"--")).then_some(())
    }

    /// After `<?`: a processing instruction (not a misplaced `<?xml`).
    pub fn pi(&mut self) -> Option<()> {
        let target = self.name()?;
        if target.eq_ignore_ascii_case(b"xml") {
            return None;
        }
        if !self.eat(b"?>") {
            self.peek().filter(|&c| Self::is_space(c))?;
            self.skip_past(b"?>")?;
        }
        Some(())
    }

    pub fn name(&mut self) -> Option<Vec<u8>> {
        let start = self.pos;
        self.peek().filter(|&c| is_name_start(c))?;
        while self.peek().is_some_and(is_name_char) {
            self.pos += 1;
        }
        Some(self.input[start..self.pos].to_vec())
    }

    /// A quoted literal (attribute value, entity value, system id), without its quotes.
    pub fn quoted(&mut self) -> Option<&'a [u8]> {
        let quote = self.peek().filter(|&c| c == b'"' || c == b'\'')?;
        self.pos += 1;
        let rest = &self.input[self.pos..];
        let end = rest.iter().position(|&c| c == quote)?;
        self.pos += end + 1;
        Some(&rest[..end])
    }

    /// After a start tag's name: its attributes; whether the tag was empty (`/>`).
    pub fn attributes(&mut self, entities: &Entities) -> Option<bool> {
        let mut seen: Vec<Vec<u8>> = Vec::new();
        loop {
            let spaced = self.skip_space();
            if self.eat(b">") {
                return Some(false);
            }
            if self.eat(b"/>") {
                return Some(true);
            }
            if !spaced {
                return None;
            }
            let name = self.name()?;
            if seen.contains(&name) {
                return None;
            }
            self.skip_space();
            self.expect(b"=")?;
            self.skip_space();
            let value = self.quoted()?;
            if value.contains(&b'<') {
                return None;
            }
            entities.expand(value, &mut Vec::new(), 0)?;
            seen.push(name);
        }
    }

    /// Character data up to the next `<`, references expanded, appended to `out`.
    pub fn char_data(&mut self, entities: &Entities, out: &mut Vec<u8>) -> Option<()> {
        let rest = &self.input[self.pos..];
        let end = rest.iter().position(|&c| c == b'<')?;
        let text = &rest[..end];
        if let Some(bad) = text.windows(3).position(|w| w == b"]]>") {
            entities.expand(&text[..bad], out, 0)?;
            return None;
        }
        self.pos += end;
        entities.expand(text, out, 0)
    }
}
