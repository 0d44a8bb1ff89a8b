//! A small POSIX-shell subset for `sh -c` scripts in pods (init containers' wait loops, probes,
//! exec): lists with `;`, `&&`, `||`, `!`, `until`/`while ... do ... done`,
//! `if ... then ... [elif ...] [else ...] fi`, and the redirections `>/dev/null`, `2>/dev/null`,
//! `&>/dev/null`, `2>&1`, `>&2`. Every simple command is mapped and run like a command of its
//! own ([`super::command::map`]): MariaDB clients as host processes, builtins, refusals. No
//! pipes, files, subshells or command substitution: such scripts are refused.

use std::future::Future;
use std::pin::Pin;

use super::command::{self, Mapped, ShellError};
use super::PodRuntime;

/// Where a simple command's output stream goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sink {
    Out,
    Err,
    Null,
}

/// A parsed script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Script {
    /// Words and where stdout and stderr go.
    Simple {
        words: Vec<String>,
        out: Sink,
        err: Sink,
    },
    /// `a; b` (runs all, status of the last).
    Seq(Vec<Script>),
    And(Box<Script>, Box<Script>),
    Or(Box<Script>, Box<Script>),
    Not(Box<Script>),
    /// `while` (`until` = `until: true`).
    Loop {
        until: bool,
        cond: Box<Script>,
        body: Box<Script>,
    },
    If {
        cond: Box<Script>,
        then: Box<Script>,
        otherwise: Option<Box<Script>>,
    },
}

impl Script {
    /// The words of a script that is one plain command (no redirection), else None.
    pub fn as_simple(&self) -> Option<&[String]> {
        match self {
            Script::Simple {
                words,
                out: Sink::Out,
                err: Sink::Err,
            } => Some(words),
            Script::Seq(v) if v.len() == 1 => v[0].as_simple(),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    /// A word; `plain` when it had no quotes or expansions (keywords count only then).
    Word { text: String, plain: bool },
    /// `;` or a newline, `&&`, `||`, `!` is a word.
    Op(&'static str),
    /// `N>` / `N>>` (N = 1 or 2); its target is the next word.
    Redir(u8),
    /// `N>&M`.
    Dup(u8, u8),
    /// `&>` / `&>>`.
    RedirAll,
}

fn tokens(script: &str, env: &[(String, String)]) -> Result<Vec<Tok>, ShellError> {
    let lookup = |n: &str| {
        env.iter()
            .rev()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let chars: Vec<char> = script.chars().collect();
    let mut toks = Vec::new();
    let mut cur = String::new();
    let (mut has_word, mut plain) = (false, true);
    let mut i = 0;
    let dollar = |i: usize| -> Result<(String, usize), ShellError> {
        match chars.get(i + 1).copied() {
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
    macro_rules! flush {
        () => {
            if has_word {
                toks.push(Tok::Word {
                    text: std::mem::take(&mut cur),
                    plain,
                });
                has_word = false;
            }
            plain = true;
        };
    }
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' => {
                flush!();
                i += 1;
            }
            '\n' | ';' => {
                flush!();
                toks.push(Tok::Op(";"));
                i += 1;
            }
            '#' if !has_word => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '\'' => {
                let end = chars[i + 1..]
                    .iter()
                    .position(|c| *c == '\'')
                    .ok_or(ShellError::Unterminated)?;
                cur.extend(&chars[i + 1..i + 1 + end]);
                has_word = true;
                plain = false;
                i += end + 2;
            }
            '"' => {
                has_word = true;
                plain = false;
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
                        plain = false;
                    }
                }
                i += 2;
            }
            '$' => {
                let (t, n) = dollar(i)?;
                if !t.is_empty() {
                    has_word = true;
                }
                plain = false;
                cur.push_str(&t);
                i = n;
            }
            '&' if chars.get(i + 1) == Some(&'&') => {
                flush!();
                toks.push(Tok::Op("&&"));
                i += 2;
            }
            '|' if chars.get(i + 1) == Some(&'|') => {
                flush!();
                toks.push(Tok::Op("||"));
                i += 2;
            }
            '&' if chars.get(i + 1) == Some(&'>') => {
                flush!();
                toks.push(Tok::RedirAll);
                i += 2;
                if chars.get(i) == Some(&'>') {
                    i += 1;
                }
            }
            '>' => {
                // A word that is just "1" or "2" right before '>' is the fd.
                let fd = if has_word && plain && (cur == "1" || cur == "2") {
                    let fd = if cur == "2" { 2 } else { 1 };
                    cur.clear();
                    has_word = false;
                    fd
                } else {
                    flush!();
                    1
                };
                i += 1;
                if chars.get(i) == Some(&'>') {
                    i += 1;
                }
                if chars.get(i) == Some(&'&') {
                    match chars.get(i + 1) {
                        Some('1') => toks.push(Tok::Dup(fd, 1)),
                        Some('2') => toks.push(Tok::Dup(fd, 2)),
                        _ => return Err(ShellError::Operator(">&".into())),
                    }
                    i += 2;
                } else {
                    toks.push(Tok::Redir(fd));
                }
            }
            '|' | '&' | '<' | '(' | ')' | '`' => {
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
        toks.push(Tok::Word { text: cur, plain });
    }
    Ok(toks)
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
}

const KEYWORDS: &[&str] = &[
    "do", "done", "then", "else", "elif", "fi", "until", "while", "if",
];

impl Parser {
    fn peek_kw(&self) -> Option<&str> {
        match self.toks.get(self.pos) {
            Some(Tok::Word { text, plain: true }) if KEYWORDS.contains(&text.as_str()) => {
                Some(text)
            }
            _ => None,
        }
    }

    fn expect_kw(&mut self, kw: &str) -> Result<(), ShellError> {
        if self.peek_kw() == Some(kw) {
            self.pos += 1;
            Ok(())
        } else {
            Err(ShellError::Operator(format!("'{kw}' 없음 (missing {kw})")))
        }
    }

    fn skip_separators(&mut self) {
        while self.toks.get(self.pos) == Some(&Tok::Op(";")) {
            self.pos += 1;
        }
    }

    /// A list up to one of `stop` (keywords) or the end.
    fn list(&mut self, stop: &[&str]) -> Result<Script, ShellError> {
        let mut items = Vec::new();
        loop {
            self.skip_separators();
            if self.pos >= self.toks.len() || self.peek_kw().is_some_and(|k| stop.contains(&k)) {
                break;
            }
            items.push(self.and_or()?);
        }
        if items.is_empty() {
            return Err(ShellError::Operator(
                "빈 명령 목록 (empty command list)".into(),
            ));
        }
        Ok(if items.len() == 1 {
            items.pop().expect("one")
        } else {
            Script::Seq(items)
        })
    }

    fn and_or(&mut self) -> Result<Script, ShellError> {
        let mut left = self.pipeline()?;
        loop {
            match self.toks.get(self.pos) {
                Some(Tok::Op("&&")) => {
                    self.pos += 1;
                    self.skip_newlines();
                    left = Script::And(Box::new(left), Box::new(self.pipeline()?));
                }
                Some(Tok::Op("||")) => {
                    self.pos += 1;
                    self.skip_newlines();
                    left = Script::Or(Box::new(left), Box::new(self.pipeline()?));
                }
                _ => return Ok(left),
            }
        }
    }

    fn skip_newlines(&mut self) {
        self.skip_separators();
    }

    fn pipeline(&mut self) -> Result<Script, ShellError> {
        if matches!(self.toks.get(self.pos), Some(Tok::Word { text, plain: true }) if text == "!") {
            self.pos += 1;
            return Ok(Script::Not(Box::new(self.command()?)));
        }
        self.command()
    }

    fn command(&mut self) -> Result<Script, ShellError> {
        match self.peek_kw() {
            Some(kw @ ("until" | "while")) => {
                let until = kw == "until";
                self.pos += 1;
                let cond = self.list(&["do"])?;
                self.expect_kw("do")?;
                let body = self.list(&["done"])?;
                self.expect_kw("done")?;
                Ok(Script::Loop {
                    until,
                    cond: Box::new(cond),
                    body: Box::new(body),
                })
            }
            Some("if") => {
                self.pos += 1;
                self.if_rest()
            }
            Some(kw) => Err(ShellError::Operator(format!(
                "'{kw}' 위치가 잘못되었습니다 (unexpected {kw})"
            ))),
            None => self.simple(),
        }
    }

    /// After `if` / `elif`: COND then LIST [elif ...|else LIST] fi.
    fn if_rest(&mut self) -> Result<Script, ShellError> {
        let cond = self.list(&["then"])?;
        self.expect_kw("then")?;
        let then = self.list(&["elif", "else", "fi"])?;
        let otherwise = match self.peek_kw() {
            Some("elif") => {
                self.pos += 1;
                return Ok(Script::If {
                    cond: Box::new(cond),
                    then: Box::new(then),
                    otherwise: Some(Box::new(self.if_rest()?)),
                });
            }
            Some("else") => {
                self.pos += 1;
                let e = self.list(&["fi"])?;
                Some(Box::new(e))
            }
            _ => None,
        };
        self.expect_kw("fi")?;
        Ok(Script::If {
            cond: Box::new(cond),
            then: Box::new(then),
            otherwise,
        })
    }

    fn simple(&mut self) -> Result<Script, ShellError> {
        let (mut words, mut out, mut err) = (Vec::new(), Sink::Out, Sink::Err);
        let null_target = |p: &mut Parser| -> Result<(), ShellError> {
            match p.toks.get(p.pos) {
                Some(Tok::Word { text, .. }) if text == "/dev/null" => {
                    p.pos += 1;
                    Ok(())
                }
                _ => Err(ShellError::Operator(
                    "> (파일로 리디렉션은 /dev/null만 지원; only >/dev/null)".into(),
                )),
            }
        };
        loop {
            match self.toks.get(self.pos).cloned() {
                Some(Tok::Word { text, .. }) => {
                    // A keyword ends a simple command only where the grammar expects one.
                    if !words.is_empty() || self.peek_kw().is_none() {
                        words.push(text);
                        self.pos += 1;
                    } else {
                        break;
                    }
                }
                Some(Tok::Redir(fd)) => {
                    self.pos += 1;
                    null_target(self)?;
                    if fd == 2 {
                        err = Sink::Null;
                    } else {
                        out = Sink::Null;
                    }
                }
                Some(Tok::RedirAll) => {
                    self.pos += 1;
                    null_target(self)?;
                    out = Sink::Null;
                    err = Sink::Null;
                }
                Some(Tok::Dup(fd, to)) => {
                    self.pos += 1;
                    let target = if to == 2 { err } else { out };
                    if fd == 2 {
                        err = target;
                    } else {
                        out = target;
                    }
                }
                _ => break,
            }
        }
        if words.is_empty() {
            return Err(ShellError::Operator("빈 명령 (empty command)".into()));
        }
        Ok(Script::Simple { words, out, err })
    }
}

/// Parses a `sh -c` script with `$VAR` expanded from `env`.
pub fn parse(script: &str, env: &[(String, String)]) -> Result<Script, ShellError> {
    let toks = tokens(script, env)?;
    if toks.is_empty() {
        return Ok(Script::Seq(vec![]));
    }
    let mut p = Parser { toks, pos: 0 };
    let s = p.list(&[])?;
    if p.pos < p.toks.len() {
        let kw = p.peek_kw().unwrap_or("?").to_string();
        return Err(ShellError::Operator(format!(
            "'{kw}' 위치가 잘못되었습니다 (unexpected {kw})"
        )));
    }
    Ok(s)
}

/// Receives a script's output as it is produced (`true`: stderr).
pub type Output<'a> = dyn FnMut(bool, &[u8]) + Send + 'a;

/// Runs `script` in the pod `rt`; its exit status. Loops yield between rounds so a stop (the
/// caller dropping this future) takes effect.
pub fn run<'a>(
    script: &'a Script,
    rt: &'a PodRuntime,
    sink: &'a mut Output<'_>,
) -> Pin<Box<dyn Future<Output = i32> + Send + 'a>> {
    Box::pin(async move {
        match script {
            Script::Simple { words, out, err } => simple(words, *out, *err, rt, sink).await,
            Script::Seq(items) => {
                let mut code = 0;
                for s in items {
                    code = run(s, rt, sink).await;
                }
                code
            }
            Script::And(a, b) => match run(a, rt, sink).await {
                0 => run(b, rt, sink).await,
                c => c,
            },
            Script::Or(a, b) => match run(a, rt, sink).await {
                0 => 0,
                _ => run(b, rt, sink).await,
            },
            Script::Not(a) => i32::from(run(a, rt, sink).await == 0),
            Script::Loop { until, cond, body } => {
                let mut code = 0;
                loop {
                    let c = run(cond, rt, sink).await;
                    if (c == 0) == *until {
                        return code;
                    }
                    code = run(body, rt, sink).await;
                    tokio::task::yield_now().await;
                }
            }
            Script::If {
                cond,
                then,
                otherwise,
            } => {
                if run(cond, rt, sink).await == 0 {
                    run(then, rt, sink).await
                } else if let Some(e) = otherwise {
                    run(e, rt, sink).await
                } else {
                    0
                }
            }
        }
    })
}

async fn simple(
    words: &[String],
    out: Sink,
    err: Sink,
    rt: &PodRuntime,
    sink: &mut Output<'_>,
) -> i32 {
    let mut emit = |to: Sink, data: &[u8]| match to {
        Sink::Out if !data.is_empty() => sink(false, data),
        Sink::Err if !data.is_empty() => sink(true, data),
        _ => {}
    };
    let name = words[0].rsplit('/').next().unwrap_or("");
    let mapped = if matches!(name, "sh" | "bash" | "dash") {
        Mapped::Refused(command::REFUSED.into())
    } else {
        rt.map_command(words)
    };
    if let Some((o, e, code)) = super::builtins::run_simple(&mapped, rt).await {
        emit(out, &o);
        emit(err, &e);
        return code;
    }
    match mapped {
        Mapped::Client {
            program,
            args,
            password,
        } => {
            let mut cmd = rt.client_command(&program, &args, password.as_deref());
            match cmd.output().await {
                Ok(o) => {
                    emit(out, &o.stdout);
                    emit(err, &o.stderr);
                    o.status.code().unwrap_or(1)
                }
                Err(e) => {
                    emit(
                        err,
                        format!("labsim: cannot run {program}: {e}\n").as_bytes(),
                    );
                    127
                }
            }
        }
        Mapped::Refused(why) => {
            emit(err, format!("{why}\n").as_bytes());
            126
        }
        _ => 126,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kubelet::fixtures::runtime;

    fn w(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    fn simple(words: &[&str]) -> Script {
        Script::Simple {
            words: w(words),
            out: Sink::Out,
            err: Sink::Err,
        }
    }

    #[test]
    fn wait_loops_lists_and_redirections_parse() {
        let s = parse(
            "until mysqladmin ping -h mysql-0.mysql --silent >/dev/null 2>&1; do echo waiting; sleep 1; done",
            &[],
        )
        .unwrap();
        assert_eq!(
            s,
            Script::Loop {
                until: true,
                cond: Box::new(Script::Simple {
                    words: w(&["mysqladmin", "ping", "-h", "mysql-0.mysql", "--silent"]),
                    out: Sink::Null,
                    err: Sink::Null,
                }),
                body: Box::new(Script::Seq(vec![
                    simple(&["echo", "waiting"]),
                    simple(&["sleep", "1"])
                ])),
            }
        );
        let s = parse(
            "a && b || ! c; if x; then y; elif z; then q; else r; fi",
            &[],
        )
        .unwrap();
        let Script::Seq(items) = s else { panic!() };
        assert_eq!(
            items[0],
            Script::Or(
                Box::new(Script::And(
                    Box::new(simple(&["a"])),
                    Box::new(simple(&["b"]))
                )),
                Box::new(Script::Not(Box::new(simple(&["c"]))))
            )
        );
        assert!(
            matches!(&items[1], Script::If { otherwise: Some(e), .. } if matches!(**e, Script::If { .. }))
        );
        // Quoted keywords are words; one plain command stays simple.
        assert_eq!(
            parse("echo 'done' \"$X\"", &[("X".into(), "1".into())])
                .unwrap()
                .as_simple(),
            Some(&w(&["echo", "done", "1"])[..])
        );
        for bad in [
            "a | b",
            "a > /tmp/x",
            "a &",
            "(a)",
            "until a; do b",
            "do a",
            "echo $(id)",
            "a <x",
        ] {
            assert!(parse(bad, &[]).is_err(), "{bad}");
        }
    }

    async fn run_text(script: &str) -> (String, String, i32) {
        let s = parse(script, &[]).unwrap();
        let (mut o, mut e) = (Vec::new(), Vec::new());
        let rt = runtime(1);
        let code = {
            let mut sink = |is_err: bool, d: &[u8]| {
                if is_err {
                    e.extend_from_slice(d)
                } else {
                    o.extend_from_slice(d)
                }
            };
            run(&s, &rt, &mut sink).await
        };
        (
            String::from_utf8(o).unwrap(),
            String::from_utf8(e).unwrap(),
            code,
        )
    }

    #[tokio::test]
    async fn scripts_run_with_shell_semantics() {
        assert_eq!(
            run_text("true && echo a || echo b; false && echo c || echo d").await,
            ("a\nd\n".into(), String::new(), 0)
        );
        assert_eq!(run_text("! true").await.2, 1);
        assert_eq!(
            run_text("if false; then echo no; else echo yes; fi")
                .await
                .0,
            "yes\n"
        );
        // An unknown host fails the client; 2>&1 moves its error to stdout, >/dev/null drops it.
        assert_eq!(
            run_text("mysql -h nope -e 'SELECT 1' 2>&1").await,
            (
                "ERROR 2005 (HY000): Unknown server host 'nope' (-2)\n".into(),
                String::new(),
                1
            )
        );
        assert_eq!(
            run_text("mysql -h nope 2>/dev/null || echo down").await,
            ("down\n".into(), String::new(), 0)
        );
        // A loop ends when its condition says so.
        let (o, _, c) = run_text("while false; do echo never; done; echo after").await;
        assert_eq!((o.as_str(), c), ("after\n", 0));
        let (o, e, c) = run_text("rm -rf /").await;
        assert!(o.is_empty() && e.contains("허용") && c == 126);
    }
}
