//! Golden tests: every kind's Table for realistic objects (`testdata/fixtures.json`), rendered
//! like `kubectl get -o wide` into `testdata/<kind>.txt`; the pod Table's wire JSON in
//! `testdata/pods.table.json`. `KUBELAB_BLESS=1` rewrites the files after a reviewed change.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::{including, table_at, IncludeObject};
use crate::resources;

fn testdata(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("src/api/tables/testdata")
        .join(name)
}

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-25T03:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn fixtures() -> serde_json::Map<String, Value> {
    let text = std::fs::read_to_string(testdata("fixtures.json")).unwrap();
    serde_json::from_str::<Value>(&text)
        .unwrap()
        .as_object()
        .unwrap()
        .clone()
}

/// Strings print as-is (empty as `""`), other JSON cells in braces so `{3}` is not `"3"`.
fn cell_text(v: &Value) -> String {
    match v {
        Value::String(s) if s.is_empty() => "\"\"".to_string(),
        Value::String(s) => s.clone(),
        other => format!("{{{other}}}"),
    }
}

/// Renders a Table like `kubectl get -o wide` (wide headers marked `*`), plus each row's
/// object reference and row conditions, which kubectl uses but does not print.
fn render(table: &Value) -> String {
    let defs = table["columnDefinitions"].as_array().unwrap();
    let mut lines: Vec<Vec<String>> = Vec::new();
    let mut header: Vec<String> = defs
        .iter()
        .map(|d| {
            let name = d["name"].as_str().unwrap().to_uppercase();
            if d["priority"].as_i64() == Some(0) {
                name
            } else {
                format!("{name}*")
            }
        })
        .collect();
    header.push("| OBJECT".into());
    header.push("CONDITIONS".into());
    lines.push(header);
    for row in table["rows"].as_array().unwrap() {
        let cells = row["cells"].as_array().unwrap();
        assert_eq!(cells.len(), defs.len(), "one cell per column");
        let mut line: Vec<String> = cells.iter().map(cell_text).collect();
        let meta = &row["object"]["metadata"];
        let object = match meta["namespace"].as_str() {
            Some(ns) => format!("| {ns}/{}", meta["name"].as_str().unwrap()),
            None => format!("| {}", meta["name"].as_str().unwrap()),
        };
        line.push(object);
        line.push(
            row.get("conditions")
                .map(|c| {
                    c.as_array()
                        .unwrap()
                        .iter()
                        .map(|c| {
                            let f = |k: &str| c[k].as_str().unwrap_or("").to_string();
                            format!("{}={} ({})", f("type"), f("status"), f("reason"))
                        })
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .unwrap_or_default(),
        );
        lines.push(line);
    }
    let widths: Vec<usize> = (0..lines[0].len())
        .map(|i| lines.iter().map(|l| l[i].chars().count()).max().unwrap())
        .collect();
    let mut out = String::new();
    for l in &lines {
        let padded: Vec<String> = l
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        out.push_str(padded.join("   ").trim_end());
        out.push('\n');
    }
    out
}

#[test]
fn every_kind_matches_its_golden_rendering() {
    let fixtures = fixtures();
    assert_eq!(
        fixtures.len(),
        resources::RESOURCES
            .iter()
            .filter(|r| !r.is_review())
            .count(),
        "a fixture per kind that can be listed"
    );
    for (kind, items) in &fixtures {
        let rt = resources::get(kind);
        let table = table_at(rt, items.as_array().unwrap(), 1234, true, now());
        assert_eq!(table["kind"], "Table");
        assert_eq!(table["metadata"]["resourceVersion"], "1234");
        testkit::golden::check(testdata(&format!("{}.txt", rt.plural)), &render(&table));
    }
}

#[test]
fn pod_table_wire_json_matches_golden() {
    let fixtures = fixtures();
    let pods = &fixtures["Pod"].as_array().unwrap()[..2];
    let table = table_at(resources::get("Pod"), pods, 77, true, now());
    let mut text = serde_json::to_string_pretty(&table).unwrap();
    text.push('\n');
    testkit::golden::check(testdata("pods.table.json"), &text);
}

#[test]
fn watch_tables_after_the_first_omit_column_definitions() {
    let fixtures = fixtures();
    let pod = &fixtures["Pod"].as_array().unwrap()[..1];
    let rt = resources::get("Pod");
    let later = table_at(rt, pod, 78, false, now());
    // Go encodes the nil slice of a NoHeaders table as null; the rows keep every cell.
    assert!(later["columnDefinitions"].is_null());
    let first = table_at(rt, pod, 78, true, now());
    assert_eq!(later["rows"], first["rows"]);
    assert_eq!(first["columnDefinitions"].as_array().unwrap().len(), 9);
}

#[test]
fn rows_carry_the_full_metadata_and_empty_lists_have_no_rows() {
    let fixtures = fixtures();
    let pod = &fixtures["Pod"].as_array().unwrap()[0];
    let table = table_at(
        resources::get("Pod"),
        std::slice::from_ref(pod),
        5,
        true,
        now(),
    );
    assert_eq!(table["rows"][0]["object"]["metadata"], pod["metadata"]);
    assert_eq!(table["rows"][0]["object"]["kind"], "PartialObjectMetadata");
    let empty = table_at(resources::get("Pod"), &[], 5, true, now());
    assert_eq!(empty["rows"], serde_json::json!([]));
}

#[test]
fn public_table_uses_the_wall_clock() {
    let created = (Utc::now() - chrono::Duration::seconds(30)).to_rfc3339();
    let ns = serde_json::json!({"metadata": {"name": "default", "creationTimestamp": created},
        "status": {"phase": "Active"}});
    let table = super::table(resources::get("Namespace"), &[ns], 1, true);
    let age = table["rows"][0]["cells"][2].as_str().unwrap();
    assert!(["29s", "30s", "31s"].contains(&age), "{age}");
}

/// `includeObject` (apiserver handlers/response.go `asTable`): Metadata by default, the whole
/// object for `Object`, nothing for `None`.
#[test]
fn include_object_policies() {
    let rt = resources::get("Pod");
    let pod = json!({"kind": "Pod", "metadata": {"name": "p"}, "spec": {"nodeName": "n"}});
    let items = std::slice::from_ref(&pod);
    let t = || table_at(rt, items, 1, true, now());
    let row = |v: Value| v["rows"][0].clone();
    assert_eq!(
        IncludeObject::from_query(None),
        IncludeObject::Metadata,
        "kubectl's default"
    );
    let meta = row(including(
        t(),
        items,
        IncludeObject::from_query(Some("Metadata")),
    ));
    assert_eq!(meta["object"]["kind"], "PartialObjectMetadata");
    let whole = row(including(
        t(),
        items,
        IncludeObject::from_query(Some("Object")),
    ));
    assert_eq!(whole["object"], pod);
    let none = row(including(
        t(),
        items,
        IncludeObject::from_query(Some("None")),
    ));
    assert!(none.get("object").is_none(), "{none}");
}
