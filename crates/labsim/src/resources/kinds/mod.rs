//! One file per kind: its `ResourceType` row, kubectl's columns for it and the API server's
//! defaults for it, if any. [`super::RESOURCES`] lists the rows.

pub mod configmaps;
pub mod controllerrevisions;
pub mod endpoints;
pub mod endpointslices;
pub mod events;
pub mod namespaces;
pub mod nodes;
pub mod persistentvolumeclaims;
pub mod persistentvolumes;
pub mod pod_status;
pub mod poddisruptionbudgets;
pub mod pods;
pub mod reviews;
pub mod secrets;
pub mod serviceaccounts;
pub mod services;
pub mod statefulsets;
pub mod storageclasses;
