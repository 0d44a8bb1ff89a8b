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
use crate::lab::{is_not_found, Lab, NAMESPACE};
use crate::memory::{Applied, APPLIED};
use crate::table::pre;

pub use kubelab::{ApplyData, ApplyOutcome};

/// The outcome of `apply`: one line per object, like kubectl ([`ApplyData`]).
#[derive(Debug, Clone)]
pub struct ApplyReport(pub ApplyData);
crate::report::report!(ApplyReport: ApplyData = 0);

impl ApplyReport {
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

/// How errors name YAML written in a cell (`apply_yaml`), where a file would be named.
pub const CELL_YAML: &str = "셀의 YAML";

/// `kubectl apply -f - <<'EOF'` with the YAML and the closing delimiter: a command that does the
/// same when pasted into a shell (the delimiter is one no line of the YAML equals).
pub fn heredoc_command(yaml: &str) -> String {
    let mut delim = "EOF".to_string();
    while yaml.lines().any(|l| l == delim) {
        delim.push('_');
    }
    format!(
        "kubectl apply -f - <<'{delim}'\n{}\n{delim}",
        yaml.trim_end_matches('\n')
    )
}

impl Lab {
    /// `kubectl apply -f path` (server-side apply).
    pub async fn apply(&self, path: &str) -> Result<ApplyReport> {
        crate::out::cmd(&format!("kubectl apply -f {path}"));
        let text = read_manifest(path)?;
        self.apply_docs(path, &text).await
    }

    /// `kubectl apply -f -` of YAML written in a cell: the same as `apply` (errors name
    /// [`CELL_YAML`] where they would name the file).
    pub async fn apply_yaml(&self, yaml: &str) -> Result<ApplyReport> {
        crate::out::cmd(&heredoc_command(yaml));
        self.apply_docs(CELL_YAML, yaml).await
    }

    /// Applies each document of `text` (from `path`), printing kubectl's line for each.
    async fn apply_docs(&self, path: &str, text: &str) -> Result<ApplyReport> {
        let docs = parse_docs(path, text)?;
        let mut report = ApplyReport(ApplyData {
            objects: Vec::new(),
        });
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
            let discovered = self
                .call_raw("discovery", discovery::pinned_kind(&self.client, &gvk))
                .await?;
            let (ar, caps) = match discovered {
                Ok(x) => x,
                Err(kube::Error::Api(s)) if s.code == 404 => return Err(unknown().into()),
                Err(kube::Error::Discovery(_)) => return Err(unknown().into()),
                Err(e) => return Err(self.err(e, &format!("kubectl apply -f {path}"))),
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
            let before = match self.call_raw(&action, api.get(&doc.name)).await? {
                Ok(o) => o.metadata.resource_version,
                Err(e) if is_not_found(&e) => None,
                Err(e) => return Err(self.err(e, &action)),
            };
            let pp = PatchParams::apply("kubelab").force();
            let after = self
                .call(
                    &action,
                    api.patch(&doc.name, &pp, &Patch::Apply(&doc.value)),
                )
                .await?;
            let outcome = match before {
                None => ApplyOutcome::Created,
                Some(rv) if Some(&rv) == after.metadata.resource_version.as_ref() => {
                    ApplyOutcome::Unchanged
                }
                Some(_) => ApplyOutcome::Configured,
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
    fn heredoc_is_a_command_a_shell_runs_the_same() {
        assert_eq!(
            heredoc_command("kind: Service\n"),
            "kubectl apply -f - <<'EOF'\nkind: Service\nEOF"
        );
        // a line equal to the delimiter would end the heredoc early
        assert_eq!(
            heredoc_command("a: |\nEOF\n"),
            "kubectl apply -f - <<'EOF_'\na: |\nEOF\nEOF_"
        );
    }

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
        let r = ApplyReport(ApplyData {
            objects: vec![
                ("service/mysql".into(), ApplyOutcome::Created),
                ("statefulset.apps/mysql".into(), ApplyOutcome::Configured),
                ("secret/mysql-secret".into(), ApplyOutcome::Unchanged),
            ],
        });
        assert_eq!(r.to_string(), "service/mysql created\nstatefulset.apps/mysql configured\nsecret/mysql-secret unchanged");
        assert_eq!(r.outcome("service/mysql"), Some(ApplyOutcome::Created));
        assert!(r.to_html().starts_with("<pre"));
    }
}
