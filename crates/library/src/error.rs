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

/// Why a track could not be streamed.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    /// No such track, or not one the caller may see.
    #[error("no such track in your library; search with GET /api/v1/songs")]
    NotFound,
    /// A music service's track: it has no file here and plays through the service.
    #[error(
        "this track has no file here: it plays through its music service ({uri}); add it to a room or play it in the service's app"
    )]
    NoFile {
        /// The service's address of the track.
        uri: String,
    },
    /// A failure of storage.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

impl From<TrackError> for StreamError {
    fn from(error: TrackError) -> Self {
        match error {
            TrackError::NotFound => Self::NotFound,
            TrackError::Unknown(error) => Self::Unknown(error),
        }
    }
}
