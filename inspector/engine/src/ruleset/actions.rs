//! Actions compiled into typed values: what a rule does when it matches.

use crate::seclang::{ActionSpec, Collection, IdRange, phase_number};

use super::macros::MacroString;

/// What a matching rule does to the transaction's flow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Disruptive {
    /// Stop and answer with `status` (default 403).
    Deny,
    /// Stop and close the connection.
    Drop,
    /// Stop and redirect (answered like `deny` with status 302 by the proxy).
    Redirect(MacroString),
    /// Keep going.
    Pass,
    /// Stop evaluating: this phase only, the request phases, or everything.
    Allow(AllowScope),
    /// Whatever `SecDefaultAction` of the rule's phase says.
    Block,
}

/// The reach of `allow`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AllowScope {
    /// `allow`: every remaining phase.
    All,
    /// `allow:phase`: the rest of this phase.
    Phase,
    /// `allow:request`: the rest of the request phases.
    Request,
}

/// `setvar`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetVar {
    /// `TX`, `IP`, `GLOBAL`, `SESSION`, `USER` or `RESOURCE`.
    pub collection: Collection,
    /// The key (may hold macros, e.g. `tx.%{rule.id}-x`).
    pub key: MacroString,
    /// The operation.
    pub op: SetOp,
}

/// What `setvar` does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SetOp {
    /// `=value`.
    Set(MacroString),
    /// `=+value`.
    Add(MacroString),
    /// `=-value`.
    Sub(MacroString),
    /// No `=`: the value 1.
    One,
    /// `!tx.key`.
    Delete,
}

/// `ctl` runtime changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ctl {
    /// `ctl:ruleEngine=On|Off|DetectionOnly`.
    RuleEngine(crate::seclang::EngineMode),
    /// `ctl:ruleRemoveById=ID|A-B`.
    RemoveById(IdRange),
    /// `ctl:ruleRemoveByTag=TAG`.
    RemoveByTag(String),
    /// `ctl:ruleRemoveTargetById=ID;TARGET`.
    RemoveTargetById(IdRange, String),
    /// `ctl:ruleRemoveTargetByTag=TAG;TARGET`.
    RemoveTargetByTag(String, String),
    /// `ctl:requestBodyProcessor=JSON|XML|URLENCODED|MULTIPART`.
    BodyProcessor(String),
    /// `ctl:requestBodyAccess=on|off`.
    RequestBodyAccess(bool),
    /// `ctl:forceRequestBodyVariable=on|off`.
    ForceRequestBodyVariable(bool),
    /// Audit-log and other I/O controls: accepted, no effect here.
    Ignored(String),
}

/// Parses `setvar`'s value.
pub fn setvar(value: &str) -> Result<SetVar, String> {
    let (delete, body) = match value.strip_prefix('!') {
        Some(rest) => (true, rest),
        None => (false, value),
    };
    let (name, rhs) = match body.split_once('=') {
        Some((n, r)) => (n, Some(r)),
        None => (body, None),
    };
    let (collection, key) = name.split_once('.').ok_or_else(|| format!("setvar {value:?}: expected COLLECTION.key"))?;
    let collection = Collection::from_name(collection)
        .filter(|c| {
            matches!(
                c,
                Collection::Tx
                    | Collection::Ip
                    | Collection::Global
                    | Collection::Session
                    | Collection::User
                    | Collection::Resource
            )
        })
        .ok_or_else(|| format!("setvar {value:?}: {collection} is not a writable collection"))?;
    let key = MacroString::parse(&key.to_ascii_lowercase())?;
    let op = match (delete, rhs) {
        (true, _) => SetOp::Delete,
        (false, None) => SetOp::One,
        (false, Some(r)) => match (r.strip_prefix('+'), r.strip_prefix('-')) {
            (Some(n), _) => SetOp::Add(MacroString::parse(n)?),
            (_, Some(n)) => SetOp::Sub(MacroString::parse(n)?),
            _ => SetOp::Set(MacroString::parse(r)?),
        },
    };
    Ok(SetVar { collection, key, op })
}

/// Parses `ctl`'s value.
pub fn ctl(value: &str) -> Result<Ctl, String> {
    let (name, arg) = value.split_once('=').ok_or_else(|| format!("ctl {value:?}: expected name=value"))?;
    let on = |a: &str| match a.to_ascii_lowercase().as_str() {
        "on" | "true" => Ok(true),
        "off" | "false" => Ok(false),
        _ => Err(format!("ctl {value:?}: expected on or off")),
    };
    let target = |a: &str| {
        a.split_once(';')
            .map(|(x, t)| (x.to_owned(), t.to_owned()))
            .ok_or_else(|| format!("ctl {value:?}: expected X;TARGET"))
    };
    Ok(match name {
        "ruleEngine" => Ctl::RuleEngine(match arg.to_ascii_lowercase().as_str() {
            "on" => crate::seclang::EngineMode::On,
            "off" => crate::seclang::EngineMode::Off,
            "detectiononly" => crate::seclang::EngineMode::DetectionOnly,
            _ => return Err(format!("ctl {value:?}: unknown engine mode")),
        }),
        "ruleRemoveById" => Ctl::RemoveById(id_range(arg)?),
        "ruleRemoveByTag" => Ctl::RemoveByTag(arg.to_owned()),
        "ruleRemoveTargetById" => {
            let (id, t) = target(arg)?;
            Ctl::RemoveTargetById(id_range(&id)?, t)
        }
        "ruleRemoveTargetByTag" => {
            let (tag, t) = target(arg)?;
            Ctl::RemoveTargetByTag(tag, t)
        }
        "requestBodyProcessor" => Ctl::BodyProcessor(arg.to_ascii_uppercase()),
        "requestBodyAccess" => Ctl::RequestBodyAccess(on(arg)?),
        "forceRequestBodyVariable" => Ctl::ForceRequestBodyVariable(on(arg)?),
        "auditEngine" | "auditLogParts" | "debugLogLevel" | "hashEngine" | "hashEnforcement" | "parseXmlIntoArgs" => {
            Ctl::Ignored(name.to_owned())
        }
        other => return Err(format!("ctl {other}: unknown ctl option")),
    })
}

/// `123` or `100-200`.
pub fn id_range(text: &str) -> Result<IdRange, String> {
    let num = |s: &str| s.trim().parse::<u64>().map_err(|_| format!("invalid rule id {s:?}"));
    match text.split_once('-') {
        Some((a, b)) => Ok(IdRange { start: num(a)?, end: num(b)? }),
        None => num(text).map(|n| IdRange { start: n, end: n }),
    }
}

/// The first value of action `name`.
pub fn value<'a>(actions: &'a [ActionSpec], name: &str) -> Option<&'a str> {
    actions.iter().find(|a| a.name == name).and_then(|a| a.value.as_deref())
}

/// The phase named in an action list (default 2, as in ModSecurity).
pub fn phase(actions: &[ActionSpec]) -> u8 {
    value(actions, "phase").and_then(phase_number).unwrap_or(2)
}
