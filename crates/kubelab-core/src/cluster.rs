//! Reaching and starting the lab cluster: `start_cluster` (reuse, minikube, labsim, or say what
//! is missing), `ClusterInfo`, and the errors about contexts and reachability.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};

use crate::context::ClusterKind;
use crate::lab::Lab;
use crate::table::{pre, Table};
use crate::Result;

/// Errors about the kube context and reaching or starting the cluster.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The kubeconfig could not be read or used.
    #[error("kubeconfig를 읽을 수 없습니다 ({location}): {detail}\n→ start_cluster() 로 실습 클러스터를 시작하면 kubeconfig가 만들어집니다.")]
    NoKubeconfig {
        /// Where it was looked for.
        location: String,
        /// The underlying error.
        detail: String,
    },
    /// The kubeconfig has no current context.
    #[error("kubeconfig({location})에 현재 컨텍스트(current-context)가 없습니다.\n→ start_cluster() 로 클러스터를 시작하거나 `kubectl config use-context minikube` 로 선택하세요.")]
    NoContext {
        /// Where the kubeconfig is.
        location: String,
    },
    /// The current context is not a lab cluster and was not allowed.
    #[error("현재 kube 컨텍스트 '{context}' (서버 {server})는 실습용 클러스터(minikube, labsim)가 아니어서 작업하지 않습니다.\n→ 실습 클러스터로 바꾸려면 start_cluster() 또는 `kubectl config use-context minikube`.\n→ 이 컨텍스트에서 정말 실습하려면 allow_context(\"{context}\") 를 먼저 실행하거나 환경 변수 KUBELAB_ALLOW_CONTEXT={context} 를 설정하세요.")]
    ContextRefused {
        /// The context seen.
        context: String,
        /// Its API server.
        server: String,
    },
    /// The API server did not answer.
    #[error("클러스터에 연결할 수 없습니다: 컨텍스트 '{context}', 서버 {server}\n원인: {detail}\n→ 클러스터가 꺼져 있다면 start_cluster() 로 시작하세요.")]
    Unreachable {
        /// Context name.
        context: String,
        /// API server URL.
        server: String,
        /// What failed.
        detail: String,
    },
    /// Neither minikube+docker nor labsim is available.
    #[error("실습 클러스터를 시작할 방법이 없습니다.\n{missing}")]
    NothingToStart {
        /// What is missing and how to get it (one line each).
        missing: String,
    },
    /// A start command failed or timed out.
    #[error("`{command}` 실행에 실패했습니다: {detail}\n→ 위에 출력된 메시지를 확인하고 다시 start_cluster() 를 실행하세요.")]
    StartFailed {
        /// The command run.
        command: String,
        /// Exit status or timeout.
        detail: String,
    },
}

/// Which cluster kubelab talks to.
#[derive(Debug, Clone)]
pub struct ClusterInfo {
    /// Context name.
    pub context: String,
    /// API server URL.
    pub server: String,
    /// minikube, labsim or other.
    pub kind: ClusterKind,
    /// Server version, e.g. `v1.31.0`.
    pub version: String,
    /// `kubectl get nodes`.
    pub nodes: Table,
}

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
crate::table::evcxr_report!(ClusterInfo);

impl Lab {
    /// `kubectl cluster-info` + `kubectl get nodes`.
    pub async fn cluster(&self) -> Result<ClusterInfo> {
        crate::out::cmd("kubectl cluster-info && kubectl get nodes");
        Ok(ClusterInfo {
            context: self.ctx.name.clone(),
            server: self.ctx.server.clone(),
            kind: self.kind,
            version: self.version.clone(),
            nodes: self.nodes_table().await?,
        })
    }
}

/// The repository root (this crate's directory).
pub(crate) fn repo_root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
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
    crate::runtime::reset_lab();
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
    *crate::runtime::LAB_SLOT
        .lock()
        .unwrap_or_else(|e| e.into_inner()) = Some(std::sync::Arc::new(lab));
    Ok(info)
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_messages_are_korean_and_name_the_next_step() {
        let e = crate::Error::from(Error::Unreachable {
            context: "minikube".into(),
            server: "https://192.168.49.2:8443".into(),
            detail: "connection refused".into(),
        });
        let m = e.to_string();
        assert!(m.contains("연결할 수 없습니다") && m.contains("https://192.168.49.2:8443"));
        assert!(m.contains("start_cluster()"));
        assert_eq!(format!("{e:?}"), m, "Debug prints the same Korean text");

        let m = Error::NothingToStart {
            missing: "- minikube 가 PATH에 없습니다".into(),
        }
        .to_string();
        assert!(m.contains("시작할 방법이 없습니다") && m.contains("minikube"));
        let m = Error::StartFailed {
            command: "labsim up".into(),
            detail: "종료 코드 1".into(),
        }
        .to_string();
        assert!(m.contains("labsim up") && m.contains("다시 start_cluster()"));
        let m = Error::NoKubeconfig {
            location: "/x/kubeconfig".into(),
            detail: "No such file".into(),
        }
        .to_string();
        assert!(m.contains("/x/kubeconfig") && m.contains("start_cluster()"));
        let m = Error::NoContext {
            location: "~/.kube/config".into(),
        }
        .to_string();
        assert!(m.contains("current-context") && m.contains("use-context"));
    }

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
