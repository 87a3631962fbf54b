//! Subsonic ids: a track's is its UUID (as in `/api/v1`); an artist's and an album's carry
//! their names (`ar-…`, `al-…`, base64url), so that no table of ids is needed and an id stays
//! the same across scans.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use soiree_library::{AlbumKey, TrackId};

const SEPARATOR: char = '\u{1F}';

/// What an id names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Id {
    Track(TrackId),
    Artist(String),
    Album(AlbumKey),
    /// The one music folder.
    Folder,
}

pub(crate) fn artist(name: &str) -> String {
    format!("ar-{}", URL_SAFE_NO_PAD.encode(name))
}

pub(crate) fn album(key: &AlbumKey) -> String {
    format!(
        "al-{}",
        URL_SAFE_NO_PAD.encode(format!("{}{SEPARATOR}{}", key.artist, key.title))
    )
}

pub(crate) fn track(id: TrackId) -> String {
    id.as_uuid().to_string()
}

/// The folder's id in `getMusicFolders`.
pub(crate) const FOLDER: &str = "1";

pub(crate) fn parse(id: &str) -> Option<Id> {
    let decoded = |encoded: &str| {
        URL_SAFE_NO_PAD
            .decode(encoded)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
    };
    if id == FOLDER {
        return Some(Id::Folder);
    }
    if let Some(encoded) = id.strip_prefix("ar-") {
        return decoded(encoded).map(Id::Artist);
    }
    if let Some(encoded) = id.strip_prefix("al-") {
        let text = decoded(encoded)?;
        let (artist, title) = text.split_once(SEPARATOR)?;
        return Some(Id::Album(AlbumKey {
            artist: artist.to_owned(),
            title: title.to_owned(),
        }));
    }
    uuid::Uuid::parse_str(id)
        .ok()
        .map(|uuid| Id::Track(TrackId::from_uuid(uuid)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_name_what_they_stand_for_and_read_back() {
        let key = AlbumKey {
            artist: "Sigur Rós".into(),
            title: "( )".into(),
        };
        assert_eq!(parse(&album(&key)), Some(Id::Album(key)));
        assert_eq!(parse(&artist("AC/DC")), Some(Id::Artist("AC/DC".into())));
        let id = TrackId::generate();
        assert_eq!(parse(&track(id)), Some(Id::Track(id)));
        assert_eq!(parse(FOLDER), Some(Id::Folder));
        assert_eq!(parse("ar-%%%"), None);
        assert_eq!(parse("nonsense"), None);
    }
}
