//! List merge strategies of the Kubernetes schema for the kinds labsim serves, kept as data.
//!
//! Strategic merge patch and server-side apply both need to know, for every list field, whether
//! its elements merge by a key (`patchStrategy:"merge" patchMergeKey:"name"` in `k8s.io/api`), merge
//! as a set of primitives (`patchStrategy:"merge"` on a `[]string`), or are replaced whole
//! (`+listType=atomic`, or no patch strategy at all). The real apiserver reads this from the Go
//! struct tags; labsim keeps the small subset its kinds use in [`RULES`].
//!
//! A field path is the list of field names from the object's root, list elements adding no
//! segment: a container's env is `spec.template.spec.containers.env` in a StatefulSet and
//! `spec.containers.env` in a Pod. Rules match a suffix of that path (so one rule covers the pod
//! spec wherever it is embedded) or, starting with `^`, the whole path. The first matching rule
//! wins; lists no rule names are atomic.

/// How a list field merges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListStrategy {
    /// Elements are maps merged by this key (`patchMergeKey`).
    Merge(&'static str),
    /// Elements are primitives merged as a set (e.g. `metadata.finalizers`).
    Set,
    /// The list is replaced whole.
    Atomic,
}

/// One row of the table: `kind` (`None` = every kind), the path pattern, the strategy.
#[derive(Debug)]
pub struct Rule {
    pub kind: Option<&'static str>,
    /// Dotted field names; matches a suffix of the path, or the whole path when it starts with `^`.
    pub pattern: &'static str,
    pub strategy: ListStrategy,
}

const fn rule(kind: Option<&'static str>, pattern: &'static str, strategy: ListStrategy) -> Rule {
    Rule {
        kind,
        pattern,
        strategy,
    }
}

use ListStrategy::{Atomic, Merge, Set};

/// The merge strategies, from `k8s.io/api` struct tags (core/v1, apps/v1, meta/v1). Kind-specific
/// rows come first because the first match wins.
pub static RULES: &[Rule] = &[
    // ServiceAccount.imagePullSecrets is `+listType=atomic`, unlike PodSpec.imagePullSecrets.
    rule(Some("ServiceAccount"), "^imagePullSecrets", Atomic),
    rule(Some("ServiceAccount"), "^secrets", Merge("name")),
    // ServiceSpec.ports: patchMergeKey port (listMapKeys port+protocol).
    rule(Some("Service"), "^spec.ports", Merge("port")),
    rule(Some("Node"), "^spec.podCIDRs", Set),
    rule(Some("Node"), "^status.addresses", Merge("type")),
    rule(Some("Pod"), "^status.podIPs", Merge("ip")),
    rule(Some("Pod"), "^status.hostIPs", Merge("ip")),
    // ObjectMeta, wherever it is embedded (pod templates too).
    rule(None, "metadata.finalizers", Set),
    rule(None, "metadata.ownerReferences", Merge("uid")),
    rule(None, "metadata.managedFields", Atomic),
    // Conditions of Pod, StatefulSet, PVC, PV, Namespace, Node, Service status.
    rule(None, "status.conditions", Merge("type")),
    // PodSpec (Pod `spec`, StatefulSet `spec.template.spec`).
    rule(None, "spec.containers", Merge("name")),
    rule(None, "spec.initContainers", Merge("name")),
    rule(None, "spec.ephemeralContainers", Merge("name")),
    rule(None, "spec.volumes", Merge("name")),
    rule(None, "spec.imagePullSecrets", Merge("name")),
    rule(None, "spec.hostAliases", Merge("ip")),
    rule(None, "spec.topologySpreadConstraints", Merge("topologyKey")),
    rule(None, "spec.schedulingGates", Merge("name")),
    rule(None, "spec.resourceClaims", Merge("name")),
    // Container (also init and ephemeral containers).
    rule(None, "containers.ports", Merge("containerPort")),
    rule(None, "initContainers.ports", Merge("containerPort")),
    rule(None, "ephemeralContainers.ports", Merge("containerPort")),
    rule(None, "containers.env", Merge("name")),
    rule(None, "initContainers.env", Merge("name")),
    rule(None, "ephemeralContainers.env", Merge("name")),
    rule(None, "containers.volumeMounts", Merge("mountPath")),
    rule(None, "initContainers.volumeMounts", Merge("mountPath")),
    rule(None, "ephemeralContainers.volumeMounts", Merge("mountPath")),
    rule(None, "containers.volumeDevices", Merge("devicePath")),
    rule(None, "initContainers.volumeDevices", Merge("devicePath")),
    // Explicitly atomic, listed so the table documents them (the default is atomic anyway):
    // StatefulSetSpec.volumeClaimTemplates is `+listType=atomic`, PodSpec.tolerations and
    // readinessGates have no patch strategy, Endpoints.subsets is atomic.
    rule(None, "spec.volumeClaimTemplates", Atomic),
    rule(None, "spec.tolerations", Atomic),
    rule(None, "spec.readinessGates", Atomic),
    rule(Some("Endpoints"), "^subsets", Atomic),
];

/// The strategy of the list at `path` (field names from the root) in an object of `kind`.
pub fn list_strategy(kind: &str, path: &[String]) -> ListStrategy {
    RULES
        .iter()
        .find(|r| r.kind.is_none_or(|k| k == kind) && matches(r.pattern, path))
        .map(|r| r.strategy)
        .unwrap_or(Atomic)
}

fn matches(pattern: &str, path: &[String]) -> bool {
    let (anchored, pattern) = match pattern.strip_prefix('^') {
        Some(p) => (true, p),
        None => (false, pattern),
    };
    let segs: Vec<&str> = pattern.split('.').collect();
    if anchored && segs.len() != path.len() {
        return false;
    }
    if segs.len() > path.len() {
        return false;
    }
    path[path.len() - segs.len()..]
        .iter()
        .zip(&segs)
        .all(|(a, b)| a == b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Vec<String> {
        s.split('.').map(String::from).collect()
    }

    #[test]
    fn strategies_of_known_lists() {
        let cases: &[(&str, &str, ListStrategy)] = &[
            (
                "StatefulSet",
                "spec.template.spec.containers",
                Merge("name"),
            ),
            ("Pod", "spec.containers", Merge("name")),
            (
                "StatefulSet",
                "spec.template.spec.containers.env",
                Merge("name"),
            ),
            (
                "StatefulSet",
                "spec.template.spec.containers.ports",
                Merge("containerPort"),
            ),
            (
                "StatefulSet",
                "spec.template.spec.initContainers.volumeMounts",
                Merge("mountPath"),
            ),
            ("StatefulSet", "spec.template.spec.volumes", Merge("name")),
            ("StatefulSet", "spec.volumeClaimTemplates", Atomic),
            (
                "StatefulSet",
                "spec.volumeClaimTemplates.spec.accessModes",
                Atomic,
            ),
            ("Service", "spec.ports", Merge("port")),
            ("Pod", "spec.tolerations", Atomic),
            ("Pod", "metadata.finalizers", Set),
            ("Namespace", "spec.finalizers", Atomic),
            ("Pod", "metadata.ownerReferences", Merge("uid")),
            ("StatefulSet", "status.conditions", Merge("type")),
            ("Pod", "spec.imagePullSecrets", Merge("name")),
            ("ServiceAccount", "imagePullSecrets", Atomic),
            ("Pod", "spec.containers.command", Atomic),
            ("Endpoints", "subsets.ports", Atomic),
        ];
        for (kind, path, want) in cases {
            assert_eq!(list_strategy(kind, &p(path)), *want, "{kind} {path}");
        }
    }

    #[test]
    fn anchored_patterns_match_only_the_whole_path() {
        assert!(matches("^spec.ports", &p("spec.ports")));
        assert!(!matches("^spec.ports", &p("x.spec.ports")));
        assert!(matches("spec.ports", &p("x.spec.ports")));
        assert!(!matches("spec.ports", &p("ports")));
    }
}
