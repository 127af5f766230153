//! The JSON body processor, as libmodsecurity 3.0.9 runs it on top of yajl: every scalar
//! becomes an argument named after its path (`json.a.b`, `json.list.array_0`, `json` for a
//! top-level scalar, `empty-key` for `""`), values are decoded strings, the number's own text,
//! `true`/`false`, or empty for `null`. Arguments seen before an error stay. Iterative, so
//! nesting costs heap, not stack; containers deeper than the limit stop the parse.

use super::json_lex::{Lexer, Token};
use crate::values::Values;

/// libmodsecurity's default `SecRequestBodyJsonDepthLimit`.
pub const DEFAULT_DEPTH_LIMIT: usize = 10_000;

/// Our own bound on the bytes of argument names and values one body may produce: deep
/// paths repeated over many scalars would otherwise amplify a small body into gigabytes.
pub const MAX_OUTPUT: usize = 64 << 20;

/// One open container: its path and, for arrays, the next element index.
struct Frame {
    path: Vec<u8>,
    array: Option<usize>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Want {
    /// A value (after `:`, `,` in an array, or at the top).
    Value,
    /// A value or `]` (just after `[`).
    ValueOrEnd,
    /// A key or `}` (just after `{`).
    KeyOrEnd,
    /// A key (after `,` in an object).
    Key,
    /// The `:` after a key.
    Colon,
    /// `,` or the container's end.
    Next,
    /// Nothing but whitespace.
    Done,
}

/// Parses `body` into `args`. Returns yajl's error text (`parse error: premature EOF\n`,
/// `lexical error: invalid char in json text.\n`, ...) when the body is not valid JSON.
pub fn parse(body: &[u8], depth_limit: usize, args: &mut Values) -> Result<(), String> {
    let mut lexer = Lexer::new(body);
    let mut stack: Vec<Frame> = Vec::new();
    let mut key: Vec<u8> = Vec::new();
    let mut want = Want::Value;
    let mut produced = 0;
    loop {
        if want == Want::Done {
            return if lexer.only_whitespace_left() { Ok(()) } else { Err(parse_error("trailing garbage")) };
        }
        let token = match lexer.next()? {
            Some(token) => token,
            None => return Err(parse_error("premature EOF")),
        };
        want = match (want, token) {
            (Want::KeyOrEnd | Want::Key, Token::String(k)) => {
                key = k;
                Want::Colon
            }
            (Want::KeyOrEnd, Token::EndObject) | (Want::ValueOrEnd, Token::EndArray) => close(&mut stack),
            (Want::KeyOrEnd | Want::Key, _) => return Err(parse_error("invalid object key (must be a string)")),
            (Want::Colon, Token::Colon) => Want::Value,
            (Want::Colon, _) => return Err(parse_error("object key and value must be separated by a colon (':')")),
            (Want::Next, Token::Comma) => match stack.last().map(|f| f.array.is_some()) {
                Some(true) => Want::Value,
                _ => Want::Key,
            },
            (Want::Next, Token::EndObject) if stack.last().is_some_and(|f| f.array.is_none()) => close(&mut stack),
            (Want::Next, Token::EndArray) if stack.last().is_some_and(|f| f.array.is_some()) => close(&mut stack),
            (Want::Next, _) => {
                return Err(parse_error(match stack.last().map(|f| f.array.is_some()) {
                    Some(true) => "after array element, I expect ',' or ']'",
                    _ => "after key and value, inside map, I expect ',' or '}'",
                }));
            }
            (Want::Value | Want::ValueOrEnd, begin @ (Token::BeginObject | Token::BeginArray)) => {
                if stack.len() >= depth_limit {
                    return Err(parse_error("client cancelled parse via callback return value")
                        + ". Parsing depth limit exceeded");
                }
                let path = child_path(&mut stack, &key);
                let array = matches!(begin, Token::BeginArray).then_some(0);
                stack.push(Frame { path, array });
                if array.is_some() { Want::ValueOrEnd } else { Want::KeyOrEnd }
            }
            (Want::Value | Want::ValueOrEnd, Token::Scalar(value) | Token::String(value)) => {
                let name = child_path(&mut stack, &key);
                produced += name.len() + value.len();
                if produced > MAX_OUTPUT {
                    return Err(parse_error("arguments exceed the size limit"));
                }
                args.push(name, value);
                after_value(&stack)
            }
            (Want::Value | Want::ValueOrEnd, _) => {
                return Err(parse_error("unallowed token at this point in JSON text"));
            }
            (Want::Done, _) => unreachable!("handled above"),
        };
    }
}

/// `parse error: <what>\n`, as yajl words it.
fn parse_error(what: &str) -> String {
    format!("parse error: {what}\n")
}

fn close(stack: &mut Vec<Frame>) -> Want {
    stack.pop();
    after_value(stack)
}

fn after_value(stack: &[Frame]) -> Want {
    if stack.is_empty() { Want::Done } else { Want::Next }
}

/// The name a key gets in an object: the key, or `empty-key`.
fn key_name(key: &[u8]) -> &[u8] {
    if key.is_empty() { b"empty-key" } else { key }
}

/// The path of a new container or the name of a scalar: `json` at the top, `<parent>.<key>` in an object and
/// `<parent>.array_<n>` in an array (whose counter moves on).
fn child_path(stack: &mut [Frame], key: &[u8]) -> Vec<u8> {
    match stack.last_mut() {
        None => b"json".to_vec(),
        Some(Frame { path, array: Some(n) }) => {
            let name = [path.as_slice(), format!(".array_{n}").as_bytes()].concat();
            *n += 1;
            name
        }
        Some(Frame { path, array: None }) => [path.as_slice(), b".", key_name(key)].concat(),
    }
}
