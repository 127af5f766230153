//! The XML body processor: a well-formedness check standing in for libxml2, and the text
//! `XML:/*` yields (libmodsecurity evaluates the XPath `/*`: the root element's text,
//! CDATA and entity text included, attributes, comments and PIs excluded). No DTD is
//! fetched and external entities expand to nothing, as libmodsecurity runs libxml2 by
//! default; internal entities declared in the document expand (nested ones to a bounded
//! size). On a malformed document the text read before the error is still exposed, as
//! libmodsecurity keeps libxml2's partial tree. Other XPath expressions are not evaluated.

use super::xml_dtd::{Entities, parse_doctype};
pub(super) use super::xml_scan::Scanner;

/// What the processor found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Xml {
    /// The root element's text (`XML:/*`), when a root element was opened.
    pub text: Option<Vec<u8>>,
    /// Whether the document is malformed (`XML: Failed parsing document.`).
    pub malformed: bool,
}

/// The error text libmodsecurity reports (after `XML parsing error: `).
pub const ERROR: &str = "XML: Failed parsing document.";

/// Parses `body`.
pub fn parse(body: &[u8]) -> Xml {
    let valid = match std::str::from_utf8(body) {
        Ok(_) => body.len(),
        Err(e) => e.valid_up_to(),
    };
    let mut s = Scanner::new(&body[..valid]);
    let mut entities = Entities::default();
    let mut xml = Xml::default();
    let ok = document(&mut s, &mut entities, &mut xml).is_some() && valid == body.len();
    xml.malformed = !ok;
    xml
}

fn document(s: &mut Scanner, entities: &mut Entities, xml: &mut Xml) -> Option<()> {
    s.eat(b"\xEF\xBB\xBF");
    if s.starts_with(b"<?xml") && s.peek_at(5).is_some_and(Scanner::is_space) {
        s.skip_past(b"?>")?;
    }
    let mut doctype_seen = false;
    loop {
        s.skip_space();
        if s.eat(b"<!--") {
            s.comment()?;
        } else if s.eat(b"<?") {
            s.pi()?;
        } else if !doctype_seen && s.eat(b"<!DOCTYPE") {
            parse_doctype(s, entities)?;
            doctype_seen = true;
        } else if s.peek() == Some(b'<') {
            break;
        } else {
            return None;
        }
    }
    root(s, entities, xml)?;
    loop {
        s.skip_space();
        if s.at_end() {
            return Some(());
        } else if s.eat(b"<!--") {
            s.comment()?;
        } else if s.eat(b"<?") {
            s.pi()?;
        } else {
            return None;
        }
    }
}

/// The root element and everything in it, without recursion.
fn root(s: &mut Scanner, entities: &Entities, xml: &mut Xml) -> Option<()> {
    let mut open: Vec<Vec<u8>> = Vec::new();
    loop {
        // At a '<' that starts an element, or inside content.
        if s.eat(b"</") {
            let name = s.name()?;
            s.skip_space();
            s.expect(b">")?;
            if open.pop()? != name {
                return None;
            }
        } else if s.eat(b"<!--") {
            s.comment()?;
        } else if s.eat(b"<![CDATA[") {
            let text = s.until(b"]]>")?;
            xml.text.as_mut()?.extend_from_slice(text);
        } else if s.eat(b"<?") {
            s.pi()?;
        } else if s.eat(b"<") {
            let name = s.name()?;
            let empty = s.attributes(entities)?;
            xml.text.get_or_insert_with(Vec::new);
            if !empty {
                open.push(name);
            }
        } else {
            let text = xml.text.as_mut()?;
            s.char_data(entities, text)?;
        }
        if open.is_empty() {
            return Some(());
        }
    }
}
