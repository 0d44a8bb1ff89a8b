//! Init containers: each runs to completion in its sandbox, in order, before the containers;
//! a failed one is restarted with back-off (`restartPolicy` Always / OnFailure) or fails the
//! pod (`Never`).

use std::time::{Duration, Instant};

use super::super::status::{self, State, Terminated};
use super::containers::new_container_id;
use super::restarts::{BACKOFF_MAX, BACKOFF_RESET, BACKOFF_START};
use super::{append, image_id, log_file, Step, Worker};
use crate::store::now;

impl Worker {
    /// Runs the init containers in order, each to completion, restarting a failed one with
    /// back-off. True when all completed, false when the pod is stopping.
    pub(super) async fn run_init_containers(&mut self) -> bool {
        let mut idx = 0;
        let mut backoff = Duration::ZERO;
        let mut pull_backoff = BACKOFF_START;
        while idx < self.view.init.len() {
            if self.stop_request().is_some() {
                return false;
            }
            let Some(pod) = self.pod() else { return false };
            let spec = pod["spec"]["initContainers"][idx].clone();
            let cname = self.view.init[idx].name.clone();
            let c = match self
                .prepare(&pod, &spec, Some(idx), &mut pull_backoff)
                .await
            {
                Step::Ready(c) => c,
                Step::Retry => continue,
                Step::Stop => return false,
            };
            if backoff > Duration::ZERO {
                let pod_ref = format!("{}_{}({})", self.name, self.ns, self.uid);
                self.event_at(
                    &format!("spec.initContainers{{{cname}}}"),
                    "Warning",
                    "BackOff",
                    &format!("Back-off restarting failed container {cname} in pod {pod_ref}"),
                );
                self.init_state(
                    idx,
                    "CrashLoopBackOff",
                    Some(format!(
                        "back-off {} restarting failed container={cname} pod={pod_ref}",
                        status::go_duration(backoff)
                    )),
                );
                if self.sleep_or_stop(backoff).await {
                    return false;
                }
            }
            if self.view.init[idx].last.is_some() {
                self.view.init[idx].restart_count += 1;
            }
            // Events about an init container name it (`spec.initContainers{NAME}`).
            let field = format!("spec.initContainers{{{cname}}}");
            self.pulled(&field, &c.image);
            self.event_at(
                &field,
                "Normal",
                "Created",
                &format!("Created container: {cname}"),
            );
            let started_at = now();
            let container_id = new_container_id(&self.uid);
            {
                let v = &mut self.view.init[idx];
                v.container_id = Some(container_id.clone());
                v.image = c.image.clone();
                v.image_id = image_id(&c.image);
                v.state = State::Running {
                    started_at: started_at.clone(),
                };
            }
            self.publish();
            self.event_at(
                &field,
                "Normal",
                "Started",
                &format!("Started container {cname}"),
            );
            let began = Instant::now();
            let log = log_file(&self.run_dir, &cname, self.view.init[idx].restart_count);
            if let Some(parent) = log.parent() {
                let _ = std::fs::create_dir_all(parent);
            }
            let _ = std::fs::remove_file(&log);
            let code = match self.start_process(&c, log.clone()).await {
                Ok(mut started) => {
                    let stopping = self.stopping();
                    tokio::select! {
                        code = started.process.wait() => code,
                        _ = stopping => {
                            started.process.stop(Duration::from_secs(5)).await;
                            return false;
                        }
                    }
                }
                Err(why) => {
                    append(&log, &format!("labsim: {why}\n"));
                    128
                }
            };
            let t = Terminated::exited(code, started_at, container_id);
            let v = &mut self.view.init[idx];
            v.state = State::Terminated(t.clone());
            v.last = Some(t);
            if code != 0 && pod["spec"]["restartPolicy"] == "Never" {
                // A failed init container of a Never pod fails the pod.
                self.view.final_phase = Some("Failed");
                self.publish();
                self.k.release_ip(&self.uid);
                while !self.sleep_or_stop(Duration::from_secs(3600)).await {}
                return false;
            }
            self.publish();
            if code == 0 {
                idx += 1;
                backoff = Duration::ZERO;
            } else {
                backoff = if began.elapsed() >= BACKOFF_RESET
                    || (backoff.is_zero() && self.view.init[idx].restart_count == 0)
                {
                    Duration::ZERO
                } else {
                    (backoff * 2).clamp(BACKOFF_START, BACKOFF_MAX)
                };
            }
        }
        // The containers start next; the Initialized condition turns True with this publish.
        for c in &mut self.view.containers {
            c.state = State::Waiting {
                reason: "PodInitializing".into(),
                message: None,
            };
        }
        self.publish();
        true
    }

    /// Publishes a waiting state of init container `idx`.
    pub(super) fn init_state(&mut self, idx: usize, reason: &str, message: Option<String>) {
        self.view.init[idx].state = State::Waiting {
            reason: reason.into(),
            message,
        };
        self.publish();
    }
}
