//! The one table model every report uses, rendered as kubectl-like plain text, mysql-like bordered
//! text (both through prettytable-rs) or escaped HTML for Jupyter.

use std::fmt;
use std::ops::Deref;

pub use kubelab::TableData;

use prettytable::format::{FormatBuilder, LinePosition, LineSeparator};
use prettytable::{Cell, Row};

/// How a table is drawn as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// `kubectl get`: no borders, columns three spaces apart.
    Kubectl,
    /// The mysql client: `+----+` borders, numbers right-aligned, `NULL` for SQL NULL.
    MySql,
}

/// A table of text cells (`None` is SQL NULL): its data, with the accessors cells use too
/// (`columns()`, `rows()`, `column(name)`, `get(first_cell, column)`, `len()`, `is_empty()`,
/// from `kubelab`'s [`TableData`]), and how it is drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    data: TableData,
    right_align: Vec<bool>,
    style: Style,
    empty_message: String,
}

impl Deref for Table {
    type Target = TableData;

    fn deref(&self) -> &TableData {
        &self.data
    }
}

impl Table {
    /// A kubectl-style table with these column names.
    pub fn kubectl(columns: &[&str]) -> Table {
        Table {
            data: TableData {
                columns: columns.iter().map(|c| c.to_string()).collect(),
                rows: Vec::new(),
            },
            right_align: vec![false; columns.len()],
            style: Style::Kubectl,
            empty_message: "No resources found in default namespace.".to_string(),
        }
    }

    /// A mysql-style table; `right_align[i]` marks numeric columns.
    pub fn mysql(columns: Vec<String>, right_align: Vec<bool>) -> Table {
        Table {
            data: TableData {
                columns,
                rows: Vec::new(),
            },
            right_align,
            style: Style::MySql,
            empty_message: "Empty set".to_string(),
        }
    }

    /// Replaces the text shown when the table has no rows.
    pub fn with_empty_message(mut self, msg: &str) -> Table {
        self.empty_message = msg.to_string();
        self
    }

    /// Appends a row of non-NULL cells.
    pub fn push<S: Into<String>>(&mut self, row: Vec<S>) {
        self.data
            .rows
            .push(row.into_iter().map(|c| Some(c.into())).collect());
    }

    /// Appends a row that may hold NULLs.
    pub fn push_nullable(&mut self, row: Vec<Option<String>>) {
        self.data.rows.push(row);
    }

    /// Plain text as kubectl or the mysql client would print it (no trailing newline).
    pub fn to_text(&self) -> String {
        if self.data.rows.is_empty() {
            return self.empty_message.clone();
        }
        let mut t = prettytable::Table::new();
        let (fmt, null) = match self.style {
            Style::Kubectl => (
                FormatBuilder::new()
                    .column_separator(' ')
                    .padding(0, 2)
                    .build(),
                "<none>",
            ),
            Style::MySql => {
                let sep = LineSeparator::new('-', '+', '+', '+');
                (
                    FormatBuilder::new()
                        .column_separator('|')
                        .borders('|')
                        .separators(
                            &[LinePosition::Top, LinePosition::Title, LinePosition::Bottom],
                            sep,
                        )
                        .padding(1, 1)
                        .build(),
                    "NULL",
                )
            }
        };
        t.set_format(fmt);
        t.set_titles(Row::new(
            self.data.columns.iter().map(|c| Cell::new(c)).collect(),
        ));
        for r in &self.data.rows {
            let cells = r
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let cell = Cell::new(c.as_deref().unwrap_or(null));
                    if self.right_align.get(i).copied().unwrap_or(false) {
                        cell.style_spec("r")
                    } else {
                        cell
                    }
                })
                .collect();
            t.add_row(Row::new(cells));
        }
        // prettytable pads the last column too; kubectl does not.
        t.to_string()
            .lines()
            .map(|l| l.trim_end())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// An HTML table (escaped), status cells coloured.
    pub fn to_html(&self) -> String {
        if self.data.rows.is_empty() {
            return format!("<p><i>{}</i></p>", escape(&self.empty_message));
        }
        let mut h = String::from(
            "<table style=\"border-collapse:collapse;font-family:monospace;font-size:13px\">\n<thead><tr>",
        );
        for c in &self.data.columns {
            h.push_str(&format!(
                "<th style=\"text-align:left;padding:2px 10px;border-bottom:1px solid #999\">{}</th>",
                escape(c)
            ));
        }
        h.push_str("</tr></thead>\n<tbody>\n");
        for r in &self.data.rows {
            h.push_str("<tr>");
            for (i, c) in r.iter().enumerate() {
                let align = if self.right_align.get(i).copied().unwrap_or(false) {
                    "right"
                } else {
                    "left"
                };
                let col = self.data.columns.get(i).map(String::as_str).unwrap_or("");
                match c {
                    None => h.push_str(&format!(
                        "<td style=\"text-align:{align};padding:2px 10px;color:#888;font-style:italic\">NULL</td>"
                    )),
                    Some(v) => {
                        let color = status_color(col, v)
                            .map(|c| format!(";color:{c};font-weight:600"))
                            .unwrap_or_default();
                        h.push_str(&format!(
                            "<td style=\"text-align:{align};padding:2px 10px{color}\">{}</td>",
                            escape(v)
                        ));
                    }
                }
            }
            h.push_str("</tr>\n");
        }
        h.push_str("</tbody></table>");
        h
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text())
    }
}

const GREEN: &str = "#1a7f37";
const AMBER: &str = "#9a6700";
const RED: &str = "#cf222e";

/// The colour of a status-like cell, if it is one.
pub fn status_color(column: &str, value: &str) -> Option<&'static str> {
    match column {
        "STATUS" | "REASON" | "TYPE" => {}
        "READY" => {
            let (a, b) = value.split_once('/')?;
            return Some(if a == b && a != "0" { GREEN } else { AMBER });
        }
        _ => return None,
    }
    let v = value.split(',').next().unwrap_or(value);
    if matches!(
        v,
        "Running" | "Ready" | "Bound" | "Completed" | "Succeeded" | "Available" | "Normal"
    ) {
        Some(GREEN)
    } else if matches!(
        v,
        "Pending" | "ContainerCreating" | "PodInitializing" | "Terminating" | "Released"
    ) || v.starts_with("Init:") && !v.contains("Err") && !v.contains("BackOff")
    {
        Some(AMBER)
    } else if v.contains("Err")
        || v.contains("BackOff")
        || matches!(
            v,
            "Error"
                | "Failed"
                | "NotReady"
                | "Unknown"
                | "Lost"
                | "OOMKilled"
                | "Warning"
                | "Evicted"
        )
        || v.starts_with("ExitCode:")
        || v.starts_with("Signal:")
    {
        Some(RED)
    } else {
        None
    }
}

/// Escapes text for HTML.
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// `<pre>` block of escaped text, for reports that are lines rather than tables.
pub fn pre(text: &str) -> String {
    format!(
        "<pre style=\"font-family:monospace;font-size:13px;margin:2px 0\">{}</pre>",
        escape(text)
    )
}

impl crate::report::Report for Table {
    type Data = TableData;

    fn data(&self) -> &TableData {
        &self.data
    }

    fn html(&self) -> String {
        self.to_html()
    }
}

impl Table {
    /// The table as a cell holds it inside a report (`watch.pods`, `cluster.nodes`).
    pub fn shown(&self) -> kubelab::Table {
        crate::report::Report::shown(self)
    }
}

/// Compares text with the golden file `tests/testdata/<name>` (the workspace's golden rule:
/// `KUBELAB_BLESS=1` rewrites it).
#[cfg(test)]
pub(crate) fn golden(name: &str, actual: &str) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/testdata");
    testkit::golden::check(dir.join(name), actual);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pods_table() -> Table {
        let mut t = Table::kubectl(&["NAME", "READY", "STATUS", "RESTARTS", "AGE"]);
        t.push(vec!["mysql-0", "1/1", "Running", "0", "4s"]);
        t.push(vec!["mysql-1", "0/1", "ContainerCreating", "0", "2m3s"]);
        t.push(vec![
            "mysql-2",
            "0/1",
            "CrashLoopBackOff",
            "3 (12s ago)",
            "15m",
        ]);
        t
    }

    #[test]
    fn pods_table_text_golden() {
        golden("pods.txt", &pods_table().to_text());
    }

    #[test]
    fn pods_table_html_golden() {
        golden("pods.html", &pods_table().to_html());
    }

    #[test]
    fn pvc_table_text_golden() {
        let mut t = Table::kubectl(&[
            "NAME",
            "STATUS",
            "VOLUME",
            "CAPACITY",
            "ACCESS MODES",
            "STORAGECLASS",
            "VOLUMEATTRIBUTESCLASS",
            "AGE",
        ]);
        t.push(vec![
            "data-mysql-0",
            "Bound",
            "pvc-1f0c8a5e-6b1d-4f55-9a53-0d1e2b3c4d5e",
            "1Gi",
            "RWO",
            "standard",
            "<unset>",
            "24m",
        ]);
        t.push(vec![
            "data-mysql-1",
            "Pending",
            "",
            "",
            "",
            "standard",
            "<unset>",
            "3s",
        ]);
        golden("pvcs.txt", &t.to_text());
    }

    #[test]
    fn sql_table_with_null_and_korean_golden() {
        let mut t = Table::mysql(
            vec!["id".into(), "name".into(), "memo".into()],
            vec![true, false, false],
        );
        t.push_nullable(vec![Some("1".into()), Some("Alice".into()), None]);
        t.push_nullable(vec![
            Some("2".into()),
            Some("김철수".into()),
            Some("안녕하세요 mysql".into()),
        ]);
        t.push_nullable(vec![Some("10".into()), Some("Bob".into()), Some("".into())]);
        let text = t.to_text();
        golden("sql_null_korean.txt", &text);
        // every line has the same display width (Korean syllables are two columns wide)
        let widths: Vec<usize> = text
            .lines()
            .map(|l| {
                l.chars()
                    .map(|c| if c as u32 >= 0xAC00 { 2 } else { 1 })
                    .sum()
            })
            .collect();
        assert!(widths.iter().all(|w| *w == widths[0]), "{widths:?}\n{text}");
    }

    #[test]
    fn empty_tables_say_so() {
        assert_eq!(
            Table::kubectl(&["NAME"]).to_text(),
            "No resources found in default namespace."
        );
        assert_eq!(
            Table::mysql(vec!["a".into()], vec![false]).to_text(),
            "Empty set"
        );
    }

    #[test]
    fn html_is_escaped() {
        let mut t = Table::mysql(vec!["<b>".into()], vec![false]);
        t.push(vec!["<script>alert('x')</script> & co"]);
        let h = t.to_html();
        assert!(h.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co"));
        assert!(h.contains("<th") && h.contains("&lt;b&gt;"));
        assert!(!h.contains("<script>"));
    }

    #[test]
    fn status_colours() {
        assert_eq!(status_color("STATUS", "Running"), Some(GREEN));
        assert_eq!(
            status_color("STATUS", "Ready,SchedulingDisabled"),
            Some(GREEN)
        );
        assert_eq!(status_color("STATUS", "ContainerCreating"), Some(AMBER));
        assert_eq!(status_color("STATUS", "Pending"), Some(AMBER));
        assert_eq!(status_color("STATUS", "CrashLoopBackOff"), Some(RED));
        assert_eq!(status_color("STATUS", "ErrImagePull"), Some(RED));
        assert_eq!(status_color("STATUS", "Init:CrashLoopBackOff"), Some(RED));
        assert_eq!(status_color("READY", "1/1"), Some(GREEN));
        assert_eq!(status_color("READY", "0/1"), Some(AMBER));
        assert_eq!(status_color("NAME", "Running"), None);
    }

    #[test]
    fn column_and_get() {
        let t = pods_table();
        assert_eq!(t.column("NAME"), vec!["mysql-0", "mysql-1", "mysql-2"]);
        assert_eq!(
            t.get("mysql-1", "STATUS").as_deref(),
            Some("ContainerCreating")
        );
        assert!(t.column("NOPE").is_empty());
    }
}
