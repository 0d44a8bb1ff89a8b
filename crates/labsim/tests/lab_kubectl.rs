//! The seed's lab, command by command, through the real `kubectl` against labsim with real
//! `mariadbd` pods: nodes, apply, ordered start, ordered re-creation with new UIDs, sc/sts/pvc,
//! SQL through exec (also with a TTY and the password prompt), persistence across pod deletion,
//! idempotent re-apply, an image change that keeps `env`, and scaling that keeps each ordinal's data.

use testkit::{manifest, text, Background, Sim};

/// The labsim binary cargo built for these tests.
const LABSIM: &str = env!("CARGO_BIN_EXE_labsim");

/// `kubectl get pod -w` in the background, given time to list and open the watch before the
/// change under test.
fn start_watch(sim: &Sim) -> Background {
    let w = sim.background(&["get", "pod", "-w"]);
    std::thread::sleep(std::time::Duration::from_millis(1500));
    w
}

/// A stopped watch's lines.
fn watched_lines(w: Background) -> Vec<String> {
    w.stop().lines().map(str::to_string).collect()
}

/// Index of the first line where `pod` shows `status` (e.g. "Running" with "1/1").
fn first(lines: &[String], pod: &str, ready: &str) -> usize {
    lines
        .iter()
        .position(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            cols.first() == Some(&pod) && cols.get(1) == Some(&ready)
        })
        .unwrap_or_else(|| panic!("{pod} never showed READY {ready} in:\n{}", lines.join("\n")))
}

#[test]
fn the_seed_lab_through_kubectl() {
    let sim = Sim::up(LABSIM);

    // kubectl get node
    let nodes = sim.ok(&["get", "node"]);
    let rows = testkit::columns(&nodes);
    assert_eq!(
        rows[0],
        ["NAME", "STATUS", "ROLES", "AGE", "VERSION"],
        "{nodes}"
    );
    assert_eq!(rows.len(), 4, "{nodes}");
    for (row, name) in rows[1..]
        .iter()
        .zip(["minikube", "minikube-m02", "minikube-m03"])
    {
        assert_eq!(
            (row[0], row[1], row[4]),
            (name, "Ready", "v1.33.1"),
            "{nodes}"
        );
    }
    assert_eq!(rows[1][2], "control-plane");
    assert_eq!(rows[2][2], "<none>");

    // kubectl apply -f 1-sts-mysql.yaml, watched by kubectl get pod -w
    let watch = start_watch(&sim);
    let applied = sim.ok(&["apply", "-f", &manifest("1-sts-mysql.yaml")]);
    for line in ["service/mysql created", "statefulset.apps/mysql created"] {
        assert!(applied.contains(line), "{applied}");
    }
    sim.wait_ready(3, 180);
    let lines = watched_lines(watch);
    let (r0, r1, r2) = (
        first(&lines, "mysql-0", "1/1"),
        first(&lines, "mysql-1", "0/1"),
        first(&lines, "mysql-2", "0/1"),
    );
    assert!(
        r0 < r1 && r1 < r2,
        "creation order must be 0,1,2:\n{}",
        lines.join("\n")
    );
    assert!(
        first(&lines, "mysql-1", "1/1") < r2,
        "mysql-2 must wait for mysql-1 to be Ready"
    );

    // kubectl delete pod -l app=mysql && kubectl get pods -w
    let before = sim.pod_uids("app=mysql");
    let watch = start_watch(&sim);
    let deleted = sim.ok(&["delete", "pod", "-l", "app=mysql"]);
    for i in 0..3 {
        assert!(
            deleted.contains(&format!("pod \"mysql-{i}\" deleted")),
            "{deleted}"
        );
    }
    sim.wait_ready(3, 180);
    let lines = watched_lines(watch);
    let after = sim.pod_uids("app=mysql");
    for (b, a) in before.iter().zip(&after) {
        assert_ne!(b, a, "re-created pods must have new UIDs");
    }
    let ready: Vec<usize> = (0..3)
        .map(|i| {
            lines
                .iter()
                .rposition(|l| l.starts_with(&format!("mysql-{i} ")) && l.contains("1/1"))
                .unwrap()
        })
        .collect();
    assert!(
        ready[0] < ready[1] && ready[1] < ready[2],
        "re-creation order 0,1,2:\n{}",
        lines.join("\n")
    );

    // kubectl get sc / sts / pvc
    let sc = sim.ok(&["get", "sc"]);
    let row: Vec<&str> = sc.lines().nth(1).unwrap().split_whitespace().collect();
    assert_eq!(
        row[..7],
        [
            "standard",
            "(default)",
            "k8s.io/minikube-hostpath",
            "Delete",
            "Immediate",
            "false",
            row[6]
        ],
        "{sc}"
    );
    let sts = sim.ok(&["get", "sts"]);
    assert!(
        sts.lines().nth(1).unwrap().starts_with("mysql") && sts.contains("3/3"),
        "{sts}"
    );
    let pvc = sim.ok(&["get", "pvc"]);
    for i in 0..3 {
        let line = pvc
            .lines()
            .find(|l| l.starts_with(&format!("data-mysql-{i} ")))
            .unwrap_or_else(|| panic!("{pvc}"));
        assert!(
            line.contains("Bound")
                && line.contains("RWO")
                && line.contains("standard")
                && line.contains("1Gi"),
            "{pvc}"
        );
    }

    // kubectl exec -it mysql-0 -- mysql -u root -p (a real TTY, the password typed at the prompt)
    let interactive = {
        let kc = sim.kubeconfig.clone();
        let script = format!(
            "(sleep 2; printf 'password\\n'; sleep 1; printf 'SHOW DATABASES;\\n'; sleep 1; printf 'exit\\n') | script -qec 'kubectl --kubeconfig {} exec -it mysql-0 -- mysql -u root -p' /dev/null",
            kc.display()
        );
        let mut c = std::process::Command::new("sh");
        c.args(["-c", &script]).env("HOME", sim.home.path());
        testkit::run_with_timeout(c, std::time::Duration::from_secs(30))
    };
    let shown = String::from_utf8_lossy(&interactive.stdout);
    assert!(shown.contains("Enter password:"), "{}", text(&interactive));
    assert!(
        shown.contains("performance_schema"),
        "{}",
        text(&interactive)
    );

    // SHOW DATABASES: the four system schemas
    let dbs = sim.sql("mysql-0", "SHOW DATABASES");
    for db in ["information_schema", "mysql", "performance_schema", "sys"] {
        assert!(dbs.lines().any(|l| l.trim() == db), "{dbs}");
    }
    sim.sql("mysql-0",
        "CREATE DATABASE testdb; USE testdb; CREATE TABLE users (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255)); INSERT INTO users (name) VALUES ('Alice'), ('Bob');",
    );
    let rows = sim.sql("mysql-0", "SELECT * FROM testdb.users");
    assert_eq!(rows.trim(), "id\tname\n1\tAlice\n2\tBob", "{rows}");

    // kubectl delete pod mysql-0: the rows survive
    let out = sim.ok(&["delete", "pod", "mysql-0"]);
    assert!(out.contains("pod \"mysql-0\" deleted"), "{out}");
    sim.wait_ready(3, 120);
    let rows = sim.sql("mysql-0", "SELECT * FROM testdb.users");
    assert_eq!(rows.trim(), "id\tname\n1\tAlice\n2\tBob", "{rows}");
    // The replicas are independent databases.
    assert!(!sim.sql("mysql-1", "SHOW DATABASES").contains("testdb"));

    // A second apply changes nothing.
    let again = sim.ok(&["apply", "-f", &manifest("1-sts-mysql.yaml")]);
    assert!(
        again.contains("statefulset.apps/mysql unchanged")
            && again.contains("service/mysql unchanged"),
        "{again}"
    );

    // An apply that changes the image keeps env (strategic merge), and the rollout completes.
    let changed = std::fs::read_to_string(manifest("1-sts-mysql.yaml")).unwrap();
    let image_line = changed
        .lines()
        .find(|l| l.trim_start().starts_with("image: mysql:"))
        .expect("pinned mysql image")
        .to_string();
    let indent = &image_line[..image_line.len() - image_line.trim_start().len()];
    assert!(!image_line.contains("mysql:8.0.40"));
    let new = changed.replace(&image_line, &format!("{indent}image: mysql:8.0.40"));
    let newfile = sim.state().join("changed.yaml");
    std::fs::write(&newfile, &new).unwrap();
    let out = sim.ok(&["apply", "-f", newfile.to_str().unwrap()]);
    assert!(out.contains("statefulset.apps/mysql configured"), "{out}");
    let sts = sim.json(&["get", "sts", "mysql"]);
    let container = &sts["spec"]["template"]["spec"]["containers"][0];
    assert!(
        container["env"]
            .as_array()
            .is_some_and(|e| e.iter().any(|v| v["name"] == "MYSQL_ROOT_PASSWORD")),
        "env lost: {container}"
    );
    let rollout = sim.ok(&["rollout", "status", "sts/mysql", "--timeout=180s"]);
    assert!(
        rollout.contains("complete")
            || rollout.contains("roll out complete")
            || rollout.contains("partitioned roll out complete"),
        "{rollout}"
    );
    sim.wait_ready(3, 120);
    assert_eq!(
        sim.sql("mysql-0", "SELECT name FROM testdb.users ORDER BY id")
            .trim(),
        "name\nAlice\nBob"
    );

    // Scale down and up: the highest ordinal goes first and its PVC (and data) stays.
    sim.sql("mysql-2", "CREATE DATABASE only_on_2");
    let out = sim.ok(&["scale", "sts", "mysql", "--replicas=1"]);
    assert!(out.contains("statefulset.apps/mysql scaled"), "{out}");
    sim.wait_for("scale down to 1", 120, || {
        let names = sim.ok(&["get", "pods", "-l", "app=mysql", "-o", "name"]);
        (names.trim() == "pod/mysql-0").then_some(())
    });
    assert_eq!(
        sim.ok(&["get", "pvc", "-o", "name"]).lines().count(),
        3,
        "PVCs must stay after scale-down"
    );
    sim.ok(&["scale", "sts", "mysql", "--replicas=3"]);
    sim.wait_ready(3, 180);
    assert!(
        sim.sql("mysql-2", "SHOW DATABASES").contains("only_on_2"),
        "mysql-2 got its old PVC back"
    );
}
