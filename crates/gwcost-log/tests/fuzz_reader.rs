//! Fuzzing the log-line reader on stable Rust with proptest: arbitrary bytes, JSON-ish mutations
//! and objects made of the schema's own keys with values of every JSON type must never panic;
//! whatever parses must write back a line that parses to the same record. The inputs that once
//! mattered (numbers as strings, `-`, huge numbers, deep nesting, invalid UTF-8) are kept as a
//! corpus in `tests/fuzz_corpus/` and replayed by `corpus_lines_never_panic`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use gwcost_log::LogRecord;
use proptest::prelude::*;

/// The schema's keys, and one it does not know (readers ignore unknown fields).
fn key() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        prop::sample::select(gwcost_log::KNOWN_FIELDS),
        Just("unknownKey"),
    ]
}

/// Any JSON value, nested a few levels.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<u64>().prop_map(serde_json::Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(serde_json::Value::from),
        // Numbers as strings, `-`, CLF times, event names, junk.
        prop_oneof![
            Just("-".to_owned()),
            Just("".to_owned()),
            Just("200".to_owned()),
            Just("18446744073709551616".to_owned()),
            Just("-1".to_owned()),
            Just("1e3".to_owned()),
            Just("01/Dec/2025:00:00:00 +0000".to_owned()),
            Just("MESSAGE".to_owned()),
            Just("CONNECT".to_owned()),
            Just("IN".to_owned()),
            ".*",
        ]
        .prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            prop::collection::btree_map("[a-z]{1,4}", inner, 0..4)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

/// An object of schema keys with values of any type.
fn schema_object() -> impl Strategy<Value = String> {
    prop::collection::vec((key(), json_value()), 0..12).prop_map(|kv| {
        let mut m = serde_json::Map::new();
        for (k, v) in kv {
            m.insert(k.to_owned(), v);
        }
        serde_json::Value::Object(m).to_string()
    })
}

/// Whatever parses writes a line that parses back to the same record.
fn check_round_trip(bytes: &[u8]) {
    if let Ok(rec) = LogRecord::from_json(bytes) {
        let mut line = Vec::new();
        rec.write_json_line(&mut line).unwrap();
        assert_eq!(line.last(), Some(&b'\n'));
        assert_eq!(line.iter().filter(|b| **b == b'\n').count(), 1, "one line");
        let again = LogRecord::from_json(&line[..line.len() - 1]).unwrap();
        assert_eq!(again, rec);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        check_round_trip(&bytes);
    }

    #[test]
    fn schema_objects_with_any_value_types_never_panic(obj in schema_object()) {
        check_round_trip(obj.as_bytes());
    }

    #[test]
    fn mutated_valid_lines_never_panic(
        obj in schema_object(),
        cuts in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
    ) {
        // Flip, cut and splice bytes of a valid line: half-written lines, bit rot.
        let mut bytes = obj.into_bytes();
        for (at, b) in cuts {
            if bytes.is_empty() {
                break;
            }
            let i = at.index(bytes.len());
            match b % 3 {
                0 => bytes[i] = b,
                1 => bytes.truncate(i),
                _ => bytes.insert(i, b),
            }
        }
        check_round_trip(&bytes);
    }
}

#[test]
fn corpus_lines_never_panic() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_corpus");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        for line in bytes.split(|b| *b == b'\n') {
            check_round_trip(line);
            n += 1;
        }
    }
    assert!(n >= 10, "the corpus is there: {n} lines");
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    // serde_json stops at 128 levels; the reader must pass that on as an error.
    let deep = format!(
        "{{\"path\":{}{}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert!(LogRecord::from_json(deep.as_bytes()).is_err());
}
