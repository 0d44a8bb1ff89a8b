//! The durations of node failure handling, upstream's defaults unless `labsim up` was given
//! shorter ones (for tests and classes that cannot wait five minutes):
//! kube-controller-manager's `--node-monitor-grace-period` (50 s since Kubernetes 1.32, 40 s
//! before: CHANGELOG-1.32 #126287) and
//! kube-apiserver's `--default-not-ready-toleration-seconds` /
//! `--default-unreachable-toleration-seconds` (300, the DefaultTolerationSeconds admission
//! plugin). Process-wide: one labsim process serves one cluster.

use std::sync::RwLock;
use std::time::Duration;

/// The timings in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timings {
    pub node_monitor_grace_period: Duration,
    pub default_not_ready_toleration_seconds: i64,
    pub default_unreachable_toleration_seconds: i64,
}

impl Default for Timings {
    fn default() -> Self {
        Timings {
            node_monitor_grace_period: Duration::from_secs(50),
            default_not_ready_toleration_seconds: 300,
            default_unreachable_toleration_seconds: 300,
        }
    }
}

static CURRENT: RwLock<Option<Timings>> = RwLock::new(None);

/// The timings in force.
pub fn get() -> Timings {
    CURRENT
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .unwrap_or_default()
}

/// Sets the timings (once, at `labsim run`).
pub fn set(t: Timings) {
    *CURRENT.write().unwrap_or_else(|p| p.into_inner()) = Some(t);
}

/// Parses a Go-style duration as the upstream flags take it: `50s`, `1m30s`, `500ms`, `2m`.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let mut total = Duration::ZERO;
    let mut rest = s.trim();
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit())?;
        if digits == 0 {
            return None;
        }
        let n: u64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        total += match unit {
            "ms" => Duration::from_millis(n),
            "s" => Duration::from_secs(n),
            "m" => Duration::from_secs(n * 60),
            "h" => Duration::from_secs(n * 3600),
            _ => return None,
        };
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations_parse() {
        assert_eq!(parse_duration("50s"), Some(Duration::from_secs(50)));
        assert_eq!(parse_duration("1m30s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Some(Duration::from_secs(120)));
        for bad in ["", "s", "5", "5x", "-5s"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
        // kube-controller-manager's default since 1.32 (CHANGELOG-1.32 #126287: "increased to
        // 50s (earlier 40s)").
        assert_eq!(Timings::default().node_monitor_grace_period.as_secs(), 50);
    }
}
