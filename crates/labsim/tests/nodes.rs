//! Nodes and their disks through the real `kubectl` and the `labsim` CLI, with real `mariadbd`
//! pods: the multi-node hostPath trap of minikube's storage-provisioner (minikube #12165,
//! #11765) and `kubectl cordon`/`drain`; rancher's local-path addon keeping a pod on its node;
//! a stopped node (kube-controller-manager's node lifecycle and taint eviction controllers); the
//! API server's StatefulSet update validation (pkg/apis/apps/validation/validation.go).

use testkit::{text, write_file, Sim};

const LABSIM: &str = env!("CARGO_BIN_EXE_labsim");

/// One MySQL StatefulSet `name` of `replicas`, claims of `class` (None: the default class).
fn set_yaml(name: &str, replicas: u32, class: Option<&str>) -> String {
    let class = class
        .map(|c| format!("\n        storageClassName: {c}"))
        .unwrap_or_default();
    format!(
        r#"apiVersion: v1
kind: Secret
metadata:
  name: mysql-secret
stringData:
  password: password
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: {name}
spec:
  serviceName: {name}
  replicas: {replicas}
  selector:
    matchLabels:
      app: mysql
  template:
    metadata:
      labels:
        app: mysql
    spec:
      containers:
        - name: mysql
          image: mysql:8.4.3
          env:
            - name: MYSQL_ROOT_PASSWORD
              valueFrom:
                secretKeyRef:
                  name: mysql-secret
                  key: password
          volumeMounts:
            - name: data
              mountPath: /var/lib/mysql
          readinessProbe:
            exec:
              command: ["sh", "-c", "mysqladmin ping -h 127.0.0.1 -uroot -p\"${{MYSQL_ROOT_PASSWORD}}\""]
            periodSeconds: 1
            failureThreshold: 120
  volumeClaimTemplates:
    - metadata:
        name: data
      spec:
        accessModes: ["ReadWriteOnce"]{class}
        resources:
          requests:
            storage: 1Gi
"#
    )
}

fn apply(sim: &Sim, name: &str, replicas: u32, class: Option<&str>) {
    let file = write_file(
        sim.state(),
        &format!("{name}.yaml"),
        &set_yaml(name, replicas, class),
    );
    sim.ok(&["apply", "-f", &file]);
}

fn node_of(sim: &Sim, pod: &str) -> String {
    sim.ok(&["get", "pod", pod, "-o", "jsonpath={.spec.nodeName}"])
}

fn uid_of(sim: &Sim, pod: &str) -> String {
    sim.ok(&["get", "pod", pod, "-o", "jsonpath={.metadata.uid}"])
}

fn events_of(sim: &Sim, name: &str) -> String {
    sim.ok(&[
        "get",
        "events",
        "--field-selector",
        &format!("involvedObject.name={name}"),
        "-o",
        "custom-columns=REASON:.reason,MESSAGE:.message",
    ])
}

/// A database created on a pod stays on its node's disk: the pod re-created on another node
/// starts on an empty directory (MySQL initialises afresh), as on a multi-node minikube.
#[test]
fn cordon_drain_and_the_hostpath_trap() {
    let sim = Sim::up(LABSIM);
    apply(&sim, "mysql", 1, None);
    sim.wait_ready(1, 120);
    assert_eq!(node_of(&sim, "mysql-0"), "minikube");
    sim.sql("mysql-0", "CREATE DATABASE trap");
    let on_minikube = sim
        .state()
        .join("nodes/minikube/disk/tmp/hostpath-provisioner/default/data-mysql-0");
    assert!(
        on_minikube.join("trap").is_dir(),
        "{}",
        on_minikube.display()
    );

    // The PV controller and the image manager as upstream words them.
    let claim_events = events_of(&sim, "data-mysql-0");
    assert!(
        claim_events.contains("Waiting for a volume to be created either by the external provisioner 'k8s.io/minikube-hostpath' or manually by the system administrator."),
        "{claim_events}"
    );
    let pod_events = events_of(&sim, "mysql-0");
    assert!(
        pod_events.contains("Pulling image \"mysql:8.4.3\""),
        "{pod_events}"
    );
    assert!(
        pod_events.contains("Successfully pulled image \"mysql:8.4.3\" in "),
        "{pod_events}"
    );

    // The API server refuses to change what a StatefulSet cannot change.
    let out = sim.kubectl(&[
        "patch",
        "sts",
        "mysql",
        "--type=merge",
        "-p",
        r#"{"spec":{"podManagementPolicy":"Parallel"}}"#,
    ]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(
            "The StatefulSet \"mysql\" is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"
        ),
        "{}",
        text(&out)
    );

    // kubectl drain: cordon, evict through pods/eviction, wait for the pod to go.
    let old = uid_of(&sim, "mysql-0");
    let drained = sim.ok(&[
        "drain",
        "minikube",
        "--ignore-daemonsets",
        "--delete-emptydir-data",
        "--timeout=120s",
    ]);
    assert!(drained.contains("node/minikube cordoned"), "{drained}");
    assert!(drained.contains("pod/mysql-0 evicted"), "{drained}");
    assert!(drained.contains("node/minikube drained"), "{drained}");
    let nodes = sim.ok(&["get", "node", "minikube"]);
    assert!(nodes.contains("Ready,SchedulingDisabled"), "{nodes}");
    sim.wait_for("mysql-0 re-created", 60, || {
        let out = sim.kubectl(&["get", "pod", "mysql-0", "-o", "jsonpath={.metadata.uid}"]);
        let uid = String::from_utf8_lossy(&out.stdout).into_owned();
        (out.status.success() && !uid.is_empty() && uid != old).then_some(())
    });
    sim.wait_ready(1, 120);
    assert_eq!(node_of(&sim, "mysql-0"), "minikube-m02");
    let dbs = sim.sql("mysql-0", "SHOW DATABASES");
    assert!(
        !dbs.contains("trap"),
        "a fresh data directory on minikube-m02: {dbs}"
    );
    // The first start on minikube-m02 pulled the image there too.
    let pod_events = events_of(&sim, "mysql-0");
    assert!(pod_events.contains("Pulling image"), "{pod_events}");
    // The old data is still on minikube's disk.
    assert!(on_minikube.join("trap").is_dir());

    // Deleting the claim removes only the provisioner's (minikube's) copy: a claim of the same
    // name whose pod lands on minikube-m02 again finds that node's old data (minikube #12165).
    sim.sql("mysql-0", "CREATE DATABASE worker");
    sim.ok(&["delete", "sts", "mysql"]);
    sim.wait_for("mysql-0 gone", 60, || {
        (!sim.kubectl(&["get", "pod", "mysql-0"]).status.success()).then_some(())
    });
    sim.ok(&[
        "delete",
        "pvc",
        "data-mysql-0",
        "--wait=true",
        "--timeout=60s",
    ]);
    sim.wait_for("the PV gone", 60, || {
        sim.ok(&["get", "pv", "-o", "name"])
            .trim()
            .is_empty()
            .then_some(())
    });
    assert!(!on_minikube.exists(), "minikube's copy removed");
    apply(&sim, "mysql", 1, None);
    sim.wait_ready(1, 120);
    assert_eq!(node_of(&sim, "mysql-0"), "minikube-m02");
    let dbs = sim.sql("mysql-0", "SHOW DATABASES");
    assert!(
        dbs.contains("worker"),
        "the new claim found the old data: {dbs}"
    );

    let out = sim.ok(&["uncordon", "minikube"]);
    assert!(out.contains("node/minikube uncordoned"), "{out}");
}

/// With minikube's `storage-provisioner-rancher` addon the claim is pinned to the node of its
/// first pod: the pod waits for that node rather than start elsewhere without its data.
#[test]
fn local_path_keeps_the_pod_on_its_node() {
    let sim = Sim::up(LABSIM);
    let out = sim.labsim(&["addons", "enable", "storage-provisioner-rancher"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("'storage-provisioner-rancher' 애드온이 활성화되었습니다"),
        "{}",
        text(&out)
    );
    let sc = sim.ok(&["get", "sc"]);
    assert!(
        sc.contains("local-path (default)") && sc.contains("WaitForFirstConsumer"),
        "{sc}"
    );
    apply(&sim, "mysql", 1, None);
    sim.wait_ready(1, 120);
    let node = node_of(&sim, "mysql-0");
    sim.sql("mysql-0", "CREATE DATABASE kept");
    let pvc = sim.json(&["get", "pvc", "data-mysql-0"]);
    assert_eq!(pvc["spec"]["storageClassName"], "local-path");
    assert_eq!(
        pvc["metadata"]["annotations"]["volume.kubernetes.io/selected-node"],
        node.as_str()
    );
    let claim_events = events_of(&sim, "data-mysql-0");
    assert!(
        claim_events.contains("WaitForFirstConsumer")
            || claim_events.contains("ExternalProvisioning"),
        "{claim_events}"
    );

    sim.ok(&["cordon", &node]);
    let old = uid_of(&sim, "mysql-0");
    sim.ok(&["delete", "pod", "mysql-0"]);
    sim.wait_for("a FailedScheduling for the pinned volume", 60, || {
        let ev = events_of(&sim, "mysql-0");
        (ev.contains("FailedScheduling")
            && ev.contains("didn't match PersistentVolume's node affinity"))
        .then_some(())
    });
    assert_ne!(uid_of(&sim, "mysql-0"), old);
    assert_eq!(node_of(&sim, "mysql-0"), "");
    sim.ok(&["uncordon", &node]);
    sim.wait_ready(1, 120);
    assert_eq!(node_of(&sim, "mysql-0"), node);
    assert!(sim.sql("mysql-0", "SHOW DATABASES").contains("kept"));

    let out = sim.labsim(&["addons", "disable", "storage-provisioner-rancher"]);
    assert!(out.status.success(), "{}", text(&out));
}

/// `labsim node stop`: the node's pod processes die, the node goes NotReady, its pod is marked
/// for deletion after its toleration and stays Terminating; the StatefulSet does not replace it
/// until `kubectl delete pod --force --grace-period=0`.
#[test]
fn a_stopped_node_keeps_its_pods_terminating_until_force_deleted() {
    let mut sim = Sim::up(LABSIM);
    // Shorter timings than upstream's 50 s and 300 s, through labsim's options.
    sim.stop();
    let out = sim.labsim(&[
        "up",
        "--port",
        "0",
        "--node-monitor-grace-period",
        "2s",
        "--default-unreachable-toleration-seconds",
        "3",
        "--default-not-ready-toleration-seconds",
        "3",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    apply(&sim, "mysql", 2, None);
    sim.wait_ready(2, 180);
    assert_eq!(node_of(&sim, "mysql-1"), "minikube-m02");
    let servers = sim.mariadbd_pids().len();

    let out = sim.labsim(&["node", "stop", "minikube-m02"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout)
        .contains("minikube-m02 노드가 정상적으로 중지되었습니다"));
    sim.wait_for("mysql-1's mariadbd to die", 30, || {
        (sim.mariadbd_pids().len() == servers - 1).then_some(())
    });
    sim.wait_for("minikube-m02 NotReady", 30, || {
        sim.ok(&["get", "node", "minikube-m02"])
            .contains("NotReady")
            .then_some(())
    });
    let node = sim.json(&["get", "node", "minikube-m02"]);
    let taints = node["spec"]["taints"].to_string();
    assert!(
        taints.contains("node.kubernetes.io/unreachable"),
        "{taints}"
    );
    let old = uid_of(&sim, "mysql-1");
    sim.wait_for("mysql-1 marked for deletion", 30, || {
        let p = sim.json(&["get", "pod", "mysql-1"]);
        (!p["metadata"]["deletionTimestamp"].is_null()).then_some(())
    });
    // No kubelet finishes it and the set does not replace it.
    std::thread::sleep(std::time::Duration::from_secs(3));
    assert_eq!(uid_of(&sim, "mysql-1"), old);
    let pods = sim.ok(&["get", "pod", "mysql-1"]);
    assert!(pods.contains("Terminating"), "{pods}");

    let out = sim.kubectl(&["delete", "pod", "mysql-1", "--force", "--grace-period=0"]);
    assert!(out.status.success(), "{}", text(&out));
    sim.wait_ready(2, 120);
    assert_eq!(node_of(&sim, "mysql-1"), "minikube-m03");

    let out = sim.labsim(&["node", "start", "minikube-m02"]);
    assert!(out.status.success(), "{}", text(&out));
    sim.wait_for("minikube-m02 Ready again", 30, || {
        let n = sim.ok(&["get", "node", "minikube-m02", "--no-headers"]);
        (n.split_whitespace().nth(1) == Some("Ready")).then_some(())
    });
    // The control plane cannot be stopped.
    let out = sim.labsim(&["node", "stop", "minikube"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("컨트롤 플레인"),
        "{}",
        text(&out)
    );
}
