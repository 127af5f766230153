//! `normalizePath` / `normalisePath` and `normalizePathWin` / `normalisePathWin`.
//!
//! A faithful port of ModSecurity's `normalize_path_inplace`: collapses repeated `/`,
//! removes `./` self references and resolves `../` against the previous segment, never
//! above the root (a relative path keeps the `..` it cannot resolve). A trailing `/` is kept
//! only when the input had one. The Windows variant first treats `\` as `/`.

use std::borrow::Cow;

use super::util::finish;

/// `t:normalizePath`.
pub fn normalize_path(input: &[u8]) -> Cow<'_, [u8]> {
    let quiet = !input.contains(&b'.') && !input.windows(2).any(|w| w == b"//") && !input.ends_with(b"/");
    if quiet { Cow::Borrowed(input) } else { finish(input, normalize(input, false)) }
}

/// `t:normalizePathWin`.
pub fn normalize_path_win(input: &[u8]) -> Cow<'_, [u8]> {
    let quiet = !input.contains(&b'\\')
        && !input.contains(&b'.')
        && !input.windows(2).any(|w| w == b"//")
        && !input.ends_with(b"/");
    if quiet { Cow::Borrowed(input) } else { finish(input, normalize(input, true)) }
}

/// The C algorithm on indices: `src` reads and `dst` writes the same buffer.
fn normalize(input: &[u8], win: bool) -> Vec<u8> {
    let mut b = input.to_vec();
    if b.is_empty() {
        return b;
    }
    let is_sep = |c: u8| c == b'/' || (win && c == b'\\');
    let end = b.len() - 1;
    let relative = !is_sep(b[0]);
    let trailing = is_sep(b[end]);
    let (mut src, mut dst): (usize, isize) = (0, 0);
    let mut hitroot = false;
    let mut done = false;
    while !done && src <= end && dst <= end as isize {
        if win {
            if b[src] == b'\\' {
                b[src] = b'/';
            }
            if src < end && b[src + 1] == b'\\' {
                b[src + 1] = b'/';
            }
        }
        let mut skip_copy = false;
        if src == end {
            done = true;
        }
        if src == end || b[src + 1] == b'/' {
            let d = dst as usize;
            if src != end && b[src] == b'/' {
                // An empty segment: the copy below collapses the slashes.
            } else if b[src] == b'.' {
                if d > 0 && b[d - 1] == b'.' {
                    if relative && (hitroot || dst - 2 <= 0) {
                        hitroot = true;
                    } else {
                        dst -= 3;
                        while dst > 0 && b[dst as usize] != b'/' {
                            dst -= 1;
                        }
                        if dst <= 0 {
                            hitroot = true;
                            dst = 0;
                            if !relative && src == end {
                                dst += 1;
                            }
                        }
                        skip_copy = done;
                        src += 1;
                    }
                } else if d == 0 {
                    skip_copy = done;
                    src += 1;
                } else if b[d - 1] == b'/' {
                    skip_copy = done;
                    if !done {
                        dst -= 1;
                    }
                    src += 1;
                }
            } else if d > 0 {
                hitroot = false;
            }
        }
        if skip_copy {
            continue;
        }
        if src > end {
            // The C code reads the byte after the input here (its NUL terminator).
            b.push(0);
        }
        if b[src] == b'/' {
            while src < end && (b[src + 1] == b'/' || (win && b[src + 1] == b'\\')) {
                src += 1;
            }
            if relative && dst == 0 {
                src += 1;
                continue;
            }
        }
        b[dst as usize] = b[src];
        dst += 1;
        src += 1;
    }
    let mut len = dst.max(0) as usize;
    if !trailing && len > 0 && b[len - 1] == b'/' {
        len -= 1;
    }
    b.truncate(len);
    b
}
