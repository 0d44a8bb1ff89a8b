//! What a command "inside" a labsim pod means on the host: exec and exec probes run the local
//! MariaDB clients against the pod's own port, a few read-only builtins, and `sh -c "<one client
//! command>"` parsed without a real shell. Everything else is refused: pods are host processes,
//! not containers, and must never run arbitrary host commands.

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
pub const REFUSED: &str = "labsim의 파드는 컨테이너가 아니라 호스트 프로세스이므로 셸 등 다른 명령은 실행하지 않습니다; 허용: mysql, mysqladmin, mysqldump, hostname, env, cat, ls (labsim pods are host processes, not containers: only these commands run)";

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
    /// A local MariaDB client: `program` with connection options already prepended. A password
    /// given as `-pSECRET` / `--password=SECRET` is moved to `password` so the caller passes it as
    /// `MYSQL_PWD` instead of a host-visible argument (a bare `-p` still prompts).
    Client {
        program: String,
        args: Vec<String>,
        password: Option<String>,
    },
    Hostname,
    Env,
    Cat(Vec<String>),
    Ls(Vec<String>),
    /// Not allowed; the text says why.
    Refused(String),
}

/// Maps `argv` for a pod whose 3306 is served on `port`. `env` is the container's environment
/// (used by `sh -c` expansion).
pub fn map(argv: &[String], env: &[(String, String)], port: u16) -> Mapped {
    let Some(first) = argv.first() else {
        return Mapped::Refused("명령이 비어 있습니다 (empty command)".into());
    };
    let name = first.rsplit('/').next().unwrap_or(first);
    let rest = &argv[1..];
    if matches!(name, "sh" | "bash" | "dash") {
        return match rest {
            [flag, script, ..] if flag == "-c" => match shell_words(script, env) {
                Ok(words) => {
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
                    map(&words, env, port)
                }
                Err(e) => Mapped::Refused(format!("{e}; {REFUSED}")),
            },
            _ => Mapped::Refused(REFUSED.into()),
        };
    }
    if let Some((_, program)) = CLIENTS.iter().find(|(n, _)| *n == name) {
        let mut args = vec![
            "--no-defaults".to_string(),
            "--protocol=TCP".into(),
            "-h127.0.0.1".into(),
            format!("-P{port}"),
        ];
        let mut password = None;
        for a in strip_connection_options(rest) {
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
        "hostname" => Mapped::Hostname,
        "env" | "printenv" if rest.is_empty() => Mapped::Env,
        "cat" => Mapped::Cat(rest.to_vec()),
        "ls" => Mapped::Ls(rest.to_vec()),
        _ => Mapped::Refused(REFUSED.into()),
    }
}

/// Drops `-h/--host`, `-P/--port`, `-S/--socket`, `--protocol`: inside the pod "localhost" is the
/// pod's own server, which labsim reaches on its loopback port only.
fn strip_connection_options(args: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let long = ["--host", "--port", "--socket", "--protocol"];
        if long.iter().any(|l| a == l) || matches!(a.as_str(), "-h" | "-P" | "-S") {
            it.next();
            continue;
        }
        if long.iter().any(|l| a.starts_with(&format!("{l}=")))
            || (a.len() > 2 && (a.starts_with("-h") || a.starts_with("-P") || a.starts_with("-S")))
        {
            continue;
        }
        out.push(a.clone());
    }
    out
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

/// Splits a POSIX-shell command line into words: quotes, backslashes, `$VAR` / `${VAR}` expanded
/// from `env` (unset: empty). Expansions are not word-split (a deliberate simplification).
pub fn shell_words(script: &str, env: &[(String, String)]) -> Result<Vec<String>, ShellError> {
    let lookup = |n: &str| {
        env.iter()
            .rev()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let chars: Vec<char> = script.chars().collect();
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut has_word = false;
    let mut i = 0;
    // Reads a `$...` expansion starting at chars[i] == '$'; returns (text, next index).
    let dollar = |i: usize| -> Result<(String, usize), ShellError> {
        let next = chars.get(i + 1).copied();
        match next {
            Some('{') => {
                let end = chars[i + 2..]
                    .iter()
                    .position(|c| *c == '}')
                    .ok_or(ShellError::Unterminated)?;
                let name: String = chars[i + 2..i + 2 + end].iter().collect();
                Ok((lookup(&name), i + 3 + end))
            }
            Some('(') | Some('`') => Err(ShellError::Operator("$(".into())),
            Some(c) if c.is_ascii_alphabetic() || c == '_' => {
                let mut j = i + 1;
                while j < chars.len() && (chars[j].is_ascii_alphanumeric() || chars[j] == '_') {
                    j += 1;
                }
                let name: String = chars[i + 1..j].iter().collect();
                Ok((lookup(&name), j))
            }
            _ => Ok(("$".into(), i + 1)),
        }
    };
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' | '\n' => {
                if has_word {
                    words.push(std::mem::take(&mut cur));
                    has_word = false;
                }
                i += 1;
            }
            '\'' => {
                let end = chars[i + 1..]
                    .iter()
                    .position(|c| *c == '\'')
                    .ok_or(ShellError::Unterminated)?;
                cur.extend(&chars[i + 1..i + 1 + end]);
                has_word = true;
                i += end + 2;
            }
            '"' => {
                has_word = true;
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err(ShellError::Unterminated),
                        Some('"') => {
                            i += 1;
                            break;
                        }
                        Some('\\') if matches!(chars.get(i + 1), Some('"' | '\\' | '$' | '`')) => {
                            cur.push(chars[i + 1]);
                            i += 2;
                        }
                        Some('$') => {
                            let (t, n) = dollar(i)?;
                            cur.push_str(&t);
                            i = n;
                        }
                        Some('`') => return Err(ShellError::Operator("`".into())),
                        Some(ch) => {
                            cur.push(*ch);
                            i += 1;
                        }
                    }
                }
            }
            '\\' => {
                if let Some(n) = chars.get(i + 1) {
                    if *n != '\n' {
                        cur.push(*n);
                        has_word = true;
                    }
                }
                i += 2;
            }
            '$' => {
                let (t, n) = dollar(i)?;
                if !t.is_empty() {
                    has_word = true;
                }
                cur.push_str(&t);
                i = n;
            }
            '|' | '&' | ';' | '<' | '>' | '(' | ')' | '`' => {
                return Err(ShellError::Operator(c.to_string()));
            }
            _ => {
                cur.push(c);
                has_word = true;
                i += 1;
            }
        }
    }
    if has_word {
        words.push(cur);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    fn env() -> Vec<(String, String)> {
        vec![("MYSQL_ROOT_PASSWORD".into(), "pa ss$".into())]
    }

    #[test]
    fn clients_get_connection_prefix_and_lose_host_and_port() {
        let m = map(
            &v(&["mysql", "-u", "root", "-p", "-h", "mysql-0", "--port=3306"]),
            &[],
            4100,
        );
        assert_eq!(
            m,
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
        let m = map(
            &v(&["/usr/bin/mysqladmin", "ping", "-h127.0.0.1", "-P", "3306"]),
            &[],
            1,
        );
        assert_eq!(
            m,
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
    }

    #[test]
    fn sh_c_expands_variables_and_splits_words() {
        let m = map(
            &v(&[
                "sh",
                "-c",
                "mysqladmin ping -h 127.0.0.1 -uroot -p\"${MYSQL_ROOT_PASSWORD}\"",
            ]),
            &env(),
            7,
        );
        let Mapped::Client {
            program,
            args,
            password,
        } = m
        else {
            panic!("{m:?}")
        };
        assert_eq!(program, "mariadb-admin");
        assert_eq!(args[4..], v(&["ping", "-uroot"]));
        assert_eq!(password.as_deref(), Some("pa ss$"));
        let m = map(
            &v(&[
                "bash",
                "-c",
                "exec mysql -uroot -p$MYSQL_ROOT_PASSWORD -e 'SELECT 1'",
            ]),
            &env(),
            7,
        );
        let Mapped::Client { args, password, .. } = m else {
            panic!()
        };
        assert_eq!(args[4..], v(&["-uroot", "-e", "SELECT 1"]));
        assert_eq!(password.as_deref(), Some("pa ss$"));
        let m = map(&v(&["mysql", "--password=x", "-p", "db"]), &[], 7);
        let Mapped::Client { args, password, .. } = m else {
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
            v(&["sh"]),
            v(&["bash", "-c", "mysql -e 'select 1' | cat"]),
            v(&["sh", "-c", "mysql -p$(cat /etc/pw)"]),
            v(&["sh", "-c", "sh -c 'mysql'"]),
            v(&["rm", "-rf", "/"]),
            v(&["env", "FOO=1", "rm"]),
            v(&[]),
        ] {
            assert!(
                matches!(map(&argv, &env(), 1), Mapped::Refused(_)),
                "{argv:?}"
            );
        }
        assert_eq!(shell_words("a 'b", &[]), Err(ShellError::Unterminated));
    }

    #[test]
    fn builtins_map() {
        assert_eq!(map(&v(&["hostname"]), &[], 1), Mapped::Hostname);
        assert_eq!(map(&v(&["env"]), &[], 1), Mapped::Env);
        assert_eq!(
            map(&v(&["ls", "-l", "/var/lib/mysql"]), &[], 1),
            Mapped::Ls(v(&["-l", "/var/lib/mysql"]))
        );
        assert_eq!(
            map(&v(&["sh", "-c", "cat /var/lib/mysql/x"]), &[], 1),
            Mapped::Cat(v(&["/var/lib/mysql/x"]))
        );
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
