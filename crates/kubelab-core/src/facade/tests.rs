//! Tests of the sync facade without a cluster: called from plain code, from inside a multi-thread
//! runtime and from a current-thread runtime, it returns Korean errors and never panics or hangs.

use std::io::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::*;
use crate::cluster::allow_context;
use crate::error::Error;

/// Tests here change KUBECONFIG for the whole process: one at a time.
static ENV: Mutex<()> = Mutex::new(());

fn kubeconfig(context: &str, server: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    write!(
        f,
        "apiVersion: v1\nkind: Config\ncurrent-context: {context}\n\
         clusters:\n- name: {context}\n  cluster:\n    server: {server}\n    insecure-skip-tls-verify: true\n\
         contexts:\n- name: {context}\n  context:\n    cluster: {context}\n    user: u\n\
         users:\n- name: u\n  user:\n    token: t\n"
    )
    .unwrap();
    f
}

fn with_kubeconfig<T>(context: &str, server: &str, f: impl FnOnce() -> T) -> T {
    let _g = ENV.lock().unwrap_or_else(|e| e.into_inner());
    let kc = kubeconfig(context, server);
    std::env::set_var("KUBECONFIG", kc.path());
    crate::runtime::reset_lab();
    let out = f();
    crate::runtime::reset_lab();
    out
}

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

fn assert_unreachable(r: Result<Table, Error>, port: u16) {
    let e = r.expect_err("no cluster is running");
    let m = format!("{e:?}");
    assert!(
        matches!(e, Error::Cluster(crate::cluster::Error::Unreachable { .. })),
        "{m}"
    );
    assert!(
        m.contains(&format!("127.0.0.1:{port}")) && m.contains("start_cluster()"),
        "{m}"
    );
}

#[test]
fn facade_from_plain_code_reports_unreachable_cluster() {
    let port = closed_port();
    with_kubeconfig("labsim", &format!("https://127.0.0.1:{port}"), || {
        assert_unreachable(pods(), port)
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn facade_inside_multi_thread_runtime() {
    let port = closed_port();
    with_kubeconfig("labsim", &format!("https://127.0.0.1:{port}"), || {
        assert_unreachable(nodes(), port);
        assert_unreachable(statefulsets(), port);
    });
}

#[tokio::test(flavor = "current_thread")]
async fn facade_inside_current_thread_runtime() {
    let port = closed_port();
    with_kubeconfig("labsim", &format!("https://127.0.0.1:{port}"), || {
        assert_unreachable(pvcs(), port)
    });
}

#[test]
fn foreign_context_is_refused_until_allowed() {
    let port = closed_port();
    with_kubeconfig(
        "facade-test-foreign",
        &format!("https://10.0.0.1:{port}"),
        || {
            let e = pods().unwrap_err();
            assert!(
                matches!(
                    e,
                    Error::Cluster(crate::cluster::Error::ContextRefused { .. })
                ),
                "{e:?}"
            );
            assert!(format!("{e:?}").contains("allow_context(\"facade-test-foreign\")"));
        },
    );
    with_kubeconfig(
        "facade-test-allowed",
        &format!("https://127.0.0.1:{port}"),
        || {
            allow_context("facade-test-allowed");
            assert_unreachable(pods(), port);
        },
    );
}

#[test]
fn silent_server_times_out_instead_of_hanging() {
    // accepts TCP connections and never answers (not even the TLS handshake)
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let keep = std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in l.incoming().take(4) {
            held.push(s);
        }
        std::thread::sleep(Duration::from_secs(20));
    });
    let start = Instant::now();
    with_kubeconfig("labsim", &format!("https://127.0.0.1:{port}"), || {
        assert_unreachable(pods(), port)
    });
    assert!(
        start.elapsed() < Duration::from_secs(12),
        "took {:?}",
        start.elapsed()
    );
    drop(keep);
}

#[test]
fn missing_kubeconfig_is_explained() {
    let _g = ENV.lock().unwrap_or_else(|e| e.into_inner());
    std::env::set_var("KUBECONFIG", "/nonexistent/kubelab/kubeconfig");
    crate::runtime::reset_lab();
    let e = services().unwrap_err();
    let m = format!("{e:?}");
    assert!(
        m.contains("/nonexistent/kubelab/kubeconfig") && m.contains("start_cluster()"),
        "{m}"
    );
    crate::runtime::reset_lab();
}

#[test]
fn apply_of_missing_file_fails_before_needing_a_cluster() {
    // reading the manifest happens inside the Lab call, so an unreachable cluster is reported first;
    // the file error itself is covered in apply::tests. Here: no panic, an Error.
    let port = closed_port();
    with_kubeconfig("labsim", &format!("https://127.0.0.1:{port}"), || {
        assert!(apply("does-not-exist.yaml").is_err());
    });
}
