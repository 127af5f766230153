//! A rule's parts: variables, operator, actions.

use std::fmt;

use super::collection::Collection;

/// `SecRule`'s three parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSpec {
    /// Targets, in order (`ARGS|!ARGS:foo|&TX:x`).
    pub variables: Vec<VariableSpec>,
    /// The operator.
    pub operator: OperatorSpec,
    /// The actions, in order; each `t:` is its own action.
    pub actions: Vec<ActionSpec>,
}

/// One rule target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariableSpec {
    /// `&ARGS`: the number of values instead of the values.
    pub count: bool,
    /// `!ARGS:foo`: removes matching values from the rule's targets.
    pub exclude: bool,
    /// The variable.
    pub collection: Collection,
    /// `:key` or `:/regex/` (for `XML`, the XPath, as a key).
    pub selector: Option<Selector>,
}

/// A collection selector.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Selector {
    /// Exact key, case as written (the evaluator lowercases where ModSecurity does).
    Key(String),
    /// `/regex/`, without the slashes.
    Regex(String),
}

/// A rule's operator: `[!]@name param`, or a bare regex (`@rx`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorSpec {
    /// `!@rx`.
    pub negated: bool,
    /// Name without `@`, as written (`rx` when no `@name` is given).
    pub name: String,
    /// Parameter, verbatim (macros unexpanded).
    pub param: String,
}

/// One action: `name` or `name:value`, value quotes stripped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionSpec {
    /// Canonical name (`skipAfter`, `t`, `setvar`...).
    pub name: String,
    /// The value, without surrounding single quotes; escapes kept verbatim.
    pub value: Option<String>,
}

impl RuleSpec {
    /// The rule's `id`, if any (validated at parse time).
    pub fn id(&self) -> Option<u64> {
        rule_id(&self.actions)
    }
}

/// The `id` in an action list (the first one).
pub fn rule_id(actions: &[ActionSpec]) -> Option<u64> {
    actions.iter().find(|a| a.name == "id").and_then(|a| a.value.as_deref()?.parse().ok())
}

impl fmt::Display for VariableSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prefix = match (self.exclude, self.count) {
            (true, true) => "!&",
            (true, false) => "!",
            (false, true) => "&",
            (false, false) => "",
        };
        write!(f, "{prefix}{}", self.collection)?;
        match &self.selector {
            Some(Selector::Key(key)) => write!(f, ":{key}"),
            Some(Selector::Regex(re)) => write!(f, ":/{re}/"),
            None => Ok(()),
        }
    }
}
