//! The `labsim` command: start, stop and inspect a simulated 3-node minikube.
//!
//! `up` starts `labsim run` in the background and returns once the API answers; `down` stops it
//! (and with it every `mariadbd`); `status` says what runs; `reset --yes` wipes the state dir;
//! `node stop|start NODE` and `addons enable|disable NAME` ask the running labsim, as
//! `minikube node stop` and `minikube addons enable` do.

mod daemon;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "labsim",
    version,
    about = "StatefulSet 실습용 가상 3노드 minikube (진짜 Kubernetes API + 진짜 MariaDB)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// 백그라운드에서 클러스터를 시작하고 API가 응답하면 돌아옵니다.
    Up {
        /// 상태 디렉터리 (오브젝트, 인증서, 볼륨, kubeconfig)
        #[arg(long, default_value = ".labsim")]
        state_dir: PathBuf,
        /// API 포트 (127.0.0.1). 0 또는 생략: 지난번 포트, 없으면 빈 포트
        #[arg(long)]
        port: Option<u16>,
        /// API가 응답할 때까지 기다릴 최대 시간(초)
        #[arg(long, default_value_t = 30)]
        timeout: u64,
        #[command(flatten)]
        timings: Timings,
    },
    /// 클러스터와 모든 mariadbd 프로세스를 멈춥니다 (데이터는 남습니다).
    Down {
        #[arg(long, default_value = ".labsim")]
        state_dir: PathBuf,
    },
    /// 실행 중인지, 포트와 kubeconfig 경로를 보여 줍니다.
    Status {
        #[arg(long, default_value = ".labsim")]
        state_dir: PathBuf,
    },
    /// 포그라운드에서 실행합니다 (디버깅용, Ctrl-C로 종료).
    Run {
        #[arg(long, default_value = ".labsim")]
        state_dir: PathBuf,
        #[arg(long)]
        port: Option<u16>,
        #[command(flatten)]
        timings: Timings,
    },
    /// 노드를 멈추거나 다시 시작합니다 (minikube node stop|start). 멈춘 노드의 파드 프로세스는 죽습니다.
    Node {
        #[command(subcommand)]
        action: NodeAction,
    },
    /// 애드온을 켜거나 끕니다 (minikube addons enable|disable). 지원: storage-provisioner-rancher
    Addons {
        #[command(subcommand)]
        action: AddonAction,
    },
    /// 상태 디렉터리를 통째로 지웁니다 (모든 오브젝트와 데이터). --yes가 필요합니다.
    Reset {
        #[arg(long, default_value = ".labsim")]
        state_dir: PathBuf,
        /// 정말 지운다는 확인
        #[arg(long)]
        yes: bool,
    },
}

/// Node failure timings (upstream's flags and defaults; shorter values for tests and classes).
#[derive(clap::Args, Clone, Debug)]
struct Timings {
    /// kube-controller-manager --node-monitor-grace-period: 멈춘 노드가 NotReady(Unknown)가 되기까지
    #[arg(long, default_value = "50s", value_parser = parse_go_duration)]
    node_monitor_grace_period: std::time::Duration,
    /// kube-apiserver --default-not-ready-toleration-seconds: 새 파드의 기본 not-ready 톨러레이션(초)
    #[arg(long, default_value_t = 300)]
    default_not_ready_toleration_seconds: i64,
    /// kube-apiserver --default-unreachable-toleration-seconds: 새 파드의 기본 unreachable 톨러레이션(초)
    #[arg(long, default_value_t = 300)]
    default_unreachable_toleration_seconds: i64,
}

impl Timings {
    fn to_lib(&self) -> labsim::objects::timings::Timings {
        labsim::objects::timings::Timings {
            node_monitor_grace_period: self.node_monitor_grace_period,
            default_not_ready_toleration_seconds: self.default_not_ready_toleration_seconds,
            default_unreachable_toleration_seconds: self.default_unreachable_toleration_seconds,
        }
    }
}

fn parse_go_duration(s: &str) -> Result<std::time::Duration, String> {
    labsim::objects::timings::parse_duration(s)
        .ok_or_else(|| format!("\"{s}\"은(는) 올바른 기간이 아닙니다 (예: 50s, 1m30s, 500ms)"))
}

#[derive(Subcommand)]
enum NodeAction {
    /// 노드를 멈춥니다 (kubelet과 그 노드의 파드 프로세스가 멈춤)
    Stop {
        /// 노드 이름 (예: minikube-m02)
        name: String,
        #[arg(long, default_value = ".labsim")]
        state_dir: PathBuf,
    },
    /// 멈춘 노드를 다시 시작합니다
    Start {
        name: String,
        #[arg(long, default_value = ".labsim")]
        state_dir: PathBuf,
    },
}

#[derive(Subcommand)]
enum AddonAction {
    /// 애드온을 켭니다
    Enable {
        /// 애드온 이름 (storage-provisioner-rancher)
        name: String,
        #[arg(long, default_value = ".labsim")]
        state_dir: PathBuf,
    },
    /// 애드온을 끕니다
    Disable {
        name: String,
        #[arg(long, default_value = ".labsim")]
        state_dir: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Up {
            state_dir,
            port,
            timeout,
            timings,
        } => daemon::up(&state_dir, port, timeout, &timings.to_lib()),
        Command::Down { state_dir } => daemon::down(&state_dir),
        Command::Status { state_dir } => daemon::status(&state_dir),
        Command::Run {
            state_dir,
            port,
            timings,
        } => daemon::run_foreground(&state_dir, port, timings.to_lib()),
        Command::Node { action } => match action {
            NodeAction::Stop { name, state_dir } => daemon::node(&state_dir, &name, "stop"),
            NodeAction::Start { name, state_dir } => daemon::node(&state_dir, &name, "start"),
        },
        Command::Addons { action } => match action {
            AddonAction::Enable { name, state_dir } => daemon::addon(&state_dir, &name, "enable"),
            AddonAction::Disable { name, state_dir } => daemon::addon(&state_dir, &name, "disable"),
        },
        Command::Reset { state_dir, yes } => daemon::reset(&state_dir, yes),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("labsim: {e}");
            ExitCode::from(1)
        }
    }
}
