//! kubelab's async API (`Lab`) inside a multi-thread tokio test: connect, apply, watch, SQL on
//! the caller's runtime, with kubectl agreeing. Nothing may panic (no nested runtimes).

use std::sync::Arc;
use std::time::Duration;

use kubelab_core::apply::ApplyOutcome as Outcome;
use kubelab_core::Lab;
use labsim::cluster::start_in_thread;
use testkit::Sim;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_lab_on_the_callers_runtime() {
    let sim = tokio::task::block_in_place(|| Sim::in_process(start_in_thread).exported());
    let lab = Arc::new(Lab::connect().await.unwrap());
    let n = lab.nodes().await.unwrap();
    assert_eq!(n.len(), 3, "{n}");

    let rep = lab.apply("../../manifests/1-sts-mysql.yaml").await.unwrap();
    assert_eq!(
        rep.outcome("statefulset.apps/mysql"),
        Some(Outcome::Created)
    );
    let w = lab
        .watch_pods("app=mysql", Duration::from_secs(180))
        .await
        .unwrap();
    assert!(w.in_ordinal_order(), "{w}");
    assert_eq!(w.ready_order().len(), 3);

    // the session reaches mysql-2's own server: its datadir is data-mysql-2's volume
    // (labsim's mariadbd reports the host's @@hostname, so the data dir identifies the pod)
    let vol = lab
        .pvcs()
        .await
        .unwrap()
        .get("data-mysql-2", "VOLUME")
        .unwrap();
    let db = lab.mysql("mysql-2").await.unwrap();
    let out = db
        .sql("SELECT @@datadir AS d, 1 + 1 AS two;")
        .await
        .unwrap();
    assert_eq!(out.last().column("two"), vec![Some("2".to_string())]);
    let datadir = out.last().column("d")[0].clone().unwrap();
    // labsim keeps it on the node's disk under minikube's hostpath provisioner's path for the
    // claim (`.../tmp/hostpath-provisioner/default/data-mysql-2`), older labsims under the PV name
    assert!(
        datadir.contains("/data-mysql-2") || datadir.contains(&vol),
        "{datadir} vs {vol}"
    );

    // concurrent reads on the caller's runtime
    let (p, s, c) = tokio::join!(lab.pods(), lab.statefulsets(), lab.pvcs());
    assert_eq!(p.unwrap().len(), 3);
    assert_eq!(s.unwrap().get("mysql", "READY").as_deref(), Some("3/3"));
    assert_eq!(c.unwrap().len(), 3);

    let kubectl = tokio::task::block_in_place(|| {
        sim.ok(&[
            "get",
            "statefulset",
            "mysql",
            "-o",
            "jsonpath={.status.readyReplicas}",
        ])
    });
    assert_eq!(kubectl, "3");
    tokio::task::block_in_place(move || drop(sim));
}
