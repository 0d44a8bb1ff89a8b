//! The rules about objects that hold whoever writes them (API handlers, controllers, the
//! kubelet): field accessors, the API server's defaulting, and the one event recorder. This
//! layer sits on the store and below every component, so none of them reaches sideways into
//! another for these.

pub mod defaults;
pub mod disruption;
pub mod event_correlator;
pub mod events;
mod fields;
pub mod machines;
pub mod timings;
pub mod tolerations;
pub mod validation;
pub mod version;

pub use events::{EventRecorder, Source};
pub use fields::*;
