//! The Jupyter front end: the five ZeroMQ sockets of a connection file, over [`Cells`] and the
//! engine. Cells run one at a time; a failed cell answers "error" and, when the request asked
//! `stop_on_error` (JupyterLab's Run All does), the requests already queued are answered
//! "aborted" without running, as ipykernel does.

mod message;

#[cfg(feature = "cells")]
mod kernel;
#[cfg(feature = "cells")]
pub use kernel::{run, Connection};
