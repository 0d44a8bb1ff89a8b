//! What happens between container runs: crash back-off, the end of a container, a pod that
//! completes (`restartPolicy` Never / OnFailure), and an image that cannot be pulled.

use std::time::Duration;

use super::super::sandbox::image;
use super::super::status::{self, State, Terminated};
use super::Worker;

/// Crash back-off. Real kubelets start at 10 s and double up to 5 min; labsim starts at 1 s and
/// doubles up to 10 s so a lab session never waits minutes. The first restart is immediate.
pub(super) const BACKOFF_START: Duration = Duration::from_secs(1);
pub(super) const BACKOFF_MAX: Duration = Duration::from_secs(10);
/// A container that ran this long resets the back-off (10 min in real kubelets).
pub(super) const BACKOFF_RESET: Duration = Duration::from_secs(60);

/// The back-off before the next restart: none after a long run or before the first restart
/// (as in a real kubelet), else doubled within [`BACKOFF_START`]..=[`BACKOFF_MAX`].
pub(super) fn next_backoff(last: Duration, ran: Duration, restart_count: u32) -> Duration {
    if ran >= BACKOFF_RESET || (last.is_zero() && restart_count == 0) {
        Duration::ZERO
    } else {
        (last * 2).clamp(BACKOFF_START, BACKOFF_MAX)
    }
}

impl Worker {
    /// `CrashLoopBackOff` for `backoff`; true when the pod is stopping meanwhile.
    pub(super) async fn back_off(&mut self, backoff: Duration) -> bool {
        let cname = self.c().name.clone();
        let pod_ref = format!("{}_{}({})", self.name, self.ns, self.uid);
        self.event(
            "Warning",
            "BackOff",
            &format!("Back-off restarting failed container {cname} in pod {pod_ref}"),
        );
        self.wait_state(
            "CrashLoopBackOff",
            Some(format!(
                "back-off {} restarting failed container={cname} pod={pod_ref}",
                status::go_duration(backoff)
            )),
        );
        self.sleep_or_stop(backoff).await
    }

    /// The container's end: terminated, `Completed` or `Error` by its exit code.
    pub(super) fn record_exit(&mut self, code: i32, started_at: String, container_id: String) {
        let last = Terminated::exited(code, started_at, container_id);
        self.cm().state = State::Terminated(last.clone());
        self.cm().last = Some(last);
        self.cm().ready = false;
        self.cm().started = false;
    }

    /// Not restarted: the pod is done, its object and IP stay until it is deleted.
    pub(super) async fn complete(&mut self, code: i32) {
        self.view.final_phase = Some(if code == 0 { "Succeeded" } else { "Failed" });
        self.publish();
        // Its sandbox is gone: the address goes back to the node's pool (the status keeps
        // showing it, as in Kubernetes).
        self.k.release_ip(&self.uid);
        while !self.sleep_or_stop(Duration::from_secs(3600)).await {}
    }

    /// An image labsim cannot run: ErrImagePull, then ImagePullBackOff for `backoff` (doubled
    /// for next time), on the container (`None`) or init container `Some(idx)`. True when
    /// stopping.
    pub(super) async fn pull_failed(
        &mut self,
        init: Option<usize>,
        image: &str,
        backoff: &mut Duration,
    ) -> bool {
        let msg = image::unsupported_message(image);
        let set = |w: &mut Self, reason: &str, message: String| match init {
            Some(i) => w.init_state(i, reason, Some(message)),
            None => w.wait_state(reason, Some(message)),
        };
        self.event("Normal", "Pulling", &format!("Pulling image \"{image}\""));
        self.event(
            "Warning",
            "Failed",
            &format!("Failed to pull image \"{image}\": {msg}"),
        );
        self.event("Warning", "Failed", "Error: ErrImagePull");
        set(self, "ErrImagePull", msg.clone());
        if self.sleep_or_stop(Duration::from_secs(1)).await {
            return true;
        }
        self.event(
            "Normal",
            "BackOff",
            &format!("Back-off pulling image \"{image}\""),
        );
        self.event("Warning", "Failed", "Error: ImagePullBackOff");
        set(
            self,
            "ImagePullBackOff",
            format!("Back-off pulling image \"{image}\": {msg}"),
        );
        if self.sleep_or_stop(*backoff).await {
            return true;
        }
        *backoff = (*backoff * 2).min(BACKOFF_MAX);
        false
    }
}
