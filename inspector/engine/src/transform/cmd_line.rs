//! `cmdLine`: ModSecurity's command-line normalisation, byte by byte:
//!
//! - `\`, `"`, `'` and `^` are deleted;
//! - space, `\t`, `\r`, `\n`, `,` and `;` become one space per run (deleted bytes do not
//!   end a run);
//! - a space just before `/` or `(` is removed;
//! - everything else is lower-cased (ASCII only).

use std::borrow::Cow;

use super::util::finish;

fn changes(c: u8) -> bool {
    matches!(c, b'\\' | b'"' | b'\'' | b'^' | b'\t' | b'\r' | b'\n' | b',' | b';') || c.is_ascii_uppercase()
}

/// `t:cmdLine`.
pub fn cmd_line(input: &[u8]) -> Cow<'_, [u8]> {
    let quiet = !input.iter().any(|&c| changes(c))
        && !input.windows(2).any(|w| w[0] == b' ' && matches!(w[1], b' ' | b'/' | b'('));
    if quiet {
        return Cow::Borrowed(input);
    }
    let mut out = Vec::with_capacity(input.len());
    let mut space = false;
    for &c in input {
        match c {
            b'\\' | b'"' | b'\'' | b'^' => {}
            b' ' | b'\t' | b'\r' | b'\n' | b',' | b';' => {
                if !space {
                    out.push(b' ');
                    space = true;
                }
            }
            b'/' | b'(' => {
                if space {
                    out.pop();
                }
                space = false;
                out.push(c);
            }
            _ => {
                out.push(c.to_ascii_lowercase());
                space = false;
            }
        }
    }
    finish(input, out)
}
