//! Strategic merge patch (`application/strategic-merge-patch+json`), as kubectl's client-side
//! apply sends it: maps merge recursively, lists merge by the keys in [`super::schema`], and the
//! directives `$patch`, `$retainKeys`, `$setElementOrder/<field>` and
//! `$deleteFromPrimitiveList/<field>` are honoured. Follows `apimachinery/pkg/util/strategicpatch`.

use serde_json::{Map, Value};

use super::schema::{list_strategy, ListStrategy};

/// Why a strategic merge patch could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SmpError {
    /// The patch is malformed (unknown directive, wrong directive shape): 400 Bad Request.
    #[error("{0}")]
    BadFormat(String),
    /// The patch is well formed but cannot apply (a list element without its merge key): 422.
    #[error("{0}")]
    Invalid(String),
}

const DIRECTIVE: &str = "$patch";
const RETAIN_KEYS: &str = "$retainKeys";
const SET_ORDER: &str = "$setElementOrder/";
const DELETE_PRIMITIVE: &str = "$deleteFromPrimitiveList/";

/// Applies `patch` to `original`, an object of `kind`. Both must be JSON objects.
pub fn apply(kind: &str, original: &Value, patch: &Value) -> Result<Value, SmpError> {
    let (Some(o), Some(p)) = (original.as_object(), patch.as_object()) else {
        return Err(SmpError::BadFormat(
            "a strategic merge patch must be a JSON object".into(),
        ));
    };
    let mut path = Vec::new();
    Ok(Value::Object(merge_map(kind, &mut path, o.clone(), p)?))
}

fn merge_map(
    kind: &str,
    path: &mut Vec<String>,
    mut original: Map<String, Value>,
    patch: &Map<String, Value>,
) -> Result<Map<String, Value>, SmpError> {
    if let Some(d) = patch.get(DIRECTIVE) {
        match d.as_str() {
            // The patch replaces the map (with its own directives processed).
            Some("replace") => {
                let mut p = patch.clone();
                p.remove(DIRECTIVE);
                return merge_map(kind, path, Map::new(), &p);
            }
            Some("delete") => return Ok(Map::new()),
            Some("merge") => {}
            _ => {
                return Err(SmpError::BadFormat(format!(
                    "Unknown patch type: {d} in map: {}",
                    Value::Object(patch.clone())
                )))
            }
        }
    }
    if let Some(rk) = patch.get(RETAIN_KEYS) {
        let keys: Vec<&str> = rk
            .as_array()
            .and_then(|a| a.iter().map(Value::as_str).collect::<Option<Vec<_>>>())
            .ok_or_else(|| {
                SmpError::BadFormat(format!(
                    "invalid patch: $retainKeys must be a list of strings, got {rk}"
                ))
            })?;
        // A field the patch sets must be retained (apimachinery: ErrBadPatchFormatForRetainKeys,
        // a 400); a null may name any field.
        for (k, _) in patch
            .iter()
            .filter(|(k, v)| !k.starts_with('$') && !v.is_null())
        {
            if !keys.contains(&k.as_str()) {
                return Err(SmpError::BadFormat(format!(
                    "the $retainKeys list {rk} does not contain the patch field {k:?}"
                )));
            }
        }
        original.retain(|k, _| keys.contains(&k.as_str()));
    }
    // `$setElementOrder` sorts against the original order, so keep the lists it names.
    let mut orders = Vec::new();
    for (k, v) in patch {
        if let Some(field) = k.strip_prefix(SET_ORDER) {
            let order = v.as_array().ok_or_else(|| {
                SmpError::BadFormat(format!("invalid patch: {k} must be a list, got {v}"))
            })?;
            let before = original
                .get(field)
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            path.push(field.to_string());
            let strategy = list_strategy(kind, path);
            path.pop();
            if let (Some(Value::Array(listed)), ListStrategy::Merge(_) | ListStrategy::Set) =
                (patch.get(field), strategy)
            {
                check_order(k, order, listed, strategy)?;
            }
            orders.push((field, order, before));
        }
    }
    for (k, v) in patch {
        if let Some(field) = k.strip_prefix(DELETE_PRIMITIVE) {
            let gone = v
                .as_array()
                .filter(|a| a.iter().all(is_primitive))
                .ok_or_else(|| {
                    SmpError::BadFormat(format!(
                        "invalid patch: {k} must be a list of primitives, got {v}"
                    ))
                })?;
            if let Some(Value::Array(list)) = original.get_mut(field) {
                list.retain(|x| !gone.contains(x));
                if list.is_empty() {
                    original.remove(field);
                }
            }
        }
    }
    for (k, pv) in patch {
        if k.starts_with('$') {
            continue;
        }
        if pv.is_null() {
            original.remove(k);
            continue;
        }
        // A `$patch: delete` map where there is no map to merge into leaves no key behind.
        if pv.get(DIRECTIVE).and_then(Value::as_str) == Some("delete")
            && !original.get(k).is_some_and(Value::is_object)
        {
            original.remove(k);
            continue;
        }
        path.push(k.clone());
        let merged = merge_value(kind, path, original.remove(k), pv);
        path.pop();
        original.insert(k.clone(), merged?);
    }
    for (field, order, before) in orders {
        path.push(field.to_string());
        let strategy = list_strategy(kind, path);
        path.pop();
        let key = match strategy {
            ListStrategy::Merge(key) => Some(key),
            ListStrategy::Set => None,
            // An atomic list is exactly what the patch says; there is nothing to order.
            ListStrategy::Atomic => continue,
        };
        if let Some(Value::Array(list)) = original.get_mut(field) {
            let merged = std::mem::take(list);
            *list = reorder(merged, order, &before, key)?;
        }
    }
    Ok(original)
}

fn merge_value(
    kind: &str,
    path: &mut Vec<String>,
    original: Option<Value>,
    patch: &Value,
) -> Result<Value, SmpError> {
    match patch {
        Value::Object(p) => {
            let o = match original {
                Some(Value::Object(o)) => o,
                _ => Map::new(),
            };
            Ok(Value::Object(merge_map(kind, path, o, p)?))
        }
        Value::Array(p) => {
            let o = match original {
                Some(Value::Array(o)) => o,
                _ => Vec::new(),
            };
            match list_strategy(kind, path) {
                ListStrategy::Atomic => Ok(patch.clone()),
                strategy => Ok(Value::Array(merge_list(kind, path, o, p, strategy)?)),
            }
        }
        _ => Ok(patch.clone()),
    }
}

fn merge_list(
    kind: &str,
    path: &mut Vec<String>,
    mut original: Vec<Value>,
    patch: &[Value],
    strategy: ListStrategy,
) -> Result<Vec<Value>, SmpError> {
    let directive = |v: &Value| v.get(DIRECTIVE).and_then(Value::as_str).map(String::from);
    // `{"$patch": "replace"}` as an element: the rest of the patch list is the new list.
    if patch
        .iter()
        .any(|v| directive(v).as_deref() == Some("replace"))
    {
        let mut out = Vec::new();
        for v in patch {
            match v {
                Value::Object(m) if m.contains_key(DIRECTIVE) && m.len() == 1 => {}
                _ => out.push(merge_value(kind, path, None, v)?),
            }
        }
        return Ok(out);
    }
    // Whatever the patch lists comes in the patch's order, the rest keeps its original place
    // (apimachinery's `normalizeElementOrder` at the end of `mergeSlice`).
    let before = original.clone();
    match strategy {
        ListStrategy::Set => {
            for v in patch {
                if !is_primitive(v) {
                    return Err(SmpError::BadFormat(format!(
                        "invalid patch: the list {} merges as a set of primitives, got {v}",
                        path.join(".")
                    )));
                }
                if !original.contains(v) {
                    original.push(v.clone());
                }
            }
            reorder(original, patch, &before, None)
        }
        ListStrategy::Merge(key) => {
            let mut listed = Vec::new();
            for v in patch {
                let Some(m) = v.as_object() else {
                    return Err(SmpError::BadFormat(format!(
                        "invalid patch: the list {} merges by {key:?}, got element {v}",
                        path.join(".")
                    )));
                };
                let d = directive(v);
                let Some(kv) = m.get(key) else {
                    return Err(SmpError::Invalid(format!(
                        "map: {v} does not contain declared merge key: {key}"
                    )));
                };
                match d.as_deref() {
                    Some("delete") => {
                        original.retain(|o| o.get(key) != Some(kv));
                        continue;
                    }
                    None | Some("merge") => listed.push(v.clone()),
                    Some(other) => {
                        return Err(SmpError::BadFormat(format!(
                            "Unknown patch type: {other:?} in list element {v}"
                        )))
                    }
                }
                match original.iter_mut().find(|o| o.get(key) == Some(kv)) {
                    Some(o) => {
                        let base = match std::mem::take(o) {
                            Value::Object(b) => b,
                            _ => Map::new(),
                        };
                        *o = Value::Object(merge_map(kind, path, base, m)?);
                    }
                    None => original.push(Value::Object(merge_map(kind, path, Map::new(), m)?)),
                }
            }
            reorder(original, &listed, &before, Some(key))
        }
        ListStrategy::Atomic => Ok(patch.to_vec()),
    }
}

/// The patch list must name a subset of the `$setElementOrder` list, in the same relative order
/// (deletions and directives aside), as apimachinery's `validatePatchWithSetOrderList` demands.
fn check_order(
    directive: &str,
    order: &[Value],
    listed: &[Value],
    strategy: ListStrategy,
) -> Result<(), SmpError> {
    let ident = |v: &Value| -> Option<Value> {
        match strategy {
            ListStrategy::Merge(key) => v.get(key).cloned(),
            _ => Some(v.clone()),
        }
    };
    let order_ids: Vec<Option<Value>> = order.iter().map(ident).collect();
    let mut last = None;
    for v in listed {
        if v.get(DIRECTIVE).is_some() {
            continue;
        }
        let id = ident(v);
        let pos = order_ids.iter().position(|o| o.is_some() && *o == id);
        match (pos, last) {
            (Some(p), Some(l)) if p < l => {}
            (Some(p), _) => {
                last = Some(p);
                continue;
            }
            (None, _) => {}
        }
        return Err(SmpError::BadFormat(format!(
            "invalid patch: the {directive} list does not name {v} in the patch list's order"
        )));
    }
    Ok(())
}

fn is_primitive(v: &Value) -> bool {
    !matches!(v, Value::Object(_) | Value::Array(_))
}

/// Orders `merged` by `order` (the patch list, or a `$setElementOrder` list), as apimachinery's
/// `normalizeElementOrder` does: the elements `order` names come in its order; the others (only
/// on the server) are slotted in before the first listed element that followed them in
/// `server_order`, and otherwise after (`mergeSortedSlice` with the server-only items as `left`).
/// So a new element a patch lists goes before the server's elements, as the Kubernetes docs show
/// for `kubectl patch` adding a container.
fn reorder(
    merged: Vec<Value>,
    order: &[Value],
    server_order: &[Value],
    key: Option<&str>,
) -> Result<Vec<Value>, SmpError> {
    let ident = |v: &Value| -> Option<Value> {
        match key {
            Some(k) => v.get(k).cloned(),
            None => Some(v.clone()),
        }
    };
    let mut wanted = Vec::with_capacity(order.len());
    for o in order {
        match ident(o) {
            Some(id) if key.is_none() || o.is_object() => wanted.push(id),
            _ => {
                return Err(SmpError::BadFormat(format!(
                    "invalid patch: $setElementOrder element {o} lacks the merge key {key:?}"
                )))
            }
        }
    }
    let pos_in = |list: &[Value], v: &Value| -> Option<usize> {
        let id = ident(v)?;
        list.iter().position(|x| ident(x).as_ref() == Some(&id))
    };
    let (mut listed, server_only): (Vec<Value>, Vec<Value>) = merged
        .into_iter()
        .partition(|v| ident(v).is_some_and(|id| wanted.contains(&id)));
    listed.sort_by_key(|v| ident(v).and_then(|id| wanted.iter().position(|w| *w == id)));
    let mut out = Vec::with_capacity(listed.len() + server_only.len());
    let mut s = server_only.into_iter().peekable();
    let mut l = listed.into_iter().peekable();
    loop {
        match (s.peek(), l.peek()) {
            (Some(a), Some(b)) => {
                let server_first = matches!(
                    (pos_in(server_order, a), pos_in(server_order, b)),
                    (Some(x), Some(y)) if x < y
                );
                let next = if server_first { s.next() } else { l.next() };
                out.extend(next);
            }
            (Some(_), None) => out.extend(s.next()),
            (None, Some(_)) => out.extend(l.next()),
            (None, None) => break,
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// (what, kind, original, patch, expected)
    fn cases() -> Vec<(&'static str, &'static str, Value, Value, Value)> {
        vec![
            (
                "maps merge, null deletes",
                "ConfigMap",
                json!({"a": 1, "b": {"c": 1, "d": 2}}),
                json!({"b": {"c": null, "e": 3}}),
                json!({"a": 1, "b": {"d": 2, "e": 3}}),
            ),
            (
                "containers merge by name, other fields kept",
                "Pod",
                json!({"spec": {"containers": [
                    {"name": "a", "image": "a:1", "env": [{"name": "X", "value": "1"}]},
                    {"name": "b", "image": "b:1"}]}}),
                json!({"spec": {"containers": [{"name": "a", "image": "a:2"}]}}),
                json!({"spec": {"containers": [
                    {"name": "a", "image": "a:2", "env": [{"name": "X", "value": "1"}]},
                    {"name": "b", "image": "b:1"}]}}),
            ),
            (
                "a new keyed element goes first (the k8s docs' kubectl patch example)",
                "Pod",
                json!({"spec": {"containers": [{"name": "a", "image": "a"}]}}),
                json!({"spec": {"containers": [{"name": "b", "image": "b"}]}}),
                json!({"spec": {"containers": [{"name": "b", "image": "b"}, {"name": "a", "image": "a"}]}}),
            ),
            (
                "$patch delete in a keyed list element",
                "Pod",
                json!({"spec": {"containers": [{"name": "a", "env": [
                    {"name": "X", "value": "1"}, {"name": "Y", "value": "2"}]}]}}),
                json!({"spec": {"containers": [{"name": "a", "env": [{"name": "X", "$patch": "delete"}]}]}}),
                json!({"spec": {"containers": [{"name": "a", "env": [{"name": "Y", "value": "2"}]}]}}),
            ),
            (
                "$patch replace in a map",
                "Pod",
                json!({"metadata": {"labels": {"a": "1", "b": "2"}}}),
                json!({"metadata": {"labels": {"$patch": "replace", "c": "3"}}}),
                json!({"metadata": {"labels": {"c": "3"}}}),
            ),
            (
                "$patch delete in a map empties it",
                "Pod",
                json!({"metadata": {"labels": {"a": "1"}, "name": "p"}}),
                json!({"metadata": {"labels": {"$patch": "delete"}}}),
                json!({"metadata": {"labels": {}, "name": "p"}}),
            ),
            (
                "$patch delete on an absent or non-map field leaves no key",
                "Pod",
                json!({"metadata": {"name": "p", "labels": "odd"}}),
                json!({"metadata": {"labels": {"$patch": "delete"}, "annotations": {"$patch": "delete"}}}),
                json!({"metadata": {"name": "p"}}),
            ),
            (
                "$patch replace as a list element replaces the list",
                "Pod",
                json!({"spec": {"containers": [{"name": "a", "image": "a"}, {"name": "b"}]}}),
                json!({"spec": {"containers": [{"name": "c", "image": "c"}, {"$patch": "replace"}]}}),
                json!({"spec": {"containers": [{"name": "c", "image": "c"}]}}),
            ),
            (
                "elements the patch lists take the patch's order",
                "Pod",
                json!({"spec": {"containers": [{"name": "a"}, {"name": "s"}, {"name": "b"}]}}),
                json!({"spec": {"containers": [{"name": "b", "image": "b"}, {"name": "a", "image": "a"}]}}),
                json!({"spec": {"containers": [{"name": "s"}, {"name": "b", "image": "b"}, {"name": "a", "image": "a"}]}}),
            ),
            (
                "set elements the patch lists take the patch's order",
                "Pod",
                json!({"metadata": {"finalizers": ["a", "b", "c"]}}),
                json!({"metadata": {"finalizers": ["c", "a"]}}),
                json!({"metadata": {"finalizers": ["b", "c", "a"]}}),
            ),
            (
                "$setElementOrder reorders merged elements",
                "Pod",
                json!({"spec": {"containers": [{"name": "a"}, {"name": "b"}, {"name": "c"}]}}),
                json!({"spec": {"$setElementOrder/containers": [{"name": "c"}, {"name": "a"}, {"name": "b"}],
                    "containers": [{"name": "a", "image": "a2"}]}}),
                json!({"spec": {"containers": [{"name": "c"}, {"name": "a", "image": "a2"}, {"name": "b"}]}}),
            ),
            (
                "$setElementOrder places a new element",
                "Pod",
                json!({"spec": {"containers": [{"name": "a"}, {"name": "b"}]}}),
                json!({"spec": {"$setElementOrder/containers": [{"name": "c"}, {"name": "a"}, {"name": "b"}],
                    "containers": [{"name": "c"}]}}),
                json!({"spec": {"containers": [{"name": "c"}, {"name": "a"}, {"name": "b"}]}}),
            ),
            (
                "$setElementOrder keeps server-only elements by original position",
                "Pod",
                json!({"spec": {"containers": [{"name": "a"}, {"name": "s"}, {"name": "b"}]}}),
                json!({"spec": {"$setElementOrder/containers": [{"name": "a"}, {"name": "b"}]}}),
                json!({"spec": {"containers": [{"name": "a"}, {"name": "s"}, {"name": "b"}]}}),
            ),
            (
                "$setElementOrder on a primitive set",
                "Pod",
                json!({"metadata": {"finalizers": ["x", "y"]}}),
                json!({"metadata": {"$setElementOrder/finalizers": ["z", "y", "x"], "finalizers": ["z"]}}),
                json!({"metadata": {"finalizers": ["z", "y", "x"]}}),
            ),
            (
                "$retainKeys clears fields not listed (volume source switch)",
                "Pod",
                json!({"spec": {"volumes": [{"name": "v", "emptyDir": {}}]}}),
                json!({"spec": {"volumes": [{"name": "v", "$retainKeys": ["hostPath", "name"],
                    "hostPath": {"path": "/x"}}]}}),
                json!({"spec": {"volumes": [{"name": "v", "hostPath": {"path": "/x"}}]}}),
            ),
            (
                "$retainKeys allows nulls for fields it does not list",
                "Pod",
                json!({"spec": {"volumes": [{"name": "v", "emptyDir": {}}]}}),
                json!({"spec": {"volumes": [{"name": "v", "$retainKeys": ["hostPath", "name"],
                    "hostPath": {"path": "/x"}, "emptyDir": null}]}}),
                json!({"spec": {"volumes": [{"name": "v", "hostPath": {"path": "/x"}}]}}),
            ),
            (
                "$deleteFromPrimitiveList",
                "Pod",
                json!({"metadata": {"finalizers": ["a", "b", "c"]}}),
                json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["b"]}}),
                json!({"metadata": {"finalizers": ["a", "c"]}}),
            ),
            (
                "finalizers merge as a set, in the patch's order",
                "Pod",
                json!({"metadata": {"finalizers": ["a"]}}),
                json!({"metadata": {"finalizers": ["b", "a"]}}),
                json!({"metadata": {"finalizers": ["b", "a"]}}),
            ),
            (
                "tolerations are atomic",
                "Pod",
                json!({"spec": {"tolerations": [{"key": "a", "operator": "Exists"}]}}),
                json!({"spec": {"tolerations": [{"key": "b", "operator": "Exists"}]}}),
                json!({"spec": {"tolerations": [{"key": "b", "operator": "Exists"}]}}),
            ),
            (
                "volumeClaimTemplates are atomic",
                "StatefulSet",
                json!({"spec": {"volumeClaimTemplates": [{"metadata": {"name": "d"}, "spec": {"storageClassName": "standard"}}]}}),
                json!({"spec": {"volumeClaimTemplates": [{"metadata": {"name": "d"}, "spec": {"resources": {}}}]}}),
                json!({"spec": {"volumeClaimTemplates": [{"metadata": {"name": "d"}, "spec": {"resources": {}}}]}}),
            ),
            (
                "service ports merge by port",
                "Service",
                json!({"spec": {"ports": [{"port": 3306, "name": "mysql", "targetPort": 3306}, {"port": 80}]}}),
                json!({"spec": {"ports": [{"port": 3306, "targetPort": 3307}]}}),
                json!({"spec": {"ports": [{"port": 3306, "name": "mysql", "targetPort": 3307}, {"port": 80}]}}),
            ),
            (
                "container ports merge by containerPort",
                "Pod",
                json!({"spec": {"containers": [{"name": "a", "ports": [{"containerPort": 1, "name": "x"}]}]}}),
                json!({"spec": {"containers": [{"name": "a", "ports": [{"containerPort": 2}]}]}}),
                json!({"spec": {"containers": [{"name": "a", "ports": [{"containerPort": 2}, {"containerPort": 1, "name": "x"}]}]}}),
            ),
            (
                "volumeMounts merge by mountPath",
                "Pod",
                json!({"spec": {"containers": [{"name": "a", "volumeMounts": [{"mountPath": "/d", "name": "d"}]}]}}),
                json!({"spec": {"containers": [{"name": "a", "volumeMounts": [{"mountPath": "/d", "readOnly": true}]}]}}),
                json!({"spec": {"containers": [{"name": "a", "volumeMounts": [{"mountPath": "/d", "name": "d", "readOnly": true}]}]}}),
            ),
            (
                "ownerReferences merge by uid, conditions by type",
                "Pod",
                json!({"metadata": {"ownerReferences": [{"uid": "1", "name": "a"}]},
                    "status": {"conditions": [{"type": "Ready", "status": "False"}, {"type": "Initialized", "status": "True"}]}}),
                json!({"metadata": {"ownerReferences": [{"uid": "2", "name": "b"}]},
                    "status": {"conditions": [{"type": "Ready", "status": "True"}]}}),
                json!({"metadata": {"ownerReferences": [{"uid": "2", "name": "b"}, {"uid": "1", "name": "a"}]},
                    "status": {"conditions": [{"type": "Ready", "status": "True"}, {"type": "Initialized", "status": "True"}]}}),
            ),
            (
                "a new subtree is cleaned of nulls and directives",
                "Pod",
                json!({"metadata": {"name": "p"}}),
                json!({"metadata": {"labels": {"a": null, "b": "1"}}, "spec": {
                    "$setElementOrder/containers": [{"name": "c"}], "containers": [{"name": "c", "env": [{"name": "E", "value": "v"}]}]}}),
                json!({"metadata": {"name": "p", "labels": {"b": "1"}}, "spec": {
                    "containers": [{"name": "c", "env": [{"name": "E", "value": "v"}]}]}}),
            ),
            (
                "lists without a rule are replaced",
                "Pod",
                json!({"spec": {"containers": [{"name": "a", "command": ["x", "y"]}]}}),
                json!({"spec": {"containers": [{"name": "a", "command": ["z"]}]}}),
                json!({"spec": {"containers": [{"name": "a", "command": ["z"]}]}}),
            ),
            (
                "a value of another type replaces",
                "ConfigMap",
                json!({"data": {"a": {"b": 1}}}),
                json!({"data": {"a": "s"}}),
                json!({"data": {"a": "s"}}),
            ),
        ]
    }

    #[test]
    fn table() {
        for (what, kind, original, patch, want) in cases() {
            let got = apply(kind, &original, &patch).unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_eq!(got, want, "{what}");
        }
    }

    /// (what, patch, expected error)
    type Refusal = (&'static str, Value, fn(&SmpError) -> bool);

    #[test]
    fn malformed_patches_are_refused() {
        let orig = json!({"spec": {"containers": [{"name": "a"}]}});
        let cases: Vec<Refusal> = vec![
            (
                "element without merge key",
                json!({"spec": {"containers": [{"image": "x"}]}}),
                |e| matches!(e, SmpError::Invalid(m) if m.contains("does not contain declared merge key: name")),
            ),
            (
                "unknown map directive",
                json!({"spec": {"$patch": "explode"}}),
                |e| matches!(e, SmpError::BadFormat(_)),
            ),
            (
                "unknown list element directive",
                json!({"spec": {"containers": [{"name": "a", "$patch": "explode"}]}}),
                |e| matches!(e, SmpError::BadFormat(_)),
            ),
            (
                "retainKeys that omit a patched field",
                json!({"spec": {"$retainKeys": ["x"], "y": 1}}),
                |e| matches!(e, SmpError::BadFormat(_)),
            ),
            (
                "setElementOrder that is not a list",
                json!({"spec": {"$setElementOrder/containers": {"name": "a"}}}),
                |e| matches!(e, SmpError::BadFormat(_)),
            ),
            (
                "setElementOrder element without the key",
                json!({"spec": {"$setElementOrder/containers": [{"image": "a"}]}}),
                |e| matches!(e, SmpError::BadFormat(_)),
            ),
            (
                "setElementOrder missing an element the patch lists",
                json!({"spec": {"$setElementOrder/containers": [{"name": "a"}],
                    "containers": [{"name": "b", "image": "b"}]}}),
                |e| matches!(e, SmpError::BadFormat(m) if m.contains("$setElementOrder/containers")),
            ),
            (
                "setElementOrder in another order than the patch list",
                json!({"spec": {"$setElementOrder/containers": [{"name": "a"}, {"name": "b"}],
                    "containers": [{"name": "b", "image": "b"}, {"name": "a", "image": "a"}]}}),
                |e| matches!(e, SmpError::BadFormat(_)),
            ),
            (
                "deleteFromPrimitiveList of maps",
                json!({"metadata": {"$deleteFromPrimitiveList/finalizers": [{"a": 1}]}}),
                |e| matches!(e, SmpError::BadFormat(_)),
            ),
            (
                "a map where a keyed list element belongs",
                json!({"spec": {"containers": ["a"]}}),
                |e| matches!(e, SmpError::BadFormat(_)),
            ),
            ("a patch that is not an object", json!([1]), |e| {
                matches!(e, SmpError::BadFormat(_))
            }),
        ];
        for (what, patch, ok) in cases {
            let err = apply("Pod", &orig, &patch).expect_err(what);
            assert!(ok(&err), "{what}: {err:?}");
        }
    }
}
