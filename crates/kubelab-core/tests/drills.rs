//! The calls of notebooks 03 and 04 against an in-process labsim, following the notebooks: a pod
//! stuck on an image (describe shows the reason; fixing the template alone does not move it; the
//! pod deleted, all Ready), a claim of a missing StorageClass (describe shows the PV controller's
//! event; creating the class binds it), a changed Secret password (access denied), rolling
//! updates (order 2,1,0; partition; OnDelete) and `whenScaled: Delete` with `wait_deleted`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use kubelab_core::Lab;
use labsim::cluster::start_in_thread;
use testkit::{manifest, Sim};

/// Polls `f` every 500 ms until it returns Some, or panics after `limit`.
async fn eventually<T, F, Fut>(what: &str, limit: Duration, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let t0 = Instant::now();
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(t0.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drills_and_updates() {
    let mut sim = tokio::task::block_in_place(|| Sim::in_process(start_in_thread).exported());
    let lab = Arc::new(Lab::connect().await.unwrap());
    let t = Duration::from_secs(180);

    // 03 a) the image cannot be pulled: mysql-0 waits with the reason, mysql-1 is never created
    lab.apply(&manifest("3-image-pull.yaml")).await.unwrap();
    let d = eventually("mysql-0 stuck on its image", t, || async {
        let d = lab.describe("pod", "mysql-0").await.ok()?;
        matches!(d.get("Reason"), Some("ErrImagePull" | "ImagePullBackOff")).then_some(d)
    })
    .await;
    assert!(d.to_string().contains("myslq:8.4.3"), "{d}");
    assert!(d.to_string().contains("Failed to pull image"), "{d}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(lab.pods().await.unwrap().get("mysql-1", "STATUS").is_none());
    // the fixed template alone does not replace the stuck pod (upstream's forced-rollback caveat)
    lab.apply(&manifest("1-sts-mysql.yaml")).await.unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let d = lab.describe("pod", "mysql-0").await.unwrap();
    assert_eq!(d.get("Image"), Some("myslq:8.4.3"), "{d}");
    lab.delete_pod("mysql-0").await.unwrap();
    let w = lab.watch_pods("app=mysql", t).await.unwrap();
    assert!(w.in_ordinal_order(), "{w}");

    // 03 c) a claim of a StorageClass that does not exist
    lab.apply(&manifest("3-storageclass-missing.yaml"))
        .await
        .unwrap();
    let d = eventually("ProvisioningFailed on the claim", t, || async {
        let d = lab.describe("pvc", "data-mysql-fast-0").await.ok()?;
        d.to_string()
            .contains("storageclass.storage.k8s.io \"fast\" not found")
            .then_some(d)
    })
    .await;
    assert_eq!(d.get("Status"), Some("Pending"), "{d}");
    assert_eq!(d.get("Used By"), Some("mysql-fast-0"), "{d}");
    let p = lab.describe("pod", "mysql-fast-0").await.unwrap();
    assert_eq!(p.get("Status"), Some("Pending"), "{p}");
    lab.apply(&manifest("3-storageclass-fast.yaml"))
        .await
        .unwrap();
    lab.watch_pods("app=mysql-fast", t).await.unwrap();
    let c = lab.describe("pvc", "data-mysql-fast-0").await.unwrap();
    assert_eq!(c.get("Status"), Some("Bound"), "{c}");
    lab.delete_statefulset("mysql-fast").await.unwrap();
    let r = lab.delete("pvc", "data-mysql-fast-0").await.unwrap();
    assert_eq!(
        r.lines,
        vec!["persistentvolumeclaim \"data-mysql-fast-0\" deleted"]
    );
    lab.wait_deleted("pvc", "data-mysql-fast-0", t)
        .await
        .unwrap();
    let r = lab.delete("storageclass", "fast").await.unwrap();
    assert_eq!(r.deleted, vec!["fast"]);

    // 03 d) a new password in the Secret does not change the initialised data's root password
    lab.apply(&manifest("3-secret-new-password.yaml"))
        .await
        .unwrap();
    lab.delete_pod("mysql-0").await.unwrap();
    lab.wait_ready("mysql-0", t).await.unwrap();
    let denied = lab.mysql("mysql-0").await.expect_err("access denied");
    assert!(denied.to_string().contains("1045"), "{denied}");
    lab.apply(&manifest("1-sts-mysql.yaml")).await.unwrap();
    let db = lab.mysql("mysql-0").await.unwrap();
    db.sql("SELECT 1;").await.unwrap();

    // 04 rolling update: highest ordinal first, the status line as kubectl prints it
    lab.apply(&manifest("4-rolling-update.yaml")).await.unwrap();
    let r = lab.watch_rollout("mysql", t).await.unwrap();
    assert_eq!(r.replaced, vec!["mysql-2", "mysql-1", "mysql-0"], "{r}");
    let kubectl = tokio::task::block_in_place(|| {
        sim.ok(&["rollout", "status", "statefulset/mysql", "--timeout=120s"])
    });
    assert_eq!(kubectl.trim(), r.lines.last().unwrap().trim(), "{r:?}");

    // partition 2: only mysql-2
    lab.apply(&manifest("4-partition.yaml")).await.unwrap();
    let r = lab.watch_rollout("mysql", t).await.unwrap();
    assert_eq!(r.replaced, vec!["mysql-2"], "{r}");
    let revs = lab.revisions("mysql").await.unwrap();
    let rev = |p: &str| revs.get(p, "CONTROLLER-REVISION-HASH").unwrap();
    assert_eq!(rev("mysql-2"), r.update_revision);
    assert_eq!(rev("mysql-0"), rev("mysql-1"));
    assert_ne!(rev("mysql-0"), rev("mysql-2"));
    lab.apply(&manifest("4-partition-0.yaml")).await.unwrap();
    let r = lab.watch_rollout("mysql", t).await.unwrap();
    assert_eq!(r.replaced, vec!["mysql-1", "mysql-0"], "{r}");

    // OnDelete: nothing moves; rollout status refuses; a deleted pod comes back updated
    lab.apply(&manifest("4-ondelete.yaml")).await.unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let before = lab.revisions("mysql").await.unwrap();
    let e = lab
        .watch_rollout("mysql", Duration::from_secs(5))
        .await
        .unwrap_err();
    assert!(
        e.to_string().contains("only available for RollingUpdate"),
        "{e}"
    );
    lab.delete_pod("mysql-1").await.unwrap();
    lab.wait_ready("mysql-1", t).await.unwrap();
    let after = lab.revisions("mysql").await.unwrap();
    let col = "CONTROLLER-REVISION-HASH";
    assert_eq!(before.get("mysql-0", col), after.get("mysql-0", col));
    assert_ne!(before.get("mysql-1", col), after.get("mysql-1", col));
    let sts = lab.describe("statefulset", "mysql").await.unwrap();
    assert_eq!(sts.get("Update Strategy"), Some("OnDelete"), "{sts}");
    assert_eq!(
        after.get("mysql-1", col).as_deref(),
        sts.get("Update Revision")
    );

    // whenScaled: Delete — scaling down deletes the condemned pods' claims
    // As the notebook does: the old pods must be gone first, else the new StatefulSet adopts them
    // while the garbage collector deletes them, and a pod deleted that way is not a scale-down
    // (its claim keeps no owner and stays; CI saw data-mysql-2 stay).
    lab.delete_statefulset("mysql").await.unwrap();
    for pod in ["mysql-0", "mysql-1", "mysql-2"] {
        lab.wait_deleted("pod", pod, t).await.unwrap();
    }
    lab.apply(&manifest("4-retention.yaml")).await.unwrap();
    lab.watch_pods("app=mysql", t).await.unwrap();
    assert_eq!(
        lab.describe("statefulset", "mysql")
            .await
            .unwrap()
            .get("whenScaled"),
        Some("Delete")
    );
    lab.scale("mysql", 1).await.unwrap();
    lab.watch_pods("app=mysql", t).await.unwrap();
    for pvc in ["data-mysql-2", "data-mysql-1"] {
        lab.wait_deleted("pvc", pvc, t).await.unwrap();
    }
    let pvcs = lab.pvcs().await.unwrap();
    assert_eq!(pvcs.column("NAME"), vec!["data-mysql-0"], "{pvcs}");

    // a wrong name: the Korean NotFound listing what exists (the same error as every step's)
    let e = lab
        .describe("pod", "mysql-9")
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("mysql-9") && e.contains("mysql-0"), "{e}");

    drop(db);
    tokio::task::block_in_place(|| sim.stop());
}
