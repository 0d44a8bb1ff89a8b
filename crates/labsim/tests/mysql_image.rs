//! A `mysql:8.4` pod's own lines through the real `kubectl`: its log reads as mysql:8.4's
//! (docker-library/mysql `8.4/docker-entrypoint.sh` and MySQL 8.4's server lines as that
//! image prints them, e.g. in docker-library/mysql issue #1103), with no MariaDB banner, no host
//! name warning and no host path; the time zone tables are loaded as the entrypoint's
//! `docker_setup_db` loads them (`mysql_tzinfo_to_sql`); the server's last lines reach
//! `kubectl logs --previous` after a `mysqladmin shutdown`.

use testkit::{write_file, Sim};

/// The labsim binary cargo built for these tests.
const LABSIM: &str = env!("CARGO_BIN_EXE_labsim");

const POD: &str = "apiVersion: v1
kind: Pod
metadata:
  name: db
spec:
  containers:
  - name: mysql
    image: mysql:8.4.3
    env:
    - name: MYSQL_ROOT_PASSWORD
      value: password
";

/// Each of `lines` in `log`, in this order.
fn in_order(log: &str, lines: &[&str]) {
    let mut at = 0;
    for line in lines {
        let found = log[at..]
            .find(line)
            .unwrap_or_else(|| panic!("{line:?} missing after byte {at}:\n{log}"));
        at += found + line.len();
    }
}

#[test]
fn mysql_pod_logs_read_as_mysql_8_4_and_time_zones_are_loaded() {
    let sim = Sim::up(LABSIM);
    let file = write_file(sim.state(), "db.yaml", POD);
    sim.ok(&["apply", "-f", &file]);
    sim.ok(&["wait", "--for=condition=Ready", "pod/db", "--timeout=120s"]);
    let log = sim.ok(&["logs", "db"]);
    in_order(
        &log,
        &[
            "[Note] [Entrypoint]: Entrypoint script for MySQL Server 8.4.3 started.",
            "[Note] [Entrypoint]: Initializing database files",
            "[System] [MY-015017] [Server] MySQL Server Initialization - start.",
            "[System] [MY-013169] [Server] /usr/sbin/mysqld (mysqld 8.4.3) initializing of server in progress as process ",
            "[Warning] [MY-010453] [Server] root@localhost is created with an empty password ! Please consider switching off the --initialize-insecure option.",
            "[System] [MY-015018] [Server] MySQL Server Initialization - end.",
            "[Note] [Entrypoint]: Database files initialized",
            "[Note] [Entrypoint]: Starting temporary server",
            "[System] [MY-015015] [Server] MySQL Server - start.",
            "[System] [MY-010116] [Server] /usr/sbin/mysqld (mysqld 8.4.3) starting as process ",
            "[System] [MY-013576] [InnoDB] InnoDB initialization has started.",
            "[System] [MY-013577] [InnoDB] InnoDB initialization has ended.",
            "[System] [MY-010931] [Server] /usr/sbin/mysqld: ready for connections. Version: '8.4.3'  socket: '/run/mysqld/mysqld.sock'  port: 0  MySQL Community Server - GPL.",
            "[Note] [Entrypoint]: Temporary server started.",
            "[Note] [Entrypoint]: Stopping temporary server",
            "[System] [MY-013172] [Server] Received SHUTDOWN from user root. Shutting down mysqld (Version: 8.4.3).",
            "[System] [MY-010910] [Server] /usr/sbin/mysqld: Shutdown complete (mysqld 8.4.3)  MySQL Community Server - GPL.",
            "[Note] [Entrypoint]: Temporary server stopped",
            "[Note] [Entrypoint]: MySQL init process done. Ready for start up.",
            "[System] [MY-015015] [Server] MySQL Server - start.",
            "[System] [MY-010931] [Server] /usr/sbin/mysqld: ready for connections. Version: '8.4.3'  socket: '/run/mysqld/mysqld.sock'  port: 3306  MySQL Community Server - GPL.",
        ],
    );
    // MySQL's time format (UTC, microseconds) on the server's lines.
    let ready = log.lines().find(|l| l.contains("port: 3306")).unwrap();
    let stamp = ready.split_whitespace().next().unwrap();
    assert!(
        stamp.len() == 27 && stamp.ends_with('Z') && stamp.as_bytes()[10] == b'T',
        "{ready}"
    );
    let state = sim.state().to_string_lossy().into_owned();
    for unwanted in [
        "MariaDB",
        "mariadb",
        "/root",
        "skip-name-resolve",
        "[Note] InnoDB",
        &state,
    ] {
        assert!(
            !log.contains(unwanted),
            "{unwanted:?} in the pod log:\n{log}"
        );
    }

    // Time zone tables: loaded while the data directory was initialised.
    let q = |sql: &str| sim.sql("db", &format!("SELECT {sql}"));
    assert_eq!(
        q("CONVERT_TZ('2024-01-01 00:00:00','UTC','Asia/Seoul') AS t"),
        "t\n2024-01-01 09:00:00\n"
    );
    assert_eq!(
        q("CONVERT_TZ(NOW(),'UTC','Asia/Seoul') IS NOT NULL AS ok"),
        "ok\n1\n"
    );

    // `mysqladmin shutdown` in the container: it restarts at once (the first restart has no
    // back-off) and the ended run's log ends with the server's last lines.
    // (Its exit status is not checked: the exec may end with the container, 137, as on a real
    // cluster.)
    let _ = sim.kubectl(&[
        "exec",
        "db",
        "--",
        "mysqladmin",
        "-uroot",
        "-ppassword",
        "shutdown",
    ]);
    sim.wait_for("db restarted and Ready", 90, || {
        let p = sim.json(&["get", "pod", "db"]);
        let cs = &p["status"]["containerStatuses"][0];
        (cs["restartCount"] == 1 && cs["ready"] == true).then_some(())
    });
    let previous = sim.ok(&["logs", "db", "--previous"]);
    in_order(
        &previous,
        &[
            "[System] [MY-010931] [Server] /usr/sbin/mysqld: ready for connections.",
            "[System] [MY-013172] [Server] Received SHUTDOWN from user root. Shutting down mysqld (Version: 8.4.3).",
            "[System] [MY-010910] [Server] /usr/sbin/mysqld: Shutdown complete (mysqld 8.4.3)  MySQL Community Server - GPL.",
            "[System] [MY-015016] [Server] MySQL Server - end.",
        ],
    );
    assert_eq!(
        sim.json(&["get", "pod", "db"])["status"]["containerStatuses"][0]["lastState"]
            ["terminated"]["exitCode"],
        0
    );
    // The new run reads as MySQL too (without a volume its /var/lib/mysql is the new
    // container's own, so it initialises again, as with the image's anonymous VOLUME).
    let log = sim.ok(&["logs", "db"]);
    assert!(!log.contains("MariaDB"), "{log}");
    assert!(
        log.contains("ready for connections. Version: '8.4.3'"),
        "{log}"
    );
    sim.ok(&["delete", "pod", "db", "--timeout=60s"]);
}
