//! SQL sessions: a `MySql` is a handle to a session that lives in the kernel's engine (its
//! port-forward and connection stay open from cell to cell), and what its statements return.

use crate::call::call;
use crate::results::Table;
use crate::show::{report, shown};
use crate::wire::{column_values, Value};
use crate::Result;

report! {
    /// A MySQL session to one pod (root; the password is read from the cluster, never shown).
    MySql |v| {
        id: String = v.attr("session").into(),
        pod: String = v.attr("pod").into(),
    }
}

impl MySql {
    /// Runs a script (statements split like the mysql client) and returns every result.
    pub fn sql(&self, script: &str) -> Result<SqlOutput> {
        call("sql", &[&self.id, script]).map(SqlOutput::from_value)
    }

    /// The pod this session talks to.
    pub fn pod(&self) -> &str {
        &self.pod
    }

    /// The database selected with USE, if any.
    pub fn database(&self) -> Result<Option<String>> {
        let v = call("sql_database", &[&self.id])?;
        Ok(v.attrs("database").first().cloned())
    }
}

/// The result of one statement.
#[derive(Debug, Clone)]
pub struct StatementResult {
    /// The statement as sent.
    pub sql: String,
    /// Column names (empty for statements without a result set).
    pub columns: Vec<String>,
    /// Rows as text (`None` = NULL).
    pub rows: Vec<Vec<Option<String>>>,
    /// The mysql client's status line (`2 rows in set`, `Query OK, 1 row affected`).
    pub status: String,
    table: Table,
}

impl StatementResult {
    /// The values of one column (`None` = NULL); empty when there is no such column.
    pub fn column(&self, name: &str) -> Vec<Option<String>> {
        column_values(&self.columns, &self.rows, name)
    }

    /// The result set as a table (mysql style).
    pub fn table(&self) -> Table {
        self.table.clone()
    }
}

/// Everything a script returned, shown like the mysql client.
#[derive(Debug, Clone)]
pub struct SqlOutput {
    results: Vec<StatementResult>,
    text: String,
    html: String,
}
shown!(SqlOutput);

impl SqlOutput {
    pub(crate) fn from_value(v: Value) -> SqlOutput {
        let sqls = v.attrs("sql");
        let statuses = v.attrs("status");
        let results = v
            .tables
            .iter()
            .enumerate()
            .map(|(i, t)| StatementResult {
                sql: sqls.get(i).cloned().unwrap_or_default(),
                columns: t.columns.clone(),
                rows: t.rows.clone(),
                status: statuses.get(i).cloned().unwrap_or_default(),
                table: Table::new(
                    t.clone(),
                    v.attrs("table.text").get(i).cloned().unwrap_or_default(),
                    v.attrs("table.html").get(i).cloned().unwrap_or_default(),
                ),
            })
            .collect();
        SqlOutput {
            results,
            text: v.text,
            html: v.html,
        }
    }

    /// Every statement's result, in order.
    pub fn results(&self) -> &[StatementResult] {
        &self.results
    }

    /// The last statement's result (an empty one for an empty script).
    pub fn last(&self) -> StatementResult {
        self.results
            .last()
            .cloned()
            .unwrap_or_else(|| StatementResult {
                sql: String::new(),
                columns: Vec::new(),
                rows: Vec::new(),
                status: String::new(),
                table: Table::new(Default::default(), String::new(), String::new()),
            })
    }
}
