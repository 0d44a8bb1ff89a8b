//! Which cluster kubelab acts on: `start_cluster` (reuse, minikube, labsim, or say what is
//! missing), `cluster()` (`ClusterInfo`) and `allow_context`. Its failures are `cluster::Error`.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use k8s_openapi::api::core::v1::Node;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::context::{self, repo_root};
pub use crate::error::cluster::Error;
use crate::error::Result;
use crate::lab::Lab;
use crate::runtime;
use crate::table::pre;

pub use kubelab::ClusterData;

/// Which cluster kubelab talks to ([`ClusterData`]: context, server, kind, version, nodes).
#[derive(Debug, Clone)]
pub struct ClusterInfo(pub ClusterData);
crate::report::report!(ClusterInfo: ClusterData = 0);

impl fmt::Display for ClusterInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Kubernetes control plane is running at {}\n컨텍스트: {} ({}), 버전 {}\n",
            self.server, self.context, self.kind, self.version
        )?;
        write!(f, "{}", self.nodes)
    }
}

impl ClusterInfo {
    /// HTML for Jupyter.
    pub fn to_html(&self) -> String {
        format!(
            "{}{}",
            pre(&format!(
                "Kubernetes control plane is running at {}\n컨텍스트: {} ({}), 버전 {}",
                self.server, self.context, self.kind, self.version
            )),
            self.nodes.to_html()
        )
    }
}

impl Lab {
    /// `kubectl cluster-info` + `kubectl get nodes`.
    pub async fn cluster(&self) -> Result<ClusterInfo> {
        crate::out::cmd("kubectl cluster-info && kubectl get nodes");
        Ok(ClusterInfo(ClusterData {
            context: self.ctx.name.clone(),
            server: self.ctx.server.clone(),
            kind: self.kind,
            version: self.version.clone(),
            nodes: self
                .server_table::<Node>("kubectl get nodes", None, false)
                .await?
                .shown(),
        }))
    }
}

/// Lets kubelab act on a kube context that is not a lab cluster (process-wide); the next call
/// connects afresh.
pub fn allow_context(name: &str) {
    context::allow(name);
    crate::out::line(format!("컨텍스트 '{name}' 에서의 작업을 허용했습니다."));
    runtime::reset_lab();
}

/// Finds an executable on PATH.
pub(crate) fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    p.is_file()
        && p.metadata()
            .is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
}

/// Finds the labsim binary: `KUBELAB_LABSIM`, PATH, or `target/*/labsim` in the repository.
pub(crate) fn find_labsim() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("KUBELAB_LABSIM").map(PathBuf::from) {
        if is_executable(&p) {
            return Some(p);
        }
    }
    if let Some(p) = which("labsim") {
        return Some(p);
    }
    let mut dirs = vec![repo_root().join("target")];
    if let Some(t) = std::env::var_os("CARGO_TARGET_DIR") {
        dirs.insert(0, PathBuf::from(t));
    }
    for d in dirs {
        for profile in ["debug", "release"] {
            let p = d.join(profile).join("labsim");
            if is_executable(&p) {
                return Some(p);
            }
        }
    }
    None
}

/// Runs a command, streaming its output lines, with a timeout.
async fn run_streaming(program: &Path, args: &[&str], limit: Duration) -> Result<()> {
    let shown = format!(
        "{} {}",
        program.file_name().and_then(|n| n.to_str()).unwrap_or("?"),
        args.join(" ")
    );
    crate::out::cmd(&shown);
    let failed = |detail: String| Error::StartFailed {
        command: shown.clone(),
        detail,
    };
    let mut child = tokio::process::Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| failed(e.to_string()))?;
    let mut out = BufReader::new(child.stdout.take().expect("piped")).lines();
    let mut err = BufReader::new(child.stderr.take().expect("piped")).lines();
    let run = async {
        let (mut o_done, mut e_done) = (false, false);
        while !(o_done && e_done) {
            tokio::select! {
                l = out.next_line(), if !o_done => match l { Ok(Some(l)) => crate::out::line(l.to_string()), _ => o_done = true },
                l = err.next_line(), if !e_done => match l { Ok(Some(l)) => crate::out::line(l.to_string()), _ => e_done = true },
            }
        }
        child.wait().await
    };
    match tokio::time::timeout(limit, run).await {
        Ok(Ok(st)) if st.success() => Ok(()),
        Ok(Ok(st)) => Err(failed(format!("종료 코드 {st}")).into()),
        Ok(Err(e)) => Err(failed(e.to_string()).into()),
        Err(_) => Err(failed(format!("{}초 안에 끝나지 않았습니다", limit.as_secs())).into()),
    }
}

async fn docker_answers() -> bool {
    let Some(docker) = which("docker") else {
        return false;
    };
    let st = tokio::process::Command::new(docker)
        .args(["info", "--format", "{{.ServerVersion}}"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .status();
    matches!(tokio::time::timeout(Duration::from_secs(10), st).await, Ok(Ok(s)) if s.success())
}

/// Connects, retrying for up to `limit` (a freshly started cluster needs a moment).
async fn connect_retry(limit: Duration) -> Result<Lab> {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match Lab::connect().await {
            Ok(l) => return Ok(l),
            Err(e) if tokio::time::Instant::now() >= deadline => return Err(e),
            Err(_) => tokio::time::sleep(Duration::from_millis(500)).await,
        }
    }
}

/// Reuses a reachable lab cluster, else starts minikube (docker) or labsim.
pub async fn start_cluster() -> Result<ClusterInfo> {
    runtime::reset_lab();
    match Lab::connect().await {
        Ok(lab) => {
            crate::out::line(format!(
                "실행 중인 실습 클러스터를 사용합니다: 컨텍스트 '{}' ({})",
                lab.ctx.name, lab.ctx.server
            ));
            return finish(lab).await;
        }
        Err(e) => crate::out::line(format!(
            "현재 컨텍스트를 사용할 수 없습니다: {}",
            first_line(&e.to_string())
        )),
    }
    let minikube = which("minikube");
    let docker = which("docker");
    if minikube.is_some() && docker_answers().await {
        run_streaming(
            minikube.as_deref().expect("checked"),
            &[
                "start",
                "--driver=docker",
                "--cni=calico",
                "--kubernetes-version=stable",
                "--nodes=3",
            ],
            Duration::from_secs(15 * 60),
        )
        .await?;
        return finish(connect_retry(Duration::from_secs(30)).await?).await;
    }
    if let Some(labsim) = find_labsim() {
        let state = repo_root().join(".labsim");
        let state_s = state.to_string_lossy().to_string();
        run_streaming(
            &labsim,
            &["up", "--state-dir", &state_s],
            Duration::from_secs(120),
        )
        .await?;
        let kubeconfig = state.join("kubeconfig");
        if !kubeconfig.is_file() {
            return Err(Error::StartFailed {
                command: format!("labsim up --state-dir {state_s}"),
                detail: format!(
                    "끝났지만 {} 이(가) 만들어지지 않았습니다 (labsim.log 확인)",
                    kubeconfig.display()
                ),
            }
            .into());
        }
        // SAFETY of intent: kubelab owns this process's kube configuration from here on.
        std::env::set_var("KUBECONFIG", &kubeconfig);
        crate::out::line(format!(
            "KUBECONFIG={} (이 프로세스에 설정)",
            kubeconfig.display()
        ));
        return finish(connect_retry(Duration::from_secs(30)).await?).await;
    }
    let mut missing = Vec::new();
    match (minikube.is_some(), docker.is_some()) {
        (false, _) => missing.push("- minikube 가 PATH에 없습니다: https://minikube.sigs.k8s.io/docs/start/ 에서 설치하세요.".to_string()),
        (true, false) => missing.push("- docker 가 PATH에 없습니다: Docker Engine을 설치하세요 (minikube --driver=docker 에 필요).".to_string()),
        (true, true) => missing.push("- docker 가 응답하지 않습니다: `docker info` 가 되도록 Docker 데몬을 시작하세요 (예: sudo systemctl start docker).".to_string()),
    }
    missing.push(format!(
        "- labsim (모의 클러스터) 실행 파일이 없습니다: 저장소({})에서 `cargo build -p labsim` 을 실행하거나 KUBELAB_LABSIM=/경로/labsim 을 설정하세요.",
        repo_root().display()
    ));
    Err(Error::NothingToStart {
        missing: missing.join("\n"),
    }
    .into())
}

async fn finish(lab: Lab) -> Result<ClusterInfo> {
    let info = lab.cluster().await?;
    runtime::install(std::sync::Arc::new(lab));
    Ok(info)
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn which_finds_sh() {
        assert!(which("sh").is_some());
        assert!(which("surely-not-a-binary-kubelab").is_none());
    }

    #[tokio::test]
    async fn streaming_command_reports_failure_and_timeout() {
        let sh = which("sh").unwrap();
        run_streaming(
            &sh,
            &["-c", "echo hi; echo err >&2"],
            Duration::from_secs(5),
        )
        .await
        .unwrap();
        let e = run_streaming(&sh, &["-c", "exit 3"], Duration::from_secs(5))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("종료 코드"), "{e}");
        let e = run_streaming(&sh, &["-c", "sleep 5"], Duration::from_millis(200))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("끝나지 않았습니다"), "{e}");
    }
}
