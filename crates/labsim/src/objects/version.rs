//! The one Kubernetes version labsim reports everywhere: `/version`, the OpenAPI `info`, the
//! nodes' `kubeletVersion`, the probes' `kube-probe/<minor>`; the wording of events and the
//! controllers' defaults follow it. kubectl here is the Cloud SDK's dispatcher, which runs the
//! `kubectl.1.27` .. `kubectl.1.33` matching the server's /version. The newest it has, 1.33 (and
//! 1.32), send built-in objects as protobuf (`kubectl create configmap` posts
//! `application/vnd.kubernetes.protobuf`, client-go ≥ 0.32's typed clients) and do not fall back
//! to JSON on a 415 (client-go's fallback is for CBOR only). labsim now decodes those bodies for
//! the kinds kubectl's `create`, `debug` and `auth can-i` send (api/protobuf/); moving to 1.33 is
//! a change of its own (goldens, wording, defaults), so it still reports 1.31, as minikube
//! v1.34.0 runs by default (pkg/minikube/constants/constants.go). The measurements
//! are in docs/labsim-internals.md, "Version".

/// `gitVersion`.
pub const KUBERNETES: &str = "v1.31.0";
/// `major` and `minor` as `/version` spells them.
pub const MAJOR: &str = "1";
pub const MINOR: &str = "31";

/// The minikube release whose defaults labsim follows, and its commit (node labels).
pub const MINIKUBE: &str = "v1.34.0";
pub const MINIKUBE_COMMIT: &str = "210b148df93a80eb872ecbeb7e35281b3c582c61";

#[cfg(test)]
mod tests {
    #[test]
    fn parts_agree() {
        assert!(super::KUBERNETES.starts_with(&format!("v{}.{}.", super::MAJOR, super::MINOR)));
    }
}
