//! The `authorization.k8s.io` reviews `kubectl auth can-i` asks (answered in `api/reviews.rs`,
//! never stored: `ResourceType::is_review`); tables get the default columns.

use crate::resources::columns::{no_conditions, DEFAULT};
use crate::resources::ResourceType;

/// `SelfSubjectAccessReview`: may I do this?
pub const ACCESS: ResourceType = ResourceType {
    group: "authorization.k8s.io",
    version: "v1",
    kind: "SelfSubjectAccessReview",
    plural: "selfsubjectaccessreviews",
    singular: "selfsubjectaccessreview",
    namespaced: false,
    short_names: &[],
    categories: &[],
    subresources: &[],
    generation: false,
    columns: DEFAULT,
    row_conditions: no_conditions,
    defaults: None,
};

/// `SelfSubjectRulesReview`: what may I do here?
pub const RULES: ResourceType = ResourceType {
    group: "authorization.k8s.io",
    version: "v1",
    kind: "SelfSubjectRulesReview",
    plural: "selfsubjectrulesreviews",
    singular: "selfsubjectrulesreview",
    namespaced: false,
    short_names: &[],
    categories: &[],
    subresources: &[],
    generation: false,
    columns: DEFAULT,
    row_conditions: no_conditions,
    defaults: None,
};
