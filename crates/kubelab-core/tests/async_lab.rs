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

    // the session reaches mysql-2's own server: each pod's mariadbd runs in its own sandbox,
    // whose UTS hostname is the pod's (as in a real pod, where @@hostname is the pod name)
    let db = lab.mysql("mysql-2").await.unwrap();
    let out = db
        .sql("SELECT @@hostname AS h, 1 + 1 AS two;")
        .await
        .unwrap();
    assert_eq!(out.last().column("two"), vec![Some("2".to_string())]);
    assert_eq!(out.last().column("h"), vec![Some("mysql-2".to_string())]);

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
