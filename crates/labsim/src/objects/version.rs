//! The one Kubernetes version labsim reports everywhere: `/version`, the OpenAPI `info`, the
//! nodes' `kubeletVersion`, the probes' `kube-probe/<minor>` and the wording of events. It is the
//! newest version whose kubectl this machine's kubectl dispatcher has (the Cloud SDK's
//! `kubectl.1.27` .. `kubectl.1.33`, it picks the one matching the server's /version), and the
//! default Kubernetes of minikube v1.36.0 (pkg/minikube/constants/constants.go).

/// `gitVersion`.
pub const KUBERNETES: &str = "v1.33.1";
/// `major` and `minor` as `/version` spells them.
pub const MAJOR: &str = "1";
pub const MINOR: &str = "33";

/// The minikube release whose defaults labsim follows, and its commit (node labels).
pub const MINIKUBE: &str = "v1.36.0";
pub const MINIKUBE_COMMIT: &str = "f8f52f5de11fc6ad8244afac475e1d0f96841df1";

#[cfg(test)]
mod tests {
    #[test]
    fn parts_agree() {
        assert_eq!(
            super::KUBERNETES,
            format!("v{}.{}.1", super::MAJOR, super::MINOR)
        );
    }
}
