//! [`TableData`]: columns and rows, with the accessors notebooks use. The engine's tables
//! (kubelab-core's `Table`) are built on it, so a cell reads what the engine laid out.

use crate::wire::data;

data! {
    /// Columns and rows of a table (`None` = SQL NULL).
    pub struct TableData = "table" {
        /// Column names.
        pub columns: Vec<String>,
        /// Rows of cells.
        pub rows: Vec<Vec<Option<String>>>,
    }
}

impl TableData {
    /// Column names.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// All rows (`None` = SQL NULL).
    pub fn rows(&self) -> &[Vec<Option<String>>] {
        &self.rows
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The values of one column (`NULL` as "NULL"); empty when there is no such column.
    pub fn column(&self, name: &str) -> Vec<String> {
        self.column_values(name)
            .into_iter()
            .map(|c| c.unwrap_or_else(|| "NULL".into()))
            .collect()
    }

    /// The values of one column (`None` = NULL); empty when there is no such column.
    pub fn column_values(&self, name: &str) -> Vec<Option<String>> {
        match self.columns.iter().position(|c| c == name) {
            Some(i) => self
                .rows
                .iter()
                .map(|r| r.get(i).cloned().flatten())
                .collect(),
            None => Vec::new(),
        }
    }

    /// The cell in `column` of the row whose first cell is `key` (e.g. `get("mysql-0", "STATUS")`).
    pub fn get(&self, key: &str, column: &str) -> Option<String> {
        let i = self.columns.iter().position(|c| c == column)?;
        self.rows
            .iter()
            .find(|r| r.first().cloned().flatten().as_deref() == Some(key))
            .and_then(|r| r.get(i).cloned().flatten())
    }
}
