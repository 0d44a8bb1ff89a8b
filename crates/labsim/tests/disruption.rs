//! PodDisruptionBudget through the real `kubectl`: served as `policy/v1` (`kubectl get pdb`
//! with pkg/printers/internalversion/printers.go's columns), its status written as
//! pkg/controller/disruption does, and `kubectl drain` refused with the eviction subresource's
//! 429 (pkg/registry/core/pod/storage/eviction.go) and retrying while the budget would break,
//! then going through once the budget allows it.

use testkit::{columns, text, write_file, Sim};

/// The labsim binary cargo built for these tests.
const LABSIM: &str = env!("CARGO_BIN_EXE_labsim");

/// Three busybox pods started in parallel (the shared fixture) and a budget that allows none
/// of them to go.
const STS: &str = concat!(
    include_str!("testdata/web-busybox.yaml"),
    "---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: web-pdb
spec:
  minAvailable: 3
  selector:
    matchLabels:
      app: web
"
);

#[test]
fn budgets_are_served_and_drain_honours_them() {
    let sim = Sim::up(LABSIM);
    let file = write_file(sim.state(), "web.yaml", STS);
    sim.ok(&["apply", "-f", &file]);
    sim.ok(&[
        "wait",
        "--for=condition=Ready",
        "pod/web-0",
        "pod/web-1",
        "pod/web-2",
        "--timeout=60s",
    ]);
    // 3 healthy of 3 expected, 3 desired: nothing may go.
    let pdb = sim.wait_for("the budget's status", 20, || {
        let p = sim.json(&["get", "pdb", "web-pdb"]);
        (p["status"]["currentHealthy"] == 3).then_some(p)
    });
    let st = &pdb["status"];
    assert_eq!(
        (
            &st["desiredHealthy"],
            &st["expectedPods"],
            &st["disruptionsAllowed"]
        ),
        (&3.into(), &3.into(), &0.into())
    );
    assert_eq!(st["conditions"][0]["type"], "DisruptionAllowed");
    assert_eq!(st["conditions"][0]["reason"], "InsufficientPods");
    let table = sim.ok(&["get", "pdb"]);
    let rows = columns(&table);
    assert_eq!(
        rows[0],
        [
            "NAME",
            "MIN",
            "AVAILABLE",
            "MAX",
            "UNAVAILABLE",
            "ALLOWED",
            "DISRUPTIONS",
            "AGE"
        ]
    );
    assert_eq!(rows[1][..4], ["web-pdb", "3", "N/A", "0"]);
    assert!(
        table
            .starts_with("NAME      MIN AVAILABLE   MAX UNAVAILABLE   ALLOWED DISRUPTIONS   AGE\n"),
        "{table}"
    );

    // kubectl drain: refused with 429, retried every 5 s, until its own timeout.
    let node = sim.ok(&["get", "pod", "web-0", "-o", "jsonpath={.spec.nodeName}"]);
    let out = sim.kubectl(&[
        "drain",
        &node,
        "--ignore-daemonsets",
        "--delete-emptydir-data",
        "--timeout=7s",
    ]);
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    assert!(
        all.contains("Cannot evict pod as it would violate the pod's disruption budget."),
        "{all}"
    );
    assert!(all.contains("(will retry after 5s)"), "{all}");
    assert_eq!(
        sim.ok(&[
            "get",
            "pod",
            "web-0",
            "-o",
            "jsonpath={.metadata.deletionTimestamp}"
        ]),
        "",
        "web-0 stays"
    );

    // One disruption allowed: the drain evicts web-0 (its node stays cordoned).
    sim.ok(&[
        "patch",
        "pdb",
        "web-pdb",
        "--type=merge",
        "-p",
        r#"{"spec":{"minAvailable":2}}"#,
    ]);
    sim.wait_for("one disruption allowed", 20, || {
        let p = sim.json(&["get", "pdb", "web-pdb"]);
        (p["status"]["disruptionsAllowed"] == 1 && p["status"]["observedGeneration"] == 2)
            .then_some(())
    });
    let out = sim.kubectl(&[
        "drain",
        &node,
        "--ignore-daemonsets",
        "--delete-emptydir-data",
        "--timeout=60s",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("pod/web-0 evicted"), "{}", text(&out));
    sim.ok(&["uncordon", &node]);
}
