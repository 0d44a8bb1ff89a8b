//! Watch streams: one JSON event per line (`{"type":"ADDED","object":...}`), chunked, open until
//! `timeoutSeconds`, the client leaving or shutdown. Supports replay from a resourceVersion
//! (410 ERROR event when too old), initial events (RV unset/0 or `sendInitialEvents=true` with
//! the `k8s.io/initial-events-end` bookmark), periodic bookmarks and server-side Tables.

use std::collections::HashSet;
use std::convert::Infallible;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use serde_json::{json, Value};
use tokio::sync::{broadcast, mpsc};

use crate::api::negotiate::Output;
use crate::api::target::{Query, Target};
use crate::api::App;
use crate::api_error::ApiError;
use crate::resources::ResourceType;
use crate::shutdown::Shutdown;
use crate::store::selector::{FieldSelector, LabelSelector};
use crate::store::{Change, ChangeType};

/// A watch without `timeoutSeconds` still ends after this (the real server ends watches after
/// 30-60 minutes too); clients re-watch.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3600);
/// How often a watch that allows bookmarks gets one.
const BOOKMARK_EVERY: Duration = Duration::from_secs(30);

/// Which objects a list or watch selects.
pub struct Filter {
    pub rt: &'static ResourceType,
    pub namespace: Option<String>,
    pub labels: LabelSelector,
    pub fields: FieldSelector,
    /// Whether any selector was given (then watches track which objects match).
    pub has_selectors: bool,
}

impl Filter {
    /// From the path and `labelSelector`/`fieldSelector`. Errors: 400 for bad selectors.
    pub fn new(t: &Target, q: &Query) -> Result<Filter, ApiError> {
        Ok(Filter {
            rt: t.rt,
            namespace: t.namespace.clone(),
            labels: LabelSelector::parse(q.get("labelSelector").unwrap_or(""))?,
            fields: FieldSelector::parse(q.get("fieldSelector").unwrap_or(""))?,
            has_selectors: ["labelSelector", "fieldSelector"]
                .iter()
                .any(|k| q.get(k).is_some_and(|v| !v.trim().is_empty())),
        })
    }

    /// Whether an object (already known to be of this kind) is selected.
    pub fn matches(&self, obj: &Value) -> bool {
        self.in_scope(obj) && self.selects(obj)
    }

    /// In the watched namespace (or all).
    fn in_scope(&self, obj: &Value) -> bool {
        match &self.namespace {
            Some(ns) if self.rt.namespaced => obj["metadata"]["namespace"].as_str() == Some(ns),
            _ => true,
        }
    }

    fn selects(&self, obj: &Value) -> bool {
        self.labels.matches(obj) && self.fields.matches(obj)
    }
}

/// `(namespace, name)` of an object.
fn id_of(obj: &Value) -> (String, String) {
    let m = &obj["metadata"];
    let s = |v: &Value| v.as_str().unwrap_or("").to_string();
    (s(&m["namespace"]), s(&m["name"]))
}

/// Where the stream starts.
enum Start {
    /// Current objects as ADDED (then, if asked, the initial-events-end bookmark), then changes.
    Initial { bookmark: bool },
    /// Changes after this resourceVersion.
    After(u64),
}

/// Serves `GET ...?watch=true`.
pub fn watch(
    app: &App,
    t: &Target,
    q: &Query,
    output: Output,
    shutdown: Option<Shutdown>,
) -> Result<Response, ApiError> {
    let filter = Filter::new(t, q)?;
    let send_initial = q.flag("sendInitialEvents");
    let start = match q.get("resourceVersion").unwrap_or("") {
        _ if send_initial => Start::Initial { bookmark: true },
        "" | "0" => Start::Initial { bookmark: false },
        rv => Start::After(
            rv.parse()
                .map_err(|_| ApiError::bad_request(format!("invalid resource version: {rv:?}")))?,
        ),
    };
    let timeout = match q.int("timeoutSeconds")? {
        Some(s) if s > 0 => Duration::from_secs(s as u64),
        _ => DEFAULT_TIMEOUT,
    };
    let bookmarks = q.flag("allowWatchBookmarks");
    let (tx, rx) = mpsc::channel::<Bytes>(256);
    let selected = filter.has_selectors.then(HashSet::new);
    let stream = Stream {
        filter,
        output,
        include: crate::api::tables::IncludeObject::from_query(q.get("includeObject")),
        first: true,
        selected,
        tx,
    };
    tokio::spawn(stream.run(app.clone(), start, timeout, bookmarks, shutdown));
    let body = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|b| (Ok::<_, Infallible>(b), rx))
    });
    Ok(Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CACHE_CONTROL, "no-cache, private")
        .body(Body::from_stream(body))
        .expect("static response parts"))
}

struct Stream {
    filter: Filter,
    output: Output,
    /// What a Table row's `object` holds (`includeObject`).
    include: crate::api::tables::IncludeObject,
    /// Table column definitions go only in the first event.
    first: bool,
    /// With selectors: the objects this watch currently reports, so that an object which
    /// starts or stops matching arrives as ADDED or DELETED (as from the real watch cache).
    selected: Option<HashSet<(String, String)>>,
    tx: mpsc::Sender<Bytes>,
}

/// The client went away.
struct Gone;

impl Stream {
    async fn send(&mut self, kind: &str, object: &Value, rv: u64) -> Result<(), Gone> {
        let object = match (self.output, kind) {
            (Output::Table, "ADDED" | "MODIFIED" | "DELETED") => {
                let t = crate::api::tables::including(
                    crate::api::tables::table(
                        self.filter.rt,
                        std::slice::from_ref(object),
                        rv,
                        self.first,
                    ),
                    std::slice::from_ref(object),
                    self.include,
                );
                self.first = false;
                t
            }
            _ => object.clone(),
        };
        let mut line = serde_json::to_vec(&json!({"type": kind, "object": object}))
            .expect("JSON values serialize");
        line.push(b'\n');
        self.tx.send(Bytes::from(line)).await.map_err(|_| Gone)
    }

    async fn bookmark(&mut self, rv: u64, initial_end: bool) -> Result<(), Gone> {
        let mut meta = json!({"resourceVersion": rv.to_string()});
        if initial_end {
            meta["annotations"] = json!({"k8s.io/initial-events-end": "true"});
        }
        let obj = json!({"kind": self.filter.rt.kind, "apiVersion": self.filter.rt.api_version(), "metadata": meta});
        self.send("BOOKMARK", &obj, rv).await
    }

    /// Sends what a change means to this watch, if anything.
    async fn deliver(&mut self, c: &Change) -> Result<(), Gone> {
        if c.key.resource != self.filter.rt.key() || !self.filter.in_scope(&c.object) {
            return Ok(());
        }
        let now = self.filter.selects(&c.object);
        let Some(selected) = self.selected.as_mut() else {
            return match now {
                true => self.send(c.kind.as_str(), &c.object, c.rv).await,
                false => Ok(()),
            };
        };
        let id = (c.key.namespace.clone(), c.key.name.clone());
        let was = selected.contains(&id);
        let kind = match (c.kind, was, now) {
            (_, false, false) => return Ok(()),
            (ChangeType::Deleted, _, _) | (_, true, false) => {
                selected.remove(&id);
                "DELETED"
            }
            (ChangeType::Modified, true, true) => "MODIFIED",
            (_, _, true) => {
                selected.insert(id);
                "ADDED"
            }
        };
        self.send(kind, &c.object, c.rv).await
    }

    async fn error(&mut self, e: &ApiError) {
        let _ = self.send("ERROR", &e.to_status(), 0).await;
    }

    async fn run(
        mut self,
        app: App,
        start: Start,
        timeout: Duration,
        bookmarks: bool,
        shutdown: Option<Shutdown>,
    ) {
        let _ = self
            .run_inner(app, start, timeout, bookmarks, shutdown)
            .await;
    }

    async fn run_inner(
        &mut self,
        app: App,
        start: Start,
        timeout: Duration,
        bookmarks: bool,
        shutdown: Option<Shutdown>,
    ) -> Result<(), Gone> {
        let (initial, from, end_bookmark) = match start {
            Start::Initial { bookmark } => {
                let (items, rv) = app
                    .store
                    .list(self.filter.rt, self.filter.namespace.as_deref());
                (items, rv, bookmark)
            }
            Start::After(rv) => {
                if let Some(selected) = self.selected.as_mut() {
                    // What matched at `rv` is unknown; what matches now is the best guess.
                    let (items, _) = app
                        .store
                        .list(self.filter.rt, self.filter.namespace.as_deref());
                    selected.extend(items.iter().filter(|o| self.filter.matches(o)).map(id_of));
                }
                (Vec::new(), rv, false)
            }
        };
        let started = match app.store.watch_from(from) {
            Ok(s) => s,
            Err(e) => {
                self.error(&e).await;
                return Ok(());
            }
        };
        let mut last_rv = from;
        for obj in &initial {
            if !self.filter.matches(obj) {
                continue;
            }
            let rv = object_rv(obj).unwrap_or(from);
            if let Some(selected) = self.selected.as_mut() {
                selected.insert(id_of(obj));
            }
            self.send("ADDED", obj, rv).await?;
        }
        if end_bookmark {
            self.bookmark(from, true).await?;
        }
        for c in &started.replay {
            last_rv = last_rv.max(c.rv);
            self.deliver(c).await?;
        }
        let mut live = started.live;
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        let mut ticker = tokio::time::interval(BOOKMARK_EVERY);
        ticker.tick().await;
        let shutdown_wait = async {
            match &shutdown {
                Some(s) => s.wait().await,
                None => std::future::pending().await,
            }
        };
        tokio::pin!(shutdown_wait);
        let tx = self.tx.clone();
        loop {
            tokio::select! {
                _ = &mut shutdown_wait => return Ok(()),
                _ = &mut deadline => return Ok(()),
                _ = tx.closed() => return Err(Gone),
                _ = ticker.tick(), if bookmarks => self.bookmark(last_rv, false).await?,
                got = live.recv() => match got {
                    Ok(c) => {
                        if c.rv <= last_rv {
                            continue; // already replayed
                        }
                        last_rv = c.rv;
                        self.deliver(&c).await?;
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        self.error(&ApiError::gone("the watch fell too far behind; restart it")).await;
                        return Ok(());
                    }
                    Err(broadcast::error::RecvError::Closed) => return Ok(()),
                },
            }
        }
    }
}

fn object_rv(obj: &Value) -> Option<u64> {
    obj["metadata"]["resourceVersion"].as_str()?.parse().ok()
}
