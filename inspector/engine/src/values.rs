//! Runtime collections: ordered multimaps of byte strings, as ModSecurity keeps ARGS, headers and
//! cookies. Keys compare case-insensitively (ASCII), like libmodsecurity's variable maps;
//! insertion order is kept, because rules see values in request order.

/// One collection (`ARGS`, `REQUEST_HEADERS`, `TX`, ...).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Values {
    entries: Vec<(Vec<u8>, Vec<u8>)>,
}

impl Values {
    /// An empty collection.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a value (a key may repeat: `a=1&a=2` gives two `ARGS:a`).
    pub fn push(&mut self, key: impl Into<Vec<u8>>, value: impl Into<Vec<u8>>) {
        self.entries.push((key.into(), value.into()));
    }

    /// Replaces every value of `key` with one value (`setvar`, `initcol`).
    pub fn set(&mut self, key: &[u8], value: impl Into<Vec<u8>>) {
        let value = value.into();
        match self.entries.iter().position(|(k, _)| k.eq_ignore_ascii_case(key)) {
            Some(i) => {
                self.entries[i].1 = value;
                if self.entries[i + 1..].iter().any(|(k, _)| k.eq_ignore_ascii_case(key)) {
                    let mut n = 0;
                    self.entries.retain(|(k, _)| {
                        n += 1;
                        n - 1 <= i || !k.eq_ignore_ascii_case(key)
                    });
                }
            }
            None => self.entries.push((key.to_vec(), value)),
        }
    }

    /// Removes every value of `key`.
    pub fn remove(&mut self, key: &[u8]) {
        self.entries.retain(|(k, _)| !k.eq_ignore_ascii_case(key));
    }

    /// The first value of `key`.
    pub fn first(&self, key: &[u8]) -> Option<&[u8]> {
        self.entries.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.as_slice())
    }

    /// Every `(key, value)` whose key equals `key`.
    pub fn get<'a>(&'a self, key: &'a [u8]) -> impl Iterator<Item = (&'a [u8], &'a [u8])> + 'a {
        self.iter().filter(move |(k, _)| k.eq_ignore_ascii_case(key))
    }

    /// Every `(key, value)`, in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        self.entries.iter().map(|(k, v)| (k.as_slice(), v.as_slice()))
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no values.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Sum of key and value lengths (`ARGS_COMBINED_SIZE`).
    pub fn combined_size(&self) -> usize {
        self.entries.iter().map(|(k, v)| k.len() + v.len()).sum()
    }
}

#[cfg(test)]
mod tests;
