//! client-go's EventCorrelator (tools/record/events_cache.go), which every recorder runs before
//! writing: the **spam filter**, a token bucket per source, involved object and event type
//! (burst 25, refilled one per 5 min; the type is in the key since client-go 1.32, `getSpamKey`),
//! drops events past it; the **aggregator** turns the 10th distinct
//! message of one reason about one object within 10 min into
//! `(combined from similar events): <message>`, one event whose count grows. Like client-go's,
//! the state lives in the recording process's memory.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{name, namespace, uid};

pub const SPAM_BURST: f64 = 25.0;
/// Tokens per second (one per 300 s).
pub const SPAM_QPS: f64 = 1.0 / 300.0;
pub const AGGREGATE_MAX_EVENTS: usize = 10;
pub const AGGREGATE_INTERVAL: Duration = Duration::from_secs(600);
pub const COMBINED_PREFIX: &str = "(combined from similar events): ";

struct Bucket {
    tokens: f64,
    last: Instant,
}

struct Aggregate {
    messages: HashSet<String>,
    last: Instant,
}

#[derive(Default)]
struct State {
    buckets: HashMap<String, Bucket>,
    aggregates: HashMap<String, Aggregate>,
}

static STATE: Mutex<Option<State>> = Mutex::new(None);

fn with<T>(f: impl FnOnce(&mut State) -> T) -> T {
    let mut s = STATE.lock().unwrap_or_else(|p| p.into_inner());
    f(s.get_or_insert_with(State::default))
}

/// The involved object part of both keys.
fn object_key(component: &str, host: &str, involved: &Value) -> String {
    format!(
        "{component}\x00{host}\x00{}\x00{}\x00{}\x00{}\x00{}",
        involved["kind"].as_str().unwrap_or(""),
        namespace(involved),
        name(involved),
        uid(involved),
        involved["apiVersion"].as_str().unwrap_or("")
    )
}

/// The spam filter: whether an event of `type_` from `component`@`host` about `involved` may be
/// written now. The key is client-go's `getSpamKey`: source, involved object and, since
/// kubernetes-1.32.0 (commit aa6ed1bae), `event.Type`, so Normal and Warning events about one
/// object fill separate buckets.
pub fn allow(component: &str, host: &str, involved: &Value, type_: &str, now: Instant) -> bool {
    let key = format!("{}\x00{type_}", object_key(component, host, involved));
    with(|s| {
        let b = s.buckets.entry(key).or_insert(Bucket {
            tokens: SPAM_BURST,
            last: now,
        });
        let refill = now.saturating_duration_since(b.last).as_secs_f64() * SPAM_QPS;
        b.tokens = (b.tokens + refill).min(SPAM_BURST);
        b.last = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            true
        } else {
            false
        }
    })
}

/// The aggregator: the message to write (`message`, or the combined one once this reason has had
/// [`AGGREGATE_MAX_EVENTS`] distinct messages about the object within the interval).
pub fn aggregate(
    component: &str,
    host: &str,
    involved: &Value,
    type_: &str,
    reason: &str,
    message: &str,
    now: Instant,
) -> String {
    let key = format!(
        "{}\x00{type_}\x00{reason}",
        object_key(component, host, involved)
    );
    with(|s| {
        let a = s.aggregates.entry(key).or_insert(Aggregate {
            messages: HashSet::new(),
            last: now,
        });
        if now.saturating_duration_since(a.last) > AGGREGATE_INTERVAL {
            a.messages.clear();
        }
        a.messages.insert(message.to_string());
        a.last = now;
        if a.messages.len() < AGGREGATE_MAX_EVENTS {
            message.to_string()
        } else {
            // client-go pops one local key so the set stays just under the limit.
            if let Some(any) = a.messages.iter().next().cloned() {
                a.messages.remove(&any);
            }
            format!("{COMBINED_PREFIX}{message}")
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(uid: &str) -> Value {
        json!({"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "p", "namespace": "default", "uid": uid}})
    }

    #[test]
    fn spam_filter_allows_a_burst_of_25_then_one_per_5_minutes() {
        let o = obj("spam-test");
        let t0 = Instant::now();
        let allowed = (0..40)
            .filter(|_| allow("kubelet", "minikube", &o, "Normal", t0))
            .count();
        assert_eq!(allowed, 25);
        assert!(!allow(
            "kubelet",
            "minikube",
            &o,
            "Normal",
            t0 + Duration::from_secs(299)
        ));
        assert!(allow(
            "kubelet",
            "minikube",
            &o,
            "Normal",
            t0 + Duration::from_secs(301)
        ));
        // Another source or object has its own bucket.
        assert!(allow("kubelet", "minikube-m02", &o, "Normal", t0));
        assert!(allow(
            "kubelet",
            "minikube",
            &obj("spam-test-2"),
            "Normal",
            t0
        ));
        // So has another event type (client-go tools/record/events_cache.go `getSpamKey`
        // gained `event.Type` in kubernetes-1.32.0): Warnings still pass after 25 Normals.
        let warnings = (0..30)
            .filter(|_| allow("kubelet", "minikube", &o, "Warning", t0))
            .count();
        assert_eq!(warnings, 25);
    }

    #[test]
    fn the_tenth_distinct_message_is_combined() {
        let o = obj("aggregate-test");
        let t0 = Instant::now();
        let got: Vec<String> = (0..11)
            .map(|i| {
                aggregate(
                    "kubelet",
                    "",
                    &o,
                    "Warning",
                    "Unhealthy",
                    &format!("m{i}"),
                    t0,
                )
            })
            .collect();
        assert_eq!(got[8], "m8");
        assert_eq!(got[9], "(combined from similar events): m9");
        assert_eq!(got[10], "(combined from similar events): m10");
        // A repeat of one message is not a new distinct one... until the interval passes.
        let later = t0 + AGGREGATE_INTERVAL + Duration::from_secs(1);
        assert_eq!(
            aggregate("kubelet", "", &o, "Warning", "Unhealthy", "m0", later),
            "m0"
        );
    }
}
