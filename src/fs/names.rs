//! How remote names become file names. A remote name may contain `/` or NUL, which no file name
//! can: they are shown as the look-alikes `／` (U+FF0F) and `␀` (U+2400), and a name that already
//! contains a look-alike (or the quote `‛`, U+201B) gets it quoted with `‛`, so the mapping is
//! reversible for every name. Two items that end up with one name in a folder are both shown:
//! the first in listing order keeps the name, the others get `~` and the first 8 characters of
//! their id inserted before the extension.

use std::ffi::{OsStr, OsString};

const SLASH: char = '\u{FF0F}';
const NUL: char = '\u{2400}';
const QUOTE: char = '\u{201B}';

/// Linux's limit on one file-name component, in bytes.
pub const NAME_MAX: usize = 255;

/// The file name shown for a remote name.
pub fn to_local(remote: &str) -> String {
    let mut out = String::with_capacity(remote.len());
    for c in remote.chars() {
        match c {
            '/' => out.push(SLASH),
            '\0' => out.push(NUL),
            SLASH | NUL | QUOTE => {
                out.push(QUOTE);
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// The remote name of a file name (the inverse of [`to_local`]).
pub fn to_remote(local: &str) -> String {
    let mut out = String::with_capacity(local.len());
    let mut chars = local.chars();
    while let Some(c) = chars.next() {
        match c {
            QUOTE => out.push(chars.next().unwrap_or(QUOTE)),
            SLASH => out.push('/'),
            NUL => out.push('\0'),
            c => out.push(c),
        }
    }
    out
}

/// `name` made distinct with the start of `id`: `report.pdf` → `report~1a2b3c4d.pdf`; for
/// `n > 0` (that name was taken too) `report~1a2b3c4d-2.pdf`, `-3`, ….
pub fn disambiguate(name: &str, id: &str, n: u32) -> String {
    let mut tag: String = id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(8)
        .collect();
    if n > 0 {
        tag = format!("{tag}-{}", n + 1);
    }
    match name.rfind('.') {
        Some(dot) if dot > 0 => format!("{}~{tag}{}", &name[..dot], &name[dot..]),
        _ => format!("{name}~{tag}"),
    }
}

/// A file name as the kernel gives it, if it is valid UTF-8 (remote names always are).
pub fn from_os(name: &OsStr) -> Option<&str> {
    name.to_str()
}

pub fn os(name: &str) -> OsString {
    OsString::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_is_reversible() {
        for name in [
            "plain",
            "a/b",
            "nul\0here",
            "／",
            "‛／",
            "‛",
            "x‛",
            "a/／/␀\0‛",
            "ünï/cødé",
        ] {
            let local = to_local(name);
            assert!(!local.contains('/') && !local.contains('\0'), "{local:?}");
            assert_eq!(to_remote(&local), name, "{name:?} via {local:?}");
        }
        assert_eq!(to_local("a/b"), "a／b");
        assert_eq!(to_local("a／b"), "a‛／b");
    }

    #[test]
    fn disambiguation_keeps_the_extension() {
        assert_eq!(
            disambiguate("report.pdf", "1a2b3c4d5e", 0),
            "report~1a2b3c4d.pdf"
        );
        assert_eq!(disambiguate("Makefile", "abc", 0), "Makefile~abc");
        assert_eq!(disambiguate(".bashrc", "abcdef123", 0), ".bashrc~abcdef12");
        assert_eq!(disambiguate("a.txt", "d4", 1), "a~d4-2.txt");
    }
}
