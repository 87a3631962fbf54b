//! The name of a track at a provider, shared by rooms, voting and the library.

use std::fmt;

/// A track URI: `spotify:track:{22 base-62 characters}` or `soundcloud:tracks:{digits}`. A
/// Spotify share link (`https://open.spotify.com/track/{id}?si=...`, with or without a locale
/// such as `/intl-fr/`) is read as the URI it names.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TrackRef(String);

/// Why a track URI was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidTrackRef;

impl fmt::Display for InvalidTrackRef {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(
            "a track is a Spotify link (https://open.spotify.com/track/...), spotify:track:{22 letters or digits}, or soundcloud:tracks:{digits}",
        )
    }
}

impl std::error::Error for InvalidTrackRef {}

impl TrackRef {
    /// Parses a track URI or a Spotify share link.
    pub fn parse(text: &str) -> Result<Self, InvalidTrackRef> {
        let text = text.trim();
        if let Some(id) = spotify_link_id(text) {
            return Self::parse(&format!("spotify:track:{id}"));
        }
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

/// The track id of a Spotify share link, if `text` is one.
fn spotify_link_id(text: &str) -> Option<&str> {
    let rest = text
        .strip_prefix("https://open.spotify.com/")
        .or_else(|| text.strip_prefix("http://open.spotify.com/"))
        .or_else(|| text.strip_prefix("open.spotify.com/"))?;
    let rest = match rest.split_once('/') {
        Some((locale, rest)) if locale.starts_with("intl-") => rest,
        _ => rest,
    };
    let id = rest.strip_prefix("track/")?;
    Some(id.split(['?', '#', '/']).next().unwrap_or_default())
}

/// What people see of a track: its names, its artwork and its length, as the provider describes
/// it. Stored once per track and shown wherever the track appears.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackInfo {
    /// The track.
    pub track: TrackRef,
    /// Its title.
    pub title: String,
    /// Its artists, in the provider's order.
    pub artists: Vec<String>,
    /// Its album, if any.
    pub album: Option<String>,
    /// An image of its album, if the provider has one.
    pub artwork_url: Option<String>,
    /// Its length.
    pub duration_ms: u64,
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
                true,
            ),
            (
                "https://open.spotify.com/intl-fr/track/4uLU6hMCjMI75M1A2tKUQC?si=abc123",
                true,
            ),
            ("open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC#x", true),
            (
                "https://open.spotify.com/album/4uLU6hMCjMI75M1A2tKUQC",
                false,
            ),
            ("https://open.spotify.com/track/short", false),
            ("https://evil.example/track/4uLU6hMCjMI75M1A2tKUQC", false),
        ];
        for (text, valid) in cases {
            assert_eq!(TrackRef::parse(text).is_ok(), valid, "{text}");
        }
        assert_eq!(
            TrackRef::parse("https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC?si=1")
                .map(|track| track.as_str().to_owned()),
            Ok("spotify:track:4uLU6hMCjMI75M1A2tKUQC".to_owned()),
            "a share link is stored as the URI it names"
        );
    }
}
