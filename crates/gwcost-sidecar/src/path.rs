//! Request paths in one canonical spelling, made before routing and forwarded as made, so a
//! route can't be reached (or avoided) by spelling its path another way and the service sees the
//! path the router saw: percent-encoded unreserved characters (RFC 3986 §2.3) are decoded, other
//! escapes keep upper-case hex, dot segments and empty segments are resolved (§5.2.4; a trailing
//! slash is kept). What different servers read differently is refused: an encoded `/`, `\` or
//! NUL, a raw `\`, `;` path parameters (raw or encoded), a malformed escape, a path that does not
//! start with `/`.

use std::fmt;

/// Why a path was refused (answered 400).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadPath {
    NotAbsolute,
    BadEscape,
    /// `%2F`, `%5C`, `%00`: a separator or NUL hidden in a segment.
    EncodedSeparator,
    /// `\`: a separator on some servers.
    Backslash,
    /// `;`: path parameters (Tomcat, Spring) that the router would not see.
    PathParameter,
}

impl fmt::Display for BadPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NotAbsolute => "the path does not start with /",
            Self::BadEscape => "a malformed percent escape",
            Self::EncodedSeparator => "an encoded /, \\ or NUL",
            Self::Backslash => "a backslash",
            Self::PathParameter => "a ; path parameter",
        })
    }
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// One segment with its escapes normalised.
fn segment(raw: &[u8], out: &mut Vec<u8>) -> Result<(), BadPath> {
    const UPPER: &[u8; 16] = b"0123456789ABCDEF";
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'%' => {
                let (Some(h), Some(l)) = (
                    raw.get(i + 1).copied().and_then(hex),
                    raw.get(i + 2).copied().and_then(hex),
                ) else {
                    return Err(BadPath::BadEscape);
                };
                let b = h * 16 + l;
                match b {
                    b'/' | b'\\' | 0 => return Err(BadPath::EncodedSeparator),
                    b';' => return Err(BadPath::PathParameter),
                    b if is_unreserved(b) => out.push(b),
                    b => out.extend_from_slice(&[
                        b'%',
                        UPPER[usize::from(b >> 4)],
                        UPPER[usize::from(b & 15)],
                    ]),
                }
                i += 3;
            }
            b'\\' => return Err(BadPath::Backslash),
            b';' => return Err(BadPath::PathParameter),
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    Ok(())
}

/// The canonical spelling of `path` (a request URI's path, still percent-encoded), or `None`
/// when it already is canonical (the common case allocates nothing).
pub fn canonicalize(path: &str) -> Result<Option<String>, BadPath> {
    let raw = path.as_bytes();
    if raw.first() != Some(&b'/') {
        return Err(BadPath::NotAbsolute);
    }
    // Fast path: no escape, no dot segment, no empty segment, nothing refused.
    let suspicious = raw.iter().any(|&b| matches!(b, b'%' | b'\\' | b';'))
        || raw.windows(2).any(|w| w == b"//" || w == b"/.");
    if !suspicious {
        return Ok(None);
    }
    let mut segments: Vec<Vec<u8>> = Vec::new();
    let mut trailing_slash = false;
    for raw_seg in raw[1..].split(|&b| b == b'/') {
        let mut seg = Vec::with_capacity(raw_seg.len());
        segment(raw_seg, &mut seg)?;
        match seg.as_slice() {
            b"" | b"." => trailing_slash = true,
            b".." => {
                segments.pop();
                trailing_slash = true;
            }
            _ => {
                segments.push(seg);
                trailing_slash = false;
            }
        }
    }
    let mut out = Vec::with_capacity(raw.len());
    for s in &segments {
        out.push(b'/');
        out.extend_from_slice(s);
    }
    if out.is_empty() || trailing_slash {
        out.push(b'/');
    }
    let out = String::from_utf8(out).map_err(|_| BadPath::BadEscape)?;
    Ok((out != path).then_some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(p: &str) -> Result<String, BadPath> {
        canonicalize(p).map(|c| c.unwrap_or_else(|| p.to_owned()))
    }

    #[test]
    fn every_spelling_of_admin_is_admin() {
        for p in [
            "/admin/x",
            "//admin/x",
            "/./admin/x",
            "/public/../admin/x",
            "/%61dmin/x",
            "/%2e/admin/x",
            "/%2E/admin/x",
            "/public/%2e%2e/admin/x",
            "/public/.%2E/admin/x",
            "/admin//x",
            "/admin/./x",
            "/../../admin/x",
            "/admin/y/../x",
            "/%41DMIN/../admin/x",
        ] {
            assert_eq!(canon(p).as_deref(), Ok("/admin/x"), "{p}");
        }
    }

    #[test]
    fn canonical_paths_are_kept_and_escapes_normalised() {
        assert_eq!(canonicalize("/a/b.txt"), Ok(None));
        assert_eq!(canonicalize("/"), Ok(None));
        assert_eq!(canonicalize("/users/"), Ok(None));
        assert_eq!(canon("/a%20b"), Ok("/a%20b".to_owned()));
        assert_eq!(canon("/a%2fb"), Err(BadPath::EncodedSeparator));
        assert_eq!(canon("/a%c3%a9"), Ok("/a%C3%A9".to_owned()));
        assert_eq!(canon("/a/%7euser"), Ok("/a/~user".to_owned()));
        assert_eq!(canon("/a/b/.."), Ok("/a/".to_owned()));
        assert_eq!(canon("/.."), Ok("/".to_owned()));
        assert_eq!(canon("/a/."), Ok("/a/".to_owned()));
        // %25 stays: the service decodes once and sees `%2e`, not `.`.
        assert_eq!(
            canon("/%252e%252e/admin"),
            Ok("/%252e%252e/admin".to_owned())
        );
    }

    #[test]
    fn ambiguous_spellings_are_refused() {
        for (p, why) in [
            ("/admin%2Fx", BadPath::EncodedSeparator),
            ("/admin%5cx", BadPath::EncodedSeparator),
            ("/admin%00", BadPath::EncodedSeparator),
            ("/admin\\x", BadPath::Backslash),
            ("/admin;jsessionid=1/x", BadPath::PathParameter),
            ("/admin%3b/x", BadPath::PathParameter),
            ("/a%zz", BadPath::BadEscape),
            ("/a%2", BadPath::BadEscape),
            ("*", BadPath::NotAbsolute),
        ] {
            assert_eq!(canonicalize(p), Err(why), "{p}");
        }
    }

    mod fuzz {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

            /// Canonical output is a fixed point, has no dot or empty inner segment, and never
            /// panics on any input.
            #[test]
            fn canonical_is_idempotent(p in "/[a-zA-Z0-9./%;\\\\~_-]{0,40}") {
                if let Ok(c) = canon(&p) {
                    prop_assert_eq!(canonicalize(&c), Ok(None), "{} -> {}", p, c);
                    let inner = c.trim_end_matches('/');
                    for s in inner.split('/').skip(1) {
                        prop_assert!(s != "." && s != ".." && !s.is_empty(), "{} -> {}", p, c);
                    }
                }
            }
        }
    }
}
