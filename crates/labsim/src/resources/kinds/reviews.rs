//! The `authorization.k8s.io` reviews `kubectl auth can-i` asks (answered in `api/reviews.rs`,
//! never stored: `ResourceType::is_review`); tables get the default columns.

use crate::resources::ResourceType;

/// `SelfSubjectAccessReview`: may I do this?
pub const ACCESS: ResourceType = ResourceType::cluster(
    "authorization.k8s.io",
    "SelfSubjectAccessReview",
    "selfsubjectaccessreviews",
    "selfsubjectaccessreview",
);

/// `SelfSubjectRulesReview`: what may I do here?
pub const RULES: ResourceType = ResourceType::cluster(
    "authorization.k8s.io",
    "SelfSubjectRulesReview",
    "selfsubjectrulesreviews",
    "selfsubjectrulesreview",
);
