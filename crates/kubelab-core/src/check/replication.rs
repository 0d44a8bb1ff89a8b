//! The conditions of notebook 05's steps (`repl-deploy`, `repl-config`, `repl-data`,
//! `repl-scale`, `repl-drain`): the replicated MySQL of kubernetes.io's "Run a Replicated Stateful
//! Application", read from the API server and from each server's own variables, as a DBA would
//! (`SELECT @@server_id`, `SHOW SLAVE STATUS`), never from what an earlier cell printed.

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{ConfigMap, Node, Pod, Service};
use kube::api::{Api, ListParams};
use kube::ResourceExt;

use super::steps::{mysql_pods, pods_ready, WATCH};
use super::{Condition, Error};
use crate::facts::{self, ordinal, read};
use crate::Lab;

type Conditions = Result<Vec<Condition>, Error>;

const APPLY: &str = "4단계의 apply(\"../manifests/5-mysql-statefulset.yaml\")? 셀을 실행하세요";
const WRITE: &str = "7단계의 kubectl run mysql-client ... -h mysql-0.mysql 셀(CREATE DATABASE test ...)을 실행하세요";
/// The tutorial's containers: what tells its StatefulSet from notebook 01's `mysql`.
const INIT: [&str; 2] = ["init-mysql", "clone-mysql"];
const CONTAINERS: [&str; 2] = ["mysql", "xtrabackup"];
/// How long a check waits for replication (and the StatefulSet's status) to catch up.
const SETTLE: Duration = Duration::from_secs(30);

/// What one MySQL server says about itself.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Server {
    /// The pod (`mysql-1`).
    pub pod: String,
    /// Why the server could not be read (a connection error), if it could not.
    pub error: Option<String>,
    /// `@@server_id`.
    pub server_id: Option<u32>,
    /// `@@read_only` (MySQL's `super_read_only` sets it too).
    pub read_only: bool,
    /// `@@log_bin`.
    pub log_bin: bool,
    /// `SHOW SLAVE STATUS`: `Master_Host`, `Slave_IO_Running`, `Slave_SQL_Running` (None: no row).
    pub replica: Option<(String, String, String)>,
    /// `SELECT message FROM test.messages` (None: the table is not there).
    pub messages: Option<Vec<String>>,
}

/// The conditions for the servers `mysql-0..` as the tutorial builds them: each `server_id` is
/// 100 + its ordinal (init-mysql), mysql-0 writes a binary log and takes writes, the others are
/// read-only and replicate from `mysql-0.mysql`; with `data`, every server holds mysql-0's rows of
/// test.messages, `'hello'` among them.
pub fn server_conditions(servers: &[Server], data: bool) -> Vec<Condition> {
    let mut c = Vec::new();
    let primary_rows = servers
        .iter()
        .find(|s| s.pod == "mysql-0")
        .and_then(|s| s.messages.clone());
    for s in servers {
        let n = ordinal(&s.pod);
        let pod = &s.pod;
        if let Some(e) = &s.error {
            c.push(Condition::fail(
                format!("{pod}의 MySQL에 접속하지 못했습니다: {e}"),
                WATCH,
            ));
            continue;
        }
        let want = 100 + n;
        c.push(match s.server_id {
            Some(id) if id == want => Condition::pass(format!(
                "{pod}: @@server_id {id} (100 + 서수 {n}, init-mysql이 만든 server-id.cnf)"
            )),
            other => Condition::fail(
                format!(
                    "{pod}: @@server_id가 {}입니다 ({want}이어야 합니다)",
                    other.map_or("없음".into(), |i| i.to_string())
                ),
                format!("kubectl(\"logs {pod} -c init-mysql\")? 로 초기화 컨테이너가 쓴 server-id를 보세요"),
            ),
        });
        if n == 0 {
            c.push(Condition::either(
                s.log_bin && !s.read_only,
                "mysql-0: 주 서버입니다 (log_bin ON, read_only OFF, primary.cnf)".into(),
                format!(
                    "mysql-0이 주 서버 설정이 아닙니다 (log_bin {}, read_only {})",
                    on_off(s.log_bin),
                    on_off(s.read_only)
                ),
                "kubectl(\"exec mysql-0 -c mysql -- ls /etc/mysql/conf.d\")? 에 primary.cnf가 있는지 보세요",
            ));
        } else {
            c.push(Condition::either(
                s.read_only,
                format!("{pod}: 보조 서버입니다 (read_only ON, secondary.cnf)"),
                format!("{pod}: read_only가 OFF입니다 (보조 서버는 ON이어야 합니다)"),
                &format!(
                    "kubectl(\"exec {pod} -c mysql -- ls /etc/mysql/conf.d\")? 에 secondary.cnf가 있는지 보세요"
                ),
            ));
            let hint = format!(
                "kubectl(\"logs {pod} -c xtrabackup\")? 로 사이드카가 복제를 시작했는지 보세요"
            );
            c.push(match &s.replica {
                Some((host, io, sql)) if host.starts_with("mysql-0.mysql") && io == "Yes" && sql == "Yes" => {
                    Condition::pass(format!(
                        "{pod}: {host}에서 복제 중입니다 (Slave_IO_Running Yes, Slave_SQL_Running Yes)"
                    ))
                }
                Some((host, io, sql)) => Condition::fail(
                    format!("{pod}: 복제가 멈춰 있습니다 (Master_Host {host}, Slave_IO_Running {io}, Slave_SQL_Running {sql})"),
                    hint,
                ),
                None => Condition::fail(
                    format!("{pod}: 복제가 설정되지 않았습니다 (SHOW SLAVE STATUS가 비어 있습니다)"),
                    hint,
                ),
            });
        }
        if data {
            c.push(rows_condition(s, primary_rows.as_deref()));
        }
    }
    c
}

fn rows_condition(s: &Server, primary: Option<&[String]>) -> Condition {
    let pod = &s.pod;
    let Some(rows) = &s.messages else {
        return Condition::fail(
            format!("{pod}에 test.messages 테이블이 없습니다"),
            if pod == "mysql-0" {
                WRITE.to_string()
            } else {
                format!(
                    "복제가 따라오지 못했습니다. kubectl(\"logs {pod} -c xtrabackup\")? 를 보세요"
                )
            },
        );
    };
    if !rows.iter().any(|r| r == "hello") {
        return Condition::fail(
            format!(
                "{pod}의 test.messages에 'hello'가 없습니다 ({}행)",
                rows.len()
            ),
            WRITE,
        );
    }
    match primary {
        Some(p) if pod != "mysql-0" && sorted(p) != sorted(rows) => Condition::fail(
            format!(
                "{pod}의 test.messages({}행)가 mysql-0({}행)과 다릅니다",
                rows.len(),
                p.len()
            ),
            "몇 초 뒤 이 셀을 다시 실행하세요. 그래도 다르면 보조 서버에 직접 쓴 행이 있는지 보세요 (9단계)",
        ),
        _ => Condition::pass(format!(
            "{pod}의 test.messages에 'hello'가 있습니다 ({}행)",
            rows.len()
        )),
    }
}

fn sorted(rows: &[String]) -> Vec<String> {
    let mut v = rows.to_vec();
    v.sort();
    v
}

fn on_off(b: bool) -> &'static str {
    if b {
        "ON"
    } else {
        "OFF"
    }
}

/// Whether a pod runs the tutorial's template (two init containers, the xtrabackup sidecar).
pub fn is_tutorial_template(sts: &StatefulSet) -> bool {
    let Some(spec) = sts.spec.template.spec.as_ref() else {
        return false;
    };
    let init: Vec<&str> = spec
        .init_containers
        .iter()
        .flatten()
        .map(|c| c.name.as_str())
        .collect();
    let main: Vec<&str> = spec.containers.iter().map(|c| c.name.as_str()).collect();
    INIT.iter().all(|n| init.contains(n)) && CONTAINERS.iter().all(|n| main.contains(n))
}

async fn statefulset(lab: &Lab) -> Result<Option<StatefulSet>, Error> {
    let api: Api<StatefulSet> = Api::default_namespaced(lab.client().clone());
    Ok(read("kubectl get statefulset mysql", api.get_opt("mysql")).await?)
}

/// The StatefulSet and its pods once READY agrees with `replicas` (or after `SETTLE`).
async fn settled(lab: &Lab) -> Result<(Option<StatefulSet>, Vec<Pod>), Error> {
    let deadline = tokio::time::Instant::now() + SETTLE;
    loop {
        let sts = statefulset(lab).await?;
        let pods = mysql_pods(lab).await?;
        let done = sts.as_ref().is_none_or(|s| {
            let want = s.spec.replicas.unwrap_or(1);
            let ready = s
                .status
                .as_ref()
                .and_then(|st| st.ready_replicas)
                .unwrap_or(0);
            ready == want && pods.len() as i32 == want && pods.iter().all(facts::is_ready)
        });
        if done || tokio::time::Instant::now() >= deadline {
            return Ok((sts, pods));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// The StatefulSet is the tutorial's and `want` replicas (None: any) are all Ready.
fn statefulset_conditions(
    sts: Option<&StatefulSet>,
    pods: &[Pod],
    want: Option<i32>,
) -> Vec<Condition> {
    let Some(sts) = sts else {
        return vec![Condition::fail("StatefulSet mysql이 없습니다", APPLY)];
    };
    if !is_tutorial_template(sts) {
        return vec![Condition::fail(
            "StatefulSet mysql이 이 실습의 것이 아닙니다 (초기화 컨테이너 init-mysql, clone-mysql과 사이드카 xtrabackup이 없습니다)",
            "1단계의 start_fresh()? 셀부터 다시 실행하세요",
        )];
    }
    let replicas = sts.spec.replicas.unwrap_or(1);
    let ready = sts
        .status
        .as_ref()
        .and_then(|s| s.ready_replicas)
        .unwrap_or(0);
    let mut c = vec![match want {
        Some(w) if w != replicas => Condition::fail(
            format!("StatefulSet mysql의 레플리카가 {replicas}개입니다 ({w}개여야 합니다)"),
            format!("kubectl(\"scale statefulset mysql --replicas={w}\")? 를 실행하세요"),
        ),
        _ => Condition::either(
            ready == replicas,
            format!("StatefulSet mysql READY {ready}/{replicas}"),
            format!("StatefulSet mysql READY {ready}/{replicas}"),
            WATCH,
        ),
    }];
    c.extend(pods_ready(pods, replicas));
    c
}

/// Reads one server's variables, replica status and test.messages through a fresh session.
async fn read_server(lab: &Arc<Lab>, pod: &str) -> Server {
    let mut s = Server {
        pod: pod.to_string(),
        ..Server::default()
    };
    let db = match crate::out::silenced(lab.mysql(pod)).await {
        Ok(db) => db,
        Err(e) => {
            s.error = Some(first_line(&e));
            return s;
        }
    };
    match crate::out::silenced(
        db.sql("SELECT @@server_id AS id, @@read_only AS ro, @@log_bin AS lb; SHOW SLAVE STATUS"),
    )
    .await
    {
        Ok(out) => {
            let results = out.results();
            if let Some(vars) = results.first() {
                let one = |col: &str| {
                    vars.column(col)
                        .into_iter()
                        .flatten()
                        .next()
                        .unwrap_or_default()
                };
                s.server_id = one("id").parse().ok();
                s.read_only = one("ro") == "1";
                s.log_bin = one("lb") == "1";
            }
            if let Some(st) = results.get(1) {
                let one = |col: &str| st.column(col).into_iter().flatten().next();
                if let Some(host) = one("Master_Host") {
                    s.replica = Some((
                        host,
                        one("Slave_IO_Running").unwrap_or_default(),
                        one("Slave_SQL_Running").unwrap_or_default(),
                    ));
                }
            }
        }
        Err(e) => s.error = Some(first_line(&e)),
    }
    if let Ok(out) = crate::out::silenced(db.sql("SELECT message FROM test.messages")).await {
        s.messages = Some(out.last().column("message").into_iter().flatten().collect());
    }
    s
}

fn first_line(e: &crate::Error) -> String {
    let t = e.to_string();
    t.lines()
        .find(|l| l.starts_with("ERROR"))
        .or_else(|| t.lines().next())
        .unwrap_or_default()
        .to_string()
}

/// The server conditions for the Ready pods, read again (for `SETTLE`) until they all hold:
/// a secondary applies mysql-0's writes a moment after they were made.
async fn servers(lab: &Arc<Lab>, pods: &[Pod], data: bool) -> Vec<Condition> {
    let names: Vec<String> = pods.iter().map(|p| p.name_any()).collect();
    let deadline = tokio::time::Instant::now() + SETTLE;
    loop {
        let mut read = Vec::new();
        for n in &names {
            read.push(read_server(lab, n).await);
        }
        let c = server_conditions(&read, data);
        if c.iter().all(|c| c.ok) || tokio::time::Instant::now() >= deadline {
            return c;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// `repl-deploy`: the ConfigMap with both files, the headless Service `mysql` and the ClusterIP
/// Service `mysql-read`, the tutorial's StatefulSet with every pod Ready (2/2).
pub async fn deploy(lab: &Arc<Lab>) -> Conditions {
    crate::out::cmd("kubectl get configmap mysql && kubectl get service mysql mysql-read && kubectl get statefulset mysql && kubectl get pods -l app=mysql");
    let mut c = Vec::new();
    let cm_api: Api<ConfigMap> = Api::default_namespaced(lab.client().clone());
    let cm = read("kubectl get configmap mysql", cm_api.get_opt("mysql")).await?;
    let keys: Vec<String> = cm
        .and_then(|m| m.data)
        .map(|d| d.keys().cloned().collect())
        .unwrap_or_default();
    c.push(Condition::either(
        ["primary.cnf", "secondary.cnf"]
            .iter()
            .all(|k| keys.iter().any(|h| h == k)),
        "ConfigMap mysql에 primary.cnf와 secondary.cnf가 있습니다".into(),
        format!(
            "ConfigMap mysql에 primary.cnf와 secondary.cnf가 없습니다 (있는 키: {})",
            if keys.is_empty() {
                "없음".into()
            } else {
                keys.join(", ")
            }
        ),
        "2단계의 apply(\"../manifests/5-mysql-configmap.yaml\")? 셀을 실행하세요",
    ));
    let svc_api: Api<Service> = Api::default_namespaced(lab.client().clone());
    for (name, headless) in [("mysql", true), ("mysql-read", false)] {
        let svc = read(
            &format!("kubectl get service {name}"),
            svc_api.get_opt(name),
        )
        .await?;
        let hint = "3단계의 apply(\"../manifests/5-mysql-services.yaml\")? 셀을 실행하세요";
        c.push(match svc.and_then(|s| s.spec).map(|s| s.cluster_ip.unwrap_or_default()) {
            None => Condition::fail(format!("Service {name}이 없습니다"), hint),
            Some(ip) if headless => Condition::either(
                ip == "None",
                "Service mysql은 헤드리스입니다 (CLUSTER-IP None, 파드마다의 이름 mysql-N.mysql)".into(),
                format!("Service mysql의 CLUSTER-IP가 None이 아닙니다 ({ip})"),
                hint,
            ),
            Some(ip) => Condition::either(
                !ip.is_empty() && ip != "None",
                format!("Service mysql-read는 가상 IP {ip}를 가진 ClusterIP입니다 (읽기를 Ready인 파드에 나눔)"),
                format!("Service mysql-read에 가상 IP가 없습니다 ({ip})"),
                hint,
            ),
        });
    }
    let (sts, pods) = settled(lab).await?;
    c.extend(statefulset_conditions(sts.as_ref(), &pods, None));
    Ok(c)
}

/// `repl-config`: each server's `server_id` and role as init-mysql set them up.
pub async fn config(lab: &Arc<Lab>) -> Conditions {
    crate::out::cmd("kubectl exec mysql-N -c mysql -- mysql -h 127.0.0.1 -e 'SELECT @@server_id, @@read_only, @@log_bin; SHOW SLAVE STATUS\\G'  # N = 0, 1, 2");
    let (sts, pods) = settled(lab).await?;
    let mut c = statefulset_conditions(sts.as_ref(), &pods, None);
    if c.iter().all(|c| c.ok) {
        c.extend(servers(lab, &pods, false).await);
    }
    Ok(c)
}

/// `repl-data`: the row written on mysql-0 reached every secondary.
pub async fn data(lab: &Arc<Lab>) -> Conditions {
    crate::out::cmd("kubectl exec mysql-N -c mysql -- mysql -h 127.0.0.1 -e 'SELECT message FROM test.messages'  # N = 0, 1, 2");
    let (sts, pods) = settled(lab).await?;
    let mut c = statefulset_conditions(sts.as_ref(), &pods, None);
    if c.iter().all(|c| c.ok) {
        c.extend(servers(lab, &pods, true).await);
    }
    Ok(c)
}

/// `repl-scale`: five replicas, the new ones cloned and replicating with the data.
pub async fn scale(lab: &Arc<Lab>) -> Conditions {
    crate::out::cmd("kubectl get statefulset mysql && kubectl exec mysql-N -c mysql -- mysql -h 127.0.0.1 -e 'SELECT @@server_id; SELECT * FROM test.messages'  # N = 0 … 4");
    let (sts, pods) = settled(lab).await?;
    let mut c = statefulset_conditions(sts.as_ref(), &pods, Some(5));
    if c.iter().all(|c| c.ok) {
        c.extend(servers(lab, &pods, true).await);
    }
    Ok(c)
}

/// `repl-drain`: no node left cordoned, every pod Ready again, replication intact.
pub async fn drain(lab: &Arc<Lab>) -> Conditions {
    crate::out::cmd("kubectl get nodes && kubectl get pods -l app=mysql -o wide && kubectl exec mysql-N -c mysql -- mysql -h 127.0.0.1 -e 'SHOW SLAVE STATUS\\G'");
    let api: Api<Node> = Api::all(lab.client().clone());
    let nodes = read("kubectl get nodes", api.list(&ListParams::default()))
        .await?
        .items;
    let cordoned: Vec<String> = nodes
        .iter()
        .filter(|n| {
            n.spec
                .as_ref()
                .and_then(|s| s.unschedulable)
                .unwrap_or(false)
        })
        .map(|n| n.name_any())
        .collect();
    let mut c = vec![Condition::either(
        cordoned.is_empty(),
        format!(
            "모든 노드가 스케줄 가능합니다 ({}개, SchedulingDisabled 없음)",
            nodes.len()
        ),
        format!(
            "노드 {}가 아직 SchedulingDisabled입니다",
            cordoned.join(", ")
        ),
        &format!(
            "kubectl(\"uncordon {}\")? 를 실행하세요",
            cordoned.first().cloned().unwrap_or_default()
        ),
    )];
    let (sts, pods) = settled(lab).await?;
    let sc = statefulset_conditions(sts.as_ref(), &pods, None);
    let ok = sc.iter().all(|c| c.ok);
    c.extend(sc);
    if ok {
        c.extend(servers(lab, &pods, true).await);
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn server(n: u32) -> Server {
        Server {
            pod: format!("mysql-{n}"),
            error: None,
            server_id: Some(100 + n),
            read_only: n > 0,
            log_bin: n == 0,
            replica: (n > 0).then(|| ("mysql-0.mysql".into(), "Yes".into(), "Yes".into())),
            messages: Some(vec!["hello".into()]),
        }
    }

    fn failed(c: &[Condition]) -> Vec<String> {
        c.iter().filter(|c| !c.ok).map(Condition::line).collect()
    }

    #[test]
    fn the_tutorials_topology_passes() {
        let servers: Vec<Server> = (0..3).map(server).collect();
        let c = server_conditions(&servers, true);
        assert!(failed(&c).is_empty(), "{c:?}");
        let lines: Vec<String> = c.iter().map(Condition::line).collect();
        assert!(
            lines.contains(
                &"✅ mysql-2: @@server_id 102 (100 + 서수 2, init-mysql이 만든 server-id.cnf)"
                    .to_string()
            ),
            "{lines:?}"
        );
        assert!(lines.contains(
            &"✅ mysql-0: 주 서버입니다 (log_bin ON, read_only OFF, primary.cnf)".to_string()
        ));
        assert!(lines.contains(&"✅ mysql-1: mysql-0.mysql에서 복제 중입니다 (Slave_IO_Running Yes, Slave_SQL_Running Yes)".to_string()));
    }

    #[test]
    fn a_wrong_id_a_writable_secondary_and_a_stopped_replica_each_fail_with_their_hint() {
        let mut s: Vec<Server> = (0..3).map(server).collect();
        s[1].server_id = Some(1);
        s[2].read_only = false;
        s[2].replica = Some(("mysql-0.mysql".into(), "Connecting".into(), "Yes".into()));
        let f = failed(&server_conditions(&s, false));
        assert_eq!(f.len(), 3, "{f:?}");
        assert!(
            f[0].contains("mysql-1: @@server_id가 1입니다 (101이어야 합니다)")
                && f[0].contains("-c init-mysql"),
            "{f:?}"
        );
        assert!(
            f[1].contains("mysql-2: read_only가 OFF") && f[1].contains("secondary.cnf"),
            "{f:?}"
        );
        assert!(
            f[2].contains("Slave_IO_Running Connecting") && f[2].contains("-c xtrabackup"),
            "{f:?}"
        );
        // without a replica row at all
        s[2].replica = None;
        assert!(failed(&server_conditions(&s, false))
            .iter()
            .any(|l| l.contains("복제가 설정되지 않았습니다")));
    }

    #[test]
    fn rows_must_reach_every_secondary() {
        let mut s: Vec<Server> = (0..3).map(server).collect();
        s[0].messages = None;
        s[1].messages = None;
        let f = failed(&server_conditions(&s, true));
        assert!(
            f[0].starts_with("❌ mysql-0에 test.messages 테이블이 없습니다 → 7단계"),
            "{f:?}"
        );
        assert!(
            f[1].contains("mysql-1에 test.messages 테이블이 없습니다"),
            "{f:?}"
        );
        let mut s: Vec<Server> = (0..3).map(server).collect();
        s[0].messages = Some(vec!["hello".into(), "later".into()]);
        let f = failed(&server_conditions(&s, true));
        assert_eq!(f.len(), 2, "{f:?}");
        assert!(
            f[0].contains("mysql-1의 test.messages(1행)가 mysql-0(2행)과 다릅니다"),
            "{f:?}"
        );
        // without data the rows are not looked at
        assert!(failed(&server_conditions(&s, false)).is_empty());
    }

    #[test]
    fn an_unreachable_server_is_one_failure_naming_it() {
        let mut s: Vec<Server> = (0..2).map(server).collect();
        s[1] = Server {
            pod: "mysql-1".into(),
            error: Some("ERROR 2003".into()),
            ..Server::default()
        };
        let f = failed(&server_conditions(&s, true));
        assert_eq!(
            f,
            vec![format!(
                "❌ mysql-1의 MySQL에 접속하지 못했습니다: ERROR 2003 → {WATCH}"
            )]
        );
    }

    fn sts(init: &[&str], containers: &[&str], replicas: i32, ready: i32) -> StatefulSet {
        let named = |ns: &[&str]| {
            ns.iter()
                .map(|n| json!({"name": n, "image": "mysql:5.7"}))
                .collect::<Vec<_>>()
        };
        serde_json::from_value(json!({
            "metadata": {"name": "mysql"},
            "spec": {"replicas": replicas, "serviceName": "mysql",
                "selector": {"matchLabels": {"app": "mysql"}},
                "template": {"spec": {"initContainers": named(init), "containers": named(containers)}}},
            "status": {"replicas": replicas, "readyReplicas": ready}
        }))
        .unwrap()
    }

    fn pod(n: u32, ready: bool) -> Pod {
        serde_json::from_value(json!({
            "metadata": {"name": format!("mysql-{n}"), "creationTimestamp": "2026-01-01T00:00:00Z"},
            "spec": {"nodeName": "minikube-m02", "containers": [{"name": "mysql"}, {"name": "xtrabackup"}]},
            "status": {"phase": "Running",
                "conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" }, "lastTransitionTime": "2026-01-01T00:00:05Z"}],
                "containerStatuses": [{"name": "mysql", "ready": ready, "restartCount": 0, "image": "mysql:5.7", "imageID": ""},
                                      {"name": "xtrabackup", "ready": true, "restartCount": 0, "image": "x", "imageID": ""}]}
        }))
        .unwrap()
    }

    #[test]
    fn notebook_01s_statefulset_is_not_the_tutorials() {
        let one = sts(&[], &["mysql"], 3, 3);
        let c = statefulset_conditions(Some(&one), &[], None);
        assert!(!c[0].ok && c[0].hint.contains("start_fresh"), "{c:?}");
        assert!(is_tutorial_template(&sts(&INIT, &CONTAINERS, 3, 3)));
        assert_eq!(
            failed(&statefulset_conditions(None, &[], None)),
            vec![format!("❌ StatefulSet mysql이 없습니다 → {APPLY}")]
        );
    }

    #[test]
    fn replicas_and_readiness_of_the_tutorials_statefulset() {
        let pods: Vec<Pod> = (0..3).map(|n| pod(n, n != 2)).collect();
        let c = statefulset_conditions(Some(&sts(&INIT, &CONTAINERS, 3, 2)), &pods, None);
        let f = failed(&c);
        assert_eq!(f.len(), 2, "{f:?}");
        assert!(
            f[1].contains("mysql-2 파드가 아직 Ready가 아닙니다 (1/2 Running)"),
            "{f:?}"
        );
        let c = statefulset_conditions(Some(&sts(&INIT, &CONTAINERS, 3, 3)), &pods[..2], Some(5));
        assert!(
            c[0].line()
                .contains("레플리카가 3개입니다 (5개여야 합니다)")
                && c[0].hint.contains("--replicas=5"),
            "{c:?}"
        );
    }
}
