//! The kernel's folder under /tmp: evcxr's build folder and the engine's socket. Removed when the
//! kernel ends in any way: on a normal exit by the kernel, and after a SIGKILL by a small reaper
//! process that waits for the kernel's end on a pipe, in its own session so that Jupyter's
//! signal to the kernel's process group does not reach it. Folders of kernels that died before
//! their reaper ran are swept at the next start.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const PREFIX: &str = "kubelab-kernel.";

/// The folder of this kernel, removed when dropped.
pub struct WorkDir {
    pub path: PathBuf,
}

impl WorkDir {
    /// Creates `/tmp/kubelab-kernel.<pid>` (0700) and starts its reaper.
    pub fn create() -> std::io::Result<WorkDir> {
        let base = std::env::temp_dir();
        sweep(&base);
        let path = base.join(format!("{PREFIX}{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir(&path)?;
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700))?;
        start_reaper(&path)?;
        Ok(WorkDir { path })
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Removes folders whose kernel process is gone.
fn sweep(base: &Path) {
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        let Some(pid) = name
            .strip_prefix(PREFIX)
            .and_then(|p| p.parse::<i32>().ok())
        else {
            continue;
        };
        // SAFETY: kill with signal 0 only checks whether the process exists.
        let alive = unsafe { libc::kill(pid, 0) } == 0
            || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM);
        if !alive {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// `kubelab-kernel reap DIR`: blocks until its stdin closes (the kernel ended), then removes DIR.
pub fn reap(dir: &str) {
    let mut buf = [0u8; 1];
    use std::io::Read;
    while matches!(std::io::stdin().read(&mut buf), Ok(n) if n > 0) {}
    let _ = std::fs::remove_dir_all(dir);
}

fn start_reaper(dir: &Path) -> std::io::Result<()> {
    let mut fds = [0; 2];
    // SAFETY: pipe2 fills two descriptors; O_CLOEXEC keeps the write end out of every other child
    // (evcxr's runner, cargo, kubectl), so only the kernel's own end keeps the pipe open.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    let (read_end, write_end) = (fds[0], fds[1]);
    let mut cmd = Command::new(std::env::current_exe()?);
    cmd.arg("reap")
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // SAFETY: between fork and exec only async-signal-safe calls: dup2 and setsid.
    unsafe {
        cmd.pre_exec(move || {
            if libc::dup2(read_end, 0) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            libc::setsid();
            Ok(())
        });
    }
    let child = cmd.spawn();
    // SAFETY: the read end now lives in the reaper only; the write end stays open (and leaks on
    // purpose) for this process's lifetime: its closing is the reaper's signal.
    unsafe { libc::close(read_end) };
    let _ = write_end;
    // the reaper is not waited for: it outlives us by design (reparented to init)
    child.map(|_| ())
}
