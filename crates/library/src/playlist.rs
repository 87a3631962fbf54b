//! Playlists: a person's ordered lists of tracks from the library and from providers, within
//! their tier's playlist quota, seen and changed by their owner only.

use std::sync::Arc;

use soiree_kernel::{Clock, Timestamp, TrackRef, UserId};
use uuid::Uuid;

use crate::model::TrackId;
use crate::ports::{PlaylistAllowance, PlaylistRepository, TrackRepository};

/// A playlist's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PlaylistId(Uuid);

/// An entry's id within its playlist (the same track may be in a playlist twice).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntryId(Uuid);

macro_rules! uuid_id {
    ($name:ident) => {
        impl $name {
            /// A fresh, time-ordered id.
            pub fn generate() -> Self {
                Self(Uuid::now_v7())
            }
            /// Wraps a stored or requested id.
            pub fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }
            /// The UUID.
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }
    };
}
uuid_id!(PlaylistId);
uuid_id!(EntryId);

/// A playlist's name: 1 to 100 characters, no control characters, trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaylistName(String);

/// Why a playlist name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a playlist's name has 1 to 100 characters and no control characters")]
pub struct InvalidPlaylistName;

impl PlaylistName {
    /// The longest name.
    pub const MAX_CHARS: usize = 100;

    /// Parses a name.
    pub fn parse(text: &str) -> Result<Self, InvalidPlaylistName> {
        let text = text.trim();
        let chars = text.chars().count();
        let fine = (1..=Self::MAX_CHARS).contains(&chars) && !text.chars().any(char::is_control);
        fine.then(|| Self(text.to_owned()))
            .ok_or(InvalidPlaylistName)
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What an entry plays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlaylistItem {
    /// A track of the library.
    Library(TrackId),
    /// A provider's track (`spotify:track:…`).
    Provider(TrackRef),
}

/// One entry of a playlist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaylistEntry {
    /// Its id.
    pub id: EntryId,
    /// What it plays.
    pub item: PlaylistItem,
    /// When it was added.
    pub added_at: Timestamp,
}

/// A playlist with its entries in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Playlist {
    /// Its id.
    pub id: PlaylistId,
    /// Whose it is.
    pub owner: UserId,
    /// Its name.
    pub name: PlaylistName,
    /// When it was made.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
    /// Its entries, in order.
    pub entries: Vec<PlaylistEntry>,
}

/// A playlist as a list of playlists shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaylistSummary {
    /// Its id.
    pub id: PlaylistId,
    /// Its name.
    pub name: PlaylistName,
    /// How many entries.
    pub entries: u32,
    /// When it last changed.
    pub updated_at: Timestamp,
}

/// The most entries a playlist holds.
pub const MAX_ENTRIES: usize = 10_000;

/// Why a playlist could not be made.
#[derive(Debug, thiserror::Error)]
pub enum CreatePlaylistError {
    /// The owner has as many playlists as their tier allows.
    #[error(
        "you have {limit} playlists, as many as your tier allows; delete one, or ask for a bigger tier"
    )]
    QuotaExceeded {
        /// The limit.
        limit: u32,
    },
    /// A failure of storage.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// Why a playlist could not be read or changed.
#[derive(Debug, thiserror::Error)]
pub enum PlaylistError {
    /// No such playlist among the caller's (another person's are not theirs to see).
    #[error("no such playlist among yours; list them with GET /api/v1/playlists")]
    NotFound,
    /// No such entry in the playlist.
    #[error("no such entry in this playlist; read it again with GET /api/v1/playlists/{{id}}")]
    EntryNotFound,
    /// A library track the caller cannot see, or that does not exist.
    #[error("no such track in your library; search with GET /api/v1/songs")]
    UnknownTrack,
    /// The playlist would hold more than [`MAX_ENTRIES`].
    #[error("a playlist holds at most 10 000 entries")]
    TooManyEntries,
    /// A new order that does not list every entry exactly once.
    #[error("the new order must list every entry of the playlist exactly once")]
    OrderMismatch,
    /// A failure of storage.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// Playlists over their ports.
#[derive(Debug)]
pub struct PlaylistsService {
    playlists: Arc<dyn PlaylistRepository>,
    tracks: Arc<dyn TrackRepository>,
    allowance: Arc<dyn PlaylistAllowance>,
    clock: Arc<dyn Clock>,
}

impl PlaylistsService {
    /// Wires the service.
    pub fn new(
        playlists: Arc<dyn PlaylistRepository>,
        tracks: Arc<dyn TrackRepository>,
        allowance: Arc<dyn PlaylistAllowance>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            playlists,
            tracks,
            allowance,
            clock,
        }
    }

    /// The owner's playlists, most recently changed first.
    pub async fn list(&self, owner: UserId) -> anyhow::Result<Vec<PlaylistSummary>> {
        self.playlists.playlists_of(owner).await
    }

    /// A new, empty playlist, within the owner's quota (counted atomically: playlists made at
    /// once cannot pass it).
    pub async fn create(
        &self,
        owner: UserId,
        name: PlaylistName,
    ) -> Result<Playlist, CreatePlaylistError> {
        let now = self.clock.now();
        let playlist = Playlist {
            id: PlaylistId::generate(),
            owner,
            name,
            created_at: now,
            updated_at: now,
            entries: Vec::new(),
        };
        let limit = self.allowance.playlists_allowed(owner).await?;
        if !self.playlists.create(&playlist, limit).await? {
            return Err(CreatePlaylistError::QuotaExceeded {
                limit: limit.unwrap_or(u32::MAX),
            });
        }
        Ok(playlist)
    }

    /// The owner's playlist with this id.
    pub async fn get(&self, owner: UserId, id: PlaylistId) -> Result<Playlist, PlaylistError> {
        self.playlists
            .playlist(id)
            .await?
            .filter(|playlist| playlist.owner == owner)
            .ok_or(PlaylistError::NotFound)
    }

    /// Renames the owner's playlist.
    pub async fn rename(
        &self,
        owner: UserId,
        id: PlaylistId,
        name: PlaylistName,
    ) -> Result<Playlist, PlaylistError> {
        self.get(owner, id).await?;
        if !self.playlists.rename(id, &name, self.clock.now()).await? {
            return Err(PlaylistError::NotFound);
        }
        self.get(owner, id).await
    }

    /// Deletes the owner's playlist (the quota is freed at once).
    pub async fn delete(&self, owner: UserId, id: PlaylistId) -> Result<(), PlaylistError> {
        self.get(owner, id).await?;
        if !self.playlists.delete(id).await? {
            return Err(PlaylistError::NotFound);
        }
        Ok(())
    }

    /// Appends items to the owner's playlist; library tracks must be ones the owner may see (a
    /// music service's track of their library is added by its address).
    pub async fn add(
        &self,
        owner: UserId,
        id: PlaylistId,
        items: Vec<PlaylistItem>,
    ) -> Result<Playlist, PlaylistError> {
        let playlist = self.get(owner, id).await?;
        if playlist.entries.len() + items.len() > MAX_ENTRIES {
            return Err(PlaylistError::TooManyEntries);
        }
        let mut checked = Vec::with_capacity(items.len());
        for item in items {
            let PlaylistItem::Library(track) = item else {
                checked.push(item);
                continue;
            };
            let found = self
                .tracks
                .track(track)
                .await?
                .filter(|found| found.source.visible_to(owner))
                .ok_or(PlaylistError::UnknownTrack)?;
            // A music service's track is kept by its address: it plays (and is copied to
            // Spotify) as the service's track, whatever becomes of the library's entry.
            let by_address = found
                .source
                .provider_uri()
                .and_then(|uri| TrackRef::parse(uri).ok());
            checked.push(by_address.map_or(item, PlaylistItem::Provider));
        }
        let items = checked;
        let now = self.clock.now();
        let entries: Vec<PlaylistEntry> = items
            .into_iter()
            .map(|item| PlaylistEntry {
                id: EntryId::generate(),
                item,
                added_at: now,
            })
            .collect();
        if !self.playlists.append(id, &entries, now).await? {
            return Err(PlaylistError::NotFound);
        }
        self.get(owner, id).await
    }

    /// Removes one entry of the owner's playlist.
    pub async fn remove(
        &self,
        owner: UserId,
        id: PlaylistId,
        entry: EntryId,
    ) -> Result<Playlist, PlaylistError> {
        self.get(owner, id).await?;
        if !self
            .playlists
            .remove_entry(id, entry, self.clock.now())
            .await?
        {
            return Err(PlaylistError::EntryNotFound);
        }
        self.get(owner, id).await
    }

    /// Puts the owner's playlist in a new order: `order` lists every entry once.
    pub async fn reorder(
        &self,
        owner: UserId,
        id: PlaylistId,
        order: Vec<EntryId>,
    ) -> Result<Playlist, PlaylistError> {
        let playlist = self.get(owner, id).await?;
        let mut current: Vec<EntryId> = playlist.entries.iter().map(|entry| entry.id).collect();
        let mut asked = order.clone();
        current.sort();
        asked.sort();
        if current != asked {
            return Err(PlaylistError::OrderMismatch);
        }
        if !self.playlists.reorder(id, &order, self.clock.now()).await? {
            return Err(PlaylistError::OrderMismatch);
        }
        self.get(owner, id).await
    }
}

#[cfg(test)]
mod tests {
    use soiree_kernel::SystemClock;

    use super::*;
    use crate::LibraryService;
    use crate::memory::{
        FixedPlaylistAllowance, InMemoryFolder, InMemoryPlaylists, InMemoryTracks,
    };
    use crate::model::{SongQuery, TrackTags};

    struct Harness {
        playlists: PlaylistsService,
        library: LibraryService,
    }

    fn harness(limit: Option<u32>) -> (Harness, std::sync::Arc<InMemoryFolder>) {
        let folder = std::sync::Arc::new(InMemoryFolder::default());
        let tracks = std::sync::Arc::new(InMemoryTracks::default());
        let harness = Harness {
            playlists: PlaylistsService::new(
                std::sync::Arc::new(InMemoryPlaylists::default()),
                tracks.clone(),
                std::sync::Arc::new(FixedPlaylistAllowance(limit)),
                std::sync::Arc::new(SystemClock),
            ),
            library: LibraryService::new(
                folder.clone(),
                tracks,
                std::sync::Arc::new(crate::memory::InMemoryListening::default()),
                std::sync::Arc::new(SystemClock),
            ),
        };
        (harness, folder)
    }

    fn name(text: &str) -> PlaylistName {
        PlaylistName::parse(text).unwrap()
    }

    #[tokio::test]
    async fn the_quota_holds_and_a_deleted_playlist_frees_it() {
        let (h, _) = harness(Some(2));
        let ada = UserId::generate();
        let first = h.playlists.create(ada, name("One")).await.unwrap();
        h.playlists.create(ada, name("Two")).await.unwrap();
        assert!(matches!(
            h.playlists.create(ada, name("Three")).await,
            Err(CreatePlaylistError::QuotaExceeded { limit: 2 })
        ));
        // Another person has their own quota.
        h.playlists
            .create(UserId::generate(), name("Mine"))
            .await
            .unwrap();
        h.playlists.delete(ada, first.id).await.unwrap();
        h.playlists.create(ada, name("Three")).await.unwrap();
        assert_eq!(h.playlists.list(ada).await.unwrap().len(), 2);
    }

    #[tokio::test]
    async fn az_1_only_the_owner_sees_or_changes_a_playlist() {
        let (h, _) = harness(None);
        let ada = UserId::generate();
        let bob = UserId::generate();
        let list = h.playlists.create(ada, name("Ada's")).await.unwrap();
        assert!(matches!(
            h.playlists.get(bob, list.id).await,
            Err(PlaylistError::NotFound)
        ));
        assert!(matches!(
            h.playlists.rename(bob, list.id, name("Bob's now")).await,
            Err(PlaylistError::NotFound)
        ));
        assert!(matches!(
            h.playlists.delete(bob, list.id).await,
            Err(PlaylistError::NotFound)
        ));
        assert!(matches!(
            h.playlists.add(bob, list.id, vec![]).await,
            Err(PlaylistError::NotFound)
        ));
        assert!(h.playlists.list(bob).await.unwrap().is_empty());
        assert_eq!(
            h.playlists.get(ada, list.id).await.unwrap().name.as_str(),
            "Ada's"
        );
    }

    #[tokio::test]
    async fn entries_mix_library_and_provider_tracks_and_are_reordered_and_removed() {
        let (h, folder) = harness(None);
        folder.put("a.flac", TrackTags::titled("A", "Ada"));
        folder.put("b.flac", TrackTags::titled("B", "Bob"));
        h.library.scan(&|_| {}).await.unwrap();
        let ada = UserId::generate();
        let tracks = h
            .library
            .songs(ada, &SongQuery::default())
            .await
            .unwrap()
            .tracks;
        let list = h.playlists.create(ada, name("Mix")).await.unwrap();
        let spotify = TrackRef::parse("spotify:track:4uLU6hMCjMI75M1A2tKUQC").unwrap();
        let filled = h
            .playlists
            .add(
                ada,
                list.id,
                vec![
                    PlaylistItem::Library(tracks[0].id),
                    PlaylistItem::Provider(spotify.clone()),
                    PlaylistItem::Library(tracks[1].id),
                ],
            )
            .await
            .unwrap();
        let ids: Vec<EntryId> = filled.entries.iter().map(|entry| entry.id).collect();
        assert!(matches!(
            h.playlists
                .add(
                    ada,
                    list.id,
                    vec![PlaylistItem::Library(TrackId::generate())]
                )
                .await,
            Err(PlaylistError::UnknownTrack)
        ));
        let reordered = h
            .playlists
            .reorder(ada, list.id, vec![ids[2], ids[0], ids[1]])
            .await
            .unwrap();
        assert_eq!(
            reordered
                .entries
                .iter()
                .map(|entry| entry.id)
                .collect::<Vec<_>>(),
            [ids[2], ids[0], ids[1]]
        );
        assert!(matches!(
            h.playlists
                .reorder(ada, list.id, vec![ids[0], ids[1]])
                .await,
            Err(PlaylistError::OrderMismatch)
        ));
        let removed = h.playlists.remove(ada, list.id, ids[1]).await.unwrap();
        assert_eq!(removed.entries.len(), 2);
        assert!(
            removed
                .entries
                .iter()
                .all(|entry| entry.item != PlaylistItem::Provider(spotify.clone()))
        );
        assert!(matches!(
            h.playlists.remove(ada, list.id, ids[1]).await,
            Err(PlaylistError::EntryNotFound)
        ));
    }

    #[test]
    fn names_are_checked() {
        assert!(PlaylistName::parse("  Road trip  ").is_ok());
        assert_eq!(PlaylistName::parse(" x ").unwrap().as_str(), "x");
        for bad in ["", "   ", "tab\there", &"x".repeat(101)] {
            assert!(PlaylistName::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[tokio::test]
    async fn a_music_services_track_of_the_library_is_added_by_its_address() {
        let (h, _) = harness(None);
        let ada = UserId::generate();
        let uri = "spotify:track:4uLU6hMCjMI75M1A2tKUQC";
        h.library
            .keep_provider_tracks(
                ada,
                vec![crate::ProviderTrack {
                    uri: uri.to_owned(),
                    tags: TrackTags::titled("Never Gonna Give You Up", "Rick Astley"),
                }],
            )
            .await
            .unwrap();
        let kept = h.library.provider_tracks(ada).await.unwrap()[0].id;
        let playlist = h.playlists.create(ada, name("Party")).await.unwrap();
        let added = h
            .playlists
            .add(ada, playlist.id, vec![PlaylistItem::Library(kept)])
            .await
            .unwrap();
        assert_eq!(
            added.entries[0].item,
            PlaylistItem::Provider(TrackRef::parse(uri).unwrap()),
            "it plays, and copies to Spotify, as the service's track"
        );
        // Someone else's cannot be added.
        let bob = UserId::generate();
        let theirs = h.playlists.create(bob, name("Mine")).await.unwrap();
        assert!(matches!(
            h.playlists
                .add(bob, theirs.id, vec![PlaylistItem::Library(kept)])
                .await,
            Err(PlaylistError::UnknownTrack)
        ));
    }
}
