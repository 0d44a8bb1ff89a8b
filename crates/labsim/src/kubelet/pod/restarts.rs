//! What happens between container runs: crash back-off, the end of a container, a pod that
//! completes (`restartPolicy` Never / OnFailure), and an image that cannot be pulled.

use std::time::Duration;

use super::super::sandbox::image;
use super::super::status::{self, State, Terminated};
use super::Worker;

/// Crash back-off as a real kubelet: `backOffPeriod` 10 s doubling to `MaxContainerBackOff`
/// 5 min (kubernetes pkg/kubelet/kubelet.go, `flowcontrol.NewBackOff(backOffPeriod,
/// MaxContainerBackOff)`; the same values back image pulls). The first restart is immediate.
pub(super) const BACKOFF_START: Duration = Duration::from_secs(10);
pub(super) const BACKOFF_MAX: Duration = Duration::from_secs(300);
/// A container that ran longer than this resets the back-off: client-go's
/// util/flowcontrol/backoff.go `hasExpired` ("consider stable if it's ok for twice the
/// maxDuration"), so 10 min.
pub(super) const BACKOFF_RESET: Duration = Duration::from_secs(600);

/// The back-off before the next restart, as kuberuntime_manager.go's `doBackOff` with
/// flowcontrol's `Backoff.Next`: none before the first restart (no entry yet) or after a run
/// longer than [`BACKOFF_RESET`] (entry expired), else doubled within
/// [`BACKOFF_START`]..=[`BACKOFF_MAX`].
pub(super) fn next_backoff(last: Duration, ran: Duration, restart_count: u32) -> Duration {
    if ran > BACKOFF_RESET || (last.is_zero() && restart_count == 0) {
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
        // The events name the container the image is for: `spec.initContainers{NAME}` for
        // an init container (kubelet's `kubecontainer.GenerateContainerRef`).
        let field = match init {
            Some(i) => format!("spec.initContainers{{{}}}", self.view.init[i].name),
            None => format!("spec.containers{{{}}}", self.c().name),
        };
        let ev = |w: &Self, kind: &str, reason: &str, message: &str| {
            w.event_at(&field, kind, reason, message)
        };
        ev(
            self,
            "Normal",
            "Pulling",
            &format!("Pulling image \"{image}\""),
        );
        ev(
            self,
            "Warning",
            "Failed",
            &format!("Failed to pull image \"{image}\": {msg}"),
        );
        ev(self, "Warning", "Failed", "Error: ErrImagePull");
        set(self, "ErrImagePull", msg.clone());
        if self.sleep_or_stop(Duration::from_secs(1)).await {
            return true;
        }
        ev(
            self,
            "Normal",
            "BackOff",
            &format!("Back-off pulling image \"{image}\""),
        );
        ev(self, "Warning", "Failed", "Error: ImagePullBackOff");
        // The waiting message is the back-off sentence plus the last pull's error, as
        // `<err>: <msg>` (pkg/kubelet/images/image_manager.go `pullImage` from 1.32,
        // CHANGELOG-1.32 #127918; `err` is `ErrImagePull`); the event keeps the bare sentence.
        set(
            self,
            "ImagePullBackOff",
            format!("Back-off pulling image \"{image}\": ErrImagePull: {msg}"),
        );
        if self.sleep_or_stop(*backoff).await {
            return true;
        }
        *backoff = (*backoff * 2).min(BACKOFF_MAX);
        false
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::status::go_duration;
    use super::*;

    /// A container that crashes at once, again and again: restarted at once, then 10s, 20s,
    /// 40s, 1m20s, 2m40s, 5m0s and 5m0s on (kubernetes pkg/kubelet/kubelet.go `backOffPeriod`
    /// and `MaxContainerBackOff`; client-go util/flowcontrol/backoff.go `Next`), printed as
    /// kuberuntime_manager.go's `back-off %s restarting failed container`.
    #[test]
    fn crash_loop_backs_off_as_a_real_kubelet() {
        let quick = Duration::from_secs(1);
        let (mut last, mut waits) = (Duration::ZERO, Vec::new());
        for restart_count in 0..9 {
            last = next_backoff(last, quick, restart_count);
            waits.push(go_duration(last));
        }
        assert_eq!(
            waits,
            ["0s", "10s", "20s", "40s", "1m20s", "2m40s", "5m0s", "5m0s", "5m0s"]
        );
    }

    /// More than twice the maximum (10 min) of running resets the back-off (flowcontrol's
    /// `hasExpired`): restarted at once, and the next quick crash waits 10 s again.
    #[test]
    fn ten_minutes_of_running_resets_the_back_off() {
        let max = BACKOFF_MAX;
        assert_eq!(
            next_backoff(max, BACKOFF_RESET, 7),
            max,
            "exactly 10 min: not reset"
        );
        let after = next_backoff(max, BACKOFF_RESET + Duration::from_secs(1), 7);
        assert_eq!(after, Duration::ZERO);
        assert_eq!(
            next_backoff(after, Duration::from_secs(1), 8),
            BACKOFF_START
        );
    }
}
