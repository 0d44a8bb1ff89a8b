//! The conditions of the steps about what the pods hold (`data`, `dns`, `survive`): rows read
//! through a fresh SQL session and names resolved inside a pod, as a client of the database would.

use std::sync::Arc;

use kube::ResourceExt;

use super::steps::{find, mysql_pods, WATCH};
use super::{remember_uid, seen_uid, Condition, Error};
use crate::facts;
use crate::Lab;

const USERS_SQL: &str = "SELECT name FROM testdb.users ORDER BY id";

type Conditions = Result<Vec<Condition>, Error>;

/// The first `ERROR ...` line of a failed SQL call (else its first line).
fn error_line(e: &crate::Error) -> String {
    let text = e.to_string();
    text.lines()
        .find(|l| l.starts_with("ERROR"))
        .or_else(|| text.lines().next())
        .unwrap_or_default()
        .to_string()
}

/// Alice and Bob in mysql-0's testdb.users, read through a fresh SQL session (port-forward +
/// root, password from the Secret, never printed).
async fn users_conditions(lab: &Arc<Lab>, hint_missing: &str) -> Vec<Condition> {
    let rows = crate::out::silenced(async {
        let db = lab.mysql("mysql-0").await?;
        db.sql(USERS_SQL).await
    })
    .await;
    let out = match rows {
        Ok(o) => o,
        Err(e @ crate::Error::Sql(crate::sql::Error::Server { .. })) => {
            return vec![Condition::fail(
                format!(
                    "mysql-0에서 testdb.users를 읽지 못했습니다: {}",
                    error_line(&e)
                ),
                hint_missing,
            )]
        }
        Err(e) => {
            return vec![Condition::fail(
                format!("mysql-0의 MySQL에 접속하지 못했습니다: {}", error_line(&e)),
                "check(\"deploy\")? 로 파드가 모두 Ready인지 먼저 확인하세요",
            )]
        }
    };
    let names: Vec<String> = out.last().column("name").into_iter().flatten().collect();
    ["Alice", "Bob"]
        .iter()
        .map(|who| {
            Condition::either(
                names.iter().any(|n| n == who),
                format!("mysql-0의 testdb.users에 '{who}' 행이 있습니다"),
                format!(
                    "mysql-0의 testdb.users에 '{who}' 행이 없습니다 (지금 있는 이름: {})",
                    if names.is_empty() {
                        "없음".into()
                    } else {
                        names.join(", ")
                    }
                ),
                hint_missing,
            )
        })
        .collect()
}

/// `data`: testdb.users on mysql-0 holds Alice and Bob.
pub async fn data(lab: &Arc<Lab>) -> Conditions {
    crate::out::cmd("kubectl exec mysql-0 -- sh -c 'mysql -uroot -p\"$MYSQL_ROOT_PASSWORD\" -e \"SELECT name FROM testdb.users ORDER BY id\"'");
    let pods = mysql_pods(lab).await?;
    if let Some(p) = find(&pods, "mysql-0").filter(|p| facts::is_ready(p)) {
        remember_uid(&p.uid().unwrap_or_default());
    }
    Ok(users_conditions(
        lab,
        "11단계의 db.sql(\"CREATE DATABASE testdb; ... INSERT INTO users (name) VALUES ('Alice'), ('Bob'); ...\")? 셀을 실행하세요",
    )
    .await)
}

/// `dns`: from another pod, `getent hosts mysql-0.mysql` gives mysql-0's pod IP.
pub async fn dns(lab: &Arc<Lab>) -> Conditions {
    let pods = mysql_pods(lab).await?;
    let Some(target) = find(&pods, "mysql-0").filter(|p| facts::is_ready(p)) else {
        return Ok(vec![Condition::fail(
            "mysql-0 파드가 Ready가 아닙니다",
            WATCH,
        )]);
    };
    remember_uid(&target.uid().unwrap_or_default());
    let target_ip = facts::ip(target).unwrap_or_default();
    // ask from another Ready pod of the set, as a client of the database would
    let Some(from) = pods
        .iter()
        .find(|p| p.name_any() != "mysql-0" && facts::is_ready(p))
        .map(|p| p.name_any())
    else {
        return Ok(vec![Condition::fail(
            "mysql-0 말고 Ready인 mysql 파드가 없어 다른 파드에서 조회할 수 없습니다",
            WATCH,
        )]);
    };
    crate::out::cmd(&format!(
        "kubectl exec {from} -- getent hosts mysql-0.mysql && kubectl get pod mysql-0 -o wide"
    ));
    let out = crate::out::silenced(lab.exec(&from, &["getent", "hosts", "mysql-0.mysql"])).await;
    let resolved = match &out {
        Ok(o) if o.code == 0 => o.stdout.split_whitespace().next().map(str::to_string),
        _ => None,
    };
    let mut c = vec![match &resolved {
        Some(ip) => Condition::pass(format!("{from}에서 mysql-0.mysql이 {ip}로 풀립니다")),
        None => Condition::fail(
            format!("{from}에서 mysql-0.mysql을 찾지 못했습니다"),
            "services()? 로 서비스 mysql이 헤드리스(CLUSTER-IP None)인지 확인하세요 (check(\"deploy\")?)",
        ),
    }];
    if let Some(ip) = resolved {
        c.push(Condition::either(
            ip == target_ip,
            format!("그 IP는 mysql-0의 파드 IP({target_ip})입니다"),
            format!("풀린 IP {ip}가 mysql-0의 파드 IP({target_ip})와 다릅니다"),
            "파드가 막 다시 만들어졌다면 몇 초 뒤 이 셀을 다시 실행하세요",
        ));
    }
    Ok(c)
}

/// `survive`: mysql-0 was re-created (new UID, or created after mysql-1) and Alice and Bob remain.
pub async fn survive(lab: &Arc<Lab>) -> Conditions {
    crate::out::cmd("kubectl get pods -l app=mysql -o custom-columns=NAME:.metadata.name,UID:.metadata.uid,CREATED:.metadata.creationTimestamp && kubectl exec mysql-0 -- sh -c 'mysql -uroot -p\"$MYSQL_ROOT_PASSWORD\" -e \"SELECT name FROM testdb.users\"'");
    let pods = mysql_pods(lab).await?;
    let Some(p0) = find(&pods, "mysql-0").filter(|p| facts::is_ready(p)) else {
        return Ok(vec![Condition::fail(
            "mysql-0 파드가 Ready가 아닙니다",
            "wait_ready(\"mysql-0\")? 셀을 실행하세요",
        )]);
    };
    let uid = p0.uid().unwrap_or_default();
    let short = |u: &str| u.chars().take(8).collect::<String>();
    let recreated = match seen_uid() {
        // an earlier check saw mysql-0: a new pod has another UID
        Some(old) => Condition::either(
            old != uid,
            format!(
                "mysql-0 파드가 다시 만들어졌습니다 (UID {}… → {}…)",
                short(&old),
                short(&uid)
            ),
            format!(
                "mysql-0 파드의 UID가 그대로입니다 ({}…): 아직 지우지 않았습니다",
                short(&uid)
            ),
            "delete_pod(\"mysql-0\")? 와 wait_ready(\"mysql-0\")? 셀을 실행하세요",
        ),
        // no earlier check in this kernel: with OrderedReady, a mysql-0 younger than mysql-1 was
        // re-created on its own after the set was built
        None => {
            let younger = match (
                facts::created(p0),
                find(&pods, "mysql-1").and_then(facts::created),
            ) {
                (Some(a), Some(b)) => a > b,
                _ => false,
            };
            Condition::either(
                younger,
                "mysql-0 파드가 mysql-1 파드보다 나중에 만들어졌습니다 (혼자 다시 만들어진 파드)".into(),
                "mysql-0 파드가 다시 만들어지지 않았습니다 (mysql-1 파드보다 먼저 만들어진 그대로입니다)".into(),
                "delete_pod(\"mysql-0\")? 와 wait_ready(\"mysql-0\")? 셀을 실행하세요",
            )
        }
    };
    let mut c = vec![recreated];
    c.extend(
        users_conditions(
            lab,
            "파드가 다른 노드에 배치되어 빈 볼륨을 보고 있을 수 있습니다: placement()? 와 topology()? 로 확인하세요 (9단계)",
        )
        .await,
    );
    Ok(c)
}
