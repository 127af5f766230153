//! The two percent-decoders libmodsecurity applies before any rule runs.

/// Arguments (names and values): `+` is a space, `%XX` with two hex digits is a byte, and any
/// other `%` is kept and counted as invalid (it sets `URLENCODED_ERROR`).
pub fn url_decode_arg(input: &[u8]) -> (Vec<u8>, bool) {
    let mut out = Vec::with_capacity(input.len());
    let mut invalid = false;
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'%' => match hex_pair(input, i + 1) {
                Some(byte) => {
                    out.push(byte);
                    i += 3;
                    continue;
                }
                None => {
                    invalid = true;
                    out.push(b'%');
                }
            },
            b'+' => out.push(b' '),
            other => out.push(other),
        }
        i += 1;
    }
    (out, invalid)
}

/// The request target, for `REQUEST_URI` and `REQUEST_FILENAME`: only `%XX` with two hex
/// digits is decoded; `+` stays.
pub fn uri_decode(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        if input[i] == b'%'
            && let Some(byte) = hex_pair(input, i + 1)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(input[i]);
        i += 1;
    }
    out
}

fn hex_pair(input: &[u8], at: usize) -> Option<u8> {
    let hi = hex(*input.get(at)?)?;
    let lo = hex(*input.get(at + 1)?)?;
    Some(hi << 4 | lo)
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}
