//! Round trips through the bytes of the wire: every `Call` variant (the samples must name every
//! operation of `Call::OPS`) and every result type, as the engine sends them and a cell reads them.

use std::time::Duration;

use kubelab::wire::{read_frame, write_frame, Data, Frame};
use kubelab::*;

/// Through the bytes: what `read_frame` gives back for `frame`.
fn through_bytes(frame: &Frame) -> Frame {
    let mut buf = Vec::new();
    write_frame(&mut buf, frame).unwrap();
    read_frame(&mut &buf[..]).unwrap().unwrap()
}

fn samples() -> Vec<Call> {
    let s = |x: &str| x.to_string();
    let t = Duration::from_millis(120_500);
    vec![
        Call::Connect {},
        Call::StartCluster {},
        Call::Cluster {},
        Call::AllowContext { name: s("my-ctx") },
        Call::Nodes {},
        Call::Pods {},
        Call::PodsWide {},
        Call::Statefulsets {},
        Call::Pvcs {},
        Call::Pvs {},
        Call::StorageClasses {},
        Call::Services {},
        Call::Events {},
        Call::Placement {},
        Call::Apply {
            path: s("../manifests/1-sts-mysql.yaml"),
        },
        Call::ApplyYaml {
            yaml: s("apiVersion: v1\nkind: Service\n# 한글\n"),
        },
        Call::WatchPods {
            selector: s("app=mysql"),
            timeout: t,
        },
        Call::DeletePods {
            selector: s("app=mysql"),
        },
        Call::DeletePod { name: s("mysql-0") },
        Call::WaitReady {
            name: s("mysql-0"),
            timeout: t,
        },
        Call::Scale {
            name: s("mysql"),
            replicas: -1,
        },
        Call::DeleteStatefulset { name: s("mysql") },
        Call::Cleanup {},
        Call::DeleteData {},
        Call::Exec {
            pod: s("mysql-0"),
            command: vec![s("sh"), s("-c"), s("echo 'a b'\n")],
        },
        Call::Exec {
            pod: s("mysql-0"),
            command: vec![],
        },
        Call::Kubectl {
            args: s("get pods -o 'jsonpath={.items[*].metadata.name}'"),
            timeout: t,
        },
        Call::Logs {
            pod: s("mysql-0"),
            previous: true,
        },
        Call::Mysql { pod: s("mysql-0") },
        Call::Sql {
            session: u64::MAX,
            script: s("SELECT 1;\nSELECT '\u{1f}';"),
        },
        Call::SqlDatabase { session: 7 },
        Call::Leftovers {},
        Call::StartFresh {},
        Call::Check { step: s("deploy") },
        Call::Topology {},
        Call::Timeline {
            selector: s("app=mysql"),
        },
        Call::Describe {
            kind: s("pod"),
            name: s("mysql-0"),
        },
        Call::Delete {
            kind: s("storageclass"),
            name: s("fast"),
        },
        Call::WaitDeleted {
            kind: s("pvc"),
            name: s("data-mysql-2"),
            timeout: t,
        },
        Call::WatchRollout {
            name: s("mysql"),
            timeout: t,
        },
        Call::Revisions { name: s("mysql") },
        Call::NodeStop {
            node: s("minikube-m02"),
        },
        Call::NodeStart {
            node: s("minikube-m02"),
        },
        Call::AddonEnable {
            name: s("storage-provisioner-rancher"),
        },
        Call::AddonDisable {
            name: s("storage-provisioner-rancher"),
        },
    ]
}

#[test]
fn every_call_survives_the_wire() {
    let calls = samples();
    let mut ops: Vec<&str> = calls.iter().map(Call::op).collect();
    ops.dedup();
    assert_eq!(
        ops,
        Call::OPS,
        "one sample per operation, in the table's order"
    );
    for c in calls {
        let back = Call::from_frame(through_bytes(&c.clone().into_frame())).unwrap();
        assert_eq!(back, c);
    }
}

#[test]
fn a_call_the_engine_does_not_know_is_a_korean_error() {
    let mut frame = Call::Scale {
        name: "mysql".into(),
        replicas: 2,
    }
    .into_frame();
    if let Frame::Call(v) = &mut frame {
        v.fields.retain(|(k, _)| k != "replicas");
    }
    let e = Call::from_frame(frame).unwrap_err();
    assert_eq!(e.name(), "잘못된 호출");
    assert!(e.message().contains("scale: 인자 replicas"), "{e}");
    let mut frame = Call::Nodes {}.into_frame();
    if let Frame::Call(v) = &mut frame {
        v.kind = "nodes_v2".into();
    }
    assert!(Call::from_frame(frame)
        .unwrap_err()
        .message()
        .contains("'nodes_v2'"));
}

/// `data` shown, sent and read back as a cell reads it.
fn roundtrip<T: Data + Clone + PartialEq + std::fmt::Debug>(data: T) -> Shown<T> {
    let shown = Shown::new(data, "text 한글".into(), "<pre>html</pre>".into());
    let Frame::Value(v) = through_bytes(&Frame::Value(shown.to_value())) else {
        panic!("not a value");
    };
    let back = Shown::<T>::from_value(v).unwrap();
    assert_eq!(back, shown);
    assert_eq!(back.to_string(), "text 한글");
    back
}

fn table() -> Table {
    Shown::new(
        TableData {
            columns: vec!["NAME".into(), "STATUS".into()],
            rows: vec![
                vec![Some("mysql-0".into()), Some("Running".into())],
                vec![Some("mysql-1".into()), None],
            ],
        },
        "NAME STATUS".into(),
        "<table></table>".into(),
    )
}

#[test]
fn every_result_survives_the_wire_with_its_accessors() {
    let t = roundtrip(table().into_data());
    assert_eq!((t.len(), t.is_empty()), (2, false));
    assert_eq!(t.column("STATUS"), ["Running", "NULL"]);
    assert_eq!(t.get("mysql-0", "STATUS").as_deref(), Some("Running"));
    assert_eq!(t.get("mysql-1", "STATUS"), None);
    assert!(t.column("NOPE").is_empty());

    for kind in ClusterKind::ALL {
        let c = roundtrip(ClusterData {
            context: "labsim".into(),
            server: "https://127.0.0.1:6443".into(),
            kind: *kind,
            version: "v1.33.1".into(),
            nodes: table(),
        });
        assert_eq!(c.nodes.to_html(), "<table></table>");
    }
    let a = roundtrip(ApplyData {
        objects: ApplyOutcome::ALL
            .iter()
            .enumerate()
            .map(|(i, o)| (format!("service/s{i}"), *o))
            .collect(),
    });
    assert_eq!(a.outcome("service/s1"), Some(ApplyOutcome::Configured));
    assert_eq!(a.outcome("service/nope"), None);
    let w = roundtrip(WatchData {
        lines: vec!["mysql-0   0/1     Pending   0          0s".into()],
        ready_order: vec!["mysql-0".into(), "mysql-1".into()],
        pods: table(),
        elapsed: Duration::from_millis(1234),
    });
    assert!(w.in_ordinal_order());
    assert_eq!(w.pods.get("mysql-0", "STATUS").as_deref(), Some("Running"));
    let r = roundtrip(PodReadyData {
        name: "mysql-0".into(),
        uid: "u".into(),
        node: "minikube-m02".into(),
        ip: "10.244.1.2".into(),
        elapsed: Duration::from_millis(1234),
        recreated: true,
    });
    assert!(r.recreated);
    roundtrip(ChangeData {
        lines: vec!["pod \"mysql-0\" deleted".into()],
        deleted: vec!["mysql-0".into()],
    });
    roundtrip(CleanupData {
        deleted: vec!["statefulset.apps \"mysql\" deleted".into()],
        kept_pvcs: vec!["data-mysql-0".into()],
    });
    roundtrip(ExecData {
        stdout: "mysql-0\n".into(),
        stderr: String::new(),
        code: -1,
    });
    roundtrip(KubectlData {
        args: vec!["get".into(), "pods".into()],
        stdout: "NAME\n".into(),
        stderr: "warn".into(),
        code: 0,
    });
    let l = roundtrip(LogsData {
        pod: "mysql-0".into(),
        previous: true,
        text: "a\nb\n".into(),
    });
    assert_eq!(l.lines(), ["a", "b"]);
    roundtrip(NoteData {});
    let left = LeftoversData {
        statefulsets: vec!["mysql".into()],
        pods: vec![],
        pvcs: vec!["data-mysql-0".into()],
    };
    assert!(!roundtrip(left.clone()).is_empty());
    roundtrip(FreshData {
        removed: left,
        elapsed: Duration::from_secs(3),
    });
    roundtrip(CheckData {
        step: "deploy".into(),
        lines: vec!["✅ StatefulSet mysql READY 3/3".into()],
    });
    for kind in PictureKind::ALL {
        roundtrip(PictureData {
            kind: *kind,
            pods: vec!["mysql-0".into()],
        });
    }
    let d = roundtrip(DescriptionData {
        fields: vec![("Status".into(), "Pending".into())],
        events: table(),
    });
    assert_eq!(d.get("Status"), Some("Pending"));
    let ro = roundtrip(RolloutData {
        lines: vec!["Waiting for 1 pods to be ready...".into()],
        replaced: vec!["mysql-2".into(), "mysql-1".into()],
        update_revision: "mysql-7d9f".into(),
        pods: table(),
        elapsed: Duration::from_millis(5),
    });
    assert_eq!(ro.replaced(), ["mysql-2", "mysql-1"]);
    let st = StatementResult {
        sql: "SELECT name FROM users".into(),
        columns: vec!["name".into()],
        rows: vec![vec![Some("Alice".into())], vec![None]],
        numeric: vec![false],
        has_result_set: true,
        elapsed: Duration::from_millis(10),
        ..Default::default()
    };
    let sql = roundtrip(SqlData {
        results: vec![st.clone()],
        tables: vec![table()],
    });
    assert_eq!(sql.last().column("name"), [Some("Alice".into()), None]);
    assert_eq!(sql.last().status_line(), "2 rows in set (0.01 sec)");
    let db = roundtrip(SessionData {
        session: 3,
        pod: "mysql-0".into(),
    });
    assert_eq!(db.pod(), "mysql-0");
    roundtrip(DatabaseData {
        database: Some("testdb".into()),
    });
    roundtrip(DatabaseData { database: None });
}

#[test]
fn a_result_of_another_kind_or_missing_a_field_is_a_korean_error() {
    let v = Shown::new(NoteData {}, String::new(), String::new()).to_value();
    let e = Shown::<TableData>::from_value(v).unwrap_err();
    assert_eq!(e.name(), "잘못된 응답");
    let mut v = Shown::new(table().into_data(), String::new(), String::new()).to_value();
    v.fields.retain(|(k, _)| k != "rows");
    assert!(Shown::<TableData>::from_value(v)
        .unwrap_err()
        .message()
        .contains("'rows'"));
}

#[test]
fn outside_the_kernel_a_call_says_where_to_run_it() {
    std::env::remove_var(SOCKET_ENV);
    let e = nodes().unwrap_err();
    assert_eq!(e.name(), "커널 밖에서 실행");
    assert!(e.message().contains("make repl"), "{e}");
}
