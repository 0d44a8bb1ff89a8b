//! Benchmark of kubelab's steps against an in-process labsim (run by `scripts/bench-kubelab.sh`):
//! wall time of each read call next to the equivalent `kubectl get` process (median of N runs),
//! and how long after the server marks a pod Ready kubelab's `watch_pods` / `wait_ready` report it
//! (labsim's store change instant vs the call's return, same process clock).

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kubelab_core::wait::DEFAULT_TIMEOUT;
use kubelab_core::{Lab, Table};
use labsim::cluster::Cluster;

const RUNS: usize = 10;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// `kubectl get <what>` as a process, discarding output; panics on failure.
fn kubectl(kubeconfig: &PathBuf, home: &PathBuf, args: &[&str]) -> Duration {
    let t0 = Instant::now();
    let st = Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(args)
        .env("HOME", home)
        .env_remove("KUBECONFIG")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run kubectl");
    assert!(st.success(), "kubectl {args:?} failed");
    t0.elapsed()
}

/// A kubelab read call.
/// The `Lab` read named `name` (as the reads' table names it), on `rt`.
fn read(rt: &tokio::runtime::Runtime, lab: &Lab, name: &str) -> kubelab_core::Result<Table> {
    rt.block_on(async {
        match name {
            "nodes()" => lab.nodes().await,
            "pods()" => lab.pods().await,
            "statefulsets()" => lab.statefulsets().await,
            "pvcs()" => lab.pvcs().await,
            "storage_classes()" => lab.storage_classes().await,
            other => panic!("no read {other}"),
        }
    })
}

/// Pod name -> instants at which labsim's store recorded the pod Ready=True (per UID, first only).
type ReadyLog = Arc<Mutex<HashMap<String, Vec<Instant>>>>;

fn is_ready(pod: &serde_json::Value) -> bool {
    pod["status"]["conditions"].as_array().is_some_and(|cs| {
        cs.iter()
            .any(|c| c["type"] == "Ready" && c["status"] == "True")
    })
}

fn main() {
    let state = tempfile::Builder::new()
        .prefix("kubelab-bench")
        .tempdir()
        .unwrap();
    let home: PathBuf = tempfile::tempdir().unwrap().keep();
    let sim_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let running = sim_rt
        .block_on(Cluster::start(state.path()))
        .expect("labsim start");
    let kc = running.kubeconfig.clone();
    std::env::set_var("KUBECONFIG", &kc);
    // the steps run on a runtime of their own, as in the kernel's engine
    let rt = tokio::runtime::Runtime::new().unwrap();
    let lab = rt.block_on(Lab::connect()).expect("connect");

    // record when the server's store makes each pod Ready
    let log: ReadyLog = Arc::default();
    {
        let mut rx = running.store.subscribe();
        let log = log.clone();
        std::thread::spawn(move || {
            let mut seen: HashMap<String, bool> = HashMap::new();
            loop {
                let ch = match rx.blocking_recv() {
                    Ok(c) => c,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(_) => return,
                };
                if ch.object["kind"] != "Pod" {
                    continue;
                }
                let uid = ch.object["metadata"]["uid"]
                    .as_str()
                    .unwrap_or("")
                    .to_string();
                let name = ch.object["metadata"]["name"]
                    .as_str()
                    .unwrap_or("")
                    .to_string();
                if is_ready(&ch.object) && !seen.get(&uid).copied().unwrap_or(false) {
                    seen.insert(uid, true);
                    log.lock()
                        .unwrap()
                        .entry(name)
                        .or_default()
                        .push(Instant::now());
                }
            }
        });
    }

    let t0 = Instant::now();
    rt.block_on(lab.apply("manifests/1-sts-mysql.yaml"))
        .expect("apply");
    rt.block_on(lab.watch_pods("app=mysql", DEFAULT_TIMEOUT))
        .expect("watch_pods");
    let watch_done = Instant::now();
    let apply_to_ready = t0.elapsed();
    let last_ready = *log.lock().unwrap()["mysql-2"].last().unwrap();
    let watch_lag = watch_done.duration_since(last_ready);

    // wait_ready after a pod delete, a few times
    let mut lags = Vec::new();
    for _ in 0..5 {
        rt.block_on(lab.delete_pod("mysql-2")).expect("delete_pod");
        rt.block_on(lab.wait_ready("mysql-2", DEFAULT_TIMEOUT))
            .expect("wait_ready");
        let done = Instant::now();
        let ready = *log.lock().unwrap()["mysql-2"].last().unwrap();
        lags.push(done.saturating_duration_since(ready));
    }

    // reads: kubelab call vs kubectl process (both warmed first)
    let reads: Vec<(&str, Vec<&str>)> = vec![
        ("nodes()", vec!["get", "nodes"]),
        ("pods()", vec!["get", "pods"]),
        ("statefulsets()", vec!["get", "statefulsets"]),
        ("pvcs()", vec!["get", "pvc"]),
        ("storage_classes()", vec!["get", "storageclass"]),
    ];
    let mut rows = Vec::new();
    for (name, args) in &reads {
        read(&rt, &lab, name).expect("warm-up");
        kubectl(&kc, &home, args);
        let k: Vec<Duration> = (0..RUNS)
            .map(|_| {
                let t = Instant::now();
                let table = read(&rt, &lab, name).expect(name);
                assert!(!table.is_empty(), "{name} returned no rows");
                t.elapsed()
            })
            .collect();
        let c: Vec<Duration> = (0..RUNS).map(|_| kubectl(&kc, &home, args)).collect();
        rows.push((name.to_string(), args.join(" "), median(k), median(c)));
    }

    println!("\n=== kubelab bench (labsim in-process, median of {RUNS} runs) ===");
    println!(
        "{:<20}{:>12}   {:<28}{:>12}",
        "kubelab call", "wall", "kubectl process", "wall"
    );
    for (name, args, k, c) in &rows {
        println!(
            "{:<20}{:>12}   kubectl {:<20}{:>12}",
            name,
            ms(*k),
            args,
            ms(*c)
        );
    }
    println!();
    println!(
        "apply + watch_pods to 3/3 Ready:             {}",
        ms(apply_to_ready)
    );
    println!(
        "server Ready (mysql-2) -> watch_pods return: {}",
        ms(watch_lag)
    );
    println!(
        "server Ready -> wait_ready return (5 runs):  {}",
        lags.iter().map(|d| ms(*d)).collect::<Vec<_>>().join(", ")
    );

    // leave nothing behind: stop labsim and every mariadbd
    sim_rt
        .block_on(async { tokio::time::timeout(Duration::from_secs(60), running.stop()).await })
        .expect("labsim stop in 60 s")
        .expect("labsim stop");
    let _ = std::fs::remove_dir_all(&home);
}
