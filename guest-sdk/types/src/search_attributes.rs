//! Typed search attributes: the values the host indexes so that executions can be found
//! by business fields (`weft list --query "OrderStatus = 'shipped'"`).
//!
//! A value travels in a JSON payload that names its type, so the host can index it
//! without guessing:
//!
//! | type          | payload                                                  |
//! |---------------|----------------------------------------------------------|
//! | `Keyword`     | `{"type":"Keyword","value":"shipped"}`                   |
//! | `Text`        | `{"type":"Text","value":"left at the door"}`             |
//! | `Int`         | `{"type":"Int","value":42}`                              |
//! | `Double`      | `{"type":"Double","value":3.14}`                         |
//! | `Bool`        | `{"type":"Bool","value":true}`                           |
//! | `Datetime`    | `{"type":"Datetime","value":"2024-05-01T12:00:00.250Z"}` |
//! | `KeywordList` | `{"type":"KeywordList","value":["a","b"]}`               |
//! | (removed)     | `null`                                                   |
//!
//! Datetimes are RFC 3339, kept to the millisecond (an offset is converted to UTC).
//! A name keeps the type it was first given on a host; another type for it is refused.
//!
//! This module is shared by the SDK and the host (which decodes what workflows send and
//! what clients give at start).

use std::fmt;

use serde::{Deserialize, Serialize};

/// The type of a search attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum SearchAttributeKind {
    Keyword,
    Text,
    Int,
    Double,
    Bool,
    Datetime,
    KeywordList,
}

impl SearchAttributeKind {
    /// Every type, in declaration order.
    pub const ALL: [SearchAttributeKind; 7] = [
        SearchAttributeKind::Keyword,
        SearchAttributeKind::Text,
        SearchAttributeKind::Int,
        SearchAttributeKind::Double,
        SearchAttributeKind::Bool,
        SearchAttributeKind::Datetime,
        SearchAttributeKind::KeywordList,
    ];

    /// The type's name, as payloads and the command line spell it.
    pub fn name(self) -> &'static str {
        match self {
            SearchAttributeKind::Keyword => "Keyword",
            SearchAttributeKind::Text => "Text",
            SearchAttributeKind::Int => "Int",
            SearchAttributeKind::Double => "Double",
            SearchAttributeKind::Bool => "Bool",
            SearchAttributeKind::Datetime => "Datetime",
            SearchAttributeKind::KeywordList => "KeywordList",
        }
    }

    /// The type named `name` (case-insensitive).
    pub fn parse(name: &str) -> Result<SearchAttributeKind, String> {
        Self::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|k| k.name()).collect();
                format!(
                    "`{name}` is not a search attribute type ({})",
                    names.join(", ")
                )
            })
    }

    /// The byte that stands for the type in stored records; never renumber.
    pub fn byte(self) -> u8 {
        self as u8
    }

    /// The type a stored byte stands for.
    pub fn from_byte(byte: u8) -> Option<SearchAttributeKind> {
        Self::ALL.get(byte as usize).copied()
    }
}

impl fmt::Display for SearchAttributeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A point in time to the millisecond, written as RFC 3339 in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Datetime {
    /// Milliseconds since the Unix epoch (negative before it).
    pub unix_ms: i64,
}

impl Datetime {
    pub fn from_unix_ms(unix_ms: i64) -> Datetime {
        Datetime { unix_ms }
    }

    /// The time `t` (the workflow's `ctx.now()`, say), to the millisecond.
    pub fn from_system_time(t: std::time::SystemTime) -> Datetime {
        let unix_ms = match t.duration_since(std::time::UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
            Err(e) => -i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX),
        };
        Datetime { unix_ms }
    }

    /// Parse RFC 3339: `2024-05-01T12:00:00Z`, with optional fractional seconds (kept
    /// to the millisecond) and a `Z` or `±HH:MM` offset.
    pub fn parse(text: &str) -> Result<Datetime, String> {
        parse_rfc3339(text).ok_or_else(|| {
            format!("`{text}` is not an RFC 3339 date and time (such as 2024-05-01T12:00:00Z)")
        })
    }
}

impl fmt::Display for Datetime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.unix_ms.div_euclid(86_400_000);
        let ms_of_day = self.unix_ms.rem_euclid(86_400_000);
        let (y, m, d) = civil_from_days(days);
        let (h, min, s, ms) = (
            ms_of_day / 3_600_000,
            ms_of_day / 60_000 % 60,
            ms_of_day / 1000 % 60,
            ms_of_day % 1000,
        );
        write!(f, "{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}")?;
        if ms != 0 {
            write!(f, ".{ms:03}")?;
        }
        f.write_str("Z")
    }
}

impl Serialize for Datetime {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Datetime {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Datetime::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// (year, month, day) → days since 1970-01-01, proleptic Gregorian.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn parse_rfc3339(text: &str) -> Option<Datetime> {
    let b = text.as_bytes();
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let s = text.get(range)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let month_days = [
        31,
        28 + u32::from(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)),
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&mo) || d < 1 || d > i64::from(month_days[(mo - 1) as usize]) {
        return None;
    }
    if h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let mut at = 19;
    let mut ms = 0;
    if b[at] == b'.' {
        let digits = b[at + 1..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if digits == 0 {
            return None;
        }
        let frac = &text[at + 1..at + 1 + digits];
        ms = format!("{frac:0<3}")[..3].parse::<i64>().ok()?;
        at += 1 + digits;
    }
    let offset_min = match &text[at..] {
        "Z" | "z" => 0,
        rest if rest.len() == 6
            && matches!(rest.as_bytes()[0], b'+' | b'-')
            && rest.as_bytes()[3] == b':' =>
        {
            let (oh, om) = (num(at + 1..at + 3)?, num(at + 4..at + 6)?);
            if oh > 23 || om > 59 {
                return None;
            }
            let sign = if rest.starts_with('-') { -1 } else { 1 };
            sign * (oh * 60 + om)
        }
        _ => return None,
    };
    let days = days_from_civil(y, mo as u32, d as u32);
    let secs = days * 86_400 + h * 3600 + mi * 60 + s - offset_min * 60;
    Some(Datetime {
        unix_ms: secs * 1000 + ms,
    })
}

/// A typed search attribute value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value")]
pub enum SearchAttributeValue {
    /// An exact-match string: ids, statuses, names.
    Keyword(String),
    /// Free text (matched as a whole string by weft's queries).
    Text(String),
    Int(i64),
    Double(f64),
    Bool(bool),
    Datetime(Datetime),
    /// Several keywords; `Name = 'x'` matches when any of them is `x`.
    KeywordList(Vec<String>),
}

impl SearchAttributeValue {
    pub fn keyword(s: impl Into<String>) -> Self {
        SearchAttributeValue::Keyword(s.into())
    }

    pub fn text(s: impl Into<String>) -> Self {
        SearchAttributeValue::Text(s.into())
    }

    pub fn keyword_list<S: Into<String>>(items: impl IntoIterator<Item = S>) -> Self {
        SearchAttributeValue::KeywordList(items.into_iter().map(Into::into).collect())
    }

    pub fn datetime(t: std::time::SystemTime) -> Self {
        SearchAttributeValue::Datetime(Datetime::from_system_time(t))
    }

    /// The value's type.
    pub fn kind(&self) -> SearchAttributeKind {
        match self {
            SearchAttributeValue::Keyword(_) => SearchAttributeKind::Keyword,
            SearchAttributeValue::Text(_) => SearchAttributeKind::Text,
            SearchAttributeValue::Int(_) => SearchAttributeKind::Int,
            SearchAttributeValue::Double(_) => SearchAttributeKind::Double,
            SearchAttributeValue::Bool(_) => SearchAttributeKind::Bool,
            SearchAttributeValue::Datetime(_) => SearchAttributeKind::Datetime,
            SearchAttributeValue::KeywordList(_) => SearchAttributeKind::KeywordList,
        }
    }

    /// A value of type `kind` read from the text a person typed (`5`, `true`,
    /// `2024-05-01T00:00:00Z`; a keyword list as a JSON array or comma-separated).
    pub fn parse_as(kind: SearchAttributeKind, text: &str) -> Result<Self, String> {
        let bad = |what: &str| format!("`{text}` is not {what}");
        Ok(match kind {
            SearchAttributeKind::Keyword => SearchAttributeValue::Keyword(text.to_string()),
            SearchAttributeKind::Text => SearchAttributeValue::Text(text.to_string()),
            SearchAttributeKind::Int => {
                SearchAttributeValue::Int(text.trim().parse().map_err(|_| bad("an Int"))?)
            }
            SearchAttributeKind::Double => {
                let v: f64 = text.trim().parse().map_err(|_| bad("a Double"))?;
                if !v.is_finite() {
                    return Err(bad("a finite Double"));
                }
                SearchAttributeValue::Double(v)
            }
            SearchAttributeKind::Bool => {
                SearchAttributeValue::Bool(text.trim().parse().map_err(|_| bad("a Bool"))?)
            }
            SearchAttributeKind::Datetime => {
                SearchAttributeValue::Datetime(Datetime::parse(text.trim())?)
            }
            SearchAttributeKind::KeywordList => match serde_json::from_str::<Vec<String>>(text) {
                Ok(list) => SearchAttributeValue::KeywordList(list),
                Err(_) if !text.trim_start().starts_with('[') => SearchAttributeValue::KeywordList(
                    text.split(',').map(|s| s.trim().to_string()).collect(),
                ),
                Err(e) => return Err(format!("`{text}` is not a JSON array of strings: {e}")),
            },
        })
    }

    /// Guess the type from text with none given: an integer is an `Int`, a number a
    /// `Double`, `true`/`false` a `Bool`, anything else a `Keyword`.
    pub fn infer(text: &str) -> Self {
        if let Ok(i) = text.parse::<i64>() {
            return SearchAttributeValue::Int(i);
        }
        if let Ok(v) = text.parse::<f64>() {
            if v.is_finite() && text.bytes().any(|c| c.is_ascii_digit()) {
                return SearchAttributeValue::Double(v);
            }
        }
        if let Ok(b) = text.parse::<bool>() {
            return SearchAttributeValue::Bool(b);
        }
        SearchAttributeValue::Keyword(text.to_string())
    }

    /// Refuse values the host cannot index (a double that is not finite).
    pub fn check(&self) -> Result<(), String> {
        match self {
            SearchAttributeValue::Double(v) if !v.is_finite() => {
                Err(format!("{v} is not a finite Double"))
            }
            _ => Ok(()),
        }
    }
}

impl fmt::Display for SearchAttributeValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SearchAttributeValue::Keyword(s) | SearchAttributeValue::Text(s) => {
                write!(f, "{s:?}")
            }
            SearchAttributeValue::Int(i) => write!(f, "{i}"),
            SearchAttributeValue::Double(v) => write!(f, "{v:?}"),
            SearchAttributeValue::Bool(b) => write!(f, "{b}"),
            SearchAttributeValue::Datetime(t) => write!(f, "{t}"),
            SearchAttributeValue::KeywordList(l) => write!(f, "{l:?}"),
        }
    }
}

/// The JSON bytes of an upsert's payload: the value, or `null` to remove it.
pub fn encode(value: Option<&SearchAttributeValue>) -> Vec<u8> {
    serde_json::to_vec(&value).expect("search attribute values always encode")
}

/// Read an upsert's payload (JSON bytes): `None` removes the attribute.
///
/// The error is a sentence fragment meant to follow "the value of X ".
pub fn decode(json: &[u8]) -> Result<Option<SearchAttributeValue>, String> {
    let value: Option<SearchAttributeValue> = serde_json::from_slice(json).map_err(|e| {
        format!(
            "is not a typed search attribute value ({e}); expected JSON such as \
             {{\"type\":\"Int\",\"value\":5}} or null"
        )
    })?;
    if let Some(v) = &value {
        v.check().map_err(|e| format!("is refused: {e}"))?;
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetimes_round_trip_through_rfc3339() {
        for text in [
            "1970-01-01T00:00:00Z",
            "2024-02-29T23:59:59.250Z",
            "1969-12-31T23:59:59.999Z",
            "2100-03-01T00:00:00Z",
        ] {
            let t = Datetime::parse(text).unwrap();
            assert_eq!(t.to_string(), text);
        }
        assert_eq!(
            Datetime::parse("1970-01-01T01:00:00+01:00")
                .unwrap()
                .unix_ms,
            0
        );
        assert_eq!(
            Datetime::parse("1970-01-01T00:00:01.5Z").unwrap().unix_ms,
            1500
        );
        for bad in [
            "2024-02-30T00:00:00Z",
            "2024-01-01",
            "2024-01-01T00:00:00",
            "x",
        ] {
            assert!(Datetime::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn payloads_name_the_type() {
        let v = SearchAttributeValue::Int(5);
        assert_eq!(encode(Some(&v)), br#"{"type":"Int","value":5}"#);
        assert_eq!(decode(&encode(Some(&v))).unwrap(), Some(v));
        assert_eq!(decode(b"null").unwrap(), None);
        let list = SearchAttributeValue::keyword_list(["a", "b"]);
        assert_eq!(decode(&encode(Some(&list))).unwrap(), Some(list));
        let err = decode(br#"{"type":"Long","value":5}"#).unwrap_err();
        assert!(err.contains("typed search attribute"), "{err}");
    }

    #[test]
    fn text_parses_by_type_or_by_guess() {
        use SearchAttributeKind as K;
        assert_eq!(
            SearchAttributeValue::parse_as(K::Int, "5").unwrap(),
            SearchAttributeValue::Int(5)
        );
        assert!(SearchAttributeValue::parse_as(K::Int, "five").is_err());
        assert_eq!(
            SearchAttributeValue::parse_as(K::KeywordList, "a, b").unwrap(),
            SearchAttributeValue::keyword_list(["a", "b"])
        );
        assert_eq!(
            SearchAttributeValue::infer("2.5"),
            SearchAttributeValue::Double(2.5)
        );
        assert_eq!(
            SearchAttributeValue::infer("true"),
            SearchAttributeValue::Bool(true)
        );
        assert_eq!(
            SearchAttributeValue::infer("abc"),
            SearchAttributeValue::keyword("abc")
        );
        assert_eq!(K::parse("keywordlist").unwrap(), K::KeywordList);
        assert!(K::parse("Long").unwrap_err().contains("Keyword"));
    }
}
