//! The document type declaration: internal entity declarations are kept, everything else
//! (element, attribute-list and notation declarations, parameter entities, external
//! subsets) is skipped, and nothing is fetched. Entity expansion is bounded in depth and
//! size, as libxml2 bounds entity amplification.

use std::cell::Cell;
use std::collections::HashMap;

use super::xml_scan::Scanner;

/// How deep entity references may nest.
const MAX_DEPTH: usize = 8;
/// How many bytes entity expansion may produce in one document.
const MAX_EXPANDED: usize = 1 << 20;

/// General entities declared in the internal subset: `Some(text)` for internal ones,
/// `None` for external ones (which expand to nothing).
#[derive(Default)]
pub(crate) struct Entities {
    declared: HashMap<Vec<u8>, Option<Vec<u8>>>,
    expanded: Cell<usize>,
}

fn char_ref(digits: &[u8]) -> Option<char> {
    let (radix, digits) = match digits.strip_prefix(b"x") {
        Some(hex) => (16, hex),
        None => (10, digits),
    };
    let code = u32::from_str_radix(std::str::from_utf8(digits).ok()?, radix).ok()?;
    let c = char::from_u32(code)?;
    (c >= ' ' || matches!(c, '\t' | '\n' | '\r')).then_some(c)
}

impl Entities {
    /// Appends `text` to `out` with references expanded; `None` on a bad reference.
    pub fn expand(&self, text: &[u8], out: &mut Vec<u8>, depth: usize) -> Option<()> {
        let mut rest = text;
        while let Some(amp) = rest.iter().position(|&c| c == b'&') {
            out.extend_from_slice(&rest[..amp]);
            let semi = rest[amp..].iter().position(|&c| c == b';')? + amp;
            let name = &rest[amp + 1..semi];
            rest = &rest[semi + 1..];
            match name {
                b"lt" => out.push(b'<'),
                b"gt" => out.push(b'>'),
                b"amp" => out.push(b'&'),
                b"apos" => out.push(b'\''),
                b"quot" => out.push(b'"'),
                [b'#', digits @ ..] => {
                    let c = char_ref(digits)?;
                    out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                }
                _ => {
                    let value = self.declared.get(name)?;
                    let Some(value) = value else { continue };
                    let total = self.expanded.get() + value.len();
                    if depth >= MAX_DEPTH || total > MAX_EXPANDED {
                        return None;
                    }
                    self.expanded.set(total);
                    // Markup inside a replacement text contributes its text only.
                    let mut inner = Vec::new();
                    self.expand(value, &mut inner, depth + 1)?;
                    let mut in_tag = false;
                    out.extend(inner.into_iter().filter(|&c| {
                        in_tag = (in_tag || c == b'<') && c != b'>';
                        !in_tag && c != b'>'
                    }));
                }
            }
        }
        out.extend_from_slice(rest);
        Some(())
    }
}

/// After `<!DOCTYPE`: the declaration, keeping internal entity declarations.
pub(crate) fn parse_doctype(s: &mut Scanner, entities: &mut Entities) -> Option<()> {
    s.skip_space().then_some(())?;
    s.name()?;
    s.skip_space();
    if s.eat(b"SYSTEM") || s.eat(b"PUBLIC") {
        while s.skip_space() && s.quoted().is_some() {}
    }
    if s.eat(b"[") {
        loop {
            s.skip_space();
            if s.eat(b"]") {
                break;
            } else if s.eat(b"<!--") {
                s.comment()?;
            } else if s.eat(b"<?") {
                s.pi()?;
            } else if s.eat(b"<!ENTITY") {
                entity(s, entities)?;
            } else if s.eat(b"<!") {
                while !s.eat(b">") {
                    if s.quoted().is_none() {
                        s.bump()?;
                    }
                }
            } else if s.eat(b"%") {
                s.name()?;
                s.expect(b";")?;
            } else {
                return None;
            }
        }
        s.skip_space();
    }
    s.expect(b">")
}

/// After `<!ENTITY`: one declaration.
fn entity(s: &mut Scanner, entities: &mut Entities) -> Option<()> {
    s.skip_space().then_some(())?;
    let parameter = s.eat(b"%");
    if parameter {
        s.skip_space().then_some(())?;
    }
    let name = s.name()?;
    s.skip_space().then_some(())?;
    let value = if s.eat(b"SYSTEM") || s.eat(b"PUBLIC") {
        while s.skip_space() && s.quoted().is_some() {}
        if s.eat(b"NDATA") {
            s.skip_space();
            s.name()?;
        }
        None
    } else {
        Some(s.quoted()?.to_vec())
    };
    s.skip_space();
    s.expect(b">")?;
    if !parameter {
        entities.declared.entry(name).or_insert(value);
    }
    Some(())
}
