//! Action lists: `"id:1,phase:2,t:none,msg:'a, b',setvar:'tx.x=1'"`.
//!
//! Items are separated by commas outside single quotes; a value in single quotes (right
//! after `name:`) has them stripped, with `\'` escapes kept verbatim. Names are matched
//! case-insensitively against ModSecurity v3's list and stored in canonical spelling.

use super::error::ErrorKind;
use super::rule::ActionSpec;

/// ModSecurity v3's actions, in canonical spelling.
pub const ACTIONS: &[&str] = &[
    "accuracy",
    "allow",
    "append",
    "auditlog",
    "block",
    "capture",
    "chain",
    "ctl",
    "deny",
    "deprecatevar",
    "drop",
    "exec",
    "expirevar",
    "id",
    "initcol",
    "log",
    "logdata",
    "maturity",
    "msg",
    "multiMatch",
    "noauditlog",
    "nolog",
    "pass",
    "pause",
    "phase",
    "prepend",
    "proxy",
    "redirect",
    "rev",
    "sanitiseArg",
    "sanitiseMatched",
    "sanitiseMatchedBytes",
    "sanitiseRequestHeader",
    "sanitiseResponseHeader",
    "setenv",
    "setrsc",
    "setsid",
    "setuid",
    "setvar",
    "severity",
    "skip",
    "skipAfter",
    "status",
    "t",
    "tag",
    "ver",
    "xmlns",
];

/// Actions that are meaningless without a value.
const NEED_VALUE: &[&str] = &[
    "accuracy",
    "append",
    "ctl",
    "deprecatevar",
    "exec",
    "expirevar",
    "id",
    "initcol",
    "logdata",
    "maturity",
    "msg",
    "pause",
    "phase",
    "prepend",
    "proxy",
    "redirect",
    "rev",
    "setenv",
    "setrsc",
    "setsid",
    "setuid",
    "setvar",
    "severity",
    "skip",
    "skipAfter",
    "status",
    "t",
    "tag",
    "ver",
    "xmlns",
];

/// The canonical spelling of action `name` (case-insensitive), if it exists.
pub fn canonical_action(name: &str) -> Option<&'static str> {
    ACTIONS.iter().copied().find(|a| a.eq_ignore_ascii_case(name))
}

/// The phase number for a `phase` value: `1`-`5`, `request` (2), `response` (4),
/// `logging` (5), case-insensitive.
pub fn phase_number(value: &str) -> Option<u8> {
    match value.to_ascii_lowercase().as_str() {
        "request" => Some(2),
        "response" => Some(4),
        "logging" => Some(5),
        digits => digits.parse().ok().filter(|n| (1..=5).contains(n)),
    }
}

/// Parses and validates an action list.
pub fn parse_actions(text: &str) -> Result<Vec<ActionSpec>, ErrorKind> {
    let mut out = Vec::new();
    for item in split_items(text)? {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        let (name, value) = match item.split_once(':') {
            Some((name, value)) => (name.trim(), Some(unquote(value.trim()).to_string())),
            None => (item, None),
        };
        let name = canonical_action(name).ok_or_else(|| ErrorKind::UnknownAction(name.to_string()))?;
        check_value(name, value.as_deref())?;
        out.push(ActionSpec { name: name.to_string(), value });
    }
    Ok(out)
}

fn check_value(name: &'static str, value: Option<&str>) -> Result<(), ErrorKind> {
    let bad = |message: &str| ErrorKind::BadAction { action: name.to_string(), message: message.to_string() };
    match (name, value) {
        (_, None) if NEED_VALUE.contains(&name) => Err(bad("needs a value")),
        ("id", Some(v)) => match v.parse::<u64>() {
            Ok(id) if id > 0 => Ok(()),
            _ => Err(bad("expected a positive integer")),
        },
        ("phase", Some(v)) => phase_number(v).map(|_| ()).ok_or_else(|| ErrorKind::BadPhase(v.to_string())),
        _ => Ok(()),
    }
}

fn unquote(value: &str) -> &str {
    value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')).unwrap_or(value)
}

/// Splits at commas that are not inside a single-quoted value.
fn split_items(text: &str) -> Result<Vec<String>, ErrorKind> {
    let mut items = Vec::new();
    let mut current = String::new();
    let (mut seen_colon, mut value_start, mut quoted) = (false, false, false);
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        current.push(c);
        if quoted {
            match c {
                '\\' => current.extend(chars.next()),
                '\'' => quoted = false,
                _ => {}
            }
            continue;
        }
        match c {
            ',' => {
                current.pop();
                items.push(std::mem::take(&mut current));
                (seen_colon, value_start) = (false, false);
            }
            ':' if !seen_colon => (seen_colon, value_start) = (true, true),
            '\'' if value_start => (quoted, value_start) = (true, false),
            c if c.is_ascii_whitespace() => {}
            _ => value_start = false,
        }
    }
    if quoted {
        return Err(ErrorKind::Syntax("unterminated single-quoted action value".to_string()));
    }
    items.push(current);
    Ok(items)
}
