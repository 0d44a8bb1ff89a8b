//! The read-only builtins exec offers inside a pod: `hostname`, `env`, `cat` and `ls` of the pod's
//! own files (`/var/lib/mysql` is its data directory, `/etc/hosts`, `/etc/resolv.conf` and
//! `/etc/hostname` are the kubelet-managed files; nothing else of the host is visible), the
//! resolver tools `getent hosts` and `nslookup` answering from the cluster's DNS ([`super::dns`],
//! never the host's resolver), and `echo`, `true`, `false`, `exit N`, `sleep N`.

use std::path::{Component, Path, PathBuf};

use super::command::Mapped;
use super::PodRuntime;

/// Output of a builtin: (stdout, stderr, exit code).
pub type Output = (Vec<u8>, Vec<u8>, i32);

/// Where the pod's data directory appears inside the "container".
pub const DATA_MOUNT: &str = "/var/lib/mysql";

/// Runs a builtin; `None` if `m` is not one (a client, a refusal, or `sleep`, which
/// [`run_async`] runs).
pub fn run(m: &Mapped, rt: &PodRuntime) -> Option<Output> {
    Some(match m {
        Mapped::Hostname(args) => hostname(args, rt),
        Mapped::Env => {
            let mut s = format!("HOSTNAME={}\n", rt.hostname);
            for (k, v) in &rt.env {
                s.push_str(&format!("{k}={v}\n"));
            }
            (s.into_bytes(), Vec::new(), 0)
        }
        Mapped::Cat(args) => cat(args, rt),
        Mapped::Ls(args) => ls(args, rt),
        Mapped::Getent(args) => getent(args, &rt.net()),
        Mapped::Nslookup(args) => nslookup(args, &rt.net()),
        Mapped::Echo(args) => {
            let (newline, words) = match args.first().map(String::as_str) {
                Some("-n") => (false, &args[1..]),
                _ => (true, &args[..]),
            };
            let mut s = words.join(" ");
            if newline {
                s.push('\n');
            }
            (s.into_bytes(), Vec::new(), 0)
        }
        Mapped::Exit(code) => (Vec::new(), Vec::new(), *code),
        Mapped::ClientError { stderr, code } => (Vec::new(), stderr.clone().into_bytes(), *code),
        _ => return None,
    })
}

/// [`run`], plus `sleep` (which waits without holding a thread).
pub async fn run_simple(m: &Mapped, rt: &PodRuntime) -> Option<Output> {
    if let Mapped::Sleep(d) = m {
        tokio::time::sleep(*d).await;
        return Some((Vec::new(), Vec::new(), 0));
    }
    run(m, rt)
}

/// [`run_simple`], plus `sh -c` scripts (lists, loops; [`super::shell`]) with their output
/// collected.
pub async fn run_async(m: &Mapped, rt: &PodRuntime) -> Option<Output> {
    if let Mapped::Script(script) = m {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = {
            let mut sink = |is_err: bool, d: &[u8]| {
                if is_err {
                    err.extend_from_slice(d)
                } else {
                    out.extend_from_slice(d)
                }
            };
            super::shell::run(script, rt, &mut sink).await
        };
        return Some((out, err, code));
    }
    run_simple(m, rt).await
}

/// `hostname`, `-i`/`-I` (the addresses the name resolves to), `-f` (FQDN), `-s`, `-d`.
fn hostname(args: &[String], rt: &PodRuntime) -> Output {
    let ok = |s: String| (s.into_bytes(), Vec::new(), 0);
    let Some(flag) = args.first() else {
        return ok(format!("{}\n", rt.hostname));
    };
    let net = rt.net();
    let me = net.lookup_v4(&rt.hostname);
    match flag.as_str() {
        "-i" | "--ip-address" | "-I" | "--all-ip-addresses" => {
            let addrs = me.map(|h| h.addrs).unwrap_or_default();
            if flag.starts_with("-I") || flag == "--all-ip-addresses" {
                let mut s: String = addrs.iter().map(|a| format!("{a} ")).collect();
                s.push('\n');
                ok(s)
            } else {
                ok(format!("{}\n", addrs.join(" ")))
            }
        }
        "-f" | "--fqdn" | "--long" | "-A" | "--all-fqdns" => ok(format!(
            "{}\n",
            me.map(|h| h.name).unwrap_or(rt.hostname.clone())
        )),
        "-s" | "--short" => ok(format!(
            "{}\n",
            rt.hostname.split('.').next().unwrap_or(&rt.hostname)
        )),
        "-d" | "--domain" => {
            let fqdn = me.map(|h| h.name).unwrap_or_default();
            ok(format!(
                "{}\n",
                fqdn.split_once('.').map(|(_, d)| d).unwrap_or("")
            ))
        }
        f if f.starts_with('-') => (
            Vec::new(),
            format!(
                "hostname: invalid option -- '{}'\n",
                f.trim_start_matches('-')
            )
            .into_bytes(),
            1,
        ),
        _ => (
            Vec::new(),
            b"hostname: you must be root to change the host name\n".to_vec(),
            1,
        ),
    }
}

/// `getent hosts [KEY...]` (glibc: exit 2 when a key is not found, nothing printed for it).
fn getent(args: &[String], net: &super::dns::Net) -> Output {
    let Some(db) = args.first() else {
        return (
            Vec::new(),
            b"getent: wrong number of arguments\nTry `getent --help' or `getent --usage' for more information.\n".to_vec(),
            1,
        );
    };
    if db != "hosts" {
        return (
            Vec::new(),
            format!("getent {db}: labsim은 getent hosts만 지원합니다 (only the hosts database is served)\n").into_bytes(),
            126,
        );
    }
    let mut out = String::new();
    let keys = &args[1..];
    if keys.is_empty() {
        for (ip, name, aliases) in net.hosts_file() {
            out.push_str(&super::dns::getent_line(&super::dns::Host {
                name,
                aliases,
                addrs: vec![ip],
            }));
        }
        return (out.into_bytes(), Vec::new(), 0);
    }
    let mut code = 0;
    for k in keys {
        match net.getent_hosts(k) {
            Some(h) => out.push_str(&super::dns::getent_line(&h)),
            None => code = 2,
        }
    }
    (out.into_bytes(), Vec::new(), code)
}

/// `nslookup NAME` (BIND 9's output: the cluster DNS server, then the answer).
fn nslookup(args: &[String], net: &super::dns::Net) -> Output {
    let names: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    match names.as_slice() {
        [name] | [name, _] => {
            let (out, code) = super::dns::nslookup(net, name);
            (out.into_bytes(), Vec::new(), code)
        }
        _ => (
            Vec::new(),
            "labsim: nslookup NAME 형식만 지원합니다 (only `nslookup NAME` is supported; interactive mode is not)\n"
                .as_bytes().to_vec(),
            1,
        ),
    }
}

/// The kubelet-managed files of `/etc` a pod sees.
fn etc_file(path: &str, rt: &PodRuntime) -> Option<String> {
    match path {
        "/etc/hosts" => Some(rt.net().hosts_text()),
        "/etc/resolv.conf" => Some(rt.net().resolv_conf()),
        "/etc/hostname" => Some(format!("{}\n", rt.hostname)),
        _ => None,
    }
}

/// Maps a path inside the pod to the host, refusing anything outside the pod's files.
pub fn resolve(path: &str, rt: &PodRuntime) -> Result<PathBuf, String> {
    let rel = Path::new(path)
        .strip_prefix(DATA_MOUNT)
        .map_err(|_| format!("{path}: labsim 파드에서는 {DATA_MOUNT} 아래만 볼 수 있습니다 (only {DATA_MOUNT} is visible)"))?;
    let mut out = rt.data_dir.clone();
    for c in rel.components() {
        match c {
            Component::Normal(n) => out.push(n),
            Component::CurDir => {}
            _ => {
                return Err(format!(
                    "{path}: 파드 밖을 가리키는 경로입니다 (path escapes the pod)"
                ))
            }
        }
    }
    // A symlink inside the data dir must not lead out of it either.
    if let (Ok(real), Ok(root)) = (out.canonicalize(), rt.data_dir.canonicalize()) {
        if !real.starts_with(&root) {
            return Err(format!(
                "{path}: 파드 밖을 가리키는 경로입니다 (path escapes the pod)"
            ));
        }
    }
    Ok(out)
}

fn cat(args: &[String], rt: &PodRuntime) -> Output {
    let (mut out, mut err, mut code) = (Vec::new(), Vec::new(), 0);
    if args.is_empty() {
        return (
            out,
            "cat: 파일 이름이 필요합니다 (a file name is required)\n"
                .as_bytes()
                .to_vec(),
            1,
        );
    }
    for a in args {
        if let Some(text) = etc_file(a, rt) {
            out.extend(text.into_bytes());
            continue;
        }
        match resolve(a, rt).and_then(|p| std::fs::read(&p).map_err(|e| format!("{a}: {e}"))) {
            Ok(bytes) => out.extend(bytes),
            Err(e) => {
                err.extend(format!("cat: {e}\n").into_bytes());
                code = 1;
            }
        }
    }
    (out, err, code)
}

fn ls(args: &[String], rt: &PodRuntime) -> Output {
    let flags: String = args
        .iter()
        .filter(|a| a.starts_with('-'))
        .map(|a| a.trim_start_matches('-'))
        .collect();
    let (all, long) = (flags.contains('a'), flags.contains('l'));
    let mut paths: Vec<&str> = args
        .iter()
        .filter(|a| !a.starts_with('-'))
        .map(String::as_str)
        .collect();
    if paths.is_empty() {
        paths.push(DATA_MOUNT);
    }
    let (mut out, mut err, mut code) = (String::new(), String::new(), 0);
    let many = paths.len() > 1;
    for p in paths {
        let host = match resolve(p, rt) {
            Ok(h) => h,
            Err(e) => {
                err.push_str(&format!("ls: {e}\n"));
                code = 2;
                continue;
            }
        };
        let entries = match std::fs::read_dir(&host) {
            Ok(rd) => {
                let mut v: Vec<(String, std::fs::Metadata)> = rd
                    .flatten()
                    .filter_map(|e| {
                        Some((
                            e.file_name().to_string_lossy().into_owned(),
                            e.metadata().ok()?,
                        ))
                    })
                    .filter(|(n, _)| all || !n.starts_with('.'))
                    .collect();
                v.sort_by(|a, b| a.0.cmp(&b.0));
                v
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => {
                match std::fs::metadata(&host) {
                    Ok(m) => vec![(p.to_string(), m)],
                    Err(e) => {
                        err.push_str(&format!("ls: cannot access '{p}': {e}\n"));
                        code = 2;
                        continue;
                    }
                }
            }
            Err(e) => {
                err.push_str(&format!("ls: cannot access '{p}': {e}\n"));
                code = 2;
                continue;
            }
        };
        if many {
            out.push_str(&format!("{p}:\n"));
        }
        for (name, m) in entries {
            if long {
                let kind = if m.is_dir() { 'd' } else { '-' };
                out.push_str(&format!("{kind} {:>10} {name}\n", m.len()));
            } else {
                out.push_str(&format!("{name}\n"));
            }
        }
    }
    (out.into_bytes(), err.into_bytes(), code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rt(dir: &Path) -> PodRuntime {
        PodRuntime {
            mysql_port: 1,
            log_path: dir.join("log"),
            env: vec![("A".into(), "1".into())],
            root_dir: dir.to_path_buf(),
            hostname: "mysql-0".into(),
            data_dir: dir.join("data"),
            pod_ip: "10.244.0.2".into(),
            namespace: "default".into(),
            name: "mysql-0".into(),
            mysql_image: true,
            kubelet: std::sync::Weak::new(),
            pod_net: None,
        }
    }

    #[test]
    fn cat_ls_hostname_env_and_refusals() {
        let t = tempfile::tempdir().unwrap();
        let rt = rt(t.path());
        std::fs::create_dir_all(rt.data_dir.join("mysql")).unwrap();
        std::fs::write(rt.data_dir.join("f.txt"), "hello").unwrap();
        std::fs::write(t.path().join("secret"), "no").unwrap();
        let (o, _, c) = run(&Mapped::Cat(vec!["/var/lib/mysql/f.txt".into()]), &rt).unwrap();
        assert_eq!((o.as_slice(), c), (&b"hello"[..], 0));
        let (o, _, _) = run(&Mapped::Ls(vec![]), &rt).unwrap();
        assert_eq!(String::from_utf8(o).unwrap(), "f.txt\nmysql\n");
        for bad in ["/var/lib/mysql/../secret", "/etc/passwd", "secret"] {
            let (o, e, c) = run(&Mapped::Cat(vec![bad.into()]), &rt).unwrap();
            assert!(o.is_empty() && c == 1 && !e.is_empty(), "{bad}");
        }
        std::os::unix::fs::symlink(t.path().join("secret"), rt.data_dir.join("link")).unwrap();
        let (o, _, c) = run(&Mapped::Cat(vec!["/var/lib/mysql/link".into()]), &rt).unwrap();
        assert!(o.is_empty() && c == 1);
        let (o, _, _) = run(&Mapped::Hostname(vec![]), &rt).unwrap();
        assert_eq!(o, b"mysql-0\n");
        let (o, _, _) = run(&Mapped::Env, &rt).unwrap();
        assert_eq!(String::from_utf8(o).unwrap(), "HOSTNAME=mysql-0\nA=1\n");
        assert!(run(&Mapped::Refused("x".into()), &rt).is_none());
    }
}
