//! `spec.allowList` → phase-1 rules: each entry that matches sets `tx.chainwall_allowed`, and
//! a last rule denies the request when none did.

use super::quote::{plain, regex_literal};
use crate::api::AllowRule;

/// The allow-list rules (nothing when the list is empty); ids start at `first_id`.
pub fn rules(entries: &[AllowRule], first_id: u32) -> Result<String, Vec<String>> {
    if entries.is_empty() {
        return Ok(String::new());
    }
    let mut errors = Vec::new();
    // A missing TX variable yields no value and a rule on it never fires: start at 0.
    let mut lines =
        vec![format!("SecAction \"id:{first_id},phase:1,pass,nolog,t:none,setvar:tx.chainwall_allowed=0\"")];
    let mut id = first_id + 1;
    for (i, entry) in entries.iter().enumerate() {
        let field = format!("spec.allowList[{i}]");
        let flag = format!("tx.chainwall_allow_{i}");
        lines.push(format!("SecAction \"id:{id},phase:1,pass,nolog,t:none,setvar:{flag}=1\""));
        id += 1;
        for (variable, pattern, t) in conditions(&field, entry, &mut errors) {
            lines.push(format!(
                "SecRule {variable} \"!@rx {pattern}\" \"id:{id},phase:1,pass,nolog,t:none{t},setvar:{flag}=0\""
            ));
            id += 1;
        }
        lines.push(format!(
            "SecRule TX:chainwall_allow_{i} \"@eq 1\" \"id:{id},phase:1,pass,nolog,t:none,setvar:tx.chainwall_allowed=1\""
        ));
        id += 1;
    }
    lines.push(format!(
        "SecRule TX:chainwall_allowed \"@eq 0\" \"id:{id},phase:1,deny,status:403,log,t:none,msg:'Request outside the SecurityPolicy allow-list',tag:'chainwall/allow-list'\""
    ));
    if errors.is_empty() { Ok(lines.join("\n")) } else { Err(errors) }
}

/// `(variable, regex, extra transformations)` that must all match for the entry to apply.
fn conditions(field: &str, entry: &AllowRule, errors: &mut Vec<String>) -> Vec<(String, String, &'static str)> {
    let mut out = Vec::new();
    let check = |f: String, v: &str, errors: &mut Vec<String>| plain(&f, v).map_err(|e| errors.push(e)).ok();
    if !entry.methods.is_empty() {
        let methods: Vec<String> = entry
            .methods
            .iter()
            .enumerate()
            .filter_map(|(i, m)| check(format!("{field}.methods[{i}]"), m, errors))
            .map(|m| regex_literal(&m))
            .collect();
        out.push(("REQUEST_METHOD".into(), format!("^(?:{})$", methods.join("|")), ""));
    }
    if !entry.paths.is_empty() {
        let paths: Vec<String> = entry
            .paths
            .iter()
            .enumerate()
            .filter_map(|(i, p)| check(format!("{field}.paths[{i}]"), p, errors))
            .map(|p| match p.strip_suffix('*') {
                Some(prefix) => regex_literal(prefix),
                None if p.ends_with('/') => regex_literal(&p),
                None => format!("{}$", regex_literal(&p)),
            })
            .collect();
        out.push(("REQUEST_FILENAME".into(), format!("^(?:{})", paths.join("|")), ",t:normalizePath"));
    }
    if !entry.hosts.is_empty() {
        let hosts: Vec<String> = entry
            .hosts
            .iter()
            .enumerate()
            .filter_map(|(i, h)| check(format!("{field}.hosts[{i}]"), h, errors))
            .map(|h| regex_literal(&h.to_ascii_lowercase()))
            .collect();
        // No Host header means no SERVER_NAME, which a negated rule cannot catch: count it.
        out.push(("&REQUEST_HEADERS:Host".into(), "^[1-9]".into(), ""));
        out.push(("SERVER_NAME".into(), format!("^(?:{})$", hosts.join("|")), ",t:lowercase"));
    }
    for (j, header) in entry.headers.iter().enumerate() {
        let Some(name) = check(format!("{field}.headers[{j}].name"), &header.name, errors) else { continue };
        if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            errors.push(format!("{field}.headers[{j}].name: {name:?} is not a header name"));
            continue;
        }
        let value = match &header.value {
            Some(v) => {
                check(format!("{field}.headers[{j}].value"), v, errors).map(|v| format!("^{}$", regex_literal(&v)))
            }
            None => Some(String::new()),
        };
        // An absent header yields no value, so the negated rule would not fire: count first.
        out.push((format!("&REQUEST_HEADERS:{name}"), "^[1-9]".into(), ""));
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            out.push((format!("REQUEST_HEADERS:{name}"), v, ""));
        }
    }
    out
}
