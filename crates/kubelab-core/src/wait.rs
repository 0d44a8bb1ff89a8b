//! Watching pods until they are Ready (`watch_pods`, `wait_ready`), the Ready order summary, and
//! the diagnosis shown when a wait times out (conditions, container states, PVCs, Events).

use std::collections::HashMap;
use std::fmt;
use std::time::{Duration, Instant};

use chrono::Utc;
use futures::StreamExt;
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{Event, PersistentVolumeClaim, Pod};
use kube::api::ListParams;
use kube::runtime::watcher::{self, watcher};
use kube::runtime::WatchStreamExt;
use kube::ResourceExt;

use crate::lab::{deleted_uid, Lab};
use crate::table::{pre, Table};
use crate::Result;

/// kubectl's pod columns for the `-w` lines (the one printer kubelab keeps; see its doc).
mod podline;
pub(crate) use podline::is_ready;
use podline::{human_duration_secs, ordinal, pod_columns, ready_since, to_chrono};

/// Consecutive watch errors tolerated before giving up.
const MAX_WATCH_FAILURES: u32 = 5;

/// How long `watch_pods` sees no pod at all before it checks that its selector can match.
const NO_MATCH_GRACE: Duration = Duration::from_secs(10);

/// `app=mysql,tier=db` as pairs; `None` for selectors with other operators.
fn equality_labels(selector: &str) -> Option<Vec<(String, String)>> {
    selector
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once("==").or_else(|| p.split_once('='))?;
            (!k.contains('!') && !k.contains(' '))
                .then(|| (k.trim().to_string(), v.trim().to_string()))
        })
        .collect()
}

/// Default time a wait may take.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// Errors while waiting.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The condition did not hold in time; the diagnosis says why.
    #[error("{what}: {secs}초 안에 끝나지 않았습니다.\n진단:\n{diagnosis}\n→ events() 와 pods() 로 상태를 확인하고, 원인을 고친 뒤 다시 실행하세요.")]
    TimedOut {
        /// What was awaited.
        what: String,
        /// The timeout.
        secs: u64,
        /// One finding per line.
        diagnosis: String,
    },
    /// No pod matches the selector, and no StatefulSet would ever create one.
    #[error("'{selector}' 에 맞는 파드가 없고, 그런 파드를 만들 StatefulSet도 없습니다.\n지금 있는 파드의 레이블: {existing}\n→ 레이블 셀렉터의 철자를 확인하세요 (실습에서는 \"app=mysql\"). 아직 apply 하지 않았다면 apply(...) 를 먼저 실행하세요.")]
    NoMatch {
        /// The label selector given.
        selector: String,
        /// `name: k=v,...` of the pods that exist, or `(없음)`.
        existing: String,
    },
    /// The watch stream failed.
    #[error("파드 감시(watch)가 실패했습니다: {detail}\n→ 클러스터가 살아 있는지 cluster() 로 확인하세요.")]
    Watch {
        /// The watcher error.
        detail: String,
    },
}

/// The outcome of `watch_pods`.
#[derive(Debug, Clone)]
pub struct WatchReport {
    /// The lines printed while watching (kubectl -w style).
    pub lines: Vec<String>,
    ready_order: Vec<String>,
    /// Final `kubectl get pods` of the selected pods.
    pub pods: Table,
    /// Time it took.
    pub elapsed: Duration,
}

impl WatchReport {
    /// Pod names in the order they became Ready.
    pub fn ready_order(&self) -> &[String] {
        &self.ready_order
    }

    /// True when the pods became Ready in ordinal order (mysql-0, mysql-1, ...).
    pub fn in_ordinal_order(&self) -> bool {
        in_ordinal_order(&self.ready_order)
    }

    fn summary(&self) -> String {
        let mark = if self.in_ordinal_order() {
            "✔ 순서 번호(ordinal) 순서와 같습니다"
        } else {
            "✘ 순서 번호(ordinal) 순서와 다릅니다"
        };
        format!(
            "모든 파드가 Ready ({:.1}초). Ready가 된 순서: {}  {mark}",
            self.elapsed.as_secs_f64(),
            self.ready_order.join(" → ")
        )
    }

    /// HTML for Jupyter.
    pub fn to_html(&self) -> String {
        format!(
            "{}{}{}",
            pre(&self.lines.join("\n")),
            self.pods.to_html(),
            pre(&self.summary())
        )
    }
}

impl fmt::Display for WatchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}\n\n{}", self.pods, self.summary())
    }
}
crate::table::evcxr_report!(WatchReport);

/// A pod that became Ready.
#[derive(Debug, Clone)]
pub struct PodReady {
    /// Pod name.
    pub name: String,
    /// Its UID (differs from the deleted pod's).
    pub uid: String,
    /// Node it runs on.
    pub node: String,
    /// Pod IP.
    pub ip: String,
    /// Time waited.
    pub elapsed: Duration,
    /// True when this is a re-created pod (new UID).
    pub recreated: bool,
}

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
crate::table::evcxr_report!(PodReady);

/// True when names are in increasing ordinal order.
pub fn in_ordinal_order(names: &[String]) -> bool {
    let ords: Vec<Option<u32>> = names.iter().map(|n| ordinal(n)).collect();
    ords.iter().all(|o| o.is_some()) && ords.windows(2).all(|w| w[0] < w[1])
}

/// One kubectl `-w` line with fixed widths.
pub fn watch_line(p: &Pod, now: chrono::DateTime<Utc>) -> String {
    let c = pod_columns(p, now);
    let age = match p.metadata.creation_timestamp.as_ref() {
        Some(t) => human_duration_secs((now - to_chrono(t)).num_seconds()),
        None => "<unknown>".to_string(),
    };
    format!(
        "{:<10}{:<8}{:<20}{:<12}{}",
        p.name_any(),
        c.ready,
        c.status,
        c.restarts,
        age
    )
}

/// Header matching `watch_line`.
pub fn watch_header() -> String {
    format!(
        "{:<10}{:<8}{:<20}{:<12}{}",
        "NAME", "READY", "STATUS", "RESTARTS", "AGE"
    )
}

/// The time an event last happened.
fn event_time(e: &Event) -> Option<chrono::DateTime<Utc>> {
    e.last_timestamp
        .as_ref()
        .map(to_chrono)
        .or_else(|| {
            e.event_time
                .as_ref()
                .map(|t| chrono::DateTime::from_timestamp(t.0.as_second(), 0).unwrap_or_default())
        })
        .or_else(|| e.first_timestamp.as_ref().map(to_chrono))
        .or_else(|| e.metadata.creation_timestamp.as_ref().map(to_chrono))
}

/// Explains why pods are not Ready, from their state, PVCs and Events (one finding per line).
pub fn diagnose(
    pods: &[Pod],
    pvcs: &[PersistentVolumeClaim],
    events: &[Event],
    expected: Option<(String, i32)>,
) -> Vec<String> {
    let mut out = Vec::new();
    let now = Utc::now();
    if pods.is_empty() {
        out.push("- 조건에 맞는 파드가 하나도 없습니다: 셀렉터(라벨)와 StatefulSet이 apply 되었는지 확인하세요 (statefulsets()).".into());
    }
    for p in pods.iter().filter(|p| !is_ready(p)) {
        let name = p.name_any();
        let c = pod_columns(p, now);
        out.push(format!("- {name}: STATUS {} READY {}", c.status, c.ready));
        let st = p.status.clone().unwrap_or_default();
        for cond in st.conditions.unwrap_or_default() {
            if cond.status != "True" {
                if let Some(m) = cond.message.filter(|m| !m.is_empty()) {
                    out.push(format!("  · 조건 {}=False: {}", cond.type_, m));
                    if cond.type_ == "PodScheduled" {
                        out.push(
                            "    → 스케줄되지 못했습니다: 노드 자원이나 PVC 바인딩을 확인하세요."
                                .into(),
                        );
                    }
                }
            }
        }
        for cs in st.container_statuses.unwrap_or_default() {
            let state = cs.state.unwrap_or_default();
            if let Some(w) = state.waiting {
                let reason = w.reason.unwrap_or_default();
                let msg = w.message.unwrap_or_default();
                out.push(
                    format!("  · 컨테이너 {} 대기 중: {reason} {msg}", cs.name)
                        .trim_end()
                        .to_string(),
                );
                let hint = match reason.as_str() {
                    "ErrImagePull" | "ImagePullBackOff" | "InvalidImageName" => {
                        Some("→ 이미지를 받을 수 없습니다: 매니페스트의 image 이름과 태그, 네트워크를 확인하세요.")
                    }
                    "CrashLoopBackOff" => Some("→ 컨테이너가 반복해서 종료됩니다: exec 대신 `kubectl logs` 로 로그를 보고, 환경 변수(비밀번호)와 데이터 디렉터리를 확인하세요."),
                    "CreateContainerConfigError" => Some("→ 설정 오류입니다: 참조한 Secret/ConfigMap과 키 이름이 있는지 확인하세요."),
                    _ => None,
                };
                if let Some(h) = hint {
                    out.push(format!("    {h}"));
                }
            }
            if let Some(t) = state.terminated {
                out.push(format!(
                    "  · 컨테이너 {} 종료됨: exit code {} {}",
                    cs.name,
                    t.exit_code,
                    t.reason.unwrap_or_default()
                ));
            }
            if let Some(t) = cs.last_state.and_then(|s| s.terminated) {
                out.push(format!(
                    "  · 직전 실행이 exit code {} ({})로 끝났습니다, 재시작 {}회",
                    t.exit_code,
                    t.reason.unwrap_or_default(),
                    cs.restart_count
                ));
            }
        }
        let claims: Vec<String> = p
            .spec
            .as_ref()
            .and_then(|s| s.volumes.clone())
            .unwrap_or_default()
            .into_iter()
            .filter_map(|v| v.persistent_volume_claim.map(|c| c.claim_name))
            .collect();
        for claim in claims {
            match pvcs.iter().find(|c| c.name_any() == claim) {
                Some(c) if c.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Pending") => out.push(format!(
                    "  · PVC {claim} 이(가) Pending: 볼륨이 만들어지지 않았습니다 → storage_classes() 로 기본 StorageClass(standard)를 확인하세요."
                )),
                None => out.push(format!("  · PVC {claim} 이(가) 없습니다.")),
                _ => {}
            }
        }
        let mut evs: Vec<&Event> = events
            .iter()
            .filter(|e| {
                e.involved_object.name.as_deref() == Some(name.as_str())
                    && e.type_.as_deref() == Some("Warning")
            })
            .collect();
        evs.sort_by_key(|e| event_time(e));
        for e in evs.iter().rev().take(3).rev() {
            let reason = e.reason.clone().unwrap_or_default();
            out.push(format!(
                "  · 이벤트 {reason}: {}",
                // a multi-line message (a probe's output) stays inside its finding
                e.message
                    .clone()
                    .unwrap_or_default()
                    .trim()
                    .replace('\n', "\n      ")
            ));
            if reason == "Unhealthy" {
                out.push("    → 프로브(readiness/liveness)가 실패합니다: MySQL이 아직 초기화 중이거나 프로브 명령/비밀번호가 틀렸습니다.".into());
            }
        }
    }
    if let Some((sts, replicas)) = expected {
        let present = pods
            .iter()
            .filter(|p| p.metadata.deletion_timestamp.is_none())
            .count() as i32;
        if present < replicas {
            let blocking: Vec<String> = pods
                .iter()
                .filter(|p| !is_ready(p))
                .map(|p| p.name_any())
                .collect();
            out.push(format!(
                "- StatefulSet {sts}: 파드 {present}/{replicas}개만 있습니다. OrderedReady 정책에서는 앞 번호 파드가 Ready가 되어야 다음 파드가 만들어집니다{}.",
                if blocking.is_empty() { String::new() } else { format!(" (막고 있는 파드: {})", blocking.join(", ")) }
            ));
        }
    }
    if out.is_empty() {
        out.push("- 특별한 오류는 보이지 않습니다: 아직 시작 중일 수 있습니다. 시간을 늘려 다시 기다리세요 (watch_pods_for).".into());
    }
    out
}

impl Lab {
    async fn diagnosis(
        &self,
        selector: Option<&str>,
        name: Option<&str>,
        expected: Option<(String, i32)>,
    ) -> String {
        let mut pods = self.list_pods(selector).await.unwrap_or_default();
        if let Some(n) = name {
            pods.retain(|p| p.name_any() == n);
        }
        let pvcs = self
            .call(
                "kubectl get pvc",
                self.api::<PersistentVolumeClaim>()
                    .list(&ListParams::default()),
            )
            .await
            .map(|l| l.items)
            .unwrap_or_default();
        let events = self
            .call(
                "kubectl get events",
                self.api::<Event>().list(&ListParams::default()),
            )
            .await
            .map(|l| l.items)
            .unwrap_or_default();
        diagnose(&pods, &pvcs, &events, expected).join("\n")
    }

    /// The StatefulSet owning these pods and its desired replicas.
    async fn owner_replicas(&self, pods: &HashMap<String, Pod>) -> Option<(String, i32)> {
        let owner = pods.values().find_map(|p| {
            p.owner_references()
                .iter()
                .find(|o| o.kind == "StatefulSet")
                .map(|o| o.name.clone())
        })?;
        let sts = self
            .call("get statefulset", self.api::<StatefulSet>().get(&owner))
            .await
            .ok()?;
        Some((owner, sts.spec.replicas.unwrap_or(1)))
    }

    /// After a short grace, whether anything could still produce pods for `selector`: `Err` when
    /// no pod matches and no StatefulSet's pod template carries those labels (a typo'd selector
    /// would otherwise wait for the whole timeout). Selectors other than `k=v,...` are trusted.
    async fn check_selector_can_match(&self, selector: &str) -> Result<()> {
        let Some(wanted) = equality_labels(selector) else {
            return Ok(());
        };
        let sets = self
            .call(
                "list statefulsets",
                self.api::<StatefulSet>().list(&ListParams::default()),
            )
            .await?;
        let feeds = sets.items.iter().any(|s| {
            let labels = s
                .spec
                .template
                .metadata
                .as_ref()
                .and_then(|m| m.labels.as_ref());
            labels.is_some_and(|l| wanted.iter().all(|(k, v)| l.get(k) == Some(v)))
        });
        if feeds {
            return Ok(());
        }
        let pods = self
            .call("list pods", self.api::<Pod>().list(&ListParams::default()))
            .await?;
        let mut existing: Vec<String> = pods
            .items
            .iter()
            .map(|p| {
                let labels: Vec<String> =
                    p.labels().iter().map(|(k, v)| format!("{k}={v}")).collect();
                format!("{}: {}", p.name_any(), labels.join(","))
            })
            .collect();
        existing.sort();
        Err(Error::NoMatch {
            selector: selector.to_string(),
            existing: if existing.is_empty() {
                "(없음)".into()
            } else {
                existing.join("; ")
            },
        }
        .into())
    }

    /// `kubectl get pods -l SELECTOR -w` until every replica is Ready (default 300 s).
    pub async fn watch_pods(&self, selector: &str, timeout: Duration) -> Result<WatchReport> {
        crate::out::cmd(&format!("kubectl get pods -l {selector} -w"));
        let start = Instant::now();
        let mut lines = vec![watch_header()];
        crate::out::line(lines[0].clone());
        let mut pods: HashMap<String, Pod> = HashMap::new();
        let mut last_line: HashMap<String, String> = HashMap::new();
        let mut ready_order: Vec<String> = Vec::new();
        let mut init_batch: Vec<Pod> = Vec::new();
        let mut expected: Option<(String, i32)> = None;
        let mut checked_owner = Instant::now() - Duration::from_secs(10);
        let cfg = watcher::Config::default().labels(selector);
        let mut stream = watcher(self.api::<Pod>(), cfg).default_backoff().boxed();
        let run = async {
            let mut failures = 0;
            // A selector that matches nothing is reported after this grace, not at the timeout.
            let no_match_check = tokio::time::sleep(NO_MATCH_GRACE.min(timeout));
            tokio::pin!(no_match_check);
            let mut checked_match = false;
            loop {
                let next = tokio::select! {
                    ev = stream.next() => ev,
                    _ = &mut no_match_check, if !checked_match => {
                        checked_match = true;
                        if pods.is_empty() {
                            self.check_selector_can_match(selector).await?;
                        }
                        continue;
                    }
                };
                let Some(ev) = next else { break };
                // the watcher relists by itself (e.g. after 410 Gone); give up only when it keeps failing
                let ev = match ev {
                    Ok(ev) => {
                        failures = 0;
                        ev
                    }
                    Err(e) if failures + 1 >= MAX_WATCH_FAILURES => {
                        return Err(Error::Watch {
                            detail: e.to_string(),
                        }
                        .into())
                    }
                    Err(_) => {
                        failures += 1;
                        continue;
                    }
                };
                let mut changed: Vec<Pod> = Vec::new();
                match ev {
                    watcher::Event::Init => init_batch.clear(),
                    watcher::Event::InitApply(p) => init_batch.push(p),
                    watcher::Event::InitDone => {
                        // pods already Ready when the watch starts: order by their Ready time
                        let mut ready: Vec<&Pod> =
                            init_batch.iter().filter(|p| is_ready(p)).collect();
                        ready.sort_by_key(|p| (ready_since(p), ordinal(&p.name_any())));
                        for p in ready {
                            if !ready_order.contains(&p.name_any()) {
                                ready_order.push(p.name_any());
                            }
                        }
                        changed.append(&mut init_batch);
                    }
                    watcher::Event::Apply(p) => {
                        if is_ready(&p) && !ready_order.contains(&p.name_any()) {
                            ready_order.push(p.name_any());
                        }
                        if !is_ready(&p) {
                            ready_order.retain(|n| *n != p.name_any());
                        }
                        changed.push(p);
                    }
                    watcher::Event::Delete(p) => {
                        pods.remove(&p.name_any());
                        ready_order.retain(|n| *n != p.name_any());
                        let mut l = watch_line(&p, Utc::now());
                        l.push_str("  (deleted)");
                        crate::out::line(l.to_string());
                        lines.push(l);
                    }
                }
                changed.sort_by_key(|p| ordinal(&p.name_any()));
                for p in changed {
                    let l = watch_line(&p, Utc::now());
                    // kubectl prints every event; identical lines add nothing
                    if last_line.get(&p.name_any()) != Some(&l) {
                        crate::out::line(l.to_string());
                        lines.push(l.clone());
                        last_line.insert(p.name_any(), l);
                    }
                    pods.insert(p.name_any(), p);
                }
                if expected.is_none() || checked_owner.elapsed() > Duration::from_secs(2) {
                    checked_owner = Instant::now();
                    if let Some(e) = self.owner_replicas(&pods).await {
                        expected = Some(e);
                    }
                }
                let live: Vec<&Pod> = pods
                    .values()
                    .filter(|p| p.metadata.deletion_timestamp.is_none())
                    .collect();
                let ready = live.iter().filter(|p| is_ready(p)).count();
                let done = match &expected {
                    Some((_, n)) => ready as i32 >= *n && live.len() as i32 == *n,
                    None => !live.is_empty() && ready == live.len(),
                };
                if done {
                    return Ok::<(), crate::Error>(());
                }
            }
            Err(Error::Watch {
                detail: "watch stream ended".into(),
            }
            .into())
        };
        match tokio::time::timeout(timeout, run).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(e),
            Err(_) => {
                let diagnosis = self.diagnosis(Some(selector), None, expected.clone()).await;
                return Err(Error::TimedOut {
                    what: format!("파드({selector})가 모두 Ready가 되기를 기다렸지만"),
                    secs: timeout.as_secs(),
                    diagnosis,
                }
                .into());
            }
        }
        // the final table is the server's, as `kubectl get pods -l SELECTOR` prints it
        let final_pods = self
            .server_table::<Pod>(
                &format!("kubectl get pods -l {selector}"),
                Some(selector),
                false,
            )
            .await?;
        let report = WatchReport {
            lines,
            ready_order,
            pods: final_pods,
            elapsed: start.elapsed(),
        };
        crate::out::line(report.summary());
        Ok(report)
    }

    /// `kubectl wait --for=condition=Ready pod/NAME`: a re-created pod (new UID) if this process
    /// deleted it, else the current one.
    pub async fn wait_ready(&self, name: &str, timeout: Duration) -> Result<PodReady> {
        crate::out::cmd(&format!(
            "kubectl wait --for=condition=Ready pod/{name} --timeout={}s",
            timeout.as_secs()
        ));
        let old_uid = deleted_uid(name);
        if old_uid.is_none() {
            let exists = self
                .call("get pod", self.api::<Pod>().get_opt(name))
                .await?;
            if exists.is_none() {
                return Err(self.not_found::<Pod>("pod", "pods", name).await);
            }
        }
        let start = Instant::now();
        let cfg = watcher::Config::default().fields(&format!("metadata.name={name}"));
        let mut stream = watcher(self.api::<Pod>(), cfg).default_backoff().boxed();
        let run = async {
            let mut failures = 0;
            while let Some(ev) = stream.next().await {
                // the watcher relists by itself (e.g. after 410 Gone); give up only when it keeps failing
                let ev = match ev {
                    Ok(ev) => {
                        failures = 0;
                        ev
                    }
                    Err(e) if failures + 1 >= MAX_WATCH_FAILURES => {
                        return Err(Error::Watch {
                            detail: e.to_string(),
                        })
                    }
                    Err(_) => {
                        failures += 1;
                        continue;
                    }
                };
                let p = match ev {
                    watcher::Event::Apply(p) | watcher::Event::InitApply(p) => p,
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
                let r = PodReady {
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
                };
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
    use serde_json::json;

    fn pod(v: serde_json::Value) -> Pod {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn ordinal_order() {
        let v = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(in_ordinal_order(&v(&["mysql-0", "mysql-1", "mysql-2"])));
        assert!(!in_ordinal_order(&v(&["mysql-0", "mysql-2", "mysql-1"])));
        assert!(in_ordinal_order(&v(&[])));
        assert!(!in_ordinal_order(&v(&["web", "mysql-1"])));
    }

    #[test]
    fn watch_line_layout() {
        let p = pod(
            json!({"metadata":{"name":"mysql-0","creationTimestamp":"2026-01-01T00:00:00Z"},
            "spec":{"containers":[{"name":"mysql"}]},
            "status":{"phase":"Pending","containerStatuses":[{"name":"mysql","image":"","imageID":"","ready":false,"restartCount":0,
              "state":{"waiting":{"reason":"ContainerCreating"}}}]}}),
        );
        let now = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:01Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            watch_line(&p, now),
            "mysql-0   0/1     ContainerCreating   0           1s"
        );
        assert_eq!(
            watch_header(),
            "NAME      READY   STATUS              RESTARTS    AGE"
        );
    }

    #[test]
    fn diagnosis_finds_image_pull_pvc_probe_and_ordering() {
        let p = pod(
            json!({"metadata":{"name":"mysql-1","ownerReferences":[{"apiVersion":"apps/v1","kind":"StatefulSet","name":"mysql","uid":"u"}]},
            "spec":{"containers":[{"name":"mysql"}],"volumes":[{"name":"data","persistentVolumeClaim":{"claimName":"data-mysql-1"}}]},
            "status":{"phase":"Pending","conditions":[{"type":"Ready","status":"False","message":"containers with unready status: [mysql]"}],
              "containerStatuses":[{"name":"mysql","image":"","imageID":"","ready":false,"restartCount":0,
              "state":{"waiting":{"reason":"ImagePullBackOff","message":"Back-off pulling image \"mysq:8\""}}}]}}),
        );
        let pvc: PersistentVolumeClaim = serde_json::from_value(
            json!({"metadata":{"name":"data-mysql-1"},"status":{"phase":"Pending"}}),
        )
        .unwrap();
        let ev: Event = serde_json::from_value(json!({"metadata":{"name":"e"},"involvedObject":{"kind":"Pod","name":"mysql-1"},
            "type":"Warning","reason":"Unhealthy","message":"Readiness probe failed: exit 1","lastTimestamp":"2026-01-01T00:00:00Z"})).unwrap();
        let d = diagnose(&[p], &[pvc], &[ev], Some(("mysql".into(), 3))).join("\n");
        assert!(
            d.contains("ImagePullBackOff") && d.contains("image 이름"),
            "{d}"
        );
        assert!(
            d.contains("PVC data-mysql-1") && d.contains("Pending"),
            "{d}"
        );
        assert!(d.contains("Unhealthy") && d.contains("프로브"), "{d}");
        assert!(
            d.contains("1/3") && d.contains("OrderedReady") && d.contains("mysql-1"),
            "{d}"
        );
    }

    #[test]
    fn diagnosis_of_crash_loop() {
        let p = pod(
            json!({"metadata":{"name":"mysql-0"},"spec":{"containers":[{"name":"mysql"}]},
            "status":{"phase":"Running","containerStatuses":[{"name":"mysql","image":"","imageID":"","ready":false,"restartCount":4,
              "lastState":{"terminated":{"exitCode":1,"reason":"Error"}},
              "state":{"waiting":{"reason":"CrashLoopBackOff"}}}]}}),
        );
        let d = diagnose(&[p], &[], &[], None).join("\n");
        assert!(
            d.contains("CrashLoopBackOff")
                && d.contains("logs")
                && d.contains("exit code 1")
                && d.contains("4회"),
            "{d}"
        );
        assert!(diagnose(&[], &[], &[], None)[0].contains("파드가 하나도 없습니다"));
    }

    #[test]
    fn timeout_message() {
        let e = crate::Error::from(Error::TimedOut {
            what: "파드(app=mysql)가 모두 Ready가 되기를 기다렸지만".into(),
            secs: 300,
            diagnosis: "- mysql-1: STATUS Pending".into(),
        });
        let m = format!("{e:?}");
        assert!(
            m.contains("300초")
                && m.contains("진단")
                && m.contains("mysql-1")
                && m.contains("events()"),
            "{m}"
        );
        assert!(Error::Watch { detail: "x".into() }
            .to_string()
            .contains("cluster()"));
    }

    #[test]
    fn equality_selectors_and_the_no_match_message() {
        assert_eq!(
            equality_labels("app=mysql, tier==db"),
            Some(vec![
                ("app".into(), "mysql".into()),
                ("tier".into(), "db".into())
            ])
        );
        assert_eq!(equality_labels("app!=web"), None);
        assert_eq!(equality_labels("app in (a,b)"), None);
        let m = format!(
            "{:?}",
            crate::Error::from(Error::NoMatch {
                selector: "app=mysqll".into(),
                existing: "mysql-0: app=mysql".into(),
            })
        );
        assert!(
            m.contains("app=mysqll") && m.contains("mysql-0: app=mysql") && m.contains("→"),
            "{m}"
        );
    }

    #[test]
    fn report_summary_marks_order() {
        let r = WatchReport {
            lines: vec![],
            ready_order: vec!["mysql-0".into(), "mysql-2".into(), "mysql-1".into()],
            pods: Table::kubectl(&["NAME"]),
            elapsed: Duration::from_millis(1500),
        };
        assert!(!r.in_ordinal_order());
        assert!(
            r.to_string().contains("mysql-0 → mysql-2 → mysql-1")
                && r.to_string().contains("다릅니다")
        );
    }
}
