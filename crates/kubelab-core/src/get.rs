//! `kubectl get ...`: one call per table the lab reads, each printed by the API server
//! (`server_table.rs`) exactly as `kubectl get` has it printed.

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{
    Event, Node, PersistentVolume, PersistentVolumeClaim, Pod, Service,
};
use k8s_openapi::api::storage::v1::StorageClass;

use crate::error::Result;
use crate::lab::Lab;
use crate::out;
use crate::table::Table;

/// One `Lab` method per row: name, kind, the kubectl command it stands for, `-o wide` or not.
macro_rules! kubectl_get {
    ($($(#[$doc:meta])* $name:ident: $kind:ty, $cmd:literal, $wide:literal;)*) => {
        impl Lab {$(
            $(#[$doc])*
            pub async fn $name(&self) -> Result<Table> {
                out::cmd($cmd);
                self.server_table::<$kind>($cmd, None, $wide).await
            }
        )*}
    };
}

kubectl_get! {
    /// `kubectl get nodes`.
    nodes: Node, "kubectl get nodes", false;
    /// `kubectl get pods`.
    pods: Pod, "kubectl get pods", false;
    /// `kubectl get pods -o wide`.
    pods_wide: Pod, "kubectl get pods -o wide", true;
    /// `kubectl get statefulsets`.
    statefulsets: StatefulSet, "kubectl get statefulsets", false;
    /// `kubectl get pvc`.
    pvcs: PersistentVolumeClaim, "kubectl get pvc", false;
    /// `kubectl get pv`.
    pvs: PersistentVolume, "kubectl get pv", false;
    /// `kubectl get storageclass`.
    storage_classes: StorageClass, "kubectl get storageclass", false;
    /// `kubectl get services`.
    services: Service, "kubectl get services", false;
    /// `kubectl get events`.
    events: Event, "kubectl get events", false;
}
