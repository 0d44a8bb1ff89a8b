//! The `-w` lines of `watch_pods`, printed by the API server as for `kubectl get pods -w`: a list,
//! then a watch from its resourceVersion, both with `Accept: application/json;as=Table;...`, so
//! every event arrives as a `Table` row (kubectl's columns, AGE included) and is printed in
//! kubectl's layout (`layout.rs`): the header once, then one row per event.

use std::collections::HashMap;
use std::time::Duration;

use futures::stream::BoxStream;
use futures::{Stream, StreamExt, TryStreamExt};
use http::header::ACCEPT;
use k8s_openapi::api::core::v1::Pod;
use kube::core::WatchEvent;
use kube::Resource;
use serde_json::Value;

use super::layout::Layout;
use crate::error::wait::Error;
use crate::error::Result;
use crate::lab::{Lab, NAMESPACE};
use crate::server_table::{encode, row_cells, rows, shown_columns, TABLE_ACCEPT};
use crate::wait::WatchFailures;

/// What one server answer holds to print: a list (the first, or after the watch expired) or one
/// watch event.
pub(crate) struct Answer(Value);

/// Where the rows come from: list, then watch from the list's resourceVersion; a watch that ends
/// resumes where it was, one that expired (410 Gone) lists again.
struct Source<'a> {
    lab: &'a Lab,
    selector: String,
    rv: Option<String>,
    events: Option<BoxStream<'static, kube::Result<WatchEvent<Value>>>>,
    failures: WatchFailures,
}

impl Source<'_> {
    fn request(&self, query: &str) -> Result<http::Request<Vec<u8>>> {
        let url = Pod::url_path(&(), Some(NAMESPACE));
        http::Request::get(format!(
            "{url}?labelSelector={}{query}",
            encode(&self.selector)
        ))
        .header(ACCEPT, TABLE_ACCEPT)
        .body(Vec::new())
        .map_err(|e| {
            Error::Watch {
                detail: e.to_string(),
            }
            .into()
        })
    }

    /// The next answer to print; `None` when this step only (re)opened the watch or rode out an
    /// error.
    async fn step(&mut self) -> Result<Option<Answer>> {
        let what = format!("kubectl get pods -l {} -w", self.selector);
        let Some(rv) = self.rv.clone() else {
            let req = self.request("")?;
            let list = self
                .lab
                .call(&what, self.lab.client.request::<Value>(req))
                .await;
            return match self.failures.check(list)? {
                Some(list) => {
                    self.rv = resource_version(&list);
                    Ok(Some(Answer(list)))
                }
                None => pause().await,
            };
        };
        let Some(events) = self.events.as_mut() else {
            // kube-rs's watcher asks the same: the server ends the watch before a proxy would
            let req = self.request(&format!(
                "&watch=true&resourceVersion={}&timeoutSeconds=290",
                encode(&rv)
            ))?;
            let opened = self
                .lab
                .call(&what, self.lab.client.request_events::<Value>(req))
                .await;
            if let Some(events) = self.failures.check(opened)? {
                self.events = Some(events.boxed());
                return Ok(None);
            }
            return pause().await;
        };
        match events.try_next().await {
            Ok(Some(WatchEvent::Added(t) | WatchEvent::Modified(t) | WatchEvent::Deleted(t))) => {
                self.failures = WatchFailures::default();
                if let Some(rv) = resource_version(&t) {
                    self.rv = Some(rv);
                }
                Ok(Some(Answer(t)))
            }
            Ok(Some(WatchEvent::Bookmark(b))) => {
                self.rv = Some(b.metadata.resource_version);
                Ok(None)
            }
            Ok(Some(WatchEvent::Error(status))) => {
                self.events = None;
                if status.code == 410 {
                    // too old to resume: list again (rows already printed are not repeated)
                    self.rv = None;
                    return Ok(None);
                }
                self.failures.check::<(), _>(Err(status.message))?;
                pause().await
            }
            // the server ended the watch (its timeout): resume from the last resourceVersion
            Ok(None) => {
                self.events = None;
                Ok(None)
            }
            Err(e) => {
                self.events = None;
                self.failures.check::<(), _>(Err(e))?;
                pause().await
            }
        }
    }
}

/// A short wait after an error, so a failing server is not asked again at once.
async fn pause() -> Result<Option<Answer>> {
    tokio::time::sleep(Duration::from_millis(500)).await;
    Ok(None)
}

/// `metadata.resourceVersion` of a list, or of the first row's object in a watch event.
fn resource_version(table: &Value) -> Option<String> {
    table
        .pointer("/metadata/resourceVersion")
        .or_else(|| {
            rows(table)
                .first()?
                .pointer("/object/metadata/resourceVersion")
        })
        .and_then(Value::as_str)
        .filter(|rv| !rv.is_empty())
        .map(str::to_string)
}

/// The server's answers for pods matching `selector`, endlessly; an `Err` ends the watch.
pub(crate) fn answers<'a>(
    lab: &'a Lab,
    selector: &str,
) -> impl Stream<Item = Result<Answer>> + Send + 'a {
    let source = Source {
        lab,
        selector: selector.to_string(),
        rv: None,
        events: None,
        failures: WatchFailures::default(),
    };
    futures::stream::unfold(source, |mut s| async move {
        loop {
            match s.step().await {
                Ok(None) => continue,
                Ok(Some(answer)) => return Some((Ok(answer), s)),
                Err(e) => return Some((Err(e), s)),
            }
        }
    })
}

/// Prints answers as `kubectl get pods -w` does and remembers, per pod, the resourceVersion of
/// the last row printed (so `watch_pods` can wait for the rows of what it has seen).
#[derive(Default)]
pub(crate) struct Printer {
    header: Vec<String>,
    shown: Option<Vec<bool>>,
    layout: Layout,
    printed: HashMap<String, String>,
    /// Every line printed, header included.
    pub lines: Vec<String>,
}

impl Printer {
    /// Prints the rows of one answer as one block (rows of a version already printed are skipped:
    /// a list after 410 Gone repeats them).
    pub fn print(&mut self, answer: Answer) {
        let table = answer.0;
        // the first answer carries the column definitions; kube-apiserver leaves them out after
        if let Some(defs) = table.get("columnDefinitions").and_then(Value::as_array) {
            if self.shown.is_none() && !defs.is_empty() {
                let (shown, names) = shown_columns(defs, false);
                self.shown = Some(shown);
                self.header = names;
            }
        }
        let Some(shown) = &self.shown else { return };
        let mut block = Vec::new();
        for row in rows(&table) {
            let meta = |k: &str| {
                row.pointer(&format!("/object/metadata/{k}"))
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string()
            };
            let (name, rv) = (meta("name"), meta("resourceVersion"));
            if !rv.is_empty() && self.printed.get(&name) == Some(&rv) {
                continue;
            }
            self.printed.insert(name, rv);
            block.push(row_cells(row, shown));
        }
        for line in self.layout.block(&self.header, &block) {
            crate::out::line(line.clone());
            self.lines.push(line);
        }
    }

    /// True when a row at least as new as `rv` was printed for pod `name`.
    pub fn has_printed(&self, name: &str, rv: &str) -> bool {
        let Some(printed) = self.printed.get(name) else {
            return false;
        };
        match (printed.parse::<u64>(), rv.parse::<u64>()) {
            (Ok(p), Ok(r)) => p >= r,
            // resourceVersions are opaque outside etcd-like stores: only equal ones compare
            _ => printed == rv,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn table(defs: bool, rows: &[(&str, &str, &str)]) -> Answer {
        let col = |n: &str, p: i64| json!({"name": n, "type": "string", "format": "", "description": "", "priority": p});
        let mut t = json!({"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {},
            "rows": rows.iter().map(|(name, status, rv)| json!({
                "cells": [name, "0/1", status, "0", "0s", "10.244.0.2"],
                "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                    "metadata": {"name": name, "resourceVersion": rv}}})).collect::<Vec<_>>()});
        if defs {
            t["columnDefinitions"] = json!([
                col("Name", 0),
                col("Ready", 0),
                col("Status", 0),
                col("Restarts", 0),
                col("Age", 0),
                col("IP", 1)
            ]);
        }
        Answer(t)
    }

    #[test]
    fn header_once_then_a_row_per_event_in_the_servers_columns() {
        let mut p = Printer::default();
        p.print(table(true, &[]));
        assert!(
            p.lines.is_empty(),
            "an empty list prints nothing, as kubectl"
        );
        p.print(table(false, &[("mysql-0", "Pending", "7")]));
        p.print(table(false, &[("mysql-0", "ContainerCreating", "9")]));
        p.print(table(false, &[("mysql-0", "ContainerCreating", "9")]));
        assert_eq!(
            p.lines,
            [
                "NAME      READY   STATUS    RESTARTS   AGE",
                "mysql-0   0/1     Pending   0          0s",
                "mysql-0   0/1     ContainerCreating   0          0s",
            ],
            "priority-1 columns (IP) hidden; a version already printed is not repeated"
        );
        assert!(p.has_printed("mysql-0", "9") && p.has_printed("mysql-0", "8"));
        assert!(!p.has_printed("mysql-0", "10") && !p.has_printed("mysql-1", "1"));
        assert_eq!(
            resource_version(&table(false, &[("a", "x", "12")]).0).as_deref(),
            Some("12")
        );
    }
}
