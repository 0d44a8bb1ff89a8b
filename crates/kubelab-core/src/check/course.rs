//! The conditions of the steps notebooks 01, 03 and 04 add (`restart`, `crash`, `local-path`,
//! `rollout`, `partition`, `ondelete`, `retention`): what a restart, a rollout or a retention policy leaves
//! in the cluster, read afresh each time as the other steps do.

use std::sync::Arc;

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{PersistentVolume, PersistentVolumeClaim, Pod};
use kube::api::{Api, ListParams};
use kube::ResourceExt;

use super::inside::users_conditions;
use super::steps::{find, mysql_pods, WATCH};
use super::{Condition, Error};
use crate::facts::read;
use crate::facts::{self, ordinal};
use crate::Lab;

type Conditions = Result<Vec<Condition>, Error>;

const ROLLOUT: &str = "watch_rollout(\"mysql\")? 셀을 실행하세요";

/// How long a check waits for the StatefulSet controller to observe the latest spec.
const SETTLE: std::time::Duration = std::time::Duration::from_secs(30);

async fn statefulset(lab: &Lab, name: &str) -> Result<Option<StatefulSet>, Error> {
    let api: Api<StatefulSet> = Api::default_namespaced(lab.client().clone());
    Ok(read(
        &format!("kubectl get statefulset {name}"),
        api.get_opt(name),
    )
    .await?)
}

/// The first container's restart count.
fn restarts(p: &Pod) -> i32 {
    p.status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .and_then(|cs| cs.first())
        .map_or(0, |c| c.restart_count)
}

/// The exit code of the first container's previous run, if it ended.
fn last_exit(p: &Pod) -> Option<i32> {
    p.status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .and_then(|cs| cs.first())
        .and_then(|c| c.last_state.as_ref())
        .and_then(|l| l.terminated.as_ref())
        .map(|t| t.exit_code)
}

/// The pod's `controller-revision-hash` label.
fn revision(p: &Pod) -> String {
    p.labels()
        .get("controller-revision-hash")
        .cloned()
        .unwrap_or_default()
}

/// `restart`: mysql-0's container was restarted inside the same pod (RESTARTS ≥ 1: a re-created
/// pod starts again at 0), the pod is Ready again, and Alice and Bob are still there.
pub async fn restart(lab: &Arc<Lab>) -> Conditions {
    crate::out::cmd("kubectl get pod mysql-0 -o jsonpath='{.status.containerStatuses[0].restartCount}' && kubectl exec mysql-0 -- sh -c 'mysql -uroot -p\"$MYSQL_ROOT_PASSWORD\" -e \"SELECT name FROM testdb.users\"'");
    let pods = mysql_pods(lab).await?;
    let Some(p0) = find(&pods, "mysql-0") else {
        return Ok(vec![Condition::fail("mysql-0 파드가 없습니다", WATCH)]);
    };
    let n = restarts(p0);
    let mut c = vec![Condition::either(
        n >= 1,
        format!(
            "mysql-0 컨테이너가 같은 파드 안에서 재시작되었습니다 (RESTARTS {n}{})",
            last_exit(p0).map_or(String::new(), |e| format!(
                ", 이전 컨테이너의 종료 코드 {e}"
            ))
        ),
        "mysql-0의 RESTARTS가 0입니다 (컨테이너가 재시작되지 않았습니다)".into(),
        "15단계의 mysqladmin shutdown 셀을 실행한 뒤 RESTARTS를 기다리는 셀을 실행하세요",
    )];
    let ready = facts::is_ready(p0);
    c.push(Condition::either(
        ready,
        "mysql-0 파드가 다시 Ready입니다".into(),
        format!(
            "mysql-0 파드가 아직 Ready가 아닙니다 ({} {})",
            facts::ready_text(p0),
            facts::status_text(p0)
        ),
        "wait_ready(\"mysql-0\")? 셀을 실행하세요",
    ));
    if ready {
        c.extend(
            users_conditions(
                lab,
                "11단계의 데이터 넣기 셀을 실행했는지 확인하세요 (check(\"data\")?)",
            )
            .await,
        );
    }
    Ok(c)
}

/// Pods of `sts` (label `app=<sts>`), in ordinal order.
async fn pods_of(lab: &Lab, sts: &str) -> Result<Vec<Pod>, Error> {
    let api: Api<Pod> = Api::default_namespaced(lab.client().clone());
    let mut pods = read(
        &format!("kubectl get pods -l app={sts}"),
        api.list(&ListParams::default().labels(&format!("app={sts}"))),
    )
    .await?
    .items;
    facts::sort_by_ordinal(&mut pods);
    Ok(pods)
}

/// The server option 03's drill C misspells (`--collation-server`): mysqld stops on it with
/// `unknown variable 'collation-sever=...'`.
const MISSPELT: &str = "--collation-sever";

/// `crash`: 03's drill C is fixed: `mysql-c-0` Ready with a fresh container (RESTARTS 0), and its
/// container's `args` no longer hold the misspelt server option.
pub async fn crash(lab: &Arc<Lab>) -> Conditions {
    crate::out::cmd("kubectl get pods -l app=mysql-c && kubectl get statefulset mysql-c -o jsonpath='{.spec.template.spec.containers[0].args}'");
    let Some(sts) = statefulset(lab, "mysql-c").await? else {
        return Ok(vec![Condition::fail(
            "StatefulSet mysql-c가 없습니다",
            "apply(\"../manifests/3-drill-c.yaml\")? 셀부터 실행하세요",
        )]);
    };
    let args: Vec<String> = sts
        .spec
        .template
        .spec
        .as_ref()
        .and_then(|s| s.containers.first())
        .and_then(|c| c.args.clone())
        .unwrap_or_default();
    let bad: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| a.starts_with(MISSPELT))
        .collect();
    let mut c = vec![Condition::either(
        bad.is_empty(),
        format!(
            "StatefulSet mysql-c의 템플릿 args에 mysqld가 모르는 옵션이 없습니다 ({})",
            if args.is_empty() {
                "args 없음".into()
            } else {
                args.join(" ")
            }
        ),
        format!(
            "StatefulSet mysql-c의 템플릿 args에 mysqld가 모르는 옵션이 있습니다 ({})",
            bad.join(" ")
        ),
        "apply(\"../manifests/3-fix-c.yaml\")? 셀을 실행하세요",
    )];
    let pods = pods_of(lab, "mysql-c").await?;
    c.push(match find(&pods, "mysql-c-0") {
        Some(p) if facts::is_ready(p) && restarts(p) == 0 => Condition::pass(
            "mysql-c-0 파드가 Ready이고 RESTARTS 0입니다 (고친 템플릿으로 새로 만들어진 파드)",
        ),
        Some(p) if facts::is_ready(p) => Condition::pass(format!(
            "mysql-c-0 파드가 Ready입니다 (RESTARTS {})",
            restarts(p)
        )),
        Some(p) => Condition::fail(
            format!(
                "mysql-c-0 파드가 아직 Ready가 아닙니다 ({} {}, RESTARTS {})",
                facts::ready_text(p),
                facts::status_text(p),
                restarts(p)
            ),
            "템플릿을 고친 뒤 멈춘 파드를 지우세요: delete_pod(\"mysql-c-0\")? 와 watch_pods(\"app=mysql-c\")?",
        ),
        None => Condition::fail(
            "mysql-c-0 파드가 없습니다",
            "watch_pods(\"app=mysql-c\")? 셀을 실행하세요",
        ),
    });
    Ok(c)
}

/// The StatefulSet's update and current revision, partition and update strategy.
struct Revisions {
    update: String,
    current: String,
    partition: i32,
    on_delete: bool,
    replicas: i32,
}

fn revisions(sts: &StatefulSet) -> Revisions {
    let spec = &sts.spec;
    let strategy = spec.update_strategy.as_ref();
    let st = sts.status.as_ref();
    Revisions {
        update: st
            .and_then(|s| s.update_revision.clone())
            .unwrap_or_default(),
        current: st
            .and_then(|s| s.current_revision.clone())
            .unwrap_or_default(),
        partition: strategy
            .and_then(|u| u.rolling_update.as_ref())
            .and_then(|r| r.partition)
            .unwrap_or(0),
        on_delete: strategy.and_then(|u| u.type_.as_deref()) == Some("OnDelete"),
        replicas: spec.replicas.unwrap_or(1),
    }
}

/// For each pod 0..replicas: on the update revision if `updated(ordinal)`, else not; and Ready.
fn revision_conditions(
    pods: &[Pod],
    r: &Revisions,
    updated: impl Fn(i32) -> bool,
    hint: &str,
) -> Vec<Condition> {
    (0..r.replicas)
        .map(|i| {
            let name = format!("mysql-{i}");
            let Some(p) = find(pods, &name) else {
                return Condition::fail(format!("{name} 파드가 없습니다"), WATCH);
            };
            let rev = revision(p);
            let want_new = updated(i);
            let on_new = rev == r.update;
            if !facts::is_ready(p) {
                return Condition::fail(
                    format!(
                        "{name} 파드가 아직 Ready가 아닙니다 ({} {})",
                        facts::ready_text(p),
                        facts::status_text(p)
                    ),
                    hint,
                );
            }
            match (want_new, on_new) {
                (true, true) => Condition::pass(format!("{name}: 새 리비전 {rev}, Ready")),
                (false, false) => {
                    Condition::pass(format!("{name}: 예전 리비전 {rev} 그대로, Ready"))
                }
                (true, false) => Condition::fail(
                    format!(
                        "{name}: 아직 예전 리비전 {rev}입니다 (새 리비전 {})",
                        r.update
                    ),
                    hint,
                ),
                (false, true) => Condition::fail(
                    format!("{name}: 벌써 새 리비전 {rev}입니다 (예전 리비전에 머물러야 합니다)"),
                    hint,
                ),
            }
        })
        .collect()
}

async fn mysql_revisions(
    lab: &Arc<Lab>,
) -> Result<Result<(Revisions, Vec<Pod>), Condition>, Error> {
    crate::out::cmd("kubectl get statefulset mysql -o jsonpath='{.spec.updateStrategy}{\"\\n\"}{.status.updateRevision} {.status.currentRevision}{\"\\n\"}' && kubectl get pods -l app=mysql -L controller-revision-hash");
    // the controller writes the new updateRevision a moment after an apply: wait (at most
    // SETTLE) until its status has observed the StatefulSet's generation
    let deadline = tokio::time::Instant::now() + SETTLE;
    loop {
        let Some(sts) = statefulset(lab, "mysql").await? else {
            return Ok(Err(Condition::fail(
                "StatefulSet mysql이 없습니다",
                "0단계의 apply(\"../manifests/1-sts-mysql.yaml\")? 셀을 실행하세요",
            )));
        };
        let observed =
            sts.status.as_ref().and_then(|s| s.observed_generation) >= sts.metadata.generation;
        if observed || tokio::time::Instant::now() >= deadline {
            return Ok(Ok((revisions(&sts), mysql_pods(lab).await?)));
        }
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
}

/// `rollout`: every pod runs the update revision and is Ready, and the status says the rollout is
/// done (`currentRevision` = `updateRevision`).
pub async fn rollout(lab: &Arc<Lab>) -> Conditions {
    let (r, pods) = match mysql_revisions(lab).await? {
        Ok(v) => v,
        Err(c) => return Ok(vec![c]),
    };
    let mut c = revision_conditions(&pods, &r, |_| true, ROLLOUT);
    c.push(Condition::either(
        !r.update.is_empty() && r.current == r.update,
        format!(
            "업데이트가 끝났습니다 (currentRevision = updateRevision = {})",
            r.update
        ),
        format!(
            "아직 업데이트 중입니다 (currentRevision {}, updateRevision {})",
            r.current, r.update
        ),
        ROLLOUT,
    ));
    Ok(c)
}

/// `partition`: pods with an ordinal ≥ the partition run the update revision, the others the old
/// one; all Ready.
pub async fn partition(lab: &Arc<Lab>) -> Conditions {
    let (r, pods) = match mysql_revisions(lab).await? {
        Ok(v) => v,
        Err(c) => return Ok(vec![c]),
    };
    let p = r.partition;
    let mut c = vec![Condition::either(
        !r.on_delete,
        format!("updateStrategy RollingUpdate, partition {p}"),
        "updateStrategy가 OnDelete입니다 (partition은 RollingUpdate에서만 쓰입니다)".into(),
        "apply(\"../manifests/4-partition.yaml\")? 셀을 실행하세요",
    )];
    c.extend(revision_conditions(&pods, &r, |i| i >= p, ROLLOUT));
    Ok(c)
}

/// The pod 04 deletes under OnDelete.
const ONDELETE_POD: &str = "mysql-1";

/// `ondelete`: OnDelete; only the pod the learner deleted (mysql-1) runs the update revision.
pub async fn ondelete(lab: &Arc<Lab>) -> Conditions {
    let deleted = ONDELETE_POD;
    let (r, pods) = match mysql_revisions(lab).await? {
        Ok(v) => v,
        Err(c) => return Ok(vec![c]),
    };
    let mut c = vec![Condition::either(
        r.on_delete,
        "updateStrategy OnDelete".into(),
        "updateStrategy가 OnDelete가 아닙니다".into(),
        "apply(\"../manifests/4-ondelete.yaml\")? 셀을 실행하세요",
    )];
    let target = ordinal(deleted) as i32;
    c.extend(revision_conditions(
        &pods,
        &r,
        |i| i == target,
        &format!("delete_pod(\"{deleted}\")? 와 wait_ready(\"{deleted}\")? 셀을 실행하세요"),
    ));
    Ok(c)
}

/// `retention`: `whenScaled: Delete`, scaled to 1: only `data-mysql-0` is left.
pub async fn retention(lab: &Arc<Lab>) -> Conditions {
    crate::out::cmd("kubectl get statefulset mysql -o jsonpath='{.spec.persistentVolumeClaimRetentionPolicy}{\"\\n\"}' && kubectl get pvc");
    let Some(sts) = statefulset(lab, "mysql").await? else {
        return Ok(vec![Condition::fail(
            "StatefulSet mysql이 없습니다",
            "apply(\"../manifests/4-retention.yaml\")? 셀을 실행하세요",
        )]);
    };
    let policy = sts.spec.persistent_volume_claim_retention_policy.as_ref();
    let when_scaled = policy
        .and_then(|p| p.when_scaled.clone())
        .unwrap_or_else(|| "Retain".into());
    let when_deleted = policy
        .and_then(|p| p.when_deleted.clone())
        .unwrap_or_else(|| "Retain".into());
    let replicas = sts.spec.replicas.unwrap_or(1);
    let mut c = vec![
        Condition::either(
            when_scaled == "Delete",
            format!("whenScaled: {when_scaled}, whenDeleted: {when_deleted}"),
            format!("whenScaled: {when_scaled} (Delete여야 합니다)"),
            "apply(\"../manifests/4-retention.yaml\")? 셀을 실행하세요",
        ),
        Condition::either(
            replicas == 1,
            "레플리카 1개".into(),
            format!("레플리카 {replicas}개 (1개로 줄여야 합니다)"),
            "scale(\"mysql\", 1)? 셀을 실행하세요",
        ),
    ];
    let api: Api<PersistentVolumeClaim> = Api::default_namespaced(lab.client().clone());
    let names: Vec<String> = read("kubectl get pvc", api.list(&ListParams::default()))
        .await?
        .items
        .iter()
        .map(|p| p.name_any())
        .filter(|n| n.starts_with("data-mysql-") && n[11..].chars().all(|c| c.is_ascii_digit()))
        .collect();
    for n in 0..3 {
        let name = format!("data-mysql-{n}");
        let there = names.contains(&name);
        c.push(if n == 0 {
            Condition::either(
                there,
                format!("PVC {name}: 남아 있습니다 (mysql-0이 씁니다)"),
                format!("PVC {name}: 없습니다"),
                WATCH,
            )
        } else {
            Condition::either(
                !there,
                format!("PVC {name}: 지워졌습니다 (whenScaled: Delete)"),
                format!("PVC {name}: 아직 있습니다"),
                &format!("wait_deleted(\"pvc\", \"{name}\")? 셀을 실행하세요"),
            )
        });
    }
    Ok(c)
}

/// The node a PV is bound to by its node affinity (`kubernetes.io/hostname In [node]`), as the
/// local-path provisioner writes it (rancher/local-path-provisioner `provisioner.go`).
fn pv_node(pv: &PersistentVolume) -> Option<String> {
    pv.spec
        .as_ref()?
        .node_affinity
        .as_ref()?
        .required
        .as_ref()?
        .node_selector_terms
        .iter()
        .flat_map(|t| t.match_expressions.iter().flatten())
        .find(|e| e.key == "kubernetes.io/hostname" && e.operator == "In")
        .and_then(|e| e.values.as_ref()?.first().cloned())
}

/// `local-path`: 03's drill G is fixed: the StatefulSet's claims use the `local-path` class, and
/// every pod is Ready on the node its volume is bound to.
pub async fn local_path(lab: &Arc<Lab>) -> Conditions {
    crate::out::cmd("kubectl get pvc -l app=mysql && kubectl get pv -o custom-columns=NAME:.metadata.name,CLAIM:.spec.claimRef.name,NODE:.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values[0] && kubectl get pods -l app=mysql -o wide");
    let Some(sts) = statefulset(lab, "mysql").await? else {
        return Ok(vec![Condition::fail(
            "StatefulSet mysql이 없습니다",
            "apply(\"../manifests/3-fix-g.yaml\")? 셀을 실행하세요",
        )]);
    };
    let class = sts
        .spec
        .volume_claim_templates
        .as_ref()
        .and_then(|t| t.first())
        .and_then(|t| t.spec.as_ref())
        .and_then(|s| s.storage_class_name.clone())
        .unwrap_or_default();
    let mut c = vec![Condition::either(
        class == "local-path",
        "StatefulSet mysql의 PVC 템플릿이 StorageClass local-path를 씁니다".into(),
        format!("StatefulSet mysql의 PVC 템플릿이 StorageClass '{class}'를 씁니다 (local-path여야 합니다)"),
        "addon_enable(\"storage-provisioner-rancher\")? 후 StatefulSet과 PVC를 지우고 apply(\"../manifests/3-fix-g.yaml\")? 셀을 실행하세요",
    )];
    let claims: Api<PersistentVolumeClaim> = Api::default_namespaced(lab.client().clone());
    let volumes: Api<PersistentVolume> = Api::all(lab.client().clone());
    let pvs = read("kubectl get pv", volumes.list(&ListParams::default()))
        .await?
        .items;
    let pods = mysql_pods(lab).await?;
    for i in 0..sts.spec.replicas.unwrap_or(1) {
        let (name, claim) = (format!("mysql-{i}"), format!("data-mysql-{i}"));
        let pvc = read(&format!("kubectl get pvc {claim}"), claims.get_opt(&claim)).await?;
        let volume = pvc
            .as_ref()
            .and_then(|p| p.spec.as_ref())
            .and_then(|s| s.volume_name.clone())
            .unwrap_or_default();
        let pv_node = pvs
            .iter()
            .find(|pv| pv.name_any() == volume)
            .and_then(pv_node);
        let pod = find(&pods, &name);
        let on = pod
            .and_then(|p| p.spec.as_ref())
            .and_then(|s| s.node_name.clone());
        c.push(match (pv_node, pod, on) {
            (None, _, _) if volume.is_empty() => Condition::fail(
                format!("PVC {claim}가 아직 볼륨에 묶이지 않았습니다"),
                WATCH,
            ),
            (None, _, _) => Condition::fail(
                format!("PVC {claim}의 PV {volume}에 노드 어피니티가 없습니다 (노드에 묶이지 않는 볼륨)"),
                "StorageClass local-path로 다시 배포하세요: apply(\"../manifests/3-fix-g.yaml\")?",
            ),
            (Some(_), None, _) => Condition::fail(format!("{name} 파드가 없습니다"), WATCH),
            (Some(h), Some(p), Some(n)) if h == n && facts::is_ready(p) => Condition::pass(format!(
                "{name}: 볼륨이 묶인 노드 {h}에서 Ready"
            )),
            (Some(h), Some(p), on) => Condition::fail(
                format!(
                    "{name}: 볼륨은 노드 {h}에 있는데 파드는 {} ({} {})",
                    on.unwrap_or_else(|| "아직 배치되지 않았습니다".into()),
                    facts::ready_text(p),
                    facts::status_text(p)
                ),
                "노드를 비웠다면 kubectl(\"uncordon 노드\")? 로 되돌리고 wait_ready(...)? 셀을 실행하세요",
            ),
        });
    }
    Ok(c)
}
