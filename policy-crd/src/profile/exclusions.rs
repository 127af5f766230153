//! `spec.exclusions` → `SecRuleRemove*`/`SecRuleUpdateTarget*` for unscoped ones, and
//! phase-1 rules with `ctl:` actions for the ones scoped to paths or methods.

use super::quote::{plain, regex_literal};
use crate::api::Exclusion;

/// The directives of every exclusion; ids start at `first_id`.
pub fn rules(exclusions: &[Exclusion], first_id: u32) -> Result<String, Vec<String>> {
    let mut errors = Vec::new();
    let mut out = Vec::new();
    for (i, e) in exclusions.iter().enumerate() {
        match exclusion(&format!("spec.exclusions[{i}]"), e, first_id + i as u32) {
            Ok(lines) => out.extend(lines),
            Err(errs) => errors.extend(errs),
        }
    }
    if errors.is_empty() { Ok(out.join("\n")) } else { Err(errors) }
}

fn exclusion(field: &str, e: &Exclusion, id: u32) -> Result<Vec<String>, Vec<String>> {
    let mut errors = Vec::new();
    let mut check = |f: String, v: &str| plain(&f, v).map_err(|e| errors.push(e)).unwrap_or_default();
    let tags: Vec<String> = e.tags.iter().enumerate().map(|(i, t)| check(format!("{field}.tags[{i}]"), t)).collect();
    let targets: Vec<String> =
        e.targets.iter().enumerate().map(|(i, t)| check(format!("{field}.targets[{i}]"), t)).collect();
    let paths: Vec<String> = e.paths.iter().enumerate().map(|(i, p)| check(format!("{field}.paths[{i}]"), p)).collect();
    let methods: Vec<String> =
        e.methods.iter().enumerate().map(|(i, m)| check(format!("{field}.methods[{i}]"), m)).collect();
    for (i, t) in targets.iter().enumerate() {
        if !t.is_empty() && !t.chars().all(|c| c.is_ascii_alphanumeric() || "_:-./^$|".contains(c)) {
            errors.push(format!("{field}.targets[{i}]: {t:?} is not a variable such as ARGS:password"));
        }
    }
    if e.rule_ids.is_empty() && e.tags.is_empty() {
        errors.push(format!("{field}: names neither ruleIds nor tags"));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let ids = e.rule_ids.iter().map(u32::to_string);
    if paths.is_empty() && methods.is_empty() {
        return Ok(unscoped(ids.collect(), &tags, &targets));
    }
    let ctls: Vec<String> = if targets.is_empty() {
        let by_id = ids.map(|id| format!("ctl:ruleRemoveById={id}"));
        by_id.chain(tags.iter().map(|t| format!("ctl:ruleRemoveByTag={t}"))).collect()
    } else {
        let ids: Vec<String> = ids.collect();
        let by_id = ids.iter().flat_map(|id| targets.iter().map(move |t| format!("ctl:ruleRemoveTargetById={id};{t}")));
        let by_tag =
            tags.iter().flat_map(|tag| targets.iter().map(move |t| format!("ctl:ruleRemoveTargetByTag={tag};{t}")));
        by_id.chain(by_tag).collect()
    };
    let mut conditions = Vec::new();
    if !paths.is_empty() {
        let alternatives: Vec<String> = paths.iter().map(|p| format!("^{}", regex_literal(p))).collect();
        conditions.push(format!("REQUEST_FILENAME \"@rx {}\"", alternatives.join("|")));
    }
    if !methods.is_empty() {
        let alternatives: Vec<String> = methods.iter().map(|m| regex_literal(m)).collect();
        conditions.push(format!("REQUEST_METHOD \"@rx ^(?:{})$\"", alternatives.join("|")));
    }
    let last = conditions.len() - 1;
    let mut lines = Vec::new();
    for (i, condition) in conditions.iter().enumerate() {
        let mut actions =
            if i == 0 { vec![format!("id:{id}"), "phase:1".into(), "pass".into(), "nolog".into()] } else { Vec::new() };
        actions.push("t:none".into());
        if i < last {
            actions.push("chain".into());
        } else {
            actions.extend(ctls.iter().cloned());
        }
        lines.push(format!("SecRule {condition} \"{}\"", actions.join(",")));
    }
    Ok(lines)
}

fn unscoped(ids: Vec<String>, tags: &[String], targets: &[String]) -> Vec<String> {
    let mut lines = Vec::new();
    if targets.is_empty() {
        if !ids.is_empty() {
            lines.push(format!("SecRuleRemoveById {}", ids.join(" ")));
        }
        lines.extend(tags.iter().map(|t| format!("SecRuleRemoveByTag \"{t}\"")));
    } else {
        let excluded: Vec<String> = targets.iter().map(|t| format!("!{t}")).collect();
        let excluded = excluded.join("|");
        lines.extend(ids.iter().map(|id| format!("SecRuleUpdateTargetById {id} \"{excluded}\"")));
        lines.extend(tags.iter().map(|t| format!("SecRuleUpdateTargetByTag \"{t}\" \"{excluded}\"")));
    }
    lines
}
