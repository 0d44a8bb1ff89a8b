//! The kinds labsim serves, as data (KWOK's way): one `ResourceType` row per kind holds
//! everything the server knows about it, and discovery, routing, the store, server-side tables
//! and defaulting all read that row. Adding a kind is a file in `kinds/` (its row, its columns,
//! its defaults) and its line in [`RESOURCES`]; plus, where it has one, a controller.
//!
//! - `kinds/<plural>.rs`: one kind each (`reviews.rs` holds both reviews); `pod_status.rs` is
//!   the pod's READY/STATUS/RESTARTS summary.
//! - `columns.rs`: the column vocabulary (NAME, AGE, shared cells, the default columns);
//!   `age.rs` and `quantity.rs` the AGE and CAPACITY formats.
//! - `defaulting.rs`: what a kind's defaults are given (the stored object, a free ClusterIP) and
//!   the one rule they follow (only fields the client left out are filled).

mod age;
pub mod columns;
pub mod defaulting;
mod kinds;
mod quantity;

use serde_json::Value;

pub use age::human_duration;
pub use columns::Column;
pub use defaulting::{Defaulting, Defaults};

/// One servable kind (a row of `kubectl api-resources`), with its printing and defaulting.
#[derive(Debug)]
pub struct ResourceType {
    /// API group, empty for the core group.
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    /// URL segment, e.g. `pods`.
    pub plural: &'static str,
    pub singular: &'static str,
    pub namespaced: bool,
    pub short_names: &'static [&'static str],
    /// Discovery's categories: `all` puts the kind in `kubectl get all`.
    pub categories: &'static [&'static str],
    /// Subresources served, e.g. `status`, `scale`, `exec`.
    pub subresources: &'static [&'static str],
    /// Whether the objects carry a `spec` whose changes bump `metadata.generation`.
    pub generation: bool,
    /// kube-apiserver's table columns (`kubectl get`); [`columns::DEFAULT`] for kinds without
    /// a printer.
    pub columns: &'static [Column],
    /// Conditions a table row carries beside its cells (a finished pod's `Completed`).
    pub row_conditions: fn(&Value) -> Option<Value>,
    /// The API server's defaulting of this kind's objects on every write, if it has any.
    pub defaults: Option<Defaults>,
}

/// Rows are one per kind: the same kind is the same row.
impl PartialEq for ResourceType {
    fn eq(&self, other: &Self) -> bool {
        (self.group, self.version, self.plural) == (other.group, other.version, other.plural)
    }
}

impl Eq for ResourceType {}

impl ResourceType {
    /// A namespaced kind of `group`/v1 with nothing special: no short names, categories,
    /// subresources or generation, the default columns, no defaults. A row sets what differs
    /// (`ResourceType { short_names: &["po"], ..ResourceType::namespaced(...) }`).
    pub const fn namespaced(
        group: &'static str,
        kind: &'static str,
        plural: &'static str,
        singular: &'static str,
    ) -> Self {
        Self::plain(group, kind, plural, singular, true)
    }

    /// [`ResourceType::namespaced`] for a cluster-scoped kind.
    pub const fn cluster(
        group: &'static str,
        kind: &'static str,
        plural: &'static str,
        singular: &'static str,
    ) -> Self {
        Self::plain(group, kind, plural, singular, false)
    }

    const fn plain(
        group: &'static str,
        kind: &'static str,
        plural: &'static str,
        singular: &'static str,
        namespaced: bool,
    ) -> Self {
        ResourceType {
            group,
            version: "v1",
            kind,
            plural,
            singular,
            namespaced,
            short_names: &[],
            categories: &[],
            subresources: &[],
            generation: false,
            columns: columns::DEFAULT,
            row_conditions: columns::no_conditions,
            defaults: None,
        }
    }

    /// `v1` or `apps/v1`.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// Stable store key: `pods`, `statefulsets.apps`.
    pub fn key(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_string()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    /// Whether objects of this kind carry a `spec` whose changes bump `metadata.generation`.
    pub fn has_generation(&self) -> bool {
        self.generation
    }

    /// Reviews (`authorization.k8s.io`) are answered, never stored: create is their one verb.
    pub fn is_review(&self) -> bool {
        self.group == "authorization.k8s.io"
    }

    /// Verbs as discovery reports them.
    pub fn verbs(&self) -> &'static [&'static str] {
        if self.is_review() {
            return &["create"];
        }
        &[
            "create",
            "delete",
            "deletecollection",
            "get",
            "list",
            "patch",
            "update",
            "watch",
        ]
    }
}

/// Every kind labsim serves, in discovery order.
pub static RESOURCES: &[ResourceType] = &[
    kinds::namespaces::ROW,
    kinds::nodes::ROW,
    kinds::pods::ROW,
    kinds::services::ROW,
    kinds::endpoints::ROW,
    kinds::secrets::ROW,
    kinds::configmaps::ROW,
    kinds::serviceaccounts::ROW,
    kinds::persistentvolumeclaims::ROW,
    kinds::persistentvolumes::ROW,
    kinds::events::ROW,
    kinds::statefulsets::ROW,
    kinds::controllerrevisions::ROW,
    kinds::endpointslices::ROW,
    kinds::reviews::ACCESS,
    kinds::reviews::RULES,
    kinds::storageclasses::ROW,
    kinds::poddisruptionbudgets::ROW,
];

/// The API groups served besides the core group, in discovery order.
pub static GROUPS: &[(&str, &str)] = &[
    ("apps", "v1"),
    ("authorization.k8s.io", "v1"),
    ("discovery.k8s.io", "v1"),
    ("policy", "v1"),
    ("storage.k8s.io", "v1"),
];

/// Finds a resource by group and plural (URL form).
pub fn by_plural(group: &str, plural: &str) -> Option<&'static ResourceType> {
    RESOURCES
        .iter()
        .find(|r| r.group == group && r.plural == plural)
}

/// Finds a resource by `apiVersion` and `kind` (object form).
pub fn by_kind(api_version: &str, kind: &str) -> Option<&'static ResourceType> {
    RESOURCES
        .iter()
        .find(|r| r.api_version() == api_version && r.kind == kind)
}

/// Finds a resource by its store key (`pods`, `statefulsets.apps`).
pub fn by_key(key: &str) -> Option<&'static ResourceType> {
    RESOURCES.iter().find(|r| r.key() == key)
}

/// Shorthands for code that names a fixed kind.
pub fn get(kind: &str) -> &'static ResourceType {
    RESOURCES
        .iter()
        .find(|r| r.kind == kind)
        .unwrap_or_else(|| panic!("unknown kind {kind}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_lookups_agree() {
        let mut keys: Vec<_> = RESOURCES.iter().map(|r| r.key()).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), RESOURCES.len());
        for r in RESOURCES {
            assert_eq!(by_plural(r.group, r.plural), Some(r));
            assert_eq!(by_kind(&r.api_version(), r.kind), Some(r));
            assert_eq!(by_key(&r.key()), Some(r));
        }
        assert_eq!(get("StatefulSet").api_version(), "apps/v1");
    }

    /// The behaviour columns of the table, pinned: `all` as kube-apiserver's storages report it
    /// (`Categories()` in `pkg/registry/core/pod/storage/storage.go`, `.../service/storage`,
    /// `pkg/registry/apps/statefulset/storage`), generation where a strategy bumps it on a spec
    /// change, defaults where `SetDefaults_*` or an admission plugin fills fields.
    #[test]
    fn rows_carry_categories_generation_and_defaults() {
        let kinds = |f: fn(&ResourceType) -> bool| -> Vec<&str> {
            RESOURCES.iter().filter(|r| f(r)).map(|r| r.kind).collect()
        };
        assert_eq!(
            kinds(|r| r.categories == ["all"]),
            ["Pod", "Service", "StatefulSet"]
        );
        assert_eq!(
            kinds(ResourceType::has_generation),
            [
                // pkg/registry/core/pod/strategy.go from 1.33 (CHANGELOG-1.33 #130181)
                "Pod",
                "Service",
                "PersistentVolumeClaim",
                "PersistentVolume",
                "StatefulSet",
                // pkg/registry/policy/poddisruptionbudget/strategy.go PrepareForUpdate
                "PodDisruptionBudget"
            ]
        );
        assert_eq!(
            kinds(|r| r.defaults.is_some()),
            [
                "Namespace",
                "Pod",
                "Service",
                "PersistentVolumeClaim",
                "StatefulSet"
            ]
        );
        // Reviews have no printer: the default columns (NAME, CREATED AT).
        let names = |cols: &[Column]| cols.iter().map(|c| c.name).collect::<Vec<_>>();
        for kind in kinds(ResourceType::is_review) {
            assert_eq!(names(get(kind).columns), ["Name", "Created At"], "{kind}");
        }
    }
}
