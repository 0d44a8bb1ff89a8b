//! What the CLI's subcommands do: a single instance per state dir (an `flock` on
//! `<state>/labsim.lock`, so a stale pid file can never block a start), background start with a
//! readiness check over TLS, clean stop, status and reset.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use nix::fcntl::{Flock, FlockArg};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use labsim::cluster::Cluster;
use labsim::shutdown;

/// Files in the state dir this module owns.
const LOCK: &str = "labsim.lock";
const PID: &str = "labsim.pid";
const ENDPOINT: &str = "endpoint";
const LOG: &str = "labsim.log";

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// Tries to take the instance lock; `None` means another labsim holds it (it is running).
fn try_lock(state_dir: &Path) -> io::Result<Option<Flock<File>>> {
    fs::create_dir_all(state_dir)?;
    let f = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(state_dir.join(LOCK))?;
    match Flock::lock(f, FlockArg::LockExclusiveNonblock) {
        Ok(lock) => Ok(Some(lock)),
        Err((_, nix::errno::Errno::EWOULDBLOCK)) => Ok(None),
        Err((_, e)) => Err(io::Error::from(e)),
    }
}

fn is_running(state_dir: &Path) -> io::Result<bool> {
    if !state_dir.join(LOCK).exists() {
        return Ok(false);
    }
    Ok(try_lock(state_dir)?.is_none())
}

fn endpoint(state_dir: &Path) -> Option<String> {
    fs::read_to_string(state_dir.join(ENDPOINT))
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

fn abs(p: &Path) -> PathBuf {
    fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

fn print_usage(state_dir: &Path) {
    let dir = abs(state_dir);
    let kubeconfig = dir.join("kubeconfig");
    println!(
        "labsim이 https://{} 에서 실행 중입니다 (노드 3개: minikube, minikube-m02, minikube-m03).",
        endpoint(&dir).unwrap_or_default()
    );
    println!("kubeconfig: {} (context: labsim)", kubeconfig.display());
    println!();
    println!("사용법:");
    println!("  export KUBECONFIG={}", kubeconfig.display());
    println!("  kubectl get node");
    println!("멈추기: labsim down --state-dir {}", state_dir.display());
}

fn mariadbd_present() -> bool {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/usr/local/sbin")])
        .any(|d| d.join("mariadbd").is_file())
}

/// `labsim up`: start in the background, wait until `/readyz` answers over TLS.
pub fn up(
    state_dir: &Path,
    port: Option<u16>,
    timeout_secs: u64,
    timings: &labsim::objects::timings::Timings,
) -> Result<ExitCode> {
    if is_running(state_dir)? {
        println!(
            "labsim은 이미 실행 중입니다 (상태 디렉터리 {}).",
            state_dir.display()
        );
        print_usage(state_dir);
        return Ok(ExitCode::SUCCESS);
    }
    if !mariadbd_present() {
        eprintln!("경고: mariadbd를 찾을 수 없습니다. MySQL 파드가 시작되지 않습니다.");
        eprintln!("      설치: sudo apt-get install -y mariadb-server (Debian/Ubuntu)");
    }
    fs::create_dir_all(state_dir)?;
    // The pod network needs user namespaces: say so here, once, rather than in the log of a
    // server that exits at once.
    drop(labsim::network::ClusterNet::create(state_dir)?);
    // Pods run as bubblewrap sandboxes: without it (or if it cannot make its namespaces) none
    // could start, so say why once instead of starting a cluster whose pods all fail. After the
    // network's check, which names the user-namespace setting this machine lacks.
    labsim::kubelet::sandbox::preflight().map_err(|e| e.to_string())?;
    let _ = fs::remove_file(state_dir.join(ENDPOINT));
    let log = OpenOptions::new()
        .create(true)
        .append(true)
        .open(state_dir.join(LOG))?;
    let mut cmd = Command::new(std::env::current_exe()?);
    cmd.arg("run").arg("--state-dir").arg(state_dir);
    if let Some(p) = port {
        cmd.arg("--port").arg(p.to_string());
    }
    cmd.arg("--node-monitor-grace-period")
        .arg(format!(
            "{}ms",
            timings.node_monitor_grace_period.as_millis()
        ))
        .arg("--default-not-ready-toleration-seconds")
        .arg(timings.default_not_ready_toleration_seconds.to_string())
        .arg("--default-unreachable-toleration-seconds")
        .arg(timings.default_unreachable_toleration_seconds.to_string());
    cmd.stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log);
    // SAFETY: setsid is async-signal-safe; detaching keeps labsim alive after this shell exits
    // and out of the terminal's Ctrl-C.
    unsafe {
        cmd.pre_exec(|| nix::unistd::setsid().map(|_| ()).map_err(io::Error::from));
    }
    let mut child = cmd.spawn()?;
    let deadline = Instant::now() + Duration::from_secs(timeout_secs);
    loop {
        if let Some(status) = child.try_wait()? {
            return Err(format!(
                "labsim이 시작하자마자 종료되었습니다 ({status}). 로그를 확인하세요: {}",
                abs(&state_dir.join(LOG)).display()
            )
            .into());
        }
        if let Some(ep) = endpoint(state_dir) {
            if readyz(state_dir, &ep).is_ok() {
                break;
            }
        }
        if Instant::now() > deadline {
            return Err(format!(
                "labsim API가 {timeout_secs}초 안에 응답하지 않았습니다. 로그: {}",
                abs(&state_dir.join(LOG)).display()
            )
            .into());
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    print_usage(state_dir);
    Ok(ExitCode::SUCCESS)
}

/// One `GET /readyz` over TLS with the state dir's CA and token; Ok when it answers 200.
fn readyz(state_dir: &Path, endpoint: &str) -> Result<()> {
    match request(state_dir, endpoint, "GET", "/readyz")? {
        (200, _) => Ok(()),
        _ => Err("not ready".into()),
    }
}

/// One request to the running labsim over TLS with the state dir's CA and token: (HTTP code,
/// body).
fn request(state_dir: &Path, endpoint: &str, method: &str, path: &str) -> Result<(u16, String)> {
    let ca = fs::read(state_dir.join("pki").join("ca.crt"))?;
    let token = fs::read_to_string(state_dir.join("token"))?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut roots = rustls::RootCertStore::empty();
        for cert in rustls_pemfile::certs(&mut ca.as_slice()) {
            roots.add(cert?)?;
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        let tcp = tokio::time::timeout(Duration::from_secs(2), tokio::net::TcpStream::connect(endpoint)).await??;
        let name = rustls::pki_types::ServerName::try_from("127.0.0.1")?.to_owned();
        let mut tls = tokio::time::timeout(Duration::from_secs(2), connector.connect(name, tcp)).await??;
        let req = format!("{method} {path} HTTP/1.1\r\nHost: {endpoint}\r\nAuthorization: Bearer {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", token.trim());
        tls.write_all(req.as_bytes()).await?;
        let mut buf = Vec::new();
        // Admin calls touch the disk (a node's pods stop in the background): allow a while.
        tokio::time::timeout(Duration::from_secs(30), tls.read_to_end(&mut buf)).await??;
        let text = String::from_utf8_lossy(&buf).into_owned();
        let code = text
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse::<u16>().ok())
            .ok_or("malformed HTTP response")?;
        let body = text
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default();
        Ok((code, body))
    })
}

/// A `labsim/v1` admin call to the running labsim: `Ok(changed)`, or the server's message.
fn admin(state_dir: &Path, path: &str) -> Result<bool> {
    if !is_running(state_dir)? {
        return Err(format!(
            "labsim이 실행 중이 아닙니다 (상태 디렉터리 {}). 먼저 시작하세요: labsim up --state-dir {}",
            state_dir.display(),
            state_dir.display()
        )
        .into());
    }
    let ep = endpoint(state_dir).ok_or("labsim의 주소(endpoint 파일)를 찾을 수 없습니다")?;
    let (code, body) = request(state_dir, &ep, "POST", path)?;
    // Chunked or not, the JSON object is the part between the outer braces.
    let json = body
        .find('{')
        .zip(body.rfind('}'))
        .and_then(|(a, b)| serde_json::from_str::<serde_json::Value>(&body[a..=b]).ok())
        .unwrap_or_default();
    if code != 200 {
        let msg = json["message"].as_str().unwrap_or(body.trim());
        return Err(msg.to_string().into());
    }
    Ok(json["changed"].as_bool().unwrap_or(false))
}

/// `labsim node stop|start NODE`, in minikube's (Korean) words.
pub fn node(state_dir: &Path, name: &str, action: &str) -> Result<ExitCode> {
    if action == "stop" {
        println!("\"{name}\" 노드를 중지하는 중 ...");
    }
    let changed = admin(state_dir, &format!("/labsim/v1/nodes/{name}/{action}"))?;
    match (action, changed) {
        ("stop", _) => println!("{name} 노드가 정상적으로 중지되었습니다"),
        (_, false) => println!("{name} 이 이미 실행 중입니다"),
        _ => println!("{name} 노드가 정상적으로 시작되었습니다!"),
    }
    Ok(ExitCode::SUCCESS)
}

/// `labsim addons enable|disable NAME`, in minikube's (Korean) words.
pub fn addon(state_dir: &Path, name: &str, action: &str) -> Result<ExitCode> {
    admin(state_dir, &format!("/labsim/v1/addons/{name}/{action}"))?;
    if action == "enable" {
        println!("'{name}' 애드온이 활성화되었습니다");
    } else {
        println!("'{name}' 이 비활성화되었습니다");
    }
    Ok(ExitCode::SUCCESS)
}

/// `labsim down`: SIGTERM, wait until the lock is released (every pod stopped), SIGKILL after 60 s.
pub fn down(state_dir: &Path) -> Result<ExitCode> {
    if !is_running(state_dir)? {
        println!(
            "labsim이 실행 중이 아닙니다 (상태 디렉터리 {}).",
            state_dir.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let pid: i32 = fs::read_to_string(state_dir.join(PID))?.trim().parse()?;
    kill(Pid::from_raw(pid), Signal::SIGTERM)?;
    let deadline = Instant::now() + Duration::from_secs(60);
    while is_running(state_dir)? {
        if Instant::now() > deadline {
            eprintln!("60초 안에 멈추지 않아 강제로 종료합니다 (SIGKILL). 다음 시작 때 남은 프로세스를 정리합니다.");
            let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    println!(
        "labsim을 멈췄습니다. 오브젝트와 데이터는 {}에 남아 있습니다 (다시 시작: labsim up).",
        state_dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `labsim status`: exit 0 when running, 3 when not (like `systemctl status`).
pub fn status(state_dir: &Path) -> Result<ExitCode> {
    if !is_running(state_dir)? {
        println!(
            "labsim: 실행 중이 아님 (상태 디렉터리 {})",
            state_dir.display()
        );
        println!("시작: labsim up --state-dir {}", state_dir.display());
        return Ok(ExitCode::from(3));
    }
    let pid = fs::read_to_string(state_dir.join(PID)).unwrap_or_default();
    println!("labsim: 실행 중 (pid {})", pid.trim());
    let pods = fs::read_dir(state_dir.join("store/objects/pods")).map(|namespaces| {
        namespaces
            .filter_map(|ns| ns.ok())
            .map(|ns| fs::read_dir(ns.path()).map(|f| f.count()).unwrap_or(0))
            .sum::<usize>()
    });
    println!("파드 수: {}", pods.unwrap_or(0));
    let stopped: Vec<String> = fs::read_dir(labsim::objects::machines::nodes_dir(state_dir))
        .into_iter()
        .flatten()
        .flatten()
        .filter(|n| n.path().join("stopped").exists())
        .map(|n| n.file_name().to_string_lossy().into_owned())
        .collect();
    if !stopped.is_empty() {
        println!(
            "멈춘 노드: {} (다시 시작: labsim node start <노드>)",
            stopped.join(", ")
        );
    }
    print_usage(state_dir);
    Ok(ExitCode::SUCCESS)
}

/// `labsim reset --yes`: removes the state dir, only when stopped and only if it is labsim's.
pub fn reset(state_dir: &Path, yes: bool) -> Result<ExitCode> {
    if !state_dir.exists() {
        println!("지울 것이 없습니다: {}가 없습니다.", state_dir.display());
        return Ok(ExitCode::SUCCESS);
    }
    if is_running(state_dir)? {
        return Err(format!(
            "labsim이 실행 중입니다. 먼저 멈추세요: labsim down --state-dir {}",
            state_dir.display()
        )
        .into());
    }
    let looks_like_labsim = [LOCK, "token", "store"]
        .iter()
        .any(|f| state_dir.join(f).exists());
    if !looks_like_labsim {
        return Err(format!(
            "{}는 labsim 상태 디렉터리가 아닌 것 같아 지우지 않습니다.",
            state_dir.display()
        )
        .into());
    }
    if !yes {
        return Err(format!(
            "모든 오브젝트와 MySQL 데이터({})가 지워집니다. 정말 지우려면 --yes를 붙이세요: labsim reset --state-dir {} --yes",
            abs(state_dir).display(),
            state_dir.display()
        )
        .into());
    }
    fs::remove_dir_all(state_dir)?;
    println!("{}를 지웠습니다.", state_dir.display());
    Ok(ExitCode::SUCCESS)
}

/// `labsim run`: the server in the foreground; SIGTERM/SIGINT stop it cleanly.
pub fn run_foreground(
    state_dir: &Path,
    port: Option<u16>,
    timings: labsim::objects::timings::Timings,
) -> Result<ExitCode> {
    labsim::objects::timings::set(timings);
    let Some(_lock) = try_lock(state_dir)? else {
        return Err(format!(
            "labsim은 이미 실행 중입니다 (상태 디렉터리 {}).",
            state_dir.display()
        )
        .into());
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LABSIM_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(io::stderr)
        .init();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async {
        let cluster = Cluster::open(state_dir)?;
        let listener = bind(state_dir, port).await?;
        let addr = listener.local_addr()?;
        cluster.write_kubeconfig(addr)?;
        labsim::files::write_private(
            &state_dir.join(PID),
            std::process::id().to_string().as_bytes(),
        )?;
        // The endpoint file is the "bound and about to serve" signal `up` waits for.
        let mut f = File::create(state_dir.join(ENDPOINT))?;
        writeln!(f, "{addr}")?;
        tracing::info!(%addr, "labsim serving");
        let (trigger, shutdown) = shutdown::channel();
        tokio::spawn(async move {
            use tokio::signal::unix::{signal, SignalKind};
            let (Ok(mut term), Ok(mut int)) = (
                signal(SignalKind::terminate()),
                signal(SignalKind::interrupt()),
            ) else {
                return;
            };
            tokio::select! { _ = term.recv() => {}, _ = int.recv() => {} }
            tracing::info!("shutting down");
            trigger.fire();
            // Keep the trigger alive until the process exits.
            std::future::pending::<()>().await;
        });
        cluster.run(listener, shutdown).await?;
        let _ = fs::remove_file(state_dir.join(ENDPOINT));
        let _ = fs::remove_file(state_dir.join(PID));
        Ok::<_, Box<dyn std::error::Error>>(())
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Binds 127.0.0.1: the given port; else the one used last time (stable kubeconfig and kubectl
/// discovery cache) if free; else any free port.
async fn bind(state_dir: &Path, port: Option<u16>) -> io::Result<tokio::net::TcpListener> {
    use tokio::net::TcpListener;
    match port {
        Some(p) if p != 0 => TcpListener::bind(("127.0.0.1", p)).await.map_err(|e| {
            io::Error::new(
                e.kind(),
                format!(
                    "127.0.0.1:{p}에 바인딩할 수 없습니다 ({e}). 다른 --port를 주거나 생략하세요."
                ),
            )
        }),
        _ => {
            let last = fs::read_to_string(state_dir.join("last-port"))
                .ok()
                .and_then(|s| s.trim().parse::<u16>().ok());
            if let Some(p) = last {
                if let Ok(l) = TcpListener::bind(("127.0.0.1", p)).await {
                    return Ok(l);
                }
            }
            let l = TcpListener::bind("127.0.0.1:0").await?;
            fs::write(
                state_dir.join("last-port"),
                l.local_addr()?.port().to_string(),
            )?;
            Ok(l)
        }
    }
}
