//! Real sandboxes through the kubelet: a real bash script (the Kubernetes tutorial's
//! `init-mysql`, from kubernetes/website content/en/examples/application/mysql/
//! mysql-statefulset.yaml) runs as written, a pod's hostname is its name, and a pod sees and
//! writes nothing of the host but its volumes.

use std::time::Duration;

use serde_json::{json, Value};

use super::super::fixtures::*;
use crate::resources::get;

/// A `debian` pod on node minikube with `containers[0]` running `script` in bash, volumes
/// `conf` (emptyDir) and `config-map` (the tutorial's ConfigMap `mysql`).
fn bash_pod(name: &str, init: Value, script: &str) -> Value {
    json!({"metadata": {"name": name, "namespace": "default"},
        "spec": {"nodeName": "minikube", "subdomain": "mysql",
            "initContainers": init,
            "containers": [{"name": "main", "image": "debian:12", "command": ["bash", "-c", script],
                "volumeMounts": [{"name": "conf", "mountPath": "/mnt/conf.d"}]}],
            "volumes": [{"name": "conf", "emptyDir": {}},
                        {"name": "config-map", "configMap": {"name": "mysql"}}]}})
}

fn tutorial_config_map(store: &crate::store::Store) {
    // mysql-configmap.yaml of the same tutorial.
    store
        .create(
            get("ConfigMap"),
            Some("default"),
            json!({"metadata": {"name": "mysql", "labels": {"app": "mysql", "app.kubernetes.io/name": "mysql"}},
                "data": {"primary.cnf": "# Apply this config only on the primary.\n[mysqld]\nlog-bin\n",
                         "replica.cnf": "# Apply this config only on replicas.\n[mysqld]\nsuper-read-only\n"}}),
        )
        .unwrap();
}

/// The tutorial's `init-mysql` (backticks, `[[ =~ ]]`, BASH_REMATCH, `$(( ))`, `set -ex`)
/// plus a pipe into sed, `until` and a subshell, in an init container of pod `mysql-1`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_scripts_run_as_written() {
    let node = Node::new();
    let store = node.store.clone();
    tutorial_config_map(&store);
    let (k, kubelet) = node.run_kubelet();
    let init_mysql = r#"set -ex
# Generate mysql server-id from pod ordinal index.
[[ `hostname` =~ -([0-9]+)$ ]] || exit 1
ordinal=${BASH_REMATCH[1]}
echo [mysqld] > /mnt/conf.d/server-id.cnf
# Add an offset to avoid reserved server-id=0 value.
echo server-id=$((100 + $ordinal)) >> /mnt/conf.d/server-id.cnf
# Copy appropriate conf.d files from config-map to emptyDir.
if [[ $ordinal -eq 0 ]]; then
  cp /mnt/config-map/primary.cnf /mnt/conf.d/
else
  cp /mnt/config-map/replica.cnf /mnt/conf.d/
fi
"#;
    let extra = r#"n=0; until [ $n -ge 3 ]; do n=$((n+1)); done
echo "count=$n" | sed -E 's/count=/loops: /' > /mnt/conf.d/loops
(cd /mnt/conf.d && ls | sort | tr '\n' ' ') > /mnt/conf.d/listing
"#;
    let init = json!([
        {"name": "init-mysql", "image": "mysql:5.7", "command": ["bash", "-c", init_mysql],
         "volumeMounts": [{"name": "conf", "mountPath": "/mnt/conf.d"},
                          {"name": "config-map", "mountPath": "/mnt/config-map"}]},
        {"name": "extra", "image": "busybox:1.36", "command": ["bash", "-c", extra],
         "volumeMounts": [{"name": "conf", "mountPath": "/mnt/conf.d"}]}]);
    create_pod(&store, bash_pod("mysql-1", init, "sleep 3600")).unwrap();
    let p = until(
        &store,
        "mysql-1",
        60,
        "Running after its init containers",
        ready,
    )
    .await;
    let ic = &p["status"]["initContainerStatuses"];
    assert_eq!(
        ic[0]["state"]["terminated"]["reason"], "Completed",
        "{ic:#}"
    );
    assert_eq!(ic[1]["state"]["terminated"]["exitCode"], 0, "{ic:#}");
    let rt = k.runtime("default", "mysql-1").unwrap();
    let run = |args: &[&str]| {
        let argv: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let rt = rt.clone();
        async move {
            rt.run_captured(&argv, Duration::from_secs(10))
                .await
                .unwrap()
        }
    };
    assert_eq!(
        run(&["cat", "/mnt/conf.d/server-id.cnf"]).await,
        (0, "[mysqld]\nserver-id=101\n".into())
    );
    assert_eq!(
        run(&["cat", "/mnt/conf.d/replica.cnf"]).await.1,
        "# Apply this config only on replicas.\n[mysqld]\nsuper-read-only\n"
    );
    assert_eq!(run(&["cat", "/mnt/conf.d/loops"]).await.1, "loops: 3\n");
    assert_eq!(
        run(&["cat", "/mnt/conf.d/listing"]).await.1,
        // The redirection creates `listing` before `ls` runs, as bash does.
        "listing loops replica.cnf server-id.cnf "
    );
    // `set -x` traces go to the init container's log, as `kubectl logs -c init-mysql` shows.
    let (_, log, _, _) = k.container_logs(&p, Some("init-mysql")).unwrap();
    let log = std::fs::read_to_string(log).unwrap();
    assert!(log.contains("+ ordinal=1"), "{log}");
    // hostname, /etc/hostname, the kubelet-managed /etc/hosts and PID 1.
    assert_eq!(run(&["hostname"]).await, (0, "mysql-1\n".into()));
    assert_eq!(run(&["cat", "/etc/hostname"]).await.1, "mysql-1\n");
    let ip = p["status"]["podIP"].as_str().unwrap();
    let hosts = run(&["cat", "/etc/hosts"]).await.1;
    assert!(
        hosts.contains(&format!(
            "{ip}\tmysql-1.mysql.default.svc.cluster.local\tmysql-1"
        )),
        "{hosts}"
    );
    assert_eq!(
        run(&["sh", "-c", "echo $$; cat /proc/1/cmdline | tr '\\0' ' '"])
            .await
            .1
            .lines()
            .nth(1),
        Some("sleep 3600 ")
    );
    kubelet.stop(30).await;
}

/// A pod reads and writes its volumes only: the host's home, labsim's state dir and the
/// repository do not exist inside, `/usr` is read-only, and what it writes elsewhere stays in
/// the container.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pod_sees_only_its_volumes() {
    let node = Node::new();
    let (state, store) = (node.state(), node.store.clone());
    tutorial_config_map(&store);
    let (k, kubelet) = node.run_kubelet();
    create_pod(&store, bash_pod("iso", json!([]), "sleep 3600")).unwrap();
    until(&store, "iso", 60, "Running", ready).await;
    let rt = k.runtime("default", "iso").unwrap();
    let sh = |script: String| {
        let rt = rt.clone();
        async move {
            rt.run_captured(
                &["bash".into(), "-c".into(), script],
                Duration::from_secs(10),
            )
            .await
            .unwrap()
        }
    };
    let repo = env!("CARGO_MANIFEST_DIR");
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
    for path in [
        state.to_string_lossy().into_owned(),
        repo.to_string(),
        format!("{home}/.cargo"),
    ] {
        let (code, out) = sh(format!("ls -d {path}")).await;
        assert_ne!(code, 0, "{path} visible in the pod: {out}");
    }
    assert_eq!(sh("ls -A /root".into()).await, (0, String::new()));
    let (code, out) = sh("touch /usr/bin/evil".into()).await;
    assert_ne!(code, 0);
    assert!(out.contains("Read-only file system"), "{out}");
    assert!(!std::path::Path::new("/usr/bin/evil").exists());
    let marker = format!("labsim-sandbox-{}", std::process::id());
    assert_eq!(
        sh(format!(
            "echo x > /tmp/{marker} && echo x > /mnt/conf.d/{marker}"
        ))
        .await
        .0,
        0
    );
    assert!(!std::path::Path::new("/tmp").join(&marker).exists());
    let run_dir = rt.root_dir.clone();
    assert!(run_dir.join("emptydir-conf").join(&marker).exists());
    // Processes of the host are not visible either.
    let (_, ps) = sh("ls /proc | grep -c '^[0-9]'".into()).await;
    assert!(ps.trim().parse::<u32>().unwrap() < 5, "{ps}");
    kubelet.stop(30).await;
}

/// The tutorial's `mysql` container as written (mysql-statefulset.yaml: `mysql:5.7`,
/// `MYSQL_ALLOW_EMPTY_PASSWORD`, its exec probes `mysqladmin ping` and `mysql -h 127.0.0.1 -e
/// "SELECT 1"`, conf.d from a volume) with a replica's conf.d: the MySQL-only `super-read-only`
/// of mysql-configmap.yaml starts MariaDB read-only, and `server-id` applies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tutorial_mysql_container_runs_with_its_probes_and_conf_d() {
    let node = Node::new();
    let store = node.store.clone();
    tutorial_config_map(&store);
    let (k, kubelet) = node.run_kubelet();
    let init = json!([{"name": "init-mysql", "image": "mysql:5.7", "command": ["bash", "-c",
        "set -ex\ncp /mnt/config-map/replica.cnf /mnt/conf.d/\necho [mysqld] > /mnt/conf.d/server-id.cnf\necho server-id=101 >> /mnt/conf.d/server-id.cnf\n"],
        "volumeMounts": [{"name": "conf", "mountPath": "/mnt/conf.d"},
                         {"name": "config-map", "mountPath": "/mnt/config-map"}]}]);
    let pod = json!({"metadata": {"name": "mysql-1", "namespace": "default"},
        "spec": {"nodeName": "minikube", "initContainers": init,
            "containers": [{"name": "mysql", "image": "mysql:5.7",
                "env": [{"name": "MYSQL_ALLOW_EMPTY_PASSWORD", "value": "1"}],
                "ports": [{"name": "mysql", "containerPort": 3306}],
                "volumeMounts": [{"name": "data", "mountPath": "/var/lib/mysql", "subPath": "mysql"},
                                 {"name": "conf", "mountPath": "/etc/mysql/conf.d"}],
                "livenessProbe": {"exec": {"command": ["mysqladmin", "ping"]},
                    "initialDelaySeconds": 30, "periodSeconds": 10, "timeoutSeconds": 5},
                "readinessProbe": {"exec": {"command": ["mysql", "-h", "127.0.0.1", "-e", "SELECT 1"]},
                    "initialDelaySeconds": 5, "periodSeconds": 2, "timeoutSeconds": 1}}],
            "volumes": [{"name": "conf", "emptyDir": {}}, {"name": "data", "emptyDir": {}},
                        {"name": "config-map", "configMap": {"name": "mysql"}}]}});
    create_pod(&store, pod).unwrap();
    let p = until(
        &store,
        "mysql-1",
        90,
        "Ready by the tutorial's readiness probe",
        ready,
    )
    .await;
    assert_eq!(p["status"]["containerStatuses"][0]["restartCount"], 0);
    let rt = k.runtime("default", "mysql-1").unwrap();
    let q = |sql: &str| {
        let argv: Vec<String> = ["mysql", "-h", "127.0.0.1", "-N", "-e", sql]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let rt = rt.clone();
        async move {
            rt.run_captured(&argv, Duration::from_secs(10))
                .await
                .unwrap()
        }
    };
    assert_eq!(
        q("SELECT @@read_only, @@server_id").await,
        (0, "1\t101\n".into())
    );
    // super-read-only refuses root's writes too (MySQL: ERROR 1290 ... --super-read-only option)
    assert_eq!(q("CREATE DATABASE w").await.0, 1);
    assert_eq!(q("SHOW DATABASES LIKE 'w'").await, (0, String::new()));
    // The data dir is the volume's subPath; exec runs as root, as in the image.
    let (code, out) = rt
        .run_captured(
            &[
                "sh".into(),
                "-c".into(),
                "id -un; ls /var/lib/mysql | grep -c '^mysql$'".into(),
            ],
            Duration::from_secs(10),
        )
        .await
        .unwrap();
    assert_eq!((code, out.as_str()), (0, "root\n1\n"));
    assert!(rt.root_dir.join("emptydir-data/mysql/mysql").is_dir());
    kubelet.stop(40).await;
}
