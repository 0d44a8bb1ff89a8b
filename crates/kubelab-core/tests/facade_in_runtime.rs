//! The sync facade called from inside a multi-thread runtime, like an evcxr cell after a
//! top-level `.await`: no "Cannot start a runtime from within a runtime" panic, and the calls
//! still see the cluster kubectl sees.

use std::time::Duration;

use kubelab_core::prelude::*;
use labsim::cluster::start_in_thread;
use testkit::Sim;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_facade_inside_a_multi_thread_runtime() {
    let sim = tokio::task::block_in_place(|| Sim::in_process(start_in_thread).exported());
    // a top-level await first, as in a notebook
    tokio::time::sleep(Duration::from_millis(10)).await;
    let n = nodes().unwrap();
    assert_eq!(n.len(), 3, "{n}");

    apply("../../manifests/1-sts-mysql.yaml").unwrap();
    tokio::task::yield_now().await;
    let w = watch_pods_for("app=mysql", Duration::from_secs(180)).unwrap();
    assert_eq!(w.ready_order(), ["mysql-0", "mysql-1", "mysql-2"]);

    let vol = pvcs().unwrap().get("data-mysql-1", "VOLUME").unwrap();
    let db = mysql("mysql-1").unwrap();
    // labsim's mariadbd reports the host's @@hostname; the data dir identifies the pod
    let out = db.sql("SELECT @@datadir AS d;").unwrap();
    let datadir = out.last().column("d")[0].clone().unwrap();
    // (on the node's disk under the hostpath provisioner's path for the claim; older labsims:
    // under the PV name)
    assert!(
        datadir.contains("/data-mysql-1") || datadir.contains(&vol),
        "{datadir} vs {vol}"
    );
    // the session's async form on this runtime works too
    let out = db.sql_async("SELECT 40 + 2 AS n;").await.unwrap();
    assert_eq!(out.last().column("n"), vec![Some("42".to_string())]);

    // from a spawned task on another worker as well
    let h = tokio::spawn(async { pods() });
    let p = h.await.unwrap().unwrap();
    let kubectl_names: Vec<String> = tokio::task::block_in_place(|| {
        sim.ok(&[
            "get",
            "pods",
            "--no-headers",
            "-o",
            "custom-columns=N:.metadata.name",
        ])
    })
    .lines()
    .map(str::to_string)
    .collect();
    assert_eq!(p.column("NAME"), kubectl_names);
    tokio::task::block_in_place(move || drop(sim));
}
