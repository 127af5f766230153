//! Variable lists: `ARGS|!ARGS:foo|&TX:x|REQUEST_HEADERS:/^x-/|XML:/*`.
//!
//! Variables are separated by `|` (or `,`, as ModSecurity v3 accepts). A selector follows
//! `:` (or `.`): `'quoted'`, `/regex/` (no `|` inside unless quoted, as in ModSecurity), or
//! a plain key running to the next `|` or `,`. `XML`'s selector is an XPath, always a key.

use super::collection::Collection;
use super::error::ErrorKind;
use super::rule::{Selector, VariableSpec};

/// Parses a variable list.
pub fn parse_variables(text: &str) -> Result<Vec<VariableSpec>, ErrorKind> {
    let mut out = Vec::new();
    let mut rest = text.trim();
    loop {
        let (mut count, mut exclude) = (false, false);
        loop {
            if let Some(r) = rest.strip_prefix('!') {
                (exclude, rest) = (true, r);
            } else if let Some(r) = rest.strip_prefix('&') {
                (count, rest) = (true, r);
            } else {
                break;
            }
        }
        let name_len = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
        let (name, after) = rest.split_at(name_len);
        if name.is_empty() {
            return Err(syntax(format!("expected a variable name at `{}`", shorten(rest))));
        }
        let collection = Collection::from_name(name).ok_or_else(|| ErrorKind::UnknownVariable(name.to_string()))?;
        rest = after;
        let mut selector = None;
        if let Some(r) = rest.strip_prefix([':', '.']) {
            if !collection.is_keyed() {
                return Err(syntax(format!("variable {collection} takes no selector")));
            }
            let (parsed, r) = take_selector(r, collection)?;
            (selector, rest) = (Some(parsed), r);
        }
        out.push(VariableSpec { count, exclude, collection, selector });
        match rest.chars().next() {
            None => return Ok(out),
            Some('|' | ',') => rest = rest.get(1..).unwrap_or_default().trim_start(),
            Some(c) => return Err(syntax(format!("unexpected `{c}` after variable {collection}"))),
        }
    }
}

fn take_selector(text: &str, collection: Collection) -> Result<(Selector, &str), ErrorKind> {
    let is_regex = |s: &str| collection != Collection::Xml && s.len() >= 2 && s.starts_with('/') && s.ends_with('/');
    let regex_body = |s: &str| s.strip_prefix('/').and_then(|s| s.strip_suffix('/')).unwrap_or_default().to_string();
    if let Some(quoted) = text.strip_prefix('\'') {
        let end = closing_quote(quoted).ok_or_else(|| syntax("unterminated quoted selector".to_string()))?;
        let (inner, rest) = (quoted.get(..end).unwrap_or_default(), quoted.get(end + 1..).unwrap_or_default());
        let selector =
            if is_regex(inner) { Selector::Regex(regex_body(inner)) } else { Selector::Key(inner.to_string()) };
        return Ok((selector, rest));
    }
    if text.starts_with('/') {
        let end = text.find('|').unwrap_or(text.len());
        let (candidate, rest) = text.split_at(end);
        if is_regex(candidate) {
            return Ok((Selector::Regex(regex_body(candidate)), rest));
        }
    }
    let end = text.find(['|', ',']).unwrap_or(text.len());
    let (key, rest) = text.split_at(end);
    if key.is_empty() {
        return Err(syntax(format!("empty selector after {collection}:")));
    }
    Ok((Selector::Key(key.to_string()), rest))
}

/// Byte offset of the first `'` not escaped by `\`.
fn closing_quote(text: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '\'' => return Some(i),
            _ => {}
        }
    }
    None
}

fn shorten(text: &str) -> String {
    text.chars().take(40).collect()
}

fn syntax(message: String) -> ErrorKind {
    ErrorKind::Syntax(message)
}
