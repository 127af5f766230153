//! Request body processors, as libmodsecurity 3.0.9 runs them before phase 2: pure functions
//! from the buffered body (and `Content-Type`) to the variables they fill.
//!
//! - [`json`]: `ARGS` named `json.a.b`, `json.list.array_0`, ...; yajl's error texts.
//! - [`multipart`]: `multipart/form-data` fields, files and every `MULTIPART_*` flag.
//! - [`xml`]: a well-formedness check and the document text `XML:/*` yields.

pub mod json;
mod json_lex;
pub mod multipart;
mod multipart_cd;
mod multipart_ct;
mod multipart_flags;
mod multipart_part;
pub mod xml;
mod xml_dtd;
mod xml_scan;
