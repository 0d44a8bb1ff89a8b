// prelude.rs: Rust code evcxr runs when the kernel starts, so every notebook cell can call the
// lab steps (start_cluster(), pods(), mysql("mysql-0"), ...) without a `use` line of its own.
use kubelab::prelude::*;
