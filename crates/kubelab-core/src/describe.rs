//! `describe(kind, name)`: the parts of `kubectl describe pod|pvc|statefulset NAME` a learner
//! needs to find why something is stuck (status, container state and reason, conditions, probes,
//! claims, update strategy) and the object's own Events, read with kube-rs.
//!
//! kubectl builds its describe output on the client too (there is no server-side describe), so
//! this is laid out the way `kubectl describe` lays it out, field names in English. Environment
//! values whose name says PASSWORD are never shown.

use std::fmt;

use chrono::{DateTime, Utc};
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{
    Container, ContainerStatus, Event, PersistentVolumeClaim, Pod, Probe,
};
use kube::api::{Api, ListParams};
use kube::ResourceExt;

use crate::lab::{Lab, API_TIMEOUT, NAMESPACE};
use crate::objects::Error as ObjError;
use crate::table::{pre, Table};
use crate::Result;

/// What `describe` returns: the text kubectl-style, the top fields by name, and the Events.
#[derive(Debug, Clone)]
pub struct Description {
    /// `pod`, `pvc` or `statefulset`.
    pub kind: String,
    /// The object's name.
    pub name: String,
    /// `Status` → `Pending`, `Reason` → `ImagePullBackOff`, `Ready` → `False`, ...
    pub fields: Vec<(String, String)>,
    /// TYPE REASON AGE FROM MESSAGE of the object's Events, oldest first.
    pub events: Table,
    text: String,
}

impl Description {
    /// The value of a top field (`Status`, `Reason`, `Ready`, `StorageClass`, ...).
    pub fn get(&self, field: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == field)
            .map(|(_, v)| v.as_str())
    }

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

crate::table::evcxr_report!(Description);

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

fn probe_text(p: &Probe) -> String {
    let how = if let Some(e) = &p.exec {
        format!("exec [{}]", e.command.clone().unwrap_or_default().join(" "))
    } else if let Some(t) = &p.tcp_socket {
        format!("tcp-socket :{}", int_or_string(&t.port))
    } else if let Some(h) = &p.http_get {
        format!(
            "http-get http://:{}{}",
            int_or_string(&h.port),
            h.path.clone().unwrap_or_default()
        )
    } else {
        "unknown".into()
    };
    format!(
        "{how} delay={}s timeout={}s period={}s #success={} #failure={}",
        p.initial_delay_seconds.unwrap_or(0),
        p.timeout_seconds.unwrap_or(1),
        p.period_seconds.unwrap_or(10),
        p.success_threshold.unwrap_or(1),
        p.failure_threshold.unwrap_or(3)
    )
}

fn int_or_string(v: &k8s_openapi::apimachinery::pkg::util::intstr::IntOrString) -> String {
    match v {
        k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(i) => i.to_string(),
        k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::String(s) => s.clone(),
    }
}

/// `Waiting`/`Running`/`Terminated` and its reason, from a container status.
fn state_of(s: Option<&ContainerStatus>) -> (String, String, String) {
    let Some(st) = s.and_then(|s| s.state.as_ref()) else {
        return ("Waiting".into(), String::new(), String::new());
    };
    if let Some(w) = &st.waiting {
        (
            "Waiting".into(),
            w.reason.clone().unwrap_or_default(),
            w.message.clone().unwrap_or_default(),
        )
    } else if let Some(t) = &st.terminated {
        (
            "Terminated".into(),
            t.reason.clone().unwrap_or_default(),
            t.message.clone().unwrap_or_default(),
        )
    } else {
        ("Running".into(), String::new(), String::new())
    }
}

fn container_lines(l: &mut Lines, c: &Container, s: Option<&ContainerStatus>) {
    // kubectl's containers section aligns its values two columns further right
    let outer = std::mem::replace(&mut l.width, 20);
    container_fields(l, c, s);
    l.width = outer;
}

fn container_fields(l: &mut Lines, c: &Container, s: Option<&ContainerStatus>) {
    l.raw(&format!("  {}:", c.name));
    l.kv(4, "Image", c.image.as_deref().unwrap_or(""));
    for p in c.ports.iter().flatten() {
        l.kv(
            4,
            "Port",
            &format!(
                "{}/{}",
                p.container_port,
                p.protocol.as_deref().unwrap_or("TCP")
            ),
        );
    }
    let (state, reason, message) = state_of(s);
    l.kv(4, "State", &state);
    if !reason.is_empty() {
        l.kv(6, "Reason", &reason);
    }
    if !message.is_empty() {
        l.kv(6, "Message", &message);
    }
    l.kv(
        4,
        "Ready",
        if s.is_some_and(|s| s.ready) {
            "True"
        } else {
            "False"
        },
    );
    l.kv(
        4,
        "Restart Count",
        &s.map_or(0, |s| s.restart_count).to_string(),
    );
    if let Some(p) = &c.readiness_probe {
        l.kv(4, "Readiness", &probe_text(p));
    }
    if let Some(p) = &c.liveness_probe {
        l.kv(4, "Liveness", &probe_text(p));
    }
    let env = c.env.clone().unwrap_or_default();
    if env.is_empty() {
        l.kv(4, "Environment", "<none>");
    } else {
        l.raw("    Environment:");
        for e in env {
            let shown = match (&e.value, &e.value_from) {
                // a literal password is never shown (kubectl would)
                (Some(_), _) if e.name.to_ascii_uppercase().contains("PASSWORD") => {
                    "<값은 표시하지 않음>".to_string()
                }
                (Some(v), _) => v.clone(),
                (None, Some(f)) => match (&f.secret_key_ref, &f.config_map_key_ref) {
                    (Some(r), _) => format!(
                        "<set to the key '{}' in secret '{}'>  Optional: {}",
                        r.key,
                        r.name,
                        r.optional.unwrap_or(false)
                    ),
                    (_, Some(r)) => format!(
                        "<set to the key '{}' of config map '{}'>  Optional: {}",
                        r.key,
                        r.name,
                        r.optional.unwrap_or(false)
                    ),
                    _ => "<set from a field>".into(),
                },
                _ => String::new(),
            };
            l.raw(&format!("      {}:  {shown}", e.name));
        }
    }
    let mounts = c.volume_mounts.clone().unwrap_or_default();
    if !mounts.is_empty() {
        l.raw("    Mounts:");
        for m in mounts {
            let rw = if m.read_only.unwrap_or(false) {
                "ro"
            } else {
                "rw"
            };
            l.raw(&format!("      {} from {} ({rw})", m.mount_path, m.name));
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
    async fn api_call<T, F>(&self, action: &str, fut: F) -> Result<T>
    where
        F: std::future::Future<Output = kube::Result<T>>,
    {
        match tokio::time::timeout(API_TIMEOUT, fut).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(ObjError::Api {
                action: action.to_string(),
                message: e.to_string(),
            }
            .into()),
            Err(_) => Err(ObjError::Api {
                action: action.to_string(),
                message: format!("{}초 안에 응답이 없습니다", API_TIMEOUT.as_secs()),
            }
            .into()),
        }
    }

    /// The Events about one object (`kubectl describe`'s field selector).
    async fn events_about(&self, kind: &str, name: &str, uid: &str) -> Result<Vec<Event>> {
        let api: Api<Event> = Api::namespaced(self.client().clone(), NAMESPACE);
        let lp = ListParams::default().fields(&format!(
            "involvedObject.kind={kind},involvedObject.name={name}"
        ));
        let evs = self
            .api_call("kubectl get events", api.list(&lp))
            .await?
            .items;
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
                let Some(p) = self.api_call("kubectl get pod", api.get_opt(name)).await? else {
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
                let Some(c) = self.api_call("kubectl get pvc", api.get_opt(name)).await? else {
                    return Err(self
                        .not_found::<PersistentVolumeClaim>(k, "pvc", name)
                        .await);
                };
                let pods: Api<Pod> = Api::namespaced(self.client().clone(), NAMESPACE);
                let users: Vec<String> = self
                    .api_call("kubectl get pods", pods.list(&ListParams::default()))
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
                    .api_call("kubectl get statefulset", api.get_opt(name))
                    .await?
                else {
                    return Err(self.not_found::<StatefulSet>(k, "statefulsets", name).await);
                };
                let pods: Api<Pod> = Api::namespaced(self.client().clone(), NAMESPACE);
                let owned: Vec<Pod> = self
                    .api_call("kubectl get pods", pods.list(&ListParams::default()))
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
        kind: kind.into(),
        name: name.into(),
        fields,
        events,
        text: l.out,
    }
}

/// A pod: identity, status, each container's state/reason/probe, conditions, claims, Events.
pub fn describe_pod(p: &Pod, events: &[Event], now: DateTime<Utc>) -> Description {
    let mut l = Lines::new(18);
    let spec = p.spec.clone().unwrap_or_default();
    let status = p.status.clone().unwrap_or_default();
    let phase = if p.metadata.deletion_timestamp.is_some() {
        "Terminating".to_string()
    } else {
        status.phase.clone().unwrap_or_else(|| "Pending".into())
    };
    l.kv(0, "Name", &p.name_any());
    l.kv(0, "Namespace", &p.namespace().unwrap_or_default());
    let node = match (&spec.node_name, &status.host_ip) {
        (Some(n), Some(ip)) => format!("{n}/{ip}"),
        (Some(n), None) => n.clone(),
        _ => "<none>".into(),
    };
    l.kv(0, "Node", &node);
    l.map("Labels", p.labels());
    l.map("Annotations", p.annotations());
    l.kv(0, "Status", &phase);
    l.kv(0, "IP", status.pod_ip.as_deref().unwrap_or(""));
    if let Some(o) = p
        .owner_references()
        .iter()
        .find(|o| o.controller == Some(true))
    {
        l.kv(0, "Controlled By", &format!("{}/{}", o.kind, o.name));
    }
    let statuses = status.container_statuses.clone().unwrap_or_default();
    l.raw("Containers:");
    let mut fields = vec![("Status".to_string(), phase.clone())];
    for (i, c) in spec.containers.iter().enumerate() {
        let s = statuses.iter().find(|s| s.name == c.name);
        container_lines(&mut l, c, s);
        if i == 0 {
            let (state, reason, _) = state_of(s);
            fields.push(("State".into(), state));
            fields.push(("Reason".into(), reason));
            fields.push((
                "Ready".into(),
                if s.is_some_and(|s| s.ready) {
                    "True"
                } else {
                    "False"
                }
                .into(),
            ));
            fields.push(("Image".into(), c.image.clone().unwrap_or_default()));
        }
    }
    let conds = status.conditions.clone().unwrap_or_default();
    if conds.is_empty() {
        l.kv(0, "Conditions", "<none>");
    } else {
        l.raw("Conditions:");
        let w = conds
            .iter()
            .map(|c| c.type_.len())
            .max()
            .unwrap_or(4)
            .max(4)
            + 2;
        l.raw(&format!("  {:<w$}Status", "Type"));
        for c in &conds {
            l.raw(&format!("  {:<w$}{}", c.type_, c.status));
            fields.push((format!("Condition {}", c.type_), c.status.clone()));
        }
    }
    let vols = spec.volumes.clone().unwrap_or_default();
    if !vols.is_empty() {
        l.raw("Volumes:");
        for v in vols {
            l.raw(&format!("  {}:", v.name));
            if let Some(c) = &v.persistent_volume_claim {
                l.kv(4, "Type", "PersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)");
                l.kv(4, "ClaimName", &c.claim_name);
                fields.push(("ClaimName".into(), c.claim_name.clone()));
            } else {
                l.kv(4, "Type", "(other)");
            }
        }
    }
    finish("pod", &p.name_any(), l, fields, event_table(events, now))
}

/// A claim: class, phase, volume, capacity, the pods that use it, Events.
pub fn describe_pvc(
    c: &PersistentVolumeClaim,
    used_by: &[String],
    events: &[Event],
    now: DateTime<Utc>,
) -> Description {
    let mut l = Lines::new(15);
    let spec = c.spec.clone().unwrap_or_default();
    let status = c.status.clone().unwrap_or_default();
    let phase = if c.metadata.deletion_timestamp.is_some() {
        "Terminating".to_string()
    } else {
        status.phase.clone().unwrap_or_else(|| "Pending".into())
    };
    let class = spec.storage_class_name.clone().unwrap_or_default();
    l.kv(0, "Name", &c.name_any());
    l.kv(0, "Namespace", &c.namespace().unwrap_or_default());
    l.kv(0, "StorageClass", &class);
    l.kv(0, "Status", &phase);
    l.kv(0, "Volume", spec.volume_name.as_deref().unwrap_or(""));
    l.map("Labels", c.labels());
    l.map("Annotations", c.annotations());
    l.kv(0, "Finalizers", &format!("[{}]", c.finalizers().join(" ")));
    let cap = status
        .capacity
        .as_ref()
        .and_then(|m| m.get("storage"))
        .map(|q| q.0.clone())
        .unwrap_or_default();
    l.kv(0, "Capacity", &cap);
    let modes = if cap.is_empty() {
        String::new()
    } else {
        status
            .access_modes
            .clone()
            .unwrap_or_default()
            .iter()
            .map(|m| match m.as_str() {
                "ReadWriteOnce" => "RWO",
                "ReadOnlyMany" => "ROX",
                "ReadWriteMany" => "RWX",
                "ReadWriteOncePod" => "RWOP",
                o => o,
            })
            .collect::<Vec<_>>()
            .join(",")
    };
    l.kv(0, "Access Modes", &modes);
    l.kv(
        0,
        "VolumeMode",
        spec.volume_mode.as_deref().unwrap_or("Filesystem"),
    );
    let users = if used_by.is_empty() {
        "<none>".to_string()
    } else {
        used_by.join(", ")
    };
    l.kv(0, "Used By", &users);
    let fields = vec![
        ("Status".to_string(), phase),
        ("StorageClass".into(), class),
        (
            "Volume".into(),
            spec.volume_name.clone().unwrap_or_default(),
        ),
        ("Used By".into(), users),
    ];
    finish("pvc", &c.name_any(), l, fields, event_table(events, now))
}

/// A StatefulSet: replicas, update strategy (partition), retention policy, pods, Events.
pub fn describe_statefulset(
    s: &StatefulSet,
    pods: &[Pod],
    events: &[Event],
    now: DateTime<Utc>,
) -> Description {
    let mut l = Lines::new(20);
    let spec = s.spec.clone();
    let status = s.status.clone().unwrap_or_default();
    l.kv(0, "Name", &s.name_any());
    l.kv(0, "Namespace", &s.namespace().unwrap_or_default());
    l.kv(0, "Selector", &crate::objects::selector_of(s));
    l.map("Labels", s.labels());
    let replicas = spec.replicas.unwrap_or(1);
    l.kv(
        0,
        "Replicas",
        &format!("{replicas} desired | {} total", status.replicas),
    );
    let strategy = spec
        .update_strategy
        .as_ref()
        .and_then(|u| u.type_.clone())
        .unwrap_or_else(|| "RollingUpdate".into());
    l.kv(0, "Update Strategy", &strategy);
    let partition = spec
        .update_strategy
        .as_ref()
        .and_then(|u| u.rolling_update.as_ref())
        .and_then(|r| r.partition);
    if let Some(p) = partition {
        l.kv(2, "Partition", &p.to_string());
    }
    let retention = spec
        .persistent_volume_claim_retention_policy
        .clone()
        .unwrap_or_default();
    let when_deleted = retention.when_deleted.unwrap_or_else(|| "Retain".into());
    let when_scaled = retention.when_scaled.unwrap_or_else(|| "Retain".into());
    let count = |phase: &str| {
        pods.iter()
            .filter(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some(phase))
            .count()
    };
    let waiting = pods
        .iter()
        .filter(|p| {
            p.status
                .as_ref()
                .and_then(|s| s.phase.as_deref())
                .is_none_or(|ph| ph == "Pending")
        })
        .count();
    l.kv(
        0,
        "Pods Status",
        &format!(
            "{} Running / {waiting} Waiting / {} Succeeded / {} Failed",
            count("Running"),
            count("Succeeded"),
            count("Failed")
        ),
    );
    let tmpl = spec.template.clone();
    l.raw("Pod Template:");
    let ann = tmpl
        .metadata
        .as_ref()
        .and_then(|m| m.annotations.clone())
        .unwrap_or_default();
    if ann.is_empty() {
        l.kv(2, "Annotations", "<none>");
    } else {
        for (i, (k, v)) in ann.iter().enumerate() {
            if i == 0 {
                l.kv(2, "Annotations", &format!("{k}: {v}"));
            } else {
                l.raw(&format!("{}{k}: {v}", " ".repeat(20)));
            }
        }
    }
    for c in tmpl.spec.iter().flat_map(|s| s.containers.iter()) {
        l.raw(&format!("  {}:", c.name));
        l.kv(4, "Image", c.image.as_deref().unwrap_or(""));
    }
    let claims = spec.volume_claim_templates.clone().unwrap_or_default();
    if claims.is_empty() {
        l.kv(0, "Volume Claims", "<none>");
    } else {
        l.raw("Volume Claims:");
        for c in &claims {
            let cs = c.spec.clone().unwrap_or_default();
            l.kv(2, "Name", &c.metadata.name.clone().unwrap_or_default());
            l.kv(
                2,
                "StorageClass",
                cs.storage_class_name.as_deref().unwrap_or(""),
            );
            let size = cs
                .resources
                .and_then(|r| r.requests)
                .and_then(|r| r.get("storage").map(|q| q.0.clone()))
                .unwrap_or_default();
            l.kv(2, "Capacity", &size);
        }
    }
    // what kubectl describe does not print but a learner of updates needs: from the object's
    // spec and status (`kubectl get statefulset NAME -o yaml`), marked as such
    l.raw(&format!(
        "(kubectl describe에는 없는 줄: kubectl get statefulset {} -o yaml 의 spec과 status)",
        s.name_any()
    ));
    l.kv(
        0,
        "PVC Retention",
        &format!("whenDeleted: {when_deleted}, whenScaled: {when_scaled}"),
    );
    l.kv(
        0,
        "Revisions",
        &format!(
            "current {} | update {} ({} of {replicas} updated, {} ready)",
            status.current_revision.as_deref().unwrap_or("-"),
            status.update_revision.as_deref().unwrap_or("-"),
            status.updated_replicas.unwrap_or(0),
            status.ready_replicas.unwrap_or(0)
        ),
    );
    let fields = vec![
        ("Update Strategy".to_string(), strategy),
        (
            "Partition".into(),
            partition.map(|p| p.to_string()).unwrap_or_default(),
        ),
        ("whenScaled".into(), when_scaled),
        ("whenDeleted".into(), when_deleted),
        (
            "Update Revision".into(),
            status.update_revision.clone().unwrap_or_default(),
        ),
        (
            "Current Revision".into(),
            status.current_revision.clone().unwrap_or_default(),
        ),
    ];
    finish(
        "statefulset",
        &s.name_any(),
        l,
        fields,
        event_table(events, now),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_like_kubectl() {
        let now = Utc::now();
        let ago = |s: i64| age(now - chrono::Duration::seconds(s), now);
        assert_eq!(ago(5), "5s");
        assert_eq!(ago(125), "2m5s");
        assert_eq!(ago(600), "10m");
        assert_eq!(ago(4 * 3600), "4h");
    }

    #[test]
    fn a_pod_stuck_on_its_image_shows_the_reason_and_hides_passwords() {
        let pod: Pod = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "mysql-0", "namespace": "default", "uid": "u1",
                "labels": {"app": "mysql"}},
            "spec": {"nodeName": "minikube-m02", "containers": [{"name": "mysql", "image": "myslq:8.4.3",
                "env": [{"name": "MYSQL_ROOT_PASSWORD", "value": "secret-value"}]}]},
            "status": {"phase": "Pending", "containerStatuses": [{"name": "mysql", "ready": false,
                "restartCount": 0, "image": "myslq:8.4.3", "imageID": "",
                "state": {"waiting": {"reason": "ImagePullBackOff", "message": "Back-off pulling image"}}}],
                "conditions": [{"type": "Ready", "status": "False"}]}
        }))
        .unwrap();
        let ev: Event = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "mysql-0.1", "namespace": "default"},
            "involvedObject": {"kind": "Pod", "name": "mysql-0", "uid": "u1"},
            "type": "Warning", "reason": "Failed", "message": "Error: ImagePullBackOff", "count": 3,
            "source": {"component": "kubelet"},
            "firstTimestamp": "2026-01-01T00:00:00Z", "lastTimestamp": "2026-01-01T00:00:20Z"
        }))
        .unwrap();
        let now = "2026-01-01T00:00:30Z".parse().unwrap();
        let d = describe_pod(&pod, &[ev], now);
        assert_eq!(d.get("Reason"), Some("ImagePullBackOff"));
        assert_eq!(d.get("Status"), Some("Pending"));
        let text = d.to_string();
        assert!(text.contains("Reason:       ImagePullBackOff"), "{text}");
        assert!(text.contains("10s (x3 over 30s)"), "{text}");
        assert!(!text.contains("secret-value"), "{text}");
        assert_eq!(d.events.len(), 1);
    }

    #[test]
    fn a_multi_line_probe_message_stays_in_its_column() {
        let ev: Event = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "mysql-0.2", "namespace": "default"},
            "involvedObject": {"kind": "Pod", "name": "mysql-0"},
            "type": "Warning", "reason": "Unhealthy", "source": {"component": "kubelet"},
            "message": "Readiness probe failed: mysqladmin: connect to server at '127.0.0.1' failed\nerror: 'Can't connect'",
            "lastTimestamp": "2026-01-01T00:00:20Z"
        }))
        .unwrap();
        let now = "2026-01-01T00:00:30Z".parse().unwrap();
        let text = events_text(&event_table(&[ev], now));
        let cont = text.lines().find(|l| l.contains("error: 'Can't")).unwrap();
        let first = text
            .lines()
            .find(|l| l.contains("Readiness probe"))
            .unwrap();
        assert_eq!(cont.find("error"), first.find("Readiness"), "{text}");
    }
}
