//! One error enum per operation.

/// Why a track could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TrackError {
    /// No such track, or not one the caller may see (the same answer, so that ids reveal
    /// nothing).
    #[error("no such track in your library; search with GET /api/v1/songs")]
    NotFound,
    /// A failure of storage.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}
