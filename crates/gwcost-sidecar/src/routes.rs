//! API Gateway route keys (`GET /messages`, `GET /users/{id}`, `ANY /files/{proxy+}`, `$default`)
//! and HTTP API's matching rule: the most specific route wins — literal segments before path
//! variables before a greedy `{proxy+}`, a named method before `ANY`, `$default` last.
//!
//! The table is sorted once at start-up so that matching a request is one pass over the routes
//! with no allocation.

use std::cmp::Ordering;
use std::fmt;

use http::Method;

/// One path segment of a route key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Literal(String),
    /// `{name}`: exactly one segment.
    Var(String),
    /// `{name+}`: one or more segments; only last.
    Greedy(String),
}

impl Segment {
    fn rank(&self) -> u8 {
        match self {
            Self::Literal(_) => 0,
            Self::Var(_) => 1,
            Self::Greedy(_) => 2,
        }
    }
}

/// A parsed route key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoutePattern {
    Default,
    Path {
        /// `None` is `ANY`.
        method: Option<Method>,
        segments: Vec<Segment>,
    },
}

impl RoutePattern {
    /// Parses a route key as API Gateway writes it.
    pub fn parse(key: &str) -> Result<Self, String> {
        if key == "$default" {
            return Ok(Self::Default);
        }
        let (m, path) = key
            .split_once(' ')
            .ok_or_else(|| format!("{key:?} is not \"METHOD /path\" or \"$default\""))?;
        let method = parse_method(m)?;
        if !path.starts_with('/') {
            return Err(format!("{key:?}: the path must start with /"));
        }
        let mut segments = Vec::new();
        let trimmed = &path[1..];
        if !trimmed.is_empty() {
            let parts: Vec<&str> = trimmed.split('/').collect();
            for (i, s) in parts.iter().enumerate() {
                if s.is_empty() {
                    return Err(format!("{key:?}: empty path segment"));
                }
                let seg = if let Some(inner) = s.strip_prefix('{').and_then(|r| r.strip_suffix('}'))
                {
                    if let Some(name) = inner.strip_suffix('+') {
                        if i + 1 != parts.len() {
                            return Err(format!("{key:?}: {{{name}+}} must be the last segment"));
                        }
                        Segment::Greedy(valid_name(name, key)?)
                    } else {
                        Segment::Var(valid_name(inner, key)?)
                    }
                } else if s.contains(['{', '}', ' ']) {
                    return Err(format!("{key:?}: bad segment {s:?}"));
                } else {
                    Segment::Literal((*s).to_owned())
                };
                segments.push(seg);
            }
        }
        Ok(Self::Path { method, segments })
    }

    /// Whether a request with this method and path matches.
    pub fn matches(&self, req_method: &Method, path: &str) -> bool {
        let Self::Path { method, segments } = self else {
            return true;
        };
        if let Some(m) = method
            && m != req_method
        {
            return false;
        }
        let rest = path.strip_prefix('/').unwrap_or(path);
        // `/` has no segments; `split` would yield one empty one.
        let mut parts = rest.split('/').skip(usize::from(rest.is_empty()));
        for seg in segments {
            match seg {
                Segment::Literal(l) => {
                    if parts.next() != Some(l.as_str()) {
                        return false;
                    }
                }
                Segment::Var(_) => match parts.next() {
                    Some(p) if !p.is_empty() => {}
                    _ => return false,
                },
                Segment::Greedy(_) => {
                    return matches!(parts.next(), Some(p) if !p.is_empty());
                }
            }
        }
        parts.next().is_none()
    }

    /// Most specific first: compares segment kinds position by position, then method.
    fn specificity(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Self::Default, Self::Default) => Ordering::Equal,
            (Self::Default, _) => Ordering::Greater,
            (_, Self::Default) => Ordering::Less,
            (
                Self::Path {
                    method: ma,
                    segments: sa,
                },
                Self::Path {
                    method: mb,
                    segments: sb,
                },
            ) => {
                for (a, b) in sa.iter().zip(sb) {
                    match a.rank().cmp(&b.rank()) {
                        Ordering::Equal => {}
                        o => return o,
                    }
                }
                // Longer literal paths first; then a named method before ANY.
                sb.len()
                    .cmp(&sa.len())
                    .then_with(|| ma.is_none().cmp(&mb.is_none()))
            }
        }
    }
}

fn valid_name(name: &str, key: &str) -> Result<String, String> {
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(format!("{key:?}: bad path variable name {name:?}"));
    }
    Ok(name.to_owned())
}

impl fmt::Display for RoutePattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Default => f.write_str("$default"),
            Self::Path { method, segments } => {
                match method {
                    Some(m) => write!(f, "{m} ")?,
                    None => f.write_str("ANY ")?,
                }
                if segments.is_empty() {
                    return f.write_str("/");
                }
                for s in segments {
                    match s {
                        Segment::Literal(l) => write!(f, "/{l}")?,
                        Segment::Var(v) => write!(f, "/{{{v}}}")?,
                        Segment::Greedy(v) => write!(f, "/{{{v}+}}")?,
                    }
                }
                Ok(())
            }
        }
    }
}

/// Route patterns in match order, each with the index of its route in the configuration.
#[derive(Debug, Clone)]
pub struct RouteTable {
    ordered: Vec<(RoutePattern, usize)>,
}

impl RouteTable {
    pub fn new<'a>(patterns: impl IntoIterator<Item = &'a RoutePattern>) -> Self {
        let mut ordered: Vec<(RoutePattern, usize)> = patterns
            .into_iter()
            .cloned()
            .enumerate()
            .map(|(i, p)| (p, i))
            .collect();
        // Stable: equally specific routes keep their configuration order.
        ordered.sort_by(|a, b| a.0.specificity(&b.0));
        Self { ordered }
    }

    /// The configuration index of the most specific matching route.
    pub fn find(&self, method: &Method, path: &str) -> Option<usize> {
        self.ordered
            .iter()
            .find(|(p, _)| p.matches(method, path))
            .map(|(_, i)| *i)
    }
}

/// The method a route key names, `None` for `ANY`. Only the methods API Gateway routes accept.
pub fn parse_method(s: &str) -> Result<Option<Method>, String> {
    Ok(Some(match s {
        "ANY" => return Ok(None),
        "GET" => Method::GET,
        "POST" => Method::POST,
        "PUT" => Method::PUT,
        "PATCH" => Method::PATCH,
        "DELETE" => Method::DELETE,
        "HEAD" => Method::HEAD,
        "OPTIONS" => Method::OPTIONS,
        _ => {
            return Err(format!(
                "{s:?} is not GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or ANY"
            ));
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(keys: &[&str]) -> RouteTable {
        let pats: Vec<RoutePattern> = keys
            .iter()
            .map(|k| RoutePattern::parse(k).unwrap())
            .collect();
        RouteTable::new(&pats)
    }

    #[test]
    fn parse_and_display_round_trip() {
        for k in [
            "$default",
            "GET /messages",
            "GET /users/{id}",
            "ANY /files/{proxy+}",
            "POST /",
            "ANY /{proxy+}",
        ] {
            assert_eq!(RoutePattern::parse(k).unwrap().to_string(), k);
        }
        for bad in [
            "GET",
            "get /a",
            "GET a",
            "GET /a//b",
            "GET /{p+}/x",
            "GET /{}",
            "GET /a{b",
        ] {
            assert!(RoutePattern::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn most_specific_wins() {
        let keys = [
            "$default",
            "ANY /files/{proxy+}",
            "GET /users/{id}",
            "GET /messages",
            "ANY /messages",
            "GET /users/me",
            "ANY /{proxy+}",
        ];
        let t = table(&keys);
        let get = Method::GET;
        let post = Method::POST;
        let name = |m: &Method, p: &str| t.find(m, p).map(|i| keys[i]);
        assert_eq!(name(&get, "/messages"), Some("GET /messages"));
        assert_eq!(name(&post, "/messages"), Some("ANY /messages"));
        assert_eq!(name(&get, "/users/42"), Some("GET /users/{id}"));
        assert_eq!(name(&get, "/users/me"), Some("GET /users/me"));
        assert_eq!(name(&post, "/users/42"), Some("ANY /{proxy+}"));
        assert_eq!(name(&get, "/users/42/x"), Some("ANY /{proxy+}"));
        assert_eq!(name(&get, "/files/a/b/c.txt"), Some("ANY /files/{proxy+}"));
        assert_eq!(
            name(&Method::DELETE, "/files/x"),
            Some("ANY /files/{proxy+}")
        );
        assert_eq!(name(&get, "/files"), Some("ANY /{proxy+}"));
        assert_eq!(name(&get, "/"), Some("$default"));
    }

    #[test]
    fn no_default_no_match() {
        let t = table(&["GET /messages", "GET /users/{id}"]);
        assert_eq!(t.find(&Method::GET, "/users"), None);
        assert_eq!(t.find(&Method::GET, "/users/"), None);
        assert_eq!(t.find(&Method::GET, "/messages/1"), None);
        assert_eq!(t.find(&Method::HEAD, "/messages"), None);
        assert_eq!(t.find(&Method::GET, "/messages"), Some(0));
        let root = table(&["GET /"]);
        assert_eq!(root.find(&Method::GET, "/"), Some(0));
        assert_eq!(root.find(&Method::GET, "/a"), None);
    }

    mod fuzz {
        //! proptest: arbitrary route keys, methods and paths never panic, and `find` returns
        //! a matching route that no other matching route beats in specificity.
        use super::*;
        use proptest::prelude::*;

        /// Route keys built from a small alphabet so that they often overlap.
        fn route_key() -> impl Strategy<Value = String> {
            let seg = prop_oneof![
                Just("a".to_owned()),
                Just("b".to_owned()),
                Just("{id}".to_owned()),
                Just("{x}".to_owned()),
            ];
            (
                prop::sample::select(vec!["GET", "POST", "ANY", "DELETE"]),
                prop::collection::vec(seg, 0..4),
                any::<bool>(),
            )
                .prop_map(|(m, segs, greedy)| {
                    let mut p = String::new();
                    for s in &segs {
                        p.push('/');
                        p.push_str(s);
                    }
                    if greedy {
                        p.push_str("/{proxy+}");
                    }
                    if p.is_empty() {
                        p.push('/');
                    }
                    format!("{m} {p}")
                })
        }

        fn path() -> impl Strategy<Value = String> {
            prop::collection::vec(
                prop_oneof![Just("a"), Just("b"), Just("c"), Just(""), Just("%2F")],
                0..6,
            )
            .prop_map(|segs| format!("/{}", segs.join("/")))
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

            #[test]
            fn arbitrary_keys_parse_or_fail_without_panic(key in ".{0,40}") {
                if let Ok(p) = RoutePattern::parse(&key) {
                    // What parses prints back to a key that parses to the same pattern.
                    prop_assert_eq!(RoutePattern::parse(&p.to_string()), Ok(p));
                }
            }

            #[test]
            fn arbitrary_methods_and_paths_never_panic(
                keys in prop::collection::vec(route_key(), 0..8),
                method in "[A-Za-z!#$%&'*+.^_`|~-]{1,12}",
                raw_path in ".{0,60}",
            ) {
                let pats: Vec<RoutePattern> =
                    keys.iter().filter_map(|k| RoutePattern::parse(k).ok()).collect();
                let t = RouteTable::new(&pats);
                if let Ok(m) = Method::from_bytes(method.as_bytes()) {
                    let _ = t.find(&m, &raw_path);
                }
            }

            #[test]
            fn find_returns_a_most_specific_match(
                keys in prop::collection::vec(route_key(), 1..8),
                with_default in any::<bool>(),
                method in prop::sample::select(vec![Method::GET, Method::POST, Method::PUT]),
                path in path(),
            ) {
                let mut pats: Vec<RoutePattern> =
                    keys.iter().map(|k| RoutePattern::parse(k).unwrap()).collect();
                if with_default {
                    pats.push(RoutePattern::Default);
                }
                let t = RouteTable::new(&pats);
                let matching: Vec<usize> =
                    (0..pats.len()).filter(|&i| pats[i].matches(&method, &path)).collect();
                match t.find(&method, &path) {
                    None => prop_assert!(matching.is_empty(), "missed {:?}", matching),
                    Some(i) => {
                        prop_assert!(pats[i].matches(&method, &path));
                        for &j in &matching {
                            prop_assert_ne!(
                                pats[j].specificity(&pats[i]),
                                Ordering::Less,
                                "{} beats {} for {} {}", pats[j], pats[i], method, path
                            );
                        }
                        // Independent of the comparator: an all-literal route with the request's
                        // own method is an exact match and must win.
                        let exact = matching.iter().find(|&&j| matches!(
                            &pats[j],
                            RoutePattern::Path { method: Some(m), segments }
                                if *m == method
                                    && segments.iter().all(|s| matches!(s, Segment::Literal(_)))
                        ));
                        if let Some(&j) = exact {
                            prop_assert_eq!(&pats[i], &pats[j]);
                        }
                        // `$default` only when nothing else matches.
                        if pats[i] == RoutePattern::Default {
                            prop_assert!(matching.iter().all(|&j| pats[j] == RoutePattern::Default));
                        }
                    }
                }
            }
        }
    }
}
