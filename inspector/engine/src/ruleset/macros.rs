//! Macro strings: text with `%{COLLECTION.key}` or `%{VARIABLE}` references, expanded when a
//! rule runs (`msg`, `logdata`, `setvar` values, operator parameters).

use crate::seclang::Collection;

/// A string split into literal text and variable references.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MacroString {
    parts: Vec<Part>,
}

/// One piece of a macro string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Part {
    /// Literal text.
    Text(String),
    /// `%{TX.key}` / `%{MATCHED_VAR}`: a variable and an optional key (lower-cased).
    Var(Collection, Option<String>),
}

impl MacroString {
    /// Parses `text`. `%{...}` naming an unknown variable is an error; a `%{` without `}` is
    /// literal text, as in ModSecurity.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find("%{") {
            let Some(len) = rest[start + 2..].find('}') else { break };
            if start > 0 {
                parts.push(Part::Text(rest[..start].to_owned()));
            }
            let inner = &rest[start + 2..start + 2 + len];
            let (name, key) = match inner.split_once(['.', ':']) {
                Some((name, key)) => (name, Some(key.to_ascii_lowercase())),
                None => (inner, None),
            };
            let collection =
                Collection::from_name(name).ok_or_else(|| format!("unknown variable in macro %{{{inner}}}"))?;
            parts.push(Part::Var(collection, key));
            rest = &rest[start + 3 + len..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_owned()));
        }
        Ok(Self { parts })
    }

    /// Whether the string has any variable reference (otherwise it is constant).
    pub fn is_dynamic(&self) -> bool {
        self.parts.iter().any(|p| matches!(p, Part::Var(..)))
    }

    /// Whether a variable for which `pick` holds appears.
    pub fn mentions(&self, pick: impl Fn(Collection) -> bool) -> bool {
        self.parts.iter().any(|p| matches!(p, Part::Var(c, _) if pick(*c)))
    }

    /// The text of a constant string, borrowed.
    pub fn as_text(&self) -> Option<&str> {
        match self.parts.as_slice() {
            [] => Some(""),
            [Part::Text(t)] => Some(t),
            _ => None,
        }
    }

    /// The text of a constant string.
    pub fn literal(&self) -> Option<String> {
        (!self.is_dynamic()).then(|| self.expand(|_, _, _| {}))
    }

    /// Expands with `lookup(variable, key, out)` appending the first value to `out` (nothing
    /// when absent).
    pub fn expand(&self, mut lookup: impl FnMut(Collection, Option<&str>, &mut Vec<u8>)) -> String {
        let mut out = Vec::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.extend_from_slice(t.as_bytes()),
                Part::Var(c, key) => lookup(*c, key.as_deref(), &mut out),
            }
        }
        String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::{Collection, MacroString};

    #[test]
    fn expands_variables_and_keeps_text() {
        let m =
            MacroString::parse("score %{TX.Anomaly_Score} for %{MATCHED_VAR_NAME}!").unwrap_or_else(|e| panic!("{e}"));
        assert!(m.is_dynamic());
        let out = m.expand(|c, k, out| {
            out.extend_from_slice(match (c, k) {
                (Collection::Tx, Some("anomaly_score")) => b"5",
                (Collection::MatchedVarName, None) => b"ARGS:q",
                _ => b"?",
            })
        });
        assert_eq!(out, "score 5 for ARGS:q!");
    }

    #[test]
    fn constant_and_unterminated_strings_are_literal() {
        assert_eq!(MacroString::parse("plain").ok().and_then(|m| m.literal()), Some("plain".into()));
        assert_eq!(MacroString::parse("50%{ off").ok().and_then(|m| m.literal()), Some("50%{ off".into()));
        assert!(MacroString::parse("%{NOPE.x}").is_err());
    }
}
