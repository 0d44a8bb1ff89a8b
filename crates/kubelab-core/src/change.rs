//! `ChangeReport`: the kubectl lines a change prints (`pod "mysql-0" deleted`,
//! `statefulset.apps/mysql scaled`), kept for the cell's value.

use std::fmt;

pub use kubelab::ChangeData;

use crate::out;
use crate::report::report;
use crate::table::pre;

/// Lines like `pod "mysql-0" deleted` or `statefulset.apps/mysql scaled` ([`ChangeData`]).
#[derive(Debug, Clone, Default)]
pub struct ChangeReport(pub ChangeData);
report!(ChangeReport: ChangeData = 0);

/// What `delete_pods`, `delete_pod` and `delete_data` return.
pub type DeleteReport = ChangeReport;

impl fmt::Display for ChangeReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.lines.join("\n"))
    }
}

impl ChangeReport {
    pub(crate) fn line(&mut self, l: String) {
        out::line(l.to_string());
        self.0.lines.push(l);
    }

    /// HTML for Jupyter.
    pub fn to_html(&self) -> String {
        pre(&self.to_string())
    }
}
