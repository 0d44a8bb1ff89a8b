//! The service-account controller: every namespace has a ServiceAccount `default` (pods name it
//! in `spec.serviceAccountName`), re-created if deleted, as kube-controller-manager does.

use serde_json::json;

use super::ControllerError;
use crate::objects::{is_terminating, name};
use crate::resources::get;
use crate::store::Store;

/// Creates the missing `default` ServiceAccounts.
pub fn reconcile(store: &Store) -> Result<(), ControllerError> {
    let (namespaces, _) = store.list(get("Namespace"), None);
    let rt = get("ServiceAccount");
    for ns in namespaces.iter().filter(|n| !is_terminating(n)) {
        if store.get(rt, Some(name(ns)), "default").is_ok() {
            continue;
        }
        match store.create(rt, Some(name(ns)), json!({"metadata": {"name": "default"}})) {
            Ok(_) => {}
            Err(e) if e.code == 409 || e.code == 404 => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_namespace_gets_a_default_service_account() {
        let s = Store::in_memory();
        crate::controllers::bootstrap::run(&s).unwrap();
        reconcile(&s).unwrap();
        let (sas, _) = s.list(get("ServiceAccount"), None);
        let where_: Vec<_> = sas
            .iter()
            .map(|a| a["metadata"]["namespace"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(
            where_,
            ["default", "kube-node-lease", "kube-public", "kube-system"]
        );
        let rv = s.resource_version();
        reconcile(&s).unwrap();
        assert_eq!(s.resource_version(), rv);
        s.delete(get("ServiceAccount"), Some("default"), "default", None)
            .unwrap();
        reconcile(&s).unwrap();
        assert!(s
            .get(get("ServiceAccount"), Some("default"), "default")
            .is_ok());
    }
}
