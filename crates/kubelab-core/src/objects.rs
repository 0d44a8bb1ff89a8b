//! Errors about reading, deleting and scaling objects, and the "not found: these exist" helper.

use kube::api::{Api, ListParams};
use kube::core::NamespaceResourceScope;
use kube::Resource;

use crate::lab::Lab;

/// Errors about objects in the cluster.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The named object does not exist; lists the ones that do.
    #[error("{kind} '{name}' 이(가) 없습니다 (namespace default).\n지금 있는 {kind}: {existing}\n→ 이름을 확인하세요 (예: `kubectl get {plural}`).")]
    NotFound {
        /// Kind, e.g. `pod`.
        kind: String,
        /// Name asked for.
        name: String,
        /// Plural for the kubectl hint.
        plural: String,
        /// Existing names, comma-separated, or `(없음)`.
        existing: String,
    },
    /// The API server refused a request.
    #[error("{action} 요청이 실패했습니다: {message}\n→ 메시지를 확인하고, 클러스터 상태는 events() 로 볼 수 있습니다.")]
    Api {
        /// What was attempted, e.g. `kubectl delete pod mysql-0`.
        action: String,
        /// The server's message.
        message: String,
    },
}

impl Lab {
    /// A namespaced Api in the lab namespace.
    pub(crate) fn api<K>(&self) -> Api<K>
    where
        K: Resource<Scope = NamespaceResourceScope>,
        <K as Resource>::DynamicType: Default,
    {
        Api::namespaced(self.client.clone(), crate::lab::NAMESPACE)
    }

    /// Builds a NotFound error listing the objects of that kind that exist.
    pub(crate) async fn not_found<K>(&self, kind: &str, plural: &str, name: &str) -> crate::Error
    where
        K: Resource<Scope = NamespaceResourceScope>
            + Clone
            + serde::de::DeserializeOwned
            + std::fmt::Debug,
        <K as Resource>::DynamicType: Default,
    {
        let names = match self
            .call("list", self.api::<K>().list(&ListParams::default()))
            .await
        {
            Ok(l) => l
                .items
                .iter()
                .filter_map(|o| o.meta().name.clone())
                .collect::<Vec<_>>(),
            Err(_) => Vec::new(),
        };
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages() {
        let e = crate::Error::from(Error::NotFound {
            kind: "pod".into(),
            name: "mysql-9".into(),
            plural: "pods".into(),
            existing: "mysql-0, mysql-1".into(),
        });
        let m = format!("{e:?}");
        assert!(
            m.contains("pod 'mysql-9'")
                && m.contains("mysql-0, mysql-1")
                && m.contains("kubectl get pods"),
            "{m}"
        );
        let m = Error::Api {
            action: "kubectl scale statefulset mysql".into(),
            message: "forbidden (403)".into(),
        }
        .to_string();
        assert!(m.contains("실패했습니다") && m.contains("forbidden") && m.contains("events()"));
    }
}
