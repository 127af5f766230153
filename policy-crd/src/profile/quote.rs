//! Checks for user strings placed inside generated SecLang.

/// A value safe inside a double-quoted SecLang argument and a single-quoted action value:
/// no quotes, backslashes, commas, control characters or `%{` macros.
pub fn plain(field: &str, value: &str) -> Result<String, String> {
    let bad = value.chars().find(|c| matches!(c, '"' | '\'' | '\\' | ',') || c.is_control());
    match bad {
        _ if value.is_empty() => Err(format!("{field}: must not be empty")),
        Some(c) => Err(format!("{field}: {c:?} is not allowed in {value:?}")),
        None if value.contains("%{") => Err(format!("{field}: macros (%{{) are not allowed in {value:?}")),
        None => Ok(value.to_owned()),
    }
}

/// A regex matching `value` literally.
pub fn regex_literal(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Text for a `#` comment line.
pub fn comment(value: &str) -> String {
    value.chars().filter(|c| !c.is_control()).collect()
}
