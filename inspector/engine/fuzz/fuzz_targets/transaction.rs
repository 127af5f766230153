//! A whole transaction on a tiny fixed rule set, compiled once. The input is split into
//! `content-type selector byte`, then `target \n header value \n body`; every phase runs
//! (request headers, body, response headers, body, logging) and none may panic.
#![no_main]

use std::sync::LazyLock;

use inspector_engine::ruleset::{self, RuleSet};
use inspector_engine::seclang::parse_str;
use inspector_engine::tx::Connection;
use libfuzzer_sys::fuzz_target;

const RULES: &str = r#"
SecRuleEngine On
SecRequestBodyAccess On
SecResponseBodyAccess On
SecResponseBodyMimeType text/plain text/html
SecDefaultAction "phase:1,log,pass"
SecDefaultAction "phase:2,log,pass"
SecRule REQUEST_HEADERS:Content-Type "^(?:application(?:/soap\+|/)|text/)xml" \
    "id:200000,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=XML"
SecRule REQUEST_HEADERS:Content-Type "^application/json" \
    "id:200001,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=JSON"
SecRule REQBODY_ERROR "!@eq 0" "id:200002,phase:2,t:none,log,deny,status:400,msg:'Failed to parse request body.'"
SecRule MULTIPART_STRICT_ERROR "!@eq 0" "id:200003,phase:2,t:none,log,pass,msg:'Multipart strict error'"
SecAction "id:900000,phase:1,pass,nolog,setvar:tx.anomaly_score=0,setvar:tx.crit=5"
SecRule REQUEST_URI|REQUEST_FILENAME "@rx (?i)\.\./|/etc/passwd" \
    "id:930100,phase:1,block,t:none,t:urlDecodeUni,t:normalizePathWin,capture,logdata:'%{TX.0}',setvar:tx.anomaly_score=+%{tx.crit}"
SecRule ARGS|ARGS_NAMES|REQUEST_COOKIES|XML:/* "@detectSQLi" \
    "id:942100,phase:2,block,t:none,t:utf8toUnicode,t:urlDecodeUni,t:removeNulls,multiMatch,setvar:tx.anomaly_score=+%{tx.crit}"
SecRule ARGS|REQUEST_HEADERS:User-Agent "@detectXSS" \
    "id:941100,phase:2,block,t:none,t:utf8toUnicode,t:urlDecodeUni,t:htmlEntityDecode,t:jsDecode,t:cssDecode,t:removeNulls"
SecRule ARGS|FILES|FILES_NAMES "@pm union select <script onerror= eval(" \
    "id:941000,phase:2,block,t:none,t:lowercase,t:compressWhitespace,t:replaceComments"
SecRule REQUEST_COOKIES:/^s/ "@rx ^(\d+)-(\w+)$" \
    "id:920100,phase:1,pass,capture,setvar:'tx.word=%{TX.2}',chain"
    SecRule TX:word "@within admin root" "t:cmdLine,setvar:tx.anomaly_score=+%{tx.crit}"
SecRule &ARGS "@gt 50" "id:920300,phase:2,block,t:none"
SecRule ARGS_COMBINED_SIZE "@ge 4096" "id:920400,phase:2,pass,t:none"
SecRule REQUEST_BODY "@validateUrlEncoding" "id:920220,phase:2,pass,t:none"
SecRule ARGS "@validateUtf8Encoding" "id:920250,phase:2,pass,t:none"
SecRule ARGS "@rx (?<=a)b(?=c)" "id:932100,phase:2,pass,t:none,t:base64DecodeExt,t:hexDecode"
SecRule TX:ANOMALY_SCORE "@ge 10" "id:949110,phase:2,deny,status:403,t:none,msg:'score %{tx.anomaly_score}'"
SecRule RESPONSE_BODY "@rx root:x:0:0" "id:950100,phase:4,deny,t:none,t:lowercase"
SecRule RESPONSE_STATUS "@streq 500" "id:950101,phase:3,pass,t:none"
"#;

static SET: LazyLock<RuleSet> = LazyLock::new(|| {
    let config = parse_str("fuzz.conf", RULES).unwrap_or_else(|e| panic!("{e}"));
    ruleset::compile(&config, &|p| Err(format!("no file {}", p.display()))).unwrap_or_else(|e| panic!("{e}"))
});

const CONTENT_TYPES: &[&[u8]] = &[
    b"application/x-www-form-urlencoded",
    b"application/json",
    b"text/xml",
    b"multipart/form-data; boundary=XyZ",
    b"text/plain",
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    let content_type = CONTENT_TYPES[usize::from(pick) % CONTENT_TYPES.len()];
    let mut parts = rest.splitn(3, |&b| b == b'\n');
    let target = parts.next().unwrap_or_default();
    let header = parts.next().unwrap_or_default();
    let body = parts.next().unwrap_or_default();
    let method: &[u8] = if body.is_empty() { b"GET" } else { b"POST" };

    let conn = Connection { client: ([10, 1, 1, 1], 5000).into(), server: ([10, 1, 1, 2], 80).into() };
    let mut tx = SET.transaction(conn, "fuzz".into());
    let length = body.len().to_string();
    let headers: [(&[u8], &[u8]); 5] = [
        (b"Host", b"example.com"),
        (b"Content-Type", content_type),
        (b"Content-Length", length.as_bytes()),
        (b"Cookie", header),
        (b"User-Agent", header),
    ];
    let _ = tx.request_headers(method, target, "1.1", headers);
    let _ = tx.request_body(body);
    let response: [(&[u8], &[u8]); 1] = [(b"Content-Type", b"text/html; charset=utf-8")];
    let _ = tx.response_headers(200, "HTTP/1.1", response);
    let _ = tx.response_body(body);
    tx.finish();
    for m in tx.matched_rules() {
        assert!(m.id != 0, "a matched rule without an id");
    }
});
