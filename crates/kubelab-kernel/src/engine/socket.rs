//! The engine's socket: one connection per call. Reads the `Call` frame, runs it as a task whose
//! printed lines stream back as `Out` frames, then answers with a `Value` or a `Failure`.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use kubelab::wire::{body_len, read_frame, write_frame, Frame};
use kubelab::{Call, Error};
use kubelab_core as core;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};

use super::{lock, ops, Engine};

/// Serves calls on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: UnixListener,
    engine: Arc<Engine>,
    shutdown: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    tokio::spawn(handle(stream, engine.clone()));
                }
                // out of file descriptors and the like: keep serving the calls that can be
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
            },
        }
    }
}

async fn read_call(stream: &mut UnixStream) -> std::io::Result<Result<Call, Error>> {
    let mut head = [0u8; 5];
    stream.read_exact(&mut head).await?;
    let mut buf = head.to_vec();
    buf.resize(5 + body_len(&head)?, 0);
    stream.read_exact(&mut buf[5..]).await?;
    match read_frame(&mut &buf[..])? {
        Some(frame) => Ok(Call::from_frame(frame)),
        None => Err(std::io::Error::other("no call")),
    }
}

async fn send(stream: &mut UnixStream, frame: &Frame) -> std::io::Result<()> {
    let mut buf = Vec::new();
    write_frame(&mut buf, frame)?;
    stream.write_all(&buf).await
}

fn panic_failure(e: tokio::task::JoinError) -> Error {
    if e.is_cancelled() {
        return Error::new(
            "중단됨",
            "실행을 중단했습니다 (Interrupt). 클러스터에는 중단 전까지의 변경이 남아 있을 수 있습니다.\n→ pods()? 로 상태를 확인하고 필요한 단계를 다시 실행하세요.",
        );
    }
    let why = e
        .try_into_panic()
        .ok()
        .and_then(|p| {
            p.downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        })
        .unwrap_or_default();
    Error::new(
        "kubelab 내부 오류",
        format!(
            "kubelab 안에서 예상하지 못한 오류(panic)가 났습니다: {why}\n→ 같은 셀을 한 번 더 실행해 보고, 계속되면 커널을 다시 시작하세요 (Kernel → Restart Kernel)."
        ),
    )
}

async fn handle(mut stream: UnixStream, engine: Arc<Engine>) {
    let call = match read_call(&mut stream).await {
        Ok(Ok(call)) => call,
        Ok(Err(bad)) => {
            engine.note_failure(&bad);
            let _ = send(&mut stream, &Frame::Failure(bad)).await;
            return;
        }
        Err(_) => return,
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let task = tokio::spawn(core::out::scoped(tx, ops::run(engine.clone(), call)));
    let id = engine.next_id.fetch_add(1, Ordering::Relaxed) + 1;
    lock(&engine.running).insert(id, task.abort_handle());
    let abort = task.abort_handle();
    // Lines first, in order, until the task drops its sink by finishing.
    let mut client_gone = false;
    while let Some(line) = rx.recv().await {
        if !client_gone && send(&mut stream, &Frame::Out(line)).await.is_err() {
            // the cell is gone (kernel restarted its runner): stop the work it asked for
            client_gone = true;
            abort.abort();
        }
    }
    let result = task.await;
    lock(&engine.running).remove(&id);
    let failure = match result {
        Ok(Ok(v)) => {
            let _ = send(&mut stream, &Frame::Value(v)).await;
            return;
        }
        Ok(Err(f)) => f,
        Err(e) => panic_failure(e),
    };
    engine.note_failure(&failure);
    let _ = send(&mut stream, &Frame::Failure(failure)).await;
}
