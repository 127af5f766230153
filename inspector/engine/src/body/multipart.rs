//! The `multipart/form-data` processor, faithful to libmodsecurity 3.0.9's line machine: the
//! body is cut into lines of at most 4096 bytes; a line `--boundary` (CRLF or LF) closes the
//! part being built, other lines are part headers until an empty line, then data. Every
//! oddity sets a `MULTIPART_*` flag; fields become `ARGS`/`ARGS_POST`, files `FILES*`.
//! libmodsecurity's quirks are kept: a field's inner line breaks are dropped (`l1\r\nl2`
//! gives `l1l2`), part header errors are reported but do not stop the parse, and nothing
//! is exported when the final boundary is missing.

use super::multipart_ct::{Boundary, boundary, is_space};
pub use super::multipart_flags::Flags;
pub(super) use super::multipart_part::Part;
use crate::values::Values;

/// libmodsecurity's `MULTIPART_BUF_SIZE`: the longest line handled at once.
pub const LINE_LIMIT: usize = 4096;

/// An uploaded file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct File {
    /// The field name (`FILES_NAMES`, the key of `FILES` and `FILES_SIZES`).
    pub name: Vec<u8>,
    /// The client's file name (`FILES`).
    pub filename: Vec<u8>,
    /// `FILES_SIZES`.
    pub size: usize,
}

/// What the processor found.
#[derive(Debug, Default)]
pub struct Multipart {
    /// Form fields, in order: `ARGS` and `ARGS_POST`.
    pub fields: Vec<(Vec<u8>, Vec<u8>)>,
    /// File parts, in order.
    pub files: Vec<File>,
    /// `MULTIPART_NAME`: every `name=` seen (key and value alike).
    pub names: Values,
    /// `MULTIPART_FILENAME`: every `filename=` seen.
    pub filenames: Values,
    /// `MULTIPART_PART_HEADERS`: each part's header lines, keyed by part name.
    pub part_headers: Values,
    /// The flags.
    pub flags: Flags,
    /// The error, without libmodsecurity's `Multipart parsing error: ` prefix.
    pub error: Option<String>,
}

/// The parser's state (libmodsecurity's `Multipart` object).
#[derive(Default)]
pub(super) struct Parser {
    pub boundary: Vec<u8>,
    pub out: Multipart,
    line: Vec<u8>,
    line_is_whole: bool,
    pub part: Option<Part>,
    pub in_data: bool,
    pub reserve: Vec<u8>,
    parts: Vec<Part>,
    complete: bool,
    boundaries: usize,
}

/// Parses `body` with the `Content-Type` header value `content_type`.
pub fn parse(content_type: &[u8], body: &[u8]) -> Multipart {
    let mut p = Parser { line_is_whole: true, ..Parser::default() };
    match boundary(content_type, &mut p.out.flags) {
        Boundary::Ok(b) => {
            p.boundary = b;
            if !body.is_empty() && p.process(body).is_err() {
                p.out.flags.error = true;
            }
            p.finish(!body.is_empty());
        }
        Boundary::Error(e) => p.out.error = Some(e.into()),
        Boundary::Silent => {}
    }
    p.out
}

impl Parser {
    pub fn fail(&mut self, msg: impl Into<String>) -> Result<(), ()> {
        self.out.error = Some(msg.into());
        Err(())
    }

    fn process(&mut self, body: &[u8]) -> Result<(), ()> {
        let mut i = 0;
        while i < body.len() {
            let c = body[i];
            let hold_cr = c == b'\r' && self.line.len() == LINE_LIMIT - 1;
            if !hold_cr {
                self.line.push(c);
                i += 1;
            }
            if c == b'\n' || self.line.len() == LINE_LIMIT || hold_cr {
                self.process_line(hold_cr)?;
                self.line.clear();
                self.line_is_whole = c == b'\n';
            }
            if self.complete && i < body.len() {
                self.out.flags.data_after = true;
                return Ok(());
            }
        }
        Ok(())
    }

    fn process_line(&mut self, held_cr: bool) -> Result<(), ()> {
        let b = self.boundary.clone();
        let line = std::mem::take(&mut self.line);
        let text = line.split(|&c| c == 0).next().unwrap_or_default();
        let mut was_boundary = false;
        if self.line_is_whole && text.len() > 3 && text.starts_with(b"--") {
            if text.len() >= b.len() + 2 && text[2..].starts_with(&b) {
                if self.part.is_some() && !self.in_data {
                    // libmodsecurity 3.0.9 refuses a boundary while a part's headers are open.
                    self.out.flags.invalid_part = true;
                    self.line = line;
                    return self.fail("Multipart: Invalid part (headers not finished).");
                }
                if self.boundaries > 0 {
                    self.out.flags.unmatched_boundary = 2;
                }
                let mut rest = &text[2 + b.len()..];
                let last = rest.starts_with(b"--");
                if last {
                    rest = &rest[2..];
                    if self.complete {
                        self.line = line;
                        return self.fail("Multipart: Invalid boundary (final duplicate).");
                    }
                }
                match rest {
                    b"\r\n" => self.out.flags.crlf_line = true,
                    b"\n" => self.out.flags.lf_line = true,
                    _ => {
                        let msg = format!("Multipart: Invalid boundary: {}", String::from_utf8_lossy(text));
                        self.line = line;
                        return self.fail(msg);
                    }
                }
                self.close_part(last);
                self.complete |= last;
                was_boundary = true;
                self.boundaries += 1;
            } else {
                let quoted = self.out.flags.boundary_quoted
                    && text.len() >= b.len() + 3
                    && text[2] == b'"'
                    && text[3..].starts_with(&b);
                if quoted {
                    self.line = line;
                    return self.fail("Multipart: Invalid boundary (quotes).");
                }
                let spaces = text[2..].iter().take_while(|&&c| is_space(c)).count();
                if spaces > 0 && text[2 + spaces..].starts_with(&b) {
                    self.line = line;
                    return self.fail("Multipart: Invalid boundary (whitespace).");
                }
                self.out.flags.unmatched_boundary = 1;
            }
        } else if self.line_is_whole {
            let resembles = (0..line.len()).any(|i| line[i..].starts_with(b"--") && line[i + 2..].starts_with(&b));
            if resembles {
                self.out.flags.unmatched_boundary = 1;
            }
        }
        if !was_boundary {
            if self.part.is_none() {
                self.out.flags.data_before = true;
            } else if !self.in_data {
                if line.len() == LINE_LIMIT || held_cr {
                    self.line = line;
                    return self.fail(format!("Multipart: Part header line over {LINE_LIMIT} bytes long"));
                }
                if self.part_header(&line).is_err() {
                    self.line = line;
                    return Err(());
                }
            } else {
                self.part_data(&line);
            }
        }
        Ok(())
    }

    /// Finishes the part being built (keeping it when it has a name) and, unless this was
    /// the final boundary, starts a new one.
    fn close_part(&mut self, last: bool) {
        if let Some(part) = self.part.take() {
            if part.name.is_empty() {
                self.out.flags.invalid_part = true;
            } else {
                // Exported as the part closes, even if the body later proves broken.
                for line in &part.lines {
                    self.out.part_headers.push(part.name.clone(), line.clone());
                }
                self.parts.push(part);
            }
        }
        if !last {
            self.part = Some(Part::default());
            self.in_data = false;
            self.reserve.clear();
        }
    }

    /// libmodsecurity's `multipart_complete`: the final-boundary check, then the variables.
    fn finish(&mut self, seen_data: bool) {
        // The flag variables are set before this check, so a part it closes cannot flag.
        let flags = self.out.flags.clone();
        self.finish_parts(seen_data);
        self.out.flags = flags;
    }

    fn finish_parts(&mut self, seen_data: bool) {
        if seen_data && !self.complete {
            let b = &self.boundary;
            let closing = self.line_is_whole
                && self.line.len() == b.len() + 4
                && self.line.starts_with(b"--")
                && self.line[2..].starts_with(b)
                && self.line.ends_with(b"--");
            if self.boundaries == 0 {
                self.out.error = Some("Multipart: No boundaries found in payload.".into());
                return;
            }
            if !closing {
                self.out.error = Some("Multipart: Final boundary missing.".into());
                return;
            }
            self.close_part(true);
            self.complete = true;
        }
        for part in std::mem::take(&mut self.parts) {
            if part.is_file {
                let file = File { name: part.name, filename: part.filename, size: part.size };
                self.out.files.push(file);
            } else {
                self.out.fields.push((part.name, part.value));
            }
        }
    }
}
