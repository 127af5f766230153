//! Where configuration text comes from: the [`Source`] trait, the real filesystem
//! ([`FsSource`]) and an in-memory map for tests and fuzzing ([`MemSource`]).
//!
//! `Include` patterns may use `*` and `?` in any path component (as glob(3) does); a
//! wildcard never matches a leading `.` unless the pattern component starts with one.

use std::collections::BTreeMap;
use std::io;
use std::path::{Component, Path, PathBuf};

/// Reads configuration files and expands `Include` patterns.
pub trait Source {
    /// The text of the file at `path`.
    fn read(&self, path: &Path) -> io::Result<String>;
    /// The files matching `pattern`, sorted. A pattern without wildcards is returned as is
    /// (whether it exists is found out by [`Source::read`]).
    fn glob(&self, pattern: &Path) -> io::Result<Vec<PathBuf>>;
}

/// The real filesystem. Invalid UTF-8 is replaced (U+FFFD), never an error.
#[derive(Debug, Clone, Copy, Default)]
pub struct FsSource;

impl Source for FsSource {
    fn read(&self, path: &Path) -> io::Result<String> {
        let bytes = std::fs::read(path)?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    fn glob(&self, pattern: &Path) -> io::Result<Vec<PathBuf>> {
        if !has_wildcard(pattern) {
            return Ok(vec![pattern.to_path_buf()]);
        }
        let mut found = vec![PathBuf::new()];
        for component in pattern.components() {
            let part = component.as_os_str();
            let text = part.to_string_lossy();
            let mut next = Vec::new();
            for base in &found {
                if !text.contains(['*', '?']) {
                    next.push(base.join(part));
                    continue;
                }
                let dir = if base.as_os_str().is_empty() { Path::new(".") } else { base.as_path() };
                let Ok(entries) = std::fs::read_dir(dir) else { continue };
                for entry in entries.flatten() {
                    let name = entry.file_name();
                    if wildcard_match(&text, &name.to_string_lossy()) {
                        next.push(base.join(name));
                    }
                }
            }
            found = next;
        }
        found.retain(|path| path.is_file());
        found.sort();
        Ok(found)
    }
}

/// An in-memory set of files (path → text); paths are normalized lexically.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemSource {
    files: BTreeMap<PathBuf, String>,
}

impl MemSource {
    /// An empty source.
    pub fn new() -> Self {
        Self::default()
    }

    /// This source plus one file.
    pub fn with(mut self, path: impl AsRef<Path>, text: impl Into<String>) -> Self {
        self.insert(path, text);
        self
    }

    /// Adds or replaces a file.
    pub fn insert(&mut self, path: impl AsRef<Path>, text: impl Into<String>) {
        self.files.insert(normalize(path.as_ref()), text.into());
    }
}

impl Source for MemSource {
    fn read(&self, path: &Path) -> io::Result<String> {
        self.files.get(&normalize(path)).cloned().ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such file"))
    }

    fn glob(&self, pattern: &Path) -> io::Result<Vec<PathBuf>> {
        if !has_wildcard(pattern) {
            return Ok(vec![pattern.to_path_buf()]);
        }
        let wanted = components(&normalize(pattern));
        let matches = |path: &PathBuf| {
            let have = components(path);
            have.len() == wanted.len() && wanted.iter().zip(&have).all(|(p, n)| wildcard_match(p, n))
        };
        // BTreeMap keys are already sorted.
        Ok(self.files.keys().filter(|path| matches(path)).cloned().collect())
    }
}

fn components(path: &Path) -> Vec<String> {
    path.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect()
}

/// Whether `path` contains glob wildcards (`*` or `?`).
pub fn has_wildcard(path: &Path) -> bool {
    path.to_string_lossy().contains(['*', '?'])
}

/// Removes `.` components and resolves `..` lexically (symlinks are not followed).
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => match out.components().next_back() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(".."),
            },
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Matches one path component against a pattern with `*` (any run) and `?` (one char).
pub fn wildcard_match(pattern: &str, name: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let name: Vec<char> = name.chars().collect();
    if name.first() == Some(&'.') && pattern.first() != Some(&'.') {
        return false;
    }
    let (mut p, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while let Some(&c) = name.get(n) {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, n));
                p += 1;
            }
            Some(&want) if want == '?' || want == c => {
                p += 1;
                n += 1;
            }
            _ => match star {
                Some((star_p, star_n)) => {
                    p = star_p + 1;
                    n = star_n + 1;
                    star = Some((star_p, star_n + 1));
                }
                None => return false,
            },
        }
    }
    pattern.get(p..).is_some_and(|rest| rest.iter().all(|&c| c == '*'))
}
