//! Browsing the catalogue as music apps do: artists (each album's artist, else a track's first
//! artist), their albums, an album's tracks, albums listed by how new, by name, by year, by
//! genre, at random, starred or played; and favourites (stars) and plays, per person.

use soiree_kernel::{Timestamp, UserId};

use crate::error::TrackError;
use crate::model::{Track, TrackId, TrackTags, Viewer};
use crate::search::search_key;
use crate::service::LibraryService;

impl TrackTags {
    /// The artist the track is filed under: the album's artist, else its first artist, else
    /// nobody (an empty name, which pages show as "Unknown artist").
    pub fn main_artist(&self) -> &str {
        self.album_artist
            .as_deref()
            .filter(|artist| !artist.trim().is_empty())
            .or_else(|| self.artists.first().map(String::as_str))
            .unwrap_or_default()
    }
}

/// An album: its main artist and its title (compared by [`search_key`], so that "Abbey Road"
/// and "abbey road" are one album). The title is empty for tracks without an album tag.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AlbumKey {
    /// The main artist, as the tags spell it.
    pub artist: String,
    /// The title, as the tags spell it.
    pub title: String,
}

impl AlbumKey {
    /// The album `track` belongs to.
    pub fn of(track: &Track) -> Self {
        Self {
            artist: track.tags.main_artist().to_owned(),
            title: track.tags.album.clone().unwrap_or_default(),
        }
    }

    /// Whether `track` belongs to this album.
    pub fn holds(&self, track: &Track) -> bool {
        track.tags.main_artist() == self.artist
            && search_key(track.tags.album.as_deref().unwrap_or_default())
                == search_key(&self.title)
    }
}

/// An artist of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtistSummary {
    /// The name (empty: tracks with no artist at all).
    pub name: String,
    /// How many albums are filed under them.
    pub albums: u32,
    /// How many tracks.
    pub tracks: u32,
}

/// An album of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlbumSummary {
    /// Which album.
    pub key: AlbumKey,
    /// How many tracks it has.
    pub tracks: u32,
    /// Their total length in milliseconds.
    pub duration_ms: u64,
    /// The latest year its tracks give.
    pub year: Option<u32>,
    /// A genre its tracks give.
    pub genre: Option<String>,
    /// When its newest track entered the library.
    pub added_at: Timestamp,
    /// Whether a track of it has a cover picture.
    pub has_cover: bool,
}

/// The order of an album list (the Subsonic `getAlbumList2` types).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlbumOrder {
    /// Newest first (by when they entered the library).
    Newest,
    /// By title.
    ByTitle,
    /// By artist, then title.
    ByArtist,
    /// At random.
    Random,
    /// Released between two years (inclusive; the earlier first when `from <= to`, else the
    /// later first).
    ByYear {
        /// The first year.
        from: u32,
        /// The last year.
        to: u32,
    },
    /// Of a genre (case and accents ignored), by title.
    ByGenre(String),
    /// The viewer's starred albums, most recently starred first.
    Starred,
    /// The albums the viewer played most.
    Frequent,
    /// The albums the viewer played last.
    Recent,
}

/// A list of albums.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlbumQuery {
    /// Only this main artist's albums.
    pub artist: Option<String>,
    /// The order.
    pub order: AlbumOrder,
    /// Albums to skip.
    pub offset: u64,
    /// At most this many.
    pub limit: u64,
}

impl AlbumQuery {
    /// The first `limit` albums in `order`.
    pub fn first(order: AlbumOrder, limit: u64) -> Self {
        Self {
            artist: None,
            order,
            offset: 0,
            limit,
        }
    }
}

/// Something a person can star.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Favourite {
    /// A track.
    Track(TrackId),
    /// An album.
    Album(AlbumKey),
    /// An artist, by name.
    Artist(String),
}

/// A person's favourites, with when each was starred, most recent first.
#[derive(Debug, Clone, Default)]
pub struct Favourites {
    /// Tracks.
    pub tracks: Vec<(Track, Timestamp)>,
    /// Albums.
    pub albums: Vec<(AlbumSummary, Timestamp)>,
    /// Artists.
    pub artists: Vec<(ArtistSummary, Timestamp)>,
}

/// What someone is playing now (as their music app said).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NowPlaying {
    /// Who.
    pub user_id: UserId,
    /// The track.
    pub track: Track,
    /// The app, as it named itself.
    pub client: String,
    /// When it started.
    pub started_at: Timestamp,
}

/// How long a "now playing" report counts.
pub const NOW_PLAYING_FOR: chrono::TimeDelta = chrono::TimeDelta::minutes(15);

impl LibraryService {
    /// Every artist `viewer` may see, by name (case and accents ignored).
    pub async fn artists(&self, viewer: impl Into<Viewer>) -> anyhow::Result<Vec<ArtistSummary>> {
        self.tracks.artists(viewer.into()).await
    }

    /// Albums `viewer` may see, as `query` asks.
    pub async fn albums(
        &self,
        viewer: impl Into<Viewer>,
        query: &AlbumQuery,
    ) -> anyhow::Result<Vec<AlbumSummary>> {
        self.tracks.albums(viewer.into(), query).await
    }

    /// An album with its tracks (by disc, number and title), if `viewer` may see any of them.
    pub async fn album(
        &self,
        viewer: impl Into<Viewer>,
        key: &AlbumKey,
    ) -> Result<(AlbumSummary, Vec<Track>), TrackError> {
        let tracks = self.tracks.album_tracks(viewer.into(), key).await?;
        let summary = summarise(key, &tracks).ok_or(TrackError::NotFound)?;
        Ok((summary, tracks))
    }

    /// Up to `count` tracks at random.
    pub async fn random_tracks(
        &self,
        viewer: impl Into<Viewer>,
        count: u32,
    ) -> anyhow::Result<Vec<Track>> {
        self.tracks.random(viewer.into(), count).await
    }

    /// Stars `items` for `viewer` (starring twice is starring once); tracks `viewer` may not see
    /// are refused, and nothing is starred then.
    pub async fn star(&self, viewer: UserId, items: &[Favourite]) -> Result<(), TrackError> {
        for item in items {
            if let Favourite::Track(id) = item {
                self.track(viewer, *id).await?;
            }
        }
        self.listening.star(viewer, items, self.clock.now()).await?;
        Ok(())
    }

    /// Unstars `items` for `viewer` (unstarring what is not starred does nothing).
    pub async fn unstar(&self, viewer: UserId, items: &[Favourite]) -> anyhow::Result<()> {
        self.listening.unstar(viewer, items).await
    }

    /// What `viewer` starred and when, most recent first (to mark lists).
    pub async fn starred_items(
        &self,
        viewer: UserId,
    ) -> anyhow::Result<Vec<(Favourite, Timestamp)>> {
        self.listening.favourites_of(viewer).await
    }

    /// What `viewer` starred, with the details of each (what left the library is left out).
    pub async fn favourites(&self, viewer: impl Into<Viewer>) -> anyhow::Result<Favourites> {
        let viewer = viewer.into();
        let starred = self.listening.favourites_of(viewer.user).await?;
        let track_ids: Vec<TrackId> = starred
            .iter()
            .filter_map(|(item, _)| match item {
                Favourite::Track(id) => Some(*id),
                _ => None,
            })
            .collect();
        let mut tracks: std::collections::HashMap<TrackId, Track> = self
            .tracks(viewer, &track_ids)
            .await?
            .into_iter()
            .map(|track| (track.id, track))
            .collect();
        let artists = self.tracks.artists(viewer).await?;
        let mut favourites = Favourites::default();
        for (item, at) in starred {
            match item {
                Favourite::Track(id) => {
                    if let Some(track) = tracks.remove(&id) {
                        favourites.tracks.push((track, at));
                    }
                }
                Favourite::Album(key) => match self.album(viewer, &key).await {
                    Ok((album, _)) => favourites.albums.push((album, at)),
                    Err(TrackError::NotFound) => {}
                    Err(TrackError::Unknown(error)) => return Err(error),
                },
                Favourite::Artist(name) => {
                    if let Some(artist) = artists.iter().find(|artist| artist.name == name) {
                        favourites.artists.push((artist.clone(), at));
                    }
                }
            }
        }
        Ok(favourites)
    }

    /// Records that `viewer` played a track to its end (`finished`) or is playing it now (from
    /// the app `client`).
    pub async fn played(
        &self,
        viewer: UserId,
        id: TrackId,
        finished: bool,
        client: &str,
    ) -> Result<(), TrackError> {
        self.track(viewer, id).await?;
        let now = self.clock.now();
        if finished {
            self.listening.record_play(viewer, id, now).await?;
        } else {
            let client: String = client
                .chars()
                .filter(|c| !c.is_control())
                .take(100)
                .collect();
            self.listening
                .set_now_playing(viewer, id, &client, now)
                .await?;
        }
        Ok(())
    }

    /// What people are playing now (reports of the last [`NOW_PLAYING_FOR`]) among the tracks
    /// `viewer` may see.
    pub async fn now_playing(&self, viewer: UserId) -> anyhow::Result<Vec<NowPlaying>> {
        let since = self.clock.now() - NOW_PLAYING_FOR;
        let reports = self.listening.now_playing(since).await?;
        let ids: Vec<TrackId> = reports.iter().map(|(_, id, _, _)| *id).collect();
        let tracks: std::collections::HashMap<TrackId, Track> = self
            .tracks(viewer, &ids)
            .await?
            .into_iter()
            .map(|track| (track.id, track))
            .collect();
        Ok(reports
            .into_iter()
            .filter_map(|(user_id, id, client, started_at)| {
                Some(NowPlaying {
                    user_id,
                    track: tracks.get(&id)?.clone(),
                    client,
                    started_at,
                })
            })
            .collect())
    }
}

/// An album's summary from its tracks; `None` when it has none.
pub(crate) fn summarise(key: &AlbumKey, tracks: &[Track]) -> Option<AlbumSummary> {
    let first = tracks.first()?;
    Some(AlbumSummary {
        key: AlbumKey {
            artist: key.artist.clone(),
            title: first.tags.album.clone().unwrap_or_default(),
        },
        tracks: u32::try_from(tracks.len()).unwrap_or(u32::MAX),
        duration_ms: tracks
            .iter()
            .filter_map(|track| track.tags.duration_ms)
            .sum(),
        year: tracks.iter().filter_map(|track| track.tags.year).max(),
        genre: tracks.iter().find_map(|track| track.tags.genre.clone()),
        added_at: tracks
            .iter()
            .map(|track| track.added_at)
            .max()
            .unwrap_or(first.added_at),
        has_cover: tracks.iter().any(|track| track.tags.has_cover),
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use soiree_kernel::SystemClock;

    use super::*;
    use crate::memory::{InMemoryFolder, InMemoryListening, InMemoryTracks};

    async fn library() -> LibraryService {
        let folder = Arc::new(InMemoryFolder::default());
        let listening = InMemoryListening::default();
        let service = LibraryService::new(
            folder.clone(),
            Arc::new(InMemoryTracks::sharing(listening.clone())),
            Arc::new(listening),
            Arc::new(SystemClock),
        );
        let tags = |title: &str, artist: &str, album: &str, number: u32| {
            let mut tags = TrackTags::titled(title, artist);
            tags.album = Some(album.to_owned());
            tags.track_number = Some(number);
            tags.year = Some(2000 + number);
            tags
        };
        folder.put("a/2.flac", tags("Second", "Ada", "First Light", 2));
        folder.put("a/1.flac", tags("First", "Ada", "First Light", 1));
        // Same album, spelt otherwise, with a guest: filed under the album's artist.
        let mut guest = tags("Third", "Bob", "first light", 3);
        guest.album_artist = Some("Ada".into());
        folder.put("a/3.flac", guest);
        folder.put("b/1.flac", tags("Solo", "Bob", "Alone", 1));
        service.scan(&|_| {}).await.unwrap();
        service
    }

    #[tokio::test]
    async fn artists_and_albums_group_by_the_albums_artist_and_folded_title() {
        let library = library().await;
        let viewer = UserId::generate();
        let artists = library.artists(viewer).await.unwrap();
        assert_eq!(
            artists
                .iter()
                .map(|a| (a.name.as_str(), a.albums, a.tracks))
                .collect::<Vec<_>>(),
            [("Ada", 1, 3), ("Bob", 1, 1)]
        );
        let key = AlbumKey {
            artist: "Ada".into(),
            title: "FIRST LIGHT".into(),
        };
        let (album, tracks) = library.album(viewer, &key).await.unwrap();
        assert_eq!(album.tracks, 3);
        assert_eq!(album.year, Some(2003));
        assert_eq!(
            tracks
                .iter()
                .map(|t| t.tags.title.as_str())
                .collect::<Vec<_>>(),
            ["First", "Second", "Third"]
        );
        let by_title = library
            .albums(viewer, &AlbumQuery::first(AlbumOrder::ByTitle, 10))
            .await
            .unwrap();
        assert_eq!(
            by_title
                .iter()
                .map(|a| a.key.title.as_str())
                .collect::<Vec<_>>(),
            ["Alone", "First Light"]
        );
        let missing = AlbumKey {
            artist: "Cy".into(),
            title: "Nothing".into(),
        };
        assert!(matches!(
            library.album(viewer, &missing).await,
            Err(TrackError::NotFound)
        ));
    }

    #[tokio::test]
    async fn stars_are_per_person_and_list_albums_and_plays_order_them() {
        let library = library().await;
        let (ada, bob) = (UserId::generate(), UserId::generate());
        let solo = library
            .songs(ada, &crate::SongQuery::words("solo"))
            .await
            .unwrap()
            .tracks[0]
            .clone();
        let album = AlbumKey::of(&solo);
        library
            .star(
                ada,
                &[Favourite::Track(solo.id), Favourite::Album(album.clone())],
            )
            .await
            .unwrap();
        library
            .star(ada, &[Favourite::Track(solo.id)])
            .await
            .unwrap();
        let favourites = library.favourites(ada).await.unwrap();
        assert_eq!(favourites.tracks.len(), 1, "starring twice is once");
        assert_eq!(favourites.albums[0].0.key.title, "Alone");
        assert!(library.favourites(bob).await.unwrap().tracks.is_empty());
        let starred = library
            .albums(ada, &AlbumQuery::first(AlbumOrder::Starred, 10))
            .await
            .unwrap();
        assert_eq!(starred.len(), 1);
        assert!(matches!(
            library
                .star(ada, &[Favourite::Track(crate::TrackId::generate())])
                .await,
            Err(TrackError::NotFound)
        ));
        library
            .unstar(ada, &[Favourite::Track(solo.id)])
            .await
            .unwrap();
        assert!(library.favourites(ada).await.unwrap().tracks.is_empty());

        library
            .played(bob, solo.id, false, "DSub\u{0}")
            .await
            .unwrap();
        let playing = library.now_playing(ada).await.unwrap();
        assert_eq!(
            (playing[0].user_id, playing[0].client.as_str()),
            (bob, "DSub")
        );
        library.played(bob, solo.id, true, "DSub").await.unwrap();
        let recent = library
            .albums(bob, &AlbumQuery::first(AlbumOrder::Recent, 10))
            .await
            .unwrap();
        assert_eq!(recent[0].key.title, "Alone");
        assert!(
            library
                .albums(ada, &AlbumQuery::first(AlbumOrder::Frequent, 10))
                .await
                .unwrap()
                .is_empty()
        );
    }
}
