//! `kubectl run -i --rm --restart=Never` and `kubectl attach` through the real kubectl (1.33:
//! WebSocket `v5.channel.k8s.io`, `kubernetes/kubectl` pkg/cmd/attach/attach.go and
//! pkg/cmd/run/run.go) against labsim with real sandboxed containers: a MySQL client pod fed a
//! heredoc against a real `mariadbd` pod by its stable DNS name, stdin piped into `cat`, the exit
//! code of the container as kubectl's, live output of a running pod, `stdinOnce` EOF, and the
//! refusals the API server gives.

use std::io::{Read, Write};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use testkit::{text, write_file, Sim};

/// The labsim binary cargo built for these tests.
const LABSIM: &str = env!("CARGO_BIN_EXE_labsim");

/// Runs `cmd` with `input` on its stdin (then EOF), killed after `limit`.
fn with_stdin(cmd: Command, input: &str, limit: Duration) -> Output {
    feed(cmd, input, limit, false)
}

/// Runs `cmd` with `input` on its stdin, which stays open until `cmd` ends when `keep_open`;
/// killed after `limit`.
fn feed(mut cmd: Command, input: &str, limit: Duration, keep_open: bool) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn kubectl");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_string();
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        let _ = stdin.write_all(input.as_bytes());
        if keep_open {
            let _ = rx.recv();
        }
    });
    let deadline = Instant::now() + limit;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(tx);
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const MYSQL: &str = r#"
apiVersion: v1
kind: Service
metadata: {name: db}
spec:
  clusterIP: None
  selector: {app: mysql}
  ports: [{name: mysql, port: 3306}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 1
  selector: {matchLabels: {app: mysql}}
  template:
    metadata: {labels: {app: mysql}}
    spec:
      containers:
      - name: mysql
        image: mysql:8.0
        env: [{name: MYSQL_ALLOW_EMPTY_PASSWORD, value: "1"}]
        ports: [{name: mysql, containerPort: 3306}]
"#;

/// The tutorial's client pods: `kubectl run mysql-client --image=mysql:5.7 -i --rm
/// --restart=Never -- mysql -h mysql-0.mysql <<EOF ... EOF` (kubernetes/website
/// content/en/docs/tasks/run-application/run-replicated-stateful-application.md).
#[test]
fn run_i_rm_feeds_a_heredoc_to_a_mysql_client_and_follows_its_exit() {
    let sim = Sim::up(LABSIM);
    let file = write_file(sim.state(), "db.yaml", MYSQL);
    sim.ok(&["apply", "-f", &file]);
    sim.wait_ready(1, 180);
    let run = |name: &str, args: &[&str], input: &str| {
        let mut a = vec![
            "run",
            name,
            "--image=mysql:5.7",
            "-i",
            "--rm",
            "--restart=Never",
            "--pod-running-timeout=2m",
            "--",
        ];
        a.extend(args);
        with_stdin(sim.kubectl_cmd(&a), input, Duration::from_secs(150))
    };
    let heredoc = "CREATE DATABASE test;\n\
        CREATE TABLE test.messages (message VARCHAR(250));\n\
        INSERT INTO test.messages VALUES ('hello');\n";
    let out = run("mysql-client", &["mysql", "-h", "db-0.db"], heredoc);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        stdout(&out).ends_with("pod \"mysql-client\" deleted\n"),
        "{}",
        text(&out)
    );
    // Read back through the pod IP from another client pod (-e, no stdin read).
    let ip = sim.ok(&["get", "pod", "db-0", "-o", "jsonpath={.status.podIP}"]);
    let out = run(
        "mysql-client",
        &[
            "mysql",
            "-h",
            &ip,
            "-e",
            "SELECT message FROM test.messages",
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        stdout(&out),
        "message\nhello\npod \"mysql-client\" deleted\n",
        "{}",
        text(&out)
    );
    // A failing client: kubectl exits with the container's code (run.go: CodeExitError with
    // the terminated state's exit code) after deleting the pod.
    let out = run(
        "mysql-client",
        &["mysql", "-h", "db-0.db"],
        "SELECT * FROM nope.t;\n",
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(stderr(&out).contains("ERROR 1146"), "{}", text(&out));
    assert!(
        stderr(&out).contains("pod default/mysql-client terminated (Error)"),
        "{}",
        text(&out)
    );
    assert!(
        stdout(&out).contains("pod \"mysql-client\" deleted"),
        "{}",
        text(&out)
    );
    assert!(sim.ok(&["get", "pods", "-o", "name"]).trim() == "pod/db-0");
}

/// `kubectl run -i --rm` with stdin piped into `cat`; `kubectl attach` to a running pod
/// (live output on its channels), `attach -i` into a `stdinOnce` container (EOF after the first
/// session), and the refusals of the API server (kubernetes pkg/registry/core/pod/strategy.go
/// streamLocation) and kubectl (pkg/cmd/attach/attach.go).
#[test]
fn attach_streams_output_and_stdin_once() {
    let sim = Sim::up(LABSIM);
    let out = with_stdin(
        sim.kubectl_cmd(&[
            "run",
            "t",
            "-i",
            "--rm",
            "--restart=Never",
            "--image=busybox",
            "--pod-running-timeout=2m",
            "--",
            "sh",
            "-c",
            "cat; echo done",
        ]),
        "line one\nline two\n",
        Duration::from_secs(120),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        stdout(&out),
        "line one\nline two\ndone\npod \"t\" deleted\n",
        "{}",
        text(&out)
    );
    let out = with_stdin(
        sim.kubectl_cmd(&[
            "run",
            "t3",
            "-i",
            "--rm",
            "--restart=Never",
            "--image=busybox",
            "--pod-running-timeout=2m",
            "--",
            "sh",
            "-c",
            "cat >/dev/null; exit 3",
        ]),
        "x\n",
        Duration::from_secs(120),
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    // -t: the container gets a terminal (`tty: true`), and kubectl asks for one even when its
    // own stdin is no terminal (attach.go: "the container was launched with a TTY, so we have to
    // force a TTY here"); the terminal echoes input and ends lines with \r\n. Its stdin stays
    // open: with a TTY, a session whose stdin ends just ends (containerd).
    let out = feed(
        sim.kubectl_cmd(&[
            "run",
            "tt",
            "-i",
            "-t",
            "--rm",
            "--restart=Never",
            "--image=busybox",
            "--pod-running-timeout=2m",
            "--",
            "sh",
            "-c",
            "[ -t 0 ] && echo tty; read l; echo got $l",
        ]),
        "x\n",
        Duration::from_secs(120),
        true,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        stdout(&out).ends_with("got x\r\npod \"tt\" deleted\n") && stdout(&out).contains("tty\r\n"),
        "{}",
        text(&out)
    );
    let tty = sim.kubectl(&["get", "pods", "-o", "name"]);
    assert_eq!(stdout(&tty), "", "--rm deleted every pod");

    // A running pod writing on both streams; a container with stdin + stdinOnce.
    let pods = r#"
apiVersion: v1
kind: Pod
metadata: {name: ticker}
spec:
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "i=0; while true; do echo tick $i; echo tock $i >&2; i=$((i+1)); sleep 0.2; done"]
---
apiVersion: v1
kind: Pod
metadata: {name: reader}
spec:
  containers:
  - name: r
    image: busybox
    stdin: true
    stdinOnce: true
    command: ["sh", "-c", "while read l; do echo got $l; done; echo eof; sleep 3600"]
"#;
    let file = write_file(sim.state(), "pods.yaml", pods);
    sim.ok(&["apply", "-f", &file]);
    sim.ok(&[
        "wait",
        "--for=condition=Ready",
        "pod/ticker",
        "pod/reader",
        "--timeout=120s",
    ]);

    // attach without -i: output until the client goes (killed after 2 s); stderr separate.
    let mut cmd = sim.kubectl_cmd(&["attach", "ticker", "-c", "main"]);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = cmd.spawn().unwrap();
    std::thread::sleep(Duration::from_secs(3));
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
    let out = child.wait_with_output().unwrap();
    let (o, e) = (stdout(&out), stderr(&out));
    assert!(
        o.lines().filter(|l| l.starts_with("tick ")).count() >= 3,
        "{o}\n{e}"
    );
    assert!(!o.contains("tock"), "stderr lines come on stderr: {o}");
    assert!(
        e.lines().filter(|l| l.starts_with("tock ")).count() >= 3,
        "{e}"
    );
    // Live from the moment of attach: not the first lines of the log.
    assert!(!o.contains("tick 0\n"), "{o}");

    // attach -i into the stdinOnce container: its stdin, then EOF, output until the client
    // goes.
    let mut cmd = sim.kubectl_cmd(&["attach", "-i", "reader", "-c", "r"]);
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    child.stdin.take().unwrap().write_all(b"a\nb\n").unwrap();
    // kubectl's stdout, read as it comes: the container's log can show `eof` before kubectl
    // has printed it, so the client is stopped only once its output is there (or 10 s on).
    let mut pipe = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<Vec<u8>>();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = pipe.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    let logs = loop {
        let l = sim.ok(&["logs", "reader"]);
        if l.contains("eof") || Instant::now() > deadline {
            break l;
        }
        std::thread::sleep(Duration::from_millis(300));
    };
    assert_eq!(
        logs, "got a\ngot b\neof\n",
        "stdinOnce: EOF after the first session"
    );
    let mut printed = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !printed.starts_with(b"got a\ngot b\neof\n") && Instant::now() < deadline {
        if let Ok(chunk) = rx.recv_timeout(Duration::from_millis(200)) {
            printed.extend(chunk);
        }
    }
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    assert!(
        printed.starts_with(b"got a\ngot b\neof\n"),
        "stdout:\n{}\n{}",
        String::from_utf8_lossy(&printed),
        text(&out)
    );

    // Refusals kubectl makes itself before it asks (the API server's own answers are
    // `api::attach`'s unit test): an unknown container (kubectl pkg/util/podcmd
    // FindOrDefaultContainerByName), a completed pod (pkg/cmd/attach/attach.go).
    let out = sim.kubectl(&["attach", "ticker", "-c", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out)
            .contains("cannot attach to the container: container nope not found in pod ticker"),
        "{}",
        text(&out)
    );
    let out = sim.kubectl(&[
        "run",
        "done",
        "--restart=Never",
        "--image=busybox",
        "--",
        "true",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    sim.wait_for("pod done completed", 60, || {
        let p = sim.ok(&["get", "pod", "done", "-o", "jsonpath={.status.phase}"]);
        (p == "Succeeded").then_some(())
    });
    let out = sim.kubectl(&["attach", "done"]);
    assert!(
        stderr(&out)
            .contains("cannot attach a container in a completed pod; current phase is Succeeded"),
        "{}",
        text(&out)
    );
}
