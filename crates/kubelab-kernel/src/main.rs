//! kubelab-kernel: the course's Jupyter kernel and REPL.
//!
//! Crate map: `main.rs` (start-up: folder, engine, cells, front end) → `jupyter/` and `repl.rs`
//! (the two front ends) → `cells.rs` (evcxr runs cells; output in its own cell, failures fail it)
//! → `engine/` (kubelab-core once per kernel, serving the cells' calls on a Unix socket).
//! `workdir.rs` keeps /tmp clean. Why this shape: docs/kernel.md.
//!
//! Usage: `kubelab-kernel jupyter CONNECTION_FILE` (from kernel.json), `kubelab-kernel repl`.

// Without the default `cells` feature only the parts that need no evcxr build (the engine, the
// Jupyter wire, the verdict on a cell, REPL input): `cargo test --no-default-features` tests
// them without compiling rust-analyzer once more.
#![cfg_attr(not(feature = "cells"), allow(dead_code, unused_imports))]

#[cfg(feature = "cells")]
mod cells;
mod engine;
mod input;
mod jupyter;
#[cfg(feature = "cells")]
mod repl;
mod verdict;
mod workdir;

use engine::Engine;

#[cfg(feature = "cells")]
/// The kubelab crate that cells link (a path dependency of evcxr's cell crate).
fn crate_dir() -> String {
    std::env::var("KUBELAB_CRATE").unwrap_or_else(|_| {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        p.canonicalize().unwrap_or(p).to_string_lossy().into_owned()
    })
}

#[cfg(feature = "cells")]
/// Ends this process once its parent is gone (it was reparented).
fn exit_with_parent() {
    // SAFETY: getppid has no preconditions.
    let parent = unsafe { libc::getppid() };
    std::thread::spawn(move || loop {
        std::thread::sleep(std::time::Duration::from_millis(500));
        // SAFETY: as above.
        if unsafe { libc::getppid() } != parent {
            std::process::exit(0);
        }
    });
}

fn fail(msg: &str) -> ! {
    eprintln!("kubelab-kernel: {msg}");
    std::process::exit(2);
}

#[cfg(not(feature = "cells"))]
fn main() {
    fail("built without the `cells` feature (for unit tests only): cargo build --release -p kubelab-kernel");
}

#[cfg(feature = "cells")]
fn main() {
    // evcxr starts this same executable as its cell runner and as a rustc wrapper: those roles
    // take over here and never return. The runner also ends when the kernel is gone, even while
    // a cell is stuck in a loop (evcxr only stops it by closing its stdin, which a busy runner
    // never reads).
    if std::env::var_os("EVCXR_IS_RUNTIME").is_some() {
        exit_with_parent();
    }
    evcxr::runtime_hook();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mode = args.first().map(String::as_str).unwrap_or("");
    match mode {
        "reap" => return workdir::reap(args.get(1).map(String::as_str).unwrap_or("")),
        "jupyter" | "repl" => {}
        _ => fail("사용법: kubelab-kernel jupyter CONNECTION_FILE | kubelab-kernel repl"),
    }
    // Never inherit a build configuration meant for the repo's own build (make test exports
    // CARGO_TARGET_DIR; with it evcxr's builds land elsewhere and a cell fails to load).
    for v in [
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET_DIR",
        "MAKEFLAGS",
        "MFLAGS",
        "MAKELEVEL",
    ] {
        std::env::remove_var(v);
    }
    let work = workdir::WorkDir::create().unwrap_or_else(|e| fail(&format!("/tmp 폴더: {e}")));
    let socket = work.path.join("engine.sock");
    std::env::set_var(kubelab::SOCKET_ENV, &socket);
    // evcxr's settings before its first build: opt level 0 (cells are small; the work runs in
    // the engine), offline (cells need nothing from crates.io), variables kept after a panic.
    let config = work.path.join("config");
    let evcxr_dir = work.path.join("evcxr");
    for d in [&config, &evcxr_dir] {
        std::fs::create_dir_all(d).unwrap_or_else(|e| fail(&format!("{}: {e}", d.display())));
    }
    let opt = std::env::var("KUBELAB_OPT").unwrap_or_else(|_| "0".into());
    std::fs::write(
        config.join("evcxr.toml"),
        format!(
            "[evcxr]\nopt_level = {opt:?}\noffline_mode = true\npreserve_vars_on_panic = true\n"
        ),
    )
    .unwrap_or_else(|e| fail(&format!("evcxr.toml: {e}")));
    std::env::set_var("EVCXR_CONFIG_DIR", &config);
    std::env::set_var("EVCXR_TMPDIR", &evcxr_dir);

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("kubelab-engine")
        .enable_all()
        .build()
        .unwrap_or_else(|e| fail(&format!("tokio: {e}")));
    let engine = Engine::new();
    let listener = rt
        .block_on(async { tokio::net::UnixListener::bind(&socket) })
        .unwrap_or_else(|e| fail(&format!("{}: {e}", socket.display())));
    rt.spawn(engine::serve(
        listener,
        engine.clone(),
        std::future::pending(),
    ));

    let init = cells::init_code(&crate_dir());
    match mode {
        "jupyter" => {
            let conn = jupyter::Connection::read(args.get(1).map(String::as_str).unwrap_or(""))
                .unwrap_or_else(|e| fail(&e));
            // the kernel answers Jupyter at once; cells wait for kubelab to finish loading
            let e2 = engine.clone();
            let starting = rt.spawn_blocking(move || cells::Cells::start(e2, &init));
            if let Err(e) = rt.block_on(jupyter::run(conn, starting, engine)) {
                eprintln!("kubelab-kernel: {e}");
            }
        }
        _ => {
            let cells = cells::Cells::start(engine, &init).unwrap_or_else(|e| fail(&e));
            let runner = cells.process();
            repl::run(cells);
            let _ = runner.lock().map(|mut p| p.kill());
        }
    }
    drop(work);
    // evcxr's runner and any call still running end with the process
    std::process::exit(0);
}
