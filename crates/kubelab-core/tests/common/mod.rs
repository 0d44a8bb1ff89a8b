//! What the tests share: `step!`, one lab step on the process's one `Lab`, as the kernel's
//! engine runs a cell's call (`runtime::on_lab`: connected on first use, forgotten when the
//! cluster goes away); `check`, the helpers of the check tests.

pub mod check;

/// `step!(nodes())`, `step!(apply(path))`: `Lab::nodes`, `Lab::apply`, ... on the process's `Lab`.
#[macro_export]
macro_rules! step {
    ($m:ident($($a:expr),* $(,)?)) => {
        kubelab_core::runtime::on_lab(|l| async move { l.$m($($a),*).await }).await
    };
}
