//! Rendering for people: UTC times, durations, short digests and truncated values.

use crate::contract::{Failure, Payload};

/// Milliseconds since the Unix epoch as `2026-11-22 05:25:27 UTC`.
pub fn utc(ms: u64) -> String {
    let secs = ms / 1000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The calendar date of a day count since 1970-01-01 (proleptic Gregorian; Howard
/// Hinnant's `civil_from_days`, for non-negative days).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

/// A duration in the largest units that keep it short: `412 ms`, `1.5 s`, `3 min 4 s`,
/// `10 min`, `2 h 5 min`, `3 d 4 h`.
pub fn duration(ms: u64) -> String {
    let s = ms / 1000;
    match ms {
        0..1_000 => format!("{ms} ms"),
        1_000..60_000 => format!("{:.1} s", ms as f64 / 1e3),
        60_000..3_600_000 => two_units(s / 60, "min", s % 60, "s"),
        3_600_000..86_400_000 => two_units(s / 3600, "h", s % 3600 / 60, "min"),
        _ => two_units(s / 86_400, "d", s % 86_400 / 3600, "h"),
    }
}

fn two_units(big: u64, big_unit: &str, small: u64, small_unit: &str) -> String {
    if small == 0 {
        format!("{big} {big_unit}")
    } else {
        format!("{big} {big_unit} {small} {small_unit}")
    }
}

/// A module's workflow types as a person reads them: its dynamic workflow, if it has
/// one, says what it is.
pub fn workflow_types(types: &[String], separator: &str) -> String {
    let shown: Vec<&str> = types
        .iter()
        .map(|t| match t.as_str() {
            weft_types::DYNAMIC_WORKFLOW => "* (dynamic)",
            other => other,
        })
        .collect();
    shown.join(separator)
}

/// The first 12 hex digits of a digest: enough to tell versions apart.
pub fn short_digest(digest: &str) -> &str {
    digest.get(..12).unwrap_or(digest)
}

/// `text` cut to at most `max` characters, ending in `…` when cut.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// A JSON value on one line, truncated to `max` characters.
pub fn json_line(value: &serde_json::Value, max: usize) -> String {
    truncate(&value.to_string(), max)
}

/// A payload decoded as JSON on one line, truncated to `max` characters.
pub fn payload(p: &Payload, max: usize) -> String {
    json_line(&p.to_json(), max)
}

/// A failure as `type: message`, then each of its causes as `; caused by type: message`.
pub fn failure(f: &Failure) -> String {
    let mut chain = f
        .chain()
        .map(|f| format!("{}: {}", f.error_type, f.message));
    let mut out = chain.next().unwrap_or_default();
    for cause in chain {
        out.push_str("; caused by ");
        out.push_str(&cause);
    }
    out
}

/// Rows under a header, each column as wide as its widest cell, two spaces apart.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    for row in std::iter::once(&header).chain(rows) {
        let mut line = String::new();
        for (cell, w) in row.iter().zip(&widths) {
            line.push_str(cell);
            let pad = w - cell.chars().count();
            line.extend(std::iter::repeat_n(' ', pad + 2));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

pub(crate) use crate::schedules::parse_duration;

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_failure_shows_its_causes() {
        let f = Failure::new("child failed", "weft.ChildWorkflowFailure")
            .caused_by(Failure::new("Test message", "TestError"));
        assert_eq!(
            failure(&f),
            "weft.ChildWorkflowFailure: child failed; caused by TestError: Test message"
        );
    }

    #[test]
    fn the_far_future_renders() {
        assert!(utc(u64::MAX).ends_with(" UTC"));
    }

    #[test]
    fn tables_align_columns() {
        let rows = vec![
            vec!["hello".to_string(), "1".to_string(), "x".to_string()],
            vec!["sequence".to_string(), "12".to_string(), String::new()],
        ];
        assert_eq!(
            table(&["NAME", "VERSION", "TYPES"], &rows),
            "NAME      VERSION  TYPES\nhello     1        x\nsequence  12\n"
        );
    }

    #[test]
    fn utc_times() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(951_782_400_000), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc(1_795_324_203_146), "2026-11-22 05:10:03 UTC");
        assert_eq!(utc(4_102_444_799_999), "2099-12-31 23:59:59 UTC");
    }

    #[test]
    fn durations() {
        assert_eq!(duration(0), "0 ms");
        assert_eq!(duration(999), "999 ms");
        assert_eq!(duration(1_520), "1.5 s");
        assert_eq!(duration(184_000), "3 min 4 s");
        assert_eq!(duration(600_000), "10 min");
        assert_eq!(duration(86_400_000), "1 d");
        assert_eq!(duration(7_500_000), "2 h 5 min");
        assert_eq!(duration(3 * 86_400_000 + 4 * 3_600_000), "3 d 4 h");
    }

    #[test]
    fn truncation_counts_characters() {
        assert_eq!(truncate("abc", 3), "abc");
        assert_eq!(truncate("abcd", 3), "ab…");
        assert_eq!(truncate("ééééé", 4), "ééé…");
        assert_eq!(short_digest("abc"), "abc");
        assert_eq!(short_digest("0123456789abcdef"), "0123456789ab");
    }

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("7"), Ok(Duration::from_secs(7)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
        for bad in ["", "s", "1.5s", "-1s", "10 days", "99999999999999999999h"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
