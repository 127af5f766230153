//! The XML processor: `XML:/*` text and well-formedness, case by case as libmodsecurity 3.0.9
//! (libxml2 2.9.14) reported them for the same documents.

use inspector_engine::body::xml;

/// A document, the `XML:/*` text (None: no root element) and whether it is malformed.
type Case = (&'static [u8], Option<&'static [u8]>, bool);

#[test]
fn root_text_and_errors_match_libmodsecurity() {
    let cases: &[Case] = &[
        (b"<a>hello<b>world</b> tail</a>", Some(b"helloworld tail"), false),
        (
            b"<?xml version=\"1.0\"?><r x=\"attr\">t &amp; &lt; &#65; &#x42;<![CDATA[<raw>]]><!-- c --></r>",
            Some(b"t & < A B<raw>"),
            false,
        ),
        (b"<a><b></a>", Some(b""), true),
        (b"", None, true),
        (b"<a>1</a><b>2</b>", Some(b"1"), true),
        (b"plain", None, true),
        (b"<!DOCTYPE r [<!ENTITY x \"ent\">]><r>a&x;b</r>", Some(b"aentb"), false),
        (b"<!DOCTYPE r SYSTEM \"http://127.0.0.1:1/x.dtd\"><r>a</r>", Some(b"a"), false),
        (b"<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/hostname\">]><r>a&x;b</r>", Some(b"ab"), false),
        (b"<r>&undefined;</r>", Some(b""), true),
        (b"<r>a<?pi x?>b</r>", Some(b"ab"), false),
        (b"  <r>x</r>  ", Some(b"x"), false),
        (b"<r a=\"1\" a=\"2\">x</r>", None, true),
        ("<r>é</r>".as_bytes(), Some("é".as_bytes()), false),
        (b"<r>\xff</r>", Some(b""), true),
        (b"<r><a/>  <b>x</b>\n</r>", Some(b"  x\n"), false),
        (b"<r>&#0;</r>", Some(b""), true),
        (b"<1r>x</1r>", None, true),
        (b"<r>]]></r>", Some(b""), true),
        (b"<r>a<</r>", Some(b"a"), true),
        (b"<r xmlns:p=\"u\"><p:x>1</p:x><q:y>2</q:y></r>", Some(b"12"), false),
    ];
    for &(doc, text, malformed) in cases {
        let got = xml::parse(doc);
        let shown = String::from_utf8_lossy(doc);
        assert_eq!(got.text.as_deref(), text, "{shown}");
        assert_eq!(got.malformed, malformed, "{shown}");
    }
}

#[test]
fn entity_expansion_is_bounded() {
    let mut doc = String::from("<!DOCTYPE r [<!ENTITY a0 \"xxxxxxxxxx\">");
    for i in 1..10 {
        let p = i - 1;
        doc += &format!("<!ENTITY a{i} \"&a{p};&a{p};&a{p};&a{p};&a{p};&a{p};&a{p};&a{p};&a{p};&a{p};\">");
    }
    doc += "]><r>&a9;</r>";
    let got = xml::parse(doc.as_bytes());
    assert!(got.malformed, "a billion laughs must fail, not expand");
    assert!(got.text.is_some_and(|t| t.len() <= 1 << 20));
}
