//! `mysql(pod)`: a MySQL session through a port-forward (127.0.0.1:0 -> pod:3306) with
//! mysql_async as root, the password read from the StatefulSet's env/Secret (never printed).
//! `sql(script)` runs statements in order, keeps the current database, and reconnects once by
//! itself when the pod was re-created.

pub mod output;
pub mod split;

use std::sync::Arc;
use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{Container, Pod, Secret};
use kube::ResourceExt;
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, OptsBuilder, Row, Value};

use crate::error::cluster::Error as ClusterError;
use output::{hint, transcript};
pub use output::{Drawn, SqlData, SqlOutput, StatementResult};
use split::{split_statements, use_target};

pub use crate::error::sql::Error;
use crate::error::Result;
use crate::lab::Lab;
use crate::pod::is_ready;
use crate::portforward::PortForward;

/// Time one statement may take.
pub const STATEMENT_TIMEOUT: Duration = Duration::from_secs(60);
/// Time to wait for a re-created pod before reconnecting.
pub const RECONNECT_TIMEOUT: Duration = Duration::from_secs(180);

/// How long a reconnect keeps trying while the API server does not answer at all.
pub const UNREACHABLE_GIVE_UP: Duration = Duration::from_secs(10);

/// A MySQL session to one pod. Cheap to clone; the session lives in kubelab's runtime.
#[derive(Clone)]
pub struct MySql {
    inner: Arc<tokio::sync::Mutex<Session>>,
    pod: String,
}

struct Session {
    /// None only in tests that talk to a local server directly.
    lab: Option<Arc<Lab>>,
    pod: String,
    password: String,
    local: std::net::SocketAddr,
    /// Keeps the port-forward listener alive for the session's lifetime.
    _forward: Option<PortForward>,
    conn: Option<Conn>,
    database: Option<String>,
}

fn is_root_password_var(name: &str) -> bool {
    matches!(name, "MYSQL_ROOT_PASSWORD" | "MARIADB_ROOT_PASSWORD")
}

fn is_empty_password_var(name: &str) -> bool {
    matches!(
        name,
        "MYSQL_ALLOW_EMPTY_PASSWORD"
            | "MARIADB_ALLOW_EMPTY_ROOT_PASSWORD"
            | "MARIADB_ALLOW_EMPTY_PASSWORD"
    )
}

/// Where the root password comes from, found in container env.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordSource {
    /// `value:` literal.
    Literal(String),
    /// `valueFrom.secretKeyRef` / `envFrom.secretRef`.
    Secret {
        /// Secret name.
        name: String,
        /// Key in it.
        key: String,
    },
    /// Empty password allowed.
    Empty,
}

/// Finds the root password source in containers' env.
pub fn password_source(containers: &[Container]) -> Option<PasswordSource> {
    for c in containers {
        for e in c.env.clone().unwrap_or_default() {
            if is_root_password_var(&e.name) {
                if let Some(v) = e.value {
                    return Some(PasswordSource::Literal(v));
                }
                if let Some(r) = e.value_from.and_then(|v| v.secret_key_ref) {
                    return Some(PasswordSource::Secret {
                        name: r.name,
                        key: r.key,
                    });
                }
            }
            if is_empty_password_var(&e.name)
                && e.value
                    .as_deref()
                    .is_some_and(|v| !v.is_empty() && v != "0" && v != "no")
            {
                return Some(PasswordSource::Empty);
            }
        }
        for ef in c.env_from.clone().unwrap_or_default() {
            if let Some(s) = ef.secret_ref {
                return Some(PasswordSource::Secret {
                    name: s.name,
                    key: "MYSQL_ROOT_PASSWORD".into(),
                });
            }
        }
    }
    None
}

fn cell(v: &Value) -> Option<String> {
    match v {
        Value::NULL => None,
        Value::Bytes(b) => Some(String::from_utf8_lossy(b).into_owned()),
        Value::Int(i) => Some(i.to_string()),
        Value::UInt(u) => Some(u.to_string()),
        Value::Float(f) => Some(f.to_string()),
        Value::Double(d) => Some(d.to_string()),
        other => Some(other.as_sql(true).trim_matches('\'').to_string()),
    }
}

impl Lab {
    /// Opens a MySQL session to `pod` (port-forward + root login).
    pub async fn mysql(self: &Arc<Self>, pod: &str) -> Result<MySql> {
        // Two commands, as a learner would run them: the forward stays in the background (it
        // never exits by itself), the client connects to its fixed local port.
        crate::out::cmd(&format!("kubectl port-forward pod/{pod} 13306:3306 &"));
        crate::out::cmd("mysql -h 127.0.0.1 -P 13306 -u root -p");
        let password = self.root_password(pod).await?;
        let forward = PortForward::start(self.api::<Pod>(), pod, 3306).await?;
        let mut s = Session {
            lab: Some(self.clone()),
            pod: pod.to_string(),
            password,
            local: forward.local,
            _forward: Some(forward),
            conn: None,
            database: None,
        };
        s.connect(Duration::from_secs(20))
            .await
            .map_err(|d| Error::Connect {
                before: String::new(),
                pod: pod.into(),
                detail: d,
            })?;
        crate::out::line(format!(
            "MySQL({pod})에 root 로 접속했습니다 (kubelab의 포트 포워딩: 로컬 {}; 비밀번호는 Secret에서 읽었고 출력하지 않습니다).",
            s.local
        ));
        Ok(MySql {
            inner: Arc::new(tokio::sync::Mutex::new(s)),
            pod: pod.to_string(),
        })
    }

    async fn root_password(&self, pod: &str) -> Result<String> {
        let pw_err = |d: &str| Error::Password {
            pod: pod.to_string(),
            detail: d.to_string(),
        };
        let Some(p) = self.call("get pod", self.api::<Pod>().get_opt(pod)).await? else {
            return Err(self.not_found::<Pod>("pod", "pods", pod).await);
        };
        // the StatefulSet's template is the source of truth; the pod's spec is a copy of it
        let owner = p
            .owner_references()
            .iter()
            .find(|o| o.kind == "StatefulSet")
            .map(|o| o.name.clone());
        let mut containers = p.spec.clone().map(|s| s.containers).unwrap_or_default();
        if let Some(o) = owner {
            if let Some(sts) = self
                .call("get statefulset", self.api::<StatefulSet>().get_opt(&o))
                .await?
            {
                if let Some(c) = sts.spec.template.spec.map(|s| s.containers) {
                    containers = c;
                }
            }
        }
        match password_source(&containers)
            .ok_or_else(|| pw_err("env 에 MYSQL_ROOT_PASSWORD 가 없습니다"))?
        {
            PasswordSource::Literal(v) => Ok(v),
            PasswordSource::Empty => Ok(String::new()),
            PasswordSource::Secret { name, key } => {
                let s = self
                    .call("get secret", self.api::<Secret>().get_opt(&name))
                    .await?
                    .ok_or_else(|| pw_err(&format!("Secret '{name}' 이(가) 없습니다")))?;
                let bytes = s
                    .data
                    .and_then(|d| d.get(&key).map(|b| b.0.clone()))
                    .or_else(|| {
                        s.string_data
                            .and_then(|d| d.get(&key).map(|v| v.clone().into_bytes()))
                    })
                    .ok_or_else(|| pw_err(&format!("Secret '{name}' 에 키 '{key}' 가 없습니다")))?;
                String::from_utf8(bytes).map_err(|_| pw_err("비밀번호가 UTF-8 이 아닙니다").into())
            }
        }
    }
}

impl Session {
    async fn connect(&mut self, limit: Duration) -> std::result::Result<(), String> {
        let deadline = Instant::now() + limit;
        loop {
            let opts = OptsBuilder::default()
                .ip_or_hostname(self.local.ip().to_string())
                .tcp_port(self.local.port())
                .prefer_socket(false)
                .user(Some("root"))
                .pass(Some(self.password.clone()))
                .db_name(self.database.clone());
            let err = match tokio::time::timeout(Duration::from_secs(10), Conn::new(opts)).await {
                Ok(Ok(c)) => {
                    self.conn = Some(c);
                    return Ok(());
                }
                // wrong password or unknown database will not fix itself
                Ok(Err(mysql_async::Error::Server(e))) => {
                    return Err(format!(
                        "ERROR {} ({}): {}\n→ {}",
                        e.code,
                        e.state,
                        e.message,
                        hint(e.code)
                    ))
                }
                Ok(Err(e)) => e.to_string(),
                Err(_) => "10초 안에 응답이 없습니다".to_string(),
            };
            if Instant::now() >= deadline {
                return Err(err);
            }
            tokio::time::sleep(Duration::from_millis(700)).await;
        }
    }

    /// Waits until the pod (maybe re-created) is Ready, then connects again.
    async fn reconnect(&mut self) -> std::result::Result<(), String> {
        self.conn = None;
        crate::out::line(format!(
            "(연결이 끊겼습니다: 파드 {} 가 다시 만들어졌을 수 있습니다. 다시 연결합니다…)",
            self.pod
        ));
        let deadline = Instant::now() + RECONNECT_TIMEOUT;
        // when the API server itself is gone (cluster stopped), say so quickly instead of
        // polling for the whole RECONNECT_TIMEOUT
        let mut unreachable_since: Option<Instant> = None;
        while let Some(lab) = &self.lab {
            let p = match lab
                .call("get pod", lab.api::<Pod>().get_opt(&self.pod))
                .await
            {
                Ok(p) => {
                    unreachable_since = None;
                    p
                }
                Err(crate::error::Error::Cluster(e @ ClusterError::Unreachable { .. })) => {
                    let since = *unreachable_since.get_or_insert_with(Instant::now);
                    if since.elapsed() >= UNREACHABLE_GIVE_UP {
                        return Err(e.to_string());
                    }
                    None
                }
                Err(_) => None,
            };
            if p.as_ref().is_some_and(is_ready) {
                break;
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "파드가 {}초 안에 Ready 가 되지 않았습니다",
                    RECONNECT_TIMEOUT.as_secs()
                ));
            }
            tokio::time::sleep(Duration::from_millis(700)).await;
        }
        self.connect(Duration::from_secs(60)).await
    }

    async fn statement(
        &mut self,
        sql: &str,
    ) -> std::result::Result<StatementResult, mysql_async::Error> {
        let conn = self.conn.as_mut().ok_or(mysql_async::Error::Driver(
            mysql_async::DriverError::ConnectionClosed,
        ))?;
        let start = Instant::now();
        let mut qr = conn.query_iter(sql).await?;
        let cols = qr.columns();
        let rows: Vec<Row> = qr.collect().await?;
        let mut r = StatementResult {
            sql: sql.to_string(),
            affected_rows: qr.affected_rows(),
            info: qr.info().trim().to_string(),
            ..Default::default()
        };
        qr.drop_result().await?;
        if let Some(cols) = cols.filter(|c| !c.is_empty()) {
            r.has_result_set = true;
            r.columns = cols.iter().map(|c| c.name_str().into_owned()).collect();
            r.numeric = cols
                .iter()
                .map(|c| c.column_type().is_numeric_type())
                .collect();
            r.rows = rows
                .iter()
                .map(|row| {
                    (0..row.len())
                        .map(|i| row.as_ref(i).and_then(cell))
                        .collect()
                })
                .collect();
        }
        r.elapsed = start.elapsed();
        if let Some(db) = use_target(sql) {
            r.database_changed = true;
            self.database = Some(db);
        }
        Ok(r)
    }

    async fn run(&mut self, script: &str) -> Result<SqlOutput> {
        let mut done: Vec<StatementResult> = Vec::new();
        let before = |done: &[StatementResult]| {
            if done.is_empty() {
                String::new()
            } else {
                format!("{}\n\n", transcript(done))
            }
        };
        for stmt in split_statements(script) {
            let mut retried = false;
            loop {
                if self.conn.is_none() {
                    if let Err(d) = self.reconnect().await {
                        return Err(Error::Connect {
                            before: before(&done),
                            pod: self.pod.clone(),
                            detail: d,
                        }
                        .into());
                    }
                }
                match tokio::time::timeout(STATEMENT_TIMEOUT, self.statement(&stmt)).await {
                    Ok(Ok(r)) => {
                        done.push(r);
                        break;
                    }
                    Ok(Err(mysql_async::Error::Server(e))) => {
                        return Err(Error::Server {
                            before: before(&done),
                            code: e.code,
                            state: e.state,
                            message: e.message,
                            hint: hint(e.code).to_string(),
                        }
                        .into())
                    }
                    Ok(Err(e)) if !retried => {
                        // connection lost (pod re-created): re-port-forward, restore db, retry once
                        let _ = e;
                        retried = true;
                        self.conn = None;
                    }
                    Ok(Err(e)) => {
                        return Err(Error::Connect {
                            before: before(&done),
                            pod: self.pod.clone(),
                            detail: e.to_string(),
                        }
                        .into())
                    }
                    Err(_) => {
                        self.conn = None;
                        return Err(Error::Timeout {
                            before: before(&done),
                            sql: stmt,
                            secs: STATEMENT_TIMEOUT.as_secs(),
                        }
                        .into());
                    }
                }
            }
        }
        Ok(SqlOutput::new(done))
    }
}

impl MySql {
    /// Runs a script (statements split like the mysql client) and returns every result.
    pub async fn sql(&self, script: &str) -> Result<SqlOutput> {
        self.inner.lock().await.run(script).await
    }

    /// The database selected with USE, if any.
    pub async fn database(&self) -> Option<String> {
        self.inner.lock().await.database.clone()
    }

    /// The pod this session talks to.
    pub fn pod(&self) -> &str {
        &self.pod
    }
}

impl std::fmt::Debug for MySql {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // never shows the password
        write!(f, "MySql {{ pod: {:?} }}", self.pod)
    }
}

impl std::fmt::Display for MySql {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "MySQL 세션: 파드 {} (root). db.sql(\"SHOW DATABASES;\") 처럼 사용하세요.",
            self.pod
        )
    }
}

impl MySql {
    /// HTML for Jupyter.
    pub fn to_html(&self) -> String {
        crate::table::pre(&self.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn containers(v: serde_json::Value) -> Vec<Container> {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn password_from_literal_secret_envfrom_or_empty() {
        let c = containers(
            serde_json::json!([{"name":"mysql","env":[{"name":"MYSQL_ROOT_PASSWORD","value":"password"}]}]),
        );
        assert_eq!(
            password_source(&c),
            Some(PasswordSource::Literal("password".into()))
        );
        let c = containers(
            serde_json::json!([{"name":"mysql","env":[{"name":"TZ","value":"x"},
            {"name":"MYSQL_ROOT_PASSWORD","valueFrom":{"secretKeyRef":{"name":"mysql-secret","key":"password"}}}]}]),
        );
        assert_eq!(
            password_source(&c),
            Some(PasswordSource::Secret {
                name: "mysql-secret".into(),
                key: "password".into()
            })
        );
        let c = containers(
            serde_json::json!([{"name":"mysql","envFrom":[{"secretRef":{"name":"s"}}]}]),
        );
        assert_eq!(
            password_source(&c),
            Some(PasswordSource::Secret {
                name: "s".into(),
                key: "MYSQL_ROOT_PASSWORD".into()
            })
        );
        let c = containers(
            serde_json::json!([{"name":"mysql","env":[{"name":"MYSQL_ALLOW_EMPTY_PASSWORD","value":"yes"}]}]),
        );
        assert_eq!(password_source(&c), Some(PasswordSource::Empty));
        assert_eq!(
            password_source(&containers(serde_json::json!([{"name":"x"}]))),
            None
        );
    }

    #[test]
    fn cells() {
        assert_eq!(cell(&Value::NULL), None);
        assert_eq!(
            cell(&Value::Bytes("김철수".as_bytes().to_vec())).as_deref(),
            Some("김철수")
        );
        assert_eq!(cell(&Value::Int(-3)).as_deref(), Some("-3"));
    }
}

/// Runs the session against a real local `mariadbd` (Debian's mariadb-server, which labsim also
/// needs), without Kubernetes: statements, output, USE tracking, errors and reconnect.
#[cfg(test)]
mod live_tests {
    use super::*;
    use std::process::{Child, Command, Stdio};

    struct Server {
        dir: tempfile::TempDir,
        port: u16,
        child: Option<Child>,
    }

    impl Server {
        fn install() -> Server {
            let dir = tempfile::tempdir().unwrap();
            let st = Command::new("mariadb-install-db")
                .args([
                    "--no-defaults",
                    "--user=root",
                    "--auth-root-authentication-method=normal",
                    "--skip-test-db",
                ])
                .arg(format!("--datadir={}", dir.path().join("data").display()))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .expect("mariadb-install-db (package mariadb-server) is needed for this test");
            assert!(st.success());
            std::fs::write(
                dir.path().join("init.sql"),
                // install-db made root@127.0.0.1 without a password; one statement per line for --init-file
                "ALTER USER 'root'@'127.0.0.1' IDENTIFIED BY 'se;cret';\n",
            )
            .unwrap();
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let mut s = Server {
                dir,
                port,
                child: None,
            };
            s.start();
            s
        }

        fn start(&mut self) {
            let d = self.dir.path();
            let child = Command::new("mariadbd")
                .args([
                    "--no-defaults",
                    "--user=root",
                    "--bind-address=127.0.0.1",
                    "--skip-name-resolve",
                ])
                // utf8mb4 like the mysql:8 image (mariadb's own default, latin1, rejects Korean)
                .args([
                    "--character-set-server=utf8mb4",
                    "--collation-server=utf8mb4_general_ci",
                ])
                .arg(format!("--port={}", self.port))
                .arg(format!("--datadir={}", d.join("data").display()))
                .arg(format!("--socket={}", d.join("sock").display()))
                .arg(format!("--pid-file={}", d.join("pid").display()))
                .arg(format!("--init-file={}", d.join("init.sql").display()))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            self.child = Some(child);
        }

        fn stop(&mut self) {
            if let Some(mut c) = self.child.take() {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
    }

    impl Drop for Server {
        fn drop(&mut self) {
            self.stop();
        }
    }

    fn session(port: u16) -> Session {
        Session {
            lab: None,
            pod: "mysql-0".into(),
            password: "se;cret".into(),
            local: ([127, 0, 0, 1], port).into(),
            _forward: None,
            conn: None,
            database: None,
        }
    }

    /// A stopped cluster: every API request fails to connect.
    fn unreachable_lab() -> Arc<Lab> {
        let svc = tower::service_fn(|_req: http::Request<kube::client::Body>| async {
            Err::<http::Response<kube::client::Body>, _>(std::io::Error::new(
                std::io::ErrorKind::ConnectionRefused,
                "connection refused",
            ))
        });
        Arc::new(Lab {
            client: kube::Client::new(svc, "default"),
            ctx: crate::context::ContextInfo {
                name: "labsim".into(),
                cluster: "labsim".into(),
                server: "https://127.0.0.1:1".into(),
            },
            kind: crate::context::ClusterKind::Labsim,
            version: "v1.33.1".into(),
        })
    }

    #[tokio::test]
    async fn reconnect_gives_up_soon_when_the_api_server_is_gone() {
        let mut s = session(1);
        s.lab = Some(unreachable_lab());
        let t0 = Instant::now();
        let e = s.reconnect().await.unwrap_err();
        let took = t0.elapsed();
        assert!(took >= UNREACHABLE_GIVE_UP, "{took:?}");
        assert!(
            took < UNREACHABLE_GIVE_UP + Duration::from_secs(5),
            "{took:?}"
        );
        assert!(e.contains("클러스터에 연결할 수 없습니다"), "{e}");
        assert!(e.contains("start_cluster()"), "{e}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn lab_script_errors_and_reconnect_against_mariadbd() {
        let mut server = Server::install();
        let mut s = session(server.port);
        s.connect(Duration::from_secs(30))
            .await
            .expect("mariadbd did not start");

        let out = s
            .run(
                "CREATE DATABASE testdb;\nSHOW DATABASES;\nUSE testdb;\n\
                 CREATE TABLE users (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255), memo TEXT);\n\
                 INSERT INTO users (name) VALUES ('Alice'), ('Bob');\nSELECT id, name FROM users;",
            )
            .await
            .unwrap();
        let r = out.results();
        assert_eq!(r.len(), 6);
        assert!(
            r[0].text().starts_with("Query OK, 1 row affected ("),
            "{}",
            r[0].text()
        );
        assert!(r[1].column("Database").contains(&Some("testdb".into())));
        assert_eq!(r[2].text(), "Database changed");
        assert!(r[3].text().starts_with("Query OK, 0 rows affected"));
        assert!(
            r[4].text().starts_with("Query OK, 2 rows affected")
                && r[4]
                    .text()
                    .ends_with("Records: 2  Duplicates: 0  Warnings: 0"),
            "{}",
            r[4].text()
        );
        let select = r[5].text();
        assert!(
            select.starts_with("+----+-------+\n| id | name  |\n+----+-------+\n|  1 | Alice |\n|  2 | Bob   |\n+----+-------+\n2 rows in set ("),
            "{select}"
        );

        // NULL, Korean text, the current database kept across calls
        let out = s.run("INSERT INTO users (name, memo) VALUES ('김철수', NULL); SELECT name, memo FROM users WHERE id = 3").await.unwrap();
        assert_eq!(out.last().column("name"), vec![Some("김철수".to_string())]);
        assert_eq!(out.last().column("memo"), vec![None]);
        assert!(
            out.last().text().contains("| 김철수 | NULL |"),
            "{}",
            out.last().text()
        );
        assert_eq!(
            s.run("SELECT * FROM users WHERE id > 100")
                .await
                .unwrap()
                .last()
                .text()
                .split(' ')
                .take(2)
                .collect::<Vec<_>>(),
            ["Empty", "set"]
        );

        // errors: code, state, hint, and what ran before
        let e = s.run("SELECT 1; SELEC 2").await.unwrap_err();
        let m = format!("{e:?}");
        assert!(
            m.contains("mysql> SELECT 1;")
                && m.contains("ERROR 1064 (42000): You have an error in your SQL syntax"),
            "{m}"
        );
        assert!(m.contains("문법"), "{m}");
        let e = s.run("SELECT * FROM nope").await.unwrap_err();
        assert!(format!("{e}").contains("ERROR 1146 (42S02)"), "{e}");

        // the server restarts (like a re-created pod on the same volume): reconnect, keep USE testdb
        server.stop();
        server.start();
        let out = s.run("SELECT name FROM users ORDER BY id").await.unwrap();
        assert_eq!(
            out.last().column("name"),
            vec![
                Some("Alice".into()),
                Some("Bob".into()),
                Some("김철수".into())
            ]
        );
        assert_eq!(s.database.as_deref(), Some("testdb"));
    }
}
