//! Pods as real sandboxes: every container process runs under bubblewrap (`bwrap`, Debian's
//! non-setuid build) in new user, PID, UTS and IPC namespaces made without root, with the
//! pod's hostname, PID 1 its own command, and a filesystem of the host's `/usr` as "the image"
//! plus the pod's volumes ([`rootfs`]). Images map to userlands by one table ([`image`]);
//! [`spawn`] starts and stops the process, [`enter`] runs exec and exec probes in it, and
//! [`preflight`] tells at `labsim up` when this machine cannot make sandboxes.

pub mod enter;
pub mod image;
pub mod rootfs;
pub mod spawn;

#[cfg(test)]
mod tests;

use std::path::PathBuf;

pub use spawn::{Running, Spec};

/// The bubblewrap binary (Debian package `bubblewrap`).
pub const BWRAP: &str = "/usr/bin/bwrap";

/// Why a container process could not be made.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("bwrap를 실행할 수 없습니다: {0}")]
    Spawn(std::io::Error),
    #[error("컨테이너 로그 {0}를 열 수 없습니다: {1}")]
    Log(PathBuf, std::io::Error),
    #[error("샌드박스가 시작되지 않았습니다 (bwrap 종료 코드 {0}; 로그를 보세요)")]
    NotStarted(i32),
    #[error(
        "파드를 샌드박스로 실행할 수 없습니다: bubblewrap(/usr/bin/bwrap)이 없습니다. \
         설치: `sudo apt-get install bubblewrap` (또는 `make setup`)"
    )]
    NoBwrap,
    #[error(
        "파드를 샌드박스로 실행할 수 없습니다: 이 시스템은 root 없이 user namespace를 만들 수 없습니다 ({0}). \
         Ubuntu 23.10 이상이면 `sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`, \
         다른 배포판이면 `sudo sysctl -w kernel.unprivileged_userns_clone=1` 또는 \
         `user.max_user_namespaces`를 0보다 크게 설정한 뒤 `labsim up`을 다시 실행하세요"
    )]
    NoUserNamespaces(String),
}

/// Checks once that this machine can run sandboxes: bwrap exists and makes a user, PID, UTS
/// and IPC namespace with `/usr` bound. `labsim up` fails with this error (one clear cause and
/// fix) instead of starting a cluster whose pods cannot run.
pub fn preflight() -> Result<(), SandboxError> {
    if !std::path::Path::new(BWRAP).exists() {
        return Err(SandboxError::NoBwrap);
    }
    let out = std::process::Command::new(BWRAP)
        .args([
            "--unshare-user",
            "--unshare-pid",
            "--unshare-uts",
            "--unshare-ipc",
            "--die-with-parent",
            "--ro-bind",
            "/usr",
            "/usr",
            "--symlink",
            "usr/bin",
            "/bin",
            "--symlink",
            "usr/lib",
            "/lib",
            "--symlink",
            "usr/lib64",
            "/lib64",
            "--proc",
            "/proc",
            "--",
            "/usr/bin/true",
        ])
        .env_clear()
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(SandboxError::Spawn)?;
    if out.status.success() {
        return Ok(());
    }
    let why = String::from_utf8_lossy(&out.stderr).trim().to_string();
    Err(SandboxError::NoUserNamespaces(why))
}
