//! kubelab-core's results as wire `Value`s: the data a cell's accessors read plus the text and
//! HTML the core rendered (kubectl-like tables, mysql-client output). Nothing is printed here.

use kubelab::wire::{TableData, Value};
use kubelab_core as core;

/// A value with only its rendering (no data for accessors).
pub(super) fn value(kind: &str, text: String, html: String) -> Value {
    Value {
        kind: kind.to_string(),
        text,
        html,
        ..Value::default()
    }
}

/// A core table's data is the wire's `TableData` already.
fn data(t: &core::Table) -> TableData {
    (**t).clone()
}

fn elapsed(d: std::time::Duration) -> Vec<String> {
    vec![d.as_millis().to_string()]
}

/// A table (`kubectl get ...`).
pub fn table(t: &core::Table) -> Value {
    let mut v = value("table", t.to_text(), t.to_html());
    v.tables.push(data(t));
    v
}

/// Adds a nested table at `tables[n]` with its rendering under `<key>.text`/`<key>.html`.
fn with_table(mut v: Value, key: &str, t: &core::Table) -> Value {
    v.tables.push(data(t));
    v.with(&format!("{key}.text"), vec![t.to_text()])
        .with(&format!("{key}.html"), vec![t.to_html()])
}

pub fn cluster(c: &core::ClusterInfo) -> Value {
    let v = value("cluster", c.to_string(), c.to_html())
        .with("context", vec![c.context.clone()])
        .with("server", vec![c.server.clone()])
        .with("kind", vec![c.kind.to_string()])
        .with("version", vec![c.version.clone()]);
    with_table(v, "nodes", &c.nodes)
}

pub fn apply(r: &core::ApplyReport) -> Value {
    value("apply", r.to_string(), r.to_html())
        .with(
            "objects",
            r.objects.iter().map(|(o, _)| o.clone()).collect(),
        )
        .with(
            "outcomes",
            r.objects.iter().map(|(_, x)| x.to_string()).collect(),
        )
}

pub fn watch(r: &core::WatchReport) -> Value {
    let v = value("watch", r.to_string(), r.to_html())
        .with("lines", r.lines.clone())
        .with("ready_order", r.ready_order().to_vec())
        .with("in_ordinal_order", vec![r.in_ordinal_order().to_string()])
        .with("elapsed_ms", elapsed(r.elapsed));
    with_table(v, "pods", &r.pods)
}

pub fn pod_ready(r: &core::PodReady) -> Value {
    r.0.clone()
        .into_value(value("pod_ready", r.to_string(), r.to_html()))
}

pub fn change(r: &core::ChangeReport) -> Value {
    value("change", r.to_string(), r.to_html())
        .with("lines", r.lines.clone())
        .with("deleted", r.deleted.clone())
}

pub fn cleanup(r: &core::CleanupReport) -> Value {
    value("cleanup", r.to_string(), r.to_html())
        .with("deleted", r.deleted.clone())
        .with("kept_pvcs", r.kept_pvcs.clone())
}

pub fn exec(r: &core::ExecOutput) -> Value {
    value("exec", r.to_string(), r.to_html())
        .with("stdout", vec![r.stdout.clone()])
        .with("stderr", vec![r.stderr.clone()])
        .with("code", vec![r.code.to_string()])
}

pub fn mysql(session: u64, m: &core::MySql) -> Value {
    value("mysql", m.to_string(), m.to_html())
        .with("session", vec![session.to_string()])
        .with("pod", vec![m.pod().to_string()])
}

pub fn sql(o: &core::SqlOutput) -> Value {
    let mut v = value("sql", o.to_string(), o.to_html());
    let rs = o.results();
    for r in rs {
        v.tables.push(TableData {
            columns: r.columns.clone(),
            rows: r.rows.clone(),
        });
    }
    v.with("sql", rs.iter().map(|r| r.sql.clone()).collect())
        .with("status", rs.iter().map(|r| r.status_line()).collect())
        .with(
            "table.text",
            rs.iter().map(|r| r.table().to_text()).collect(),
        )
        .with(
            "table.html",
            rs.iter().map(|r| r.table().to_html()).collect(),
        )
}

/// A line of text with nothing to read (acknowledgements).
pub fn note(text: &str) -> Value {
    value("note", text.to_string(), core::table::pre(text))
}

pub fn leftovers(l: &core::Leftovers) -> Value {
    value("leftovers", l.to_string(), l.to_html())
        .with("statefulsets", l.statefulsets.clone())
        .with("pods", l.pods.clone())
        .with("pvcs", l.pvcs.clone())
}

pub fn fresh(r: &core::FreshReport) -> Value {
    let l = &r.removed;
    let removed = [
        ("statefulset", &l.statefulsets),
        ("pod", &l.pods),
        ("pvc", &l.pvcs),
    ]
    .iter()
    .flat_map(|(k, names)| names.iter().map(move |n| format!("{k} {n}")))
    .collect();
    value("fresh", r.to_string(), r.to_html())
        .with("removed", removed)
        .with("elapsed_ms", elapsed(r.elapsed))
}

/// `describe`: the text, the top fields (keys and values side by side) and the Events table.
pub fn description(d: &core::Description) -> Value {
    let v = value("description", d.to_string(), d.to_html())
        .with(
            "field.keys",
            d.fields.iter().map(|(k, _)| k.clone()).collect(),
        )
        .with(
            "field.values",
            d.fields.iter().map(|(_, v)| v.clone()).collect(),
        );
    with_table(v, "events", &d.events)
}

/// `watch_rollout`: the lines, the replacement order and the pods' revisions at the end.
pub fn rollout(r: &core::RolloutReport) -> Value {
    let v = value("rollout", r.to_string(), r.to_html())
        .with("lines", r.lines.clone())
        .with("replaced", r.replaced.clone())
        .with("update_revision", vec![r.update_revision.clone()])
        .with("elapsed_ms", elapsed(r.elapsed));
    with_table(v, "pods", &r.pods)
}
