//! Starting the lab over: what an earlier run left in the cluster (read from the cluster, not
//! guessed), and one explicit call that removes it, so a notebook's Run All from the top is clean.

use std::fmt;
use std::time::Duration;

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{PersistentVolume, PersistentVolumeClaim, Pod};
use kube::api::{Api, ListParams};
use kube::ResourceExt;

pub use crate::error::fresh::Error;
use crate::error::Result;
use crate::lab::Lab;
use crate::objects::is_lab_pvc;
use crate::table::pre;

/// How long `start_fresh` waits for the pods, PVCs and their volumes to be gone.
pub const FRESH_TIMEOUT: Duration = Duration::from_secs(180);

pub use kubelab::{FreshData, LeftoversData};

/// What an earlier run of the lab left in the cluster ([`LeftoversData`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Leftovers(pub LeftoversData);
crate::report::report!(Leftovers: LeftoversData = 0);

/// `statefulset mysql, pod mysql-0, pvc data-mysql-0`.
fn listing(l: &LeftoversData) -> String {
    let mut parts = Vec::new();
    for (kind, names) in [
        ("statefulset", &l.statefulsets),
        ("pod", &l.pods),
        ("pvc", &l.pvcs),
    ] {
        for n in names {
            parts.push(format!("{kind} {n}"));
        }
    }
    parts.join(", ")
}

impl Leftovers {
    /// HTML for Jupyter.
    pub fn to_html(&self) -> String {
        pre(&self.to_string())
    }
}

impl fmt::Display for Leftovers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str(
                "깨끗한 클러스터입니다: 이전 실습의 StatefulSet, 파드, PVC가 없습니다. 그대로 진행하세요.",
            );
        }
        write!(
            f,
            "이전 실습이 남아 있습니다: {}\n\
             → 그대로 이어 가면 예전 데이터가 보이고, CREATE DATABASE testdb 는 ERROR 1007(이미 있음)로 실패합니다.\n\
             → 처음부터 다시 하려면 start_fresh()? 를 실행하세요 (위의 것과 그 데이터가 지워집니다).",
            listing(self)
        )
    }
}

/// What `start_fresh` removed ([`FreshData`]).
#[derive(Debug, Clone, Default)]
pub struct FreshReport(pub FreshData);
crate::report::report!(FreshReport: FreshData = 0);

impl fmt::Display for FreshReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.removed.is_empty() {
            return f.write_str("지울 것이 없었습니다: 처음부터 시작할 수 있습니다.");
        }
        write!(
            f,
            "지웠습니다 ({:.1}초): {}\n처음부터 시작할 수 있습니다.",
            self.elapsed.as_secs_f64(),
            listing(&self.removed)
        )
    }
}

impl FreshReport {
    /// HTML for Jupyter.
    pub fn to_html(&self) -> String {
        pre(&self.to_string())
    }
}

impl Lab {
    /// `kubectl get statefulset,pod,pvc -l app=mysql`: what an earlier run left.
    pub async fn leftovers(&self) -> Result<Leftovers> {
        crate::out::cmd("kubectl get statefulset,pod,pvc -l app=mysql");
        self.read_leftovers().await
    }

    async fn read_leftovers(&self) -> Result<Leftovers> {
        let lp = ListParams::default().labels("app=mysql");
        Ok(Leftovers(LeftoversData {
            statefulsets: self
                .names::<StatefulSet>("kubectl get statefulset", &lp)
                .await?,
            pods: self.names::<Pod>("kubectl get pod", &lp).await?,
            pvcs: self.lab_pvcs().await?,
        }))
    }

    /// Deletes the lab's StatefulSet, Service, Secret and PVCs (so its data), and waits until the
    /// pods, the PVCs and their volumes are gone.
    pub async fn start_fresh(&self, timeout: Duration) -> Result<FreshReport> {
        let started = std::time::Instant::now();
        crate::out::cmd(&format!(
            "kubectl delete statefulset,service,secret,pvc -l app=mysql && kubectl wait --for=delete pod,pvc -l app=mysql --timeout={}s",
            timeout.as_secs()
        ));
        let before = self.read_leftovers().await?;
        // quietly: the command above is what the learner would type
        crate::out::silenced(async {
            self.cleanup().await?;
            self.delete_data().await
        })
        .await?;
        let pv_api: Api<PersistentVolume> = Api::all(self.client().clone());
        loop {
            let now = self.read_leftovers().await?;
            let lab_pvs: Vec<String> = self
                .call("kubectl get pv", pv_api.list(&ListParams::default()))
                .await?
                .items
                .iter()
                .filter(|pv| {
                    pv.spec
                        .as_ref()
                        .and_then(|s| s.claim_ref.as_ref())
                        .and_then(|c| c.name.as_ref())
                        .is_some_and(|n| {
                            is_lab_pvc(&PersistentVolumeClaim {
                                metadata: kube::api::ObjectMeta {
                                    name: Some(n.clone()),
                                    ..Default::default()
                                },
                                ..Default::default()
                            })
                        })
                })
                .map(|pv| pv.name_any())
                .collect();
            if now.pods.is_empty() && now.pvcs.is_empty() && lab_pvs.is_empty() {
                break;
            }
            if started.elapsed() > timeout {
                let mut left = listing(&now);
                for pv in lab_pvs {
                    left.push_str(&format!(
                        "{}pv {pv}",
                        if left.is_empty() { "" } else { ", " }
                    ));
                }
                return Err(Error::StillThere {
                    left,
                    waited: timeout.as_secs(),
                }
                .into());
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        let r = FreshReport(FreshData {
            removed: before.0,
            elapsed: started.elapsed(),
        });
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leftovers_say_what_is_there_and_the_one_call_that_starts_over() {
        let empty = Leftovers::default().to_string();
        assert!(empty.contains("깨끗한 클러스터"), "{empty}");
        let l = Leftovers(LeftoversData {
            statefulsets: vec!["mysql".into()],
            pods: vec!["mysql-0".into()],
            pvcs: vec!["data-mysql-0".into()],
        });
        let says = [
            "statefulset mysql, pod mysql-0, pvc data-mysql-0",
            "start_fresh()",
            "ERROR 1007",
        ];
        crate::error::assert_says(&l.to_string(), &says);
    }
}
