//! The name of a track at a provider, shared by rooms, voting and the library.

use std::fmt;

/// A track URI: `spotify:track:{22 base-62 characters}` or `soundcloud:tracks:{digits}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TrackRef(String);

/// Why a track URI was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidTrackRef;

impl fmt::Display for InvalidTrackRef {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(
            "a track is spotify:track:{22 letters or digits} or soundcloud:tracks:{digits}",
        )
    }
}

impl std::error::Error for InvalidTrackRef {}

impl TrackRef {
    /// Parses a track URI.
    pub fn parse(text: &str) -> Result<Self, InvalidTrackRef> {
        let text = text.trim();
        let valid = if let Some(id) = text.strip_prefix("spotify:track:") {
            id.len() == 22 && id.chars().all(|c| c.is_ascii_alphanumeric())
        } else if let Some(id) = text.strip_prefix("soundcloud:tracks:") {
            !id.is_empty() && id.len() <= 20 && id.chars().all(|c| c.is_ascii_digit())
        } else {
            false
        };
        valid.then(|| Self(text.to_owned())).ok_or(InvalidTrackRef)
    }

    /// The URI.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is a Spotify track.
    pub fn is_spotify(&self) -> bool {
        self.0.starts_with("spotify:")
    }
}

impl fmt::Display for TrackRef {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn track_uris() {
        let cases = [
            ("spotify:track:4uLU6hMCjMI75M1A2tKUQC", true),
            ("soundcloud:tracks:123456", true),
            ("spotify:track:short", false),
            ("spotify:album:4uLU6hMCjMI75M1A2tKUQC", false),
            ("soundcloud:tracks:", false),
            ("soundcloud:tracks:12a", false),
            (
                "https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC",
                false,
            ),
        ];
        for (text, valid) in cases {
            assert_eq!(TrackRef::parse(text).is_ok(), valid, "{text}");
        }
    }
}
