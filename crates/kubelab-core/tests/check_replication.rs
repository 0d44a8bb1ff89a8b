//! Notebook 05's check steps (`repl-deploy`, `repl-config`, `repl-data`, `repl-scale`,
//! `repl-drain`) against an in-process labsim running the tutorial's three manifests unchanged
//! (kubernetes/website content/en/examples/application/mysql/): each ❌ with its hint before the
//! learner's step, ✅ after, in the notebook's order.

mod common;

use std::sync::Arc;
use std::time::Duration;

use kubelab_core::Lab;
use labsim::cluster::start_in_thread;
use testkit::{manifest, Sim};

use common::check::{chk, failure, passes};

/// SQL through the `mysql` client inside `pod` (its first container, `mysql`), as the tutorial's
/// client pod would send it: the exit code and what it printed.
async fn sql_in(lab: &Lab, pod: &str, host: &str, sql: &str) -> (i32, String) {
    let out = lab
        .exec(pod, &["mysql", "-h", host, "-N", "-e", sql])
        .await
        .unwrap();
    (out.code, format!("{}{}", out.stdout, out.stderr))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replication_steps_fail_with_hints_then_pass() {
    let _sim = tokio::task::block_in_place(|| Sim::in_process(start_in_thread).exported());
    let lab = Arc::new(Lab::connect().await.unwrap());
    let t = Duration::from_secs(300);

    // repl-deploy before anything: the ConfigMap is missing and names step 2
    let msg = failure(chk(&lab, "repl-deploy").await);
    assert!(
        msg.contains(
            "❌ ConfigMap mysql에 primary.cnf와 secondary.cnf가 없습니다 (있는 키: 없음) → 2단계"
        ),
        "{msg}"
    );
    for m in [
        "5-mysql-configmap.yaml",
        "5-mysql-services.yaml",
        "5-mysql-statefulset.yaml",
    ] {
        lab.apply(&manifest(m)).await.unwrap();
    }
    lab.watch_pods("app=mysql", t).await.unwrap();
    passes(
        &lab,
        "repl-deploy",
        &[
            "✅ ConfigMap mysql에 primary.cnf와 secondary.cnf가 있습니다",
            "✅ Service mysql은 헤드리스입니다",
            "✅ Service mysql-read는 가상 IP 10.",
            "✅ StatefulSet mysql READY 3/3",
            "✅ mysql-2 파드가 Ready입니다 (2/2 Running",
        ],
    )
    .await;
    passes(
        &lab,
        "repl-config",
        &[
            "✅ mysql-0: @@server_id 100",
            "✅ mysql-2: @@server_id 102",
            "✅ mysql-0: 주 서버입니다 (log_bin ON, read_only OFF, primary.cnf)",
            "✅ mysql-1: 보조 서버입니다 (read_only ON, secondary.cnf)",
            "✅ mysql-2: mysql-0.mysql에서 복제 중입니다",
        ],
    )
    .await;

    // repl-data before the write: no test.messages on mysql-0, the hint names step 7
    let msg = failure(chk(&lab, "repl-data").await);
    assert!(
        msg.contains("❌ mysql-0에 test.messages 테이블이 없습니다 → 7단계"),
        "{msg}"
    );
    let (code, out) = sql_in(
        &lab,
        "mysql-1",
        "mysql-0.mysql",
        "CREATE DATABASE test; CREATE TABLE test.messages (message VARCHAR(250)); INSERT INTO test.messages VALUES ('hello');",
    )
    .await;
    assert_eq!(code, 0, "{out}");
    passes(
        &lab,
        "repl-data",
        &["✅ mysql-2의 test.messages에 'hello'가 있습니다 (1행)"],
    )
    .await;

    // a secondary refuses root's write (MySQL: ERROR 1290 ... --super-read-only; MariaDB's
    // read-only with root's READ_ONLY ADMIN taken away: ERROR 1290 ... --read-only)
    let (code, out) = sql_in(
        &lab,
        "mysql-0",
        "mysql-1.mysql",
        "INSERT INTO test.messages VALUES ('from mysql-1')",
    )
    .await;
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("ERROR 1290"), "{out}");

    // mysql-read spreads connections over the servers
    let mut ids = std::collections::BTreeSet::new();
    for _ in 0..20 {
        let (_, out) = sql_in(&lab, "mysql-0", "mysql-read", "SELECT @@server_id").await;
        ids.insert(out.trim().to_string());
    }
    assert!(ids.len() >= 2, "{ids:?}");

    // repl-scale: ❌ at 3 replicas naming kubectl scale, ✅ at 5 with the clones' rows
    let msg = failure(chk(&lab, "repl-scale").await);
    assert!(
        msg.contains("레플리카가 3개입니다 (5개여야 합니다)") && msg.contains("--replicas=5"),
        "{msg}"
    );
    lab.scale("mysql", 5).await.unwrap();
    lab.watch_pods("app=mysql", t).await.unwrap();
    passes(
        &lab,
        "repl-scale",
        &[
            "✅ StatefulSet mysql READY 5/5",
            "✅ mysql-4: @@server_id 104",
            "✅ mysql-4: mysql-0.mysql에서 복제 중입니다",
            "✅ mysql-4의 test.messages에 'hello'가 있습니다 (1행)",
        ],
    )
    .await;
    let clone = lab
        .kubectl("logs mysql-4 -c clone-mysql", Duration::from_secs(30))
        .await
        .unwrap();
    assert!(
        clone
            .0
            .stdout
            .contains("ncat --recv-only mysql-3.mysql 3307"),
        "{}",
        clone.0.stdout
    );

    // repl-drain: ❌ while a node is cordoned, naming uncordon; ✅ after it
    lab.kubectl("cordon minikube-m03", Duration::from_secs(30))
        .await
        .unwrap();
    let msg = failure(chk(&lab, "repl-drain").await);
    assert!(
        msg.contains("❌ 노드 minikube-m03가 아직 SchedulingDisabled입니다 → kubectl(\"uncordon minikube-m03\")?"),
        "{msg}"
    );
    lab.kubectl("uncordon minikube-m03", Duration::from_secs(30))
        .await
        .unwrap();
    passes(
        &lab,
        "repl-drain",
        &[
            "✅ 모든 노드가 스케줄 가능합니다 (3개",
            "✅ mysql-3의 test.messages에 'hello'가 있습니다 (1행)",
        ],
    )
    .await;
}
