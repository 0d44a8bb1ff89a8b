//! The probes of a running container as the kubelet schedules them: the startup probe until it
//! passes, then liveness and readiness; a failure is an `Unhealthy` event.

use std::time::Instant;

use super::super::probes::{self, Probes, Scheduled, Verdict};
use super::super::PodRuntime;
use super::Worker;

impl Worker {
    /// Runs the probes that are due. Returns the kind of a probe whose failure restarts the
    /// container.
    pub(super) async fn run_due_probes(
        &mut self,
        probes: &mut Probes,
        rt: &PodRuntime,
    ) -> Option<&'static str> {
        let now_i = Instant::now();
        let env = &probes.static_env;
        if !self.c().started {
            let startup = probes
                .startup
                .as_mut()
                .and_then(|p| p.due(now_i).then_some(p))?;
            match self.probe("Startup", startup, rt, env).await {
                Verdict::Pass => {
                    self.cm().started = true;
                    self.publish();
                    let t = Instant::now();
                    for p in [&mut probes.liveness, &mut probes.readiness]
                        .into_iter()
                        .flatten()
                    {
                        p.restart(t);
                    }
                }
                Verdict::Fail => return Some("startup"),
                Verdict::Hold => {}
            }
            return None;
        }
        if let Some(liveness) = probes
            .liveness
            .as_mut()
            .and_then(|p| p.due(now_i).then_some(p))
        {
            if self.probe("Liveness", liveness, rt, env).await == Verdict::Fail {
                return Some("liveness");
            }
        }
        if let Some(readiness) = probes
            .readiness
            .as_mut()
            .and_then(|p| p.due(now_i).then_some(p))
        {
            match self.probe("Readiness", readiness, rt, env).await {
                Verdict::Pass => self.cm().ready = true,
                Verdict::Fail => self.cm().ready = false,
                Verdict::Hold => {}
            }
            self.publish();
        }
        None
    }

    /// Runs one probe; a failure is recorded as an `Unhealthy` event.
    async fn probe(
        &self,
        kind: &str,
        p: &mut Scheduled,
        rt: &PodRuntime,
        env: &[(String, String)],
    ) -> Verdict {
        let r = probes::run(&p.probe, rt, env).await;
        if let Err(out) = &r {
            self.event(
                "Warning",
                "Unhealthy",
                &format!("{kind} probe failed: {out}"),
            );
        }
        p.counter.observe(&p.probe, r.is_ok())
    }
}
