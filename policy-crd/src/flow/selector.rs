//! Label selectors, validated once and then matched cheaply.

use crate::api::LabelSelector;

use super::model::Labels;

/// A validated selector: every requirement must hold. No requirements matches everything.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selector {
    requirements: Vec<Requirement>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Requirement {
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    DoesNotExist(String),
}

impl Selector {
    /// A selector matching every object (`{}`).
    pub fn everything() -> Self {
        Self { requirements: Vec::new() }
    }

    /// Validates a `LabelSelector` with the apiserver's rules for operators and values.
    pub fn compile(selector: &LabelSelector) -> Result<Self, String> {
        let mut requirements = Vec::new();
        for (key, value) in selector.match_labels.iter().flatten() {
            check_key(key)?;
            requirements.push(Requirement::In(key.clone(), vec![value.clone()]));
        }
        for (i, expr) in selector.match_expressions.iter().flatten().enumerate() {
            check_key(&expr.key).map_err(|e| format!("matchExpressions[{i}]: {e}"))?;
            let values = expr.values.clone().unwrap_or_default();
            let key = expr.key.clone();
            let requirement = match expr.operator.as_str() {
                "In" | "NotIn" if values.is_empty() => {
                    return Err(format!("matchExpressions[{i}]: operator {} needs values", expr.operator));
                }
                "Exists" | "DoesNotExist" if !values.is_empty() => {
                    return Err(format!("matchExpressions[{i}]: operator {} takes no values", expr.operator));
                }
                "In" => Requirement::In(key, values),
                "NotIn" => Requirement::NotIn(key, values),
                "Exists" => Requirement::Exists(key),
                "DoesNotExist" => Requirement::DoesNotExist(key),
                other => return Err(format!("matchExpressions[{i}]: unknown operator {other:?}")),
            };
            requirements.push(requirement);
        }
        Ok(Self { requirements })
    }

    /// Whether the labels satisfy every requirement. `NotIn` matches a missing key.
    pub fn matches(&self, labels: &Labels) -> bool {
        self.requirements.iter().all(|r| match r {
            Requirement::In(k, vs) => labels.get(k).is_some_and(|v| vs.contains(v)),
            Requirement::NotIn(k, vs) => labels.get(k).is_none_or(|v| !vs.contains(v)),
            Requirement::Exists(k) => labels.contains_key(k),
            Requirement::DoesNotExist(k) => !labels.contains_key(k),
        })
    }
}

fn check_key(key: &str) -> Result<(), String> {
    let name = key.rsplit_once('/').map_or(key, |(_, name)| name);
    if name.is_empty() || name.len() > 63 {
        return Err(format!("invalid label key {key:?}"));
    }
    Ok(())
}
