//! The time limit of every single API call (read, write, discovery), in one place: `Lab::call`
//! and `Lab::call_raw` use it, and so does `facts::read` for the checks and pictures.

use std::time::Duration;

/// The time limit of one API call.
pub const API_TIMEOUT: Duration = Duration::from_secs(15);

/// `fut` within [`API_TIMEOUT`]; `Err` says, in Korean, that no answer came in time.
pub async fn in_time<F: std::future::Future>(fut: F) -> Result<F::Output, String> {
    tokio::time::timeout(API_TIMEOUT, fut)
        .await
        .map_err(|_| format!("{}초 안에 응답이 없습니다", API_TIMEOUT.as_secs()))
}
