//! How a `mysql:*` / `mariadb:*` container becomes a local `mariadbd`: the official images' env
//! contract (root password, database, user), the one-shot init SQL, the server's arguments (tuned
//! for ~60-90 MB RSS) and a readiness check that speaks the MySQL handshake.

use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::io::AsyncReadExt;

/// Which official image's env contract applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    Mysql,
    Mariadb,
}

/// `mysql:8.4.3`, `docker.io/library/mysql:8.4`, `mariadb@sha256:..` → a flavor; other images → None.
pub fn flavor(image: &str) -> Option<Flavor> {
    let no_digest = image.split('@').next().unwrap_or(image);
    let last = no_digest.rsplit('/').next().unwrap_or(no_digest);
    match last.split(':').next().unwrap_or(last) {
        "mysql" => Some(Flavor::Mysql),
        "mariadb" => Some(Flavor::Mariadb),
        _ => None,
    }
}

/// The message of `ErrImagePull` for an image labsim cannot run.
pub fn unsupported_image_message(image: &str) -> String {
    format!("labsim은 MySQL/MariaDB 이미지(mysql:*, mariadb:*)만 실행합니다: {image} (labsim runs only MySQL/MariaDB images)")
}

/// The root password the first start sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RootPassword {
    Set(String),
    Empty,
    /// `*_RANDOM_ROOT_PASSWORD`: generated, printed once to the container log as the images do.
    Random(String),
}

/// What the entrypoint does on a data directory's first start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstStart {
    pub root: RootPassword,
    /// `MYSQL_ROOT_HOST` (mysql image), default `%`.
    pub root_host: String,
    pub database: Option<String>,
    /// (user, password)
    pub user: Option<(String, String)>,
    /// Warnings the entrypoint prints.
    pub notes: Vec<String>,
}

/// The entrypoint's refusal to initialise (the container exits 1 with this in its log).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntrypointError {
    /// No root password option set.
    #[error("{0}")]
    MissingPassword(String),
    /// `MYSQL_USER=root`.
    #[error("{0}")]
    RootUser(String),
}

/// Reads the official images' variables. The mariadb image accepts `MARIADB_*` first, then
/// `MYSQL_*`; the mysql image reads `MYSQL_*` only.
pub fn first_start(f: Flavor, env: &[(String, String)]) -> Result<FirstStart, EntrypointError> {
    let get = |suffixes: &[&str]| -> Option<String> {
        let mut names = Vec::new();
        for s in suffixes {
            if f == Flavor::Mariadb {
                names.push(format!("MARIADB_{s}"));
            }
            names.push(format!("MYSQL_{s}"));
        }
        names.iter().find_map(|n| {
            env.iter()
                .rev()
                .find(|(k, _)| k == n)
                .map(|(_, v)| v.clone())
                .filter(|v| !v.is_empty())
        })
    };
    let root = if let Some(p) = get(&["ROOT_PASSWORD"]) {
        RootPassword::Set(p)
    } else if get(&["ALLOW_EMPTY_PASSWORD", "ALLOW_EMPTY_ROOT_PASSWORD"]).is_some() {
        RootPassword::Empty
    } else if get(&["RANDOM_ROOT_PASSWORD"]).is_some() {
        use rand::Rng;
        let pw: String = rand::thread_rng()
            .sample_iter(&rand::distributions::Alphanumeric)
            .take(32)
            .map(char::from)
            .collect();
        RootPassword::Random(pw)
    } else {
        let text = match f {
            Flavor::Mysql => "[ERROR] [Entrypoint]: Database is uninitialized and password option is not specified\n    You need to specify one of the following as an environment variable:\n    - MYSQL_ROOT_PASSWORD\n    - MYSQL_ALLOW_EMPTY_PASSWORD\n    - MYSQL_RANDOM_ROOT_PASSWORD",
            Flavor::Mariadb => "[ERROR] [Entrypoint]: Database is uninitialized and password option is not specified\n\tYou need to specify one of MARIADB_ROOT_PASSWORD, MARIADB_ROOT_PASSWORD_HASH, MARIADB_ALLOW_EMPTY_ROOT_PASSWORD and MARIADB_RANDOM_ROOT_PASSWORD",
        };
        return Err(EntrypointError::MissingPassword(text.into()));
    };
    let mut notes = Vec::new();
    let user = match (get(&["USER"]), get(&["PASSWORD"])) {
        (Some(u), _) if u == "root" => {
            return Err(EntrypointError::RootUser(
                "[ERROR] [Entrypoint]: MYSQL_USER=\"root\", MYSQL_USER and MYSQL_PASSWORD are for configuring a regular user and cannot be used for the root user\n    Remove MYSQL_USER=\"root\" and use one of the following to control the root user password:\n    - MYSQL_ROOT_PASSWORD\n    - MYSQL_ALLOW_EMPTY_PASSWORD\n    - MYSQL_RANDOM_ROOT_PASSWORD".into(),
            ))
        }
        (Some(u), Some(p)) => Some((u, p)),
        (Some(_), None) => {
            notes.push("[Warn] [Entrypoint]: MYSQL_USER specified, but missing MYSQL_PASSWORD; MYSQL_USER will not be created".into());
            None
        }
        _ => None,
    };
    Ok(FirstStart {
        root,
        root_host: get(&["ROOT_HOST"]).unwrap_or_else(|| "%".into()),
        database: get(&["DATABASE"]),
        user,
        notes,
    })
}

/// A SQL string literal.
fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// A SQL identifier.
fn ident(s: &str) -> String {
    format!("`{}`", s.replace('`', "``"))
}

/// The one-shot `--init-file`: one statement per line (mariadbd's init-file reader wants that).
/// Like the official images: only `root@localhost` (and `mariadb.sys`) survive the install, root
/// gets the password, `root@<root_host>` is created, then the database and user.
pub fn init_sql(fs: &FirstStart) -> String {
    let mut l = vec![
        "DELETE FROM mysql.global_priv WHERE User NOT IN ('mysql.sys','mariadb.sys','root') OR Host NOT IN ('localhost');".to_string(),
        "FLUSH PRIVILEGES;".into(),
    ];
    let pw = match &fs.root {
        RootPassword::Set(p) | RootPassword::Random(p) => Some(p.as_str()),
        RootPassword::Empty => None,
    };
    let by = pw
        .map(|p| format!(" IDENTIFIED BY {}", lit(p)))
        .unwrap_or_default();
    if pw.is_some() {
        l.push(format!("ALTER USER 'root'@'localhost'{by};"));
    }
    // In a container `localhost` is the unix socket; labsim's clients (exec, probes) reach the
    // server over loopback TCP, which `--skip-name-resolve` sees as 127.0.0.1.
    let extra_host = if fs.root_host == "localhost" {
        "127.0.0.1"
    } else {
        fs.root_host.as_str()
    };
    {
        let host = lit(extra_host);
        l.push(format!("CREATE USER 'root'@{host}{by};"));
        l.push(format!(
            "GRANT ALL ON *.* TO 'root'@{host} WITH GRANT OPTION;"
        ));
        l.push(format!(
            "GRANT PROXY ON ''@'%' TO 'root'@{host} WITH GRANT OPTION;"
        ));
    }
    if let Some(db) = &fs.database {
        l.push(format!("CREATE DATABASE IF NOT EXISTS {};", ident(db)));
    }
    if let Some((u, p)) = &fs.user {
        l.push(format!(
            "CREATE USER {}@'%' IDENTIFIED BY {};",
            lit(u),
            lit(p)
        ));
        if let Some(db) = &fs.database {
            l.push(format!("GRANT ALL ON {}.* TO {}@'%';", ident(db), lit(u)));
        }
    }
    l.push("FLUSH PRIVILEGES;".into());
    l.join("\n") + "\n"
}

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
        "--innodb-log-file-size=8M".into(),
        "--innodb-buffer-pool-size=16M".into(),
    ]
}

/// The pristine data directory `mariadb-install-db` writes, made once per state dir under
/// `<state>/cache/mariadb-datadir/data` and copied into each new volume: the same files a fresh
/// install would write, in tens of milliseconds instead of about two seconds per pod.
pub async fn pristine_datadir(
    state_dir: &Path,
    log: &Path,
    timeout: Duration,
) -> std::io::Result<PathBuf> {
    // One install at a time: pods starting together wait for the first one's template.
    static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _guard = LOCK.lock().await;
    let cache = state_dir.join("cache");
    let template = cache.join("mariadb-datadir");
    if template.join("complete").exists() {
        return Ok(template.join("data"));
    }
    let work = cache.join("mariadb-datadir.new");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(work.join("data"))?;
    std::fs::create_dir_all(work.join("tmp"))?;
    let out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)?;
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
    std::fs::write(work.join("complete"), b"")?;
    let _ = std::fs::remove_dir_all(&template);
    std::fs::rename(&work, &template)?;
    Ok(template.join("data"))
}

/// Copies a directory tree (files and subdirectories) into `to`, which may exist.
pub fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// `mariadbd` for one pod. The process runs with its cwd in `run_dir`; the socket goes there too
/// when the path is short enough for a unix socket (else into the data dir, mariadbd's cwd).
pub fn server_args(
    datadir: &Path,
    run_dir: &Path,
    port: u16,
    init_file: Option<&Path>,
) -> Vec<String> {
    let sock = run_dir.join("mysqld.sock");
    let sock = if sock.as_os_str().len() < 100 {
        sock.display().to_string()
    } else {
        "mysqld.sock".into()
    };
    let mut a = vec![
        "--no-defaults".to_string(),
        format!("--datadir={}", datadir.display()),
        "--user=root".into(),
        format!("--socket={sock}"),
        format!("--port={port}"),
        // If the port is briefly busy, wait for it instead of failing the start.
        "--port-open-timeout=5".into(),
        "--bind-address=127.0.0.1".into(),
        "--skip-name-resolve".into(),
        "--skip-log-bin".into(),
        "--innodb-buffer-pool-size=16M".into(),
        "--innodb-log-file-size=8M".into(),
        "--performance-schema=OFF".into(),
        "--max-connections=50".into(),
        "--key-buffer-size=1M".into(),
        "--aria-pagecache-buffer-size=1M".into(),
        "--table-open-cache=200".into(),
        // The mysql:8 image's defaults: Korean text (and emoji) fit in every column.
        "--character-set-server=utf8mb4".into(),
        "--collation-server=utf8mb4_general_ci".into(),
        // A private tmpdir: servers sharing /tmp can collide on temporary table files.
        format!("--tmpdir={}", run_dir.join("tmp").display()),
        format!("--log-error={}", run_dir.join("mysqld.log").display()),
        format!("--pid-file={}", run_dir.join("mysqld.pid").display()),
    ];
    if let Some(f) = init_file {
        a.push(format!("--init-file={}", f.display()));
    }
    a
}

/// Whether a MySQL server answers on `port`: it sends its handshake (protocol 10) or an error
/// packet (0xff) right after connect.
pub async fn server_answers(port: u16, timeout: Duration) -> bool {
    let attempt = async {
        let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .ok()?;
        let mut head = [0u8; 5];
        s.read_exact(&mut head).await.ok()?;
        Some(head[4] == 10 || head[4] == 0xff)
    };
    matches!(tokio::time::timeout(timeout, attempt).await, Ok(Some(true)))
}

/// A data directory is initialised once `mysql/` exists and no half-done init is marked.
pub fn initialised(datadir: &Path) -> bool {
    datadir.join("mysql").is_dir() && !datadir.join(INIT_MARKER).exists()
}

/// Present while a first start is in progress: a crash in between makes the next start redo it.
pub const INIT_MARKER: &str = ".labsim-initializing";

#[cfg(test)]
mod tests {
    use super::*;

    fn env(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn images_are_classified() {
        assert_eq!(flavor("mysql:8.4.3"), Some(Flavor::Mysql));
        assert_eq!(flavor("docker.io/library/mysql:8.4"), Some(Flavor::Mysql));
        assert_eq!(flavor("mariadb@sha256:00"), Some(Flavor::Mariadb));
        assert_eq!(flavor("localhost:5000/mariadb"), Some(Flavor::Mariadb));
        assert_eq!(flavor("nginx:1.27"), None);
        assert_eq!(flavor("mysqlx:1"), None);
    }

    #[test]
    fn env_contract() {
        let fs = first_start(
            Flavor::Mysql,
            &env(&[
                ("MYSQL_ROOT_PASSWORD", "pw"),
                ("MYSQL_DATABASE", "d"),
                ("MYSQL_USER", "u"),
                ("MYSQL_PASSWORD", "p"),
            ]),
        )
        .unwrap();
        assert_eq!(fs.root, RootPassword::Set("pw".into()));
        assert_eq!(fs.user, Some(("u".into(), "p".into())));
        let e = first_start(Flavor::Mysql, &env(&[("MARIADB_ROOT_PASSWORD", "x")])).unwrap_err();
        assert!(e.to_string().contains("password option is not specified"));
        let fs = first_start(
            Flavor::Mariadb,
            &env(&[("MARIADB_ROOT_PASSWORD", "a"), ("MYSQL_ROOT_PASSWORD", "b")]),
        )
        .unwrap();
        assert_eq!(fs.root, RootPassword::Set("a".into()));
        let fs = first_start(
            Flavor::Mariadb,
            &env(&[("MARIADB_ALLOW_EMPTY_ROOT_PASSWORD", "1")]),
        )
        .unwrap();
        assert_eq!(fs.root, RootPassword::Empty);
        let fs = first_start(
            Flavor::Mysql,
            &env(&[("MYSQL_RANDOM_ROOT_PASSWORD", "yes")]),
        )
        .unwrap();
        assert!(matches!(fs.root, RootPassword::Random(ref p) if p.len() == 32));
        assert!(matches!(
            first_start(
                Flavor::Mysql,
                &env(&[("MYSQL_ROOT_PASSWORD", "x"), ("MYSQL_USER", "root")])
            ),
            Err(EntrypointError::RootUser(_))
        ));
    }

    #[test]
    fn init_sql_escapes_and_orders() {
        let fs = FirstStart {
            root: RootPassword::Set("it's\\x".into()),
            root_host: "%".into(),
            database: Some("te`st".into()),
            user: Some(("u".into(), "p".into())),
            notes: vec![],
        };
        let sql = init_sql(&fs);
        assert!(sql.contains("ALTER USER 'root'@'localhost' IDENTIFIED BY 'it\\'s\\\\x';"));
        assert!(sql.contains("CREATE DATABASE IF NOT EXISTS `te``st`;"));
        assert!(sql.contains("GRANT ALL ON `te``st`.* TO 'u'@'%';"));
        assert!(sql.lines().all(|l| l.ends_with(';')));
        assert!(sql.contains("CREATE USER 'root'@'%' IDENTIFIED BY"));
        let local = init_sql(&FirstStart {
            root_host: "localhost".into(),
            root: RootPassword::Empty,
            ..fs
        });
        assert!(local.contains("CREATE USER 'root'@'127.0.0.1';"), "{local}");
        assert!(!local.contains("ALTER USER"), "{local}");
    }
}
