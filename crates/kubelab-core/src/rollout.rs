//! `watch_rollout`: `kubectl rollout status statefulset/NAME` plus what kubectl does not say — the
//! order in which the StatefulSet controller replaced its pods (highest ordinal first) — and
//! `revisions`: each pod's `controller-revision-hash` next to the StatefulSet's update revision.
//!
//! The status lines are kubectl's own (`StatefulSetStatusViewer` in
//! `k8s.io/kubectl/pkg/polymorphichelpers/rollout_status.go`), computed from the same fields, so
//! the cell shows what the printed command would show. Polling (every 300 ms) rather than a watch
//! keeps it simple; a replaced pod is recognised by its new UID, which a poll cannot miss.

use std::collections::HashMap;
use std::fmt;
use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams};
use kube::ResourceExt;

use crate::lab::{Lab, NAMESPACE};
use crate::objects::Error as ObjError;
use crate::table::{pre, Table};
use crate::Result;

/// The label the StatefulSet controller puts on each pod: the revision it was made from.
pub const REVISION_LABEL: &str = "controller-revision-hash";

const POLL: Duration = Duration::from_millis(300);

pub use kubelab::RolloutData;

/// What `watch_rollout` returns ([`RolloutData`]: lines, replacement order, update revision,
/// the pods' revisions at the end, time taken).
#[derive(Debug, Clone)]
pub struct RolloutReport(pub RolloutData);
crate::report::report!(RolloutReport: RolloutData = 0);

impl RolloutReport {
    /// `mysql-2 → mysql-1 → mysql-0`, or `(없음)`.
    pub fn order_text(&self) -> String {
        if self.replaced.is_empty() {
            "(없음)".into()
        } else {
            self.replaced.join(" → ")
        }
    }

    /// HTML for Jupyter.
    pub fn to_html(&self) -> String {
        format!("{}{}", pre(&self.summary()), self.pods.to_html())
    }

    fn summary(&self) -> String {
        format!(
            "교체 순서: {}  ({:.1}초)\nupdateRevision: {}",
            self.order_text(),
            self.elapsed.as_secs_f64(),
            self.update_revision
        )
    }
}

impl fmt::Display for RolloutReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}\n{}", self.summary(), self.pods)
    }
}

/// kubectl's rollout status line for a StatefulSet and whether the rollout is complete; `Err`
/// with kubectl's message for a strategy it cannot follow (OnDelete).
pub fn status_line(s: &StatefulSet) -> std::result::Result<(String, bool), String> {
    let spec = s.spec.clone();
    let st = s.status.clone().unwrap_or_default();
    let strategy = spec.update_strategy.clone().unwrap_or_default();
    if strategy.type_.as_deref().unwrap_or("RollingUpdate") != "RollingUpdate" {
        return Err("rollout status is only available for RollingUpdate strategy type".into());
    }
    let generation = s.metadata.generation.unwrap_or(0);
    let observed = st.observed_generation.unwrap_or(0);
    if observed == 0 || generation > observed {
        return Ok((
            "Waiting for statefulset spec update to be observed...".into(),
            false,
        ));
    }
    let replicas = spec.replicas.unwrap_or(1);
    let ready = st.ready_replicas.unwrap_or(0);
    if ready < replicas {
        return Ok((
            format!("Waiting for {} pods to be ready...", replicas - ready),
            false,
        ));
    }
    let updated = st.updated_replicas.unwrap_or(0);
    if let Some(ru) = &strategy.rolling_update {
        if let Some(p) = ru.partition {
            if updated < replicas - p {
                return Ok((
                    format!(
                        "Waiting for partitioned roll out to finish: {updated} out of {} new pods have been updated...",
                        replicas - p
                    ),
                    false,
                ));
            }
        }
        return Ok((
            format!("partitioned roll out complete: {updated} new pods have been updated..."),
            true,
        ));
    }
    let (cur, upd) = (
        st.current_revision.clone().unwrap_or_default(),
        st.update_revision.clone().unwrap_or_default(),
    );
    if cur != upd {
        return Ok((
            format!(
                "waiting for statefulset rolling update to complete {updated} pods at revision {upd}..."
            ),
            false,
        ));
    }
    Ok((
        format!(
            "statefulset rolling update complete {} pods at revision {cur}...",
            st.current_replicas.unwrap_or(0)
        ),
        true,
    ))
}

fn revision(p: &Pod) -> String {
    p.labels().get(REVISION_LABEL).cloned().unwrap_or_default()
}

fn ready(p: &Pod) -> bool {
    p.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

impl Lab {
    async fn get_sts(&self, name: &str) -> Result<StatefulSet> {
        let api: Api<StatefulSet> = Api::namespaced(self.client().clone(), NAMESPACE);
        let action = format!("kubectl get statefulset {name}");
        match self.call(&action, api.get_opt(name)).await? {
            Some(s) => Ok(s),
            None => Err(self
                .not_found::<StatefulSet>("statefulset", "statefulsets", name)
                .await),
        }
    }

    /// The pods the StatefulSet controls (controller owner reference), by name.
    async fn sts_pods(&self, s: &StatefulSet) -> Result<Vec<Pod>> {
        let api: Api<Pod> = Api::namespaced(self.client().clone(), NAMESPACE);
        let lp = ListParams::default().labels(&crate::objects::selector_of(s));
        let list = self.call("kubectl get pods", api.list(&lp)).await?;
        let uid = s.uid();
        let mut pods: Vec<Pod> = list
            .items
            .into_iter()
            .filter(|p| {
                p.owner_references()
                    .iter()
                    .any(|o| o.controller == Some(true) && Some(&o.uid) == uid.as_ref())
            })
            .collect();
        pods.sort_by_key(|p| p.name_any());
        Ok(pods)
    }

    /// The server's pod table for these pods plus kubectl's `-L controller-revision-hash` column.
    async fn revision_table(&self, pods: &[Pod]) -> Result<Table> {
        let all = crate::out::silenced(self.pods()).await?;
        let mut cols: Vec<&str> = all.columns().iter().map(String::as_str).collect();
        cols.push("CONTROLLER-REVISION-HASH");
        let mut t = Table::kubectl(&cols);
        let by_name: HashMap<String, String> =
            pods.iter().map(|p| (p.name_any(), revision(p))).collect();
        for row in all.rows() {
            let name = row.first().cloned().flatten().unwrap_or_default();
            if let Some(rev) = by_name.get(&name) {
                let mut r = row.clone();
                r.push(Some(rev.clone()));
                t.push_nullable(r);
            }
        }
        Ok(t)
    }

    /// `kubectl get pods -l SELECTOR -L controller-revision-hash`: which revision each pod of the
    /// StatefulSet runs; prints the StatefulSet's update revision below.
    pub async fn revisions(&self, name: &str) -> Result<Table> {
        let s = self.get_sts(name).await?;
        crate::out::cmd(&format!(
            "kubectl get pods -l {} -L {REVISION_LABEL}",
            crate::objects::selector_of(&s)
        ));
        let pods = self.sts_pods(&s).await?;
        let t = self.revision_table(&pods).await?;
        let st = s.status.clone().unwrap_or_default();
        crate::out::line(format!(
            "(statefulset/{name}: updateRevision {}, currentRevision {})",
            st.update_revision.unwrap_or_default(),
            st.current_revision.unwrap_or_default()
        ));
        Ok(t)
    }

    /// `kubectl rollout status statefulset/NAME` until the rollout is complete (timeout), printing
    /// kubectl's status lines and each pod as it is replaced; the report has the order.
    pub async fn watch_rollout(&self, name: &str, timeout: Duration) -> Result<RolloutReport> {
        let command = format!("kubectl rollout status statefulset/{name}");
        crate::out::cmd(&command);
        let started = Instant::now();
        let mut s = self.get_sts(name).await?;
        let initial: HashMap<String, String> = self
            .sts_pods(&s)
            .await?
            .iter()
            .map(|p| (p.name_any(), p.uid().unwrap_or_default()))
            .collect();
        let mut lines: Vec<String> = Vec::new();
        fn say(l: String, lines: &mut Vec<String>) {
            crate::out::line(l.clone());
            lines.push(l);
        }
        let mut last_status = String::new();
        let mut replaced: Vec<String> = Vec::new();
        let mut terminating_seen: Vec<String> = Vec::new();
        let mut ready_seen: Vec<String> = Vec::new();
        loop {
            let (status, done) = status_line(&s).map_err(|m| ObjError::Api {
                action: command.clone(),
                message: format!(
                    "error: {m}\n(updateStrategy가 OnDelete이면 컨트롤러는 파드를 바꾸지 않습니다. 파드를 직접 지우면 새 템플릿으로 다시 만들어집니다.)"
                ),
            })?;
            let update_rev = s
                .status
                .as_ref()
                .and_then(|st| st.update_revision.clone())
                .unwrap_or_default();
            for p in self.sts_pods(&s).await? {
                let pname = p.name_any();
                let uid = p.uid().unwrap_or_default();
                let is_old = initial.get(&pname) == Some(&uid);
                if is_old
                    && p.metadata.deletion_timestamp.is_some()
                    && !terminating_seen.contains(&pname)
                {
                    terminating_seen.push(pname.clone());
                    say(
                        format!("  {pname}: 예전 파드 종료 중 (revision {})", revision(&p)),
                        &mut lines,
                    );
                }
                if !is_old && revision(&p) == update_rev && !update_rev.is_empty() {
                    if !replaced.contains(&pname) {
                        replaced.push(pname.clone());
                        say(
                            format!("  {pname}: 새 파드 생성 (revision {update_rev})"),
                            &mut lines,
                        );
                    }
                    if ready(&p) && !ready_seen.contains(&pname) {
                        ready_seen.push(pname.clone());
                        say(format!("  {pname}: Ready"), &mut lines);
                    }
                }
            }
            if status != last_status {
                say(status.clone(), &mut lines);
                last_status = status;
            }
            if done {
                let pods = self.sts_pods(&s).await?;
                let table = self.revision_table(&pods).await?;
                let r = RolloutReport(RolloutData {
                    lines,
                    replaced,
                    update_revision: update_rev,
                    pods: table.shown(),
                    elapsed: started.elapsed(),
                });
                return Ok(r);
            }
            if started.elapsed() >= timeout {
                let mut diagnosis = format!("마지막 상태: {last_status}\n");
                for p in self.sts_pods(&s).await? {
                    diagnosis.push_str(&format!(
                        "  {}: revision {}, Ready {}\n",
                        p.name_any(),
                        revision(&p),
                        ready(&p)
                    ));
                }
                diagnosis.push_str(&format!(
                    "교체된 파드: {}\n→ 멈춘 파드를 describe(\"pod\", \"...\")? 로 보세요",
                    if replaced.is_empty() {
                        "(없음)".to_string()
                    } else {
                        replaced.join(", ")
                    }
                ));
                return Err(crate::wait::Error::TimedOut {
                    what: command,
                    secs: timeout.as_secs(),
                    diagnosis,
                }
                .into());
            }
            tokio::time::sleep(POLL).await;
            s = self.get_sts(name).await?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sts(v: serde_json::Value) -> StatefulSet {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn kubectl_status_lines() {
        let base = |partition: Option<i32>, ready: i32, updated: i32| {
            let mut s = serde_json::json!({
                "metadata": {"name": "mysql", "generation": 2},
                "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "mysql"}}, "serviceName": "mysql",
                    "template": {}, "updateStrategy": {"type": "RollingUpdate"}},
                "status": {"observedGeneration": 2, "replicas": 3, "readyReplicas": ready,
                    "updatedReplicas": updated, "currentRevision": "a", "updateRevision": "b"}
            });
            if let Some(p) = partition {
                s["spec"]["updateStrategy"]["rollingUpdate"] = serde_json::json!({"partition": p});
            }
            sts(s)
        };
        assert_eq!(
            status_line(&base(Some(0), 2, 1)).unwrap(),
            ("Waiting for 1 pods to be ready...".into(), false)
        );
        assert_eq!(
            status_line(&base(Some(2), 3, 0)).unwrap(),
            (
                "Waiting for partitioned roll out to finish: 0 out of 1 new pods have been updated..."
                    .into(),
                false
            )
        );
        assert!(status_line(&base(Some(2), 3, 1)).unwrap().1);
        assert_eq!(
            status_line(&base(None, 3, 3)).unwrap().0,
            "waiting for statefulset rolling update to complete 3 pods at revision b..."
        );
        let mut on_delete = base(None, 3, 3);
        on_delete.spec.update_strategy =
            Some(serde_json::from_value(serde_json::json!({"type": "OnDelete"})).unwrap());
        assert!(status_line(&on_delete).is_err());
        let mut unobserved = base(Some(0), 3, 3);
        unobserved.metadata.generation = Some(3);
        assert_eq!(
            status_line(&unobserved).unwrap().0,
            "Waiting for statefulset spec update to be observed..."
        );
    }
}
