//! A container's environment as the kubelet resolves it: literal values with `$(VAR)` references,
//! `valueFrom` (secretKeyRef, configMapKeyRef, fieldRef) and `envFrom`, read from the store.

use base64::Engine;
use serde_json::Value;

use crate::resources;
use crate::store::Store;

/// Why a container's environment cannot be built (the pod waits with
/// `CreateContainerConfigError`, as in a real cluster).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvError {
    /// A referenced Secret does not exist.
    #[error("secret \"{0}\" not found")]
    SecretNotFound(String),
    /// A referenced ConfigMap does not exist.
    #[error("configmap \"{0}\" not found")]
    ConfigMapNotFound(String),
    /// The Secret or ConfigMap lacks the key.
    #[error("couldn't find key {key} in {kind} {namespace}/{name}")]
    KeyMissing {
        kind: &'static str,
        namespace: String,
        name: String,
        key: String,
    },
}

/// Resolves `container.env` and `container.envFrom` of `pod`.
pub fn resolve(
    store: &Store,
    pod: &Value,
    container: &Value,
) -> Result<Vec<(String, String)>, EnvError> {
    let ns = pod["metadata"]["namespace"].as_str().unwrap_or("default");
    let mut out: Vec<(String, String)> = Vec::new();
    let set = |out: &mut Vec<(String, String)>, k: String, v: String| {
        out.retain(|(n, _)| *n != k);
        out.push((k, v));
    };
    for from in container["envFrom"].as_array().into_iter().flatten() {
        let prefix = from["prefix"].as_str().unwrap_or("");
        let (kind, r) = if from["secretRef"].is_object() {
            ("Secret", &from["secretRef"])
        } else {
            ("ConfigMap", &from["configMapRef"])
        };
        let name = r["name"].as_str().unwrap_or("");
        match source_data(store, kind, ns, name) {
            Some(data) => {
                for (k, v) in data {
                    set(&mut out, format!("{prefix}{k}"), v);
                }
            }
            None if r["optional"] == true => {}
            None => return Err(not_found(kind, name)),
        }
    }
    for e in container["env"].as_array().into_iter().flatten() {
        let name = e["name"].as_str().unwrap_or("").to_string();
        let value = if let Some(v) = e["value"].as_str() {
            expand_refs(v, &out)
        } else if let Some(vf) = e.get("valueFrom").filter(|v| v.is_object()) {
            match value_from(store, pod, ns, vf)? {
                Some(v) => v,
                None => continue,
            }
        } else {
            String::new()
        };
        set(&mut out, name, value);
    }
    Ok(out)
}

fn not_found(kind: &str, name: &str) -> EnvError {
    if kind == "Secret" {
        EnvError::SecretNotFound(name.into())
    } else {
        EnvError::ConfigMapNotFound(name.into())
    }
}

/// `Some(value)`, or `None` for an optional reference that is missing.
fn value_from(
    store: &Store,
    pod: &Value,
    ns: &str,
    vf: &Value,
) -> Result<Option<String>, EnvError> {
    for (field, kind) in [("secretKeyRef", "Secret"), ("configMapKeyRef", "ConfigMap")] {
        let r = &vf[field];
        if !r.is_object() {
            continue;
        }
        let name = r["name"].as_str().unwrap_or("");
        let key = r["key"].as_str().unwrap_or("");
        let optional = r["optional"] == true;
        let Some(data) = source_data(store, kind, ns, name) else {
            return if optional {
                Ok(None)
            } else {
                Err(not_found(kind, name))
            };
        };
        return match data.into_iter().find(|(k, _)| k == key) {
            Some((_, v)) => Ok(Some(v)),
            None if optional => Ok(None),
            None => Err(EnvError::KeyMissing {
                kind,
                namespace: ns.into(),
                name: name.into(),
                key: key.into(),
            }),
        };
    }
    if let Some(path) = vf["fieldRef"]["fieldPath"].as_str() {
        let v = match path {
            "metadata.name" => &pod["metadata"]["name"],
            "metadata.namespace" => &pod["metadata"]["namespace"],
            "metadata.uid" => &pod["metadata"]["uid"],
            "spec.nodeName" => &pod["spec"]["nodeName"],
            "spec.serviceAccountName" => &pod["spec"]["serviceAccountName"],
            "status.podIP" => &pod["status"]["podIP"],
            "status.hostIP" => &pod["status"]["hostIP"],
            _ => &Value::Null,
        };
        return Ok(Some(v.as_str().unwrap_or("").to_string()));
    }
    Ok(Some(String::new()))
}

/// The key/value pairs of a Secret (base64 `data` merged with `stringData`) or ConfigMap.
fn source_data(store: &Store, kind: &str, ns: &str, name: &str) -> Option<Vec<(String, String)>> {
    let obj = store.get(resources::get(kind), Some(ns), name).ok()?;
    let mut out = Vec::new();
    if let Some(d) = obj["data"].as_object() {
        for (k, v) in d {
            let s = v.as_str().unwrap_or("");
            let s = if kind == "Secret" {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(s)
                    .unwrap_or_default();
                String::from_utf8_lossy(&bytes).into_owned()
            } else {
                s.to_string()
            };
            out.push((k.clone(), s));
        }
    }
    // A real API server folds stringData into data on write; labsim's store may keep it as sent.
    if let Some(d) = obj["stringData"].as_object() {
        for (k, v) in d {
            out.retain(|(n, _)| n != k);
            out.push((k.clone(), v.as_str().unwrap_or("").to_string()));
        }
    }
    Some(out)
}

/// Kubernetes `$(VAR)` expansion of env values, command and args: `$(NAME)` of a defined variable
/// is replaced, `$$` is an escaped `$`, anything else stays as written.
pub fn expand_refs(s: &str, env: &[(String, String)]) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(inner) = after.strip_prefix('(') {
            match inner.find(')') {
                Some(end) => {
                    let name = &inner[..end];
                    match env.iter().rev().find(|(k, _)| k == name) {
                        Some((_, v)) => out.push_str(v),
                        None => {
                            out.push_str("$(");
                            out.push_str(name);
                            out.push(')');
                        }
                    }
                    rest = &inner[end + 1..];
                }
                None => {
                    out.push('$');
                    rest = after;
                }
            }
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn store_with_secret() -> Store {
        let s = Store::in_memory();
        s.create(
            resources::get("Secret"),
            Some("default"),
            json!({"metadata": {"name": "mysql-secret"}, "data": {"root": "cGFzc3dvcmQ="}, "stringData": {"user": "alice"}}),
        )
        .unwrap();
        s.create(
            resources::get("ConfigMap"),
            Some("default"),
            json!({"metadata": {"name": "cfg"}, "data": {"DB": "testdb"}}),
        )
        .unwrap();
        s
    }

    fn pod() -> Value {
        json!({"metadata": {"name": "mysql-0", "namespace": "default"}, "spec": {"nodeName": "minikube"}})
    }

    #[test]
    fn resolves_literal_secret_configmap_and_field_refs() {
        let s = store_with_secret();
        let c = json!({"env": [
            {"name": "MYSQL_ROOT_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "mysql-secret", "key": "root"}}},
            {"name": "MYSQL_USER", "valueFrom": {"secretKeyRef": {"name": "mysql-secret", "key": "user"}}},
            {"name": "MYSQL_DATABASE", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "DB"}}},
            {"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            {"name": "GREETING", "value": "hi $(POD) $$(POD) $(NOPE)"},
        ]});
        let env = resolve(&s, &pod(), &c).unwrap();
        let get = |k: &str| env.iter().find(|(n, _)| n == k).unwrap().1.clone();
        assert_eq!(get("MYSQL_ROOT_PASSWORD"), "password");
        assert_eq!(get("MYSQL_USER"), "alice");
        assert_eq!(get("MYSQL_DATABASE"), "testdb");
        assert_eq!(get("GREETING"), "hi mysql-0 $(POD) $(NOPE)");
    }

    #[test]
    fn missing_secret_or_key_is_an_error_unless_optional() {
        let s = store_with_secret();
        let c = json!({"env": [{"name": "P", "valueFrom": {"secretKeyRef": {"name": "gone", "key": "k"}}}]});
        assert_eq!(
            resolve(&s, &pod(), &c).unwrap_err().to_string(),
            "secret \"gone\" not found"
        );
        let c = json!({"env": [{"name": "P", "valueFrom": {"secretKeyRef": {"name": "mysql-secret", "key": "k"}}}]});
        assert_eq!(
            resolve(&s, &pod(), &c).unwrap_err().to_string(),
            "couldn't find key k in Secret default/mysql-secret"
        );
        let c = json!({"env": [{"name": "P", "valueFrom": {"secretKeyRef": {"name": "gone", "key": "k", "optional": true}}}]});
        assert!(resolve(&s, &pod(), &c).unwrap().is_empty());
    }

    #[test]
    fn env_from_with_prefix() {
        let s = store_with_secret();
        let c = json!({"envFrom": [{"secretRef": {"name": "mysql-secret"}, "prefix": "S_"}], "env": [{"name": "S_USER", "value": "bob"}]});
        let env = resolve(&s, &pod(), &c).unwrap();
        assert!(env.contains(&("S_root".into(), "password".into())));
        assert!(env.contains(&("S_USER".into(), "bob".into())));
    }
}
