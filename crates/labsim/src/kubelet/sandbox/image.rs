//! The images labsim can run, as one table: which userland stands for an image, its
//! `ENTRYPOINT`/`CMD`, the user its entrypoint runs as and the files it adds to the host's
//! userland (bound at `/usr/local/bin`). An image the table does not know fails to pull.
//!
//! | image (repository, any tag or digest) | userland | ENTRYPOINT / CMD | adds |
//! |---|---|---|---|
//! | `mysql`, `mariadb` | host `/usr` (MariaDB server and clients) | `docker-entrypoint.sh` / `mysqld` (`mariadbd`) | `docker-entrypoint.sh` (docker-library/mysql's contract), `mysqld`/`mariadbd` (MySQL option names mapped to MariaDB's) |
//! | `gcr.io/google-samples/xtrabackup` | host `/usr` (mariadb-backup, ncat) | none | `xtrabackup` → `mariabackup` (+ MySQL's two-column `xtrabackup_binlog_info`), `xbstream` → `mbstream`, `ncat` (as PID 1: ncat as its child) |
//! | `busybox`, `alpine` | host `/usr` | none / `sh` | |
//! | `debian`, `ubuntu` | host `/usr` | none / `bash` | |

/// What an image is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `mysql:*` (MySQL's entrypoint contract).
    Mysql,
    /// `mariadb:*` (accepts `MARIADB_*` before `MYSQL_*`).
    Mariadb,
    /// gcr.io/google-samples/xtrabackup: Percona XtraBackup's commands.
    Xtrabackup,
    /// A general-purpose image whose default command is `sh` or `bash`.
    General(&'static str),
}

/// One row of the table: repositories are matched whole (`gcr.io/...`) or, for Docker Hub's
/// official images, by their last path component (`docker.io/library/mysql`, `mirror/mysql`).
const TABLE: &[(&str, Kind)] = &[
    ("mysql", Kind::Mysql),
    ("mariadb", Kind::Mariadb),
    ("gcr.io/google-samples/xtrabackup", Kind::Xtrabackup),
    ("busybox", Kind::General("sh")),
    ("alpine", Kind::General("sh")),
    ("debian", Kind::General("bash")),
    ("ubuntu", Kind::General("bash")),
];

/// The repository of an image reference: no digest, no tag (a registry port stays).
pub fn repository(image: &str) -> &str {
    let no_digest = image.split('@').next().unwrap_or(image);
    match no_digest.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => repo,
        _ => no_digest,
    }
}

/// The tag of an image reference (`latest` when none).
pub fn tag(image: &str) -> &str {
    let no_digest = image.split('@').next().unwrap_or(image);
    match no_digest.rsplit_once(':') {
        Some((_, tag)) if !tag.contains('/') => tag,
        _ => "latest",
    }
}

/// The kind of `image`, or `None` when labsim cannot run it.
pub fn kind(image: &str) -> Option<Kind> {
    let repo = repository(image);
    if let Some((_, k)) = TABLE.iter().find(|(r, _)| *r == repo) {
        return Some(*k);
    }
    let last = repo.rsplit('/').next().unwrap_or(repo);
    TABLE
        .iter()
        .find(|(r, _)| !r.contains('/') && *r == last)
        .map(|(_, k)| *k)
}

/// The message of `ErrImagePull` for an image labsim cannot run.
pub fn unsupported_message(image: &str) -> String {
    format!(
        "labsim에 없는 이미지입니다: {image}. labsim이 실행하는 이미지: mysql:*, mariadb:*, gcr.io/google-samples/xtrabackup:*, busybox, alpine, debian, ubuntu (docs/labsim-internals.md의 이미지 표) (image not known to labsim)"
    )
}

impl Kind {
    /// `ENTRYPOINT` of the image.
    pub fn entrypoint(self) -> &'static [&'static str] {
        match self {
            Kind::Mysql | Kind::Mariadb => &["docker-entrypoint.sh"],
            _ => &[],
        }
    }

    /// `CMD` of the image.
    pub fn cmd(self) -> &'static [&'static str] {
        match self {
            Kind::Mysql => &["mysqld"],
            Kind::Mariadb => &["mariadbd"],
            Kind::Xtrabackup => &["bash"],
            Kind::General(sh) => match sh {
                "bash" => &["bash"],
                _ => &["sh"],
            },
        }
    }

    /// The files the image adds in `/usr/local/bin`: (name, script).
    pub fn bin(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Kind::Mysql | Kind::Mariadb => &[
                (
                    "docker-entrypoint.sh",
                    include_str!("image/docker-entrypoint.sh"),
                ),
                ("mysqld", include_str!("image/mysqld")),
                ("mariadbd", include_str!("image/mysqld")),
            ],
            Kind::Xtrabackup => &[
                ("xtrabackup", include_str!("image/xtrabackup")),
                ("xbstream", include_str!("image/xbstream")),
                ("ncat", include_str!("image/ncat")),
            ],
            Kind::General(_) => &[],
        }
    }

    /// The empty directories the image has.
    pub fn empty_dirs(self) -> &'static [&'static str] {
        match self {
            Kind::Mysql | Kind::Mariadb => &["/docker-entrypoint-initdb.d", "/var/lib/mysql-files"],
            _ => &[],
        }
    }

    /// The directory name of the image's files under `<state>/images/`.
    pub fn dir_name(self) -> &'static str {
        match self {
            Kind::Mysql | Kind::Mariadb => "mysql",
            Kind::Xtrabackup => "xtrabackup",
            Kind::General(_) => "general",
        }
    }

    /// The image's `ENV` lines: what its Dockerfile sets.
    pub fn env(self, image: &str) -> Vec<(String, String)> {
        match self {
            Kind::Mysql => vec![("MYSQL_VERSION".into(), tag(image).into())],
            Kind::Mariadb => vec![
                ("MARIADB_VERSION".into(), tag(image).into()),
                ("LABSIM_MARIADB_IMAGE".into(), "1".into()),
            ],
            _ => vec![],
        }
    }

    /// Whether the container's command is the image's database server behind its entrypoint
    /// (`mysqld` then runs `mariadbd`, the container is ready once it greets).
    pub fn runs_server(self, argv: &[String]) -> bool {
        if !matches!(self, Kind::Mysql | Kind::Mariadb) {
            return false;
        }
        let name = |s: &String| s.rsplit('/').next().unwrap_or(s).to_string();
        let mut it = argv.iter().map(name);
        match it.next().as_deref() {
            Some("docker-entrypoint.sh") => match it.next().as_deref() {
                None => false,
                Some(a) => a.starts_with('-') || matches!(a, "mysqld" | "mariadbd"),
            },
            Some("mysqld" | "mariadbd") => true,
            _ => false,
        }
    }
}

/// The container's argv as Docker builds it: `command` replaces ENTRYPOINT (and drops CMD),
/// `args` replaces CMD.
pub fn argv(kind: Kind, command: Vec<String>, args: Vec<String>) -> Vec<String> {
    let owned = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    match (command.is_empty(), args.is_empty()) {
        (false, _) => command.into_iter().chain(args).collect(),
        (true, false) => owned(kind.entrypoint()).into_iter().chain(args).collect(),
        (true, true) => owned(kind.entrypoint())
            .into_iter()
            .chain(owned(kind.cmd()))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_map_by_table() {
        assert_eq!(kind("mysql:5.7"), Some(Kind::Mysql));
        assert_eq!(kind("docker.io/library/mysql:8.4"), Some(Kind::Mysql));
        assert_eq!(kind("mariadb@sha256:00"), Some(Kind::Mariadb));
        assert_eq!(kind("localhost:5000/mariadb"), Some(Kind::Mariadb));
        assert_eq!(
            kind("gcr.io/google-samples/xtrabackup:1.0"),
            Some(Kind::Xtrabackup)
        );
        assert_eq!(kind("busybox:1.36"), Some(Kind::General("sh")));
        assert_eq!(kind("nginx:1.27"), None);
        assert_eq!(kind("mysqlx:1"), None);
        assert_eq!(kind("myslq:8.4.3"), None);
        assert_eq!(tag("mysql:5.7"), "5.7");
        assert_eq!(tag("localhost:5000/mysql"), "latest");
    }

    #[test]
    fn argv_follows_docker() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            argv(Kind::Mysql, vec![], vec![]),
            s(&["docker-entrypoint.sh", "mysqld"])
        );
        assert_eq!(
            argv(Kind::Mysql, vec![], s(&["mysql", "-h", "mysql-0.mysql"])),
            s(&["docker-entrypoint.sh", "mysql", "-h", "mysql-0.mysql"])
        );
        assert_eq!(
            argv(Kind::Mysql, s(&["bash", "-c"]), s(&["echo"])),
            s(&["bash", "-c", "echo"])
        );
        assert!(Kind::Mysql.runs_server(&argv(Kind::Mysql, vec![], vec![])));
        assert!(Kind::Mysql.runs_server(&s(&["docker-entrypoint.sh", "--skip-log-bin"])));
        assert!(Kind::Mysql.runs_server(&s(&["mysqld"])));
        assert!(!Kind::Mysql.runs_server(&s(&["docker-entrypoint.sh", "mysql"])));
        assert!(!Kind::Xtrabackup.runs_server(&s(&["mysqld"])));
    }
}
