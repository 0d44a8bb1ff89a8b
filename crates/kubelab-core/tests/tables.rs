//! kubelab's `kubectl get` tables are kubectl's: for every read call, kubelab's text equals the
//! real `kubectl get ...` against the same labsim (same columns, same cells; an age may differ by
//! a second, since the two ask the server at slightly different moments), and so do the `-w`
//! lines of `watch_pods` and those of `kubectl get pods -w` watching alongside.

use std::process::Stdio;
use std::time::Duration;

mod common;

use kubelab_core::*;
use labsim::cluster::start_in_thread;
use testkit::Sim;

/// The reads and the kubectl command each stands for.
fn reads() -> Vec<(&'static str, Vec<&'static str>)> {
    vec![
        ("nodes", vec!["get", "nodes"]),
        ("pods", vec!["get", "pods"]),
        ("pods_wide", vec!["get", "pods", "-o", "wide"]),
        ("statefulsets", vec!["get", "statefulsets"]),
        ("pvcs", vec!["get", "pvc"]),
        ("pvs", vec!["get", "pv"]),
        ("storage_classes", vec!["get", "storageclass"]),
        ("services", vec!["get", "services"]),
        ("events", vec!["get", "events"]),
    ]
}

/// The `Lab` read named `name`.
async fn read(name: &str) -> Result<Table, Error> {
    match name {
        "nodes" => step!(nodes()),
        "pods" => step!(pods()),
        "pods_wide" => step!(pods_wide()),
        "statefulsets" => step!(statefulsets()),
        "pvcs" => step!(pvcs()),
        "pvs" => step!(pvs()),
        "storage_classes" => step!(storage_classes()),
        "services" => step!(services()),
        "events" => step!(events()),
        other => panic!("no read {other}"),
    }
}

/// Seconds of a kubectl age (`4s`, `2m3s`, `3h20m`, `2d2h`, `2y3d`), if the text is one.
fn age_secs(s: &str) -> Option<i64> {
    if s.is_empty() {
        return None;
    }
    let (mut total, mut num) = (0i64, String::new());
    for c in s.chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86400,
            'y' => 365 * 86400,
            _ => return None,
        };
        total += num.parse::<i64>().ok()? * unit;
        num.clear();
    }
    num.is_empty().then_some(total)
}

/// A kubectl text table cut into cells at the header's column starts.
fn cells(text: &str) -> Vec<Vec<String>> {
    let mut lines = text.lines();
    let Some(header) = lines.next() else {
        return Vec::new();
    };
    let h: Vec<char> = header.chars().collect();
    let mut starts = vec![0];
    for i in 1..h.len() {
        if h[i] != ' ' && h[i - 1] == ' ' && i >= 3 && h[i - 3..i].iter().all(|c| *c == ' ') {
            starts.push(i);
        }
    }
    std::iter::once(header)
        .chain(lines)
        .map(|l| {
            let c: Vec<char> = l.chars().collect();
            starts
                .iter()
                .enumerate()
                .map(|(k, &a)| {
                    let b = starts.get(k + 1).copied().unwrap_or(c.len()).min(c.len());
                    c[a.min(c.len())..b]
                        .iter()
                        .collect::<String>()
                        .trim()
                        .to_string()
                })
                .collect()
        })
        .collect()
}

/// kubelab's text equals kubectl's, or differs only in ages by at most one second.
fn assert_same(what: &str, ours: &str, kubectl: &str) {
    if ours == kubectl {
        return;
    }
    let (a, b) = (cells(ours), cells(kubectl));
    let explain = format!("{what}:\n--- kubelab\n{ours}\n--- kubectl\n{kubectl}");
    assert_eq!(a.len(), b.len(), "{explain}");
    assert_eq!(a[0], b[0], "columns differ: {explain}");
    for (ra, rb) in a.iter().zip(&b).skip(1) {
        assert_eq!(ra.len(), rb.len(), "{explain}");
        for (i, (x, y)) in ra.iter().zip(rb).enumerate() {
            if x == y {
                continue;
            }
            let column = a[0][i].as_str();
            let timed = matches!(column, "AGE" | "LAST SEEN" | "FIRST SEEN");
            let close =
                matches!((age_secs(x), age_secs(y)), (Some(p), Some(q)) if (p - q).abs() <= 1);
            assert!(
                timed && close,
                "cell {column} differs ({x:?} vs {y:?}): {explain}"
            );
        }
    }
}

/// Every read against kubectl, the empty-list message included (kubectl writes it to stderr).
async fn compare_all(sim: &Sim, stage: &str) -> Vec<(String, Table)> {
    let mut out = Vec::new();
    for (name, args) in reads() {
        let t = read(name).await.unwrap_or_else(|e| panic!("{name}: {e}"));
        let o =
            testkit::run_with_timeout(sim.kubectl_cmd(&args), std::time::Duration::from_secs(60));
        assert!(
            o.status.success(),
            "kubectl {args:?}: {}",
            testkit::text(&o)
        );
        let stdout = String::from_utf8_lossy(&o.stdout);
        let kubectl = if stdout.trim().is_empty() {
            String::from_utf8_lossy(&o.stderr).trim_end().to_string()
        } else {
            stdout.trim_end().to_string()
        };
        // shown with --nocapture
        eprintln!("{stage} {name}():\n{t}\n");
        assert_same(&format!("{stage} {name}()"), &t.to_text(), &kubectl);
        out.push((name.to_string(), t));
    }
    out
}

/// kubelab's `-w` lines are the lines `kubectl get pods -w` printed over the same events:
/// the same header, then row by row the same cells (an age may differ by a second) in the same
/// layout. kubectl, still watching when it was stopped, may have printed more.
fn assert_same_watch(ours: &[String], kubectl: &str) {
    let theirs: Vec<&str> = kubectl.lines().collect();
    let explain = format!("--- kubelab\n{}\n--- kubectl\n{kubectl}", ours.join("\n"));
    assert!(ours.len() > 6, "a header and rows: {explain}");
    assert!(theirs.len() >= ours.len(), "{explain}");
    assert_eq!(ours[0], theirs[0], "header: {explain}");
    for (a, b) in ours.iter().zip(&theirs).skip(1) {
        let (x, y): (Vec<&str>, Vec<&str>) = (
            a.split_whitespace().collect(),
            b.split_whitespace().collect(),
        );
        assert_eq!(x.len(), y.len(), "{explain}");
        let (age_x, age_y) = (age_secs(x[x.len() - 1]), age_secs(y[y.len() - 1]));
        let close = matches!((age_x, age_y), (Some(p), Some(q)) if (p - q).abs() <= 1);
        assert!(
            x[..x.len() - 1] == y[..y.len() - 1] && close,
            "row {a:?} vs {b:?}: {explain}"
        );
        if x == y {
            assert_eq!(a, b, "layout: {explain}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn age_parsing_and_cutting() {
    assert_eq!(age_secs("2m3s"), Some(123));
    assert_eq!(age_secs("80s"), Some(80));
    assert_eq!(age_secs("2d2h"), Some(2 * 86400 + 7200));
    assert_eq!(age_secs("<none>"), None);
    let c = cells("NAME      VOLUME   AGE\nmysql-0            3s\nmysql-1   pvc-1    10s");
    assert_eq!(c[1], ["mysql-0", "", "3s"]);
    assert_eq!(c[2], ["mysql-1", "pvc-1", "10s"]);
    assert_same("x", "NAME   AGE\na      9s", "NAME   AGE\na      10s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_read_prints_what_kubectl_get_prints() {
    let mut sim = tokio::task::block_in_place(|| Sim::in_process(start_in_thread).exported());

    // a fresh cluster: empty lists say so as kubectl does (namespaced or not)
    let before = compare_all(&sim, "fresh cluster:").await;
    let find = |v: &[(String, Table)], n: &str| v.iter().find(|(k, _)| k == n).unwrap().1.clone();
    assert_eq!(
        find(&before, "pods").to_text(),
        "No resources found in default namespace."
    );
    assert_eq!(find(&before, "pvs").to_text(), "No resources found");
    assert_eq!(
        find(&before, "nodes").column("NAME"),
        ["minikube", "minikube-m02", "minikube-m03"]
    );

    // the lab starting, watched by kubelab and by `kubectl get pods -w` side by side
    let mut kubectl_w = sim
        .kubectl_cmd(&[
            "get",
            "pods",
            "-l",
            "app=mysql",
            "-w",
            "--output-watch-events=false",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("kubectl -w");
    let watching =
        tokio::spawn(async { step!(watch_pods("app=mysql", kubelab_core::wait::DEFAULT_TIMEOUT)) });
    // both watches are open before the first pod exists
    tokio::time::sleep(Duration::from_secs(2)).await;
    step!(apply(&testkit::manifest("1-sts-mysql.yaml"))).unwrap();
    let w = watching.await.unwrap().unwrap();
    assert_eq!(w.pods.column("READY"), ["1/1", "1/1", "1/1"], "{w}");
    std::thread::sleep(Duration::from_secs(1));
    let _ = kubectl_w.kill();
    let out = kubectl_w.wait_with_output().unwrap();
    assert_same_watch(&w.lines, &String::from_utf8_lossy(&out.stdout));

    // the lab running: three pods, PVCs, PVs, the headless service, events
    let after = compare_all(&sim, "lab running:").await;
    let wide = find(&after, "pods_wide");
    assert_eq!(
        wide.columns(),
        [
            "NAME",
            "READY",
            "STATUS",
            "RESTARTS",
            "AGE",
            "IP",
            "NODE",
            "NOMINATED NODE",
            "READINESS GATES"
        ]
    );
    assert_eq!(find(&after, "pvs").len(), 3);
    assert!(!find(&after, "events").is_empty());

    sim.stop();
}
