//! The Kubernetes tutorial "Run a Replicated Stateful Application"
//! (kubernetes.io/docs/tasks/run-application/run-replicated-stateful-application/) on labsim, its
//! three manifests unchanged (`testdata/mysql-tutorial/`, from kubernetes/website
//! `content/en/examples/application/mysql/`), driven by the tutorial's own kubectl commands:
//! pods of two containers (`mysql` and the `xtrabackup` sidecar) after two init containers
//! (`init-mysql`, `clone-mysql`) reach 3/3 Ready, a write through `mysql-0.mysql` is read
//! through `mysql-read` from replicas that cloned the primary, reads spread over several
//! `@@server_id`s, a secondary refuses writes, scaling to 5 clones and replicates, and a deleted
//! replica comes back and replicates new writes. Every wait is bounded.

use std::io::Write;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use testkit::{text, Sim};

/// The labsim binary cargo built for these tests.
const LABSIM: &str = env!("CARGO_BIN_EXE_labsim");

/// How long one client command may take.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(90);

fn testdata(file: &str) -> String {
    format!(
        "{}/tests/testdata/mysql-tutorial/{file}",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// Runs kubectl with `stdin` fed to it (a here-document in the tutorial), killed after
/// [`CLIENT_TIMEOUT`].
fn kubectl_stdin(sim: &Sim, args: &[&str], stdin: &str) -> Output {
    let mut child = sim
        .kubectl_cmd(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn kubectl");
    let mut input = child.stdin.take().expect("stdin");
    let body = stdin.to_string();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(body.as_bytes());
    });
    let deadline = Instant::now() + CLIENT_TIMEOUT;
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = writer.join();
    child.wait_with_output().expect("output")
}

/// The tutorial's throwaway client pod: `kubectl run NAME --image=mysql:5.7 -i --rm
/// --restart=Never -- mysql ARGS` with `sql` on its stdin.
fn client(sim: &Sim, name: &str, mysql_args: &[&str], sql: &str) -> Output {
    let mut args = vec![
        "run",
        name,
        "--image=mysql:5.7",
        "-i",
        "--rm",
        "--restart=Never",
        "--",
        "mysql",
    ];
    args.extend(mysql_args);
    kubectl_stdin(sim, &args, sql)
}

/// `client` that must succeed; its stdout.
fn client_ok(sim: &Sim, name: &str, mysql_args: &[&str], sql: &str) -> String {
    let out = client(sim, name, mysql_args, sql);
    assert!(
        out.status.success(),
        "kubectl run {name} -- mysql {mysql_args:?}:\n{}",
        text(&out)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// SQL run in a pod's `mysql` container (`kubectl exec POD -c mysql -- mysql -h 127.0.0.1 -e`).
fn sql_in(sim: &Sim, pod: &str, query: &str) -> Output {
    sim.kubectl(&[
        "exec",
        pod,
        "-c",
        "mysql",
        "--",
        "mysql",
        "-h",
        "127.0.0.1",
        "-N",
        "-e",
        query,
    ])
}

/// Waits until `pod`'s copy of `test.messages` has `row`.
fn wait_row(sim: &Sim, pod: &str, row: &str) {
    sim.wait_for(&format!("row {row:?} on {pod}"), 60, || {
        let out = sql_in(sim, pod, "SELECT message FROM test.messages");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .any(|l| l == row)
            .then_some(())
    });
}

/// Waits until `n` pods of `app=mysql` are Ready and none is being deleted (a small table, not
/// `-o json`: five pods of two containers print more than a pipe holds before kubectl exits).
fn wait_ready(sim: &Sim, n: usize, secs: u64) {
    sim.wait_for(&format!("{n} ready mysql pods"), secs, || {
        let out = sim.ok(&[
            "get",
            "pods",
            "-l",
            "app=mysql",
            "--no-headers",
            "-o",
            "custom-columns=NAME:.metadata.name,DELETING:.metadata.deletionTimestamp,READY:.status.conditions[?(@.type==\"Ready\")].status",
        ]);
        let rows: Vec<Vec<&str>> = out.lines().map(|l| l.split_whitespace().collect()).collect();
        let ready = rows
            .iter()
            .filter(|r| r.len() == 3 && r[1] == "<none>" && r[2] == "True")
            .count();
        (ready == n && rows.len() == n).then_some(())
    });
}

fn uid(sim: &Sim, pod: &str) -> String {
    sim.ok(&["get", "pod", pod, "-o", "jsonpath={.metadata.uid}"])
}

#[test]
fn replicated_stateful_application_tutorial() {
    let t0 = Instant::now();
    let sim = Sim::up(LABSIM);

    // "Deploy MySQL": the three manifests, applied as the tutorial does.
    for f in [
        "mysql-configmap.yaml",
        "mysql-services.yaml",
        "mysql-statefulset.yaml",
    ] {
        sim.ok(&["apply", "-f", &testdata(f)]);
    }
    let applied = Instant::now();
    wait_ready(&sim, 3, 240);
    let ready_after = applied.elapsed();
    eprintln!("tutorial: kubectl apply -> 3/3 Ready in {ready_after:?}");

    // Two containers per pod, both ready: READY 2/2. containerStatuses are sorted by name
    // (pkg/kubelet/status/status_manager.go normalizeStatus).
    let pods = sim.ok(&["get", "pods", "-l", "app=mysql", "--no-headers"]);
    assert_eq!(
        pods.lines().filter(|l| l.contains(" 2/2 ")).count(),
        3,
        "{pods}"
    );
    let p1 = sim.json(&["get", "pod", "mysql-1"]);
    let names: Vec<&str> = p1["status"]["containerStatuses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["mysql", "xtrabackup"]);
    for c in p1["status"]["containerStatuses"].as_array().unwrap() {
        assert_eq!(c["ready"], true, "{c}");
        assert_eq!(c["started"], true, "{c}");
        assert!(c["containerID"].as_str().unwrap().starts_with("docker://"));
    }

    // "Sending client traffic": write through the primary's stable name.
    client_ok(
        &sim,
        "mysql-client",
        &["-h", "mysql-0.mysql"],
        "CREATE DATABASE test;\nCREATE TABLE test.messages (message VARCHAR(250));\nINSERT INTO test.messages VALUES ('hello');\n",
    );
    // Read through mysql-read (any ready pod): the replicas have it once replicated.
    for pod in ["mysql-1", "mysql-2"] {
        wait_row(&sim, pod, "hello");
    }
    let read = client_ok(
        &sim,
        "mysql-client",
        &["-h", "mysql-read", "-e", "SELECT * FROM test.messages"],
        "",
    );
    assert!(read.lines().any(|l| l == "hello"), "{read}");

    // Reads spread over the servers behind mysql-read: several @@server_id values (100 + ordinal,
    // from init-mysql). The tutorial loops forever; a bounded loop here.
    let ids = client_ok(
        &sim,
        "mysql-client-loop",
        &["-h", "mysql-read", "-N", "-e", "SELECT @@server_id,NOW()"],
        "",
    );
    // (`kubectl run --rm` adds `pod "mysql-client-loop" deleted` to what it prints.)
    let server_id = |l: &str| {
        l.split_whitespace()
            .next()
            .filter(|w| w.parse::<u32>().is_ok())
            .map(str::to_string)
    };
    let mut seen: std::collections::BTreeSet<String> = ids.lines().filter_map(server_id).collect();
    assert_eq!(seen.len(), 1, "{ids}");
    for _ in 0..30 {
        if seen.len() >= 2 {
            break;
        }
        let out = sim.ok(&[
            "exec",
            "mysql-0",
            "-c",
            "mysql",
            "--",
            "bash",
            "-c",
            "for i in 1 2 3 4 5 6 7 8; do mysql -h mysql-read -N -e 'SELECT @@server_id,NOW()'; done",
        ]);
        seen.extend(out.lines().filter_map(server_id));
    }
    assert!(seen.len() >= 2, "one server behind mysql-read: {seen:?}");
    assert!(seen
        .iter()
        .all(|id| ["100", "101", "102"].contains(&id.as_str())));

    // A secondary refuses writes (secondary.cnf: super-read-only; labsim's nearest MariaDB
    // meaning refuses root too, with the read-only error 1290).
    let w = sql_in(&sim, "mysql-1", "INSERT INTO test.messages VALUES ('nope')");
    let err = String::from_utf8_lossy(&w.stderr);
    assert!(!w.status.success(), "a secondary took a write");
    assert!(
        err.contains("ERROR 1290") && err.contains("read-only"),
        "{err}"
    );

    // Containers are named on the API: logs and exec per container.
    let x = sim.ok(&["logs", "mysql-1", "-c", "xtrabackup"]);
    assert!(
        x.contains("Initializing replication from clone position"),
        "{x}"
    );
    let init = sim.ok(&["logs", "mysql-1", "-c", "init-mysql"]);
    assert!(
        init.contains("server-id=$((100 + $ordinal))") || init.contains("ordinal=1"),
        "{init}"
    );
    // Without a container on a pod of two, the API server answers 400 naming them
    // (pkg/registry/core/pod/strategy.go LogLocation); kubectl itself picks a default.
    let raw = sim.kubectl(&[
        "get",
        "--raw",
        "/api/v1/namespaces/default/pods/mysql-0/log",
    ]);
    assert!(
        String::from_utf8_lossy(&raw.stderr).contains("a container name must be specified for pod mysql-0, choose one of: [mysql xtrabackup] or one of the init containers: [init-mysql clone-mysql]"),
        "{}",
        text(&raw)
    );
    let host = sim.ok(&["exec", "mysql-2", "-c", "xtrabackup", "--", "hostname"]);
    assert_eq!(host.trim(), "mysql-2");

    // "Scaling the number of replicas": mysql-3 and mysql-4 clone from their predecessor and
    // replicate from the primary.
    sim.ok(&["scale", "statefulset", "mysql", "--replicas=5"]);
    wait_ready(&sim, 5, 240);
    for pod in ["mysql-3", "mysql-4"] {
        wait_row(&sim, pod, "hello");
    }
    client_ok(
        &sim,
        "mysql-client",
        &["-h", "mysql-0.mysql"],
        "INSERT INTO test.messages VALUES ('after scale');\n",
    );
    wait_row(&sim, "mysql-4", "after scale");

    // "Simulating Pod downtime": a deleted replica comes back (a new pod, its claim's data)
    // and replicates new writes.
    let old = uid(&sim, "mysql-2");
    sim.ok(&["delete", "pod", "mysql-2"]);
    sim.wait_for("mysql-2 re-created", 120, || {
        let u = sim.kubectl(&["get", "pod", "mysql-2", "-o", "jsonpath={.metadata.uid}"]);
        let u = String::from_utf8_lossy(&u.stdout).into_owned();
        (!u.is_empty() && u != old).then_some(())
    });
    wait_ready(&sim, 5, 240);
    client_ok(
        &sim,
        "mysql-client",
        &["-h", "mysql-0.mysql"],
        "INSERT INTO test.messages VALUES ('after delete');\n",
    );
    wait_row(&sim, "mysql-2", "after delete");
    wait_row(&sim, "mysql-2", "hello");
    eprintln!("tutorial: whole test in {:?}", t0.elapsed());
}
