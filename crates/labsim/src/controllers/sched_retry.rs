//! The scheduling queue's memory of pods that did not fit: a failed pod is tried again once its
//! back-off (1 s doubling to 10 s, `podInitialBackoffDuration`/`podMaxBackoffDuration`) is
//! over and something a filter looks at changed (nodes, claims, volumes, classes), or after
//! 5 min in any case (`podMaxInUnschedulablePodsDuration`), as
//! pkg/scheduler/backend/queue/scheduling_queue.go does. Each retry that fails again records
//! another `FailedScheduling` (the recorder counts it up).

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::objects::{name, uid};
use crate::resources::get;
use crate::store::Store;

const INITIAL_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(10);
const FLUSH: Duration = Duration::from_secs(300);

#[derive(Debug, Clone, Copy)]
struct Attempts {
    count: u32,
    last: Instant,
    fingerprint: u64,
}

/// Per store (one per cluster; tests run several in one process) and pod uid.
type Key = (usize, String);

static QUEUE: Mutex<Option<HashMap<Key, Attempts>>> = Mutex::new(None);

fn key(store: &Store, pod: &Value) -> Key {
    (store as *const Store as usize, uid(pod).to_string())
}

fn with<T>(f: impl FnOnce(&mut HashMap<Key, Attempts>) -> T) -> T {
    let mut q = QUEUE.lock().unwrap_or_else(|p| p.into_inner());
    f(q.get_or_insert_with(HashMap::new))
}

/// The back-off after `count` failed attempts.
pub fn backoff(count: u32) -> Duration {
    let shift = count.saturating_sub(1).min(8);
    (INITIAL_BACKOFF * (1u32 << shift)).min(MAX_BACKOFF)
}

/// Whether `pod`, which failed before, is to be tried again now.
pub fn due(store: &Store, pod: &Value, fingerprint: &u64, now: Instant) -> bool {
    let k = key(store, pod);
    with(|q| match q.get(&k) {
        None => true,
        Some(a) => {
            let waited = now.saturating_duration_since(a.last);
            waited >= FLUSH || (waited >= backoff(a.count) && a.fingerprint != *fingerprint)
        }
    })
}

/// Notes a failed attempt.
pub fn failed(store: &Store, pod: &Value, fingerprint: &u64, now: Instant) {
    let k = key(store, pod);
    with(|q| {
        let a = q.entry(k).or_insert(Attempts {
            count: 0,
            last: now,
            fingerprint: *fingerprint,
        });
        a.count += 1;
        a.last = now;
        a.fingerprint = *fingerprint;
    })
}

/// Forgets every pod of `store` but `pending` (uids).
pub fn retain(store: &Store, pending: &[&str]) {
    let id = store as *const Store as usize;
    with(|q| q.retain(|(s, uid), _| *s != id || pending.contains(&uid.as_str())));
}

/// Drops a pod that was scheduled (or is gone).
pub fn forget(store: &Store, pod: &Value) {
    let k = key(store, pod);
    with(|q| q.remove(&k));
}

/// What the filters look at, hashed: node specs, labels and condition statuses (not the
/// heartbeat times, which the scheduler ignores), claims' phases, volumes and selected nodes,
/// PVs and StorageClasses.
pub fn cluster_fingerprint(store: &Store) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for n in store.list(get("Node"), None).0 {
        name(&n).hash(&mut h);
        n["spec"].to_string().hash(&mut h);
        n["metadata"]["labels"].to_string().hash(&mut h);
        for c in n["status"]["conditions"].as_array().into_iter().flatten() {
            c["type"].to_string().hash(&mut h);
            c["status"].to_string().hash(&mut h);
        }
    }
    for c in store.list(get("PersistentVolumeClaim"), None).0 {
        uid(&c).hash(&mut h);
        c["status"]["phase"].to_string().hash(&mut h);
        c["spec"]["volumeName"].to_string().hash(&mut h);
    }
    for kind in ["PersistentVolume", "StorageClass"] {
        for o in store.list(get(kind), None).0 {
            uid(&o).hash(&mut h);
            o["status"]["phase"].to_string().hash(&mut h);
        }
    }
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn backoff_doubles_to_ten_seconds() {
        let secs: Vec<u64> = (1..=6).map(|n| backoff(n).as_secs()).collect();
        assert_eq!(secs, vec![1, 2, 4, 8, 10, 10]);
    }

    #[test]
    fn retried_after_backoff_only_when_something_changed() {
        let s = Store::in_memory();
        let pod = json!({"metadata": {"uid": "retry-test-uid"}});
        let t0 = Instant::now();
        assert!(due(&s, &pod, &1, t0));
        failed(&s, &pod, &1, t0);
        assert!(!due(&s, &pod, &2, t0));
        assert!(!due(&s, &pod, &1, t0 + Duration::from_secs(2)));
        assert!(due(&s, &pod, &2, t0 + Duration::from_secs(2)));
        assert!(due(&s, &pod, &1, t0 + FLUSH));
        // Another cluster's queue is its own.
        let other = Store::in_memory();
        retain(&other, &[]);
        assert!(!due(&s, &pod, &1, t0));
        retain(&s, &[]);
        assert!(due(&s, &pod, &1, t0));
        failed(&s, &pod, &1, t0);
        forget(&s, &pod);
        assert!(due(&s, &pod, &1, t0));
    }
}
