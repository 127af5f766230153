//! A policy's `spec`, typed as `policy_crd`'s `SecurityPolicySpec`, with the fields that
//! type would silently ignore (a misspelt `paranoiaLevl`) reported instead.

use policy_crd::api::SecurityPolicySpec;

/// The typed spec; a field the type does not know is an error (`.path`, message), not
/// silently ignored.
pub(super) fn typed(value: serde_json::Value) -> Result<SecurityPolicySpec, (String, String)> {
    let value = if value.is_null() { serde_json::json!({}) } else { value };
    let spec: SecurityPolicySpec = serde_json::from_value(value.clone()).map_err(|e| (String::new(), e.to_string()))?;
    let known = serde_json::to_value(&spec).map_err(|e| (String::new(), e.to_string()))?;
    match unknown(&value, &known, String::new()) {
        Some(path) => Err((path, "unknown field".into())),
        None => Ok(spec),
    }
}

/// The first key of `given` that `known` (the typed value serialised back) lacks, unless empty.
fn unknown(given: &serde_json::Value, known: &serde_json::Value, path: String) -> Option<String> {
    use serde_json::Value;
    let empty = |v: &Value| match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    };
    match (given, known) {
        (Value::Object(g), Value::Object(k)) => g.iter().find_map(|(key, v)| match k.get(key) {
            Some(kv) => unknown(v, kv, format!("{path}.{key}")),
            None if empty(v) => None,
            None => Some(format!("{path}.{key}")),
        }),
        (Value::Array(g), Value::Array(k)) => {
            g.iter().zip(k).enumerate().find_map(|(i, (gv, kv))| unknown(gv, kv, format!("{path}[{i}]")))
        }
        _ => None,
    }
}
