//! The object store: every API object as JSON, one resourceVersion counter, watch fan-out with a
//! replayable history, and a write-through copy on disk so labsim survives restarts and SIGKILL.
//!
//! Objects are plain `serde_json::Value`s: the API layer, the controllers and the kubelet all
//! speak JSON, so the store never needs a typed model of every kind.

mod disk;
pub mod selector;
mod snapshots;

use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::{json, Value};
use tokio::sync::broadcast;

use crate::api_error::{ApiError, Cause};
use crate::resources::{self, ResourceType};

/// How many changes a watch may replay from; an older resourceVersion gets 410 Gone.
const HISTORY: usize = 20_000;
/// Capacity of the live fan-out channel; a watcher that falls this far behind is ended (410).
const FANOUT: usize = 8_192;

/// Where an object lives: resource key (`pods`, `statefulsets.apps`), namespace ("" if cluster
/// scoped) and name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    pub resource: String,
    pub namespace: String,
    pub name: String,
}

impl Key {
    pub fn new(rt: &ResourceType, namespace: Option<&str>, name: &str) -> Key {
        Key {
            resource: rt.key(),
            namespace: if rt.namespaced {
                namespace.unwrap_or("default").to_string()
            } else {
                String::new()
            },
            name: name.to_string(),
        }
    }
}

/// What happened to an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeType {
    Added,
    Modified,
    Deleted,
}

impl ChangeType {
    /// The watch event type (`ADDED`, `MODIFIED`, `DELETED`).
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeType::Added => "ADDED",
            ChangeType::Modified => "MODIFIED",
            ChangeType::Deleted => "DELETED",
        }
    }
}

/// One change, as watchers receive it. `object` carries the new resourceVersion (for DELETED,
/// the version at deletion).
#[derive(Debug, Clone)]
pub struct Change {
    pub key: Key,
    pub kind: ChangeType,
    pub object: Value,
    pub rv: u64,
}

/// Result of [`Store::watch_from`]: changes after the requested version, then a live receiver.
pub struct WatchStart {
    pub replay: Vec<Arc<Change>>,
    pub live: broadcast::Receiver<Arc<Change>>,
}

struct Inner {
    rv: u64,
    objects: BTreeMap<Key, Value>,
    history: VecDeque<Arc<Change>>,
}

/// The shared object store. Cheap to share behind an `Arc`; all methods are synchronous and
/// hold one lock briefly, so they are safe to call from async code.
pub struct Store {
    inner: Mutex<Inner>,
    fanout: broadcast::Sender<Arc<Change>>,
    disk: Option<disk::Disk>,
    /// Lists kept for paging (`limit`/`continue` read one consistent snapshot).
    snapshots: Mutex<snapshots::Snapshots>,
}

/// Now as Kubernetes writes timestamps (`2026-11-25T02:53:00Z`).
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

impl Store {
    /// A store that lives only in memory (unit tests).
    pub fn in_memory() -> Store {
        Store::with_disk(None, 0, BTreeMap::new())
    }

    /// Opens (or creates) the store kept under `dir`, loading every object written before.
    pub fn open(dir: &Path) -> std::io::Result<Store> {
        let disk = disk::Disk::new(dir.to_path_buf())?;
        let (rv, objects) = disk.load()?;
        Ok(Store::with_disk(Some(disk), rv, objects))
    }

    fn with_disk(disk: Option<disk::Disk>, rv: u64, objects: BTreeMap<Key, Value>) -> Store {
        let (fanout, _) = broadcast::channel(FANOUT);
        Store {
            inner: Mutex::new(Inner {
                rv,
                objects,
                history: VecDeque::new(),
            }),
            fanout,
            disk,
            snapshots: Mutex::new(snapshots::Snapshots::default()),
        }
    }

    /// Directory the store writes to, if any.
    pub fn dir(&self) -> Option<&Path> {
        self.disk.as_ref().map(|d| d.dir())
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves consistent JSON behind; keep serving.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The latest resourceVersion.
    pub fn resource_version(&self) -> u64 {
        self.lock().rv
    }

    /// Creates an object. Fills uid, resourceVersion, creationTimestamp, generation and
    /// namespace; `metadata.generateName` is honoured. Errors: 409 AlreadyExists, 422 Invalid.
    pub fn create(
        &self,
        rt: &ResourceType,
        namespace: Option<&str>,
        mut obj: Value,
    ) -> Result<Value, ApiError> {
        let mut inner = self.lock();
        if !obj.is_object() {
            return Err(ApiError::bad_request("object must be a JSON object"));
        }
        obj["apiVersion"] = json!(rt.api_version());
        obj["kind"] = json!(rt.kind);
        if !obj["metadata"].is_object() {
            obj["metadata"] = json!({});
        }
        let mut name = obj["metadata"]["name"].as_str().unwrap_or("").to_string();
        if name.is_empty() {
            if let Some(prefix) = obj["metadata"]["generateName"].as_str() {
                name = format!("{prefix}{}", random_suffix());
                obj["metadata"]["name"] = json!(name);
            }
        }
        validate_name(rt, &name)?;
        if rt.namespaced {
            let ns = namespace
                .map(str::to_string)
                .or_else(|| obj["metadata"]["namespace"].as_str().map(str::to_string))
                .unwrap_or_else(|| "default".into());
            if let Some(body_ns) = obj["metadata"]["namespace"].as_str() {
                if body_ns != ns {
                    return Err(ApiError::bad_request(format!(
                        "the namespace of the provided object ({body_ns}) does not match the namespace sent on the request ({ns})"
                    )));
                }
            }
            obj["metadata"]["namespace"] = json!(ns);
        } else if let Some(m) = obj["metadata"].as_object_mut() {
            m.remove("namespace");
        }
        let key = Key::new(rt, obj["metadata"]["namespace"].as_str(), &name);
        if inner.objects.contains_key(&key) {
            return Err(ApiError::already_exists(rt, &name));
        }
        let meta = obj["metadata"]
            .as_object_mut()
            .expect("metadata is an object");
        meta.insert("uid".into(), json!(uuid::Uuid::new_v4().to_string()));
        meta.insert("creationTimestamp".into(), json!(now()));
        meta.remove("deletionTimestamp");
        meta.remove("resourceVersion");
        if rt.has_generation() {
            meta.insert("generation".into(), json!(1));
        }
        Ok(self.commit(&mut inner, key, ChangeType::Added, obj))
    }

    /// One object. Errors: 404.
    pub fn get(
        &self,
        rt: &ResourceType,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<Value, ApiError> {
        self.lock()
            .objects
            .get(&Key::new(rt, namespace, name))
            .cloned()
            .ok_or_else(|| ApiError::not_found(rt, name))
    }

    /// All objects of a type, in one namespace or (None) in all, sorted by namespace then name,
    /// with the resourceVersion the list is consistent with.
    pub fn list(&self, rt: &ResourceType, namespace: Option<&str>) -> (Vec<Value>, u64) {
        let inner = self.lock();
        let key = rt.key();
        let items = inner
            .objects
            .iter()
            .filter(|(k, _)| {
                k.resource == key
                    && (namespace.is_none()
                        || !rt.namespaced
                        || Some(k.namespace.as_str()) == namespace)
            })
            .map(|(_, v)| v.clone())
            .collect();
        (items, inner.rv)
    }

    /// Keeps a list (as [`Store::list`] returned it at `rv`) for the next pages of a paged list.
    pub fn keep_snapshot(
        &self,
        rt: &ResourceType,
        namespace: Option<&str>,
        rv: u64,
        items: Arc<Vec<Value>>,
    ) {
        let mut s = self.snapshots.lock().unwrap_or_else(|p| p.into_inner());
        s.keep(rt.key(), namespace.map(str::to_string), rv, items);
    }

    /// The list kept at `rv`, unless it expired (the paging client then gets 410 Expired, as
    /// from kube-apiserver once etcd compacted that revision).
    pub fn snapshot(
        &self,
        rt: &ResourceType,
        namespace: Option<&str>,
        rv: u64,
    ) -> Option<Arc<Vec<Value>>> {
        let mut s = self.snapshots.lock().unwrap_or_else(|p| p.into_inner());
        s.get(&rt.key(), namespace, rv)
    }

    /// Replaces an object (PUT semantics). When `obj` carries a resourceVersion it must match
    /// (409 Conflict otherwise). Immutable metadata is kept; a changed `spec` bumps generation.
    /// `status` is kept from the live object unless `with_status` (status subresource or
    /// internal writers).
    pub fn update(
        &self,
        rt: &ResourceType,
        namespace: Option<&str>,
        name: &str,
        mut obj: Value,
        with_status: bool,
    ) -> Result<Value, ApiError> {
        let mut inner = self.lock();
        let key = Key::new(rt, namespace, name);
        let live = live(&inner, rt, &key, name)?;
        if !obj.is_object() {
            return Err(ApiError::bad_request("object must be a JSON object"));
        }
        if let Some(body_name) = obj["metadata"]["name"].as_str() {
            if body_name != name {
                return Err(ApiError::bad_request(format!(
                    "the name of the object ({body_name}) does not match the name on the URL ({name})"
                )));
            }
        }
        if let Some(want) = obj["metadata"]["resourceVersion"].as_str() {
            if !want.is_empty()
                && want != live["metadata"]["resourceVersion"].as_str().unwrap_or("")
            {
                return Err(ApiError::conflict(
                    rt,
                    name,
                    "the object has been modified; please apply your changes to the latest version and try again",
                ));
            }
        }
        merge_immutable(rt, &live, &mut obj);
        if !with_status {
            match live.get("status") {
                Some(s) => obj["status"] = s.clone(),
                None => {
                    if let Some(m) = obj.as_object_mut() {
                        m.remove("status");
                    }
                }
            }
        }
        if obj == live {
            return Ok(live);
        }
        Ok(self.commit(&mut inner, key, ChangeType::Modified, obj))
    }

    /// Read-modify-write under the lock, for controllers and the kubelet. `f` edits the object;
    /// if it changed, it is stored (status included) with a new resourceVersion.
    pub fn modify(
        &self,
        rt: &ResourceType,
        namespace: Option<&str>,
        name: &str,
        f: impl FnOnce(&mut Value),
    ) -> Result<Value, ApiError> {
        let mut inner = self.lock();
        let key = Key::new(rt, namespace, name);
        let live = live(&inner, rt, &key, name)?;
        let mut obj = live.clone();
        f(&mut obj);
        merge_immutable(rt, &live, &mut obj);
        if obj == live {
            return Ok(live);
        }
        Ok(self.commit(&mut inner, key, ChangeType::Modified, obj))
    }

    /// Deletes an object. With `graceful` (pods on a node) or finalizers present, the object only
    /// gets `deletionTimestamp` (+ grace seconds) and stays until [`Store::remove`]; otherwise it is
    /// removed at once. Returns the object as of the deletion.
    pub fn delete(
        &self,
        rt: &ResourceType,
        namespace: Option<&str>,
        name: &str,
        grace_seconds: Option<i64>,
    ) -> Result<Value, ApiError> {
        let mut inner = self.lock();
        let key = Key::new(rt, namespace, name);
        let live = live(&inner, rt, &key, name)?;
        let has_finalizers = live["metadata"]["finalizers"]
            .as_array()
            .is_some_and(|f| !f.is_empty());
        if grace_seconds.is_some_and(|g| g > 0) || has_finalizers {
            if !live["metadata"]["deletionTimestamp"].is_null() {
                return Ok(live);
            }
            let mut obj = live;
            obj["metadata"]["deletionTimestamp"] = json!(now());
            // The deletion mark bumps a generation the object has (apiserver
            // pkg/registry/rest/delete.go `BeforeDelete`, registry/generic `markAsDeleting`).
            if let Some(g) = obj["metadata"]["generation"].as_i64() {
                obj["metadata"]["generation"] = json!(g + 1);
            }
            if let Some(g) = grace_seconds {
                obj["metadata"]["deletionGracePeriodSeconds"] = json!(g);
            }
            return Ok(self.commit(&mut inner, key, ChangeType::Modified, obj));
        }
        Ok(self.remove_locked(&mut inner, key, live))
    }

    /// Removes an object now (the end of a graceful deletion). Errors: 404.
    pub fn remove(
        &self,
        rt: &ResourceType,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<Value, ApiError> {
        let mut inner = self.lock();
        let key = Key::new(rt, namespace, name);
        let live = live(&inner, rt, &key, name)?;
        Ok(self.remove_locked(&mut inner, key, live))
    }

    /// Removes an object only if it still has the given uid (so a re-created namesake survives).
    pub fn remove_uid(
        &self,
        rt: &ResourceType,
        namespace: Option<&str>,
        name: &str,
        uid: &str,
    ) -> Option<Value> {
        let mut inner = self.lock();
        let key = Key::new(rt, namespace, name);
        let live = inner.objects.get(&key)?.clone();
        if live["metadata"]["uid"].as_str() != Some(uid) {
            return None;
        }
        Some(self.remove_locked(&mut inner, key, live))
    }

    fn remove_locked(&self, inner: &mut Inner, key: Key, mut obj: Value) -> Value {
        inner.objects.remove(&key);
        inner.rv += 1;
        let rv = inner.rv;
        obj["metadata"]["resourceVersion"] = json!(rv.to_string());
        if let Some(d) = &self.disk {
            d.remove(&key, rv);
        }
        self.publish(
            inner,
            Change {
                key,
                kind: ChangeType::Deleted,
                object: obj.clone(),
                rv,
            },
        );
        obj
    }

    fn commit(&self, inner: &mut Inner, key: Key, kind: ChangeType, mut obj: Value) -> Value {
        if kind == ChangeType::Modified && key_has_generation(&key) {
            if let Some(old) = inner.objects.get(&key) {
                if spec_changed(&key, old, &obj) {
                    let g = old["metadata"]["generation"].as_i64().unwrap_or(1);
                    obj["metadata"]["generation"] = json!(g + 1);
                }
            }
        }
        inner.rv += 1;
        let rv = inner.rv;
        obj["metadata"]["resourceVersion"] = json!(rv.to_string());
        if let Some(d) = &self.disk {
            d.write(&key, &obj, rv);
        }
        inner.objects.insert(key.clone(), obj.clone());
        self.publish(
            inner,
            Change {
                key,
                kind,
                object: obj.clone(),
                rv,
            },
        );
        obj
    }

    fn publish(&self, inner: &mut Inner, change: Change) {
        let change = Arc::new(change);
        if inner.history.len() == HISTORY {
            inner.history.pop_front();
        }
        inner.history.push_back(change.clone());
        // No receivers is fine: nobody is watching.
        let _ = self.fanout.send(change);
    }

    /// Subscribes to changes after `rv`. Changes already made after `rv` are replayed first.
    /// Errors with 410 Gone when `rv` is older than the history kept (e.g. after a restart).
    pub fn watch_from(&self, rv: u64) -> Result<WatchStart, ApiError> {
        let inner = self.lock();
        let live = self.fanout.subscribe();
        if rv >= inner.rv {
            return Ok(WatchStart {
                replay: Vec::new(),
                live,
            });
        }
        let oldest = inner.history.front().map(|c| c.rv).unwrap_or(u64::MAX);
        if rv + 1 < oldest {
            return Err(ApiError::gone(format!(
                "too old resource version: {rv} ({})",
                inner.rv
            )));
        }
        let replay = inner
            .history
            .iter()
            .filter(|c| c.rv > rv)
            .cloned()
            .collect();
        Ok(WatchStart { replay, live })
    }

    /// A live receiver of every change from now on (controllers use this as their wake-up).
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Change>> {
        self.fanout.subscribe()
    }
}

/// The stored object at `key`, or 404 naming it.
fn live(inner: &Inner, rt: &ResourceType, key: &Key, name: &str) -> Result<Value, ApiError> {
    inner
        .objects
        .get(key)
        .cloned()
        .ok_or_else(|| ApiError::not_found(rt, name))
}

fn key_has_generation(key: &Key) -> bool {
    resources::by_key(&key.resource).is_some_and(|rt| rt.has_generation())
}

/// Whether an update changes the spec in a way that bumps `metadata.generation`. A pod's
/// `spec.nodeName` is set by the binding subresource, which does not go through the pod
/// strategy's `PrepareForUpdate` and so does not bump it (KEP-5067: "updates to the PodSpec").
fn spec_changed(key: &Key, old: &Value, new: &Value) -> bool {
    if key.resource != resources::get("Pod").key() {
        return old.get("spec") != new.get("spec");
    }
    let without_node = |o: &Value| {
        let mut spec = o.get("spec").cloned().unwrap_or(Value::Null);
        if let Some(m) = spec.as_object_mut() {
            m.remove("nodeName");
        }
        spec
    };
    without_node(old) != without_node(new)
}

/// Keeps what a client may not change: uid, creationTimestamp, deletionTimestamp, generation.
fn merge_immutable(rt: &ResourceType, live: &Value, obj: &mut Value) {
    if !obj["metadata"].is_object() {
        obj["metadata"] = json!({});
    }
    obj["apiVersion"] = json!(rt.api_version());
    obj["kind"] = json!(rt.kind);
    for field in [
        "name",
        "namespace",
        "uid",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "generation",
    ] {
        match live["metadata"].get(field) {
            Some(v) => obj["metadata"][field] = v.clone(),
            None => {
                if let Some(m) = obj["metadata"].as_object_mut() {
                    m.remove(field);
                }
            }
        }
    }
    // resourceVersion is set by commit; drop the client's copy so equality checks see content only.
    obj["metadata"]["resourceVersion"] = live["metadata"]["resourceVersion"].clone();
}

fn random_suffix() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut rng = rand::thread_rng();
    (0..5)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

/// Names are RFC 1123 subdomains (DNS labels for pods' hostnames are checked by controllers).
pub fn validate_name(rt: &ResourceType, name: &str) -> Result<(), ApiError> {
    let cause = |message: String| {
        ApiError::invalid(
            rt,
            name,
            vec![Cause {
                reason: "FieldValueInvalid".into(),
                message,
                field: "metadata.name".into(),
            }],
        )
    };
    if name.is_empty() {
        return Err(ApiError::name_required(rt));
    }
    let ok_chars = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
    let ok_ends = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .last()
            .is_some_and(|c| c.is_ascii_alphanumeric());
    if name.len() > 253 || !ok_chars || !ok_ends {
        return Err(cause(format!(
            "Invalid value: \"{name}\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
        )));
    }
    Ok(())
}

/// Path helper for code that keeps per-object files beside the store (volumes, pod logs).
pub fn state_path(state_dir: &Path, parts: &[&str]) -> PathBuf {
    parts.iter().fold(state_dir.to_path_buf(), |p, s| p.join(s))
}

#[cfg(test)]
mod tests;
