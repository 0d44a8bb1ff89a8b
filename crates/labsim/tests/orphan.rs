//! `kubectl delete sts --cascade=orphan` and re-adoption, many times in a row through the real
//! `kubectl`: the pods always stay (same uids, not terminating, no owner reference) and the
//! re-created StatefulSet adopts them (and the orphaned ControllerRevision, so the same template
//! rolls nothing) instead of creating new ones, as kube's garbage collector
//! (pkg/controller/garbagecollector, the `orphan` finalizer) and the StatefulSet controller's
//! adoption (pkg/controller/statefulset: ClaimPods, adoptOrphanRevisions) do.

use testkit::{write_file, Sim};

/// The labsim binary cargo built for these tests.
const LABSIM: &str = env!("CARGO_BIN_EXE_labsim");

/// Three busybox pods started in parallel (the shared fixture).
const STS: &str = include_str!("testdata/web-busybox.yaml");

/// (name, uid, controller uid, terminating) of the `app=web` pods, by name.
fn pods(sim: &Sim) -> Vec<(String, String, String, bool)> {
    let list = sim.json(&["get", "pods", "-l", "app=web"]);
    let mut v: Vec<_> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let m = &p["metadata"];
            let owner = m["ownerReferences"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|r| r["controller"] == true)
                .and_then(|r| r["uid"].as_str())
                .unwrap_or("")
                .to_string();
            (
                m["name"].as_str().unwrap().to_string(),
                m["uid"].as_str().unwrap().to_string(),
                owner,
                !m["deletionTimestamp"].is_null(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn orphan_delete_and_re_adoption_repeated() {
    let sim = Sim::up(LABSIM);
    let file = write_file(sim.state(), "web.yaml", STS);
    sim.ok(&["apply", "-f", &file]);
    let mut sts_uid = sim.ok(&["get", "sts", "web", "-o", "jsonpath={.metadata.uid}"]);
    let first = sim.wait_for("3 pods of web running", 60, || {
        let p = pods(&sim);
        let running = sim.ok(&[
            "get",
            "pods",
            "-l",
            "app=web",
            "--field-selector=status.phase=Running",
            "-o",
            "name",
        ]);
        (p.len() == 3 && running.lines().count() == 3).then_some(p)
    });
    let uids: Vec<String> = first.iter().map(|p| p.1.clone()).collect();
    for round in 0..10 {
        assert!(first.iter().all(|p| !p.3));
        // kubectl waits until the StatefulSet is gone.
        sim.ok(&["delete", "sts", "web", "--cascade=orphan", "--timeout=30s"]);
        let now = pods(&sim);
        assert_eq!(
            now.iter().map(|p| p.1.clone()).collect::<Vec<_>>(),
            uids,
            "round {round}: the orphaned pods are the same pods: {now:?}"
        );
        assert!(
            now.iter().all(|p| p.2.is_empty() && !p.3),
            "round {round}: orphaned, not terminating: {now:?}"
        );
        // A moment for a collector that would still delete them.
        std::thread::sleep(std::time::Duration::from_millis(300));
        assert!(pods(&sim).iter().all(|p| !p.3), "round {round}");

        sim.ok(&["apply", "-f", &file]);
        let new_uid = sim.ok(&["get", "sts", "web", "-o", "jsonpath={.metadata.uid}"]);
        assert_ne!(new_uid, sts_uid);
        sts_uid = new_uid;
        let adopted = sim.wait_for("the new StatefulSet adopts the pods", 30, || {
            let p = pods(&sim);
            (p.len() == 3 && p.iter().all(|p| p.2 == sts_uid)).then_some(p)
        });
        assert_eq!(
            adopted.iter().map(|p| p.1.clone()).collect::<Vec<_>>(),
            uids,
            "round {round}: adopted, not re-created"
        );
        // The orphaned ControllerRevision is adopted too (adoptOrphanRevisions): the same
        // template keeps its one revision, so nothing rolls.
        let revs = sim.ok(&["get", "controllerrevisions", "-o", "name"]);
        assert_eq!(revs.lines().count(), 1, "round {round}: {revs}");
    }
}
