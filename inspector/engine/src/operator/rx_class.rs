//! Escapes and character classes for [`super::rx_translate`]: the pieces of PCRE syntax
//! whose meaning differs in the `regex` crate (see that module's docs).

use std::fmt::Write as _;

pub(super) fn push_bytes(c: char, out: &mut String) {
    let mut buf = [0u8; 4];
    for b in c.encode_utf8(&mut buf).bytes() {
        let _ = write!(out, "\\x{b:02X}");
    }
}

fn push_byte(b: u32, out: &mut String) {
    let _ = write!(out, "\\x{b:02X}");
}

/// Escapes shared by both contexts; returns the index after the escape, or `None` when the
/// caller must handle it.
pub(super) fn common_escape(chars: &[char], mut i: usize, in_class: bool, out: &mut String) -> Option<usize> {
    let c = *chars.get(i)?;
    i += 1;
    match c {
        '0' => {
            let n = chars[i..].iter().take(2).take_while(|c| ('0'..='7').contains(c)).count();
            let digits: String = chars[i..i + n].iter().collect();
            push_byte(u32::from_str_radix(&digits, 8).unwrap_or(0), out);
            Some(i + n)
        }
        'x' if chars.get(i) != Some(&'{') => {
            let n = chars[i..].iter().take(2).take_while(|c| c.is_ascii_hexdigit()).count();
            let digits: String = chars[i..i + n].iter().collect();
            push_byte(u32::from_str_radix(&digits, 16).unwrap_or(0), out);
            Some(i + n)
        }
        'e' => Some({
            push_byte(0x1B, out);
            i
        }),
        'a' => Some({
            push_byte(0x07, out);
            i
        }),
        'c' => {
            let x = chars.get(i)?.to_ascii_uppercase() as u32;
            push_byte(x ^ 0x40, out);
            Some(i + 1)
        }
        'd' | 'D' | 'w' | 'W' | 's' | 'S' => {
            let name = match c.to_ascii_lowercase() {
                'd' => "digit",
                'w' => "word",
                _ => "space",
            };
            let neg = if c.is_ascii_uppercase() { "^" } else { "" };
            let class = format!("[:{neg}{name}:]");
            if in_class {
                out.push_str(&class);
            } else {
                let _ = write!(out, "[{class}]");
            }
            Some(i)
        }
        'h' | 'v' => {
            let set = if c == 'h' { "\\t\\x20\\xA0" } else { "\\n\\x0B\\x0C\\r\\x85" };
            if in_class {
                out.push_str(set);
            } else {
                let _ = write!(out, "[{set}]");
            }
            Some(i)
        }
        'H' | 'V' if !in_class => {
            let set = if c == 'H' { "\\t\\x20\\xA0" } else { "\\n\\x0B\\x0C\\r\\x85" };
            let _ = write!(out, "[^{set}]");
            Some(i)
        }
        c if c.is_ascii_alphanumeric() => None,
        c if !c.is_ascii() => {
            push_bytes(c, out);
            Some(i)
        }
        ' ' => {
            out.push_str("\\x20");
            Some(i)
        }
        c => {
            // Escaped punctuation is a literal in PCRE.
            if regex_syntax::is_meta_character(c) {
                out.push('\\');
            }
            out.push(c);
            Some(i)
        }
    }
}

/// After the `[` opening a class; returns the index after its `]`.
pub(super) fn class(chars: &[char], mut i: usize, out: &mut String) -> usize {
    out.push('[');
    if chars.get(i) == Some(&'^') {
        out.push('^');
        i += 1;
    }
    if chars.get(i) == Some(&']') {
        out.push_str("\\]");
        i += 1;
    }
    // Whether the last item is a single character that a following `-` can make a range of.
    let mut single = false;
    let mut in_range = false;
    while let Some(&c) = chars.get(i) {
        i += 1;
        let was_single = single;
        single = true;
        match c {
            ']' => {
                out.push(']');
                return i;
            }
            '[' if chars.get(i) == Some(&':') => {
                let end = chars[i..].iter().position(|&c| c == ']').map_or(chars.len(), |p| i + p + 1);
                out.push('[');
                out.extend(&chars[i..end]);
                i = end;
                single = false;
            }
            '-' if was_single && !in_range && chars.get(i).is_some_and(|&n| n != ']') => {
                out.push('-');
                in_range = true;
                continue;
            }
            '\\' => {
                if chars.get(i) == Some(&'b') {
                    push_byte(0x08, out);
                    i += 1;
                } else if let Some(next) = common_escape(chars, i, true, out) {
                    single = !matches!(chars.get(i), Some('d' | 'D' | 'w' | 'W' | 's' | 'S' | 'h' | 'v'));
                    i = next;
                } else if let Some(&e) = chars.get(i) {
                    out.push('\\');
                    out.push(e);
                    i += 1;
                }
            }
            '[' | '-' | '&' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c if !c.is_ascii() => push_bytes(c, out),
            c => out.push(c),
        }
        if in_range {
            in_range = false;
            single = false;
        }
    }
    // Unterminated class: left open so that compiling reports it, as PCRE does.
    i
}
