//! The `MULTIPART_*` flags and how libmodsecurity 3.0.9 turns them into variables:
//! `MULTIPART_STRICT_ERROR` aggregates every flag but `UNMATCHED_BOUNDARY` and
//! `CRLF_LF_LINES`; `MULTIPART_FILE_LIMIT_EXCEEDED` is never set (files are not extracted).

/// The conditions `MULTIPART_*` variables report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Flags {
    /// A fatal parse error (part of `MULTIPART_STRICT_ERROR`).
    pub error: bool,
    pub data_before: bool,
    pub data_after: bool,
    pub header_folding: bool,
    pub boundary_quoted: bool,
    pub boundary_whitespace: bool,
    pub lf_line: bool,
    pub crlf_line: bool,
    /// 0, 1 (a line resembled the boundary) or 2 (a boundary after the first one).
    pub unmatched_boundary: u8,
    pub missing_semicolon: bool,
    pub invalid_quoting: bool,
    pub invalid_part: bool,
    pub invalid_header_folding: bool,
}

impl Flags {
    /// The variables and their values, as libmodsecurity sets them when it finishes.
    /// `MULTIPART_FILE_LIMIT_EXCEEDED` is never set: files are not extracted.
    pub fn variables(&self) -> Vec<(&'static str, String)> {
        let b = |v: bool| String::from(if v { "1" } else { "0" });
        let strict = self.error
            || self.boundary_quoted
            || self.boundary_whitespace
            || self.data_before
            || self.data_after
            || self.header_folding
            || self.lf_line
            || self.missing_semicolon
            || self.invalid_quoting
            || self.invalid_part
            || self.invalid_header_folding;
        vec![
            ("MULTIPART_UNMATCHED_BOUNDARY", self.unmatched_boundary.to_string()),
            ("MULTIPART_DATA_BEFORE", b(self.data_before)),
            ("MULTIPART_DATA_AFTER", b(self.data_after)),
            ("MULTIPART_BOUNDARY_QUOTED", b(self.boundary_quoted)),
            ("MULTIPART_BOUNDARY_WHITESPACE", b(self.boundary_whitespace)),
            ("MULTIPART_HEADER_FOLDING", b(self.header_folding)),
            ("MULTIPART_LF_LINE", b(self.lf_line)),
            ("MULTIPART_CRLF_LF_LINES", b(self.crlf_line && self.lf_line)),
            ("MULTIPART_MISSING_SEMICOLON", b(self.missing_semicolon)),
            ("MULTIPART_INVALID_QUOTING", b(self.invalid_quoting)),
            ("MULTIPART_INVALID_PART", b(self.invalid_part)),
            ("MULTIPART_INVALID_HEADER_FOLDING", b(self.invalid_header_folding)),
            ("MULTIPART_STRICT_ERROR", b(strict)),
        ]
    }
}
