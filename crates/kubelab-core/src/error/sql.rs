//! `sql::Error`: MySQL statements, connections and the root password.

/// Errors of MySQL sessions.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server rejected a statement (`ERROR 1064 (42000): ...`).
    #[error("{before}ERROR {code} ({state}): {message}\n→ {hint}")]
    Server {
        /// Output of the statements before the failing one (mysql-client style, may be empty).
        before: String,
        /// MySQL error code.
        code: u16,
        /// SQLSTATE.
        state: String,
        /// Server message.
        message: String,
        /// Korean hint.
        hint: String,
    },
    /// Could not connect to MySQL in the pod.
    #[error("{before}MySQL(파드 {pod})에 접속하지 못했습니다: {detail}\n→ 파드가 Ready 인지 pods() 로 확인하고 (재시작 중이면 wait_ready(\"{pod}\")), 다시 시도하세요.")]
    Connect {
        /// Output of earlier statements.
        before: String,
        /// Pod name.
        pod: String,
        /// What failed.
        detail: String,
    },
    /// No root password could be found for the pod.
    #[error("파드 {pod} 의 MySQL root 비밀번호를 찾지 못했습니다: {detail}\n→ StatefulSet 컨테이너의 env 에 MYSQL_ROOT_PASSWORD (값 또는 secretKeyRef)가 있는지 확인하세요.")]
    Password {
        /// Pod name.
        pod: String,
        /// Why.
        detail: String,
    },
    /// A statement did not finish in time.
    #[error("{before}문장이 {secs}초 안에 끝나지 않았습니다: {sql}\n→ 잠금(lock)을 기다리는 중일 수 있습니다. 다른 세션을 확인하세요.")]
    Timeout {
        /// Output of earlier statements.
        before: String,
        /// The statement.
        sql: String,
        /// Timeout.
        secs: u64,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_messages() {
        let e = crate::error::Error::from(Error::Server {
            before: "mysql> USE testdb;\nDatabase changed\n\n".into(),
            code: 1064,
            state: "42000".into(),
            message:
                "You have an error in your SQL syntax; check the manual near 'SELEC 1' at line 1"
                    .into(),
            hint: "SQL 문법 오류입니다".into(),
        });
        let m = format!("{e:?}");
        assert!(
            m.contains("Database changed\n\nERROR 1064 (42000): You have an error"),
            "{m}"
        );
        assert!(m.contains("문법"), "{m}");
        let cases = [
            (
                Error::Connect {
                    before: String::new(),
                    pod: "mysql-0".into(),
                    detail: "refused".into(),
                },
                &["mysql-0", "wait_ready(\"mysql-0\")"][..],
            ),
            (
                Error::Password {
                    pod: "mysql-0".into(),
                    detail: "Secret 'x' 이(가) 없습니다".into(),
                },
                &["MYSQL_ROOT_PASSWORD", "Secret 'x'"],
            ),
            (
                Error::Timeout {
                    before: String::new(),
                    sql: "SELECT SLEEP(100)".into(),
                    secs: 60,
                },
                &["60초", "SLEEP"],
            ),
        ];
        for (e, parts) in cases {
            crate::error::assert_says(&e.to_string(), parts);
        }
    }
}
