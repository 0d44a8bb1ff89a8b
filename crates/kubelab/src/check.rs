//! `check(step)`: the learner's checks (✅/❌ per condition, Korean hints), and the pictures
//! `topology()` and `timeline(selector)`. The engine reads the cluster and renders; a ❌ comes
//! back as this call's `Error`, so the cell fails like a failing verify script.

use crate::call::call;
use crate::show::shown;
use crate::wire::Value;
use crate::Result;

/// A step whose conditions all hold (`check("deploy")?`): one ✅ line per condition.
#[derive(Debug, Clone)]
pub struct CheckReport {
    /// The step (`cluster`, `deploy`, `order`, `data`, `dns`, `survive`, `scale`).
    pub step: String,
    /// The ✅ lines.
    pub lines: Vec<String>,
    text: String,
    html: String,
}
shown!(CheckReport);

impl CheckReport {
    pub(crate) fn from_value(v: Value) -> CheckReport {
        CheckReport {
            step: v.attr("step").into(),
            lines: v.attrs("lines").to_vec(),
            text: v.text,
            html: v.html,
        }
    }
}

/// A drawing of the cluster: inline SVG in Jupyter, a text picture in the REPL.
#[derive(Debug, Clone)]
pub struct Picture {
    /// `topology` or `timeline`.
    pub kind: String,
    /// The pods drawn, in order.
    pub pods: Vec<String>,
    text: String,
    html: String,
}
shown!(Picture);

impl Picture {
    pub(crate) fn from_value(v: Value) -> Picture {
        Picture {
            kind: v.attr("kind").into(),
            pods: v.attrs("pods").to_vec(),
            text: v.text,
            html: v.html,
        }
    }
}

/// Checks one step of the lab; any ❌ fails with the first failed condition and its hint.
/// Steps: `cluster`, `deploy`, `order`, `data`, `dns`, `survive`, `scale` (docs/kubelab-api.md).
pub fn check(step: &str) -> Result<CheckReport> {
    call("check", &[step]).map(CheckReport::from_value)
}

/// Nodes holding their pods, each pod → PVC → PV → the disk its data is on.
pub fn topology() -> Result<Picture> {
    call("topology", &[]).map(Picture::from_value)
}

/// Creation → Ready of the pods `selector` matches, on one time axis (from the cluster).
pub fn timeline(selector: &str) -> Result<Picture> {
    call("timeline", &[selector]).map(Picture::from_value)
}
