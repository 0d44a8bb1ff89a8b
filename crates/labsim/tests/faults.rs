//! Faults through the real clients: broken requests get Kubernetes errors and the server keeps
//! serving; a killed mariadbd is restarted (RESTARTS counts it) with its data; a SIGKILLed labsim
//! comes back with the same objects, pods and rows.

use testkit::{manifest, text, Sim};

/// The labsim binary cargo built for these tests.
const LABSIM: &str = env!("CARGO_BIN_EXE_labsim");

#[test]
fn bad_requests_get_errors_and_nothing_is_lost() {
    let sim = Sim::up(LABSIM);
    sim.ok(&["create", "configmap", "keep", "--from-literal=a=1"]);

    // Unknown resource type.
    let out = sim.kubectl(&["get", "widgets"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("the server doesn't have a resource type \"widgets\""),
        "{}",
        text(&out)
    );

    // A body that is not JSON, straight to the API.
    let junk = sim.state().join("junk.json");
    std::fs::write(&junk, "{not json").unwrap();
    let out = sim.kubectl(&[
        "create",
        "--raw",
        "/api/v1/namespaces/default/configmaps",
        "-f",
        junk.to_str().unwrap(),
    ]);
    assert!(!out.status.success(), "{}", text(&out));

    // An invalid name and a duplicate.
    let out = sim.kubectl(&["create", "configmap", "Bad_Name"]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("is invalid"),
        "{}",
        text(&out)
    );
    let out = sim.kubectl(&["create", "configmap", "keep"]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("AlreadyExists")
            || String::from_utf8_lossy(&out.stderr).contains("already exists"),
        "{}",
        text(&out)
    );

    // A wrong token.
    let out = sim.kubectl(&["--token", "wrong", "get", "pods"]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Unauthorized")
            || String::from_utf8_lossy(&out.stderr).contains("provide credentials"),
        "{}",
        text(&out)
    );

    // A broken YAML manifest: kubectl reports it and nothing changes.
    let broken = sim.state().join("broken.yaml");
    std::fs::write(
        &broken,
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n data: [\n",
    )
    .unwrap();
    let out = sim.kubectl(&["apply", "-f", broken.to_str().unwrap()]);
    assert!(!out.status.success(), "{}", text(&out));

    // Still serving, nothing lost.
    assert_eq!(sim.json(&["get", "cm", "keep"])["data"]["a"], "1");
}

#[test]
fn killed_mariadbd_restarts_and_sigkilled_labsim_comes_back() {
    let sim = Sim::up(LABSIM);
    sim.ok(&["apply", "-f", &manifest("1-sts-mysql.yaml")]);
    sim.wait_ready(3, 180);
    sim.sql("mysql-0", "CREATE DATABASE survivor; CREATE TABLE survivor.t (v INT); INSERT INTO survivor.t VALUES (42)");

    // Kill mysql-0's mariadbd: the kubelet restarts it and RESTARTS counts it.
    let pids = sim.mariadbd_pids();
    assert_eq!(pids.len(), 3, "three mariadbd processes: {pids:?}");
    let pod = sim.json(&["get", "pod", "mysql-0"]);
    let uid = pod["metadata"]["uid"].as_str().unwrap().to_string();
    // mysql-0's server: its sandbox binds mysql-0's run dir (named with the pod's uid).
    let victim = pids
        .iter()
        .find(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/mountinfo"))
                .unwrap_or_default()
                .contains(&uid)
        })
        .expect("mysql-0's mariadbd")
        .to_string();
    assert!(std::process::Command::new("kill")
        .args(["-9", &victim])
        .status()
        .unwrap()
        .success());
    sim.wait_for("RESTARTS 1 on mysql-0", 60, || {
        let p = sim.json(&["get", "pod", "mysql-0"]);
        (p["status"]["containerStatuses"][0]["restartCount"].as_i64() == Some(1)).then_some(())
    });
    sim.wait_ready(3, 60);
    let line = sim.ok(&["get", "pod", "mysql-0"]);
    assert!(
        line.lines().nth(1).unwrap().split_whitespace().nth(3) == Some("1"),
        "RESTARTS column: {line}"
    );
    assert_eq!(
        sim.sql("mysql-0", "SELECT v FROM survivor.t").trim(),
        "v\n42"
    );

    // SIGKILL labsim itself: up again brings back the same objects, pods and rows.
    let before = sim.json(&["get", "sts", "mysql"])["metadata"]["uid"].clone();
    let pid = std::fs::read_to_string(sim.state().join("labsim.pid")).unwrap();
    assert!(std::process::Command::new("kill")
        .args(["-9", pid.trim()])
        .status()
        .unwrap()
        .success());
    for _ in 0..100 {
        if !std::path::Path::new(&format!("/proc/{}", pid.trim())).exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // Nothing of the pods survives it: no bwrap, no mariadbd, no process holding a mount of
    // the state dir (mounts and namespaces live only as long as a process holds them).
    sim.wait_for("every sandbox gone with labsim", 10, || {
        sim.sandboxed_pids().is_empty().then_some(())
    });
    let up = sim.labsim(&["up"]);
    assert!(up.status.success(), "{}", text(&up));
    assert_eq!(
        sim.json(&["get", "sts", "mysql"])["metadata"]["uid"],
        before
    );
    sim.wait_ready(3, 180);
    assert_eq!(
        sim.sql("mysql-0", "SELECT v FROM survivor.t").trim(),
        "v\n42"
    );
    let pids = sim.mariadbd_pids();
    assert_eq!(
        pids.len(),
        3,
        "orphans reaped, one mariadbd per pod: {pids:?}"
    );
}
