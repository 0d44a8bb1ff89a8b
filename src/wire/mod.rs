//! The protocol between a cell and the kernel's engine: length-prefixed frames over a Unix socket.
//!
//! A cell sends one [`Call`](crate::Call) (`Call::into_frame`) and reads frames until a `Value`
//! or a `Failure`: `Out` frames are lines to print as they come (the kubectl command, watch
//! lines). A `Value` is a result: its text and HTML plus its data as named fields, which each
//! result type writes and reads beside its definition ([`Data`], in `results.rs`). Std only:
//! the engine (kubelab-core) builds its results from the same types.
//!
//! - `frame.rs`: [`Frame`] and its bytes ([`write_frame`], [`read_frame`]).
//! - `fields.rs`: [`Value`] and its [`Field`]s, the [`Wire`] form of each field type, the [`Data`]
//!   trait of a result, and `data!`, which writes a result's struct and its encode/decode at once.

pub(crate) mod fields;
mod frame;

pub(crate) use fields::{data, names};
pub use fields::{Data, Field, Value, Wire};
pub use frame::{body_len, read_frame, write_frame, Frame};

/// A reply the cell could not read: a cell and an engine of different versions.
pub(crate) fn mismatch(what: impl std::fmt::Display) -> crate::Error {
    crate::Error::new(
        "잘못된 응답",
        format!(
            "kubelab 엔진의 응답을 읽지 못했습니다 ({what}).\n→ 셀의 kubelab과 커널의 버전이 다를 수 있습니다: make setup 후 커널을 다시 시작하세요."
        ),
    )
}
