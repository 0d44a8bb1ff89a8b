//! `kubelab::Error`: the Korean message of a failed step (what happened, what to do next). The
//! one failure type of the wire: the engine maps its errors to it once, a `Failure` frame carries it.

use std::fmt;

/// A failed lab step. Display and Debug both print the Korean message, so `?`, `unwrap()` and
/// `println!("{e}")` all show the same text.
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    name: String,
    message: String,
}

impl Error {
    /// A failure named `name` (short, Korean) with `message` (cause and next step).
    pub fn new(name: &str, message: impl Into<String>) -> Error {
        Error {
            name: name.to_string(),
            message: message.into(),
        }
    }

    /// A short name of what failed (the error's title in Jupyter), e.g. `파드 없음`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The message: cause and next step.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// `Result` with `kubelab::Error`.
pub type Result<T, E = Error> = std::result::Result<T, E>;
