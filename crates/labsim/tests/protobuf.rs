//! kubectl 1.33 and 1.32 (protobuf bodies for typed-client requests) against kubectl 1.31 (JSON):
//! every `kubectl create` command that sends protobuf to a kind labsim serves must store the
//! same object either way, `auth can-i` must answer, `--dry-run=server` must store nothing, and
//! a protobuf body that is no object must get the apiserver's error text.

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::Value;
use testkit::{run_with_timeout, text, Sim};

/// The labsim binary cargo built for these tests.
const LABSIM: &str = env!("CARGO_BIN_EXE_labsim");

/// Where the Cloud SDK keeps one kubectl per minor version.
const KUBECTL_DIR: &str = "/usr/lib/google-cloud-sdk/bin";

/// `kubectl.<version> <args>` against `sim` (not the dispatcher: it would pick 1.33 for labsim's
/// /version).
fn kubectl(sim: &Sim, version: &str, args: &[&str]) -> Output {
    let mut c = Command::new(format!("{KUBECTL_DIR}/kubectl.{version}"));
    c.arg("--kubeconfig")
        .arg(&sim.kubeconfig)
        .args(args)
        .env("HOME", sim.home.path())
        .env_remove("KUBECONFIG");
    run_with_timeout(c, Duration::from_secs(60))
}

fn ok(sim: &Sim, version: &str, args: &[&str]) -> String {
    let out = kubectl(sim, version, args);
    assert!(
        out.status.success(),
        "kubectl.{version} {args:?} failed:\n{}",
        text(&out)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A stored object minus what differs between two creations of the same thing: identity, times,
/// the allocated cluster IPs and node ports, and the version tag in names and values.
fn comparable(mut obj: Value, tag: &str) -> Value {
    let m = obj["metadata"].as_object_mut().expect("metadata");
    for k in ["uid", "resourceVersion", "creationTimestamp"] {
        m.remove(k);
    }
    if let Some(fields) = m.get_mut("managedFields").and_then(Value::as_array_mut) {
        for f in fields {
            f.as_object_mut().unwrap().remove("time");
        }
    }
    if let Some(spec) = obj.get_mut("spec").and_then(Value::as_object_mut) {
        spec.remove("clusterIP");
        spec.remove("clusterIPs");
        if let Some(ports) = spec.get_mut("ports").and_then(Value::as_array_mut) {
            for p in ports {
                p.as_object_mut().unwrap().remove("nodePort");
            }
        }
    }
    if let Some(conds) = obj
        .get_mut("status")
        .and_then(|s| s.get_mut("conditions"))
        .and_then(Value::as_array_mut)
    {
        for c in conds {
            c.as_object_mut().unwrap().remove("lastTransitionTime");
        }
    }
    let text = serde_json::to_string(&obj).unwrap().replace(tag, "X");
    serde_json::from_str(&text).unwrap()
}

/// The kubectls compared: 1.33 and 1.32 send protobuf, 1.31 JSON (the reference, last).
const VERSIONS: [(&str, &str); 3] = [("1.33", "v133"), ("1.32", "v132"), ("1.31", "v131")];

/// Runs `args` (with `{v}` in names) through kubectl 1.33, 1.32 and 1.31 and compares what
/// labsim stored for `object` (`kind/name{v}`).
fn same_object(sim: &Sim, args: &[&str], object: &str) {
    let mut stored = Vec::new();
    for (version, tag) in VERSIONS {
        let a: Vec<String> = args.iter().map(|a| a.replace("{v}", tag)).collect();
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        let said = ok(sim, version, &a);
        assert!(said.contains("created"), "kubectl.{version} {a:?}: {said}");
        let name = object.replace("{v}", tag);
        let got: Value =
            serde_json::from_str(&ok(sim, "1.31", &["get", &name, "-o", "json"])).unwrap();
        stored.push(comparable(got, tag));
    }
    for (i, (version, _)) in VERSIONS[..2].iter().enumerate() {
        assert_eq!(
            stored[i], stored[2],
            "{args:?}: kubectl {version} (protobuf, left) and 1.31 (JSON, right) stored different objects"
        );
    }
}

#[test]
fn kubectl_1_33_stores_what_1_31_stores() {
    let sim = Sim::up(LABSIM);
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("blob.bin");
    std::fs::write(&bin, [0u8, 0xff, 0xfe, 7, 0x80]).unwrap();
    let text_file = dir.path().join("app.conf");
    std::fs::write(&text_file, "port=80\n").unwrap();
    let tls = rcgen::generate_simple_self_signed(vec!["db.example".into()]).unwrap();
    let (cert, key) = (dir.path().join("tls.crt"), dir.path().join("tls.key"));
    std::fs::write(&cert, tls.cert.pem()).unwrap();
    std::fs::write(&key, tls.key_pair.serialize_pem()).unwrap();
    let (cert, key) = (
        format!("--cert={}", cert.display()),
        format!("--key={}", key.display()),
    );
    let from_bin = format!("--from-file={}", bin.display());
    let from_text = format!("--from-file={}", text_file.display());

    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec![
                "create",
                "configmap",
                "cm-{v}",
                "--from-literal=a=1",
                "--from-literal=empty=",
                &from_text,
            ],
            "configmap/cm-{v}",
        ),
        (
            vec!["create", "configmap", "bare-{v}"],
            "configmap/bare-{v}",
        ),
        (
            vec!["create", "configmap", "bin-{v}", &from_bin, "--append-hash"],
            "configmap/bin-{v}-",
        ),
        (
            vec![
                "create",
                "secret",
                "generic",
                "sec-{v}",
                "--from-literal=password=hunter2",
                &from_bin,
            ],
            "secret/sec-{v}",
        ),
        (
            vec![
                "create",
                "secret",
                "generic",
                "auth-{v}",
                "--type=kubernetes.io/basic-auth",
                "--from-literal=username=u",
            ],
            "secret/auth-{v}",
        ),
        (
            vec![
                "create",
                "secret",
                "docker-registry",
                "reg-{v}",
                "--docker-server=r.example",
                "--docker-username=u",
                "--docker-password=p",
            ],
            "secret/reg-{v}",
        ),
        (
            vec!["create", "secret", "tls", "tls-{v}", &cert, &key],
            "secret/tls-{v}",
        ),
        (vec!["create", "namespace", "ns-{v}"], "namespace/ns-{v}"),
        (
            vec!["create", "serviceaccount", "sa-{v}"],
            "serviceaccount/sa-{v}",
        ),
        (
            vec!["create", "service", "clusterip", "ci-{v}", "--tcp=80:8080"],
            "service/ci-{v}",
        ),
        (
            vec![
                "create",
                "service",
                "clusterip",
                "headless-{v}",
                "--clusterip=None",
            ],
            "service/headless-{v}",
        ),
        (
            vec!["create", "service", "nodeport", "np-{v}", "--tcp=80:http"],
            "service/np-{v}",
        ),
        (
            vec!["create", "service", "loadbalancer", "lb-{v}", "--tcp=443"],
            "service/lb-{v}",
        ),
        (
            vec![
                "create",
                "service",
                "externalname",
                "ext-{v}",
                "--external-name=db.example",
            ],
            "service/ext-{v}",
        ),
        (
            vec![
                "create",
                "poddisruptionbudget",
                "pdb-{v}",
                "--selector=app=mysql",
                "--min-available=1",
            ],
            "poddisruptionbudget/pdb-{v}",
        ),
        (
            vec![
                "create",
                "poddisruptionbudget",
                "pct-{v}",
                "--selector=app=mysql",
                "--max-unavailable=50%",
            ],
            "poddisruptionbudget/pct-{v}",
        ),
    ];
    for (args, object) in &cases {
        if object.ends_with('-') {
            // `--append-hash`: the name ends with a hash of the name and content.
            let mut names = Vec::new();
            for (version, tag) in VERSIONS {
                let a: Vec<String> = args.iter().map(|a| a.replace("{v}", tag)).collect();
                let a: Vec<&str> = a.iter().map(String::as_str).collect();
                let said = ok(&sim, version, &a);
                names.push(said.split_whitespace().next().unwrap().to_string());
            }
            let objs: Vec<Value> = names
                .iter()
                .zip(VERSIONS.map(|(_, tag)| tag))
                .map(|(n, tag)| {
                    let got = serde_json::from_str(&ok(&sim, "1.31", &["get", n, "-o", "json"]));
                    let mut got = comparable(got.unwrap(), tag);
                    got["metadata"].as_object_mut().unwrap().remove("name");
                    got
                })
                .collect();
            assert_eq!(objs[0], objs[2], "{args:?}");
            assert_eq!(objs[1], objs[2], "{args:?}");
            assert_eq!(objs[0]["binaryData"]["blob.bin"], "AP/+B4A=", "{}", objs[0]);
            continue;
        }
        same_object(&sim, args, object);
    }
}

/// A pod as stored, less what its creation and its run make differ (name, status).
fn comparable_pod(sim: &Sim, name: &str, tag: &str) -> Value {
    let got = ok(sim, "1.31", &["get", "pod", name, "-o", "json"]);
    let mut pod = comparable(serde_json::from_str(&got).unwrap(), tag);
    pod.as_object_mut().unwrap().remove("status");
    pod["metadata"].as_object_mut().unwrap().remove("name");
    pod
}

#[test]
fn kubectl_1_33_debug_pods_are_1_31s() {
    let sim = Sim::up(LABSIM);
    // `debug node/...`: a host-namespaces pod with the node's root mounted.
    let mut node_pods = Vec::new();
    for (version, tag) in VERSIONS {
        let out = kubectl(
            &sim,
            version,
            &[
                "debug",
                "node/minikube-m02",
                "--image=busybox",
                "--",
                "true",
            ],
        );
        assert!(out.status.success(), "{}", text(&out));
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let name = said
            .split("Creating debugging pod ")
            .nth(1)
            .and_then(|s| s.split_whitespace().next())
            .unwrap_or_else(|| panic!("no pod named in: {said}"))
            .to_string();
        node_pods.push(comparable_pod(&sim, &name, tag));
    }
    assert_eq!(node_pods[0]["spec"]["hostPID"], true, "{}", node_pods[0]);
    for (i, (version, _)) in VERSIONS[..2].iter().enumerate() {
        assert_eq!(
            node_pods[i], node_pods[2],
            "debug node from kubectl {version}"
        );
    }

    // `debug --copy-to`: a copy of a pod with most PodSpec fields.
    let rich = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/testdata/protobuf-rich-pod.yaml"
    );
    ok(&sim, "1.31", &["apply", "-f", rich]);
    let mut copies = Vec::new();
    for (version, tag) in VERSIONS {
        let name = format!("copy-{tag}");
        let to = format!("--copy-to={name}");
        ok(
            &sim,
            version,
            &["debug", "rich", &to, "--set-image=main=busybox:1"],
        );
        copies.push(comparable_pod(&sim, &name, tag));
    }
    let spec = &copies[0]["spec"];
    assert_eq!(spec["containers"][0]["image"], "busybox:1", "{spec}");
    assert_eq!(
        spec["containers"][0]["resources"]["limits"]["cpu"], "500m",
        "{spec}"
    );
    for (i, (version, _)) in VERSIONS[..2].iter().enumerate() {
        assert_eq!(
            copies[i], copies[2],
            "debug --copy-to from kubectl {version}"
        );
    }
}

#[test]
fn auth_can_i_and_server_dry_run_from_kubectl_1_33() {
    let sim = Sim::up(LABSIM);
    assert_eq!(
        ok(&sim, "1.33", &["auth", "can-i", "create", "pods"]).trim(),
        "yes"
    );
    assert_eq!(
        ok(&sim, "1.33", &["auth", "can-i", "get", "/healthz"]).trim(),
        "yes"
    );
    assert_eq!(
        ok(
            &sim,
            "1.33",
            &["auth", "can-i", "delete", "secrets", "-n", "kube-system"]
        )
        .trim(),
        "yes"
    );
    let list = ok(&sim, "1.33", &["auth", "can-i", "--list"]);
    assert!(list.contains("*.*"), "{list}");
    assert_eq!(list, ok(&sim, "1.31", &["auth", "can-i", "--list"]));

    // --dry-run=server: the answer is the object (JSON, which kubectl 1.33 reads), nothing is
    // stored, and it is 1.31's answer.
    let mut answers = Vec::new();
    for (version, tag) in [("1.33", "v133"), ("1.31", "v131")] {
        let name = format!("dry-{tag}");
        let out = ok(
            &sim,
            version,
            &[
                "create",
                "configmap",
                &name,
                "--from-literal=k=v",
                "--dry-run=server",
                "-o",
                "json",
            ],
        );
        let obj: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(obj["data"]["k"], "v", "{out}");
        let gone = kubectl(&sim, "1.31", &["get", "configmap", &name]);
        assert!(!gone.status.success(), "a dry run stored {name}");
        answers.push(comparable(obj, tag));
    }
    assert_eq!(answers[0], answers[1]);

    // Errors come back as JSON Status objects kubectl 1.33 prints as such.
    ok(&sim, "1.33", &["create", "configmap", "twice"]);
    let again = kubectl(&sim, "1.33", &["create", "configmap", "twice"]);
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("configmaps \"twice\" already exists"),
        "{}",
        text(&again)
    );
}

/// POSTs `body` as protobuf through kube-rs's client (TLS and token from the kubeconfig);
/// returns the HTTP status and the response body as JSON.
async fn post_protobuf(kubeconfig: &Path, path: &str, body: &[u8]) -> (u16, Value) {
    use http_body_util::BodyExt;
    use kube::config::{KubeConfigOptions, Kubeconfig};

    let kc = Kubeconfig::read_from(kubeconfig).unwrap();
    let config = kube::Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
        .await
        .unwrap();
    let client = kube::Client::try_from(config).unwrap();
    let req = http::Request::post(path)
        .header("Content-Type", "application/vnd.kubernetes.protobuf")
        .header(
            "Accept",
            "application/vnd.kubernetes.protobuf,application/json",
        )
        .body(kube::client::Body::from(body.to_vec()))
        .unwrap();
    let res = client.send(req).await.unwrap();
    let code = res.status().as_u16();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (code, serde_json::from_slice(&bytes).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protobuf_bodies_that_are_no_object() {
    let sim = Sim::up(LABSIM);
    let kc = sim.kubeconfig.clone();
    let (code, status) = post_protobuf(
        &kc,
        "/api/v1/namespaces/default/configmaps",
        b"garbage, not protobuf at all: 0123456789",
    )
    .await;
    assert_eq!(code, 400, "{status}");
    assert_eq!(status["reason"], "BadRequest");
    assert_eq!(
        status["message"],
        "the object provided is unrecognized (must be of type ConfigMap): provided data does not appear to be a protobuf message, expected prefix [107 56 115 0] (676172626167652c206e6f742070726f746f62756620617420616c6c3a20 ...)"
    );

    // The magic and a runtime.Unknown cut short inside its typeMeta (field 1, 16 bytes long).
    let (code, status) = post_protobuf(
        &kc,
        "/api/v1/namespaces/default/configmaps",
        b"k8s\0\x0a\x10\x0a\x02v1",
    )
    .await;
    assert_eq!(code, 400, "{status}");
    assert_eq!(
        status["message"],
        "the object provided is unrecognized (must be of type ConfigMap): unexpected EOF (6b3873000a100a027631)"
    );

    // A kind labsim does not decode protobuf for: 415, protobuf not among the accepted types.
    let (code, status) = post_protobuf(
        &kc,
        "/apis/apps/v1/namespaces/default/statefulsets",
        b"k8s\0",
    )
    .await;
    assert_eq!(code, 415, "{status}");
    assert_eq!(
        status["message"],
        "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml"
    );
}
