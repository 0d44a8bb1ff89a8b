//! `kubectl logs`: the pod's server log (entrypoint lines + mariadbd's error log), `--tail`,
//! `--previous`, and `-f` which follows until the container ends or the pod goes away.

use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::api::App;
use crate::api_error::ApiError;
use crate::resources;

/// A follow never outlives this (kubectl reconnects if asked to keep going).
const FOLLOW_MAX: Duration = Duration::from_secs(4 * 3600);
const POLL: Duration = Duration::from_millis(250);

/// The query parameters `kubectl logs` sends.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct LogQuery {
    pub follow: bool,
    pub previous: bool,
    pub tail_lines: Option<usize>,
    pub limit_bytes: Option<usize>,
    pub container: Option<String>,
}

impl LogQuery {
    pub fn parse(q: Option<&str>) -> LogQuery {
        let mut out = LogQuery::default();
        for (k, v) in url::form_urlencoded::parse(q.unwrap_or("").as_bytes()) {
            match &*k {
                "follow" => out.follow = v == "true" || v == "1",
                "previous" => out.previous = v == "true" || v == "1",
                "tailLines" => out.tail_lines = v.parse().ok(),
                "limitBytes" => out.limit_bytes = v.parse().ok(),
                "container" => out.container = Some(v.into_owned()).filter(|c| !c.is_empty()),
                _ => {}
            }
        }
        out
    }
}

/// The last `n` lines of `text` (all with `None`).
pub fn tail(text: &[u8], n: Option<usize>) -> &[u8] {
    let Some(n) = n else { return text };
    if n == 0 {
        return &text[text.len()..];
    }
    let body = text.strip_suffix(b"\n").unwrap_or(text);
    let mut seen = 0;
    for (i, b) in body.iter().enumerate().rev() {
        if *b == b'\n' {
            seen += 1;
            if seen == n {
                return &text[i + 1..];
            }
        }
    }
    text
}

/// `GET /api/v1/namespaces/{ns}/pods/{name}/log?follow=..&tailLines=..&container=..`
pub async fn logs(app: App, namespace: String, pod: String, query: Option<String>) -> Response {
    match serve(app, namespace, pod, query).await {
        Ok(r) => r,
        Err(e) => crate::api::status_response(&e),
    }
}

// ApiError is the project-wide error (Status); boxing it here alone would not help.
#[allow(clippy::result_large_err)]
async fn serve(
    app: App,
    ns: String,
    name: String,
    query: Option<String>,
) -> Result<Response, ApiError> {
    let q = LogQuery::parse(query.as_deref());
    let p = app.store.get(resources::get("Pod"), Some(&ns), &name)?;
    // The API server picks the container first (pkg/registry/core/pod/strategy.go
    // `LogLocation`): none named on a pod with several is a 400 listing them.
    let picked = crate::kubelet::pick_container(&p, q.container.as_deref())
        .map_err(ApiError::bad_request)?;
    let Some((cname, current, previous, waiting)) = app.kubelet.container_logs(&p, Some(&picked))
    else {
        return Err(ApiError::bad_request(format!(
            "container {picked} is not valid for pod {name}"
        )));
    };
    let path = if q.previous {
        if !previous.exists() {
            return Err(ApiError::bad_request(format!(
                "previous terminated container \"{cname}\" in pod \"{name}\" not found"
            )));
        }
        previous
    } else {
        if !current.exists() {
            let reason = waiting.as_deref().unwrap_or("ContainerCreating");
            return Err(ApiError::bad_request(format!(
                "container \"{cname}\" in pod \"{name}\" is waiting to start: {reason}"
            )));
        }
        current
    };
    // One open handle for the whole request: the log of this run of the container (a restart
    // writes the next one, see `kubelet::pod::log_file`).
    let mut file = std::fs::File::open(&path)
        .map_err(|e| ApiError::internal(format!("{}: {e}", path.display())))?;
    let mut text = Vec::new();
    file.read_to_end(&mut text)
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let mut first = tail(&text, q.tail_lines).to_vec();
    if let Some(l) = q.limit_bytes {
        first.truncate(l);
    }
    let resp = |body: Body| ([(header::CONTENT_TYPE, "text/plain")], body).into_response();
    if !q.follow || q.previous {
        return Ok(resp(Body::from(first)));
    }
    let ino = file.metadata().map(|m| m.ino()).unwrap_or(0);
    let uid = p["metadata"]["uid"].as_str().unwrap_or("").to_string();
    let state = Follow {
        app,
        ns,
        name,
        uid,
        container: cname,
        path,
        file,
        ino,
        started: Instant::now(),
        first: Some(first),
    };
    let stream = futures::stream::unfold(state, |mut st| async move {
        let chunk = st.next().await?;
        Some((Ok::<_, std::io::Error>(chunk), st))
    });
    Ok(resp(Body::from_stream(stream)))
}

struct Follow {
    app: App,
    ns: String,
    name: String,
    uid: String,
    container: String,
    path: PathBuf,
    file: std::fs::File,
    ino: u64,
    started: Instant,
    first: Option<Vec<u8>>,
}

impl Follow {
    /// The next piece of log, or `None` when the container ended (its log was rotated away by a
    /// restart) or the pod is gone.
    async fn next(&mut self) -> Option<Vec<u8>> {
        if let Some(f) = self.first.take() {
            return Some(f);
        }
        loop {
            if self.started.elapsed() > FOLLOW_MAX {
                return None;
            }
            let mut buf = Vec::new();
            self.file.read_to_end(&mut buf).ok()?;
            if !buf.is_empty() {
                return Some(buf);
            }
            let pod = self
                .app
                .store
                .get(resources::get("Pod"), Some(&self.ns), &self.name)
                .ok()
                .filter(|p: &Value| p["metadata"]["uid"] == self.uid.as_str());
            // The container restarted: its log is another file now.
            let same_run = pod.as_ref().is_some_and(|p| {
                self.app
                    .kubelet
                    .container_logs(p, Some(&self.container))
                    .is_some_and(|(_, cur, _, _)| cur == self.path)
            });
            let same_file = std::fs::metadata(&self.path).is_ok_and(|m| m.ino() == self.ino);
            if pod.is_none() || !same_run || !same_file {
                return None;
            }
            tokio::time::sleep(POLL).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn tail_and_query() {
        assert_eq!(tail(b"a\nb\nc\n", Some(2)), b"b\nc\n");
        assert_eq!(tail(b"a\nb\nc", Some(1)), b"c");
        assert_eq!(tail(b"a\nb\n", Some(5)), b"a\nb\n");
        assert_eq!(tail(b"a\nb\n", Some(0)), b"");
        assert_eq!(tail(b"a\n", None), b"a\n");
        let q = LogQuery::parse(Some("follow=true&tailLines=10&container=mysql"));
        assert_eq!(
            q,
            LogQuery {
                follow: true,
                tail_lines: Some(10),
                container: Some("mysql".into()),
                ..Default::default()
            }
        );
    }

    fn app(dir: &std::path::Path) -> App {
        let store = Arc::new(crate::store::Store::in_memory());
        App {
            kubelet: crate::kubelet::Kubelet::new(store.clone(), dir.to_path_buf()),
            store,
            token: "t".into(),
            state_dir: Arc::new(dir.to_path_buf()),
        }
    }

    /// `kubectl logs mysql-0` with `query`.
    async fn mysql0_logs(app: &App, query: Option<&str>) -> Response {
        let (ns, pod) = ("default".to_string(), "mysql-0".to_string());
        logs(app.clone(), ns, pod, query.map(str::to_string)).await
    }

    #[tokio::test]
    async fn serves_tail_follows_and_refuses() {
        use futures::StreamExt;
        let t = tempfile::tempdir().unwrap();
        let app = app(t.path());
        let p = app
            .store
            .create(resources::get("Pod"), Some("default"), serde_json::json!({"metadata": {"name": "mysql-0"}, "spec": {"containers": [{"name": "mysql"}]}}))
            .unwrap();
        let r = mysql0_logs(&app, None).await;
        assert_eq!(r.status(), 400);
        let r = logs(app.clone(), "default".into(), "nope".into(), None).await;
        assert_eq!(r.status(), 404);
        let r = mysql0_logs(&app, Some("container=web")).await;
        assert_eq!(r.status(), 400);
        let (cur, _) = app.kubelet.log_paths(&p);
        std::fs::create_dir_all(cur.parent().unwrap()).unwrap();
        std::fs::write(&cur, "one\ntwo\nthree\n").unwrap();
        let r = mysql0_logs(&app, Some("tailLines=2")).await;
        let b = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
        assert_eq!(&b[..], b"two\nthree\n");
        let r = mysql0_logs(&app, Some("follow=true&tailLines=1")).await;
        let mut s = r.into_body().into_data_stream();
        assert_eq!(&s.next().await.unwrap().unwrap()[..], b"three\n");
        std::fs::OpenOptions::new()
            .append(true)
            .open(&cur)
            .map(|mut f| std::io::Write::write_all(&mut f, b"four\n"))
            .unwrap()
            .unwrap();
        let next = tokio::time::timeout(Duration::from_secs(5), s.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(&next[..], b"four\n");
        // A restart: the next run logs to its own file and the follow of this one ends.
        app.store
            .modify(resources::get("Pod"), Some("default"), "mysql-0", |p| {
                p["status"]["containerStatuses"] =
                    serde_json::json!([{"name": "mysql", "restartCount": 1}]);
            })
            .unwrap();
        let p = app
            .store
            .get(resources::get("Pod"), Some("default"), "mysql-0")
            .unwrap();
        let (cur, _) = app.kubelet.log_paths(&p);
        std::fs::write(&cur, "new container\n").unwrap();
        let end = tokio::time::timeout(Duration::from_secs(5), s.next())
            .await
            .unwrap();
        assert!(end.is_none(), "follow ends with its container");
        let r = mysql0_logs(&app, Some("follow=true")).await;
        let mut s = r.into_body().into_data_stream();
        assert_eq!(&s.next().await.unwrap().unwrap()[..], b"new container\n");
        let r = mysql0_logs(&app, Some("previous=true")).await;
        let b = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
        assert_eq!(&b[..], b"one\ntwo\nthree\nfour\n");
        app.store
            .remove(resources::get("Pod"), Some("default"), "mysql-0")
            .unwrap();
        let end = tokio::time::timeout(Duration::from_secs(5), s.next())
            .await
            .unwrap();
        assert!(end.is_none(), "follow ends when the pod is gone");
    }
}
