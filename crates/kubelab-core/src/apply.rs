//! `apply(path)`: multi-document YAML, any kind via discovery, server-side apply (field manager
//! `kubelab`, force), reporting `created` / `configured` / `unchanged` from resourceVersions.

use std::fmt;
use std::path::Path;

use kube::api::{Api, DynamicObject, Patch, PatchParams};
use kube::core::GroupVersionKind;
use kube::discovery::{self, Scope};
use serde::Deserialize;

pub use crate::error::apply::Error;
use crate::error::Result;
use crate::lab::{is_not_found, Lab, API_TIMEOUT, NAMESPACE};
use crate::memory::{Applied, APPLIED};
use crate::table::pre;

/// What happened to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Did not exist before.
    Created,
    /// Existed and changed.
    Configured,
    /// Existed and did not change.
    Unchanged,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Outcome::Created => "created",
            Outcome::Configured => "configured",
            Outcome::Unchanged => "unchanged",
        })
    }
}

/// The outcome of `apply`: one line per object, like kubectl.
#[derive(Debug, Clone)]
pub struct ApplyReport {
    /// (`service/mysql`, outcome) in file order.
    pub objects: Vec<(String, Outcome)>,
}

impl ApplyReport {
    /// The outcome for `kind/name` (e.g. `statefulset.apps/mysql`).
    pub fn outcome(&self, object: &str) -> Option<Outcome> {
        self.objects
            .iter()
            .find(|(o, _)| o == object)
            .map(|(_, r)| *r)
    }

    /// HTML for Jupyter.
    pub fn to_html(&self) -> String {
        pre(&self.to_string())
    }
}

impl fmt::Display for ApplyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines: Vec<String> = self
            .objects
            .iter()
            .map(|(o, r)| format!("{o} {r}"))
            .collect();
        f.write_str(&lines.join("\n"))
    }
}
crate::table::evcxr_report!(ApplyReport);

/// One parsed document.
#[derive(Debug, Clone)]
pub struct Doc {
    /// apiVersion.
    pub api_version: String,
    /// kind.
    pub kind: String,
    /// metadata.name.
    pub name: String,
    /// The whole document.
    pub value: serde_json::Value,
}

/// Parses multi-document YAML; errors name file, line and column.
pub fn parse_docs(file: &str, text: &str) -> Result<Vec<Doc>, Error> {
    let mut docs = Vec::new();
    for (i, de) in serde_yaml::Deserializer::from_str(text).enumerate() {
        let v = serde_yaml::Value::deserialize(de).map_err(|e| {
            let (line, column) = e
                .location()
                .map(|l| (l.line(), l.column()))
                .unwrap_or((0, 0));
            Error::Yaml {
                file: file.to_string(),
                line,
                column,
                message: e.to_string(),
            }
        })?;
        if v.is_null() {
            continue;
        }
        let json: serde_json::Value = serde_json::to_value(&v).map_err(|e| Error::Yaml {
            file: file.to_string(),
            line: 0,
            column: 0,
            message: e.to_string(),
        })?;
        let field = |p: &str| json.pointer(p).and_then(|v| v.as_str()).map(str::to_string);
        let missing = |f: &str| Error::MissingField {
            file: file.to_string(),
            index: i + 1,
            field: f.to_string(),
        };
        let api_version = field("/apiVersion").ok_or_else(|| missing("apiVersion"))?;
        let kind = field("/kind").ok_or_else(|| missing("kind"))?;
        let name = field("/metadata/name").ok_or_else(|| missing("metadata.name"))?;
        docs.push(Doc {
            api_version,
            kind,
            name,
            value: json,
        });
    }
    Ok(docs)
}

/// kubectl's object reference: `statefulset.apps/mysql`, `service/mysql`.
pub fn object_ref(api_version: &str, kind: &str, name: &str) -> String {
    match api_version.split_once('/') {
        Some((group, _)) => format!("{}.{group}/{name}", kind.to_lowercase()),
        None => format!("{}/{name}", kind.to_lowercase()),
    }
}

/// Reads a manifest file; a missing file names the path and the current directory.
pub fn read_manifest(path: &str) -> Result<String, Error> {
    std::fs::read_to_string(Path::new(path)).map_err(|_| Error::FileNotFound {
        path: path.to_string(),
        cwd: std::env::current_dir()
            .map(|d| d.display().to_string())
            .unwrap_or_default(),
    })
}

impl Lab {
    /// `kubectl apply -f path` (server-side apply).
    pub async fn apply(&self, path: &str) -> Result<ApplyReport> {
        crate::out::cmd(&format!("kubectl apply -f {path}"));
        let text = read_manifest(path)?;
        let docs = parse_docs(path, &text)?;
        let mut report = ApplyReport {
            objects: Vec::new(),
        };
        for doc in docs {
            let (group, version) = match doc.api_version.split_once('/') {
                Some((g, v)) => (g.to_string(), v.to_string()),
                None => (String::new(), doc.api_version.clone()),
            };
            let gvk = GroupVersionKind::gvk(&group, &version, &doc.kind);
            let unknown = || Error::UnknownKind {
                file: path.to_string(),
                api_version: doc.api_version.clone(),
                kind: doc.kind.clone(),
            };
            let (ar, caps) =
                match tokio::time::timeout(API_TIMEOUT, discovery::pinned_kind(&self.client, &gvk))
                    .await
                {
                    Ok(Ok(x)) => x,
                    Ok(Err(kube::Error::Api(s))) if s.code == 404 => return Err(unknown().into()),
                    Ok(Err(kube::Error::Discovery(_))) => return Err(unknown().into()),
                    Ok(Err(e)) => return Err(self.err(e, &format!("kubectl apply -f {path}"))),
                    Err(_) => return Err(self.err_timeout("discovery")),
                };
            let api: Api<DynamicObject> = match caps.scope {
                Scope::Namespaced => {
                    let ns = doc
                        .value
                        .pointer("/metadata/namespace")
                        .and_then(|v| v.as_str())
                        .unwrap_or(NAMESPACE)
                        .to_string();
                    Api::namespaced_with(self.client.clone(), &ns, &ar)
                }
                Scope::Cluster => Api::all_with(self.client.clone(), &ar),
            };
            let action = format!("kubectl apply ({} {})", doc.kind, doc.name);
            let before = match tokio::time::timeout(API_TIMEOUT, api.get(&doc.name)).await {
                Ok(Ok(o)) => o.metadata.resource_version,
                Ok(Err(e)) if is_not_found(&e) => None,
                Ok(Err(e)) => return Err(self.err(e, &action)),
                Err(_) => return Err(self.err_timeout(&action)),
            };
            let pp = PatchParams::apply("kubelab").force();
            let after = self
                .call(
                    &action,
                    api.patch(&doc.name, &pp, &Patch::Apply(&doc.value)),
                )
                .await?;
            let outcome = match before {
                None => Outcome::Created,
                Some(rv) if Some(&rv) == after.metadata.resource_version.as_ref() => {
                    Outcome::Unchanged
                }
                Some(_) => Outcome::Configured,
            };
            let r = object_ref(&doc.api_version, &doc.kind, &doc.name);
            crate::out::line(format!("{r} {outcome}"));
            report.objects.push((r, outcome));
            let mut applied = APPLIED.lock().unwrap_or_else(|e| e.into_inner());
            let a = Applied {
                api_version: doc.api_version.clone(),
                kind: doc.kind.clone(),
                name: doc.name.clone(),
            };
            if !applied.contains(&a) {
                applied.push(a);
            }
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str =
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: mysql\nspec:\n  clusterIP: None\n---\n\
apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: mysql\nspec:\n  replicas: 3\n---\n";

    #[test]
    fn parses_multi_document_yaml() {
        let docs = parse_docs("m.yaml", MANIFEST).unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(
            (docs[0].kind.as_str(), docs[0].name.as_str()),
            ("Service", "mysql")
        );
        assert_eq!(docs[1].api_version, "apps/v1");
        assert_eq!(docs[1].value["spec"]["replicas"], 3);
    }

    #[test]
    fn yaml_error_names_file_line_and_column() {
        let bad = "apiVersion: v1\nkind: Service\nmetadata:\n  name: mysql\n   labels: x\n";
        let e = parse_docs("manifests/bad.yaml", bad).unwrap_err();
        match &e {
            Error::Yaml {
                file, line, column, ..
            } => {
                assert_eq!(file, "manifests/bad.yaml");
                assert_eq!(*line, 5, "{e}");
                assert!(*column >= 1, "{e}");
            }
            other => panic!("{other:?}"),
        }
        let m = e.to_string();
        assert!(
            m.starts_with("YAML 문법 오류: manifests/bad.yaml:5:"),
            "{m}"
        );
        assert!(m.contains("들여쓰기"), "{m}");
    }

    #[test]
    fn yaml_error_in_second_document() {
        let bad = "apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n---\nkind: [unclosed\n";
        match parse_docs("x.yaml", bad).unwrap_err() {
            Error::Yaml { line, .. } => assert!(line >= 6, "line {line}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn missing_fields_are_named() {
        let e = parse_docs("x.yaml", "apiVersion: v1\nmetadata:\n  name: a\n").unwrap_err();
        assert!(e.to_string().contains("kind"), "{e}");
        let e = parse_docs("x.yaml", "apiVersion: v1\nkind: Pod\n").unwrap_err();
        assert!(e.to_string().contains("metadata.name"), "{e}");
    }

    #[test]
    fn object_refs_like_kubectl() {
        assert_eq!(object_ref("v1", "Service", "mysql"), "service/mysql");
        assert_eq!(
            object_ref("apps/v1", "StatefulSet", "mysql"),
            "statefulset.apps/mysql"
        );
        assert_eq!(
            object_ref("v1", "Secret", "mysql-secret"),
            "secret/mysql-secret"
        );
    }

    #[test]
    fn file_not_found_names_path_and_cwd() {
        let e = read_manifest("manifests/nope.yaml").unwrap_err();
        let m = e.to_string();
        assert!(m.contains("manifests/nope.yaml"), "{m}");
        assert!(
            m.contains(&std::env::current_dir().unwrap().display().to_string()),
            "{m}"
        );
    }

    #[test]
    fn report_renders_like_kubectl() {
        let r = ApplyReport {
            objects: vec![
                ("service/mysql".into(), Outcome::Created),
                ("statefulset.apps/mysql".into(), Outcome::Configured),
                ("secret/mysql-secret".into(), Outcome::Unchanged),
            ],
        };
        assert_eq!(r.to_string(), "service/mysql created\nstatefulset.apps/mysql configured\nsecret/mysql-secret unchanged");
        assert_eq!(r.outcome("service/mysql"), Some(Outcome::Created));
        assert!(r.to_html().starts_with("<pre"));
    }
}
