//! Sends one call to the kernel's engine and prints its output lines as they arrive.
//!
//! The engine (kubelab-core inside the kernel process) lives as long as the kernel: one runtime,
//! one client, SQL sessions and watches that outlive cells. A cell only holds this small client,
//! which connects to the socket the kernel names in `KUBELAB_SOCKET`.

use std::io::{BufReader, Write};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use crate::wire::{read_frame, write_frame, Frame, Value};
use crate::Error;

/// The environment variable holding the engine's socket path (set by the kernel).
pub const SOCKET_ENV: &str = "KUBELAB_SOCKET";

/// Longest a call may take: every engine step has its own shorter timeout (300 s at most), so
/// this only ends a call whose kernel stopped answering.
const CALL_LIMIT: Duration = Duration::from_secs(900);

/// Runs `op` with `args` in the engine, printing its lines, and returns its value.
pub fn call(op: &str, args: &[&str]) -> Result<Value, Error> {
    let path = std::env::var_os(SOCKET_ENV).ok_or_else(|| {
        Error::new(
            "커널 밖에서 실행",
            "kubelab 엔진에 연결할 수 없습니다: KUBELAB_SOCKET이 설정되지 않았습니다.\n\
             → 'Rust (StatefulSet 실습)' 커널(make lab) 또는 make repl 안에서 실행하세요.",
        )
    })?;
    let lost = |e: std::io::Error| {
        Error::new(
            "커널 엔진 연결 끊김",
            format!(
                "kubelab 엔진과의 연결이 끊겼습니다 ({e}).\n→ 커널을 다시 시작하세요 (Kernel → Restart Kernel)."
            ),
        )
    };
    let mut stream = UnixStream::connect(&path).map_err(lost)?;
    stream.set_read_timeout(Some(CALL_LIMIT)).map_err(lost)?;
    let mut frame = vec![op.to_string()];
    frame.extend(args.iter().map(|a| a.to_string()));
    write_frame(&mut stream, &Frame::Call(frame)).map_err(lost)?;
    let mut reader = BufReader::new(stream);
    let stdout = std::io::stdout();
    loop {
        match read_frame(&mut reader).map_err(lost)? {
            Some(Frame::Out(line)) => {
                let mut o = stdout.lock();
                let _ = writeln!(o, "{line}");
                let _ = o.flush();
            }
            Some(Frame::Value(v)) => return Ok(v),
            Some(Frame::Failure { name, message }) => return Err(Error::new(&name, message)),
            Some(Frame::Call(_)) => return Err(lost(std::io::Error::other("unexpected call"))),
            None => return Err(lost(std::io::Error::other("no reply"))),
        }
    }
}
