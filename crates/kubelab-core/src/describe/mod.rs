//! `describe(kind, name)`: the parts of `kubectl describe pod|pvc|statefulset NAME` a learner
//! needs to find why something is stuck (status, container state and reason, conditions, probes,
//! claims, update strategy) and the object's own Events, read with kube-rs.
//!
//! kubectl builds its describe output on the client too (there is no server-side describe), so
//! this is laid out the way `kubectl describe` lays it out, field names in English. Environment
//! values whose name says PASSWORD are never shown.
//!
//! This file: [`Description`], the layout shared by every kind (`Lines`, ages, the Events table)
//! and `Lab::describe`; one file per kind: `pod.rs` (with the containers), `pvc.rs`,
//! `statefulset.rs`.

mod pod;
mod pvc;
mod statefulset;

pub use pod::describe_pod;
pub use pvc::describe_pvc;
pub use statefulset::describe_statefulset;

use std::fmt;

use chrono::{DateTime, Utc};
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{
    Container, ContainerStatus, Event, PersistentVolumeClaim, Pod, Probe,
};
use kube::api::{Api, ListParams};
use kube::ResourceExt;

use crate::lab::{Lab, NAMESPACE};
use crate::objects::Error as ObjError;
use crate::table::{pre, Table};
use crate::Result;

pub use kubelab::DescriptionData;

/// What `describe` returns: [`DescriptionData`] (the top fields by name: `Status` →
/// `Pending`, `Reason` → `ImagePullBackOff`, ...; the Events) and the kubectl-style text.
#[derive(Debug, Clone)]
pub struct Description {
    data: DescriptionData,
    /// `pod`, `pvc` or `statefulset`.
    pub kind: String,
    /// The object's name.
    pub name: String,
    text: String,
}
crate::report::report!(Description: DescriptionData = data);

impl Description {
    /// HTML for Jupyter.
    pub fn to_html(&self) -> String {
        pre(&self.text)
    }
}

impl fmt::Display for Description {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text.trim_end())
    }
}

/// kubectl's short kind names → the canonical one used here.
fn canonical_kind(kind: &str) -> Option<&'static str> {
    match kind.to_ascii_lowercase().as_str() {
        "pod" | "pods" | "po" => Some("pod"),
        "pvc" | "pvcs" | "persistentvolumeclaim" | "persistentvolumeclaims" => Some("pvc"),
        "statefulset" | "statefulsets" | "sts" => Some("statefulset"),
        _ => None,
    }
}

/// kubectl's age: `45s`, `3m2s`, `15m`, `5h`.
pub fn age(since: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let s = now.signed_duration_since(since).num_seconds().max(0);
    match s {
        0..=119 => format!("{s}s"),
        120..=599 if s % 60 != 0 => format!("{}m{}s", s / 60, s % 60),
        120..=10799 => format!("{}m", s / 60),
        _ if s < 48 * 3600 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86400),
    }
}

/// Lines of `key: value` with kubectl's column alignment.
struct Lines {
    out: String,
    width: usize,
}

impl Lines {
    fn new(width: usize) -> Lines {
        Lines {
            out: String::new(),
            width,
        }
    }
    fn kv(&mut self, indent: usize, key: &str, value: &str) {
        let pad = self.width.saturating_sub(indent + key.len() + 1);
        self.out.push_str(&format!(
            "{}{key}:{}{value}\n",
            " ".repeat(indent),
            " ".repeat(pad.max(1))
        ));
    }
    fn raw(&mut self, line: &str) {
        self.out.push_str(line);
        self.out.push('\n');
    }
    /// A map (labels, annotations) one `k=v` a line, under its key.
    fn map(&mut self, key: &str, m: &std::collections::BTreeMap<String, String>) {
        if m.is_empty() {
            self.kv(0, key, "<none>");
            return;
        }
        for (i, (k, v)) in m.iter().enumerate() {
            let item = format!("{k}={v}");
            if i == 0 {
                self.kv(0, key, &item);
            } else {
                self.raw(&format!("{}{item}", " ".repeat(self.width)));
            }
        }
    }
}

fn event_table(events: &[Event], now: DateTime<Utc>) -> Table {
    let mut t =
        Table::kubectl(&["TYPE", "REASON", "AGE", "FROM", "MESSAGE"]).with_empty_message("<none>");
    let mut evs: Vec<&Event> = events.iter().collect();
    let last = |e: &Event| {
        e.last_timestamp
            .as_ref()
            .map(|t| t.0)
            .or(e.event_time.as_ref().map(|t| t.0))
            .or(e.metadata.creation_timestamp.as_ref().map(|t| t.0))
            .map(crate::describe::to_utc)
    };
    evs.sort_by_key(|e| last(e));
    for e in evs {
        let last_at = last(e).unwrap_or(now);
        let count = e.count.unwrap_or(1);
        let mut when = age(last_at, now);
        if count > 1 {
            let first = e
                .first_timestamp
                .as_ref()
                .map(|t| to_utc(t.0))
                .unwrap_or(last_at);
            when = format!("{when} (x{count} over {})", age(first, now));
        }
        let from = e
            .source
            .as_ref()
            .and_then(|s| s.component.clone())
            .or(e.reporting_component.clone())
            .unwrap_or_default();
        t.push(vec![
            e.type_.clone().unwrap_or_default(),
            e.reason.clone().unwrap_or_default(),
            when,
            from,
            e.message.clone().unwrap_or_default().trim().to_string(),
        ]);
    }
    t
}

/// k8s-openapi's timestamps as chrono's (jiff underneath in newer versions).
pub(crate) fn to_utc<T: ToString>(t: T) -> DateTime<Utc> {
    t.to_string()
        .parse::<DateTime<Utc>>()
        .unwrap_or_else(|_| Utc::now())
}

/// The Events section, kubectl's layout (two-space indent, a dashes line under the header).
fn events_text(t: &Table) -> String {
    if t.is_empty() {
        return "Events:  <none>\n".into();
    }
    const DASHES: [&str; 5] = ["----", "------", "----", "----", "-------"];
    let mut widths: Vec<usize> = t
        .columns()
        .iter()
        .zip(DASHES)
        .map(|(c, d)| c.chars().count().max(d.len()))
        .collect();
    for r in t.rows() {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.as_deref().unwrap_or("").chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let mut s = String::from(" ");
        for (i, c) in cells.iter().enumerate() {
            s.push(' ');
            if i + 1 == cells.len() {
                // a multi-line message (a probe's output) continues under its own column
                s.push_str(&c.replace('\n', &format!("\n{}", " ".repeat(s.chars().count()))));
            } else {
                s.push_str(c);
                s.push_str(&" ".repeat(widths[i].saturating_sub(c.chars().count()) + 2));
            }
        }
        s.trim_end().to_string() + "\n"
    };
    let title = |c: &String| {
        let mut t = c.to_lowercase();
        if let Some(f) = t.get_mut(0..1) {
            f.make_ascii_uppercase();
        }
        t
    };
    let mut out = String::from("Events:\n");
    out += &line(t.columns().iter().map(title).collect());
    // kubectl's fixed underlines
    out += &line(DASHES.iter().map(|d| d.to_string()).collect());
    for r in t.rows() {
        out += &line(r.iter().map(|c| c.clone().unwrap_or_default()).collect());
    }
    out
}

impl Lab {
    /// The Events about one object (`kubectl describe`'s field selector).
    async fn events_about(&self, kind: &str, name: &str, uid: &str) -> Result<Vec<Event>> {
        let api: Api<Event> = Api::namespaced(self.client().clone(), NAMESPACE);
        let lp = ListParams::default().fields(&format!(
            "involvedObject.kind={kind},involvedObject.name={name}"
        ));
        let evs = self.call("kubectl get events", api.list(&lp)).await?.items;
        // a namesake deleted and re-created has its own events: keep this UID's (and uid-less)
        Ok(evs
            .into_iter()
            .filter(|e| e.involved_object.uid.as_deref().is_none_or(|u| u == uid))
            .collect())
    }

    /// `kubectl describe KIND NAME` for a pod, a PVC or a StatefulSet.
    pub async fn describe(&self, kind: &str, name: &str) -> Result<Description> {
        let Some(k) = canonical_kind(kind) else {
            return Err(ObjError::Api {
                action: format!("kubectl describe {kind} {name}"),
                message: format!(
                    "describe는 pod, pvc, statefulset만 보여 줍니다 ('{kind}' 은(는) 모릅니다)"
                ),
            }
            .into());
        };
        crate::out::cmd(&format!("kubectl describe {k} {name}"));
        let now = Utc::now();
        match k {
            "pod" => {
                let api: Api<Pod> = Api::namespaced(self.client().clone(), NAMESPACE);
                let Some(p) = self.call("kubectl get pod", api.get_opt(name)).await? else {
                    return Err(self.not_found::<Pod>(k, "pods", name).await);
                };
                let evs = self
                    .events_about("Pod", name, &p.uid().unwrap_or_default())
                    .await?;
                Ok(describe_pod(&p, &evs, now))
            }
            "pvc" => {
                let api: Api<PersistentVolumeClaim> =
                    Api::namespaced(self.client().clone(), NAMESPACE);
                let Some(c) = self.call("kubectl get pvc", api.get_opt(name)).await? else {
                    return Err(self
                        .not_found::<PersistentVolumeClaim>(k, "pvc", name)
                        .await);
                };
                let pods: Api<Pod> = Api::namespaced(self.client().clone(), NAMESPACE);
                let users: Vec<String> = self
                    .call("kubectl get pods", pods.list(&ListParams::default()))
                    .await?
                    .items
                    .iter()
                    .filter(|p| {
                        p.spec
                            .iter()
                            .flat_map(|s| s.volumes.iter().flatten())
                            .any(|v| {
                                v.persistent_volume_claim
                                    .as_ref()
                                    .is_some_and(|c| c.claim_name == name)
                            })
                    })
                    .map(|p| p.name_any())
                    .collect();
                let evs = self
                    .events_about("PersistentVolumeClaim", name, &c.uid().unwrap_or_default())
                    .await?;
                Ok(describe_pvc(&c, &users, &evs, now))
            }
            _ => {
                let api: Api<StatefulSet> = Api::namespaced(self.client().clone(), NAMESPACE);
                let Some(s) = self
                    .call("kubectl get statefulset", api.get_opt(name))
                    .await?
                else {
                    return Err(self.not_found::<StatefulSet>(k, "statefulsets", name).await);
                };
                let pods: Api<Pod> = Api::namespaced(self.client().clone(), NAMESPACE);
                let owned: Vec<Pod> = self
                    .call("kubectl get pods", pods.list(&ListParams::default()))
                    .await?
                    .items
                    .into_iter()
                    .filter(|p| {
                        p.owner_references()
                            .iter()
                            .any(|o| o.controller == Some(true) && Some(&o.uid) == s.uid().as_ref())
                    })
                    .collect();
                let evs = self
                    .events_about("StatefulSet", name, &s.uid().unwrap_or_default())
                    .await?;
                Ok(describe_statefulset(&s, &owned, &evs, now))
            }
        }
    }
}

fn finish(
    kind: &str,
    name: &str,
    mut l: Lines,
    fields: Vec<(String, String)>,
    events: Table,
) -> Description {
    l.out.push_str(&events_text(&events));
    Description {
        data: DescriptionData {
            fields,
            events: events.shown(),
        },
        kind: kind.into(),
        name: name.into(),
        text: l.out,
    }
}
