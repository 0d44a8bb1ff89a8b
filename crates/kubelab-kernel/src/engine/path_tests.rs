//! The path a notebook cell's call takes, end to end, in one test: the `kubelab` free function
//! (what a cell runs, plain std) → a `Call` frame on the engine's Unix socket → the engine's
//! dispatch → kubelab-core → an in-process labsim → the typed value back in the cell. Also
//! the calls added after the typed wire (`kubectl`, `apply_yaml`, `logs`): their printed lines,
//! their values and their Korean errors and refusals, as a cell meets them.

use std::io::BufReader;
use std::os::unix::net::UnixStream;
use std::time::Duration;

use kubelab::wire::{read_frame, write_frame, Frame, Value};
use kubelab::{ApplyOutcome, Call, ClusterKind};
use labsim::cluster::start_in_thread;
use testkit::Sim;

use super::{serve, Engine};

/// A call sent as a cell sends it, with the lines the engine printed for it (a cell prints them)
/// and the reply.
fn call(socket: &std::path::Path, call: Call) -> (Vec<String>, Result<Value, kubelab::Error>) {
    let mut stream = UnixStream::connect(socket).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(300)))
        .unwrap();
    write_frame(&mut stream, &call.into_frame()).unwrap();
    let mut r = BufReader::new(stream);
    let mut lines = Vec::new();
    loop {
        match read_frame(&mut r).unwrap() {
            Some(Frame::Out(l)) => lines.push(l),
            Some(Frame::Value(v)) => return (lines, Ok(v)),
            Some(Frame::Failure(e)) => return (lines, Err(e)),
            other => panic!("unexpected {other:?}"),
        }
    }
}

const ONE_MYSQL: &str = include_str!("../../../../manifests/1-sts-mysql.yaml");

#[test]
fn a_cells_call_reaches_labsim_and_comes_back_typed() {
    let sim = Sim::in_process(start_in_thread).exported();
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("engine.sock");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let listener = {
        let _in_rt = rt.enter();
        tokio::net::UnixListener::bind(&socket).unwrap()
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    rt.spawn(serve(listener, Engine::new(), async {
        let _ = stopped.await;
    }));
    // what the kernel does for its cells
    std::env::set_var(kubelab::SOCKET_ENV, &socket);

    // 1. a read: the cell's Table is the server's table, as kubectl prints it
    let nodes = kubelab::nodes().unwrap();
    assert_eq!(
        nodes.column("NAME"),
        ["minikube", "minikube-m02", "minikube-m03"]
    );
    // the same lines as kubectl's, but for AGE (a second may pass between the two)
    let no_age = |t: &str| -> Vec<String> {
        t.lines()
            .map(|l| {
                l.split_whitespace()
                    .filter(|w| !w.ends_with('s') || *w == "AGE")
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    };
    let kubectl_nodes = sim.ok(&["get", "nodes"]);
    assert_eq!(no_age(&nodes.to_string()), no_age(&kubectl_nodes));
    assert_eq!(
        nodes.to_string().lines().next(),
        kubectl_nodes.lines().next()
    );
    assert!(nodes.to_html().contains("<table"), "{}", nodes.to_html());
    let info = kubelab::cluster().unwrap();
    assert_eq!(
        (info.context.as_str(), info.kind),
        ("labsim", ClusterKind::Labsim)
    );
    assert_eq!(info.nodes.len(), 3);

    // 2. apply_yaml: the same report, lines and errors as apply(path)
    let one = ONE_MYSQL.replace("replicas: 3", "replicas: 1");
    let (lines, v) = call(&socket, Call::ApplyYaml { yaml: one.clone() });
    let first = lines.first().unwrap();
    assert!(
        first.starts_with("$ kubectl apply -f - <<'EOF'\n") && first.ends_with("\nEOF"),
        "{first}"
    );
    assert_eq!(
        &lines[1..],
        [
            "service/mysql created",
            "secret/mysql-secret created",
            "statefulset.apps/mysql created"
        ]
    );
    let rep = kubelab::ApplyReport::from_value(v.unwrap()).unwrap();
    assert_eq!(
        rep.outcome("statefulset.apps/mysql"),
        Some(ApplyOutcome::Created)
    );
    let again = kubelab::apply_yaml(&one).unwrap();
    assert_eq!(
        again.outcome("service/mysql"),
        Some(ApplyOutcome::Unchanged)
    );
    let broken =
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: broken\n spec:\n  clusterIP: None\n";
    let e = kubelab::apply_yaml(broken).unwrap_err();
    assert_eq!(e.name(), "매니페스트 적용 실패");
    assert!(
        e.message().starts_with("YAML 문법 오류: 셀의 YAML:5:"),
        "{e}"
    );
    let file_e = kubelab::apply("/nonexistent/m.yaml").unwrap_err();
    assert_eq!(file_e.name(), e.name(), "apply and apply_yaml fail alike");

    // 3. a wait: typed Ready order and duration
    let w = kubelab::watch_pods_for("app=mysql", Duration::from_secs(180)).unwrap();
    assert_eq!(w.ready_order(), ["mysql-0"]);
    assert!(w.in_ordinal_order() && w.elapsed > Duration::ZERO, "{w}");
    assert_eq!(w.pods.get("mysql-0", "READY").as_deref(), Some("1/1"));

    // 4. kubectl(args): the real kubectl on the lab's context, its own output
    let (lines, v) = call(
        &socket,
        Call::Kubectl {
            args: "get pods -o 'custom-columns=NAME:.metadata.name,PHASE:.status.phase'".into(),
            timeout: kubelab::KUBECTL_TIMEOUT,
        },
    );
    let out = kubelab::KubectlOutput::from_value(v.unwrap()).unwrap();
    assert_eq!(
        lines[0],
        "$ kubectl get pods -o 'custom-columns=NAME:.metadata.name,PHASE:.status.phase'"
    );
    let direct = sim.ok(&[
        "get",
        "pods",
        "-o",
        "custom-columns=NAME:.metadata.name,PHASE:.status.phase",
    ]);
    assert_eq!(out.stdout, direct);
    assert_eq!(lines[1], direct.trim_end());
    assert_eq!(out.code, 0);
    // printed once, as it came: the value itself shows nothing (no second copy under the cell)
    assert_eq!(
        (out.to_string(), out.to_html()),
        (String::new(), String::new())
    );
    // a non-zero exit: kubectl's own message, in Korean framing with the next step
    // (kubectl/pkg/cmd/get: `Error from server (NotFound): pods "nope" not found`)
    let e = kubelab::kubectl("get pod nope").unwrap_err();
    assert_eq!(e.name(), "kubectl 실패");
    assert!(
        e.message()
            .contains("Error from server (NotFound): pods \"nope\" not found"),
        "{e}"
    );
    assert!(
        e.message().contains("종료 코드 1") && e.message().contains('→'),
        "{e}"
    );
    // an unknown command and an empty one: kubectl's own error
    let e = kubelab::kubectl("frobnicate").unwrap_err();
    assert!(
        e.message()
            .contains("unknown command \"frobnicate\" for \"kubectl\""),
        "{e}"
    );
    assert!(
        kubelab::kubectl("").is_ok(),
        "kubectl with no arguments prints its help"
    );
    // refused, naming the call to use instead, before kubectl runs
    for (args, instead) in [
        ("edit statefulset mysql", "apply_yaml"),
        ("exec -it mysql-0 -- bash", "mysql(\"mysql-0\")"),
        ("port-forward pod/mysql-0 3306:3306", "mysql(\"mysql-0\")"),
        ("get pods -w", "watch_pods"),
        ("get pods --context other", "allow_context"),
        ("proxy", "get --raw"),
    ] {
        let (lines, v) = call(
            &socket,
            Call::Kubectl {
                args: args.into(),
                timeout: kubelab::KUBECTL_TIMEOUT,
            },
        );
        assert_eq!(lines, [format!("$ kubectl {args}")]);
        let e = v.unwrap_err();
        assert_eq!(e.name(), "kubectl 실패", "{args}");
        assert!(e.message().contains(instead), "{args}: {e}");
    }
    let e = kubelab::kubectl_for("get pods -o 'wide", Duration::from_secs(5)).unwrap_err();
    assert!(e.message().contains("따옴표"), "{e}");

    // 5. logs: the container's log; --previous with kubectl's own words when there is none
    let (lines, v) = call(
        &socket,
        Call::Logs {
            pod: "mysql-0".into(),
            previous: false,
        },
    );
    assert_eq!(lines[0], "$ kubectl logs mysql-0");
    let logs = kubelab::Logs::from_value(v.unwrap()).unwrap();
    let direct = sim.ok(&["logs", "mysql-0"]);
    assert_eq!(logs.text, direct);
    assert!(
        !logs.lines().is_empty(),
        "mariadbd logs something when it starts"
    );
    let e = kubelab::logs_previous("mysql-0").unwrap_err();
    assert_eq!(e.name(), "kubectl 실패");
    // staging/src/k8s.io/kubectl (server's words): previous terminated container "mysql" in pod "mysql-0" not found
    assert!(
        e.message().contains("Error from server (BadRequest): previous terminated container \"mysql\" in pod \"mysql-0\" not found"),
        "{e}"
    );
    assert!(e.message().contains("logs(\"mysql-0\")"), "{e}");
    let e = kubelab::logs("mysql-9").unwrap_err();
    assert!(e.message().contains("pods \"mysql-9\" not found"), "{e}");

    // 6. a session in the engine: SQL through the wire, typed columns back
    let db = kubelab::mysql("mysql-0").unwrap();
    let out = db.sql("SELECT 1 AS one, NULL AS nothing;").unwrap();
    assert_eq!(out.last().column("one"), [Some("1".to_string())]);
    assert_eq!(out.last().column("nothing"), [None]);
    assert_eq!(db.database().unwrap(), None);

    let _ = stop.send(());
    drop(rt);
}
