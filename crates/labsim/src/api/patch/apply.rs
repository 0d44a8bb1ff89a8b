//! Server-side apply (`application/apply-patch+yaml`): merges an applied configuration into the
//! live object, removes what the same manager applied before but no longer does, detects
//! conflicts with other managers and maintains `metadata.managedFields` (FieldsV1).
//!
//! Simplifications against the real field manager: list-map keys are the single patch merge key
//! (container ports key on `containerPort` only), atomic structs (e.g. `selector`) are owned leaf
//! by leaf, and nothing is defaulted.

use serde_json::{json, Map, Value};

use super::fieldset::{self, FieldSet, Seg};
use super::schema::{list_strategy, ListStrategy};
use crate::api_error::{ApiError, Cause};
use crate::resources::ResourceType;

/// Metadata nobody owns and an applied configuration does not set (the strip list of the real
/// field manager, plus the deletion fields only the server writes).
const SERVER_META: &[&str] = &[
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "managedFields",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
];

/// One `managedFields` entry, decoded.
#[derive(Debug, Clone)]
pub(super) struct Manager {
    /// The entry as stored (kept verbatim for fields labsim does not interpret).
    pub(super) raw: Map<String, Value>,
    pub(super) manager: String,
    pub(super) operation: String,
    pub(super) subresource: String,
    pub(super) set: FieldSet,
    /// Whether `set` changed and `fieldsV1` must be rewritten.
    pub(super) dirty: bool,
}

impl Manager {
    fn is(&self, manager: &str) -> bool {
        self.manager == manager && self.operation == "Apply" && self.subresource.is_empty()
    }
}

/// Applies `body` (YAML or JSON) for `manager` to `live` (`None`: the object does not exist yet).
/// `now` stamps the manager's entry when its field set changes.
pub fn apply(
    rt: &ResourceType,
    live: Option<&Value>,
    body: &[u8],
    manager: &str,
    force: bool,
    now: &str,
) -> Result<Value, ApiError> {
    // kube-rs sends JSON under the YAML content type; read JSON as JSON so YAML's quirks
    // (e.g. tabs, duplicate keys) cannot change its meaning.
    let applied: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(_) => serde_yaml::from_slice(body)
            .map_err(|e| ApiError::bad_request(format!("error decoding YAML: {e}")))?,
    };
    let Value::Object(mut applied) = applied else {
        return Err(ApiError::bad_request(
            "error decoding YAML: an apply patch must be an object",
        ));
    };
    let name = check_identity(rt, live, &applied, manager)?;
    if let Some(live) = live {
        precondition(rt, &name, live, &applied)?;
    }
    if let Some(Value::Object(meta)) = applied.get_mut("metadata") {
        for f in SERVER_META {
            meta.remove(*f);
        }
    }
    // On the main resource the status belongs to controllers (the status subresource).
    if rt.subresources.contains(&"status") {
        applied.remove("status");
    }
    let mut applied = Value::Object(applied);
    // A typed apply configuration has no nulls: `null` means the field is not applied (so a
    // field this manager applied before is removed below unless someone else owns it).
    strip_nulls(&mut applied);
    let new_set = fieldset::collect(rt.kind, &owned_view(&applied));

    let mut managers = match live {
        Some(l) => read_managers(rt, l)?,
        None => Vec::new(),
    };
    let previous = managers
        .iter()
        .find(|m| m.is(manager))
        .map(|m| m.set.clone());

    let conflicts = find_conflicts(live, &applied, &new_set, &managers, manager);
    if !conflicts.is_empty() {
        if !force {
            return Err(conflict_error(rt, &name, &conflicts));
        }
        // Forcing takes the conflicting fields away from their owners.
        for (path, who) in &conflicts {
            for m in managers.iter_mut().filter(|m| &m.manager == who) {
                if m.set.remove(path) {
                    m.dirty = true;
                }
            }
        }
    }

    let mut obj = match live {
        Some(l) => l.clone(),
        None => json!({}),
    };
    if let Some(prev) = &previous {
        let others: FieldSet = managers
            .iter()
            .filter(|m| !m.is(manager))
            .flat_map(|m| m.set.iter().cloned())
            .collect();
        remove_dropped(&mut obj, prev, &new_set, &others);
    }
    merge(rt.kind, &mut Vec::new(), &mut obj, &applied);

    // Record this manager's set; its time changes only when the set does (a no-op apply leaves
    // the object identical).
    match managers.iter_mut().find(|m| m.is(manager)) {
        Some(m) => {
            if m.set != new_set {
                m.set = new_set;
                m.raw.insert("time".into(), json!(now));
                m.raw.insert("apiVersion".into(), json!(rt.api_version()));
                m.dirty = true;
            }
        }
        None => managers.push(Manager {
            raw: json!({
                "manager": manager,
                "operation": "Apply",
                "apiVersion": rt.api_version(),
                "time": now,
                "fieldsType": "FieldsV1",
            })
            .as_object()
            .cloned()
            .unwrap_or_default(),
            manager: manager.to_string(),
            operation: "Apply".into(),
            subresource: String::new(),
            set: new_set,
            dirty: true,
        }),
    }
    let entries = encode_managers(managers);
    obj["apiVersion"] = json!(rt.api_version());
    obj["kind"] = json!(rt.kind);
    if !obj["metadata"].is_object() {
        obj["metadata"] = json!({});
    }
    obj["metadata"]["name"] = json!(name);
    obj["metadata"]["managedFields"] = Value::Array(entries);
    Ok(obj)
}

/// Checks the applied `apiVersion`, `kind`, name and manager; returns the object's name.
fn check_identity(
    rt: &ResourceType,
    live: Option<&Value>,
    applied: &Map<String, Value>,
    manager: &str,
) -> Result<String, ApiError> {
    if manager.is_empty() {
        return Err(invalid_options(
            "fieldManager",
            "Required value: is required for apply patch",
        ));
    }
    let api_version = applied.get("apiVersion").and_then(Value::as_str);
    let kind = applied.get("kind").and_then(Value::as_str);
    let (Some(api_version), Some(kind)) = (api_version, kind) else {
        return Err(ApiError::bad_request(
            "apiVersion and kind must be set in an apply patch",
        ));
    };
    if api_version != rt.api_version() {
        return Err(ApiError::bad_request(format!(
            "Incorrect version specified in apply patch. Specified patch version: {api_version}, expected: {}",
            rt.api_version()
        )));
    }
    if kind != rt.kind {
        return Err(ApiError::bad_request(format!(
            "Incorrect kind specified in apply patch. Specified patch kind: {kind}, expected: {}",
            rt.kind
        )));
    }
    let meta = applied.get("metadata");
    if meta
        .and_then(|m| m.get("managedFields"))
        .is_some_and(|mf| !mf.is_null() && mf.as_array().is_none_or(|a| !a.is_empty()))
    {
        return Err(ApiError::bad_request("metadata.managedFields must be nil"));
    }
    let name = meta
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let live_name = live.and_then(|l| l["metadata"]["name"].as_str());
    match live_name {
        Some(ln) if ln != name => Err(ApiError::bad_request(format!(
            "the name of the object ({name}) does not match the name on the URL ({ln})"
        ))),
        _ if name.is_empty() => Err(ApiError::name_required(rt)),
        _ => {
            let ns = meta
                .and_then(|m| m.get("namespace"))
                .and_then(Value::as_str);
            let live_ns = live.and_then(|l| l["metadata"]["namespace"].as_str());
            match (ns, live_ns) {
                (Some(n), Some(ln)) if n != ln => Err(ApiError::bad_request(format!(
                    "the namespace of the provided object does not match the namespace sent on the request ({n} != {ln})"
                ))),
                _ => Ok(name.to_string()),
            }
        }
    }
}

fn invalid_options(field: &str, message: &str) -> ApiError {
    ApiError {
        code: 422,
        reason: "Invalid",
        message: format!("PatchOptions.meta.k8s.io \"\" is invalid: {field}: {message}"),
        kind: Some("PatchOptions".into()),
        group: Some("meta.k8s.io".into()),
        name: None,
        causes: vec![Cause {
            reason: "FieldValueRequired".into(),
            message: message.into(),
            field: field.into(),
        }],
    }
}

/// `metadata.resourceVersion` and `metadata.uid` in the applied configuration are preconditions.
fn precondition(
    rt: &ResourceType,
    name: &str,
    live: &Value,
    applied: &Map<String, Value>,
) -> Result<(), ApiError> {
    let meta = applied.get("metadata");
    if let Some(rv) = meta
        .and_then(|m| m.get("resourceVersion"))
        .and_then(Value::as_str)
    {
        if Some(rv) != live["metadata"]["resourceVersion"].as_str() {
            return Err(ApiError::conflict(
                rt,
                name,
                "the object has been modified; please apply your changes to the latest version and try again",
            ));
        }
    }
    if let Some(uid) = meta.and_then(|m| m.get("uid")).and_then(Value::as_str) {
        let live_uid = live["metadata"]["uid"].as_str().unwrap_or("");
        if uid != live_uid {
            return Err(ApiError::conflict(
                rt,
                name,
                &format!("Precondition failed: UID in precondition: {uid}, UID in object meta: {live_uid}"),
            ));
        }
    }
    Ok(())
}

/// The object without what no manager owns: identity and server-written metadata, and the
/// status of kinds that have a status subresource.
pub(super) fn owned_view_for(rt_has_status: bool, v: &Value) -> Value {
    let mut v = v.clone();
    if let Value::Object(m) = &mut v {
        m.remove("apiVersion");
        m.remove("kind");
        if rt_has_status {
            m.remove("status");
        }
        if let Some(Value::Object(meta)) = m.get_mut("metadata") {
            meta.remove("name");
            meta.remove("namespace");
            for f in SERVER_META {
                meta.remove(*f);
            }
            if meta.is_empty() {
                m.remove("metadata");
            }
        }
    }
    v
}

fn owned_view(applied: &Value) -> Value {
    // `status` was already removed from the applied configuration where it is not owned.
    owned_view_for(false, applied)
}

/// Decodes the live `managedFields`. An object that has none (created by a plain POST/PUT) is
/// owned whole by `before-first-apply`, as the real apiserver does, so a first apply that
/// changes an existing value conflicts unless forced.
fn read_managers(rt: &ResourceType, live: &Value) -> Result<Vec<Manager>, ApiError> {
    let entries = live["metadata"]["managedFields"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if entries.is_empty() {
        let view = owned_view_for(rt.subresources.contains(&"status"), live);
        let set = fieldset::collect(rt.kind, &view);
        if set.is_empty() {
            return Ok(Vec::new());
        }
        let raw = json!({
            "manager": "before-first-apply",
            "operation": "Update",
            "apiVersion": rt.api_version(),
            "fieldsType": "FieldsV1",
        });
        return Ok(vec![Manager {
            raw: raw.as_object().cloned().unwrap_or_default(),
            manager: "before-first-apply".into(),
            operation: "Update".into(),
            subresource: String::new(),
            set,
            dirty: true,
        }]);
    }
    decode_managers(live)
}

/// The `managedFields` entries of `obj`, decoded.
pub(super) fn decode_managers(obj: &Value) -> Result<Vec<Manager>, ApiError> {
    let entries = obj["metadata"]["managedFields"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut out = Vec::new();
    for e in entries {
        let Value::Object(raw) = e else { continue };
        let s = |k: &str| raw.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        let set = match raw.get("fieldsV1") {
            Some(f) => fieldset::from_fields_v1(f).map_err(|e| {
                ApiError::internal(format!("stored managedFields are unreadable: {e}"))
            })?,
            None => FieldSet::new(),
        };
        out.push(Manager {
            manager: s("manager"),
            operation: s("operation"),
            subresource: s("subresource"),
            raw,
            set,
            dirty: false,
        });
    }
    Ok(out)
}

/// The `managedFields` entries for `managers`, dropping those that own nothing.
pub(super) fn encode_managers(managers: Vec<Manager>) -> Vec<Value> {
    managers
        .into_iter()
        .filter(|m| !m.set.is_empty())
        .map(|mut m| {
            if m.dirty || !m.raw.contains_key("fieldsV1") {
                m.raw
                    .insert("fieldsV1".into(), fieldset::to_fields_v1(&m.set));
                m.raw.insert("fieldsType".into(), json!("FieldsV1"));
            }
            Value::Object(m.raw)
        })
        .collect()
}

/// Fields the applied configuration sets to a value other than the live one while another
/// manager owns them: `(path, manager name)`.
fn find_conflicts(
    live: Option<&Value>,
    applied: &Value,
    new_set: &FieldSet,
    managers: &[Manager],
    manager: &str,
) -> Vec<(Vec<Seg>, String)> {
    let Some(live) = live else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for path in new_set {
        // List elements (membership) carry no value of their own; their fields are checked.
        if !matches!(path.last(), Some(Seg::Field(_))) {
            continue;
        }
        let want = fieldset::get(applied, path);
        if fieldset::get(live, path) == want {
            continue;
        }
        for m in managers.iter().filter(|m| !m.is(manager)) {
            if m.set.contains(path) {
                out.push((path.clone(), m.manager.clone()));
            }
        }
    }
    out
}

/// 409 in the apiserver's words: `Apply failed with 1 conflict: conflict with "m" using apps/v1: .spec.replicas`.
fn conflict_error(rt: &ResourceType, name: &str, conflicts: &[(Vec<Seg>, String)]) -> ApiError {
    let n = conflicts.len();
    let message = if n == 1 {
        format!(
            "Apply failed with 1 conflict: conflict with \"{}\" using {}: {}",
            conflicts[0].1,
            rt.api_version(),
            fieldset::display(&conflicts[0].0)
        )
    } else {
        let lines: Vec<String> = conflicts
            .iter()
            .map(|(p, who)| format!("- conflict with \"{who}\": {}", fieldset::display(p)))
            .collect();
        format!(
            "Apply failed with {n} conflicts: conflicts with other managers using {}:\n{}",
            rt.api_version(),
            lines.join("\n")
        )
    };
    ApiError {
        code: 409,
        reason: "Conflict",
        message,
        kind: Some(rt.plural.to_string()),
        group: Some(rt.group.to_string()),
        name: Some(name.to_string()),
        causes: conflicts
            .iter()
            .map(|(p, who)| Cause {
                reason: "FieldManagerConflict".into(),
                message: format!("conflict with \"{who}\" using {}", rt.api_version()),
                field: fieldset::display(p),
            })
            .collect(),
    }
}

/// Removes what this manager applied before and no longer applies, unless another manager owns
/// it. A list element goes only if nobody else owns anything inside it; its key field stays as
/// long as the element does.
fn remove_dropped(obj: &mut Value, prev: &FieldSet, new_set: &FieldSet, others: &FieldSet) {
    let dropped: Vec<&Vec<Seg>> = prev
        .iter()
        .filter(|p| !new_set.contains(*p) && !others.contains(*p))
        .collect();
    for path in dropped {
        match path.last() {
            Some(Seg::Field(f)) => {
                let is_key_field = path.len() >= 2
                    && matches!(&path[path.len() - 2], Seg::Key(k) if key_names(k).contains(f));
                if !is_key_field {
                    fieldset::remove(obj, path);
                }
            }
            Some(_) => {
                let kept = others
                    .iter()
                    .chain(new_set.iter())
                    .any(|o| o.len() > path.len() && o.starts_with(path));
                if !kept {
                    fieldset::remove(obj, path);
                }
            }
            None => {}
        }
    }
}

fn key_names(k: &str) -> Vec<String> {
    serde_json::from_str::<Map<String, Value>>(k)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

/// Merges the applied configuration into `obj`: maps recursively, keyed and set lists by
/// element (new elements appended), everything else replaced. `null` removes a field.
fn merge(kind: &str, names: &mut Vec<String>, obj: &mut Value, applied: &Value) {
    match (obj, applied) {
        (Value::Object(o), Value::Object(a)) => {
            for (k, av) in a {
                if av.is_null() {
                    o.remove(k);
                    continue;
                }
                names.push(k.clone());
                match o.get_mut(k) {
                    Some(ov) => merge(kind, names, ov, av),
                    None => {
                        let mut fresh = empty_like(av);
                        merge(kind, names, &mut fresh, av);
                        o.insert(k.clone(), fresh);
                    }
                }
                names.pop();
            }
        }
        (Value::Array(o), Value::Array(a)) => match list_strategy(kind, names) {
            ListStrategy::Merge(key) if a.iter().all(|e| e.get(key).is_some()) => {
                let live = std::mem::take(o);
                *o = merge_ordered(
                    live,
                    a,
                    |e| e.get(key).cloned(),
                    |l, r| merge(kind, names, l, r),
                );
            }
            ListStrategy::Set if a.iter().all(|e| !e.is_object() && !e.is_array()) => {
                let live = std::mem::take(o);
                *o = merge_ordered(live, a, |e| Some(e.clone()), |_, _| {});
            }
            _ => *o = a.clone(),
        },
        (o, a) => {
            if a.is_object() || a.is_array() {
                let mut fresh = empty_like(a);
                merge(kind, names, &mut fresh, a);
                *o = fresh;
            } else {
                *o = a.clone();
            }
        }
    }
}

/// Merges the elements of a keyed or set list the way structured-merge-diff does: elements in
/// both lists take the applied configuration's order, elements only on the server keep their
/// place relative to them, new elements come where the configuration puts them.
fn merge_ordered(
    live: Vec<Value>,
    applied: &[Value],
    id: impl Fn(&Value) -> Option<Value>,
    mut merge_item: impl FnMut(&mut Value, &Value),
) -> Vec<Value> {
    let l_ids: Vec<Option<Value>> = live.iter().map(&id).collect();
    let r_ids: Vec<Option<Value>> = applied.iter().map(&id).collect();
    let in_r = |x: &Option<Value>| x.is_some() && r_ids.contains(x);
    let mut shared = r_ids
        .iter()
        .filter(|x| x.is_some() && l_ids.contains(x))
        .cloned()
        .collect::<std::collections::VecDeque<_>>();
    let mut next_shared = shared.pop_front().flatten();
    let mut live: Vec<Option<Value>> = live.into_iter().map(Some).collect();
    let mut done: Vec<Option<Value>> = Vec::new();
    let mut out = Vec::with_capacity(live.len() + applied.len());
    let (mut li, mut ri) = (0, 0);
    let take_live = |live: &mut Vec<Option<Value>>, ids: &Option<Value>| -> Value {
        live.iter_mut()
            .zip(&l_ids)
            .find(|(v, i)| v.is_some() && *i == ids)
            .and_then(|(v, _)| v.take())
            .unwrap_or_else(|| json!({}))
    };
    while li < l_ids.len() || ri < r_ids.len() {
        if li < l_ids.len() && ri < r_ids.len() {
            if l_ids[li].is_some() && l_ids[li] == r_ids[ri] {
                let mut item = take_live(&mut live, &r_ids[ri]);
                merge_item(&mut item, &applied[ri]);
                out.push(item);
                done.push(r_ids[ri].clone());
                li += 1;
                ri += 1;
                next_shared = shared.pop_front().flatten();
                continue;
            }
            if in_r(&l_ids[li]) && next_shared.is_some() && next_shared != l_ids[li] {
                li += 1;
                continue;
            }
        }
        if li < l_ids.len() {
            if !in_r(&l_ids[li]) {
                out.extend(live[li].take());
                li += 1;
                continue;
            }
            if done.contains(&l_ids[li]) || ri >= r_ids.len() {
                li += 1;
                continue;
            }
        }
        if ri < r_ids.len() {
            let mut item = if l_ids.contains(&r_ids[ri]) {
                take_live(&mut live, &r_ids[ri])
            } else {
                empty_like(&applied[ri])
            };
            merge_item(&mut item, &applied[ri]);
            out.push(item);
            done.push(r_ids[ri].clone());
            if next_shared.is_some() && next_shared == r_ids[ri] {
                next_shared = shared.pop_front().flatten();
            }
            ri += 1;
        }
    }
    out
}

fn strip_nulls(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|_, c| !c.is_null());
            m.values_mut().for_each(strip_nulls);
        }
        Value::Array(a) => a.iter_mut().for_each(strip_nulls),
        _ => {}
    }
}

fn empty_like(v: &Value) -> Value {
    match v {
        Value::Object(_) => json!({}),
        Value::Array(_) => json!([]),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every ordered selection of distinct letters from `abcd`.
    fn arrangements() -> Vec<Vec<&'static str>> {
        let mut out = vec![vec![]];
        let mut frontier = vec![vec![]];
        for _ in 0..4 {
            let mut next = Vec::new();
            for a in &frontier {
                for l in ["a", "b", "c", "d"] {
                    if !a.contains(&l) {
                        let mut b: Vec<&str> = a.clone();
                        b.push(l);
                        next.push(b);
                    }
                }
            }
            out.extend(next.iter().cloned());
            frontier = next;
        }
        out
    }

    #[test]
    fn merge_ordered_keeps_every_element_once_in_config_order() {
        let all = arrangements();
        assert_eq!(all.len(), 65);
        for live in &all {
            for applied in &all {
                let l: Vec<Value> = live
                    .iter()
                    .map(|n| json!({"name": n, "from": "live"}))
                    .collect();
                let a: Vec<Value> = applied.iter().map(|n| json!({"name": n})).collect();
                let out = merge_ordered(
                    l,
                    &a,
                    |e| e.get("name").cloned(),
                    |x, y| {
                        x["name"] = y["name"].clone();
                        x["merged"] = json!(true);
                    },
                );
                let got: Vec<&str> = out.iter().map(|e| e["name"].as_str().unwrap()).collect();
                let ctx = format!("live {live:?} applied {applied:?} -> {got:?}");
                let mine: Vec<&str> = got
                    .iter()
                    .copied()
                    .filter(|n| applied.contains(n))
                    .collect();
                assert_eq!(&mine, applied, "{ctx}");
                let theirs: Vec<&str> = got
                    .iter()
                    .copied()
                    .filter(|n| !applied.contains(n))
                    .collect();
                let want: Vec<&str> = live
                    .iter()
                    .copied()
                    .filter(|n| !applied.contains(n))
                    .collect();
                assert_eq!(theirs, want, "{ctx}");
                for e in &out {
                    let n = e["name"].as_str().unwrap();
                    assert_eq!(e.get("merged").is_some(), applied.contains(&n), "{ctx}");
                    assert_eq!(e.get("from").is_some(), live.contains(&n), "{ctx}");
                }
            }
        }
    }
}
