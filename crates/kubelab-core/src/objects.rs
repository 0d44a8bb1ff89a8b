//! The lab's objects through kube's typed `Api` (namespace `default`): the reads and deletes the
//! steps share (pods by selector, the lab's PVCs, one object by name) and the "not found: these
//! exist" error. Its failures are `objects::Error`.

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod};
use kube::api::{Api, DeleteParams, ListParams};
use kube::core::NamespaceResourceScope;
use kube::{Resource, ResourceExt};

pub use crate::error::objects::Error;
use crate::error::Result;
use crate::lab::{is_not_found, Lab, NAMESPACE};

/// A kind of object the lab reads and deletes in its namespace with kube's typed `Api`.
pub(crate) trait LabObject:
    Resource<Scope = NamespaceResourceScope, DynamicType = ()>
    + Clone
    + serde::de::DeserializeOwned
    + std::fmt::Debug
{
}

impl<K> LabObject for K where
    K: Resource<Scope = NamespaceResourceScope, DynamicType = ()>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug
{
}

/// True for PVCs that belong to the lab: label app=mysql or named data-mysql-*.
pub fn is_lab_pvc(c: &PersistentVolumeClaim) -> bool {
    c.labels().get("app").map(String::as_str) == Some("mysql")
        || c.name_any().starts_with("data-mysql-")
}

impl Lab {
    /// A namespaced Api in the lab namespace.
    pub(crate) fn api<K>(&self) -> Api<K>
    where
        K: Resource<Scope = NamespaceResourceScope>,
        <K as Resource>::DynamicType: Default,
    {
        Api::namespaced(self.client.clone(), NAMESPACE)
    }

    /// Builds a NotFound error listing the objects of that kind that exist.
    pub(crate) async fn not_found<K: LabObject>(
        &self,
        kind: &str,
        plural: &str,
        name: &str,
    ) -> crate::error::Error {
        let names = self
            .names::<K>("list", &ListParams::default())
            .await
            .unwrap_or_default();
        Error::NotFound {
            kind: kind.to_string(),
            name: name.to_string(),
            plural: plural.to_string(),
            existing: if names.is_empty() {
                "(없음)".into()
            } else {
                names.join(", ")
            },
        }
        .into()
    }

    /// The names of the objects of kind `K` that `lp` selects, sorted (`what`: the kubectl
    /// command it stands for, for errors).
    pub(crate) async fn names<K: LabObject>(
        &self,
        what: &str,
        lp: &ListParams,
    ) -> Result<Vec<String>> {
        let mut names: Vec<String> = self
            .call(what, self.api::<K>().list(lp))
            .await?
            .items
            .iter()
            .map(|o| o.name_any())
            .collect();
        names.sort();
        Ok(names)
    }

    /// The pods (optionally those matching `selector`), sorted by name.
    pub(crate) async fn list_pods(&self, selector: Option<&str>) -> Result<Vec<Pod>> {
        let lp = match selector {
            Some(s) => ListParams::default().labels(s),
            None => ListParams::default(),
        };
        let mut items = self
            .call("kubectl get pods", self.api::<Pod>().list(&lp))
            .await?
            .items;
        items.sort_by_key(|p| p.name_any());
        Ok(items)
    }

    /// The names of the lab's PVCs (see [`is_lab_pvc`]), sorted.
    pub(crate) async fn lab_pvcs(&self) -> Result<Vec<String>> {
        let l = self
            .call(
                "kubectl get pvc",
                self.api::<PersistentVolumeClaim>()
                    .list(&ListParams::default()),
            )
            .await?;
        let mut v: Vec<String> = l
            .items
            .iter()
            .filter(|c| is_lab_pvc(c))
            .map(|c| c.name_any())
            .collect();
        v.sort();
        Ok(v)
    }

    /// Deletes one object (in the background, as kubectl); false when it was not there.
    pub(crate) async fn delete_one<K: LabObject>(
        &self,
        kind_ref: &str,
        name: &str,
    ) -> Result<bool> {
        let api: Api<K> = self.api();
        let action = format!("kubectl delete {kind_ref} {name}");
        match self
            .call_raw(&action, api.delete(name, &DeleteParams::background()))
            .await?
        {
            Ok(_) => Ok(true),
            Err(e) if is_not_found(&e) => Ok(false),
            Err(e) => Err(self.err(e, &action)),
        }
    }
}

/// A StatefulSet's `matchLabels` as a label selector (`app=mysql`), as `kubectl describe` shows it.
pub fn selector_of(s: &StatefulSet) -> String {
    s.spec
        .selector
        .match_labels
        .clone()
        .unwrap_or_default()
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lab_pvcs_by_label_or_name() {
        let c =
            |v: serde_json::Value| -> PersistentVolumeClaim { serde_json::from_value(v).unwrap() };
        assert!(is_lab_pvc(&c(
            serde_json::json!({"metadata":{"name":"data-mysql-0"}})
        )));
        assert!(is_lab_pvc(&c(
            serde_json::json!({"metadata":{"name":"x","labels":{"app":"mysql"}}})
        )));
        assert!(!is_lab_pvc(&c(
            serde_json::json!({"metadata":{"name":"data-postgres-0"}})
        )));
    }
}
