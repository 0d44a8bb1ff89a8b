//! What a command "inside" a labsim pod means on the host: exec and exec probes run the local
//! MariaDB clients against the pod's own port, a few read-only builtins, and `sh -c "<one client
//! command>"` parsed without a real shell. Everything else is refused: pods are host processes,
//! not containers, and must never run arbitrary host commands.

use super::dns::{Net, Route};

/// The clients a pod command may name, and the local binary each runs.
const CLIENTS: &[(&str, &str)] = &[
    ("mysql", "mariadb"),
    ("mariadb", "mariadb"),
    ("mysqladmin", "mariadb-admin"),
    ("mariadb-admin", "mariadb-admin"),
    ("mysqldump", "mariadb-dump"),
    ("mariadb-dump", "mariadb-dump"),
];

/// Message for anything that is not allowed (stderr of exec, exit code 126).
pub const REFUSED: &str = "labsim의 파드는 컨테이너가 아니라 호스트 프로세스이므로 셸 등 다른 명령은 실행하지 않습니다; 허용: mysql, mysqladmin, mysqldump, hostname, env, cat, ls, getent hosts, nslookup, echo, sleep, true, false, exit (labsim pods are host processes, not containers: only these commands run)";

/// Container variables not passed to the local clients: inside a pod they would point at the
/// container's own server, on the host they would point elsewhere (or replace PATH/HOME).
pub const REDIRECTING_ENV: &[&str] = &[
    "MYSQL_HOST",
    "MYSQL_TCP_PORT",
    "MYSQL_UNIX_PORT",
    "PATH",
    "HOME",
    "LD_PRELOAD",
    "LD_LIBRARY_PATH",
];

/// A pod command mapped to something labsim can run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mapped {
    /// A local MariaDB client: `program` with connection options already prepended (the
    /// loopback port of the server that `-h`/`-P` name as the pod network routes them). A
    /// password given as `-pSECRET` / `--password=SECRET` is moved to `password` so the caller
    /// passes it as `MYSQL_PWD` instead of a host-visible argument (a bare `-p` still prompts).
    Client {
        program: String,
        args: Vec<String>,
        password: Option<String>,
    },
    /// A client whose connection cannot succeed (unknown host, refused): what it prints.
    ClientError {
        stderr: String,
        code: i32,
    },
    /// `hostname [-i|-f|-s|-d]`.
    Hostname(Vec<String>),
    Env,
    Cat(Vec<String>),
    Ls(Vec<String>),
    /// `getent DATABASE [KEY...]`.
    Getent(Vec<String>),
    /// `nslookup NAME`.
    Nslookup(Vec<String>),
    /// `echo [-n] ARGS`.
    Echo(Vec<String>),
    /// `true`, `false`, `exit N`.
    Exit(i32),
    /// `sleep N`.
    Sleep(std::time::Duration),
    /// A `sh -c` script that is more than one simple command (`;`, `&&`, `||`, loops, `if`,
    /// `>/dev/null`): run by [`super::shell`].
    Script(super::shell::Script),
    /// Not allowed; the text says why.
    Refused(String),
}

/// What a command needs to know about the pod it runs in.
pub struct Ctx<'a> {
    /// The container's environment (`sh -c` expansion).
    pub env: &'a [(String, String)],
    /// The pod network seen from this pod (where `-h HOST -P PORT` lands).
    pub net: &'a Net,
    /// The pod runs a `mysql:*` image: the client shows MySQL's `mysql> ` prompt.
    pub mysql_prompt: bool,
}

/// Maps `argv` as it would run in the pod `ctx` describes.
pub fn map(argv: &[String], ctx: &Ctx) -> Mapped {
    let Some(first) = argv.first() else {
        return Mapped::Refused("명령이 비어 있습니다 (empty command)".into());
    };
    let name = first.rsplit('/').next().unwrap_or(first);
    let rest = &argv[1..];
    if matches!(name, "sh" | "bash" | "dash") {
        return match rest {
            [flag, script, ..] if flag == "-c" => match super::shell::parse(script, ctx.env) {
                Ok(parsed) => {
                    let Some(words) = parsed.as_simple().map(<[String]>::to_vec) else {
                        return match parsed {
                            super::shell::Script::Seq(v) if v.is_empty() => Mapped::Exit(0),
                            s => Mapped::Script(s),
                        };
                    };
                    let words = match words.first().map(String::as_str) {
                        Some("exec") => words[1..].to_vec(),
                        _ => words,
                    };
                    if words
                        .first()
                        .is_some_and(|w| matches!(w.as_str(), "sh" | "bash" | "dash"))
                    {
                        return Mapped::Refused(REFUSED.into());
                    }
                    if words.is_empty() {
                        return Mapped::Exit(0);
                    }
                    map(&words, ctx)
                }
                Err(e) => Mapped::Refused(format!("{e}; {REFUSED}")),
            },
            _ => Mapped::Refused(REFUSED.into()),
        };
    }
    if let Some((_, program)) = CLIENTS.iter().find(|(n, _)| *n == name) {
        let (host, port, rest) = connection_options(rest);
        let port = match port.as_deref().map(str::parse::<u16>) {
            None => 3306,
            Some(Ok(p)) => p,
            Some(Err(_)) => {
                return Mapped::ClientError {
                    stderr: format!(
                        "{program}: Incorrect unsigned integer value: '{}'\n",
                        port.unwrap_or_default()
                    ),
                    code: 1,
                }
            }
        };
        let local = match ctx.net.route(host.as_deref(), port) {
            Route::Port(p) => p,
            r => return client_error(program, host.as_deref().unwrap_or("localhost"), port, &r),
        };
        let mut args = vec![
            "--no-defaults".to_string(),
            "--protocol=TCP".into(),
            "-h127.0.0.1".into(),
            format!("-P{local}"),
        ];
        if ctx.mysql_prompt && *program == "mariadb" {
            // MySQL's client prompt; a --prompt the user gives comes later and wins.
            args.push("--prompt=mysql> ".into());
        }
        let mut password = None;
        for a in rest {
            if let Some(p) = a.strip_prefix("--password=") {
                password = Some(p.to_string());
            } else if a.len() > 2 && a.starts_with("-p") && !a.starts_with("--") {
                password = Some(a[2..].to_string());
            } else {
                args.push(a);
            }
        }
        return Mapped::Client {
            program: program.to_string(),
            args,
            password,
        };
    }
    match name {
        "hostname" => Mapped::Hostname(rest.to_vec()),
        "env" | "printenv" if rest.is_empty() => Mapped::Env,
        "cat" => Mapped::Cat(rest.to_vec()),
        "ls" => Mapped::Ls(rest.to_vec()),
        "getent" => Mapped::Getent(rest.to_vec()),
        "nslookup" => Mapped::Nslookup(rest.to_vec()),
        "echo" => Mapped::Echo(rest.to_vec()),
        "true" | ":" => Mapped::Exit(0),
        "false" => Mapped::Exit(1),
        "exit" => match rest.first().map(|c| c.parse::<u8>()) {
            None => Mapped::Exit(0),
            Some(Ok(c)) => Mapped::Exit(c as i32),
            Some(Err(_)) => Mapped::Exit(2),
        },
        "sleep" => match rest.first().and_then(|s| parse_sleep(s)) {
            Some(d) if rest.len() == 1 => Mapped::Sleep(d),
            _ => Mapped::ClientError {
                stderr: format!("sleep: invalid time interval '{}'\n", rest.join(" ")),
                code: 1,
            },
        },
        _ => Mapped::Refused(REFUSED.into()),
    }
}

/// `5`, `0.5`, `2s`, `1m` (coreutils `sleep`).
fn parse_sleep(s: &str) -> Option<std::time::Duration> {
    if s == "infinity" {
        // A century: tokio clamps the deadline, nothing waits that long.
        return Some(std::time::Duration::from_secs(100 * 365 * 86_400));
    }
    let (num, mult) = match s.chars().last()? {
        's' => (&s[..s.len() - 1], 1.0),
        'm' => (&s[..s.len() - 1], 60.0),
        'h' => (&s[..s.len() - 1], 3600.0),
        _ => (s, 1.0),
    };
    let secs: f64 = num.parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| std::time::Duration::from_secs_f64(secs * mult))
}

/// What the MariaDB clients print when they cannot connect to `host`.
fn client_error(program: &str, host: &str, port: u16, r: &Route) -> Mapped {
    let error = match r {
        Route::UnknownHost => (2005, format!("Unknown server host '{host}' (-2)")),
        Route::Refused => (2002, format!("Can't connect to server on '{host}' (115)")),
        _ => (2002, format!("Can't connect to server on '{host}' (110)")),
    };
    let (stderr, code) = match program {
        "mariadb-admin" => (
            format!(
                "mariadb-admin: connect to server at '{host}' failed\nerror: '{}'\nCheck that mariadbd is running on {host} and that the port is {port}.\nYou can check this by doing 'telnet {host} {port}'\n",
                error.1
            ),
            1,
        ),
        "mariadb-dump" => (
            format!(
                "mariadb-dump: Got error: {}: \"{}\" when trying to connect\n",
                error.0, error.1
            ),
            2,
        ),
        _ => (format!("ERROR {} (HY000): {}\n", error.0, error.1), 1),
    };
    Mapped::ClientError { stderr, code }
}

/// Takes `-h/--host`, `-P/--port` out of the arguments and drops `-S/--socket`, `--protocol`:
/// labsim connects the client itself to the server the host and port lead to.
fn connection_options(args: &[String]) -> (Option<String>, Option<String>, Vec<String>) {
    let (mut host, mut port) = (None, None);
    let mut out = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let value = |long: &str, short: &str, it: &mut std::slice::Iter<String>| {
            if a == long || a == short {
                Some(it.next().cloned().unwrap_or_default())
            } else if let Some(v) = a.strip_prefix(&format!("{long}=")) {
                Some(v.to_string())
            } else if a.len() > 2 && a.starts_with(short) && !a.starts_with("--") {
                Some(a[2..].to_string())
            } else {
                None
            }
        };
        if let Some(h) = value("--host", "-h", &mut it) {
            host = Some(h);
        } else if let Some(p) = value("--port", "-P", &mut it) {
            port = Some(p);
        } else if value("--socket", "-S", &mut it).is_some()
            || value("--protocol", "--protocol", &mut it).is_some()
        {
        } else {
            out.push(a.clone());
        }
    }
    (host, port, out)
}

/// Why a `sh -c` script is not a single simple command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShellError {
    /// A pipe, redirection, list, subshell or command substitution.
    #[error("셸 연산자 '{0}'는 지원하지 않습니다 (shell operator not supported)")]
    Operator(String),
    /// A quote is never closed.
    #[error("따옴표가 닫히지 않았습니다 (unterminated quote)")]
    Unterminated,
}

/// Splits a POSIX-shell command line that is one simple command into words: quotes,
/// backslashes, `$VAR` / `${VAR}` expanded from `env` (unset: empty). Expansions are not
/// word-split (a deliberate simplification). Lists, loops and redirections are an error here.
pub fn shell_words(script: &str, env: &[(String, String)]) -> Result<Vec<String>, ShellError> {
    match super::shell::parse(script, env)? {
        super::shell::Script::Seq(v) if v.is_empty() => Ok(vec![]),
        s => s
            .as_simple()
            .map(<[String]>::to_vec)
            .ok_or_else(|| ShellError::Operator(";".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kubelet::dns::service_of;
    use crate::kubelet::fixtures::set_member as pod;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    fn env() -> Vec<(String, String)> {
        vec![("MYSQL_ROOT_PASSWORD".into(), "pa ss$".into())]
    }

    /// mysql-1 (server on 4100) next to mysql-0 (server on 4000).
    fn net(own: u16) -> Net {
        let svc = service_of(
            &serde_json::json!({"metadata": {"name": "mysql", "namespace": "default"},
                "spec": {"clusterIP": "None", "ports": [{"port": 3306}]}}),
            &serde_json::json!({"subsets": [{"addresses": [
                {"ip": "10.244.0.3", "hostname": "mysql-0", "targetRef": {"kind": "Pod", "name": "mysql-0"}}],
                "ports": [{"port": 3306}]}]}),
        );
        Net {
            me: pod("mysql-1", "10.244.1.4", Some(own)),
            services: vec![svc],
            pods: vec![pod("mysql-0", "10.244.0.3", Some(4000))],
        }
    }

    fn m(argv: &[&str], env: &[(String, String)], own: u16) -> Mapped {
        let net = net(own);
        map(
            &v(argv),
            &Ctx {
                env,
                net: &net,
                mysql_prompt: false,
            },
        )
    }

    #[test]
    fn clients_connect_where_host_and_port_lead() {
        let m1 = m(&["mysql", "-u", "root", "-p", "--port=3306"], &[], 4100);
        assert_eq!(
            m1,
            Mapped::Client {
                program: "mariadb".into(),
                args: v(&[
                    "--no-defaults",
                    "--protocol=TCP",
                    "-h127.0.0.1",
                    "-P4100",
                    "-u",
                    "root",
                    "-p"
                ]),
                password: None,
            }
        );
        let m2 = m(
            &["/usr/bin/mysqladmin", "ping", "-h127.0.0.1", "-P", "3306"],
            &[],
            1,
        );
        assert_eq!(
            m2,
            Mapped::Client {
                program: "mariadb-admin".into(),
                args: v(&[
                    "--no-defaults",
                    "--protocol=TCP",
                    "-h127.0.0.1",
                    "-P1",
                    "ping"
                ]),
                password: None,
            }
        );
        // Another pod, by its stable name, its IP, or --host=.
        for argv in [
            &["mysql", "-h", "mysql-0.mysql", "-e", "SELECT 1"][..],
            &["mysql", "-h10.244.0.3", "-e", "SELECT 1"],
            &[
                "mysql",
                "--host=mysql-0.mysql.default.svc.cluster.local",
                "-e",
                "SELECT 1",
            ],
        ] {
            let Mapped::Client { args, .. } = m(argv, &[], 4100) else {
                panic!("{argv:?}")
            };
            assert_eq!(args[2..], v(&["-h127.0.0.1", "-P4000", "-e", "SELECT 1"]));
        }
        assert_eq!(
            m(&["mysql", "-h", "nope", "-e", "SELECT 1"], &[], 1),
            Mapped::ClientError {
                stderr: "ERROR 2005 (HY000): Unknown server host 'nope' (-2)\n".into(),
                code: 1
            }
        );
        assert_eq!(
            m(&["mysql", "-h", "mysql-0.mysql", "-P", "3307"], &[], 1),
            Mapped::ClientError {
                stderr: "ERROR 2002 (HY000): Can't connect to server on 'mysql-0.mysql' (115)\n"
                    .into(),
                code: 1
            }
        );
        let Mapped::ClientError { stderr, code } = m(&["mysqladmin", "-hnope", "ping"], &[], 1)
        else {
            panic!()
        };
        assert!(
            stderr.starts_with("mariadb-admin: connect to server at 'nope' failed\n") && code == 1
        );
    }

    #[test]
    fn mysql_images_get_the_mysql_prompt() {
        let net = net(7);
        let ctx = Ctx {
            env: &[],
            net: &net,
            mysql_prompt: true,
        };
        let Mapped::Client { args, .. } = map(&v(&["mysql", "-uroot", "-p"]), &ctx) else {
            panic!()
        };
        assert_eq!(args[4], "--prompt=mysql> ");
        let Mapped::Client { args, .. } = map(&v(&["mysqladmin", "ping"]), &ctx) else {
            panic!()
        };
        assert!(!args.iter().any(|a| a.starts_with("--prompt")));
    }

    #[test]
    fn sh_c_expands_variables_and_splits_words() {
        let m1 = m(
            &[
                "sh",
                "-c",
                "mysqladmin ping -h 127.0.0.1 -uroot -p\"${MYSQL_ROOT_PASSWORD}\"",
            ],
            &env(),
            7,
        );
        let Mapped::Client {
            program,
            args,
            password,
        } = m1
        else {
            panic!("{m1:?}")
        };
        assert_eq!(program, "mariadb-admin");
        assert_eq!(args[4..], v(&["ping", "-uroot"]));
        assert_eq!(password.as_deref(), Some("pa ss$"));
        let m2 = m(
            &[
                "bash",
                "-c",
                "exec mysql -uroot -p$MYSQL_ROOT_PASSWORD -e 'SELECT 1'",
            ],
            &env(),
            7,
        );
        let Mapped::Client { args, password, .. } = m2 else {
            panic!()
        };
        assert_eq!(args[4..], v(&["-uroot", "-e", "SELECT 1"]));
        assert_eq!(password.as_deref(), Some("pa ss$"));
        let Mapped::Client { args, password, .. } =
            m(&["mysql", "--password=x", "-p", "db"], &[], 7)
        else {
            panic!()
        };
        assert_eq!(
            (&args[4..], password.as_deref()),
            (&v(&["-p", "db"])[..], Some("x"))
        );
    }

    #[test]
    fn shell_operators_and_other_programs_are_refused() {
        for argv in [
            &["sh"][..],
            &["bash", "-c", "mysql -e 'select 1' | cat"],
            &["sh", "-c", "mysql -e 'select 1' > /tmp/out"],
            &["sh", "-c", "mysql -p$(cat /etc/pw)"],
            &["sh", "-c", "sh -c 'mysql'"],
            &["rm", "-rf", "/"],
            &["env", "FOO=1", "rm"],
            &[],
        ] {
            assert!(matches!(m(argv, &env(), 1), Mapped::Refused(_)), "{argv:?}");
        }
        assert_eq!(shell_words("a 'b", &[]), Err(ShellError::Unterminated));
    }

    #[test]
    fn builtins_map() {
        assert_eq!(m(&["hostname"], &[], 1), Mapped::Hostname(vec![]));
        assert_eq!(m(&["hostname", "-i"], &[], 1), Mapped::Hostname(v(&["-i"])));
        assert_eq!(m(&["env"], &[], 1), Mapped::Env);
        assert_eq!(
            m(&["ls", "-l", "/var/lib/mysql"], &[], 1),
            Mapped::Ls(v(&["-l", "/var/lib/mysql"]))
        );
        assert_eq!(
            m(&["sh", "-c", "cat /var/lib/mysql/x"], &[], 1),
            Mapped::Cat(v(&["/var/lib/mysql/x"]))
        );
        assert_eq!(
            m(&["getent", "hosts", "mysql-0.mysql"], &[], 1),
            Mapped::Getent(v(&["hosts", "mysql-0.mysql"]))
        );
        assert_eq!(m(&["sh", "-c", "exit 3"], &[], 1), Mapped::Exit(3));
        assert_eq!(m(&["false"], &[], 1), Mapped::Exit(1));
        assert_eq!(
            m(&["sleep", "2"], &[], 1),
            Mapped::Sleep(std::time::Duration::from_secs(2))
        );
        assert!(matches!(
            m(&["sleep", "x"], &[], 1),
            Mapped::ClientError { code: 1, .. }
        ));
    }

    #[test]
    fn shell_words_quoting() {
        assert_eq!(
            shell_words(
                r#"a "b c" d\ e '$X' "$X" $UNSET"#,
                &[("X".into(), "1".into())]
            )
            .unwrap(),
            v(&["a", "b c", "d e", "$X", "1"])
        );
        assert_eq!(shell_words("-p\"\"", &[]).unwrap(), v(&["-p"]));
    }
}
