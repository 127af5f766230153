//! Target resolution: the values a variable (with its selector) yields right now.

use std::borrow::Cow;

use smallvec::SmallVec;
use std::time::{SystemTime, UNIX_EPOCH};

use super::state::Transaction;
use crate::ruleset::targets::{Select, Target};
use crate::seclang::Collection as C;
use crate::values::Values;

/// The values of a rule's targets: most rules see a few dozen at most, kept on the stack.
pub(super) type ValueList<'a> = SmallVec<[Value<'a>; 24]>;

/// One value of a target: where it came from and what it is.
#[derive(Clone, Debug)]
pub(super) struct Value<'a> {
    /// The variable.
    pub collection: C,
    /// The key within a collection (empty for scalars).
    pub key: Cow<'a, [u8]>,
    /// The value.
    pub value: Cow<'a, [u8]>,
    /// Its position in the collection (0 for scalars).
    pub position: usize,
}

impl Value<'_> {
    /// `ARGS:q` or `REQUEST_URI`, as `MATCHED_VAR_NAME` shows it.
    pub fn name(&self) -> Vec<u8> {
        let mut name = Vec::with_capacity(self.collection.name().len() + 1 + self.key.len());
        self.write_name(&mut name);
        name
    }

    /// Appends [`name`](Self::name) to `out`.
    pub fn write_name(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.collection.name().as_bytes());
        if self.collection.is_keyed() {
            out.push(b':');
            out.extend_from_slice(&self.key);
        }
    }
}

impl Transaction<'_> {
    /// Appends the values of `target` to `out`.
    pub(super) fn resolve<'a>(&'a self, target: &Target, out: &mut ValueList<'a>) {
        let select = target.select.as_ref();
        let c = target.collection;
        if let Some((values, yields_names)) = self.keyed(c) {
            let value = |(position, (k, v)): (usize, (&'a [u8], &'a [u8]))| Value {
                collection: c,
                key: Cow::Borrowed(k),
                value: Cow::Borrowed(if yields_names { k } else { v }),
                position,
            };
            match select {
                // One key: the collection's index finds it without a scan.
                Some(Select::Key(key)) => out.extend(values.positions_of(key).map(value)),
                Some(s) => out.extend(values.iter().enumerate().filter(|(_, (k, _))| s.matches(k)).map(value)),
                None => out.extend(values.iter().enumerate().map(value)),
            }
            return;
        }
        match c {
            // Only `XML:/*` (the root's text) is evaluated; other XPath selects nothing.
            C::Xml => {
                let root = select.is_none_or(|s| matches!(s, Select::Key(k) if k == b"/*"));
                if let Some(text) = self.body.xml.as_deref().filter(|_| root) {
                    out.push(Value {
                        collection: c,
                        key: Cow::Borrowed(b"/*"),
                        value: Cow::Borrowed(text),
                        position: 0,
                    });
                }
            }
            C::Rule | C::Env | C::Geo | C::FilesTmpNames => {}
            scalar => {
                if let Some(value) = self.scalar(scalar) {
                    out.push(Value { collection: c, key: Cow::Borrowed(&[]), value, position: 0 });
                }
            }
        }
    }

    /// Calls `f(position, key, value, borrowed)` for every value of `c`, in order, as
    /// [`resolve`](Self::resolve) without a selector yields them, without collecting them.
    pub(super) fn each_value(&self, c: C, mut f: impl FnMut(usize, &[u8], &[u8], bool)) {
        if let Some((values, yields_names)) = self.keyed(c) {
            for (position, (k, v)) in values.iter().enumerate() {
                f(position, k, if yields_names { k } else { v }, true);
            }
            return;
        }
        let mut out = ValueList::new();
        self.resolve(&Target { collection: c, count: false, select: None }, &mut out);
        for v in &out {
            f(v.position, &v.key, &v.value, matches!(v.value, Cow::Borrowed(_)));
        }
    }

    /// Appends the first value of a variable to `out`, for macros (`%{tx.score}`,
    /// `%{MATCHED_VAR}`); nothing when it has none.
    pub(super) fn lookup(&self, collection: C, key: Option<&str>, rule: Option<(u64, &str)>, out: &mut Vec<u8>) {
        if collection == C::Rule {
            match (key, rule) {
                (Some("id"), Some((id, _))) => out.extend_from_slice(id.to_string().as_bytes()),
                (Some("msg"), Some((_, msg))) => out.extend_from_slice(msg.as_bytes()),
                _ => {}
            }
            return;
        }
        if let Some((values, names)) = self.keyed(collection) {
            let found = match key {
                Some(key) => values.get(key.as_bytes()).next(),
                None => values.iter().next(),
            };
            if let Some((k, v)) = found {
                out.extend_from_slice(if names { k } else { v });
            }
            return;
        }
        let select = key.map(|k| Select::Key(k.as_bytes().to_vec()));
        let target = Target { collection, count: false, select };
        let mut values = ValueList::new();
        self.resolve(&target, &mut values);
        if let Some(v) = values.first() {
            out.extend_from_slice(&v.value);
        }
    }

    /// The values behind a plain keyed collection, and whether it yields their names
    /// (`ARGS_NAMES`) rather than their values.
    fn keyed(&self, c: C) -> Option<(&Values, bool)> {
        Some(match c {
            C::Args => (&self.args, false),
            C::ArgsGet => (&self.request.args_get, false),
            C::ArgsPost => (&self.body.args_post, false),
            C::ArgsNames => (&self.args, true),
            C::ArgsGetNames => (&self.request.args_get, true),
            C::ArgsPostNames => (&self.body.args_post, true),
            C::RequestHeaders => (&self.request.headers, false),
            C::RequestHeadersNames => (&self.request.headers, true),
            C::RequestCookies => (&self.request.cookies, false),
            C::RequestCookiesNames => (&self.request.cookies, true),
            C::ResponseHeaders => (&self.response.headers, false),
            C::ResponseHeadersNames => (&self.response.headers, true),
            C::Files => (&self.body.files, false),
            C::FilesNames => (&self.body.files_names, false),
            C::FilesSizes => (&self.body.files_sizes, false),
            C::Tx => (&self.tx, false),
            C::Ip | C::Global | C::Session | C::User | C::Resource => (&self.persistent[persistent(c)], false),
            C::MatchedVars => (&self.matched.vars, false),
            C::MatchedVarsNames => (&self.matched.vars, true),
            C::MultipartFilename => (&self.body.multipart_filenames, false),
            C::MultipartName => (&self.body.multipart_names, false),
            C::MultipartPartHeaders => (&self.body.multipart_part_headers, false),
            C::FilesTmpContent => (&self.body.files_tmp_content, false),
            _ => return None,
        })
    }

    fn scalar(&self, c: C) -> Option<Cow<'_, [u8]>> {
        let b = |v: &[u8]| Some(Cow::Owned(v.to_vec()));
        let r = &self.request;
        let text = |s: String| Some(Cow::Owned(s.into_bytes()));
        let flag = |on: bool| Some(Cow::Borrowed(if on { &b"1"[..] } else { &b"0"[..] }));
        match c {
            C::RequestMethod => Some(Cow::Borrowed(&r.method)),
            C::RequestProtocol => Some(Cow::Borrowed(&r.protocol)),
            C::RequestLine => Some(Cow::Borrowed(&r.line)),
            C::RequestUri => Some(Cow::Borrowed(&r.uri.uri)),
            C::RequestUriRaw => Some(Cow::Borrowed(&r.uri.raw)),
            C::RequestFilename | C::PathInfo => Some(Cow::Borrowed(&r.uri.filename)),
            // libmodsecurity's anchored variables: always one value, empty when unset.
            C::RequestBasename => Some(Cow::Borrowed(r.uri.basename.as_deref().unwrap_or_default())),
            C::QueryString => Some(Cow::Borrowed(r.uri.query.as_deref().unwrap_or_default())),
            C::ServerName => Some(Cow::Borrowed(r.server_name.as_deref().unwrap_or_default())),
            C::RequestBody => Some(Cow::Borrowed(&self.body.raw[..])),
            C::RequestBodyLength => text(self.body.raw.len().to_string()),
            // Set with the request headers (`Content-Type`) or by `ctl`, as in libmodsecurity.
            C::ReqbodyProcessor => Some(Cow::Borrowed(r.body_processor.map_or(&b""[..], |p| p.name().as_bytes()))),
            C::ReqbodyError | C::ReqbodyProcessorError => flag(self.body.error.is_some()),
            C::ReqbodyErrorMsg | C::ReqbodyProcessorErrorMsg => {
                b(self.body.error.as_deref().unwrap_or_default().as_bytes())
            }
            C::UrlencodedError => flag(r.urlencoded_error),
            C::ArgsCombinedSize => text(self.args.combined_size().to_string()),
            C::FilesCombinedSize if self.body.files_sizes.is_empty() => Some(Cow::Borrowed(&[])),
            C::FilesCombinedSize => text(self.body.files_sizes.iter().map(|(_, v)| atoi(v)).sum::<i64>().to_string()),
            C::RemoteAddr | C::RemoteHost => text(self.connection.client.ip().to_string()),
            C::RemotePort => text(self.connection.client.port().to_string()),
            C::ServerAddr => text(self.connection.server.ip().to_string()),
            C::ServerPort => text(self.connection.server.port().to_string()),
            C::UniqueId => Some(Cow::Borrowed(self.id.as_bytes())),
            C::Duration => text(self.started.elapsed().as_micros().to_string()),
            C::MatchedVar => Some(Cow::Borrowed(&self.matched.var)),
            C::MatchedVarName => Some(Cow::Borrowed(&self.matched.name)),
            C::ResponseStatus if self.response.status == 0 => Some(Cow::Borrowed(&[])),
            C::ResponseStatus => text(self.response.status.to_string()),
            C::ResponseProtocol => Some(Cow::Borrowed(&self.response.protocol)),
            C::ResponseContentType => Some(Cow::Borrowed(&self.response.content_type)),
            C::ResponseBody => Some(Cow::Borrowed(&self.response.body[..])),
            C::InboundDataError | C::OutboundDataError => flag(false),
            C::TimeEpoch => {
                text(SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0).to_string())
            }
            multipart if multipart.name().starts_with("MULTIPART_") => {
                // Unset (no multipart body, or MULTIPART_FILE_LIMIT_EXCEEDED) reads as empty.
                let value = self.body.multipart_flags.first(multipart.name().as_bytes()).unwrap_or_default();
                Some(Cow::Borrowed(value))
            }
            _ => None,
        }
    }
}

/// Index of a persistent collection in the transaction's array.
pub(super) fn persistent(c: C) -> usize {
    match c {
        C::Ip => 0,
        C::Global => 1,
        C::Session => 2,
        C::User => 3,
        _ => 4,
    }
}

/// ModSecurity's lenient integer parse: optional sign, leading digits, else 0.
pub(super) fn atoi(v: &[u8]) -> i64 {
    let s = v.trim_ascii();
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let n = digits
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .fold(0i64, |n, d| n.saturating_mul(10).saturating_add(i64::from(d - b'0')));
    if neg { -n } else { n }
}
