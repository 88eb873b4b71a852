//! Lenient field readers: API Gateway writes every `$context` value as a JSON string and `-` for
//! an empty one, so `"responseLength":"1024"` and `"status":"-"` must read like `1024` and absent.

use std::fmt;

use serde::Deserializer;
use serde::de::{self, Visitor};

use crate::record::{Direction, EventType};

/// A JSON scalar reduced to what the schema needs: absent, an integer, or text.
enum Scalar {
    Absent,
    Int(i128),
    Text(String),
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a number, a string, \"-\" or null")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
        Ok(Scalar::Absent)
    }
    fn visit_none<E: de::Error>(self) -> Result<Scalar, E> {
        Ok(Scalar::Absent)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Scalar, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
        Err(E::invalid_type(de::Unexpected::Bool(v), &self))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
        Ok(Scalar::Int(i128::from(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
        Ok(Scalar::Int(i128::from(v)))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
        // A byte count or epoch written as `1024.0` is still whole; anything else is an error.
        if v.fract() == 0.0 && v.abs() < 9.0e15 {
            #[allow(clippy::cast_possible_truncation)]
            Ok(Scalar::Int(v as i128))
        } else {
            Err(E::invalid_value(
                de::Unexpected::Float(v),
                &"a whole number",
            ))
        }
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
        let t = v.trim();
        if t.is_empty() || t == "-" {
            Ok(Scalar::Absent)
        } else {
            Ok(Scalar::Text(t.to_owned()))
        }
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Scalar, E> {
        self.visit_str(&v)
    }
}

fn scalar<'de, D: Deserializer<'de>>(d: D) -> Result<Scalar, D::Error> {
    d.deserialize_any(ScalarVisitor)
}

fn int<'de, D, T>(d: D, what: &'static str) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<i128>,
{
    let n = match scalar(d)? {
        Scalar::Absent => return Ok(None),
        Scalar::Int(n) => n,
        Scalar::Text(t) => t
            .parse::<i128>()
            .map_err(|_| de::Error::invalid_value(de::Unexpected::Str(&t), &what))?,
    };
    T::try_from(n)
        .map(Some)
        .map_err(|_| de::Error::custom(format_args!("{n} is out of range for {what}")))
}

pub(crate) fn u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    int(d, "a non-negative integer")
}

pub(crate) fn i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    int(d, "an integer")
}

pub(crate) fn u32<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    int(d, "a small non-negative integer")
}

pub(crate) fn u16<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u16>, D::Error> {
    int(d, "a status code (0-65535)")
}

pub(crate) fn string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match scalar(d)? {
        Scalar::Absent => None,
        Scalar::Int(n) => Some(n.to_string()),
        Scalar::Text(t) => Some(t),
    })
}

/// `eventType`: like a string, except that `-` is not "absent" but API Gateway's mark of an
/// upgrade refused before route selection ([`EventType::Refused`]).
pub(crate) fn event_type<'de, D: Deserializer<'de>>(d: D) -> Result<Option<EventType>, D::Error> {
    struct Raw(Option<String>);
    impl<'de> serde::Deserialize<'de> for Raw {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Raw;
                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("REQUEST, CONNECT, MESSAGE, DISCONNECT, \"-\" or null")
                }
                fn visit_unit<E: de::Error>(self) -> Result<Raw, E> {
                    Ok(Raw(None))
                }
                fn visit_none<E: de::Error>(self) -> Result<Raw, E> {
                    Ok(Raw(None))
                }
                fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Raw, D::Error> {
                    d.deserialize_any(V)
                }
                fn visit_str<E: de::Error>(self, v: &str) -> Result<Raw, E> {
                    let t = v.trim();
                    Ok(Raw((!t.is_empty()).then(|| t.to_owned())))
                }
                fn visit_string<E: de::Error>(self, v: String) -> Result<Raw, E> {
                    self.visit_str(&v)
                }
                fn visit_i64<E: de::Error>(self, v: i64) -> Result<Raw, E> {
                    Ok(Raw(Some(v.to_string())))
                }
                fn visit_u64<E: de::Error>(self, v: u64) -> Result<Raw, E> {
                    Ok(Raw(Some(v.to_string())))
                }
            }
            d.deserialize_any(V)
        }
    }
    let Raw(raw) = serde::Deserialize::deserialize(d)?;
    match raw {
        None => Ok(None),
        Some(s) => EventType::parse(&s).map(Some).ok_or_else(|| {
            de::Error::invalid_value(
                de::Unexpected::Str(&s),
                &"REQUEST, CONNECT, MESSAGE, DISCONNECT or -",
            )
        }),
    }
}

pub(crate) fn direction<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Direction>, D::Error> {
    match string(d)? {
        None => Ok(None),
        Some(s) => Direction::parse(&s)
            .map(Some)
            .ok_or_else(|| de::Error::invalid_value(de::Unexpected::Str(&s), &"in or out")),
    }
}
