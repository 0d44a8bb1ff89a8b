//! The course's later check steps (`restart`, `crash`, `rollout`, `partition`, `ondelete`,
//! `retention`, `local-path`) against an in-process labsim (real mariadbd): each ❌ with its hint before the
//! learner's step, ✅ after, following notebooks 01, 03 and 04.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use kubelab_core::Lab;
use labsim::cluster::start_in_thread;
use testkit::{manifest, Sim};

use common::check::{chk, failure, passes};

/// Polls the pod table every 300 ms until `f` holds for it (at most `secs`).
async fn until(lab: &Lab, secs: u64, what: &str, f: impl Fn(&kubelab_core::Table) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let t = lab.pods().await.unwrap();
        if f(&t) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}:\n{t}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// RESTARTS of `pod` is not 0 (`1`, `1 (3s ago)`, ...).
fn restarted(t: &kubelab_core::Table, pod: &str) -> bool {
    t.get(pod, "RESTARTS").is_some_and(|r| !r.starts_with('0'))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn course_steps_fail_with_hints_then_pass() {
    let _sim = tokio::task::block_in_place(|| Sim::in_process(start_in_thread).exported());
    let lab = Arc::new(Lab::connect().await.unwrap());
    let t = Duration::from_secs(180);
    lab.apply(&manifest("1-sts-mysql.yaml")).await.unwrap();
    lab.watch_pods("app=mysql", t).await.unwrap();
    let db = lab.mysql("mysql-0").await.unwrap();
    db.sql("CREATE DATABASE testdb; USE testdb; CREATE TABLE users (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255)); INSERT INTO users (name) VALUES ('Alice'), ('Bob');")
        .await
        .unwrap();

    // restart (01 step 15): ❌ before the container restarted, ✅ after mysqladmin shutdown
    let msg = failure(chk(&lab, "restart").await);
    assert!(msg.contains("❌ mysql-0의 RESTARTS가 0입니다"), "{msg}");
    assert!(msg.contains("mysqladmin shutdown"), "{msg}");
    let _ = lab
        .exec(
            "mysql-0",
            &[
                "sh",
                "-c",
                "mysqladmin -uroot -p\"$MYSQL_ROOT_PASSWORD\" shutdown",
            ],
        )
        .await;
    until(&lab, 60, "mysql-0 restarted and Ready", |p| {
        restarted(p, "mysql-0") && p.get("mysql-0", "READY").as_deref() == Some("1/1")
    })
    .await;
    passes(
        &lab,
        "restart",
        &[
            "✅ mysql-0 컨테이너가 같은 파드 안에서 재시작되었습니다 (RESTARTS 1",
            "✅ mysql-0의 testdb.users에 'Bob' 행이 있습니다",
        ],
    )
    .await;

    // crash (03 drill C): ❌ while a server option is misspelt, ✅ after the fix and the stuck pod's delete
    lab.apply(&manifest("3-drill-c.yaml")).await.unwrap();
    // 90 s: the first restart comes after kubelet's 10 s back-off (upstream's 10 s → 5 min)
    until(&lab, 90, "mysql-c-0 to crash", |p| {
        restarted(p, "mysql-c-0")
    })
    .await;
    // the ended container's log names the option, in my_getopt's words (MySQL's and MariaDB's
    // share them: mysys/my_getopt.cc `unknown variable '%s'`)
    let log = lab.logs("mysql-c-0", true).await.unwrap();
    assert!(
        log.text
            .contains("unknown variable 'collation-sever=utf8mb4_unicode_ci'"),
        "{}",
        log.text
    );
    let msg = failure(chk(&lab, "crash").await);
    assert!(
        msg.contains("❌ StatefulSet mysql-c의 템플릿 args에 mysqld가 모르는 옵션이 있습니다 (--collation-sever=utf8mb4_unicode_ci)"),
        "{msg}"
    );
    lab.apply(&manifest("3-fix-c.yaml")).await.unwrap();
    lab.delete_pod("mysql-c-0").await.unwrap();
    lab.watch_pods("app=mysql-c", t).await.unwrap();
    passes(
        &lab,
        "crash",
        &[
            "✅ StatefulSet mysql-c의 템플릿 args에 mysqld가 모르는 옵션이 없습니다 (--character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci)",
            "✅ mysql-c-0 파드가 Ready이고 RESTARTS 0입니다",
        ],
    )
    .await;
    lab.delete_statefulset("mysql-c").await.unwrap();

    // rollout (04 step 1): every pod on the update revision once the rollout is done
    lab.apply(&manifest("4-rolling-update.yaml")).await.unwrap();
    lab.watch_rollout("mysql", t).await.unwrap();
    passes(
        &lab,
        "rollout",
        &["✅ mysql-2: 새 리비전", "✅ 업데이트가 끝났습니다"],
    )
    .await;

    // partition: 2 → only mysql-2 new; `rollout` fails meanwhile, naming the old pods
    lab.apply(&manifest("4-partition.yaml")).await.unwrap();
    lab.watch_rollout("mysql", t).await.unwrap();
    passes(
        &lab,
        "partition",
        &[
            "✅ updateStrategy RollingUpdate, partition 2",
            "✅ mysql-2: 새 리비전",
            "✅ mysql-1: 예전 리비전",
            "✅ mysql-0: 예전 리비전",
        ],
    )
    .await;
    let msg = failure(chk(&lab, "rollout").await);
    assert!(msg.contains("❌ mysql-1: 아직 예전 리비전"), "{msg}");
    lab.apply(&manifest("4-partition-1.yaml")).await.unwrap();
    lab.watch_rollout("mysql", t).await.unwrap();
    passes(
        &lab,
        "partition",
        &[
            "partition 1",
            "✅ mysql-1: 새 리비전",
            "✅ mysql-0: 예전 리비전",
        ],
    )
    .await;

    // ondelete: nothing changes on apply; mysql-1 deleted → only mysql-1 new
    lab.apply(&manifest("4-partition-0.yaml")).await.unwrap();
    lab.watch_rollout("mysql", t).await.unwrap();
    lab.apply(&manifest("4-ondelete.yaml")).await.unwrap();
    let msg = failure(chk(&lab, "ondelete").await);
    assert!(msg.contains("❌ mysql-1: 아직 예전 리비전"), "{msg}");
    assert!(msg.contains("delete_pod(\"mysql-1\")?"), "{msg}");
    lab.delete_pod("mysql-1").await.unwrap();
    lab.wait_ready("mysql-1", t).await.unwrap();
    passes(
        &lab,
        "ondelete",
        &[
            "✅ updateStrategy OnDelete",
            "✅ mysql-1: 새 리비전",
            "✅ mysql-2: 예전 리비전",
        ],
    )
    .await;

    // retention: whenScaled Delete, scaled to 1, PVCs 1 and 2 gone
    let msg = failure(chk(&lab, "retention").await);
    assert!(
        msg.contains("❌ whenScaled: Retain (Delete여야 합니다)"),
        "{msg}"
    );
    lab.delete_statefulset("mysql").await.unwrap();
    for pod in ["mysql-0", "mysql-1", "mysql-2"] {
        lab.wait_deleted("pod", pod, t).await.unwrap();
    }
    lab.apply(&manifest("4-retention.yaml")).await.unwrap();
    lab.watch_pods("app=mysql", t).await.unwrap();
    lab.scale("mysql", 1).await.unwrap();
    lab.watch_pods("app=mysql", t).await.unwrap();
    lab.wait_deleted("pvc", "data-mysql-2", t).await.unwrap();
    lab.wait_deleted("pvc", "data-mysql-1", t).await.unwrap();
    passes(
        &lab,
        "retention",
        &[
            "✅ whenScaled: Delete, whenDeleted: Retain",
            "✅ PVC data-mysql-0: 남아 있습니다",
            "✅ PVC data-mysql-2: 지워졌습니다",
        ],
    )
    .await;

    // local-path (03 drill G): ❌ on `standard`, ✅ once re-deployed on the addon's class with
    // every pod on the node its volume is bound to
    let msg = failure(chk(&lab, "local-path").await);
    assert!(
        msg.contains("❌ StatefulSet mysql의 PVC 템플릿이 StorageClass 'standard'를 씁니다"),
        "{msg}"
    );
    assert!(
        msg.contains("PV pvc-") && msg.contains("노드 어피니티가 없습니다"),
        "{msg}"
    );
    lab.addon_enable("storage-provisioner-rancher")
        .await
        .unwrap();
    lab.start_fresh(t).await.unwrap();
    lab.apply(&manifest("3-fix-g.yaml")).await.unwrap();
    lab.watch_pods("app=mysql", t).await.unwrap();
    passes(
        &lab,
        "local-path",
        &[
            "✅ StatefulSet mysql의 PVC 템플릿이 StorageClass local-path를 씁니다",
            "✅ mysql-0: 볼륨이 묶인 노드 ",
            "✅ mysql-2: 볼륨이 묶인 노드 ",
        ],
    )
    .await;
}
