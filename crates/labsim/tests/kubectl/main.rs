//! labsim judged by the real clients, `kubectl` (through `/usr/bin/kubectl`, which picks kubectl
//! 1.33 by the server's /version) and kube-rs, against a cluster started in this process: the
//! API (`api.rs`) and the wire features beyond CRUD (`wire.rs`). One test binary, one `Lab`.

mod api;
mod lab;
mod wire;
