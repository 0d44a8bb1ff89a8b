//! `watch_pods(selector, timeout)`: `kubectl get pods -l SELECTOR -w` until every replica of the
//! owning StatefulSet is Ready, then the server's table and the Ready order. Two watches run side
//! by side: the server's `-w` rows, which are what it prints (`rows.rs`, laid out by `layout.rs`),
//! and kube's typed pod watch, which decides when it is done and in which order pods became
//! Ready (`ready.rs`). A selector that can never match fails early (`selector.rs`); a timeout
//! fails with a diagnosis (`diagnose.rs`).

mod layout;
mod ready;
mod rows;
mod selector;

use std::fmt;
use std::pin::Pin;
use std::time::{Duration, Instant};

use futures::stream::BoxStream;
use futures::{Stream, StreamExt};
use k8s_openapi::api::core::v1::Pod;
use kube::runtime::watcher::{self, watcher};
use kube::runtime::WatchStreamExt;
use kube::ResourceExt;

pub use ready::in_ordinal_order;

use crate::error::wait::Error;
use crate::error::Result;
use crate::lab::Lab;
use crate::table::pre;
use crate::wait::WatchFailures;
use ready::ReadyOrder;
use rows::{Answer, Printer};

/// How long `watch_pods` sees no pod at all before it checks that its selector can match.
const NO_MATCH_GRACE: Duration = Duration::from_secs(10);

/// How long, once all pods are Ready, the server's rows of their last versions may take to come.
const CATCH_UP: Duration = Duration::from_secs(3);

/// How often the owning StatefulSet's replicas are read again.
const OWNER_RECHECK: Duration = Duration::from_secs(2);

pub use kubelab::WatchData;

/// The outcome of `watch_pods` ([`WatchData`]: lines, Ready order, final pods, time taken).
#[derive(Debug, Clone)]
pub struct WatchReport(pub WatchData);
crate::report::report!(WatchReport: WatchData = 0);

impl WatchReport {
    fn summary(&self) -> String {
        let mark = if self.in_ordinal_order() {
            "✔ 순서 번호(ordinal) 순서와 같습니다"
        } else {
            "✘ 순서 번호(ordinal) 순서와 다릅니다"
        };
        format!(
            "모든 파드가 Ready ({:.1}초). Ready가 된 순서: {}  {mark}",
            self.elapsed.as_secs_f64(),
            self.ready_order.join(" → ")
        )
    }

    /// HTML for Jupyter.
    pub fn to_html(&self) -> String {
        format!(
            "{}{}{}",
            pre(&self.lines.join("\n")),
            self.pods.to_html(),
            pre(&self.summary())
        )
    }
}

impl fmt::Display for WatchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}\n\n{}", self.pods, self.summary())
    }
}

/// One `watch_pods` call: both watches and what they saw.
struct Watch<'a> {
    lab: &'a Lab,
    selector: &'a str,
    rows: Pin<Box<dyn Stream<Item = Result<Answer>> + Send + 'a>>,
    printer: Printer,
    pods: BoxStream<'static, std::result::Result<watcher::Event<Pod>, watcher::Error>>,
    failures: WatchFailures,
    ready: ReadyOrder,
    expected: Option<(String, i32)>,
    owner_checked: Option<Instant>,
}

impl<'a> Watch<'a> {
    fn start(lab: &'a Lab, selector: &'a str) -> Watch<'a> {
        let cfg = watcher::Config::default().labels(selector);
        Watch {
            lab,
            selector,
            rows: Box::pin(rows::answers(lab, selector)),
            printer: Printer::default(),
            pods: watcher(lab.api::<Pod>(), cfg).default_backoff().boxed(),
            failures: WatchFailures::default(),
            ready: ReadyOrder::default(),
            expected: None,
            owner_checked: None,
        }
    }

    /// Prints the server's rows as they come until every replica is Ready.
    async fn until_all_ready(&mut self, timeout: Duration) -> Result<()> {
        // a selector that matches nothing is reported after this grace, not at the timeout
        let no_match_check = tokio::time::sleep(NO_MATCH_GRACE.min(timeout));
        tokio::pin!(no_match_check);
        let mut checked_match = false;
        loop {
            tokio::select! {
                answer = self.rows.next() => self.printer.print(answer.ok_or_else(ended)??),
                ev = self.pods.next() => {
                    let Some(ev) = self.failures.check(ev.ok_or_else(ended)?)? else {
                        continue;
                    };
                    self.ready.record(ev);
                    self.read_replicas().await;
                    if self.ready.all_ready(self.expected.as_ref()) {
                        return Ok(());
                    }
                }
                _ = &mut no_match_check, if !checked_match => {
                    checked_match = true;
                    if self.ready.is_empty() {
                        self.lab.check_selector_can_match(self.selector).await?;
                    }
                }
            }
        }
    }

    /// How many replicas to wait for: the owning StatefulSet's, read again now and then.
    async fn read_replicas(&mut self) {
        if self.expected.is_some()
            && self
                .owner_checked
                .is_some_and(|t| t.elapsed() < OWNER_RECHECK)
        {
            return;
        }
        self.owner_checked = Some(Instant::now());
        if let Some(e) = self.lab.owner_replicas(&self.ready).await {
            self.expected = Some(e);
        }
    }

    /// Once all pods are Ready the server's rows of their last versions may still be on the way:
    /// print them (for at most `CATCH_UP`), so the last lines show the pods Ready.
    async fn catch_up(&mut self) {
        let deadline = tokio::time::sleep(CATCH_UP);
        tokio::pin!(deadline);
        while !self.ready.pods().all(|p| {
            self.printer
                .has_printed(&p.name_any(), p.resource_version().as_deref().unwrap_or(""))
        }) {
            tokio::select! {
                answer = self.rows.next() => match answer {
                    Some(Ok(a)) => self.printer.print(a),
                    _ => return,
                },
                _ = &mut deadline => return,
            }
        }
    }
}

fn ended() -> crate::error::Error {
    Error::Watch {
        detail: "watch stream ended".into(),
    }
    .into()
}

impl Lab {
    /// `kubectl get pods -l SELECTOR -w` until every replica is Ready (default 300 s).
    pub async fn watch_pods(&self, selector: &str, timeout: Duration) -> Result<WatchReport> {
        crate::out::cmd(&format!("kubectl get pods -l {selector} -w"));
        let start = Instant::now();
        let mut watch = Watch::start(self, selector);
        if let Ok(r) = tokio::time::timeout(timeout, watch.until_all_ready(timeout)).await {
            r?;
        } else {
            let diagnosis = self
                .diagnosis(Some(selector), None, watch.expected.clone())
                .await;
            return Err(Error::TimedOut {
                what: format!("파드({selector})가 모두 Ready가 되기를 기다렸지만"),
                secs: timeout.as_secs(),
                diagnosis,
            }
            .into());
        }
        watch.catch_up().await;
        // the final table is the server's, as `kubectl get pods -l SELECTOR` prints it
        let pods = self
            .server_table::<Pod>(
                &format!("kubectl get pods -l {selector}"),
                Some(selector),
                false,
            )
            .await?;
        let report = WatchReport(WatchData {
            lines: watch.printer.lines,
            ready_order: watch.ready.order().to_vec(),
            pods: pods.shown(),
            elapsed: start.elapsed(),
        });
        crate::out::line(report.summary());
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::Table;

    #[test]
    fn report_summary_marks_order() {
        let r = WatchReport(WatchData {
            lines: vec![],
            ready_order: vec!["mysql-0".into(), "mysql-2".into(), "mysql-1".into()],
            pods: Table::kubectl(&["NAME"]).shown(),
            elapsed: Duration::from_millis(1500),
        });
        assert!(!r.in_ordinal_order());
        assert!(
            r.to_string().contains("mysql-0 → mysql-2 → mysql-1")
                && r.to_string().contains("다릅니다")
        );
    }
}
