//! Reading response bodies under a size cap.

use reqwest::Response;

/// Why a body could not be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum BodyError {
    /// The body is (or says it is) longer than the cap; reading stopped there.
    #[error("the response body exceeds the limit of {limit} bytes{}", declared_note(*.declared))]
    TooLarge {
        limit: usize,
        /// The length the server declared in `Content-Length`, if it did.
        declared: Option<u64>,
    },
    /// The connection failed while reading.
    #[error(transparent)]
    Read(#[from] reqwest::Error),
}

fn declared_note(declared: Option<u64>) -> String {
    declared.map_or_else(String::new, |n| format!(" (Content-Length: {n})"))
}

/// Most bytes reserved up front, whatever `Content-Length` claims.
const MAX_RESERVE: usize = 1 << 20;

/// Reads the whole body of `response`, piece by piece, and gives up as soon as it would
/// exceed `limit` bytes: a declared `Content-Length` above the limit fails before anything is
/// read, and an undeclared or endless body fails at the first piece past it.
pub(crate) async fn read_capped(
    mut response: Response,
    limit: usize,
) -> Result<Vec<u8>, BodyError> {
    let declared = response.content_length();
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(BodyError::TooLarge { limit, declared });
    }
    let reserve = declared.map_or(0, |n| n as usize).min(MAX_RESERVE);
    let mut body = Vec::with_capacity(reserve);
    while let Some(chunk) = response.chunk().await? {
        if chunk.len() > limit - body.len() {
            return Err(BodyError::TooLarge { limit, declared });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
