//! Parsing Kubernetes resource paths (`/api/v1/namespaces/default/pods/mysql-0/status`,
//! `/apis/apps/v1/statefulsets`) and their query strings.

use percent_encoding::percent_decode_str;

use crate::api_error::ApiError;
use crate::resources::{self, ResourceType};

/// What a resource path names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub rt: &'static ResourceType,
    /// The namespace in the path; `None` for cluster-scoped kinds and all-namespaces lists.
    pub namespace: Option<String>,
    pub name: Option<String>,
    /// `status`, `scale`, `exec`, ...
    pub sub: Option<String>,
}

/// Parses a resource path. Errors: 404 for anything that is not a served resource path.
pub fn parse(path: &str) -> Result<Target, ApiError> {
    let not_found = || ApiError::no_such_path(path);
    let segs: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned())
        .collect();
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    let (group, version, rest) = match segs.as_slice() {
        ["api", v, rest @ ..] => ("", *v, rest),
        ["apis", g, v, rest @ ..] => (*g, *v, rest),
        _ => return Err(not_found()),
    };
    let find =
        |plural: &str| resources::by_plural(group, plural).filter(|rt| rt.version == version);
    // `namespaces/{ns}/{plural}/...` unless the third segment is a Namespace subresource.
    if let ["namespaces", ns, plural, more @ ..] = rest {
        if let Some(rt) = find(plural).filter(|rt| rt.namespaced) {
            let (name, sub) = match more {
                [] => (None, None),
                [n] => (Some(n.to_string()), None),
                [n, s] => (Some(n.to_string()), Some(s.to_string())),
                _ => return Err(not_found()),
            };
            return check_sub(
                Target {
                    rt,
                    namespace: Some(ns.to_string()),
                    name,
                    sub,
                },
                path,
            );
        }
    }
    let (plural, name, sub) = match rest {
        [p] => (*p, None, None),
        [p, n] => (*p, Some(n.to_string()), None),
        [p, n, s] => (*p, Some(n.to_string()), Some(s.to_string())),
        _ => return Err(not_found()),
    };
    let rt = find(plural).ok_or_else(not_found)?;
    if rt.namespaced && name.is_some() {
        // A namespaced object needs its namespace in the path.
        return Err(not_found());
    }
    check_sub(
        Target {
            rt,
            namespace: None,
            name,
            sub,
        },
        path,
    )
}

fn check_sub(t: Target, path: &str) -> Result<Target, ApiError> {
    match &t.sub {
        Some(s) if !t.rt.subresources.contains(&s.as_str()) => Err(ApiError::no_such_path(path)),
        _ => Ok(t),
    }
}

/// A query string's parameters, in order (repeated keys allowed).
#[derive(Debug, Clone, Default)]
pub struct Query(Vec<(String, String)>);

impl Query {
    pub fn parse(query: Option<&str>) -> Query {
        Query(
            url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
                .filter(|(k, _)| !k.is_empty())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// This query plus `key=value` (which then wins over an earlier value).
    pub fn with(&self, key: &str, value: &str) -> Query {
        let mut q = self.clone();
        q.0.push((key.to_string(), value.to_string()));
        q
    }

    /// This query with `requirement` added to its field selector.
    pub fn and_field_selector(&self, requirement: &str) -> Query {
        match self.get("fieldSelector").filter(|f| !f.trim().is_empty()) {
            Some(f) => self.with("fieldSelector", &format!("{f},{requirement}")),
            None => self.with("fieldSelector", requirement),
        }
    }

    /// The last value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// `key=true` or `key=1`.
    pub fn flag(&self, key: &str) -> bool {
        matches!(self.get(key), Some("true") | Some("1"))
    }

    /// Every value of `key`.
    pub fn all(&self, key: &str) -> impl Iterator<Item = &str> {
        let key = key.to_string();
        self.0
            .iter()
            .filter(move |(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
    }

    /// `dryRun=All` (the only value the API defines). Errors: 400 for others.
    pub fn dry_run(&self) -> Result<bool, ApiError> {
        let mut dry = false;
        for v in self.all("dryRun") {
            match v {
                "All" => dry = true,
                "" => {}
                other => {
                    return Err(ApiError::bad_request(format!(
                        "Invalid dryRun value: {other:?}; supported values: \"All\""
                    )))
                }
            }
        }
        Ok(dry)
    }

    /// An integer parameter. Errors: 400 when it does not parse.
    pub fn int(&self, key: &str) -> Result<Option<i64>, ApiError> {
        self.get(key)
            .filter(|v| !v.is_empty())
            .map(|v| {
                v.parse()
                    .map_err(|_| ApiError::bad_request(format!("invalid {key}: {v:?}")))
            })
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaced_paths() {
        let t = parse("/api/v1/namespaces/default/pods/mysql-0/status").unwrap();
        assert_eq!(t.rt.kind, "Pod");
        assert_eq!(t.namespace.as_deref(), Some("default"));
        assert_eq!(t.name.as_deref(), Some("mysql-0"));
        assert_eq!(t.sub.as_deref(), Some("status"));
        let t = parse("/apis/apps/v1/namespaces/lab/statefulsets").unwrap();
        assert_eq!((t.rt.kind, t.name), ("StatefulSet", None));
        let t = parse("/apis/apps/v1/namespaces/lab/statefulsets/mysql/scale").unwrap();
        assert_eq!(t.sub.as_deref(), Some("scale"));
    }

    #[test]
    fn cluster_and_all_namespaces() {
        let t = parse("/api/v1/pods").unwrap();
        assert_eq!((t.rt.kind, t.namespace), ("Pod", None));
        let t = parse("/api/v1/nodes/minikube-m02").unwrap();
        assert_eq!(t.name.as_deref(), Some("minikube-m02"));
        let t = parse("/api/v1/namespaces/default").unwrap();
        assert_eq!(
            (t.rt.kind, t.name.as_deref()),
            ("Namespace", Some("default"))
        );
        let t = parse("/api/v1/namespaces/default/status").unwrap();
        assert_eq!((t.rt.kind, t.sub.as_deref()), ("Namespace", Some("status")));
        let t = parse("/apis/storage.k8s.io/v1/storageclasses/standard").unwrap();
        assert_eq!(t.rt.kind, "StorageClass");
    }

    #[test]
    fn unknown_paths_are_404() {
        for p in [
            "/api/v1/widgets",
            "/api/v2/pods",
            "/apis/apps/v1/pods",
            "/apis/batch/v1/jobs",
            "/api/v1/pods/x",
            "/api/v1/namespaces/default/pods/x/bogus",
            "/api/v1/namespaces/default/configmaps/x/status",
            "/foo",
        ] {
            assert_eq!(parse(p).unwrap_err().code, 404, "{p}");
        }
    }

    #[test]
    fn queries() {
        let q = Query::parse(Some(
            "&labelSelector=app%3Dmysql&watch=true&dryRun=All&limit=500",
        ));
        assert_eq!(q.get("labelSelector"), Some("app=mysql"));
        assert!(q.flag("watch"));
        assert!(q.dry_run().unwrap());
        assert_eq!(q.int("limit").unwrap(), Some(500));
        assert_eq!(
            Query::parse(Some("dryRun=Some"))
                .dry_run()
                .unwrap_err()
                .code,
            400
        );
        assert_eq!(
            Query::parse(Some("limit=x")).int("limit").unwrap_err().code,
            400
        );
        assert!(!Query::parse(None).flag("watch"));
    }
}
