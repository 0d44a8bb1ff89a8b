//! The API server's printing, as `kubectl get` has it done: a request with
//! `Accept: application/json;as=Table;v=v1;g=meta.k8s.io` returns a `meta.k8s.io/v1` `Table`
//! (column definitions + cells, AGE already a string), laid out here the way kubectl's table
//! printer does (`k8s.io/cli-runtime/pkg/printers/tableprinter.go`): columns of priority 0 (all of
//! them with `-o wide`), names upper-cased, cells printed as sent. kubelab computes no column
//! itself, so its tables (and the `-w` lines of `watch_pods`) are kubectl's by construction.

use http::header::ACCEPT;
use kube::Resource;
use serde_json::Value;

use crate::error::objects::Error as ObjError;
use crate::error::Result;
use crate::lab::{Lab, NAMESPACE};
use crate::table::Table;

/// The Accept header `kubectl get` sends: a v1 Table, else a v1beta1 Table, else plain JSON.
pub const TABLE_ACCEPT: &str = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";

/// Whether a kind's objects live in a namespace (kubectl's empty message depends on it).
pub(crate) trait Scope {
    const NAMESPACED: bool;
}
impl Scope for k8s_openapi::NamespaceResourceScope {
    const NAMESPACED: bool = true;
}
impl Scope for k8s_openapi::ClusterResourceScope {
    const NAMESPACED: bool = false;
}

/// Page size of a list, as kubectl's `--chunk-size` default.
const CHUNK: u32 = 500;

/// One cell as kubectl prints it: strings as sent (cut at the first line break, with `...`;
/// ESC shown as `^[`), numbers and booleans as Go's `fmt.Sprint` would, null as nothing.
pub fn cell_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => {
            let (text, cut) = match s.find(['\n', '\r', '\x0c']) {
                Some(i) => (&s[..i], true),
                None => (s.as_str(), false),
            };
            let mut out = text.replace('\x1b', "^[");
            if cut {
                out.push_str("...");
            }
            out
        }
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(cell_text).collect::<Vec<_>>().join(" ")
        ),
        Value::Object(m) => {
            let mut kv: Vec<(&String, &Value)> = m.iter().collect();
            kv.sort_by_key(|(k, _)| k.as_str());
            let kv: Vec<String> = kv
                .iter()
                .map(|(k, v)| format!("{k}:{}", cell_text(v)))
                .collect();
            format!("map[{}]", kv.join(" "))
        }
    }
}

/// The columns `kubectl get` prints of a server Table's `columnDefinitions`: which of them are
/// shown (priority 0, or all with `wide` as `-o wide`) and their names, upper-cased.
pub fn shown_columns(defs: &[Value], wide: bool) -> (Vec<bool>, Vec<String>) {
    let shown: Vec<bool> = defs
        .iter()
        .map(|d| wide || d.get("priority").and_then(Value::as_i64).unwrap_or(0) == 0)
        .collect();
    let names = defs
        .iter()
        .zip(&shown)
        .filter(|(_, s)| **s)
        .map(|(d, _)| {
            d.get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_uppercase()
        })
        .collect();
    (shown, names)
}

/// The shown cells of one Table row as kubectl prints them: cells beyond the column definitions
/// are dropped, missing ones are empty.
pub fn row_cells(row: &Value, shown: &[bool]) -> Vec<String> {
    let cells = row
        .get("cells")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    shown
        .iter()
        .enumerate()
        .filter(|(_, s)| **s)
        .map(|(i, _)| cells.get(i).map(cell_text).unwrap_or_default())
        .collect()
}

/// The rows of a server Table (`rows`, possibly absent).
pub fn rows(table: &Value) -> &[Value] {
    table
        .get("rows")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// Lays out the pages of a server-side `Table` as `kubectl get` (`wide`: `-o wide`) prints them.
/// `namespaced` chooses kubectl's empty message. Errs when an answer is not a `Table`.
pub fn table_from_server(
    pages: &[Value],
    wide: bool,
    namespaced: bool,
) -> std::result::Result<Table, String> {
    let first = pages.first().ok_or("no answer")?;
    for p in pages {
        if p.get("kind").and_then(Value::as_str) != Some("Table") {
            return Err(format!(
                "the server answered kind {:?} instead of a meta.k8s.io Table",
                p.get("kind").and_then(Value::as_str).unwrap_or("?")
            ));
        }
    }
    let defs = first
        .get("columnDefinitions")
        .and_then(Value::as_array)
        .ok_or("the Table has no columnDefinitions")?;
    let (shown, names) = shown_columns(defs, wide);
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut t = Table::kubectl(&names);
    if !namespaced {
        t = t.with_empty_message("No resources found");
    }
    for page in pages {
        for row in rows(page) {
            t.push(row_cells(row, &shown));
        }
    }
    Ok(t)
}

impl Lab {
    /// `kubectl get` of kind `K` printed by the server: every page of the list, as a Table.
    pub(crate) async fn server_table<K>(
        &self,
        what: &str,
        selector: Option<&str>,
        wide: bool,
    ) -> Result<Table>
    where
        K: Resource<DynamicType = ()>,
        K::Scope: Scope,
    {
        let namespaced = K::Scope::NAMESPACED;
        let url = K::url_path(&(), namespaced.then_some(NAMESPACE));
        let mut pages = Vec::new();
        let mut cont: Option<String> = None;
        loop {
            let mut q = format!("{url}?limit={CHUNK}");
            if let Some(s) = selector {
                q.push_str(&format!("&labelSelector={}", encode(s)));
            }
            if let Some(c) = &cont {
                q.push_str(&format!("&continue={}", encode(c)));
            }
            let req = http::Request::get(q)
                .header(ACCEPT, TABLE_ACCEPT)
                .body(Vec::new())
                .map_err(|e| ObjError::Api {
                    action: what.to_string(),
                    message: e.to_string(),
                })?;
            let page: Value = self.call(what, self.client.request::<Value>(req)).await?;
            cont = page
                .pointer("/metadata/continue")
                .and_then(Value::as_str)
                .filter(|c| !c.is_empty())
                .map(str::to_string);
            pages.push(page);
            if cont.is_none() {
                break;
            }
        }
        table_from_server(&pages, wide, namespaced).map_err(|e| {
            ObjError::Api {
                action: what.to_string(),
                message: format!("서버가 kubectl이 받는 표(Table)를 보내지 않았습니다: {e}"),
            }
            .into()
        })
    }
}

/// Percent-encodes a query value (label selectors, continue tokens).
pub(crate) fn encode(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            o.push(b as char);
        } else {
            o.push_str(&format!("%{b:02X}"));
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn col(name: &str, priority: i64) -> Value {
        json!({"name": name, "type": "string", "format": "", "description": "", "priority": priority})
    }

    fn server_table(cols: &[(&str, i64)], rows: &[Vec<Value>]) -> Value {
        json!({"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {"resourceVersion": "7"},
            "columnDefinitions": cols.iter().map(|(n, p)| col(n, *p)).collect::<Vec<_>>(),
            "rows": rows.iter().map(|c| json!({"cells": c, "object": {"kind": "PartialObjectMetadata",
                "apiVersion": "meta.k8s.io/v1", "metadata": {"name": c[0]}}})).collect::<Vec<_>>()})
    }

    #[test]
    fn nodes_as_kubectl_prints_the_server_table() {
        let cols = [
            ("Name", 0),
            ("Status", 0),
            ("Roles", 0),
            ("Age", 0),
            ("Version", 0),
            ("Internal-IP", 1),
            ("External-IP", 1),
        ];
        let row = |n: &str, role: &str, age: &str| {
            vec![
                json!(n),
                json!("Ready"),
                json!(role),
                json!(age),
                json!("v1.33.1"),
                json!("192.168.49.2"),
                json!("<none>"),
            ]
        };
        let t = table_from_server(
            &[server_table(
                &cols,
                &[
                    row("minikube", "control-plane", "80s"),
                    row("minikube-m02", "<none>", "56s"),
                    row("minikube-m03", "<none>", "36s"),
                ],
            )],
            false,
            false,
        )
        .unwrap();
        crate::table::golden("nodes.txt", &t.to_text());
        assert_eq!(t.get("minikube", "ROLES").as_deref(), Some("control-plane"));
        assert_eq!(t.get("minikube-m02", "ROLES").as_deref(), Some("<none>"));
        assert!(
            t.column("INTERNAL-IP").is_empty(),
            "wide columns stay hidden"
        );
        let wide = table_from_server(
            &[server_table(
                &cols,
                &[row("minikube", "control-plane", "80s")],
            )],
            true,
            false,
        )
        .unwrap();
        assert_eq!(wide.columns().len(), 7);
        assert_eq!(
            wide.get("minikube", "INTERNAL-IP").as_deref(),
            Some("192.168.49.2")
        );
    }

    #[test]
    fn storage_classes_golden_and_empty_messages() {
        let cols = [
            ("Name", 0),
            ("Provisioner", 0),
            ("ReclaimPolicy", 0),
            ("VolumeBindingMode", 0),
            ("AllowVolumeExpansion", 0),
            ("Age", 0),
        ];
        let t = table_from_server(
            &[server_table(
                &cols,
                &[vec![
                    json!("standard (default)"),
                    json!("k8s.io/minikube-hostpath"),
                    json!("Delete"),
                    json!("Immediate"),
                    json!(false),
                    json!("24m"),
                ]],
            )],
            false,
            false,
        )
        .unwrap();
        crate::table::golden("storageclasses.txt", &t.to_text());
        assert_eq!(t.column("NAME"), vec!["standard (default)"]);
        let none = table_from_server(&[server_table(&cols, &[])], false, false).unwrap();
        assert_eq!(none.to_text(), "No resources found");
        let none = table_from_server(&[server_table(&[("Name", 0)], &[])], false, true).unwrap();
        assert_eq!(none.to_text(), "No resources found in default namespace.");
    }

    #[test]
    fn cells_print_like_kubectl() {
        assert_eq!(cell_text(&json!(null)), "");
        assert_eq!(cell_text(&json!(3)), "3");
        assert_eq!(cell_text(&json!(true)), "true");
        assert_eq!(
            cell_text(&json!("Readiness probe failed:\nexit 1")),
            "Readiness probe failed:..."
        );
        assert_eq!(cell_text(&json!("a\u{1b}[31mb")), "a^[[31mb");
        // pages are joined, extra cells dropped, missing cells empty
        let cols = [("Name", 0), ("Volume", 0), ("Age", 0)];
        let p1 = server_table(
            &cols,
            &[vec![
                json!("data-mysql-0"),
                json!("pvc-1"),
                json!("3s"),
                json!("extra"),
            ]],
        );
        let mut p2 = server_table(&cols, &[vec![json!("data-mysql-1"), json!(null)]]);
        p2["columnDefinitions"] = Value::Null;
        let t = table_from_server(&[p1, p2], false, true).unwrap();
        assert_eq!(t.columns(), ["NAME", "VOLUME", "AGE"]);
        assert_eq!(t.get("data-mysql-1", "VOLUME").as_deref(), Some(""));
        assert_eq!(t.get("data-mysql-0", "AGE").as_deref(), Some("3s"));
        let list = json!({"kind": "PodList", "items": []});
        assert!(table_from_server(&[list], false, true)
            .unwrap_err()
            .contains("PodList"));
    }

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(encode("app=mysql,tier!=db"), "app%3Dmysql%2Ctier%21%3Ddb");
    }
}
