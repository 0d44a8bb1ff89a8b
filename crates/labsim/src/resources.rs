//! The resource types labsim serves: one row per kind, used by discovery, routing, the store and tables.

/// One servable resource (a row of `kubectl api-resources`).
#[derive(Debug, PartialEq, Eq)]
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
    /// Subresources served, e.g. `status`, `scale`, `exec`.
    pub subresources: &'static [&'static str],
}

impl ResourceType {
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
        matches!(
            self.kind,
            "StatefulSet" | "Service" | "PersistentVolumeClaim" | "PersistentVolume"
        )
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

macro_rules! rt {
    ($group:expr, $version:expr, $kind:expr, $plural:expr, $singular:expr, $ns:expr, [$($short:expr),*], [$($sub:expr),*]) => {
        ResourceType {
            group: $group,
            version: $version,
            kind: $kind,
            plural: $plural,
            singular: $singular,
            namespaced: $ns,
            short_names: &[$($short),*],
            subresources: &[$($sub),*],
        }
    };
}

/// Every resource labsim serves.
pub static RESOURCES: &[ResourceType] = &[
    rt!(
        "",
        "v1",
        "Namespace",
        "namespaces",
        "namespace",
        false,
        ["ns"],
        ["status"]
    ),
    rt!("", "v1", "Node", "nodes", "node", false, ["no"], ["status"]),
    rt!(
        "",
        "v1",
        "Pod",
        "pods",
        "pod",
        true,
        ["po"],
        ["status", "exec", "attach", "log", "portforward", "eviction"]
    ),
    rt!(
        "",
        "v1",
        "Service",
        "services",
        "service",
        true,
        ["svc"],
        ["status"]
    ),
    rt!(
        "",
        "v1",
        "Endpoints",
        "endpoints",
        "endpoints",
        true,
        ["ep"],
        []
    ),
    rt!("", "v1", "Secret", "secrets", "secret", true, [], []),
    rt!(
        "",
        "v1",
        "ConfigMap",
        "configmaps",
        "configmap",
        true,
        ["cm"],
        []
    ),
    rt!(
        "",
        "v1",
        "ServiceAccount",
        "serviceaccounts",
        "serviceaccount",
        true,
        ["sa"],
        []
    ),
    rt!(
        "",
        "v1",
        "PersistentVolumeClaim",
        "persistentvolumeclaims",
        "persistentvolumeclaim",
        true,
        ["pvc"],
        ["status"]
    ),
    rt!(
        "",
        "v1",
        "PersistentVolume",
        "persistentvolumes",
        "persistentvolume",
        false,
        ["pv"],
        ["status"]
    ),
    rt!("", "v1", "Event", "events", "event", true, ["ev"], []),
    rt!(
        "apps",
        "v1",
        "StatefulSet",
        "statefulsets",
        "statefulset",
        true,
        ["sts"],
        ["status", "scale"]
    ),
    rt!(
        "apps",
        "v1",
        "ControllerRevision",
        "controllerrevisions",
        "controllerrevision",
        true,
        [],
        []
    ),
    rt!(
        "discovery.k8s.io",
        "v1",
        "EndpointSlice",
        "endpointslices",
        "endpointslice",
        true,
        [],
        []
    ),
    rt!(
        "authorization.k8s.io",
        "v1",
        "SelfSubjectAccessReview",
        "selfsubjectaccessreviews",
        "selfsubjectaccessreview",
        false,
        [],
        []
    ),
    rt!(
        "authorization.k8s.io",
        "v1",
        "SelfSubjectRulesReview",
        "selfsubjectrulesreviews",
        "selfsubjectrulesreview",
        false,
        [],
        []
    ),
    rt!(
        "storage.k8s.io",
        "v1",
        "StorageClass",
        "storageclasses",
        "storageclass",
        false,
        ["sc"],
        []
    ),
];

/// The API groups served besides the core group, in discovery order.
pub static GROUPS: &[(&str, &str)] = &[
    ("apps", "v1"),
    ("authorization.k8s.io", "v1"),
    ("discovery.k8s.io", "v1"),
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
}
