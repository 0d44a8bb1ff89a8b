//! The whole lab through `Lab` (the learner's calls, in order, as the engine runs them) against an
//! in-process labsim with real mariadbd, with the real `kubectl` checking the same cluster.

use std::collections::BTreeSet;

mod common;

use kubelab_core::apply::ApplyOutcome as Outcome;
use labsim::cluster::start_in_thread;
use testkit::Sim;

fn some(v: &[&str]) -> Vec<Option<String>> {
    v.iter().map(|s| Some(s.to_string())).collect()
}

/// kubectl's `get pods` lines for the mysql pods: (name, ready, status).
fn kubectl_pods(sim: &Sim) -> Vec<(String, String, String)> {
    sim.ok(&["get", "pods", "-l", "app=mysql", "--no-headers"])
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f[0].to_string(), f[1].to_string(), f[2].to_string())
        })
        .collect()
}

fn pvc_names(sim: &Sim) -> Vec<String> {
    let out = sim.ok(&[
        "get",
        "pvc",
        "--no-headers",
        "-o",
        "custom-columns=N:.metadata.name",
    ]);
    out.lines().map(str::to_string).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whole_lab_through_lab() {
    let mut sim = tokio::task::block_in_place(|| Sim::in_process(start_in_thread).exported());

    // 1. the cluster: three Ready nodes
    let n = step!(nodes()).unwrap();
    assert_eq!(
        n.column("NAME"),
        vec!["minikube", "minikube-m02", "minikube-m03"]
    );
    assert!(n.column("STATUS").iter().all(|s| s == "Ready"), "{n}");
    let info = step!(cluster()).unwrap();
    assert_eq!(info.context, "labsim");

    // 2. apply the manifest by a relative path, as a learner does (cargo runs tests in the crate's folder)
    let rep = step!(apply("../../manifests/1-sts-mysql.yaml")).unwrap();
    assert_eq!(
        rep.outcome("service/mysql"),
        Some(Outcome::Created),
        "{rep}"
    );
    assert_eq!(
        rep.outcome("secret/mysql-secret"),
        Some(Outcome::Created),
        "{rep}"
    );
    assert_eq!(
        rep.outcome("statefulset.apps/mysql"),
        Some(Outcome::Created),
        "{rep}"
    );

    // 3. ordered creation
    let w = step!(watch_pods("app=mysql", kubelab_core::wait::DEFAULT_TIMEOUT)).unwrap();
    assert_eq!(w.ready_order(), ["mysql-0", "mysql-1", "mysql-2"], "{w}");
    assert!(w.in_ordinal_order());
    assert!(!w.lines.is_empty());
    // kubectl agrees: 3 pods 1/1 Running
    let kp = kubectl_pods(&sim);
    assert_eq!(kp.len(), 3, "{kp:?}");
    for (i, (name, ready, status)) in kp.iter().enumerate() {
        assert_eq!(name, &format!("mysql-{i}"));
        assert_eq!(ready, "1/1");
        assert_eq!(status, "Running");
    }
    let p = step!(pods()).unwrap();
    assert_eq!(p.get("mysql-2", "READY").as_deref(), Some("1/1"), "{p}");
    assert_eq!(
        p.get("mysql-2", "STATUS").as_deref(),
        Some("Running"),
        "{p}"
    );
    let sts = step!(statefulsets()).unwrap();
    assert_eq!(sts.get("mysql", "READY").as_deref(), Some("3/3"), "{sts}");

    // 4. one Bound PVC per pod
    let pv = step!(pvcs()).unwrap();
    assert_eq!(
        pv.column("NAME"),
        vec!["data-mysql-0", "data-mysql-1", "data-mysql-2"],
        "{pv}"
    );
    assert!(pv.column("STATUS").iter().all(|s| s == "Bound"), "{pv}");
    let vols: BTreeSet<String> = pv.column("VOLUME").into_iter().collect();
    assert_eq!(vols.len(), 3, "each PVC has its own volume: {pv}");
    let pl = step!(placement()).unwrap();
    for i in 0..3 {
        let pod = format!("mysql-{i}");
        assert_eq!(pl.get(&pod, "PVC"), Some(format!("data-mysql-{i}")), "{pl}");
        let vol = pl.get(&pod, "VOLUME").unwrap();
        assert_eq!(pv.get(&format!("data-mysql-{i}"), "VOLUME"), Some(vol));
        assert!(!pl.get(&pod, "NODE").unwrap().is_empty(), "{pl}");
    }

    // 5. delete all pods: re-created in order with new UIDs
    let before = sim.pod_uids("app=mysql");
    assert_eq!(before.len(), 3);
    let d = step!(delete_pods("app=mysql")).unwrap();
    assert_eq!(d.deleted.len(), 3, "{d}");
    let w = step!(watch_pods("app=mysql", kubelab_core::wait::DEFAULT_TIMEOUT)).unwrap();
    assert_eq!(w.ready_order(), ["mysql-0", "mysql-1", "mysql-2"], "{w}");
    assert!(w.in_ordinal_order());
    let after = sim.pod_uids("app=mysql");
    assert_eq!(after.len(), 3);
    for ((n0, u0), (n1, u1)) in before.iter().zip(&after) {
        assert_eq!(n0, n1);
        assert_ne!(u0, u1, "{n0} must be a new pod");
    }

    // 6. storage class
    let sc = step!(storage_classes()).unwrap();
    assert_eq!(sc.column("NAME"), vec!["standard (default)"], "{sc}");
    assert_eq!(
        sc.get("standard (default)", "PROVISIONER").as_deref(),
        Some("k8s.io/minikube-hostpath")
    );

    // 7. SQL on mysql-0
    let db = step!(mysql("mysql-0")).unwrap();
    let out = db.sql("SHOW DATABASES;").await.unwrap();
    let dbs: BTreeSet<String> = out
        .last()
        .column("Database")
        .into_iter()
        .flatten()
        .collect();
    for s in ["information_schema", "mysql", "performance_schema", "sys"] {
        assert!(dbs.contains(s), "{s} missing: {out}");
    }
    let out = db
        .sql(
            "CREATE DATABASE testdb; USE testdb;
             CREATE TABLE users (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255));
             INSERT INTO users (name) VALUES ('Alice'), ('Bob');
             SELECT * FROM users;",
        )
        .await
        .unwrap();
    assert_eq!(out.last().column("name"), some(&["Alice", "Bob"]), "{out}");
    assert_eq!(db.database().await.as_deref(), Some("testdb"));
    let text = out.to_string();
    assert!(text.contains("Database changed"), "{text}");
    assert!(text.contains("2 rows in set"), "{text}");

    // 8. the pod dies; the same session reconnects by itself and the data is still there
    let uid0 = sim.pod_uids("app=mysql")[0].1.clone();
    step!(delete_pod("mysql-0")).unwrap();
    let r = step!(wait_ready("mysql-0", kubelab_core::wait::DEFAULT_TIMEOUT)).unwrap();
    assert!(r.recreated, "{r}");
    assert_ne!(r.uid, uid0);
    assert_eq!(
        sim.pod_uids("app=mysql")[0].1,
        r.uid,
        "kubectl sees the same new pod"
    );
    let out = db.sql("SELECT * FROM users ORDER BY id;").await.unwrap();
    assert_eq!(out.last().column("name"), some(&["Alice", "Bob"]), "{out}");

    // 9. mysql-1 has its own data: no testdb
    let db1 = step!(mysql("mysql-1")).unwrap();
    let out = db1.sql("SHOW DATABASES;").await.unwrap();
    let dbs1: Vec<Option<String>> = out.last().column("Database");
    assert!(!dbs1.contains(&Some("testdb".into())), "{out}");
    assert!(dbs1.contains(&Some("mysql".into())), "{out}");

    // 10. exec
    let e = step!(exec("mysql-0", &["hostname"])).unwrap();
    assert_eq!(e.stdout.trim(), "mysql-0");
    assert_eq!(e.code, 0);

    // 11. apply again: nothing changes
    let rep = step!(apply("../../manifests/1-sts-mysql.yaml")).unwrap();
    for o in [
        "service/mysql",
        "secret/mysql-secret",
        "statefulset.apps/mysql",
    ] {
        assert_eq!(rep.outcome(o), Some(Outcome::Unchanged), "{o}: {rep}");
    }

    // 12. cleanup keeps the data, delete_data removes it
    let c = step!(cleanup()).unwrap();
    assert_eq!(
        c.kept_pvcs,
        vec!["data-mysql-0", "data-mysql-1", "data-mysql-2"],
        "{c}"
    );
    assert!(c.deleted.iter().any(|d| d.contains("statefulset")), "{c}");
    assert_eq!(
        pvc_names(&sim),
        vec!["data-mysql-0", "data-mysql-1", "data-mysql-2"]
    );
    let ksts = sim.ok(&["get", "statefulsets", "--no-headers"]);
    assert!(ksts.trim().is_empty(), "statefulset still there: {ksts}");
    let d = step!(delete_data()).unwrap();
    assert_eq!(d.deleted.len(), 3, "{d}");
    assert!(pvc_names(&sim).is_empty());
    let pv = step!(pvcs()).unwrap();
    assert!(pv.is_empty(), "{pv}");

    sim.stop();
}
