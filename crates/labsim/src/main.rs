//! The `labsim` command: start, stop and inspect a simulated 3-node minikube.
//!
//! `up` starts `labsim run` in the background and returns once the API answers; `down` stops it
//! (and with it every `mariadbd`); `status` says what runs; `reset --yes` wipes the state dir.

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

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Up {
            state_dir,
            port,
            timeout,
        } => daemon::up(&state_dir, port, timeout),
        Command::Down { state_dir } => daemon::down(&state_dir),
        Command::Status { state_dir } => daemon::status(&state_dir),
        Command::Run { state_dir, port } => daemon::run_foreground(&state_dir, port),
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
