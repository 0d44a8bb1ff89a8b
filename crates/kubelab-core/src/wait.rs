//! Waiting for pods: `wait_ready` (`kubectl wait --for=condition=Ready pod/NAME`, for the
//! re-created pod after `delete_pod`), its `PodReady`, and what every wait shares: the default
//! timeout and how many watch errors it tolerates. Its failures are `wait::Error`; `watch_pods`
//! lives in `watch/`, the timeout's diagnosis in `diagnose.rs`.

use std::fmt;
use std::time::{Duration, Instant};

use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::runtime::watcher::{self, watcher};
use kube::runtime::WatchStreamExt;
use kube::ResourceExt;
pub use kubelab::{PodReadyData, DEFAULT_TIMEOUT};

pub use crate::error::wait::Error;
use crate::error::Result;
use crate::lab::Lab;
use crate::memory::deleted_uid;
use crate::pod::is_ready;
use crate::table::pre;

/// Consecutive watch errors tolerated before giving up.
const MAX_WATCH_FAILURES: u32 = 5;

/// How long `wait_ready` waits for a pod that does not exist yet (the `kubectl wait --for=create
/// --timeout=60s` it prints).
const CREATE_WAIT: Duration = Duration::from_secs(60);

/// Counts a watch's consecutive errors: the watcher relists by itself (e.g. after 410 Gone), so
/// a wait gives up only when it keeps failing.
#[derive(Default)]
pub(crate) struct WatchFailures(u32);

impl WatchFailures {
    /// The event, `None` for an error to ride out, or `Err` once errors kept coming.
    pub(crate) fn check<T, E: fmt::Display>(
        &mut self,
        ev: std::result::Result<T, E>,
    ) -> std::result::Result<Option<T>, Error> {
        match ev {
            Ok(ev) => {
                self.0 = 0;
                Ok(Some(ev))
            }
            Err(e) if self.0 + 1 >= MAX_WATCH_FAILURES => Err(Error::Watch {
                detail: e.to_string(),
            }),
            Err(_) => {
                self.0 += 1;
                Ok(None)
            }
        }
    }
}

/// A pod that became Ready: `name`, `uid`, `node`, `ip`, `elapsed`, `recreated` (the fields of
/// `kubelab`'s [`PodReadyData`], which the engine sends to the cell as they are).
#[derive(Debug, Clone)]
pub struct PodReady(pub PodReadyData);
crate::report::report!(PodReady: PodReadyData = 0);

impl fmt::Display for PodReady {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "pod/{} condition met ({:.1}초, 노드 {}, IP {}, UID {}{})",
            self.name,
            self.elapsed.as_secs_f64(),
            self.node,
            self.ip,
            self.uid,
            if self.recreated {
                ", 새로 만들어진 파드"
            } else {
                ""
            }
        )
    }
}

impl PodReady {
    /// HTML for Jupyter.
    pub fn to_html(&self) -> String {
        pre(&self.to_string())
    }
}

impl Lab {
    /// `kubectl wait --for=condition=Ready pod/NAME`: a re-created pod (new UID) if this process
    /// deleted it, else the current one.
    pub async fn wait_ready(&self, name: &str, timeout: Duration) -> Result<PodReady> {
        // `--for=create` first: right after a delete the controller may not have re-created the
        // pod yet, and `--for=condition=Ready` alone fails at once with NotFound (kubectl 1.31+).
        crate::out::cmd(&format!(
            "kubectl wait --for=create pod/{name} --timeout=60s && kubectl wait --for=condition=Ready pod/{name} --timeout={}s",
            timeout.as_secs()
        ));
        let old_uid = deleted_uid(name);
        if old_uid.is_none() {
            // `--for=create`: a pod deleted some other way (`kubectl delete --force`, an eviction
            // by `kubectl drain`) may not be re-created yet; a name that never appears is NotFound
            let deadline = Instant::now() + CREATE_WAIT.min(timeout);
            loop {
                let exists = self
                    .call("get pod", self.api::<Pod>().get_opt(name))
                    .await?;
                if exists.is_some() {
                    break;
                }
                if Instant::now() >= deadline {
                    return Err(self.not_found::<Pod>("pod", "pods", name).await);
                }
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
        }
        let start = Instant::now();
        let cfg = watcher::Config::default().fields(&format!("metadata.name={name}"));
        let mut stream = watcher(self.api::<Pod>(), cfg).default_backoff().boxed();
        let run = async {
            let mut failures = WatchFailures::default();
            while let Some(ev) = stream.next().await {
                let p = match failures.check(ev)? {
                    Some(watcher::Event::Apply(p) | watcher::Event::InitApply(p)) => p,
                    _ => continue,
                };
                let uid = p.uid().unwrap_or_default();
                if old_uid.as_deref() == Some(uid.as_str()) || !is_ready(&p) {
                    continue;
                }
                return Ok(p);
            }
            Err(Error::Watch {
                detail: "watch stream ended".into(),
            })
        };
        match tokio::time::timeout(timeout, run).await {
            Ok(Ok(p)) => {
                let r = PodReady(PodReadyData {
                    name: name.to_string(),
                    uid: p.uid().unwrap_or_default(),
                    node: p
                        .spec
                        .as_ref()
                        .and_then(|s| s.node_name.clone())
                        .unwrap_or_default(),
                    ip: p
                        .status
                        .as_ref()
                        .and_then(|s| s.pod_ip.clone())
                        .unwrap_or_default(),
                    elapsed: start.elapsed(),
                    recreated: old_uid.is_some(),
                });
                crate::out::line(r.to_string());
                Ok(r)
            }
            Ok(Err(e)) => Err(e.into()),
            Err(_) => Err(Error::TimedOut {
                what: format!("파드 {name} 이(가) Ready가 되기를 기다렸지만"),
                secs: timeout.as_secs(),
                diagnosis: self.diagnosis(None, Some(name), None).await,
            }
            .into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watch_errors_are_ridden_out_until_they_keep_coming() {
        let mut f = WatchFailures::default();
        for _ in 0..MAX_WATCH_FAILURES - 1 {
            assert!(matches!(f.check::<u8, _>(Err("410 Gone")), Ok(None)));
        }
        assert_eq!(
            f.check::<u8, &str>(Ok(7)).unwrap(),
            Some(7),
            "an event resets the count"
        );
        for _ in 0..MAX_WATCH_FAILURES - 1 {
            assert!(f.check::<u8, _>(Err("x")).unwrap().is_none());
        }
        let e = f.check::<u8, _>(Err("connection refused")).unwrap_err();
        assert!(e.to_string().contains("connection refused"), "{e}");
    }
}
