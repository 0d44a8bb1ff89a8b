//! The pods `watch_pods` follows through kube's typed watcher: which exist, the order in which
//! they became Ready (pods already Ready when the watch starts by their Ready time), and when all
//! replicas of the owning StatefulSet are there and Ready.

use std::collections::HashMap;

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::Pod;
use kube::runtime::watcher;
use kube::ResourceExt;

use crate::lab::Lab;
use crate::pod::{is_ready, ordinal, ready_since};

/// True when names are in increasing ordinal order.
pub use kubelab::in_ordinal_order;

/// The watched pods and the order they became Ready in.
#[derive(Default)]
pub(crate) struct ReadyOrder {
    pods: HashMap<String, Pod>,
    init_batch: Vec<Pod>,
    order: Vec<String>,
}

impl ReadyOrder {
    /// Takes in one watcher event.
    pub fn record(&mut self, ev: watcher::Event<Pod>) {
        match ev {
            watcher::Event::Init => self.init_batch.clear(),
            watcher::Event::InitApply(p) => self.init_batch.push(p),
            watcher::Event::InitDone => {
                // pods already Ready when the watch starts: order by their Ready time
                let mut ready: Vec<&Pod> = self.init_batch.iter().filter(|p| is_ready(p)).collect();
                ready.sort_by_key(|p| (ready_since(p), ordinal(&p.name_any())));
                for p in ready {
                    if !self.order.contains(&p.name_any()) {
                        self.order.push(p.name_any());
                    }
                }
                for p in std::mem::take(&mut self.init_batch) {
                    self.pods.insert(p.name_any(), p);
                }
            }
            watcher::Event::Apply(p) => {
                let name = p.name_any();
                if !is_ready(&p) {
                    self.order.retain(|n| *n != name);
                } else if !self.order.contains(&name) {
                    self.order.push(name.clone());
                }
                self.pods.insert(name, p);
            }
            watcher::Event::Delete(p) => {
                self.pods.remove(&p.name_any());
                self.order.retain(|n| *n != p.name_any());
            }
        }
    }

    /// Pod names in the order they became Ready.
    pub fn order(&self) -> &[String] {
        &self.order
    }

    /// True when no pod is known.
    pub fn is_empty(&self) -> bool {
        self.pods.is_empty()
    }

    /// The known pods.
    pub fn pods(&self) -> impl Iterator<Item = &Pod> {
        self.pods.values()
    }

    /// True when every replica (`expected`: the StatefulSet and its replicas) is there and
    /// Ready; without a StatefulSet, when every pod there is.
    pub fn all_ready(&self, expected: Option<&(String, i32)>) -> bool {
        let live: Vec<&Pod> = self
            .pods
            .values()
            .filter(|p| p.metadata.deletion_timestamp.is_none())
            .collect();
        let ready = live.iter().filter(|p| is_ready(p)).count();
        match expected {
            Some((_, n)) => ready as i32 >= *n && live.len() as i32 == *n,
            None => !live.is_empty() && ready == live.len(),
        }
    }
}

impl Lab {
    /// The StatefulSet owning these pods and its desired replicas.
    pub(crate) async fn owner_replicas(&self, order: &ReadyOrder) -> Option<(String, i32)> {
        let owner = order.pods().find_map(|p| {
            p.owner_references()
                .iter()
                .find(|o| o.kind == "StatefulSet")
                .map(|o| o.name.clone())
        })?;
        let sts = self
            .call("get statefulset", self.api::<StatefulSet>().get(&owner))
            .await
            .ok()?;
        Some((owner, sts.spec.replicas.unwrap_or(1)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A pod named `name`, Ready (or not) since minute:second `since` (e.g. `00:09`).
    fn pod(name: &str, ready: bool, since: &str) -> Pod {
        serde_json::from_value(json!({"metadata":{"name":name},"status":{"conditions":[
            {"type":"Ready","status": if ready {"True"} else {"False"},
             "lastTransitionTime": format!("2026-01-01T00:{since}Z")}]}}))
        .unwrap()
    }

    #[test]
    fn ordinal_order() {
        let v = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(in_ordinal_order(&v(&["mysql-0", "mysql-1", "mysql-2"])));
        assert!(!in_ordinal_order(&v(&["mysql-0", "mysql-2", "mysql-1"])));
        assert!(in_ordinal_order(&v(&[])));
        assert!(!in_ordinal_order(&v(&["web", "mysql-1"])));
    }

    #[test]
    fn ready_order_from_the_initial_list_then_events() {
        use watcher::Event::{Apply, Delete, Init, InitApply, InitDone};
        let mut r = ReadyOrder::default();
        let sts = |n| Some(("mysql".to_string(), n));
        for ev in [
            Init,
            InitApply(pod("mysql-1", true, "00:09")),
            InitApply(pod("mysql-0", true, "00:05")),
            InitApply(pod("mysql-2", false, "00:09")),
            InitDone,
        ] {
            r.record(ev);
        }
        assert_eq!(r.order(), ["mysql-0", "mysql-1"], "by Ready time");
        assert!(!r.all_ready(None) && !r.all_ready(sts(3).as_ref()));
        r.record(Apply(pod("mysql-2", true, "00:20")));
        assert!(r.all_ready(sts(3).as_ref()) && r.all_ready(None));
        assert!(!r.all_ready(sts(4).as_ref()), "a replica still missing");
        r.record(Apply(pod("mysql-0", false, "00:21")));
        r.record(Delete(pod("mysql-1", true, "00:09")));
        assert_eq!(r.order(), ["mysql-2"]);
    }
}
