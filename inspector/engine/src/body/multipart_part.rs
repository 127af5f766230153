//! One multipart part: its header lines (folding, duplicates, `Content-Disposition`) and its
//! data, as libmodsecurity 3.0.9 builds them.

use super::multipart::{LINE_LIMIT, Parser};
use super::multipart_ct::is_space;

/// A part being built.
#[derive(Debug, Default)]
pub(crate) struct Part {
    pub name: Vec<u8>,
    pub filename: Vec<u8>,
    pub is_file: bool,
    /// Headers (name, value), in order; names compare case-insensitively.
    headers: Vec<(Vec<u8>, Vec<u8>)>,
    /// The header a folded line continues.
    last_header: Option<usize>,
    /// Raw header lines, for `MULTIPART_PART_HEADERS`.
    pub lines: Vec<Vec<u8>>,
    /// A field's value.
    pub value: Vec<u8>,
    /// A file's size.
    pub size: usize,
}

/// libmodsecurity's `chomp`: strips trailing CR/LF unless the text is nothing else.
fn chomp(text: &[u8]) -> &[u8] {
    match text.iter().rposition(|&c| c != b'\n' && c != b'\r') {
        Some(i) => &text[..=i],
        None => text,
    }
}

impl Parser {
    /// A line while the part's headers are read.
    pub(super) fn part_header(&mut self, line: &[u8]) -> Result<(), ()> {
        if line.contains(&0) {
            // Reported, and the line skipped.
            return self.fail("Multipart: Nul byte in part headers.").or(Ok(()));
        }
        if line.len() > 1 && line[line.len() - 2] == b'\r' {
            self.out.flags.crlf_line = true;
        } else {
            self.out.flags.lf_line = true;
        }
        let Some(mut part) = self.part.take() else { return Ok(()) };
        // A bad header line is reported and skipped; a part whose headers end without a
        // usable Content-Disposition is invalid and stops the parse.
        let result = if line == b"\r\n" || line == b"\n" {
            let result = self.end_of_headers(&mut part);
            self.out.flags.invalid_part |= result.is_err();
            result
        } else if is_space(line[0]) {
            _ = self.folded_header(&mut part, line);
            Ok(())
        } else {
            _ = self.new_header(&mut part, line);
            Ok(())
        };
        self.part = Some(part);
        result
    }

    fn end_of_headers(&mut self, part: &mut Part) -> Result<(), ()> {
        let Some(cd) = part.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(b"Content-Disposition")) else {
            return self.fail("Multipart: Part missing Content-Disposition header.");
        };
        let cd = cd.1.clone();
        if let Err(rc) = self.content_disposition(part, &cd) {
            let msg = format!("Multipart: Invalid Content-Disposition header ({rc}): {}", String::from_utf8_lossy(&cd));
            return self.fail(msg);
        }
        if part.name.is_empty() {
            return self.fail("Multipart: Content-Disposition header missing name field.");
        }
        if !part.filename.is_empty() {
            if !cd.windows(9).any(|w| w == b"filename=") {
                return self.fail("Multipart: Invalid Content-Disposition header (filename).");
            }
            part.is_file = true;
        }
        self.in_data = true;
        part.last_header = None;
        Ok(())
    }

    fn folded_header(&mut self, part: &mut Part, line: &[u8]) -> Result<(), ()> {
        self.out.flags.header_folding = true;
        let Some(last) = part.last_header else {
            return self.fail("Multipart: Invalid part header (folding error).");
        };
        let indent = line.iter().take_while(|&&c| is_space(c)).count();
        if line[..indent].iter().any(|&c| c != b' ' && c != b'\t') {
            self.out.flags.invalid_header_folding = true;
        }
        let (name, value) = &mut part.headers[last];
        value.push(b' ');
        value.extend_from_slice(chomp(&line[indent..]));
        // libmodsecurity 3.0.9 rewrites the recorded line as `Name: value`, without CRLF.
        part.lines.pop();
        part.lines.push([name.as_slice(), b": ", value.as_slice()].concat());
        if value.len() > LINE_LIMIT {
            return self.fail("Multipart: Part header too long.");
        }
        Ok(())
    }

    fn new_header(&mut self, part: &mut Part, line: &[u8]) -> Result<(), ()> {
        let Some(colon) = line.iter().position(|&c| c == b':') else {
            return self
                .fail(format!("Multipart: Invalid part header (colon missing): {}", String::from_utf8_lossy(line)));
        };
        if colon == 0 {
            return self.fail("Multipart: Invalid part header (header name missing).");
        }
        let name = &line[..colon];
        let start = colon + 1 + line[colon + 1..].iter().take_while(|&&c| c == b' ' || c == b'\t').count();
        let value = chomp(&line[start..]);
        if part.headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
            return Ok(()); // libmodsecurity ignores a duplicate header without an error
        }
        part.last_header = Some(part.headers.len());
        part.headers.push((name.to_vec(), value.to_vec()));
        part.lines.push(line.to_vec());
        Ok(())
    }

    /// A data line: a trailing CRLF (or LF) is held back, and dropped when more data follows
    /// in a field (libmodsecurity's `d.assign` twice), but counted in a file's size.
    pub(super) fn part_data(&mut self, line: &[u8]) {
        let held = if line.ends_with(b"\r\n") { 2 } else { usize::from(line.ends_with(b"\n")) };
        let (data, reserve) = line.split_at(line.len() - held);
        let Some(part) = self.part.as_mut() else { return };
        if part.is_file {
            part.size += data.len() + self.reserve.len();
        } else {
            part.value.extend_from_slice(data);
        }
        self.reserve = reserve.to_vec();
    }
}
