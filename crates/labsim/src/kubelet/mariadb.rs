//! The MariaDB side of the `mysql:*` / `mariadb:*` images: the fresh data directory their
//! `mysqld --initialize-insecure` copies (one `mariadb-install-db` per state dir), and a
//! readiness check that speaks the MySQL handshake. What the entrypoint does with it is the
//! image's own script (`sandbox/image/docker-entrypoint.sh`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::io::AsyncReadExt;

/// `mariadb-install-db` for a fresh data directory (≈2 s, 26 MB).
/// `tmpdir` must be private to this pod: concurrent bootstraps sharing /tmp collide on their
/// temporary table files ("Unknown table 'mysql.tmp_user_sys'", measured: 3 of 12 parallel runs).
pub fn install_args(datadir: &Path, tmpdir: &Path) -> Vec<String> {
    vec![
        "--no-defaults".into(),
        format!("--datadir={}", datadir.display()),
        format!("--tmpdir={}", tmpdir.display()),
        "--user=root".into(),
        "--auth-root-authentication-method=normal".into(),
        "--skip-test-db".into(),
        // Made once, copied into pods of other host names: no `root@<this host>` accounts
        // (mariadbd warns of them at every start under skip-name-resolve).
        "--cross-bootstrap".into(),
        "--innodb-log-file-size=8M".into(),
        "--innodb-buffer-pool-size=16M".into(),
    ]
}

/// The marker of a finished template; its name changes with [`install_args`] so that the
/// template of an older labsim is made again.
const COMPLETE: &str = "complete-cross-bootstrap";

/// The pristine data directory `mariadb-install-db` writes, made once per state dir under
/// `<state>/cache/mariadb-datadir/data` and copied into each new volume: the same files a fresh
/// install would write, in tens of milliseconds instead of about two seconds per pod.
pub async fn pristine_datadir(state_dir: &Path, timeout: Duration) -> std::io::Result<PathBuf> {
    // One install at a time: pods starting together wait for the first one's template.
    static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _guard = LOCK.lock().await;
    let cache = state_dir.join("cache");
    let template = cache.join("mariadb-datadir");
    if template.join(COMPLETE).exists() {
        return Ok(template.join("data"));
    }
    let work = cache.join("mariadb-datadir.new");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(work.join("data"))?;
    std::fs::create_dir_all(work.join("tmp"))?;
    // Its output stays in labsim's cache (never in a pod's log: host paths).
    let out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(cache.join("mariadb-install-db.log"))?;
    let status = tokio::process::Command::new("mariadb-install-db")
        .args(install_args(&work.join("data"), &work.join("tmp")))
        .current_dir(&work)
        .stdin(std::process::Stdio::null())
        .stdout(out.try_clone()?)
        .stderr(out)
        .kill_on_drop(true)
        .status();
    match tokio::time::timeout(timeout, status).await {
        Ok(Ok(s)) if s.success() => {}
        Ok(Ok(s)) => return Err(std::io::Error::other(format!("exit status {s}"))),
        Ok(Err(e)) => return Err(e),
        Err(_) => {
            return Err(std::io::Error::other(format!(
                "timed out after {timeout:?}"
            )))
        }
    }
    let _ = std::fs::remove_dir_all(work.join("tmp"));
    std::fs::write(work.join(COMPLETE), b"")?;
    let _ = std::fs::remove_dir_all(&template);
    std::fs::rename(&work, &template)?;
    Ok(template.join("data"))
}

/// Whether a MySQL server answers on loopback `port`: it sends its handshake (protocol 10) or
/// an error packet (0xff) right after connect.
pub async fn server_answers(port: u16, timeout: Duration) -> bool {
    match tokio::time::timeout(timeout, tokio::net::TcpStream::connect(("127.0.0.1", port))).await {
        Ok(Ok(s)) => greets(s, timeout).await,
        _ => false,
    }
}

/// Whether what answers on `s` greets as a MySQL server does.
pub async fn greets(mut s: tokio::net::TcpStream, timeout: Duration) -> bool {
    let mut head = [0u8; 5];
    matches!(
        tokio::time::timeout(timeout, s.read_exact(&mut head)).await,
        Ok(Ok(_)) if head[4] == 10 || head[4] == 0xff
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn install_uses_a_private_tmpdir() {
        let a = install_args(Path::new("/d"), Path::new("/t"));
        assert!(a.contains(&"--tmpdir=/t".to_string()));
        assert!(a.contains(&"--auth-root-authentication-method=normal".to_string()));
        assert!(a.contains(&"--cross-bootstrap".to_string()));
    }
}
