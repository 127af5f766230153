//! Multipart: the input's first line is the `Content-Type` value (so the boundary parser is
//! fuzzed too); when it has no line break the boundary is taken from the first line of the body
//! (`--B...`), the way a well-formed request carries it. The rest is the body.
#![no_main]

use inspector_engine::body::multipart;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (content_type, body) = match data.iter().position(|&b| b == b'\n') {
        Some(i) if data.starts_with(b"multipart/") || data.starts_with(b"Multipart/") => {
            (data[..i].to_vec(), &data[i + 1..])
        }
        _ => {
            let first = data.split(|&b| b == b'\r' || b == b'\n').next().unwrap_or_default();
            let boundary = first.strip_prefix(b"--").unwrap_or(first);
            let boundary = &boundary[..boundary.len().min(200)];
            let mut ct = b"multipart/form-data; boundary=".to_vec();
            ct.extend_from_slice(boundary);
            (ct, data)
        }
    };
    let out = multipart::parse(&content_type, body);
    if out.error.is_none() && !out.flags.error {
        for file in &out.files {
            assert!(file.size <= body.len(), "a file larger than the body");
        }
    }
});
