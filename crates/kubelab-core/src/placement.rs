//! `placement()`: POD NODE PVC VOLUME PV-NODE/PATH, where each pod runs and where its volume's
//! data lives (the multi-node hostpath trap). kubectl has no command for it, so this one table is
//! built here from the objects.

use k8s_openapi::api::core::v1::{PersistentVolume, PersistentVolumeClaim, Pod};
use kube::api::{Api, ListParams};
use kube::ResourceExt;

use crate::error::Result;
use crate::lab::Lab;
use crate::pod::claim_names;
use crate::table::Table;

/// POD NODE PVC VOLUME PV-NODE/PATH: where each pod runs and where its volume's data lives.
pub fn placement_table(
    pods: &[Pod],
    pvcs: &[PersistentVolumeClaim],
    pvs: &[PersistentVolume],
) -> Table {
    let mut t = Table::kubectl(&["POD", "NODE", "PVC", "VOLUME", "PV-NODE/PATH"]);
    for p in pods {
        let node = p
            .spec
            .as_ref()
            .and_then(|s| s.node_name.clone())
            .unwrap_or_else(|| "<none>".into());
        for claim in claim_names(p) {
            let volume = pvcs
                .iter()
                .find(|c| c.name_any() == claim)
                .and_then(|c| c.spec.as_ref().and_then(|s| s.volume_name.clone()))
                .unwrap_or_default();
            let where_ = pvs
                .iter()
                .find(|v| v.name_any() == volume)
                .map(pv_location)
                .unwrap_or_else(|| "<바인딩 안 됨>".into());
            t.push(vec![
                p.name_any(),
                node.clone(),
                claim,
                if volume.is_empty() {
                    "<none>".into()
                } else {
                    volume
                },
                where_,
            ]);
        }
    }
    t
}

/// `node:path` of a PV (`*` when the PV is not tied to a node, like minikube's hostpath).
fn pv_location(v: &PersistentVolume) -> String {
    let spec = v.spec.clone().unwrap_or_default();
    let node = spec
        .node_affinity
        .and_then(|a| a.required)
        .and_then(|r| r.node_selector_terms.into_iter().next())
        .and_then(|t| t.match_expressions.unwrap_or_default().into_iter().next())
        .and_then(|e| e.values.unwrap_or_default().into_iter().next())
        .or_else(|| v.annotations().get("kubelab.io/node").cloned())
        .unwrap_or_else(|| "*".into());
    let path = spec
        .host_path
        .map(|h| h.path)
        .or(spec.local.map(|l| l.path))
        .or(spec.csi.map(|c| format!("csi:{}", c.volume_handle)))
        .unwrap_or_default();
    format!("{node}:{path}")
}

impl Lab {
    async fn list_all<K>(&self, api: Api<K>, what: &str) -> Result<Vec<K>>
    where
        K: Clone + serde::de::DeserializeOwned + std::fmt::Debug + kube::Resource,
    {
        let l = self.call(what, api.list(&ListParams::default())).await?;
        Ok(l.items)
    }

    /// Which node each pod runs on and where its volume's data lives.
    pub async fn placement(&self) -> Result<Table> {
        crate::out::cmd("kubectl get pods -o wide && kubectl get pvc && kubectl get pv");
        let pods = self.list_pods(None).await?;
        let pvcs = self
            .list_all(self.api::<PersistentVolumeClaim>(), "kubectl get pvc")
            .await?;
        let pvs = self
            .list_all(
                Api::<PersistentVolume>::all(self.client.clone()),
                "kubectl get pv",
            )
            .await?;
        Ok(placement_table(&pods, &pvcs, &pvs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn from<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> T {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn placement_shows_nodes_and_paths() {
        let p: Pod = from(
            json!({"metadata":{"name":"mysql-0"},"spec":{"nodeName":"minikube-m03","containers":[{"name":"mysql"}],
            "volumes":[{"name":"data","persistentVolumeClaim":{"claimName":"data-mysql-0"}}]}}),
        );
        let c: PersistentVolumeClaim =
            from(json!({"metadata":{"name":"data-mysql-0"},"spec":{"volumeName":"pvc-1"}}));
        let v: PersistentVolume = from(
            json!({"metadata":{"name":"pvc-1"},"spec":{"hostPath":{"path":"/tmp/hostpath-provisioner/default/data-mysql-0"}}}),
        );
        let t = placement_table(&[p], &[c], &[v]);
        assert_eq!(
            t.rows()[0].iter().flatten().cloned().collect::<Vec<_>>(),
            vec![
                "mysql-0",
                "minikube-m03",
                "data-mysql-0",
                "pvc-1",
                "*:/tmp/hostpath-provisioner/default/data-mysql-0"
            ]
        );
    }
}
