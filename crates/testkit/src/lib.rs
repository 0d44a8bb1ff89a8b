//! Test support for the workspace, used only as a dev-dependency.
//!
//! - [`golden`]: the one golden-file rule: `golden::check(path, actual)`, files in a `testdata/`
//!   folder beside the code, `KUBELAB_BLESS=1` rewrites them, a mismatch shows a line diff.
//! - [`Sim`]: a labsim to test against (the `labsim` binary, or a cluster in this process), with
//!   the real `kubectl` pointed at it and polling helpers that always time out.
//! - [`cmd`]: commands that cannot hang a test (`run_with_timeout`, `bounded`), kubectl with a
//!   private discovery cache, output for assertion messages.
//! - [`kubectl_async`]: kubectl from async tests ([`AsyncKubectl`], its [`Out`]).
//! - [`files`]: the repository's manifests and temp files.

pub mod cmd;
pub mod files;
pub mod golden;
pub mod kubectl_async;
mod sim;

pub use cmd::{bounded, columns, kubectl_cmd, run_with_timeout, text};
pub use files::{manifest, write_file};
pub use kubectl_async::{AsyncKubectl, Out};
pub use sim::{Background, Sim, Stop};
