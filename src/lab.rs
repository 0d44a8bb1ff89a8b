//! `Lab`: the lab steps as `async` methods, for cells that use `.await` (evcxr runs such a cell
//! in its own tokio runtime). The methods come from the `steps!` table in `lib.rs`, each the free
//! function of the same name: the engine does the waiting, so awaiting one only hands the
//! result back.

use crate::results::NoteData;
use crate::show::Shown;
use crate::{send, Call, Result};

/// A connection to the lab cluster, checked when made (`Lab::connect().await?`).
#[derive(Debug, Clone, Copy)]
pub struct Lab {
    _private: (),
}

impl Lab {
    /// Connects to the current kube context (only lab clusters unless `allow_context`).
    pub async fn connect() -> Result<Lab> {
        let _: Shown<NoteData> = send(Call::Connect {})?;
        Ok(Lab { _private: () })
    }
}
