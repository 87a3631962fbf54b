//! Playback failures in words and statuses: the one place that says what a failure of the host's
//! (or a participant's) player means to a person, for problem documents and for room events.

use poem::http::StatusCode;
use soiree_rooms::PlaybackFailure;

use crate::problem::Problem;

/// What a failure is called and what to do about it.
pub(crate) struct Described {
    pub(crate) status: StatusCode,
    pub(crate) title: &'static str,
    pub(crate) detail: String,
}

/// The words and status for a failure (the statuses are those of `/api/v1/player`).
pub(crate) fn describe(failure: PlaybackFailure) -> Described {
    let (status, title, detail) = match failure {
        PlaybackFailure::NoActiveDevice => (
            StatusCode::CONFLICT,
            "No active device",
            "Open Spotify on a device (phone, computer or speaker) and start any song once; the room's tracks then play there.".to_owned(),
        ),
        PlaybackFailure::PremiumRequired => (
            StatusCode::FORBIDDEN,
            "Spotify Premium required",
            "Controlling playback needs a Spotify Premium account.".to_owned(),
        ),
        PlaybackFailure::NotConnected => (
            StatusCode::CONFLICT,
            "Not connected",
            "Spotify is not connected: connect it on the Connect page (/connect), then try again.".to_owned(),
        ),
        PlaybackFailure::NeedsReconnect => (
            StatusCode::CONFLICT,
            "Connect again",
            "Spotify no longer accepts the connection: connect it again on the Connect page (/connect).".to_owned(),
        ),
        PlaybackFailure::RateLimited { retry_after } => (
            StatusCode::TOO_MANY_REQUESTS,
            "Spotify asks to wait",
            format!(
                "Spotify is limiting requests; try again in {} seconds.",
                retry_after.as_secs().max(1)
            ),
        ),
        PlaybackFailure::Unavailable => (
            StatusCode::SERVICE_UNAVAILABLE,
            "Spotify is unavailable",
            "Spotify could not be reached or failed; try again in a moment.".to_owned(),
        ),
        PlaybackFailure::Refused => (
            StatusCode::CONFLICT,
            "Not allowed right now",
            "Spotify refused the command (the device or the track does not allow it right now).".to_owned(),
        ),
    };
    Described {
        status,
        title,
        detail,
    }
}

/// A failure as a problem document; with the seconds to wait when it is a rate limit.
pub(crate) fn playback_problem(failure: PlaybackFailure) -> (Problem, Option<u64>) {
    let described = describe(failure);
    let problem = Problem::new(
        described.status,
        failure.code(),
        described.title,
        described.detail,
    );
    let wait = failure
        .retry_after()
        .map(|retry_after| retry_after.as_secs().max(1));
    (problem, wait)
}
