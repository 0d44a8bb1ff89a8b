//! Lists kept for paging. kube-apiserver serves every page of a `limit`/`continue` list from the
//! etcd revision of the first page, until compaction (every 5 minutes) removes that revision;
//! labsim keeps the first page's full list for as long, then forgets it.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

/// How long a paged list can be continued (kube-apiserver's default compaction interval).
pub const KEEP: Duration = Duration::from_secs(5 * 60);
/// At most this many lists are kept; the oldest goes first.
const MAX: usize = 32;

struct Snapshot {
    resource: String,
    namespace: Option<String>,
    rv: u64,
    items: Arc<Vec<Value>>,
    taken: Instant,
}

#[derive(Default)]
pub struct Snapshots {
    kept: VecDeque<Snapshot>,
}

impl Snapshots {
    fn expire(&mut self) {
        self.kept.retain(|s| s.taken.elapsed() < KEEP);
    }

    pub fn keep(
        &mut self,
        resource: String,
        namespace: Option<String>,
        rv: u64,
        items: Arc<Vec<Value>>,
    ) {
        self.expire();
        if self.get(&resource, namespace.as_deref(), rv).is_some() {
            return;
        }
        if self.kept.len() == MAX {
            self.kept.pop_front();
        }
        self.kept.push_back(Snapshot {
            resource,
            namespace,
            rv,
            items,
            taken: Instant::now(),
        });
    }

    pub fn get(
        &mut self,
        resource: &str,
        namespace: Option<&str>,
        rv: u64,
    ) -> Option<Arc<Vec<Value>>> {
        self.expire();
        self.kept
            .iter()
            .find(|s| s.resource == resource && s.namespace.as_deref() == namespace && s.rv == rv)
            .map(|s| s.items.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_by_resource_namespace_and_version_oldest_dropped_first() {
        let mut s = Snapshots::default();
        let items = Arc::new(vec![serde_json::json!({"metadata": {"name": "a"}})]);
        s.keep("pods".into(), Some("default".into()), 7, items.clone());
        assert!(s.get("pods", Some("default"), 7).is_some());
        assert!(s.get("pods", None, 7).is_none());
        assert!(s.get("pods", Some("default"), 8).is_none());
        for rv in 100..100 + MAX as u64 {
            s.keep("pods".into(), None, rv, items.clone());
        }
        assert!(s.get("pods", Some("default"), 7).is_none(), "evicted");
        assert!(s.get("pods", None, 100).is_some());
    }
}
