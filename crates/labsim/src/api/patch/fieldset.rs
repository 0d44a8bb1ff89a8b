//! Field sets for server-side apply: the paths a manager owns, read from and written to the
//! `metadata.managedFields[].fieldsV1` format (`f:<field>`, `k:<key json>`, `v:<value json>`, `.`).
//!
//! A path names a leaf (a scalar, an atomic list, an empty map) or a list element (its key or
//! value segment, the element itself being a member, written `".": {}` when it also has
//! children), like `sigs.k8s.io/structured-merge-diff` does.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::schema::{list_strategy, ListStrategy};

/// One step of a field path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Seg {
    /// A map field.
    Field(String),
    /// An element of a keyed list: the canonical JSON of `{<merge key>: <value>}`.
    Key(String),
    /// An element of a set list: the canonical JSON of the value.
    Value(String),
}

/// A path from the object's root.
pub type FieldPath = Vec<Seg>;
/// The set of paths a manager owns.
pub type FieldSet = BTreeSet<FieldPath>;

/// Why a `fieldsV1` value could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldSetError {
    /// A node was not a JSON object.
    #[error("fieldsV1 node at {0} is not an object")]
    NotAnObject(String),
    /// A key did not start with `f:`, `k:`, `v:` or was not `.`.
    #[error("fieldsV1 key {0:?} is not understood")]
    BadKey(String),
}

/// The paths of `v` (an object of `kind`, already stripped of what nobody owns).
pub fn collect(kind: &str, v: &Value) -> FieldSet {
    let mut out = FieldSet::new();
    let mut path = Vec::new();
    let mut names = Vec::new();
    match v {
        Value::Object(m) => walk_map(kind, m, &mut path, &mut names, &mut out),
        _ => {
            out.insert(path);
        }
    }
    out
}

fn walk_map(
    kind: &str,
    m: &Map<String, Value>,
    path: &mut FieldPath,
    names: &mut Vec<String>,
    out: &mut FieldSet,
) {
    for (k, c) in m {
        path.push(Seg::Field(k.clone()));
        names.push(k.clone());
        walk(kind, c, path, names, out);
        names.pop();
        path.pop();
    }
}

fn walk(kind: &str, v: &Value, path: &mut FieldPath, names: &mut Vec<String>, out: &mut FieldSet) {
    match v {
        Value::Object(m) if !m.is_empty() => walk_map(kind, m, path, names, out),
        Value::Array(a) if !a.is_empty() => match element_segs(kind, names, a) {
            Some(segs) => {
                for (seg, e) in segs.into_iter().zip(a) {
                    path.push(seg);
                    out.insert(path.clone());
                    if let Value::Object(m) = e {
                        walk_map(kind, m, path, names, out);
                    }
                    path.pop();
                }
            }
            None => {
                out.insert(path.clone());
            }
        },
        _ => {
            out.insert(path.clone());
        }
    }
}

/// The segments naming each element of the list at `names`, or `None` for an atomic list (or a
/// list whose elements do not fit its strategy, which is then owned whole).
pub fn element_segs(kind: &str, names: &[String], list: &[Value]) -> Option<Vec<Seg>> {
    match list_strategy(kind, names) {
        ListStrategy::Merge(key) => list
            .iter()
            .map(|e| e.get(key).map(|kv| key_seg(key, kv)))
            .collect(),
        ListStrategy::Set => list
            .iter()
            .map(|e| match e {
                Value::Object(_) | Value::Array(_) => None,
                _ => Some(Seg::Value(e.to_string())),
            })
            .collect(),
        ListStrategy::Atomic => None,
    }
}

/// The segment of a keyed element whose merge key `key` has value `kv`.
pub fn key_seg(key: &str, kv: &Value) -> Seg {
    let mut m = Map::new();
    m.insert(key.to_string(), kv.clone());
    Seg::Key(Value::Object(m).to_string())
}

fn matches_seg(seg: &Seg, e: &Value) -> bool {
    match seg {
        Seg::Field(_) => false,
        Seg::Key(k) => match serde_json::from_str::<Map<String, Value>>(k) {
            Ok(km) => km.iter().all(|(kk, kv)| e.get(kk) == Some(kv)),
            Err(_) => false,
        },
        Seg::Value(v) => serde_json::from_str::<Value>(v).is_ok_and(|x| x == *e),
    }
}

/// The value at `path`, if present.
pub fn get<'a>(obj: &'a Value, path: &[Seg]) -> Option<&'a Value> {
    let mut cur = obj;
    for seg in path {
        cur = match seg {
            Seg::Field(f) => cur.as_object()?.get(f)?,
            _ => cur.as_array()?.iter().find(|e| matches_seg(seg, e))?,
        };
    }
    Some(cur)
}

fn get_mut<'a>(obj: &'a mut Value, path: &[Seg]) -> Option<&'a mut Value> {
    let mut cur = obj;
    for seg in path {
        cur = match seg {
            Seg::Field(f) => cur.as_object_mut()?.get_mut(f)?,
            _ => cur
                .as_array_mut()?
                .iter_mut()
                .find(|e| matches_seg(seg, e))?,
        };
    }
    Some(cur)
}

/// Removes the value at `path` (a field or a whole list element), then the maps and lists this
/// left empty above it, up to the nearest list element (which keeps at least its key).
pub fn remove(obj: &mut Value, path: &[Seg]) {
    if !remove_one(obj, path) {
        return;
    }
    for end in (1..path.len()).rev() {
        if !matches!(path[end - 1], Seg::Field(_)) {
            break;
        }
        let empty = match get(obj, &path[..end]) {
            Some(Value::Object(m)) => m.is_empty(),
            Some(Value::Array(a)) => a.is_empty(),
            _ => false,
        };
        if !empty || !remove_one(obj, &path[..end]) {
            break;
        }
    }
}

fn remove_one(obj: &mut Value, path: &[Seg]) -> bool {
    let Some((last, parent)) = path.split_last() else {
        return false;
    };
    let Some(parent) = get_mut(obj, parent) else {
        return false;
    };
    match (last, parent) {
        (Seg::Field(f), Value::Object(m)) => m.remove(f).is_some(),
        (seg, Value::Array(a)) => {
            let before = a.len();
            a.retain(|e| !matches_seg(seg, e));
            a.len() != before
        }
        _ => false,
    }
}

/// A path as the apiserver prints it in conflicts: `.spec.template.spec.containers[name="mysql"].image`.
pub fn display(path: &[Seg]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            Seg::Field(f) => {
                s.push('.');
                s.push_str(f);
            }
            Seg::Key(k) => {
                let inner = serde_json::from_str::<Map<String, Value>>(k)
                    .map(|m| {
                        m.iter()
                            .map(|(kk, kv)| format!("{kk}={kv}"))
                            .collect::<Vec<_>>()
                            .join(",")
                    })
                    .unwrap_or_else(|_| k.clone());
                s.push_str(&format!("[{inner}]"));
            }
            Seg::Value(v) => s.push_str(&format!("[={v}]")),
        }
    }
    s
}

#[derive(Default)]
struct Node {
    member: bool,
    children: BTreeMap<String, Node>,
}

/// The `fieldsV1` JSON of a set.
pub fn to_fields_v1(set: &FieldSet) -> Value {
    let mut root = Node::default();
    for path in set {
        let mut node = &mut root;
        for seg in path {
            let key = match seg {
                Seg::Field(f) => format!("f:{f}"),
                Seg::Key(k) => format!("k:{k}"),
                Seg::Value(v) => format!("v:{v}"),
            };
            node = node.children.entry(key).or_default();
        }
        node.member = true;
    }
    node_json(&root)
}

fn node_json(n: &Node) -> Value {
    let mut m = Map::new();
    if n.member && !n.children.is_empty() {
        m.insert(".".into(), Value::Object(Map::new()));
    }
    for (k, c) in &n.children {
        m.insert(k.clone(), node_json(c));
    }
    Value::Object(m)
}

/// Reads a `fieldsV1` value back into a set.
pub fn from_fields_v1(v: &Value) -> Result<FieldSet, FieldSetError> {
    let mut out = FieldSet::new();
    let mut path = Vec::new();
    read_node(v, &mut path, &mut out)?;
    Ok(out)
}

fn read_node(v: &Value, path: &mut FieldPath, out: &mut FieldSet) -> Result<(), FieldSetError> {
    let m = v
        .as_object()
        .ok_or_else(|| FieldSetError::NotAnObject(display(path)))?;
    if m.is_empty() && !path.is_empty() {
        out.insert(path.clone());
    }
    for (k, c) in m {
        if k == "." {
            out.insert(path.clone());
            continue;
        }
        let seg = if let Some(f) = k.strip_prefix("f:") {
            Seg::Field(f.to_string())
        } else if let Some(j) = k.strip_prefix("k:") {
            // Re-encode so the key is canonical (sorted, compact) whoever wrote it.
            let parsed: Value =
                serde_json::from_str(j).map_err(|_| FieldSetError::BadKey(k.clone()))?;
            Seg::Key(parsed.to_string())
        } else if let Some(j) = k.strip_prefix("v:") {
            let parsed: Value =
                serde_json::from_str(j).map_err(|_| FieldSetError::BadKey(k.clone()))?;
            Seg::Value(parsed.to_string())
        } else {
            return Err(FieldSetError::BadKey(k.clone()));
        };
        path.push(seg);
        read_node(c, path, out)?;
        path.pop();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn f(s: &str) -> Seg {
        Seg::Field(s.into())
    }

    #[test]
    fn collect_names_leaves_and_keyed_elements() {
        let obj = json!({
            "metadata": {"labels": {"app": "mysql"}, "finalizers": ["a"]},
            "spec": {"replicas": 3, "template": {"spec": {
                "containers": [{"name": "mysql", "image": "mysql:8", "args": ["x"]}],
                "volumes": [{"name": "d", "emptyDir": {}}]
            }}}
        });
        let set = collect("StatefulSet", &obj);
        let c = Seg::Key(r#"{"name":"mysql"}"#.into());
        let tspec = vec![f("spec"), f("template"), f("spec")];
        let with = |mut p: Vec<Seg>, more: &[Seg]| {
            p.extend_from_slice(more);
            p
        };
        let want: FieldSet = [
            vec![f("metadata"), f("labels"), f("app")],
            vec![f("metadata"), f("finalizers"), Seg::Value("\"a\"".into())],
            vec![f("spec"), f("replicas")],
            with(tspec.clone(), &[f("containers"), c.clone()]),
            with(tspec.clone(), &[f("containers"), c.clone(), f("name")]),
            with(tspec.clone(), &[f("containers"), c.clone(), f("image")]),
            with(tspec.clone(), &[f("containers"), c.clone(), f("args")]),
            with(
                tspec.clone(),
                &[f("volumes"), Seg::Key(r#"{"name":"d"}"#.into())],
            ),
            with(
                tspec.clone(),
                &[f("volumes"), Seg::Key(r#"{"name":"d"}"#.into()), f("name")],
            ),
            with(
                tspec.clone(),
                &[
                    f("volumes"),
                    Seg::Key(r#"{"name":"d"}"#.into()),
                    f("emptyDir"),
                ],
            ),
        ]
        .into_iter()
        .collect();
        assert_eq!(set, want);
    }

    #[test]
    fn fields_v1_round_trips_in_the_real_format() {
        let obj = json!({"spec": {"replicas": 3, "template": {"spec": {
            "containers": [{"name": "nginx", "image": "nginx"}]}}}});
        let set = collect("StatefulSet", &obj);
        let v1 = to_fields_v1(&set);
        assert_eq!(
            v1,
            json!({"f:spec": {"f:replicas": {}, "f:template": {"f:spec": {"f:containers": {
                "k:{\"name\":\"nginx\"}": {".": {}, "f:image": {}, "f:name": {}}}}}}})
        );
        assert_eq!(from_fields_v1(&v1).unwrap(), set);
        // A key written with other spacing reads back canonical.
        let odd = json!({"f:spec": {"f:containers": {"k:{ \"name\" : \"x\" }": {".": {}}}}});
        let got = from_fields_v1(&odd).unwrap();
        assert!(got.contains(&vec![
            f("spec"),
            f("containers"),
            Seg::Key(r#"{"name":"x"}"#.into())
        ]));
        assert!(from_fields_v1(&json!({"x:bad": {}})).is_err());
        assert!(from_fields_v1(&json!({"f:a": 1})).is_err());
    }

    #[test]
    fn remove_prunes_emptied_parents_but_not_list_elements() {
        let mut obj = json!({"metadata": {"labels": {"a": "1"}},
            "spec": {"containers": [{"name": "c", "image": "i"}]}});
        remove(&mut obj, &[f("metadata"), f("labels"), f("a")]);
        assert_eq!(obj.get("metadata"), None);
        let c = Seg::Key(r#"{"name":"c"}"#.into());
        remove(
            &mut obj,
            &[f("spec"), f("containers"), c.clone(), f("image")],
        );
        assert_eq!(obj, json!({"spec": {"containers": [{"name": "c"}]}}));
        remove(&mut obj, &[f("spec"), f("containers"), c]);
        assert_eq!(obj, json!({}));
    }

    #[test]
    fn display_matches_conflict_wording() {
        let p = vec![
            f("spec"),
            f("containers"),
            Seg::Key(r#"{"name":"mysql"}"#.into()),
            f("image"),
        ];
        assert_eq!(display(&p), ".spec.containers[name=\"mysql\"].image");
    }
}
