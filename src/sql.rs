//! SQL: what a script returns ([`StatementResult`] per statement, [`SqlOutput`]) and
//! [`MySql`], a handle to a session that lives in the kernel's engine (its port-forward and
//! connection stay open from cell to cell).

use std::time::Duration;

use crate::call::send;
use crate::results::Table;
use crate::show::Shown;
use crate::table::TableData;
use crate::wire::data;
use crate::{Call, Result};

data! {
    /// The result of one statement, as the mysql client reports it.
    pub struct StatementResult = "statement" {
        /// The statement as sent.
        pub sql: String,
        /// Column names (empty for statements without a result set).
        pub columns: Vec<String>,
        /// Rows as text (`None` = NULL).
        pub rows: Vec<Vec<Option<String>>>,
        /// True for numeric columns (right-aligned like the mysql client).
        pub numeric: Vec<bool>,
        /// True when the statement returned a result set (even an empty one).
        pub has_result_set: bool,
        /// Rows changed by INSERT/UPDATE/DELETE.
        pub affected_rows: u64,
        /// The server's info line, e.g. `Records: 2  Duplicates: 0  Warnings: 0`.
        pub info: String,
        /// True for a successful `USE db`.
        pub database_changed: bool,
        /// Time taken.
        pub elapsed: Duration,
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

impl StatementResult {
    /// The values of one column (`None` = NULL); empty when there is no such column.
    pub fn column(&self, name: &str) -> Vec<Option<String>> {
        TableData {
            columns: self.columns.clone(),
            rows: self.rows.clone(),
        }
        .column_values(name)
    }

    /// The status line the mysql client prints after the statement (`2 rows in set (0.00 sec)`,
    /// `Query OK, 1 row affected (0.01 sec)`, `Database changed`, `Empty set (0.00 sec)`).
    pub fn status_line(&self) -> String {
        let secs = format!("({:.2} sec)", self.elapsed.as_secs_f64());
        if self.database_changed {
            "Database changed".to_string()
        } else if self.has_result_set {
            if self.rows.is_empty() {
                format!("Empty set {secs}")
            } else {
                format!("{} in set {secs}", plural(self.rows.len(), "row", "rows"))
            }
        } else {
            let mut s = format!(
                "Query OK, {} affected {secs}",
                plural(self.affected_rows as usize, "row", "rows")
            );
            if !self.info.is_empty() {
                s.push('\n');
                s.push_str(&self.info);
            }
            s
        }
    }
}

data! {
    /// Everything a script returned, shown like the mysql client.
    pub struct SqlData = "sql" {
        /// Every statement's result, in order.
        pub results: Vec<StatementResult>,
        /// Each statement's result set as the mysql client draws it.
        pub tables: Vec<Table>,
    }
}
/// What `db.sql(..)` returns.
pub type SqlOutput = Shown<SqlData>;

impl SqlData {
    /// Every statement's result, in order.
    pub fn results(&self) -> &[StatementResult] {
        &self.results
    }

    /// The last statement's result (an empty one for an empty script).
    pub fn last(&self) -> StatementResult {
        self.results.last().cloned().unwrap_or_default()
    }
}

data! {
    /// A MySQL session to one pod in the engine (root; the password is read from the cluster,
    /// never shown).
    pub struct SessionData = "mysql" {
        /// The engine's number for the session.
        pub session: u64,
        /// The pod.
        pub pod: String,
    }
}
/// What `mysql(pod)` returns: `db.sql(script)`, `db.pod()`, `db.database()`.
pub type MySql = Shown<SessionData>;

data! {
    /// The database selected with USE in a session, if any.
    pub struct DatabaseData = "database" {
        /// The database.
        pub database: Option<String>,
    }
}

impl Shown<SessionData> {
    /// Runs a script (statements split like the mysql client) and returns every result.
    pub fn sql(&self, script: &str) -> Result<SqlOutput> {
        send(Call::Sql {
            session: self.session,
            script: script.into(),
        })
    }

    /// The pod this session talks to.
    pub fn pod(&self) -> &str {
        &self.pod
    }

    /// The database selected with USE, if any.
    pub fn database(&self) -> Result<Option<String>> {
        let d: Shown<DatabaseData> = send(Call::SqlDatabase {
            session: self.session,
        })?;
        Ok(d.into_data().database)
    }
}
