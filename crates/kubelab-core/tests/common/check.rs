//! What the check tests share: a step's ❌ as its text, and `lab.check(step)` awaited on the heap
//! with the lines its ✅ must show.
// (Each test binary that includes `common` uses only some of these.)
#![allow(dead_code)]

use std::sync::Arc;

use kubelab_core::check::CheckReport;
use kubelab_core::Lab;

/// The text of a check that must fail (`확인 실패`); panics on a ✅.
pub fn failure(r: kubelab_core::Result<CheckReport>) -> String {
    match r {
        Ok(rep) => panic!("expected a ❌, got:\n{rep}"),
        Err(e) => {
            assert_eq!(e.title(), "확인 실패", "{e}");
            e.to_string()
        }
    }
}

/// `lab.check(step)` on the heap: the check future is large, and a debug build's test thread
/// has a small stack.
pub async fn chk(lab: &Arc<Lab>, step: &str) -> kubelab_core::Result<CheckReport> {
    Box::pin(lab.check(step)).await
}

/// `step` passes and its report shows every one of `wants`.
pub async fn passes(lab: &Arc<Lab>, step: &str, wants: &[&str]) {
    let text = chk(lab, step)
        .await
        .unwrap_or_else(|e| panic!("check({step}) failed:\n{e}"))
        .to_string();
    for w in wants {
        assert!(text.contains(w), "{w} in\n{text}");
    }
}
