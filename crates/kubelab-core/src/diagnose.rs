//! Why pods are not Ready, for the message of a wait that timed out: one finding per line, from
//! each pod's conditions, containers, PVCs and Warning events, and the StatefulSet's ordering.
//! The STATUS and READY it names are the API server's (`kubectl get pods`), as everywhere else.

use chrono::Utc;
use k8s_openapi::api::core::v1::{ContainerStatus, Event, PersistentVolumeClaim, Pod};
use kube::api::ListParams;
use kube::ResourceExt;

use crate::lab::Lab;
use crate::pod::{claim_names, is_ready, to_chrono};
use crate::table::Table;

/// Explains why pods are not Ready (one finding per line). `printed` is the server's pod table
/// (`kubectl get pods`), for each pod's STATUS and READY; `expected` the owning StatefulSet and
/// its replicas.
pub fn diagnose(
    pods: &[Pod],
    pvcs: &[PersistentVolumeClaim],
    events: &[Event],
    expected: Option<(String, i32)>,
    printed: &Table,
) -> Vec<String> {
    let mut out = Vec::new();
    if pods.is_empty() {
        out.push("- 조건에 맞는 파드가 하나도 없습니다: 셀렉터(라벨)와 StatefulSet이 apply 되었는지 확인하세요 (statefulsets()).".into());
    }
    for p in pods.iter().filter(|p| !is_ready(p)) {
        let name = p.name_any();
        let cell = |c: &str| printed.get(&name, c).unwrap_or_else(|| "?".into());
        out.push(format!(
            "- {name}: STATUS {} READY {}",
            cell("STATUS"),
            cell("READY")
        ));
        out.extend(condition_findings(p));
        let st = p.status.clone().unwrap_or_default();
        for cs in st.container_statuses.unwrap_or_default() {
            out.extend(container_findings(cs));
        }
        out.extend(claim_findings(p, pvcs));
        out.extend(event_findings(&name, events));
    }
    if let Some((sts, replicas)) = expected {
        out.extend(ordering_finding(pods, &sts, replicas));
    }
    if out.is_empty() {
        out.push("- 특별한 오류는 보이지 않습니다: 아직 시작 중일 수 있습니다. 시간을 늘려 다시 기다리세요 (watch_pods_for).".into());
    }
    out
}

/// Conditions that are not True and say why (an unschedulable pod gets a hint).
fn condition_findings(p: &Pod) -> Vec<String> {
    let mut out = Vec::new();
    let conditions = p.status.as_ref().and_then(|s| s.conditions.clone());
    for cond in conditions.unwrap_or_default() {
        if cond.status == "True" {
            continue;
        }
        if let Some(m) = cond.message.filter(|m| !m.is_empty()) {
            out.push(format!("  · 조건 {}=False: {}", cond.type_, m));
            if cond.type_ == "PodScheduled" {
                out.push(
                    "    → 스케줄되지 못했습니다: 노드 자원이나 PVC 바인딩을 확인하세요.".into(),
                );
            }
        }
    }
    out
}

/// A container that waits (with a hint for the usual reasons), ended, or ended before.
fn container_findings(cs: ContainerStatus) -> Vec<String> {
    let mut out = Vec::new();
    let state = cs.state.unwrap_or_default();
    if let Some(w) = state.waiting {
        let reason = w.reason.unwrap_or_default();
        let msg = w.message.unwrap_or_default();
        out.push(
            format!("  · 컨테이너 {} 대기 중: {reason} {msg}", cs.name)
                .trim_end()
                .to_string(),
        );
        if let Some(h) = waiting_hint(&reason) {
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
    out
}

/// What to do about a container waiting for `reason`.
fn waiting_hint(reason: &str) -> Option<&'static str> {
    match reason {
        "ErrImagePull" | "ImagePullBackOff" | "InvalidImageName" => {
            Some("→ 이미지를 받을 수 없습니다: 매니페스트의 image 이름과 태그, 네트워크를 확인하세요.")
        }
        "CrashLoopBackOff" => Some("→ 컨테이너가 반복해서 종료됩니다: exec 대신 `kubectl logs` 로 로그를 보고, 환경 변수(비밀번호)와 데이터 디렉터리를 확인하세요."),
        "CreateContainerConfigError" => Some("→ 설정 오류입니다: 참조한 Secret/ConfigMap과 키 이름이 있는지 확인하세요."),
        _ => None,
    }
}

/// The pod's PVCs that are Pending or missing.
fn claim_findings(p: &Pod, pvcs: &[PersistentVolumeClaim]) -> Vec<String> {
    let mut out = Vec::new();
    for claim in claim_names(p) {
        match pvcs.iter().find(|c| c.name_any() == claim) {
            Some(c) if c.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Pending") => out.push(format!(
                "  · PVC {claim} 이(가) Pending: 볼륨이 만들어지지 않았습니다 → storage_classes() 로 기본 StorageClass(standard)를 확인하세요."
            )),
            None => out.push(format!("  · PVC {claim} 이(가) 없습니다.")),
            _ => {}
        }
    }
    out
}

/// The pod's last three Warning events (a failing probe gets a hint).
fn event_findings(name: &str, events: &[Event]) -> Vec<String> {
    let mut evs: Vec<&Event> = events
        .iter()
        .filter(|e| {
            e.involved_object.name.as_deref() == Some(name) && e.type_.as_deref() == Some("Warning")
        })
        .collect();
    evs.sort_by_key(|e| event_time(e));
    let mut out = Vec::new();
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
    out
}

/// Fewer pods than replicas: OrderedReady waits for the pod that is not Ready.
fn ordering_finding(pods: &[Pod], sts: &str, replicas: i32) -> Option<String> {
    let present = pods
        .iter()
        .filter(|p| p.metadata.deletion_timestamp.is_none())
        .count() as i32;
    if present >= replicas {
        return None;
    }
    let blocking: Vec<String> = pods
        .iter()
        .filter(|p| !is_ready(p))
        .map(|p| p.name_any())
        .collect();
    Some(format!(
        "- StatefulSet {sts}: 파드 {present}/{replicas}개만 있습니다. OrderedReady 정책에서는 앞 번호 파드가 Ready가 되어야 다음 파드가 만들어집니다{}.",
        if blocking.is_empty() { String::new() } else { format!(" (막고 있는 파드: {})", blocking.join(", ")) }
    ))
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

impl Lab {
    /// Reads the pods (those matching `selector`, or the one named `name`), PVCs, events and the
    /// server's pod table, and diagnoses them. Reads that fail leave their part out.
    pub(crate) async fn diagnosis(
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
        let printed = self
            .server_table::<Pod>("kubectl get pods", selector, false)
            .await
            .unwrap_or_else(|_| Table::kubectl(&[]));
        diagnose(&pods, &pvcs, &events, expected, &printed).join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(v: serde_json::Value) -> Pod {
        serde_json::from_value(v).unwrap()
    }

    fn printed(rows: &[[&str; 3]]) -> Table {
        let mut t = Table::kubectl(&["NAME", "READY", "STATUS"]);
        for r in rows {
            t.push(r.to_vec());
        }
        t
    }

    #[test]
    fn diagnosis_finds_image_pull_pvc_probe_and_ordering() {
        let p = pod(
            json!({"metadata":{"name":"mysql-1","ownerReferences":[{"apiVersion":"apps/v1","kind":"StatefulSet","name":"mysql","uid":"u"}]},
            "spec":{"containers":[{"name":"mysql"}],"volumes":[{"name":"data","persistentVolumeClaim":{"claimName":"data-mysql-1"}}]},
            "status":{"phase":"Pending","conditions":[{"type":"Ready","status":"False","message":"containers with unready status: [mysql]"}],
              "containerStatuses":[{"name":"mysql","image":"","imageID":"","ready":false,"restartCount":0,
              "state":{"waiting":{"reason":"ImagePullBackOff","message":"Back-off pulling image \"mysq:8\": ErrImagePull: Error response from daemon: pull access denied for mysq, repository does not exist or may require 'docker login'"}}}]}}),
        );
        let pvc: PersistentVolumeClaim = serde_json::from_value(
            json!({"metadata":{"name":"data-mysql-1"},"status":{"phase":"Pending"}}),
        )
        .unwrap();
        let ev: Event = serde_json::from_value(json!({"metadata":{"name":"e"},"involvedObject":{"kind":"Pod","name":"mysql-1"},
            "type":"Warning","reason":"Unhealthy","message":"Readiness probe failed: exit 1","lastTimestamp":"2026-01-01T00:00:00Z"})).unwrap();
        let shown = printed(&[["mysql-1", "0/1", "ImagePullBackOff"]]);
        let d = diagnose(&[p], &[pvc], &[ev], Some(("mysql".into(), 3)), &shown).join("\n");
        let says = [
            // the server's columns
            "- mysql-1: STATUS ImagePullBackOff READY 0/1",
            "image 이름",
            "PVC data-mysql-1 이(가) Pending",
            "이벤트 Unhealthy",
            "프로브",
            "파드 1/3개만",
            "OrderedReady",
            "막고 있는 파드: mysql-1",
        ];
        crate::error::assert_says(&d, &says);
    }

    #[test]
    fn diagnosis_of_crash_loop() {
        let p = pod(
            json!({"metadata":{"name":"mysql-0"},"spec":{"containers":[{"name":"mysql"}]},
            "status":{"phase":"Running","containerStatuses":[{"name":"mysql","image":"","imageID":"","ready":false,"restartCount":4,
              "lastState":{"terminated":{"exitCode":1,"reason":"Error"}},
              "state":{"waiting":{"reason":"CrashLoopBackOff"}}}]}}),
        );
        let d = diagnose(&[p], &[], &[], None, &printed(&[])).join("\n");
        let says = [
            "CrashLoopBackOff",
            "logs",
            "exit code 1",
            "4회",
            "- mysql-0: STATUS ? READY ?",
        ];
        crate::error::assert_says(&d, &says);
        assert!(diagnose(&[], &[], &[], None, &printed(&[]))[0].contains("파드가 하나도 없습니다"));
    }
}
