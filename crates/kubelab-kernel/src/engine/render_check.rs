//! The learner checks and the pictures as wire `Value`s: their data for the cell's accessors
//! plus the text and HTML (inline SVG) kubelab-core rendered.

use kubelab::wire::Value;
use kubelab_core as core;

fn value(kind: &str, text: String, html: String) -> Value {
    Value {
        kind: kind.to_string(),
        text,
        html,
        ..Value::default()
    }
}

/// `check(step)` that passed.
pub fn check(r: &core::CheckReport) -> Value {
    value("check", r.to_string(), r.to_html())
        .with("step", vec![r.step.clone()])
        .with("lines", r.lines())
}

/// `topology()` or `timeline(selector)`.
pub fn picture(p: &core::Picture) -> Value {
    value("picture", p.to_string(), p.to_html())
        .with("kind", vec![p.kind.to_string()])
        .with("pods", p.pods.clone())
}
