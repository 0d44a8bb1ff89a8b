//! The one Kubernetes version labsim reports everywhere: `/version`, the OpenAPI `info`, the
//! nodes' `kubeletVersion`, the probes' `kube-probe/<minor>`; the wording of events and the
//! controllers' defaults follow it. kubectl here is the Cloud SDK's dispatcher, which runs the
//! `kubectl.1.27` .. `kubectl.1.33` matching the server's /version; labsim claims the newest it
//! has, v1.33.1 (issue #16), which is minikube v1.36.0's default
//! (pkg/minikube/constants/constants.go `DefaultKubernetesVersion` at tag v1.36.0). kubectl 1.33
//! sends built-in objects as protobuf; labsim decodes them (api/protobuf/). The measurements and
//! the item-by-item audit of what changed since v1.31 are in docs/labsim-internals.md, "Version",
//! and docs/version-1.33.md.

/// `gitVersion`.
pub const KUBERNETES: &str = "v1.33.1";
/// `major` and `minor` as `/version` spells them.
pub const MAJOR: &str = "1";
pub const MINOR: &str = "33";
/// `/version`'s compatibility fields (kube-apiserver ≥ 1.33, k8s.io/apimachinery
/// pkg/version/types.go `EmulationMajor` .. `MinCompatibilityMinor`): a 1.33 server emulates
/// 1.33 and stays compatible with 1.32.
pub const EMULATION_MINOR: &str = "33";
pub const MIN_COMPATIBILITY_MINOR: &str = "32";
/// The v1.33.1 release build's values (`kubectl.1.33 version --client` shows the same commit).
pub const GIT_COMMIT: &str = "8adc0f041b8e7ad1d30e29cc59c6ae7a15e19828";
pub const BUILD_DATE: &str = "2025-05-15T08:19:08Z";
pub const GO_VERSION: &str = "go1.24.2";

/// The minikube release whose defaults labsim follows, and its commit (node labels).
pub const MINIKUBE: &str = "v1.36.0";
pub const MINIKUBE_COMMIT: &str = "f8f52f5de11fc6ad8244afac475e1d0f96841df1";

#[cfg(test)]
mod tests {
    #[test]
    fn parts_agree() {
        assert!(super::KUBERNETES.starts_with(&format!("v{}.{}.", super::MAJOR, super::MINOR)));
    }
}
