//! How a container process's end reads as an exit code.

/// The exit code a shell reports: the process's own, or 128 + the signal that killed it.
pub fn exit_code(st: std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    st.code().unwrap_or_else(|| 128 + st.signal().unwrap_or(9))
}
