//! Running cells: evcxr compiles and runs each cell; this decides what the learner sees of it.
//!
//! Shared by the Jupyter kernel and the REPL. Two things evcxr alone does not do, and why:
//! - **Output in its own cell.** evcxr hands a cell's stdout and stderr over on channels that it
//!   does not wait for, so a failed call's message could arrive after the cell was reported done
//!   and land under the next cell. Here one pump thread delivers both in order, and a cell ends
//!   only after the pump has delivered everything the cell wrote (see `settle`).
//! - **A failed step fails its cell.** evcxr reports a `?` error or a panic as stderr text with
//!   status "ok". Here a cell that wrote to stderr has failed: a kubelab call's failure becomes an
//!   error with its Korean name and message (the engine says which), a panic or other error text
//!   becomes an error too, so Jupyter marks the cell and Run All stops there.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Select, Sender};
use evcxr::CommandContext;

use crate::engine::Engine;
use crate::verdict::{judge, CellError, CellOutput};

/// Where a cell's live output goes (Jupyter stream messages, or the terminal).
pub trait Output: Send + Sync {
    /// A line the cell printed to stdout.
    fn stdout(&self, line: &str);
}

enum Msg {
    /// Acknowledge once everything received before this has been delivered.
    Flush(Sender<usize>),
}

/// The pump: delivers stdout lines as they come, keeps stderr lines for the end of the cell.
struct Pump {
    control: Sender<Msg>,
    stderr: Arc<Mutex<Vec<String>>>,
    output: Arc<Mutex<Option<Arc<dyn Output>>>>,
}

impl Pump {
    fn start(stdout: Receiver<String>, stderr_rx: Receiver<String>) -> Pump {
        let (control, control_rx) = crossbeam_channel::unbounded::<Msg>();
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let output: Arc<Mutex<Option<Arc<dyn Output>>>> = Arc::new(Mutex::new(None));
        let (kept, out) = (stderr.clone(), output.clone());
        std::thread::Builder::new()
            .name("cell-output".into())
            .spawn(move || {
                let mut sel = Select::new();
                let i_out = sel.recv(&stdout);
                let i_err = sel.recv(&stderr_rx);
                let i_ctl = sel.recv(&control_rx);
                loop {
                    let op = sel.select();
                    match op.index() {
                        i if i == i_out => match op.recv(&stdout) {
                            Ok(line) => {
                                if let Some(o) = lock(&out).clone() {
                                    o.stdout(&line);
                                }
                            }
                            Err(_) => return,
                        },
                        i if i == i_err => match op.recv(&stderr_rx) {
                            Ok(line) => lock(&kept).push(line),
                            Err(_) => return,
                        },
                        _ => match op.recv(&control_rx) {
                            Ok(Msg::Flush(ack)) => {
                                let _ = ack.send(lock(&kept).len());
                            }
                            Err(_) => return,
                        },
                    }
                    let _ = i_ctl;
                }
            })
            .expect("cell-output thread");
        Pump {
            control,
            stderr,
            output,
        }
    }

    /// Waits until the pump has handled everything it received so far; returns the number of
    /// stderr lines kept.
    fn flush(&self) -> usize {
        let (tx, rx) = crossbeam_channel::bounded(1);
        if self.control.send(Msg::Flush(tx)).is_err() {
            return lock(&self.stderr).len();
        }
        rx.recv_timeout(Duration::from_secs(5)).unwrap_or(0)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Bytes waiting in the pipe behind the runner's stderr (0 when unknown). The runner wrote its
/// stderr before it reported the cell done; once the pipe is empty evcxr's reader has it.
fn stderr_pipe_pending(pid: u32) -> usize {
    use std::os::fd::AsRawFd;
    let Ok(f) = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags_nonblock()
        .open(format!("/proc/{pid}/fd/2"))
    else {
        return 0;
    };
    let mut n: libc::c_int = 0;
    // SAFETY: FIONREAD writes one c_int; the fd is open for the duration of the call. The fd
    // is only asked for its count, never read, so no byte is taken from evcxr's reader.
    let rc = unsafe { libc::ioctl(f.as_raw_fd(), libc::FIONREAD, &mut n) };
    if rc == 0 {
        n.max(0) as usize
    } else {
        0
    }
}

trait NonBlock {
    fn custom_flags_nonblock(&mut self) -> &mut Self;
}

impl NonBlock for std::fs::OpenOptions {
    fn custom_flags_nonblock(&mut self) -> &mut Self {
        use std::os::unix::fs::OpenOptionsExt;
        self.custom_flags(libc::O_NONBLOCK)
    }
}

/// The cell runner of one kernel (or REPL).
pub struct Cells {
    ctx: CommandContext,
    pump: Pump,
    engine: Arc<Engine>,
    async_on: bool,
}

/// The first execution: the kubelab crate and its prelude, in one build, and one `?`.
///
/// evcxr wraps cells for `?` only after a cell failed to compile with E0277 because of one, and
/// it applies every fix of that round together: in a fresh kernel the first `nodes()?` also
/// lost its `evcxr_display` call to the `Debug` fallback (the "first result printed as Debug").
/// A `?` here turns the wrapping on before any cell shows a result.
pub fn init_code(crate_dir: &str) -> String {
    format!(
        ":dep kubelab = {{ path = {crate_dir:?} }}\nuse kubelab::prelude::*;\nOk::<(), kubelab::Error>(())?;"
    )
}

impl Cells {
    /// Starts evcxr's runner process and loads kubelab (one build).
    pub fn start(engine: Arc<Engine>, init: &str) -> Result<Cells, String> {
        let (ctx, outputs) = CommandContext::new().map_err(|e| e.to_string())?;
        let pump = Pump::start(outputs.stdout, outputs.stderr);
        let mut cells = Cells {
            ctx,
            pump,
            engine,
            async_on: false,
        };
        let out = cells.run(init, None);
        if let Some(e) = out.error {
            return Err(format!("{}: {}", e.error.name(), e.error.message()));
        }
        Ok(cells)
    }

    /// The runner's process (to interrupt or kill a cell stuck in user code).
    pub fn process(&self) -> Arc<Mutex<std::process::Child>> {
        self.ctx.process_handle()
    }

    /// Completions at `cursor` (in characters, as Jupyter counts): (start, end, matches).
    pub fn complete(&mut self, code: &str, cursor: usize) -> Option<(usize, usize, Vec<String>)> {
        let byte = |chars: usize| {
            code.char_indices()
                .nth(chars)
                .map_or(code.len(), |(b, _)| b)
        };
        let chars = |bytes: usize| code[..bytes.min(code.len())].chars().count();
        let c = self.ctx.completions(code, byte(cursor)).ok()?;
        let matches = c.completions.into_iter().map(|c| c.code).collect();
        Some((chars(c.start_offset), chars(c.end_offset), matches))
    }

    /// Runs one cell, sending its stdout to `output` as it comes.
    pub fn run(&mut self, code: &str, output: Option<Arc<dyn Output>>) -> CellOutput {
        *lock(&self.pump.output) = output;
        lock(&self.pump.stderr).clear();
        let _ = self.engine.take_failures();
        if !self.async_on && code.contains(".await") {
            // Same trap as `?` (see init_code): the first `.await` turns evcxr's async mode on in
            // the round that would also give the cell's result the `Debug` fallback. A cell of
            // its own takes that round (and the one-time tokio build a first `.await` costs).
            let _ = self.ctx.execute("async {}.await;");
            self.settle();
            lock(&self.pump.stderr).clear();
            self.async_on = true;
        }
        let result = self.ctx.execute(code);
        self.settle();
        *lock(&self.pump.output) = None;
        let stderr = std::mem::take(&mut *lock(&self.pump.stderr));
        let failures = self.engine.take_failures();
        match result {
            Ok(outputs) => CellOutput {
                data: outputs.content_by_mime_type.into_iter().collect(),
                error: judge(&stderr, &failures),
            },
            Err(e) => CellOutput {
                data: Vec::new(),
                error: Some(evcxr_error(&e, &stderr)),
            },
        }
    }

    /// Waits until everything the cell wrote has reached the pump: stdout is handed over before
    /// evcxr returns; stderr until its pipe is empty and no line came for a moment.
    fn settle(&self) {
        let pid = lock(&self.ctx.process_handle()).id();
        let start = Instant::now();
        let mut seen = self.pump.flush();
        while start.elapsed() < Duration::from_millis(500) {
            if stderr_pipe_pending(pid) > 0 {
                std::thread::sleep(Duration::from_millis(2));
                seen = self.pump.flush();
                continue;
            }
            std::thread::sleep(Duration::from_millis(5));
            let now = self.pump.flush();
            if now == seen {
                return;
            }
            seen = now;
        }
    }
}

fn evcxr_error(e: &evcxr::Error, stderr: &[String]) -> CellError {
    match e {
        evcxr::Error::CompilationErrors(errors) => {
            let mut lines = Vec::new();
            for err in errors {
                lines.extend(err.rendered().lines().map(str::to_string));
            }
            let message = errors
                .iter()
                .map(|e| e.message())
                .collect::<Vec<_>>()
                .join("\n");
            CellError::new("컴파일 오류", message, lines)
        }
        other => {
            let mut lines: Vec<String> = stderr.to_vec();
            lines.push(other.to_string());
            CellError::new("실행 오류", other.to_string(), lines)
        }
    }
}
