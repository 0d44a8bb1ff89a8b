//! The conditions of the steps about objects (`cluster`, `deploy`, `order`, `scale`), read from the
//! API server afresh each time: a check believes what the cluster says now, not what an earlier
//! cell returned. The steps about what the pods hold are in `inside.rs`.

use std::sync::Arc;

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{Node, PersistentVolumeClaim, Pod, Service};
use kube::api::{Api, ListParams};
use kube::ResourceExt;

use super::{remember_uid, Condition, Error};
use crate::facts::read;
use crate::facts::{self, ordinal};
use crate::Lab;

const STS: &str = "mysql";
const SELECTOR: &str = "app=mysql";
const REPLICAS: i32 = 3;
const APPLY: &str = "apply(\"../manifests/1-sts-mysql.yaml\")? 셀을 실행하세요";
pub(super) const WATCH: &str = "watch_pods(\"app=mysql\")? 셀을 실행하세요";

type Conditions = Result<Vec<Condition>, Error>;

async fn statefulset(lab: &Lab) -> Result<Option<StatefulSet>, Error> {
    let api: Api<StatefulSet> = Api::default_namespaced(lab.client().clone());
    Ok(read("kubectl get statefulset mysql", api.get_opt(STS)).await?)
}

/// The lab's pods (label app=mysql), in ordinal order.
pub(super) async fn mysql_pods(lab: &Lab) -> Result<Vec<Pod>, Error> {
    let api: Api<Pod> = Api::default_namespaced(lab.client().clone());
    let mut pods = read(
        "kubectl get pods -l app=mysql",
        api.list(&ListParams::default().labels(SELECTOR)),
    )
    .await?
    .items;
    facts::sort_by_ordinal(&mut pods);
    Ok(pods)
}

async fn pvcs(lab: &Lab) -> Result<Vec<PersistentVolumeClaim>, Error> {
    let api: Api<PersistentVolumeClaim> = Api::default_namespaced(lab.client().clone());
    let mut items = read("kubectl get pvc", api.list(&ListParams::default()))
        .await?
        .items;
    items.sort_by_key(|c| (ordinal(&c.name_any()), c.name_any()));
    Ok(items)
}

/// How long a check waits for the StatefulSet controller's status to catch up with its pods
/// (READY in `kubectl get sts` lags the pods' Ready by a moment) and for removed pods to go.
const SETTLE: std::time::Duration = std::time::Duration::from_secs(30);

/// The StatefulSet and the lab's pods, once `status.readyReplicas` agrees with the Ready pods and
/// no pod beyond the replicas is left (or after `SETTLE`: then the check reports what it read).
async fn settled(lab: &Lab) -> Result<(Option<StatefulSet>, Vec<Pod>), Error> {
    let deadline = tokio::time::Instant::now() + SETTLE;
    loop {
        let sts = statefulset(lab).await?;
        let pods = mysql_pods(lab).await?;
        let Some(s) = &sts else {
            return Ok((sts, pods));
        };
        let want = s.spec.replicas.unwrap_or(1);
        let ready_pods = pods
            .iter()
            .filter(|p| facts::is_ready(p) && (ordinal(&p.name_any()) as i64) < want as i64)
            .count() as i32;
        let st = s.status.as_ref();
        let observed = st.and_then(|st| st.observed_generation) >= s.metadata.generation;
        let ready = st.and_then(|st| st.ready_replicas).unwrap_or(0);
        // after scaling down, the removed pods may still be terminating for a moment
        let leaving = pods
            .iter()
            .any(|p| (ordinal(&p.name_any()) as i64) >= want as i64);
        if (observed && ready == ready_pods && !leaving) || tokio::time::Instant::now() >= deadline
        {
            return Ok((sts, pods));
        }
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
}

pub(super) fn find<'a>(pods: &'a [Pod], name: &str) -> Option<&'a Pod> {
    pods.iter().find(|p| p.name_any() == name)
}

/// `mysql-N 파드가 Ready입니다` for N in 0..n, or what is missing (notebook 01's StatefulSet
/// and the replicated-MySQL tutorial's are both `mysql`, OrderedReady).
pub(super) fn pods_ready(pods: &[Pod], n: i32) -> Vec<Condition> {
    (0..n.max(0))
        .map(|i| {
            let name = format!("{STS}-{i}");
            match find(pods, &name) {
                Some(p) if facts::is_ready(p) => Condition::pass(format!(
                    "{name} 파드가 Ready입니다 ({} {}, 노드 {})",
                    facts::ready_text(p),
                    facts::status_text(p),
                    facts::node(p).unwrap_or_default()
                )),
                Some(p) => Condition::fail(
                    format!(
                        "{name} 파드가 아직 Ready가 아닙니다 ({} {})",
                        facts::ready_text(p),
                        facts::status_text(p)
                    ),
                    WATCH,
                ),
                None => Condition::fail(
                    format!(
                        "{name} 파드가 아직 없습니다 (앞 번호 파드가 Ready가 되어야 만들어집니다)"
                    ),
                    WATCH,
                ),
            }
        })
        .collect()
}

/// `data-mysql-N PVC가 Bound입니다` for N in 0..n.
fn pvcs_bound(claims: &[PersistentVolumeClaim], n: i32) -> Vec<Condition> {
    (0..n.max(0))
        .map(|i| {
            let name = format!("data-{STS}-{i}");
            let phase = claims
                .iter()
                .find(|c| c.name_any() == name)
                .map(|c| c.status.as_ref().and_then(|s| s.phase.clone()).unwrap_or_default());
            match phase.as_deref() {
                Some("Bound") => Condition::pass(format!("PVC {name}: Bound")),
                Some(p) => Condition::fail(format!("PVC {name}: 아직 Bound가 아닙니다 ({p})"), WATCH),
                None => Condition::fail(
                    format!("PVC {name}: 없습니다 (파드 {STS}-{i}를 만들 때 volumeClaimTemplates가 만듭니다)"),
                    WATCH,
                ),
            }
        })
        .collect()
}

/// `cluster`: three nodes, all Ready.
pub async fn cluster(lab: &Arc<Lab>) -> Conditions {
    crate::out::cmd("kubectl get nodes");
    let api: Api<Node> = Api::all(lab.client().clone());
    let mut nodes = read("kubectl get nodes", api.list(&ListParams::default()))
        .await?
        .items;
    nodes.sort_by_key(|n| n.name_any());
    let mut c = vec![Condition::either(
        nodes.len() == 3,
        format!(
            "노드가 3개입니다 ({})",
            names(nodes.iter().map(|n| n.name_any()))
        ),
        format!("노드가 {}개입니다 (3개여야 합니다)", nodes.len()),
        "start_cluster()? 셀을 실행하세요 (minikube start --nodes=3)",
    )];
    for n in &nodes {
        let ready = n
            .status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .and_then(|cs| cs.iter().find(|c| c.type_ == "Ready"))
            .is_some_and(|c| c.status == "True");
        c.push(Condition::either(
            ready,
            format!("노드 {}: Ready", n.name_any()),
            format!("노드 {}: 아직 Ready가 아닙니다", n.name_any()),
            "잠시 기다린 뒤 nodes()? 로 다시 확인하세요",
        ));
    }
    Ok(c)
}

fn names(it: impl Iterator<Item = String>) -> String {
    it.collect::<Vec<_>>().join(", ")
}

/// `deploy`: the StatefulSet 3/3 with its pods Ready, the headless Service, three PVCs Bound.
pub async fn deploy(lab: &Arc<Lab>) -> Conditions {
    crate::out::cmd("kubectl get statefulset mysql && kubectl get service mysql && kubectl get pods,pvc -l app=mysql");
    let mut c = Vec::new();
    let (sts, pods) = settled(lab).await?;
    match sts {
        None => {
            c.push(Condition::fail("StatefulSet mysql이 없습니다", APPLY));
            return Ok(c);
        }
        Some(sts) => {
            let (want, ready) = replicas(&sts);
            c.push(Condition::either(
                want == REPLICAS && ready == REPLICAS,
                format!("StatefulSet mysql READY {ready}/{want}"),
                format!(
                    "StatefulSet mysql READY {ready}/{want} ({REPLICAS}/{REPLICAS}이어야 합니다)"
                ),
                if want == REPLICAS {
                    WATCH
                } else {
                    "scale(\"mysql\", 3)? 로 레플리카를 3으로 되돌리세요"
                },
            ));
        }
    }
    let svc_api: Api<Service> = Api::default_namespaced(lab.client().clone());
    let svc = read("kubectl get service mysql", svc_api.get_opt(STS)).await?;
    c.push(match svc {
        None => Condition::fail("Service mysql이 없습니다", APPLY),
        Some(s) => {
            let ip = s.spec.and_then(|s| s.cluster_ip).unwrap_or_default();
            Condition::either(
                ip == "None",
                "Service mysql은 헤드리스입니다 (CLUSTER-IP None)".into(),
                format!("Service mysql의 CLUSTER-IP가 None이 아닙니다 ({ip})"),
                "매니페스트의 서비스에 clusterIP: None이 있는지 확인하고 apply(...)? 하세요",
            )
        }
    });
    if let Some(p) = find(&pods, "mysql-0").filter(|p| facts::is_ready(p)) {
        remember_uid(&p.uid().unwrap_or_default());
    }
    c.extend(pods_ready(&pods, REPLICAS));
    c.extend(pvcs_bound(&pvcs(lab).await?, REPLICAS));
    Ok(c)
}

/// `order`: each pod was created only after its predecessor was Ready (OrderedReady).
pub async fn order(lab: &Arc<Lab>) -> Conditions {
    crate::out::cmd("kubectl get pods -l app=mysql -o custom-columns='NAME:.metadata.name,CREATED:.metadata.creationTimestamp,READY-SINCE:.status.conditions[?(@.type==\"Ready\")].lastTransitionTime'");
    let mut c = Vec::new();
    if let Some(sts) = statefulset(lab).await? {
        let policy = sts
            .spec
            .pod_management_policy
            .clone()
            .unwrap_or_else(|| "OrderedReady".into());
        c.push(Condition::either(
            policy == "OrderedReady",
            "podManagementPolicy: OrderedReady (앞 파드가 Ready여야 다음 파드를 만듭니다)".into(),
            format!("podManagementPolicy가 {policy}입니다 (파드를 한꺼번에 만듭니다)"),
            "매니페스트의 podManagementPolicy를 지우거나 OrderedReady로 하고 start_fresh()? 후 다시 배포하세요",
        ));
    } else {
        c.push(Condition::fail("StatefulSet mysql이 없습니다", APPLY));
        return Ok(c);
    }
    let pods = mysql_pods(lab).await?;
    if let Some(p) = find(&pods, "mysql-0").filter(|p| facts::is_ready(p)) {
        remember_uid(&p.uid().unwrap_or_default());
    }
    c.extend(order_conditions(&pods, REPLICAS));
    Ok(c)
}

/// For each n ≥ 1: mysql-n's creation is not earlier than mysql-(n-1)'s Ready time.
pub fn order_conditions(pods: &[Pod], n: i32) -> Vec<Condition> {
    let mut c = Vec::new();
    for i in 1..n.max(1) {
        let (prev, this) = (format!("{STS}-{}", i - 1), format!("{STS}-{i}"));
        let (Some(p), Some(q)) = (find(pods, &prev), find(pods, &this)) else {
            let missing = if find(pods, &prev).is_none() {
                &prev
            } else {
                &this
            };
            c.push(Condition::fail(
                format!("{missing} 파드가 아직 없습니다"),
                WATCH,
            ));
            continue;
        };
        let (Some(prev_ready), Some(created)) = (facts::ready_since(p), facts::created(q)) else {
            c.push(Condition::fail(
                format!("{prev} 파드가 아직 Ready가 아닙니다"),
                WATCH,
            ));
            continue;
        };
        if facts::created(p).is_some_and(|pc| pc > created) {
            c.push(Condition::fail(
                format!("{prev} 파드가 {this} 파드보다 나중에 다시 만들어져서 처음 만들어진 순서를 알 수 없습니다"),
                "delete_pods(\"app=mysql\")? 로 모두 다시 만들고 watch_pods(\"app=mysql\")? 를 실행하세요",
            ));
            continue;
        }
        let gap = facts::secs_between(prev_ready, created);
        c.push(Condition::either(
            gap >= 0,
            format!("{this} 파드는 {prev} 파드가 Ready가 된 뒤에 만들어졌습니다 (+{gap}초)"),
            format!(
                "{this} 파드가 {prev} 파드가 Ready가 되기 {}초 전에 만들어졌습니다",
                -gap
            ),
            "podManagementPolicy를 확인하세요 (OrderedReady여야 순서가 지켜집니다)",
        ));
    }
    c
}

/// `scale`: the pods are exactly mysql-0..N-1 (N = replicas) and Ready, their PVCs Bound, and the
/// PVCs of removed ordinals are still there.
pub async fn scale(lab: &Arc<Lab>) -> Conditions {
    crate::out::cmd("kubectl get statefulset mysql && kubectl get pods,pvc -l app=mysql");
    let (sts, pods) = settled(lab).await?;
    let Some(sts) = sts else {
        return Ok(vec![Condition::fail("StatefulSet mysql이 없습니다", APPLY)]);
    };
    let (want, ready) = replicas(&sts);
    let claims = pvcs(lab).await?;
    Ok(scale_conditions(want, ready, &pods, &claims))
}

/// The `scale` conditions from what the cluster holds.
pub fn scale_conditions(
    want: i32,
    ready: i32,
    pods: &[Pod],
    claims: &[PersistentVolumeClaim],
) -> Vec<Condition> {
    let mut c = vec![Condition::either(
        ready == want,
        format!("StatefulSet mysql READY {ready}/{want}"),
        format!("StatefulSet mysql READY {ready}/{want}"),
        WATCH,
    )];
    let expected: Vec<String> = (0..want.max(0)).map(|i| format!("{STS}-{i}")).collect();
    let extra: Vec<String> = pods
        .iter()
        .map(|p| p.name_any())
        .filter(|n| !expected.contains(n))
        .collect();
    c.push(Condition::either(
        extra.is_empty(),
        format!(
            "파드 {want}개: {}",
            if expected.is_empty() {
                "없음".into()
            } else {
                expected.join(", ")
            }
        ),
        format!(
            "레플리카 {want}개인데 {} 파드가 아직 남아 있습니다 (종료 중)",
            extra.join(", ")
        ),
        WATCH,
    ));
    c.extend(pods_ready(pods, want));
    c.extend(pvcs_bound(claims, want));
    let lab_claims: Vec<String> = claims
        .iter()
        .map(|p| p.name_any())
        .filter(|n| n.starts_with("data-mysql-"))
        .collect();
    let kept: Vec<&String> = lab_claims
        .iter()
        .filter(|n| ordinal(n) >= want.max(0) as u32)
        .collect();
    if !kept.is_empty() {
        c.push(Condition::pass(format!(
            "축소해도 남아 있는 PVC: {} (whenScaled: Retain, 데이터가 남음)",
            kept.iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    c.push(Condition::either(
        lab_claims.len() as i32 >= want,
        format!("PVC {}개 (레플리카 {want}개 이상)", lab_claims.len()),
        format!("PVC가 {}개뿐입니다 (레플리카 {want}개)", lab_claims.len()),
        WATCH,
    ));
    c
}

/// A StatefulSet's wanted and Ready replicas (`kubectl get sts`'s READY column).
fn replicas(sts: &StatefulSet) -> (i32, i32) {
    let want = sts.spec.replicas.unwrap_or(1);
    let ready = sts
        .status
        .as_ref()
        .and_then(|s| s.ready_replicas)
        .unwrap_or(0);
    (want, ready)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(name: &str, created: &str, ready: Option<&str>) -> Pod {
        let conditions = match ready {
            Some(t) => json!([{"type": "Ready", "status": "True", "lastTransitionTime": t}]),
            None => json!([{"type": "Ready", "status": "False", "lastTransitionTime": created}]),
        };
        serde_json::from_value(json!({
            "metadata": {"name": name, "creationTimestamp": created, "uid": format!("uid-{name}")},
            "spec": {"nodeName": "minikube-m02", "containers": [{"name": "mysql"}]},
            "status": {"phase": "Running", "conditions": conditions}
        }))
        .unwrap()
    }

    /// `mysql-0`, `mysql-1`, ... created at second `c` and Ready at second `r` (None: not Ready).
    fn chain(times: &[(u32, Option<u32>)]) -> Vec<Pod> {
        let at = |s: u32| format!("2026-01-01T00:00:{s:02}Z");
        times
            .iter()
            .enumerate()
            .map(|(i, (c, r))| pod(&format!("mysql-{i}"), &at(*c), r.map(at).as_deref()))
            .collect()
    }

    fn pvc(name: &str) -> PersistentVolumeClaim {
        serde_json::from_value(json!({"metadata": {"name": name}, "status": {"phase": "Bound"}}))
            .unwrap()
    }

    #[test]
    fn order_passes_when_each_pod_follows_its_predecessors_ready() {
        let pods = chain(&[(0, Some(3)), (3, Some(6)), (7, Some(9))]);
        let c = order_conditions(&pods, 3);
        assert!(c.iter().all(|c| c.ok), "{c:?}");
        assert_eq!(
            c[1].line(),
            "✅ mysql-2 파드는 mysql-1 파드가 Ready가 된 뒤에 만들어졌습니다 (+1초)"
        );
    }

    #[test]
    fn order_fails_for_parallel_creation_and_for_a_missing_pod() {
        let pods = chain(&[(0, Some(3)), (0, Some(4))]);
        let c = order_conditions(&pods, 3);
        assert!(!c[0].ok && c[0].what.contains("3초 전에"), "{c:?}");
        assert_eq!(
            c[1].line(),
            format!("❌ mysql-2 파드가 아직 없습니다 → {WATCH}")
        );
    }

    #[test]
    fn scale_down_keeps_pvcs_and_names_leftover_pods() {
        let pods = chain(&[(0, Some(3))]);
        let claims = [
            pvc("data-mysql-0"),
            pvc("data-mysql-1"),
            pvc("data-mysql-2"),
        ];
        let c = scale_conditions(1, 1, &pods, &claims);
        assert!(c.iter().all(|c| c.ok), "{c:?}");
        assert!(c
            .iter()
            .any(|c| c.what.contains("data-mysql-1, data-mysql-2")));
        let terminating = chain(&[(0, Some(3)), (3, None)]);
        let c = scale_conditions(1, 1, &terminating, &claims);
        assert!(
            c.iter()
                .any(|c| !c.ok && c.what.contains("mysql-1 파드가 아직 남아")),
            "{c:?}"
        );
    }
}
