//! AGE cells: apimachinery's `duration.HumanDuration` and `translateTimestampSince`.

use chrono::{DateTime, Utc};
use serde_json::Value;

/// What the printers show for a missing or zero timestamp.
pub const UNKNOWN: &str = "<unknown>";

/// `duration.HumanDuration` for a span given in milliseconds (~2-3 significant figures).
///
/// Mirrors apimachinery exactly: up to 1s of clock skew in the future prints `0s`, more prints
/// `<invalid>`; seconds are truncated toward zero like Go's `int(d.Seconds())`.
pub fn human_duration(millis: i64) -> String {
    let seconds = millis / 1000;
    if seconds < -1 {
        return "<invalid>".to_string();
    } else if seconds < 0 {
        return "0s".to_string();
    } else if seconds < 60 * 2 {
        return format!("{seconds}s");
    }
    let minutes = seconds / 60;
    if minutes < 10 {
        let s = seconds % 60;
        if s == 0 {
            return format!("{minutes}m");
        }
        return format!("{minutes}m{s}s");
    } else if minutes < 60 * 3 {
        return format!("{minutes}m");
    }
    let hours = minutes / 60;
    if hours < 8 {
        let m = minutes % 60;
        if m == 0 {
            return format!("{hours}h");
        }
        return format!("{hours}h{m}m");
    } else if hours < 48 {
        return format!("{hours}h");
    } else if hours < 24 * 8 {
        let h = hours % 24;
        if h == 0 {
            return format!("{}d", hours / 24);
        }
        return format!("{}d{}h", hours / 24, h);
    } else if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    } else if hours < 24 * 365 * 8 {
        let dy = (hours / 24) % 365;
        if dy == 0 {
            return format!("{}y", hours / 24 / 365);
        }
        return format!("{}y{}d", hours / 24 / 365, dy);
    }
    format!("{}y", hours / 24 / 365)
}

/// Parses an RFC 3339 timestamp field (`metav1.Time` / `MicroTime`); `None` when absent or null.
pub fn parse_time(v: Option<&Value>) -> Option<DateTime<Utc>> {
    let s = v?.as_str()?;
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// `translateTimestampSince`: the age of `t` at `now`, `<unknown>` when unset.
pub fn since(t: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    match t {
        Some(t) => human_duration((now - t).num_milliseconds()),
        None => UNKNOWN.to_string(),
    }
}

/// The AGE cell of an object: its `metadata.creationTimestamp` relative to `now`.
pub fn age_of(obj: &Value, now: DateTime<Utc>) -> String {
    since(parse_time(obj.pointer("/metadata/creationTimestamp")), now)
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1000;
    const M: i64 = 60 * S;
    const H: i64 = 60 * M;
    const D: i64 = 24 * H;

    #[test]
    fn human_duration_matches_apimachinery_table() {
        // Cases from apimachinery's duration_test.go plus the boundaries of every branch.
        let cases: &[(i64, &str)] = &[
            (-2 * S, "<invalid>"),
            (-1999, "0s"), // int(-1.999) == -1: tolerated skew
            (-S, "0s"),
            (-999, "0s"), // truncates to 0
            (0, "0s"),
            (4 * S, "4s"),
            (S + 999, "1s"),
            (80 * S, "80s"),
            (119 * S + 999, "119s"),
            (2 * M, "2m"),
            (2 * M + 3 * S, "2m3s"),
            (9 * M + 59 * S, "9m59s"),
            (10 * M, "10m"),
            (10 * M + 59 * S, "10m"),
            (24 * M, "24m"),
            (179 * M, "179m"),
            (3 * H, "3h"),
            (3 * H + 30 * M, "3h30m"),
            (7 * H + 59 * M, "7h59m"),
            (8 * H, "8h"),
            (47 * H + 59 * M, "47h"),
            (48 * H, "2d"),
            (2 * D + 5 * H, "2d5h"),
            (7 * D + 23 * H, "7d23h"),
            (8 * D, "8d"),
            (729 * D, "729d"),
            (730 * D, "2y"),
            (731 * D, "2y1d"),
            (8 * 365 * D - H, "7y364d"),
            (8 * 365 * D, "8y"),
            (20 * 365 * D, "20y"),
        ];
        for (ms, want) in cases {
            assert_eq!(human_duration(*ms), *want, "for {ms}ms");
        }
    }

    #[test]
    fn since_handles_missing_and_bad_timestamps() {
        let now = DateTime::parse_from_rfc3339("2026-11-25T03:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(since(None, now), UNKNOWN);
        let obj = serde_json::json!({"metadata": {"creationTimestamp": "2026-11-25T02:57:57Z"}});
        assert_eq!(age_of(&obj, now), "2m3s");
        let bad = serde_json::json!({"metadata": {"creationTimestamp": "yesterday"}});
        assert_eq!(age_of(&bad, now), UNKNOWN);
        let null = serde_json::json!({"metadata": {"creationTimestamp": null}});
        assert_eq!(age_of(&null, now), UNKNOWN);
        let micro = serde_json::json!("2026-11-25T02:59:55.123456Z");
        assert_eq!(since(parse_time(Some(&micro)), now), "4s");
    }
}
