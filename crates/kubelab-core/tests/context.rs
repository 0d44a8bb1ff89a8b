//! The context guard for real: a kubeconfig whose current context is `prod-cluster` (pointing at
//! labsim) is refused with the context name and the `allow_context` hint, and works after
//! `allow_context("prod-cluster")`. kubectl sees the same cluster under that context.

mod common;

use kubelab_core::*;
use labsim::cluster::start_in_thread;
use testkit::{write_file, Sim};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_context_is_refused_until_allowed() {
    let sim = Sim::in_process(start_in_thread);
    // the same cluster under a name kubelab must not trust
    let text = std::fs::read_to_string(&sim.kubeconfig).unwrap();
    let mut v: serde_json::Value = serde_yaml::from_str(&text).unwrap();
    v["contexts"][0]["name"] = "prod-cluster".into();
    v["current-context"] = "prod-cluster".into();
    let dir = tempfile::tempdir().unwrap();
    let kc = write_file(
        dir.path(),
        "prod-kubeconfig",
        &serde_yaml::to_string(&v).unwrap(),
    );
    std::env::remove_var("KUBELAB_ALLOW_CONTEXT");
    std::env::set_var("KUBECONFIG", &kc);

    let e = step!(nodes()).unwrap_err();
    assert!(
        matches!(
            e,
            Error::Cluster(kubelab_core::cluster::Error::ContextRefused { .. })
        ),
        "{e:?}"
    );
    let msg = e.to_string();
    for part in [
        "'prod-cluster'",
        "실습용 클러스터",
        "allow_context(\"prod-cluster\")",
        "KUBELAB_ALLOW_CONTEXT=prod-cluster",
        "127.0.0.1",
    ] {
        assert!(msg.contains(part), "expected {part:?} in:\n{msg}");
    }
    // refused before touching anything: apply changes nothing either
    assert!(step!(apply("../../manifests/1-sts-mysql.yaml")).is_err());
    let home = tempfile::tempdir().unwrap();
    let out = testkit::run_with_timeout(
        testkit::kubectl_cmd(
            std::path::Path::new(&kc),
            home.path(),
            &["get", "services", "-o", "name"],
        ),
        std::time::Duration::from_secs(60),
    );
    assert!(out.status.success(), "{}", testkit::text(&out));
    let svcs = String::from_utf8_lossy(&out.stdout);
    assert!(!svcs.contains("mysql"), "{svcs}");

    allow_context("prod-cluster");
    let n = step!(nodes()).unwrap();
    assert_eq!(n.len(), 3, "{n}");
    let info = step!(cluster()).unwrap();
    assert_eq!(info.context, "prod-cluster");
}
