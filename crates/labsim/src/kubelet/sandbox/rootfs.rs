//! A container's filesystem as bubblewrap builds it: the host's `/usr` read-only as "the image"
//! (plus the merged-usr links `/bin`, `/sbin`, `/lib`, `/lib64`), a small generated `/etc`
//! (users `root` and `mysql:999`, name service switch, the MariaDB configuration), the image's
//! own files at `/usr/local/bin`, fresh `/proc`, `/dev`, `/tmp` and `/run`, the kubelet-managed
//! `/etc/hosts`, `/etc/resolv.conf` and `/etc/hostname`, and the pod's volumes where the
//! manifest mounts them. Nothing else of the host is visible: not the user's home, not the
//! repository, not labsim's state dir (only the volumes it holds).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// A host path bound into the container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    pub host: PathBuf,
    /// Absolute path inside the container.
    pub target: String,
    pub read_only: bool,
}

/// Host files of `/etc` a userland needs (program alternatives, the loader cache, time zone,
/// service names), bound read-only when the host has them.
const HOST_ETC: &[&str] = &[
    "alternatives",
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "localtime",
    "timezone",
    "services",
    "protocols",
    "bash.bashrc",
    "profile",
    "inputrc",
    "terminfo",
    "ssl",
    "mime.types",
];

/// What the container's filesystem is made of.
#[derive(Debug, Clone)]
pub struct Layout {
    /// The generated `/etc` files of this container (passwd, group, nsswitch.conf, mysql/).
    pub etc: PathBuf,
    /// The pod's kubelet-managed files: `hosts`, `resolv.conf`, `hostname`.
    pub pod_files: PathBuf,
    /// The image's `/usr/local/bin`, if it adds files.
    pub image_bin: Option<PathBuf>,
    /// Extra read-only directories of the image (`/opt/labsim/mariadb-datadir`).
    pub image_dirs: Vec<Mount>,
    /// Empty directories the image has (`/docker-entrypoint-initdb.d`).
    pub empty_dirs: Vec<String>,
    /// The volumes, in the container's `volumeMounts` order.
    pub volumes: Vec<Mount>,
    /// Writable per-container directories (`/run/mysqld`, an anonymous `/var/lib/mysql`).
    pub scratch: Vec<Mount>,
}

/// Writes the container's generated `/etc` into `layout.etc`: `my.cnf` with the server's
/// `port` and listening address.
pub fn write_etc(
    etc: &Path,
    port: u16,
    bind_address: &str,
    mysql_prompt: bool,
) -> std::io::Result<()> {
    std::fs::create_dir_all(etc.join("mysql/conf.d"))?;
    std::fs::write(
        etc.join("passwd"),
        "root:x:0:0:root:/root:/bin/bash\nmysql:x:999:999::/var/lib/mysql:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
    )?;
    std::fs::write(
        etc.join("group"),
        "root:x:0:\nmysql:x:999:\nnogroup:x:65534:\n",
    )?;
    std::fs::write(
        etc.join("nsswitch.conf"),
        "passwd: files\ngroup: files\nhosts: files dns\nnetworks: files\nprotocols: files\nservices: files\n",
    )?;
    let mut cnf = my_cnf(port, bind_address);
    if mysql_prompt {
        // The mysql image's client shows MySQL's prompt (MariaDB's is `MariaDB [(none)]> `).
        cnf = cnf.replace(
            "\n!includedir",
            "[mysql]\nprompt=\"mysql> \"\n\n!includedir",
        );
    }
    std::fs::write(etc.join("mysql/my.cnf"), cnf)?;
    Ok(())
}

/// The image's MySQL configuration: what the server and every client in the container read
/// (the clients' port and socket; the server's data dir, memory tuned for ~60-90 MB RSS).
pub fn my_cnf(port: u16, bind_address: &str) -> String {
    format!(
        "# labsim's /etc/mysql/my.cnf (the image's configuration; conf.d is included last)\n\
         [client-server]\n\
         port={port}\n\
         socket=/run/mysqld/mysqld.sock\n\
         \n\
         [mysqld]\n\
         datadir=/var/lib/mysql\n\
         pid-file=/run/mysqld/mysqld.pid\n\
         bind-address={bind_address}\n\
         skip-name-resolve\n\
         character-set-server=utf8mb4\n\
         collation-server=utf8mb4_general_ci\n\
         innodb-buffer-pool-size=16M\n\
         innodb-log-file-size=8M\n\
         performance-schema=OFF\n\
         max-connections=50\n\
         key-buffer-size=1M\n\
         aria-pagecache-buffer-size=1M\n\
         table-open-cache=200\n\
         port-open-timeout=5\n\
         \n\
         !includedir /etc/mysql/conf.d/\n"
    )
}

/// The pod's kubelet-managed files, as the kubelet writes them: `/etc/hosts` (localhost, the
/// pod's IP with its FQDN and hostname), `/etc/resolv.conf` (given, or one naming no server)
/// and `/etc/hostname`.
pub fn write_pod_files(
    dir: &Path,
    hostname: &str,
    fqdn: Option<&str>,
    ip: &str,
    namespace: &str,
    resolv_conf: Option<&str>,
) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    // kubelet's managedHostsHeader and layout (pkg/kubelet/kubelet_pods.go).
    let names = match fqdn {
        Some(f) => format!("{f}\t{hostname}"),
        None => hostname.to_string(),
    };
    let hosts = format!(
        "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n{ip}\t{names}\n"
    );
    write_in_place(&dir.join("hosts"), &hosts)?;
    // The cluster network's (`network::resolv_conf`). Without it there is no cluster DNS
    // server to name: glibc then asks 127.0.0.1, where nothing answers, never an address
    // outside labsim.
    let resolv = resolv_conf.map(str::to_string).unwrap_or_else(|| {
        format!("nameserver 127.0.0.1\nsearch {namespace}.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n")
    });
    write_in_place(&dir.join("resolv.conf"), &resolv)?;
    write_in_place(&dir.join("hostname"), &format!("{hostname}\n"))
}

/// Rewrites a file's content without replacing the file: a bind mount keeps showing the inode
/// it was made from.
fn write_in_place(path: &Path, text: &str) -> std::io::Result<()> {
    if std::fs::read_to_string(path).ok().as_deref() == Some(text) {
        return Ok(());
    }
    std::fs::write(path, text)
}

impl Layout {
    /// bubblewrap's filesystem arguments, in mount order (a parent before what is bound under
    /// it).
    pub fn bwrap_args(&self) -> Vec<OsString> {
        let mut a: Vec<OsString> = Vec::new();
        let mut push = |parts: &[&dyn AsRef<std::ffi::OsStr>]| {
            for p in parts {
                a.push(p.as_ref().to_os_string());
            }
        };
        push(&[&"--ro-bind", &"/usr", &"/usr"]);
        for (link, to) in [
            ("/bin", "usr/bin"),
            ("/sbin", "usr/sbin"),
            ("/lib", "usr/lib"),
            ("/lib64", "usr/lib64"),
            ("/lib32", "usr/lib32"),
            ("/libx32", "usr/libx32"),
        ] {
            if Path::new("/usr").join(&to[4..]).exists() {
                push(&[&"--symlink", &to, &link]);
            }
        }
        push(&[&"--proc", &"/proc", &"--dev", &"/dev"]);
        push(&[
            &"--tmpfs",
            &"/tmp",
            &"--tmpfs",
            &"/run",
            &"--dir",
            &"/var/tmp",
        ]);
        push(&[&"--dir", &"/root", &"--dir", &"/etc"]);
        for f in HOST_ETC {
            let host = Path::new("/etc").join(f);
            if host.exists() {
                push(&[&"--ro-bind", &host, &host]);
            }
        }
        for f in ["passwd", "group", "nsswitch.conf", "mysql"] {
            push(&[&"--ro-bind", &self.etc.join(f), &Path::new("/etc").join(f)]);
        }
        for f in ["hosts", "resolv.conf", "hostname"] {
            push(&[
                &"--bind",
                &self.pod_files.join(f),
                &Path::new("/etc").join(f),
            ]);
        }
        if let Some(bin) = &self.image_bin {
            push(&[&"--ro-bind", bin, &"/usr/local/bin"]);
        }
        for d in &self.empty_dirs {
            push(&[&"--dir", d]);
        }
        let mut mounts: Vec<&Mount> = self
            .image_dirs
            .iter()
            .chain(&self.scratch)
            .chain(&self.volumes)
            .collect();
        // Parents first (a volume at /etc/mysql/conf.d after /etc/mysql), else in given order.
        mounts.sort_by_key(|m| Path::new(&m.target).components().count());
        for m in mounts {
            let flag = if m.read_only { "--ro-bind" } else { "--bind" };
            push(&[&flag, &m.host, &m.target]);
        }
        a
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volumes_bind_after_their_parents() {
        let l = Layout {
            etc: "/s/etc".into(),
            pod_files: "/s/pod".into(),
            image_bin: None,
            image_dirs: vec![],
            empty_dirs: vec![],
            volumes: vec![
                Mount {
                    host: "/v/conf".into(),
                    target: "/etc/mysql/conf.d".into(),
                    read_only: false,
                },
                Mount {
                    host: "/v/data".into(),
                    target: "/var/lib/mysql".into(),
                    read_only: false,
                },
            ],
            scratch: vec![Mount {
                host: "/s/run".into(),
                target: "/run/mysqld".into(),
                read_only: false,
            }],
        };
        let a: Vec<String> = l
            .bwrap_args()
            .into_iter()
            .map(|s| s.to_string_lossy().into_owned())
            .collect();
        let at = |t: &str| a.iter().position(|x| x == t).unwrap();
        assert!(at("/etc/mysql") < at("/etc/mysql/conf.d"));
        assert!(at("/run") < at("/run/mysqld"));
        assert!(!a.iter().any(|x| x == "/home" || x.starts_with("/root/")));
    }
}
