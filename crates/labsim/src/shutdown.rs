//! A cloneable shutdown signal: `labsim down`, Ctrl-C or a test's drop flips it once and every
//! task (server, controllers, kubelet) sees it.

use tokio::sync::watch;

/// The sending side; dropping it also signals shutdown.
pub struct Trigger(watch::Sender<bool>);

/// The receiving side, cloned into every task.
#[derive(Clone)]
pub struct Shutdown(watch::Receiver<bool>);

/// A connected pair.
pub fn channel() -> (Trigger, Shutdown) {
    let (tx, rx) = watch::channel(false);
    (Trigger(tx), Shutdown(rx))
}

impl Trigger {
    pub fn fire(&self) {
        let _ = self.0.send(true);
    }
}

impl Shutdown {
    /// Resolves once shutdown was signalled (or the trigger dropped).
    pub async fn wait(&self) {
        let mut rx = self.0.clone();
        while !*rx.borrow_and_update() {
            if rx.changed().await.is_err() {
                return;
            }
        }
    }

    pub fn is_set(&self) -> bool {
        *self.0.borrow()
    }
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn fires_and_drops() {
        let (t, s) = super::channel();
        assert!(!s.is_set());
        t.fire();
        s.wait().await;
        let (t, s) = super::channel();
        drop(t);
        s.wait().await;
    }
}
