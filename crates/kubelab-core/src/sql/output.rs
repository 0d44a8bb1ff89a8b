//! SQL results and their mysql-client rendering (`+----+` tables, `2 rows in set (0.00 sec)`,
//! `Query OK, 1 row affected`, `Database changed`, `Empty set`), plus Korean hints for MySQL errors.

use std::fmt;

pub use kubelab::{SqlData, StatementResult};

use crate::report::report;
use crate::table::{pre, Table};

/// How a statement's result is drawn (the result itself is `kubelab`'s [`StatementResult`],
/// with its accessors and the status line).
pub trait Drawn {
    /// The result set as a `Table` (mysql style).
    fn table(&self) -> Table;
    /// Text as the mysql client prints it (table, if any, then the status line).
    fn text(&self) -> String;
    /// HTML for Jupyter: the statement, its table and its status line.
    fn html(&self) -> String;
}

impl Drawn for StatementResult {
    fn table(&self) -> Table {
        let mut t = Table::mysql(self.columns.clone(), self.numeric.clone());
        for r in &self.rows {
            t.push_nullable(r.clone());
        }
        t
    }

    fn text(&self) -> String {
        if self.has_result_set && !self.rows.is_empty() {
            format!("{}\n{}", self.table().to_text(), self.status_line())
        } else {
            self.status_line()
        }
    }

    fn html(&self) -> String {
        let mut h = pre(&format!("mysql> {};", self.sql));
        if self.has_result_set && !self.rows.is_empty() {
            h.push_str(&self.table().to_html());
        }
        h.push_str(&pre(&self.status_line()));
        h
    }
}

/// The results of a script, in order ([`SqlData`]: each result and its drawn table).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SqlOutput(pub SqlData);
report!(SqlOutput: SqlData = 0);

impl SqlOutput {
    pub(crate) fn new(results: Vec<StatementResult>) -> SqlOutput {
        let tables = results.iter().map(|r| r.table().shown()).collect();
        SqlOutput(SqlData { results, tables })
    }

    /// HTML for Jupyter.
    pub fn to_html(&self) -> String {
        self.results
            .iter()
            .map(Drawn::html)
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl fmt::Display for SqlOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&transcript(&self.results))
    }
}

/// `mysql> stmt;` + output for each statement, blank lines between.
pub(crate) fn transcript(results: &[StatementResult]) -> String {
    results
        .iter()
        .map(|r| format!("mysql> {};\n{}", r.sql, r.text()))
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// A Korean hint for a MySQL error code.
pub fn hint(code: u16) -> &'static str {
    match code {
        1064 => "SQL 문법 오류입니다: 메시지의 'near ...' 바로 앞(따옴표, 쉼표, 괄호, 예약어)을 확인하세요.",
        1049 => "없는 데이터베이스입니다: SHOW DATABASES; 로 이름을 확인하거나 CREATE DATABASE 로 만드세요.",
        1146 => "없는 테이블입니다: SHOW TABLES; 로 확인하세요 (USE 로 데이터베이스를 먼저 고르거나 testdb.users 처럼 쓰세요).",
        1046 => "데이터베이스가 선택되지 않았습니다: 먼저 USE testdb; 를 실행하세요.",
        1045 => "접근이 거부되었습니다: root 비밀번호는 데이터 디렉터리(PVC)가 처음 만들어질 때만 정해집니다. Secret을 나중에 바꿨다면 PVC에는 예전 비밀번호가 남아 있습니다 (cleanup() 후 delete_data() 로 데이터를 지우고 다시 apply).",
        1007 => "이미 있는 데이터베이스입니다: CREATE DATABASE IF NOT EXISTS 를 쓰거나 그대로 사용하세요.",
        1050 => "이미 있는 테이블입니다: CREATE TABLE IF NOT EXISTS 를 쓰거나 DROP TABLE 후 다시 만드세요.",
        1054 => "없는 열(column)입니다: DESCRIBE 테이블이름; 으로 열 이름을 확인하세요.",
        1062 => "중복된 키 값입니다: 같은 PRIMARY KEY/UNIQUE 값이 이미 있습니다.",
        1136 => "열 개수와 값 개수가 다릅니다: INSERT 의 열 목록과 VALUES 를 맞추세요.",
        1366 => "문자 집합 문제입니다: 한글을 저장하려면 utf8mb4 가 필요합니다 (CREATE DATABASE testdb CHARACTER SET utf8mb4; 또는 ALTER TABLE 테이블 CONVERT TO CHARACTER SET utf8mb4;).",
        1142 | 1044 => "권한이 없습니다: root 로 접속했는지 확인하세요.",
        _ => "MySQL 오류 메시지를 확인하세요.",
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn users() -> StatementResult {
        StatementResult {
            sql: "SELECT * FROM users".into(),
            columns: vec!["id".into(), "name".into()],
            rows: vec![
                vec![Some("1".into()), Some("Alice".into())],
                vec![Some("2".into()), Some("Bob".into())],
            ],
            numeric: vec![true, false],
            has_result_set: true,
            elapsed: Duration::from_millis(2),
            ..Default::default()
        }
    }

    #[test]
    fn select_like_the_lab_text() {
        crate::table::golden("sql_users.txt", &users().text());
        assert_eq!(users().text(), "+----+-------+\n| id | name  |\n+----+-------+\n|  1 | Alice |\n|  2 | Bob   |\n+----+-------+\n2 rows in set (0.00 sec)");
    }

    #[test]
    fn status_lines() {
        let mut r = StatementResult {
            affected_rows: 1,
            elapsed: Duration::from_millis(12),
            ..Default::default()
        };
        assert_eq!(r.text(), "Query OK, 1 row affected (0.01 sec)");
        r.affected_rows = 2;
        r.info = "Records: 2  Duplicates: 0  Warnings: 0".into();
        assert_eq!(
            r.text(),
            "Query OK, 2 rows affected (0.01 sec)\nRecords: 2  Duplicates: 0  Warnings: 0"
        );
        r.affected_rows = 0;
        r.info.clear();
        assert_eq!(r.text(), "Query OK, 0 rows affected (0.01 sec)");
        let use_db = StatementResult {
            database_changed: true,
            ..Default::default()
        };
        assert_eq!(use_db.text(), "Database changed");
        let empty = StatementResult {
            has_result_set: true,
            columns: vec!["a".into()],
            ..Default::default()
        };
        assert_eq!(empty.text(), "Empty set (0.00 sec)");
        let mut one = users();
        one.rows.truncate(1);
        assert!(one.text().ends_with("1 row in set (0.00 sec)"));
    }

    #[test]
    fn typed_access() {
        let mut r = users();
        r.rows.push(vec![Some("3".into()), None]);
        assert_eq!(
            r.column("name"),
            vec![Some("Alice".into()), Some("Bob".into()), None]
        );
        assert!(r.column("nope").is_empty());
        let out = SqlOutput::new(vec![StatementResult::default(), r]);
        assert_eq!(out.results().len(), 2);
        assert_eq!(out.last().column("id").len(), 3);
        assert!(SqlOutput::default().last().columns.is_empty());
    }

    #[test]
    fn transcript_golden() {
        let out = SqlOutput::new(vec![
            StatementResult {
                sql: "USE testdb".into(),
                database_changed: true,
                ..Default::default()
            },
            StatementResult {
                sql: "INSERT INTO users (name) VALUES ('Alice'), ('Bob')".into(),
                affected_rows: 2,
                info: "Records: 2  Duplicates: 0  Warnings: 0".into(),
                ..Default::default()
            },
            users(),
        ]);
        crate::table::golden("sql_transcript.txt", &out.to_string());
        let h = out.to_html();
        assert!(h.contains("mysql&gt; SELECT * FROM users;") && h.contains("<table"));
    }

    #[test]
    fn hints_are_korean() {
        assert!(hint(1064).contains("문법"));
        assert!(hint(1045).contains("PVC"));
        assert!(hint(1146).contains("SHOW TABLES"));
        assert!(hint(1366).contains("utf8mb4"));
        assert!(hint(9999).contains("확인"));
    }
}
