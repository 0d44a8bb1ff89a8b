//! Where kubelab's printed lines go: to the caller's sink when one is set for the running task
//! (the kernel streams them to the notebook cell that made the call), else to stdout.
//!
//! kubelab prints as it works (the kubectl command first, watch lines as they happen), so the
//! output is a stream, not part of a call's result. A tokio task-local keeps concurrent calls
//! (two notebooks on one kernel service, tests) from mixing their lines.

use std::future::Future;

use tokio::sync::mpsc::UnboundedSender;

/// Receives each printed line (without its trailing newline; a line may contain newlines).
pub type Sink = UnboundedSender<String>;

tokio::task_local! {
    static SINK: Sink;
}

/// Prints one line (or block of lines) to the current sink, or to stdout without one.
pub fn line(text: impl Into<String>) {
    let text = text.into();
    // no sink: stdout; a sink whose receiver is gone (silenced, or the caller left): dropped
    if SINK.try_with(|sink| sink.send(text.clone())).is_err() {
        println!("{text}");
    }
}

/// Prints `$ cmd`: the kubectl command a step stands for.
pub fn cmd(cmd: &str) {
    line(format!("$ {cmd}"));
}

/// Runs `fut` with its printed lines dropped (a step made of other steps prints its own command).
pub async fn silenced<F: Future>(fut: F) -> F::Output {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    drop(rx);
    SINK.scope(tx, fut).await
}

/// Runs `fut` with its printed lines sent to `sink`.
pub async fn scoped<F: Future>(sink: Sink, fut: F) -> F::Output {
    SINK.scope(sink, fut).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn lines_go_to_the_scoped_sink_in_order() {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        scoped(tx, async {
            cmd("kubectl get pods");
            tokio::task::yield_now().await;
            line("a\nb");
        })
        .await;
        assert_eq!(rx.recv().await.as_deref(), Some("$ kubectl get pods"));
        assert_eq!(rx.recv().await.as_deref(), Some("a\nb"));
        assert!(
            rx.recv().await.is_none(),
            "the sink is dropped with the scope"
        );
    }
}
