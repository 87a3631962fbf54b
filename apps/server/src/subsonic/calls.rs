//! The Subsonic calls this server answers, each a function from the parameters to a tree (or a
//! file). They hold no rules of their own: the library and playlists services decide.

use std::collections::{BTreeMap, HashMap};

use chrono::SecondsFormat;
use poem::Request;
use soiree_kernel::{Timestamp, UserId};
use soiree_library::{
    AlbumKey, AlbumOrder, AlbumQuery, AlbumSummary, ArtistSummary, Favourite, PlaylistError,
    PlaylistId, PlaylistItem, PlaylistName, SongQuery, Track, TrackId, search_key,
};
use soiree_users::User;

use super::ids::{self, Id};
use super::{Failure, Node, Params};
use crate::state::AppState;

/// What a call has to work with.
pub(crate) struct Call<'a> {
    pub(crate) state: &'a AppState,
    pub(crate) caller: &'a User,
    pub(crate) params: &'a Params,
    pub(crate) request: &'a Request,
}

impl Call<'_> {
    fn viewer(&self) -> UserId {
        self.caller.id
    }

    /// The caller as the catalogue sees them through a music app: tracks with a file only (a
    /// music service's track cannot be played by the app).
    fn listener(&self) -> soiree_library::Viewer {
        soiree_library::Viewer::files_only(self.caller.id)
    }
}

/// A call's answer: a tree to write, or a response as it is (a file).
pub(crate) enum Answer {
    Tree(Node),
    Raw(poem::Response),
}

impl From<Node> for Answer {
    fn from(node: Node) -> Self {
        Self::Tree(node)
    }
}

/// The articles left out when artists are indexed by letter ("The Beatles" under B).
const IGNORED_ARTICLES: &str = "The El La Los Las Le Les";

/// The most items a list call returns (Subsonic's own cap).
const MOST: u64 = 500;

/// The calls this server answers (with the older names apps still send).
pub(crate) const CALLS: &[&str] = &[
    "ping",
    "getLicense",
    "getOpenSubsonicExtensions",
    "getUser",
    "getMusicFolders",
    "getIndexes",
    "getArtists",
    "getMusicDirectory",
    "getArtist",
    "getAlbum",
    "getSong",
    "getAlbumList2",
    "getAlbumList",
    "getRandomSongs",
    "search3",
    "search2",
    "getStarred2",
    "getStarred",
    "star",
    "unstar",
    "getPlaylists",
    "getPlaylist",
    "createPlaylist",
    "updatePlaylist",
    "deletePlaylist",
    "stream",
    "download",
    "getCoverArt",
    "scrobble",
    "getNowPlaying",
];

/// Answers `call`; `None` for a call this server does not know.
pub(crate) async fn answer(call: &str, context: &Call<'_>) -> Option<Result<Answer, Failure>> {
    let answer = match call {
        "ping" => Ok(Node::new("").into()),
        "getLicense" => Ok(Node::new("")
            .child(Node::new("license").attr("valid", true))
            .into()),
        "getUser" => user(context),
        "getMusicFolders" => Ok(Node::new("")
            .child(Node::new("musicFolders").list(
                "musicFolder",
                [Node::new("").attr("id", 1_u32).attr("name", "Music")],
            ))
            .into()),
        "getIndexes" => indexes(context, "indexes").await,
        "getArtists" => indexes(context, "artists").await,
        "getMusicDirectory" => directory(context).await,
        "getArtist" => artist(context).await,
        "getAlbum" => album(context).await,
        "getSong" => song(context).await,
        "getAlbumList2" | "getAlbumList" => album_list(context, call).await,
        "getRandomSongs" => random_songs(context).await,
        "search3" | "search2" => search(context, call).await,
        "getStarred2" | "getStarred" => starred(context, call).await,
        "star" => star(context, true).await,
        "unstar" => star(context, false).await,
        "getPlaylists" => playlists(context).await,
        "getPlaylist" => playlist(context).await,
        "createPlaylist" => create_playlist(context).await,
        "updatePlaylist" => update_playlist(context).await,
        "deletePlaylist" => delete_playlist(context).await,
        "stream" => stream(context, false).await,
        "download" => stream(context, true).await,
        "getCoverArt" => cover(context).await,
        "scrobble" => scrobble(context).await,
        "getNowPlaying" => now_playing(context).await,
        _ => return None,
    };
    Some(answer)
}

/// The extensions this server speaks (answered before sign-in).
pub(crate) fn extensions() -> Node {
    let extension = |name: &str| {
        Node::new("")
            .attr("name", name)
            .list("versions", [Node::value("", 1_u32)])
    };
    Node::new("").list(
        "openSubsonicExtensions",
        [extension("apiKeyAuthentication"), extension("formPost")],
    )
}

fn date(at: Timestamp) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn seconds(ms: u64) -> u64 {
    ms.div_ceil(1000)
}

/// The file name ending players expect for a media type.
fn suffix(content_type: &str) -> &'static str {
    match content_type {
        "audio/mpeg" => "mp3",
        "audio/flac" | "audio/x-flac" => "flac",
        "audio/ogg" | "audio/vorbis" => "ogg",
        "audio/opus" => "opus",
        "audio/mp4" | "audio/aac" | "audio/x-m4a" => "m4a",
        "audio/wav" | "audio/x-wav" | "audio/vnd.wave" => "wav",
        _ => "",
    }
}

fn shown_artist(name: &str) -> &str {
    if name.is_empty() {
        "Unknown artist"
    } else {
        name
    }
}

fn shown_album(title: &str) -> &str {
    if title.is_empty() {
        "Unknown album"
    } else {
        title
    }
}

/// A song as Subsonic's `Child`.
fn song_node(track: &Track, starred: Option<Timestamp>) -> Node {
    let tags = &track.tags;
    let album = AlbumKey::of(track);
    // Uploads show under the person's own "Uploads" folder, not the server's paths.
    // (A music service's track is never shown to an app: it has no file.)
    let content_type = track
        .media
        .as_ref()
        .map_or("", |media| media.content_type.as_str());
    let path = match &track.source {
        soiree_library::TrackSource::Folder { path } => path.clone(),
        soiree_library::TrackSource::Upload { .. }
        | soiree_library::TrackSource::Provider { .. } => {
            format!(
                "Uploads/{}.{}",
                tags.title.replace('/', "_"),
                suffix(content_type)
            )
        }
    };
    Node::new("")
        .attr("id", ids::track(track.id))
        .attr("parent", ids::album(&album))
        .attr("isDir", false)
        .attr("title", tags.title.as_str())
        .attr("album", shown_album(&album.title))
        .attr("artist", shown_artist(&tags.artists.join(", ")))
        .attr_opt("track", tags.track_number)
        .attr_opt("discNumber", tags.disc_number)
        .attr_opt("year", tags.year)
        .attr_opt("genre", tags.genre.clone())
        .attr_opt("coverArt", tags.has_cover.then(|| ids::track(track.id)))
        .attr("size", track.bytes())
        .attr("contentType", content_type)
        .attr("suffix", suffix(content_type))
        .attr_opt("duration", tags.duration_ms.map(seconds))
        .attr("path", path)
        .attr("created", date(track.added_at))
        .attr("albumId", ids::album(&album))
        .attr("artistId", ids::artist(&album.artist))
        .attr("type", "music")
        .attr("mediaType", "song")
        .attr("isVideo", false)
        .attr_opt("starred", starred.map(date))
}

/// An album as Subsonic's `AlbumID3` (and, with `as_child`, a folder of `getMusicDirectory`).
fn album_node(album: &AlbumSummary, starred: Option<Timestamp>) -> Node {
    let id = ids::album(&album.key);
    Node::new("")
        .attr("id", id.as_str())
        .attr("parent", ids::artist(&album.key.artist))
        .attr("isDir", true)
        .attr("name", shown_album(&album.key.title))
        .attr("title", shown_album(&album.key.title))
        .attr("album", shown_album(&album.key.title))
        .attr("artist", shown_artist(&album.key.artist))
        .attr("artistId", ids::artist(&album.key.artist))
        .attr("songCount", album.tracks)
        .attr("duration", seconds(album.duration_ms))
        .attr("created", date(album.added_at))
        .attr_opt("year", album.year)
        .attr_opt("genre", album.genre.clone())
        .attr_opt("coverArt", album.has_cover.then_some(id))
        .attr_opt("starred", starred.map(date))
}

fn artist_node(artist: &ArtistSummary, starred: Option<Timestamp>) -> Node {
    Node::new("")
        .attr("id", ids::artist(&artist.name))
        .attr("name", shown_artist(&artist.name))
        .attr("albumCount", artist.albums)
        .attr_opt("starred", starred.map(date))
}

/// What the caller starred, by kind, to mark lists.
#[derive(Default)]
struct Stars {
    tracks: HashMap<TrackId, Timestamp>,
    albums: HashMap<(String, String), Timestamp>,
    artists: HashMap<String, Timestamp>,
}

impl Stars {
    async fn of(context: &Call<'_>) -> Result<Self, Failure> {
        let mut stars = Self::default();
        let favourites = context
            .state
            .library
            .service
            .starred_items(context.viewer())
            .await?;
        for (item, at) in favourites {
            match item {
                Favourite::Track(id) => {
                    stars.tracks.insert(id, at);
                }
                Favourite::Album(key) => {
                    stars
                        .albums
                        .insert((key.artist, search_key(&key.title)), at);
                }
                Favourite::Artist(name) => {
                    stars.artists.insert(name, at);
                }
            }
        }
        Ok(stars)
    }

    /// `tracks` as songs, starred where the caller starred them.
    fn songs<'a>(&'a self, tracks: &'a [Track]) -> impl Iterator<Item = Node> + 'a {
        tracks
            .iter()
            .map(|track| song_node(track, self.track(track.id)))
    }

    fn track(&self, id: TrackId) -> Option<Timestamp> {
        self.tracks.get(&id).copied()
    }

    fn album(&self, key: &AlbumKey) -> Option<Timestamp> {
        self.albums
            .get(&(key.artist.clone(), search_key(&key.title)))
            .copied()
    }

    fn artist(&self, name: &str) -> Option<Timestamp> {
        self.artists.get(name).copied()
    }
}

fn user(context: &Call<'_>) -> Result<Answer, Failure> {
    let wanted = context.params.required("username")?;
    let caller = context.caller;
    if !caller.username.as_str().eq_ignore_ascii_case(wanted) {
        return Err(Failure::new(50, "You may only ask for your own user"));
    }
    let roles = [
        ("scrobblingEnabled", true),
        ("adminRole", caller.operator),
        ("settingsRole", false),
        ("downloadRole", true),
        ("uploadRole", false),
        ("playlistRole", true),
        ("coverArtRole", false),
        ("commentRole", false),
        ("podcastRole", false),
        ("streamRole", true),
        ("jukeboxRole", false),
        ("shareRole", false),
        ("videoConversionRole", false),
    ];
    let mut node = Node::new("user")
        .attr("username", caller.username.as_str())
        .attr_opt(
            "email",
            caller.email.as_ref().map(|email| email.as_str().to_owned()),
        );
    for (role, granted) in roles {
        node = node.attr(role, granted);
    }
    Ok(Node::new("")
        .child(node.list("folder", [Node::value("", 1_u32)]))
        .into())
}

/// The letter an artist is indexed under.
fn index_letter(name: &str) -> String {
    let mut rest = name.trim();
    for article in IGNORED_ARTICLES.split(' ') {
        if let Some(after) = rest
            .strip_prefix(article)
            .and_then(|after| after.strip_prefix(' '))
        {
            rest = after;
            break;
        }
    }
    match search_key(rest).chars().next() {
        Some(letter) if letter.is_alphabetic() => letter.to_uppercase().collect(),
        _ => "#".to_owned(),
    }
}

async fn indexes(context: &Call<'_>, name: &'static str) -> Result<Answer, Failure> {
    let artists = context
        .state
        .library
        .service
        .artists(context.listener())
        .await?;
    let stars = Stars::of(context).await?;
    let mut letters: BTreeMap<String, Vec<Node>> = BTreeMap::new();
    for artist in &artists {
        letters
            .entry(index_letter(&artist.name))
            .or_default()
            .push(artist_node(artist, stars.artist(&artist.name)));
    }
    let index = letters
        .into_iter()
        .map(|(letter, artists)| Node::new("").attr("name", letter).list("artist", artists));
    let mut node = Node::new(name).attr("ignoredArticles", IGNORED_ARTICLES);
    if name == "indexes" {
        node = node.attr("lastModified", 0_u32);
    }
    Ok(Node::new("").child(node.list("index", index)).into())
}

fn id_param(context: &Call<'_>, name: &str) -> Result<Id, Failure> {
    let text = context.params.required(name)?;
    ids::parse(text).ok_or_else(|| Failure::not_found(&format!("Item {text:?}")))
}

async fn artist_albums(context: &Call<'_>, name: &str) -> Result<Vec<AlbumSummary>, Failure> {
    let query = AlbumQuery {
        artist: Some(name.to_owned()),
        ..AlbumQuery::first(AlbumOrder::ByTitle, MOST)
    };
    let mut albums = context
        .state
        .library
        .service
        .albums(context.listener(), &query)
        .await?;
    if albums.is_empty() {
        return Err(Failure::not_found("Artist"));
    }
    // By year, as discographies read; albums without one last (the sort keeps titles in order).
    albums.sort_by_key(|album| album.year.unwrap_or(u32::MAX));
    Ok(albums)
}

async fn directory(context: &Call<'_>) -> Result<Answer, Failure> {
    let stars = Stars::of(context).await?;
    let node = match id_param(context, "id")? {
        Id::Folder => {
            let artists = context
                .state
                .library
                .service
                .artists(context.listener())
                .await?;
            Node::new("directory")
                .attr("id", ids::FOLDER)
                .attr("name", "Music")
                .list(
                    "child",
                    artists.iter().map(|artist| {
                        Node::new("")
                            .attr("id", ids::artist(&artist.name))
                            .attr("parent", ids::FOLDER)
                            .attr("isDir", true)
                            .attr("title", shown_artist(&artist.name))
                            .attr("artist", shown_artist(&artist.name))
                            .attr_opt("starred", stars.artist(&artist.name).map(date))
                    }),
                )
        }
        Id::Artist(name) => {
            let albums = artist_albums(context, &name).await?;
            Node::new("directory")
                .attr("id", ids::artist(&name))
                .attr("parent", ids::FOLDER)
                .attr("name", shown_artist(&name))
                .attr_opt("starred", stars.artist(&name).map(date))
                .list(
                    "child",
                    albums
                        .iter()
                        .map(|album| album_node(album, stars.album(&album.key))),
                )
        }
        Id::Album(key) => {
            let (album, tracks) = context
                .state
                .library
                .service
                .album(context.listener(), &key)
                .await
                .map_err(|_| Failure::not_found("Album"))?;
            Node::new("directory")
                .attr("id", ids::album(&album.key))
                .attr("parent", ids::artist(&album.key.artist))
                .attr("name", shown_album(&album.key.title))
                .attr_opt("starred", stars.album(&album.key).map(date))
                .list("child", stars.songs(&tracks))
        }
        Id::Track(_) => return Err(Failure::not_found("Directory")),
    };
    Ok(Node::new("").child(node).into())
}

async fn artist(context: &Call<'_>) -> Result<Answer, Failure> {
    let Id::Artist(name) = id_param(context, "id")? else {
        return Err(Failure::not_found("Artist"));
    };
    let albums = artist_albums(context, &name).await?;
    let stars = Stars::of(context).await?;
    let node = Node::new("artist")
        .attr("id", ids::artist(&name))
        .attr("name", shown_artist(&name))
        .attr("albumCount", albums.len())
        .attr_opt("starred", stars.artist(&name).map(date))
        .list(
            "album",
            albums
                .iter()
                .map(|album| album_node(album, stars.album(&album.key))),
        );
    Ok(Node::new("").child(node).into())
}

async fn album(context: &Call<'_>) -> Result<Answer, Failure> {
    let Id::Album(key) = id_param(context, "id")? else {
        return Err(Failure::not_found("Album"));
    };
    let (album, tracks) = context
        .state
        .library
        .service
        .album(context.listener(), &key)
        .await
        .map_err(|_| Failure::not_found("Album"))?;
    let stars = Stars::of(context).await?;
    let node = album_node(&album, stars.album(&album.key)).list("song", stars.songs(&tracks));
    Ok(Node::new("").child(node.named("album")).into())
}

async fn track_param(context: &Call<'_>, name: &str) -> Result<Track, Failure> {
    match id_param(context, name)? {
        Id::Track(id) => Ok(context
            .state
            .library
            .service
            .track(context.listener(), id)
            .await?),
        _ => Err(Failure::not_found("Song")),
    }
}

async fn song(context: &Call<'_>) -> Result<Answer, Failure> {
    let track = track_param(context, "id").await?;
    let stars = Stars::of(context).await?;
    Ok(Node::new("")
        .child(song_node(&track, stars.track(track.id)).named("song"))
        .into())
}

async fn album_list(context: &Call<'_>, call: &str) -> Result<Answer, Failure> {
    let params = context.params;
    let kind = params.required("type")?;
    let order = match kind {
        "random" => AlbumOrder::Random,
        "newest" => AlbumOrder::Newest,
        "alphabeticalByName" => AlbumOrder::ByTitle,
        "alphabeticalByArtist" => AlbumOrder::ByArtist,
        "starred" => AlbumOrder::Starred,
        "frequent" | "highest" => AlbumOrder::Frequent,
        "recent" => AlbumOrder::Recent,
        "byYear" => AlbumOrder::ByYear {
            from: params.number("fromYear", 0)?,
            to: params.number("toYear", 9999)?,
        },
        "byGenre" => AlbumOrder::ByGenre(params.required("genre")?.to_owned()),
        other => {
            return Err(Failure::new(
                0,
                format!(
                    "Unknown list type {other:?}: random, newest, alphabeticalByName, alphabeticalByArtist, starred, frequent, recent, byYear or byGenre"
                ),
            ));
        }
    };
    let query = AlbumQuery {
        artist: None,
        order,
        offset: params.number("offset", 0_u64)?,
        limit: params.number("size", 10_u64)?.min(MOST),
    };
    let albums = context
        .state
        .library
        .service
        .albums(context.listener(), &query)
        .await?;
    let stars = Stars::of(context).await?;
    let name = if call == "getAlbumList" {
        "albumList"
    } else {
        "albumList2"
    };
    Ok(Node::new("")
        .child(
            Node::new(name).list(
                "album",
                albums
                    .iter()
                    .map(|album| album_node(album, stars.album(&album.key))),
            ),
        )
        .into())
}

async fn random_songs(context: &Call<'_>) -> Result<Answer, Failure> {
    let size = context.params.number("size", 10_u32)?.min(MOST as u32);
    let tracks = context
        .state
        .library
        .service
        .random_tracks(context.listener(), size)
        .await?;
    let stars = Stars::of(context).await?;
    Ok(Node::new("")
        .child(Node::new("randomSongs").list("song", stars.songs(&tracks)))
        .into())
}

async fn search(context: &Call<'_>, call: &str) -> Result<Answer, Failure> {
    let params = context.params;
    // Apps send `""` (or nothing) to list everything, page by page, when they sync.
    let words = params
        .get("query")
        .unwrap_or_default()
        .trim()
        .trim_matches('"')
        .trim_end_matches('*')
        .trim()
        .to_owned();
    let folded = search_key(&words);
    let viewer = context.listener();
    let library = &context.state.library.service;
    let stars = Stars::of(context).await?;
    let window = |count: &str, offset: &str| -> Result<(usize, usize), Failure> {
        Ok((
            usize::try_from(params.number(offset, 0_u64)?).unwrap_or(usize::MAX),
            usize::try_from(params.number(count, 20_u64)?.min(MOST)).unwrap_or(0),
        ))
    };
    let (artist_offset, artist_count) = window("artistCount", "artistOffset")?;
    let artists: Vec<Node> = library
        .artists(viewer)
        .await?
        .into_iter()
        .filter(|artist| search_key(&artist.name).contains(&folded))
        .skip(artist_offset)
        .take(artist_count)
        .map(|artist| artist_node(&artist, stars.artist(&artist.name)))
        .collect();
    let (album_offset, album_count) = window("albumCount", "albumOffset")?;
    let albums: Vec<Node> = library
        .albums(
            viewer,
            &AlbumQuery::first(AlbumOrder::ByTitle, u64::MAX >> 1),
        )
        .await?
        .into_iter()
        .filter(|album| {
            search_key(&album.key.title).contains(&folded)
                || search_key(&album.key.artist).contains(&folded)
        })
        .skip(album_offset)
        .take(album_count)
        .map(|album| album_node(&album, stars.album(&album.key)))
        .collect();
    let (song_offset, song_count) = window("songCount", "songOffset")?;
    let query = SongQuery {
        words: (!folded.is_empty()).then_some(words),
        ..SongQuery::default()
    };
    let (tracks, _) = library
        .search_tracks(viewer, &query, song_offset as u64, song_count as u64)
        .await?;
    let name = if call == "search2" {
        "searchResult2"
    } else {
        "searchResult3"
    };
    Ok(Node::new("")
        .child(
            Node::new(name)
                .list("artist", artists)
                .list("album", albums)
                .list("song", stars.songs(&tracks)),
        )
        .into())
}

async fn starred(context: &Call<'_>, call: &str) -> Result<Answer, Failure> {
    let favourites = context
        .state
        .library
        .service
        .favourites(context.listener())
        .await?;
    let name = if call == "getStarred" {
        "starred"
    } else {
        "starred2"
    };
    Ok(Node::new("")
        .child(
            Node::new(name)
                .list(
                    "artist",
                    favourites
                        .artists
                        .iter()
                        .map(|(artist, at)| artist_node(artist, Some(*at))),
                )
                .list(
                    "album",
                    favourites
                        .albums
                        .iter()
                        .map(|(album, at)| album_node(album, Some(*at))),
                )
                .list(
                    "song",
                    favourites
                        .tracks
                        .iter()
                        .map(|(track, at)| song_node(track, Some(*at))),
                ),
        )
        .into())
}

async fn star(context: &Call<'_>, on: bool) -> Result<Answer, Failure> {
    let params = context.params;
    let mut items = Vec::new();
    for name in ["id", "albumId", "artistId"] {
        for text in params.all(name) {
            let item = match ids::parse(text) {
                Some(Id::Track(id)) => Favourite::Track(id),
                Some(Id::Album(key)) => Favourite::Album(key),
                Some(Id::Artist(artist)) => Favourite::Artist(artist),
                _ => return Err(Failure::not_found(&format!("Item {text:?}"))),
            };
            items.push(item);
        }
    }
    if items.is_empty() {
        return Err(Failure::missing("id, albumId or artistId"));
    }
    let library = &context.state.library.service;
    if on {
        library.star(context.viewer(), &items).await?;
    } else {
        library.unstar(context.viewer(), &items).await?;
    }
    Ok(Node::new("").into())
}

fn playlist_id(text: &str) -> Result<PlaylistId, Failure> {
    uuid::Uuid::parse_str(text)
        .map(PlaylistId::from_uuid)
        .map_err(|_| Failure::not_found("Playlist"))
}

fn playlist_failure(error: PlaylistError) -> Failure {
    match error {
        PlaylistError::NotFound => Failure::not_found("Playlist"),
        PlaylistError::UnknownTrack => Failure::not_found("Song"),
        PlaylistError::Unknown(error) => Failure::internal(&error),
        other => Failure::new(0, other.to_string()),
    }
}

async fn playlist_node(
    context: &Call<'_>,
    playlist: &soiree_library::Playlist,
    with_entries: bool,
) -> Result<Node, Failure> {
    let ids: Vec<TrackId> = playlist
        .entries
        .iter()
        .filter_map(|entry| match &entry.item {
            PlaylistItem::Library(id) => Some(*id),
            PlaylistItem::Provider(_) => None,
        })
        .collect();
    let tracks = context
        .state
        .library
        .service
        .tracks(context.listener(), &ids)
        .await?;
    let node = Node::new("")
        .attr("id", playlist.id.as_uuid().to_string())
        .attr("name", playlist.name.as_str())
        .attr("owner", context.caller.username.as_str())
        .attr("public", false)
        .attr("songCount", tracks.len())
        .attr(
            "duration",
            seconds(
                tracks
                    .iter()
                    .filter_map(|track| track.tags.duration_ms)
                    .sum(),
            ),
        )
        .attr("created", date(playlist.created_at))
        .attr("changed", date(playlist.updated_at));
    if !with_entries {
        return Ok(node);
    }
    let stars = Stars::of(context).await?;
    Ok(node.list("entry", stars.songs(&tracks)))
}

async fn playlists(context: &Call<'_>) -> Result<Answer, Failure> {
    let service = &context.state.library.playlists;
    let mut nodes = Vec::new();
    for summary in service.list(context.viewer()).await? {
        let playlist = service
            .get(context.viewer(), summary.id)
            .await
            .map_err(playlist_failure)?;
        nodes.push(playlist_node(context, &playlist, false).await?);
    }
    Ok(Node::new("")
        .child(Node::new("playlists").list("playlist", nodes))
        .into())
}

async fn playlist(context: &Call<'_>) -> Result<Answer, Failure> {
    let id = playlist_id(context.params.required("id")?)?;
    let playlist = context
        .state
        .library
        .playlists
        .get(context.viewer(), id)
        .await
        .map_err(playlist_failure)?;
    let node = playlist_node(context, &playlist, true).await?;
    Ok(Node::new("").child(node.named("playlist")).into())
}

fn song_items(context: &Call<'_>, name: &str) -> Result<Vec<PlaylistItem>, Failure> {
    context
        .params
        .all(name)
        .map(|text| match ids::parse(text) {
            Some(Id::Track(id)) => Ok(PlaylistItem::Library(id)),
            _ => Err(Failure::not_found(&format!("Song {text:?}"))),
        })
        .collect()
}

fn playlist_name(text: &str) -> Result<PlaylistName, Failure> {
    PlaylistName::parse(text).map_err(|error| Failure::new(0, error.to_string()))
}

async fn create_playlist(context: &Call<'_>) -> Result<Answer, Failure> {
    let params = context.params;
    let service = &context.state.library.playlists;
    let viewer = context.viewer();
    let songs = song_items(context, "songId")?;
    let playlist = if let Some(id) = params.get("playlistId") {
        // An existing playlist's songs replaced (and its name, when given).
        let id = playlist_id(id)?;
        let mut playlist = service.get(viewer, id).await.map_err(playlist_failure)?;
        if let Some(name) = params.get("name") {
            playlist = service
                .rename(viewer, id, playlist_name(name)?)
                .await
                .map_err(playlist_failure)?;
        }
        for entry in &playlist.entries {
            service
                .remove(viewer, id, entry.id)
                .await
                .map_err(playlist_failure)?;
        }
        service.get(viewer, id).await.map_err(playlist_failure)?
    } else {
        let name = playlist_name(params.required("name")?)?;
        service
            .create(viewer, name)
            .await
            .map_err(|error| match error {
                soiree_library::CreatePlaylistError::Unknown(error) => Failure::internal(&error),
                quota => Failure::new(0, quota.to_string()),
            })?
    };
    let playlist = if songs.is_empty() {
        playlist
    } else {
        service
            .add(viewer, playlist.id, songs)
            .await
            .map_err(playlist_failure)?
    };
    let node = playlist_node(context, &playlist, true).await?;
    Ok(Node::new("").child(node.named("playlist")).into())
}

async fn update_playlist(context: &Call<'_>) -> Result<Answer, Failure> {
    let params = context.params;
    let service = &context.state.library.playlists;
    let viewer = context.viewer();
    let id = playlist_id(params.required("playlistId")?)?;
    let playlist = service.get(viewer, id).await.map_err(playlist_failure)?;
    if let Some(name) = params.get("name") {
        service
            .rename(viewer, id, playlist_name(name)?)
            .await
            .map_err(playlist_failure)?;
    }
    // Indexes count the entries the app sees: those with a library track.
    let visible: Vec<_> = playlist
        .entries
        .iter()
        .filter(|entry| matches!(entry.item, PlaylistItem::Library(_)))
        .collect();
    let mut removed = Vec::new();
    for text in params.all("songIndexToRemove") {
        let index: usize = text.parse().map_err(|_| {
            Failure::new(
                0,
                format!("songIndexToRemove must be a whole number, not {text:?}"),
            )
        })?;
        let entry = visible
            .get(index)
            .ok_or_else(|| Failure::not_found(&format!("Playlist entry {index}")))?;
        if !removed.contains(&entry.id) {
            removed.push(entry.id);
        }
    }
    for entry in removed {
        service
            .remove(viewer, id, entry)
            .await
            .map_err(playlist_failure)?;
    }
    let songs = song_items(context, "songIdToAdd")?;
    if !songs.is_empty() {
        service
            .add(viewer, id, songs)
            .await
            .map_err(playlist_failure)?;
    }
    Ok(Node::new("").into())
}

async fn delete_playlist(context: &Call<'_>) -> Result<Answer, Failure> {
    let id = playlist_id(context.params.required("id")?)?;
    context
        .state
        .library
        .playlists
        .delete(context.viewer(), id)
        .await
        .map_err(playlist_failure)?;
    Ok(Node::new("").into())
}

async fn stream(context: &Call<'_>, download: bool) -> Result<Answer, Failure> {
    let Id::Track(id) = id_param(context, "id")? else {
        return Err(Failure::not_found("Song"));
    };
    let (track, media, location) = context
        .state
        .library
        .service
        .stream(context.viewer(), id)
        .await
        .map_err(|error| match error {
            soiree_library::StreamError::NotFound | soiree_library::StreamError::NoFile { .. } => {
                Failure::not_found("Song")
            }
            soiree_library::StreamError::Unknown(error) => Failure::internal(&error),
        })?;
    // No transcoding: the file as it is, with ranges (`maxBitRate` and `format` are ignored).
    let mut response =
        crate::library::stream::respond(&location, &media.content_type, context.request.headers())
            .await
            .map_err(|error| match error.kind() {
                std::io::ErrorKind::NotFound => Failure::not_found("Song"),
                _ => Failure::internal(&anyhow::Error::from(error)),
            })?;
    if download {
        let name = format!(
            "{}.{}",
            track.tags.title.replace(['"', '\\', '/'], "_"),
            suffix(&media.content_type)
        );
        let disposition = format!("attachment; filename*=UTF-8''{}", url_escape(&name));
        if let Ok(value) = poem::http::HeaderValue::from_str(&disposition) {
            response
                .headers_mut()
                .insert(poem::http::header::CONTENT_DISPOSITION, value);
        }
    }
    Ok(Answer::Raw(response))
}

/// `text` percent-encoded for a header's `filename*`.
fn url_escape(text: &str) -> String {
    text.bytes()
        .map(|byte| {
            if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
                char::from(byte).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect()
}

async fn cover(context: &Call<'_>) -> Result<Answer, Failure> {
    let library = &context.state.library.service;
    let viewer = context.listener();
    let track = match id_param(context, "id")? {
        Id::Track(id) => id,
        Id::Album(key) => {
            let (_, tracks) = library
                .album(viewer, &key)
                .await
                .map_err(|_| Failure::not_found("Cover art"))?;
            tracks
                .iter()
                .find(|track| track.tags.has_cover)
                .map(|track| track.id)
                .ok_or_else(|| Failure::not_found("Cover art"))?
        }
        _ => return Err(Failure::not_found("Cover art")),
    };
    // Pictures are sent as embedded (`size` is ignored: players scale them).
    match library.cover(viewer, track).await? {
        Some((content_type, bytes)) => Ok(Answer::Raw(
            poem::Response::builder()
                .content_type(content_type)
                .header(poem::http::header::CACHE_CONTROL, "private, max-age=86400")
                .body(bytes),
        )),
        None => Err(Failure::not_found("Cover art")),
    }
}

async fn scrobble(context: &Call<'_>) -> Result<Answer, Failure> {
    let finished = context.params.flag("submission", true);
    let client = context.params.get("c").unwrap_or_default();
    let ids: Vec<&str> = context.params.all("id").collect();
    if ids.is_empty() {
        return Err(Failure::missing("id"));
    }
    for text in ids {
        let Some(Id::Track(id)) = ids::parse(text) else {
            return Err(Failure::not_found("Song"));
        };
        context
            .state
            .library
            .service
            .played(context.viewer(), id, finished, client)
            .await?;
    }
    Ok(Node::new("").into())
}

async fn now_playing(context: &Call<'_>) -> Result<Answer, Failure> {
    let playing = context
        .state
        .library
        .service
        .now_playing(context.viewer())
        .await?;
    let stars = Stars::of(context).await?;
    let now = chrono::Utc::now();
    let mut entries = Vec::with_capacity(playing.len());
    for entry in playing {
        let username = match context.state.users.user(entry.user_id).await? {
            Some(user) => user.username.as_str().to_owned(),
            None => continue,
        };
        entries.push(
            song_node(&entry.track, stars.track(entry.track.id))
                .attr("username", username)
                .attr("minutesAgo", (now - entry.started_at).num_minutes().max(0))
                .attr("playerId", 0_u32)
                .attr("playerName", entry.client),
        );
    }
    Ok(Node::new("")
        .child(Node::new("nowPlaying").list("entry", entries))
        .into())
}
