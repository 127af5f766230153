//! The failure switch. Covered rules never name a verdict themselves: TCP bodies end in
//! `meta protocol vmap @closed_flows` (or `@open_flows`), a map keyed by the ether type whose
//! entries are `goto steer` while the inspector is healthy, and `goto fail_closed` (drop,
//! counted) or `goto bypass` (accept, counted) while it is down. Flipping health is therefore
//! an element update of two maps, applied in one transaction with everything else.
//! Covered traffic the HTTP inspector cannot take (UDP, SCTP) takes the failure path always.

use policy_crd::api::FailureMode;
use policy_crd::flow::Protocol;

use super::config::{Families, Health};
use super::element::Element;
use super::model::{Chain, Counter, Key, Rule, Set};

/// Named counter of covered packets that passed uninspected (fail-open while down, or a
/// protocol the inspector cannot take).
pub const BYPASSED: &str = "bypassed";
/// Named counter of covered packets dropped because they could not be inspected.
pub const FAILED_CLOSED: &str = "failed_closed";
/// Named counter of packets no rule allowed.
pub const DENIED: &str = "denied";

fn map_name(mode: FailureMode) -> &'static str {
    match mode {
        FailureMode::Closed => "closed_flows",
        FailureMode::Open => "open_flows",
    }
}

/// The two health maps, for the families on.
pub fn maps(families: Families, health: Health) -> Vec<Set> {
    [FailureMode::Closed, FailureMode::Open]
        .into_iter()
        .map(|mode| {
            let verdict = match (health, mode) {
                (Health::Healthy, _) => "goto steer",
                (Health::Down, FailureMode::Closed) => "goto fail_closed",
                (Health::Down, FailureMode::Open) => "goto bypass",
            };
            let keys = families.list().iter().map(|v4| if *v4 { "ip" } else { "ip6" });
            let comment = match mode {
                FailureMode::Closed => "where fail-closed covered flows go: the inspector, or dropped",
                FailureMode::Open => "where fail-open covered flows go: the inspector, or past it",
            };
            Set {
                name: map_name(mode).to_owned(),
                key: Key::EtherTypeVerdict,
                interval: false,
                comment: comment.to_owned(),
                elements: keys.map(|k| Element::Verdict(k, verdict.to_owned())).collect(),
            }
        })
        .collect()
}

/// The named counters of a table; `denied` only where the table enforces policy.
pub fn counters(denied: bool) -> Vec<Counter> {
    let counter = |name: &str, comment: &str| Counter { name: name.to_owned(), comment: comment.to_owned() };
    let mut out = vec![counter(BYPASSED, "covered packets passed uninspected")];
    if denied {
        out.push(counter(DENIED, "packets no policy allows"));
    }
    out.push(counter(FAILED_CLOSED, "covered packets dropped: no inspector"));
    out
}

/// `steer` (with the table's way of reaching the inspector), `bypass` and `fail_closed`.
pub fn chains(steer: Rule) -> Vec<Chain> {
    let chain = |name: &str, rule: Rule| Chain { name: name.to_owned(), hook: None, rules: vec![rule] };
    vec![
        chain("steer", steer),
        chain("bypass", Rule::new(format!("counter name \"{BYPASSED}\" accept"))),
        chain("fail_closed", Rule::new(format!("counter name \"{FAILED_CLOSED}\" drop"))),
    ]
}

/// The rule dropping one covered body whose placement this node does not inspect: such a
/// flow is treated as a fail-closed flow with no inspector (dropped, counted), whatever its
/// failure mode, since passing it would let it through uninspected.
pub fn unplaced(body: &str) -> Rule {
    let join = if body.is_empty() { String::new() } else { format!("{body} ") };
    Rule::new(format!("{join}goto fail_closed"))
}

/// The rules sending one covered body to the inspector, or down its failure path.
/// `protocol` is the body's protocol (`None`: any). `replies`: only the TCP part, for steering
/// server replies back (non-TCP covered flows never reach the inspector).
pub fn covered(body: &str, protocol: Option<Protocol>, mode: FailureMode, replies: bool) -> Vec<Rule> {
    let join = |a: &str, b: &str| if a.is_empty() { b.to_owned() } else { format!("{a} {b}") };
    let to_inspector = format!("meta protocol vmap @{}", map_name(mode));
    let failure = match mode {
        FailureMode::Closed => "goto fail_closed",
        FailureMode::Open => "goto bypass",
    };
    match protocol {
        Some(Protocol::Tcp) => vec![Rule::new(join(body, &to_inspector))],
        Some(_) if replies => vec![],
        Some(_) => vec![Rule::new(join(body, failure))],
        None if replies => vec![Rule::new(join(body, &format!("meta l4proto tcp {to_inspector}")))],
        None => vec![
            Rule::new(join(body, &format!("meta l4proto tcp {to_inspector}"))),
            Rule::new(join(body, &format!("meta l4proto != tcp {failure}"))),
        ],
    }
}
