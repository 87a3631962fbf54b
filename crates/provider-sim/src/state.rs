//! The simulator's world: developer apps, users with liked tracks and devices, a catalogue,
//! authorization codes, tokens, and the test switches.

use std::collections::{HashMap, VecDeque};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use rand_core::{OsRng, RngCore as _};

/// Which provider a piece of state belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SimProvider {
    /// Spotify.
    Spotify,
    /// SoundCloud.
    SoundCloud,
}

/// A developer app registered with a provider.
#[derive(Debug, Clone)]
pub(crate) struct App {
    pub(crate) secret: String,
    /// Registered redirect URIs; empty accepts any.
    pub(crate) redirect_uris: Vec<String>,
}

/// A track of the generated catalogue.
#[derive(Debug, Clone)]
pub(crate) struct Track {
    pub(crate) id: String,
    /// SoundCloud's numeric id.
    pub(crate) numeric_id: u64,
    pub(crate) name: String,
    pub(crate) artist_id: String,
    pub(crate) artist: String,
    pub(crate) album_id: String,
    pub(crate) album: String,
    pub(crate) duration_ms: u64,
    pub(crate) downloadable: bool,
}

/// A device of a simulated user.
#[derive(Debug, Clone)]
pub(crate) struct Device {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) kind: String,
    pub(crate) volume_percent: u8,
}

/// What a user's player is doing.
#[derive(Debug, Clone, Default)]
pub(crate) struct Player {
    pub(crate) active_device: Option<String>,
    pub(crate) current: Option<String>,
    /// Position when `resumed_at` was taken.
    pub(crate) position_ms: u64,
    /// When playback last resumed; `None` while paused.
    pub(crate) resumed_at: Option<DateTime<Utc>>,
    /// Tracks added with `/me/player/queue`; they play before the context continues.
    pub(crate) queue: VecDeque<String>,
    /// The rest of what is playing (an album, a playlist, the `uris` of a play command).
    pub(crate) context: VecDeque<String>,
    pub(crate) history: Vec<String>,
}

/// A simulated account (the same person exists at both providers).
#[derive(Debug, Clone)]
pub(crate) struct User {
    pub(crate) id: String,
    pub(crate) numeric_id: u64,
    pub(crate) display_name: String,
    pub(crate) premium: bool,
    /// Liked tracks, newest first: (liked at, track id).
    pub(crate) liked: Vec<(DateTime<Utc>, String)>,
    pub(crate) devices: Vec<Device>,
    pub(crate) player: Player,
    /// Playlists made through `POST /me/playlists`, with their items' URIs.
    pub(crate) playlists: Vec<SimPlaylist>,
}

/// A playlist an app made for the user.
#[derive(Debug, Clone)]
pub(crate) struct SimPlaylist {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) public: bool,
    pub(crate) items: Vec<String>,
}

/// An issued authorization code.
#[derive(Debug, Clone)]
pub(crate) struct Code {
    pub(crate) provider: SimProvider,
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) challenge: Option<String>,
    pub(crate) user_id: String,
    pub(crate) scope: String,
    pub(crate) expires_at: DateTime<Utc>,
    pub(crate) used: bool,
}

/// An issued access token.
#[derive(Debug, Clone)]
pub(crate) struct AccessToken {
    pub(crate) provider: SimProvider,
    pub(crate) user_id: String,
    pub(crate) expires_at: DateTime<Utc>,
}

/// An issued refresh token.
#[derive(Debug, Clone)]
pub(crate) struct RefreshToken {
    pub(crate) provider: SimProvider,
    pub(crate) client_id: String,
    pub(crate) user_id: String,
    pub(crate) scope: String,
    pub(crate) revoked: bool,
}

/// A scripted failure for the next requests of one route.
#[derive(Debug, Clone)]
pub(crate) struct Fault {
    pub(crate) route: String,
    pub(crate) status: Option<u16>,
    pub(crate) retry_after: Option<u64>,
    pub(crate) delay_ms: Option<u64>,
    pub(crate) remaining: u32,
}

/// Everything the simulator knows.
#[derive(Debug)]
pub(crate) struct World {
    pub(crate) apps: HashMap<(SimProvider, String), App>,
    pub(crate) users: Vec<User>,
    pub(crate) catalogue: Vec<Track>,
    pub(crate) codes: HashMap<String, Code>,
    pub(crate) access_tokens: HashMap<String, AccessToken>,
    pub(crate) refresh_tokens: HashMap<String, RefreshToken>,
    pub(crate) faults: Vec<Fault>,
    pub(crate) calls: HashMap<String, u64>,
    pub(crate) token_lifetime: Duration,
    /// Whether a refresh issues a new refresh token (and revokes the old one), per provider.
    pub(crate) rotate: HashMap<SimProvider, bool>,
}

/// A small deterministic generator (SplitMix64), so a seed always yields the same catalogue.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }

    /// A Spotify-style base-62 id of 22 characters.
    fn id(&mut self) -> String {
        const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        (0..22)
            .map(|_| ALPHABET[(self.next() % 62) as usize] as char)
            .collect()
    }
}

const ADJECTIVES: &[&str] = &[
    "Midnight", "Golden", "Electric", "Velvet", "Neon", "Silver", "Wild", "Paper", "Crystal",
    "Summer", "Broken", "Lucky", "Quiet", "Burning", "Frozen", "Secret",
];
const NOUNS: &[&str] = &[
    "Dancer",
    "Highway",
    "Echo",
    "Garden",
    "Signal",
    "Heart",
    "River",
    "Parade",
    "Mirror",
    "Machine",
    "Lights",
    "Harbor",
    "Orbit",
    "Satellite",
    "Fever",
    "Horizon",
];
const ARTISTS: &[&str] = &[
    "The Night Owls",
    "Luna Park",
    "Static Bloom",
    "Ada & the Engines",
    "Cobalt Choir",
    "Marble Kids",
    "Soft Voltage",
    "The Lanterns",
];

/// The size of the generated catalogue.
const CATALOGUE_SIZE: usize = 120;
/// How many tracks each user likes.
const LIKES_PER_USER: usize = 30;

impl World {
    /// A world generated from `seed`, with the users `ada` (premium) and `bob` (free).
    pub(crate) fn generate(seed: u64) -> Self {
        let mut random = SplitMix(seed);
        let artist_ids: Vec<String> = ARTISTS.iter().map(|_| random.id()).collect();
        let catalogue: Vec<Track> = (0..CATALOGUE_SIZE)
            .map(|index| {
                let artist_index = (random.next() % ARTISTS.len() as u64) as usize;
                Track {
                    id: random.id(),
                    numeric_id: 100_000 + index as u64,
                    name: format!("{} {}", random.pick(ADJECTIVES), random.pick(NOUNS)),
                    artist_id: artist_ids[artist_index].clone(),
                    artist: ARTISTS[artist_index].to_owned(),
                    album_id: random.id(),
                    album: format!("{} {}", random.pick(ADJECTIVES), random.pick(NOUNS)),
                    duration_ms: 150_000 + random.next() % 150_000,
                    downloadable: random.next().is_multiple_of(4),
                }
            })
            .collect();
        let base = DateTime::from_timestamp(1_780_000_000, 0).unwrap_or_default();
        let users = [("ada", "Ada Lovelace", true), ("bob", "Bob Free", false)]
            .into_iter()
            .enumerate()
            .map(|(index, (id, name, premium))| User {
                id: id.to_owned(),
                numeric_id: 5_000 + index as u64,
                display_name: name.to_owned(),
                premium,
                liked: {
                    // A track is liked once (the services keep a set).
                    let mut liked: Vec<(DateTime<Utc>, String)> = Vec::new();
                    while liked.len() < LIKES_PER_USER {
                        let track = &catalogue[(random.next() % CATALOGUE_SIZE as u64) as usize];
                        if !liked.iter().any(|(_, id)| *id == track.id) {
                            let hours = liked.len() as i64 * 7;
                            liked.push((base - Duration::hours(hours), track.id.clone()));
                        }
                    }
                    liked
                },
                devices: vec![
                    Device {
                        id: format!("{id}-speaker"),
                        name: "Living Room".into(),
                        kind: "Speaker".into(),
                        volume_percent: 60,
                    },
                    Device {
                        id: format!("{id}-phone"),
                        name: format!("{name}'s Phone"),
                        kind: "Smartphone".into(),
                        volume_percent: 80,
                    },
                ],
                player: Player::default(),
                playlists: Vec::new(),
            })
            .map(|mut user: User| {
                // Like a real account, each user has a last-played context to resume: their
                // first liked tracks, paused, on no active device.
                let mut context = user.liked.iter().take(10).map(|(_, id)| id.clone());
                user.player.current = context.next();
                user.player.context = context.collect();
                user
            })
            .collect();
        Self {
            apps: HashMap::new(),
            users,
            catalogue,
            codes: HashMap::new(),
            access_tokens: HashMap::new(),
            refresh_tokens: HashMap::new(),
            faults: Vec::new(),
            calls: HashMap::new(),
            token_lifetime: Duration::hours(1),
            rotate: HashMap::from([
                (SimProvider::Spotify, false),
                (SimProvider::SoundCloud, true),
            ]),
        }
    }

    pub(crate) fn user(&self, id: &str) -> Option<&User> {
        self.users.iter().find(|user| user.id == id)
    }

    /// `user` likes `count` more tracks now, newest first (catalogue tracks they do not like
    /// yet, then new tracks made for the purpose): their Spotify URIs, newest first.
    pub(crate) fn like_more(&mut self, user: &str, count: usize) -> Option<Vec<String>> {
        let liked: std::collections::HashSet<String> = self
            .user(user)?
            .liked
            .iter()
            .map(|(_, id)| id.clone())
            .collect();
        let mut chosen: Vec<String> = self
            .catalogue
            .iter()
            .filter(|track| !liked.contains(&track.id))
            .take(count)
            .map(|track| track.id.clone())
            .collect();
        let mut random = SplitMix(self.catalogue.len() as u64 ^ 0x5eed);
        while chosen.len() < count {
            let index = self.catalogue.len();
            let track = Track {
                id: random.id(),
                numeric_id: 100_000 + index as u64,
                name: format!("{} {}", random.pick(ADJECTIVES), random.pick(NOUNS)),
                artist_id: random.id(),
                artist: random.pick(ARTISTS).to_owned(),
                album_id: random.id(),
                album: format!("{} {}", random.pick(ADJECTIVES), random.pick(NOUNS)),
                duration_ms: 150_000 + random.next() % 150_000,
                downloadable: random.next().is_multiple_of(4),
            };
            chosen.push(track.id.clone());
            self.catalogue.push(track);
        }
        self.like_chosen(user, &chosen)
    }

    /// `user` likes these catalogue tracks (by id, Spotify URI or SoundCloud URN) now, the
    /// ones they like already left as they are; their Spotify URIs, or `None` for an unknown
    /// user or track.
    pub(crate) fn like_these(&mut self, user: &str, tracks: &[String]) -> Option<Vec<String>> {
        let mut chosen = Vec::new();
        for named in tracks {
            let track = self.catalogue.iter().find(|track| {
                track.id == *named
                    || named.strip_prefix("spotify:track:") == Some(track.id.as_str())
                    || *named == format!("soundcloud:tracks:{}", track.numeric_id)
            })?;
            chosen.push(track.id.clone());
        }
        let liked: std::collections::HashSet<String> = self
            .user(user)?
            .liked
            .iter()
            .map(|(_, id)| id.clone())
            .collect();
        chosen.retain(|id| !liked.contains(id));
        self.like_chosen(user, &chosen)
    }

    fn like_chosen(&mut self, user: &str, chosen: &[String]) -> Option<Vec<String>> {
        let now = Utc::now();
        let user = self.user_mut(user)?;
        // The last chosen is liked first, so the first chosen ends up newest.
        for (offset, id) in chosen.iter().rev().enumerate() {
            let at = now - Duration::milliseconds((chosen.len() - offset) as i64);
            user.liked.insert(0, (at, id.clone()));
        }
        Some(
            chosen
                .iter()
                .map(|id| format!("spotify:track:{id}"))
                .collect(),
        )
    }

    /// `user` takes back the like of a track (by id, Spotify URI or SoundCloud URN); whether
    /// they liked it.
    pub(crate) fn unlike(&mut self, user: &str, track: &str) -> bool {
        let id = self
            .catalogue
            .iter()
            .find(|candidate| {
                candidate.id == track
                    || format!("spotify:track:{}", candidate.id) == track
                    || format!("soundcloud:tracks:{}", candidate.numeric_id) == track
            })
            .map(|found| found.id.clone());
        let Some(id) = id else { return false };
        let Some(user) = self.user_mut(user) else {
            return false;
        };
        let before = user.liked.len();
        user.liked.retain(|(_, liked)| *liked != id);
        user.liked.len() != before
    }

    pub(crate) fn user_mut(&mut self, id: &str) -> Option<&mut User> {
        self.users.iter_mut().find(|user| user.id == id)
    }

    pub(crate) fn track(&self, id: &str) -> Option<&Track> {
        self.catalogue.iter().find(|track| track.id == id)
    }

    /// Counts a call and returns the fault scripted for it, if any.
    pub(crate) fn record_call(&mut self, route: &str) -> Option<Fault> {
        *self.calls.entry(route.to_owned()).or_default() += 1;
        let fault = self
            .faults
            .iter_mut()
            .find(|fault| fault.route == route && fault.remaining > 0)?;
        fault.remaining -= 1;
        Some(fault.clone())
    }
}

/// A random opaque token.
pub(crate) fn random_token(prefix: &str) -> String {
    let mut bytes = [0_u8; 24];
    OsRng.fill_bytes(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

impl Player {
    /// Moves playback forward to `now`: finished tracks give way to the queue.
    pub(crate) fn advance(&mut self, now: DateTime<Utc>, duration_of: impl Fn(&str) -> u64) {
        while let (Some(current), Some(resumed_at)) = (self.current.clone(), self.resumed_at) {
            let position = self.position_at(now);
            let duration = duration_of(&current);
            if position < duration {
                break;
            }
            // A seek may have put the position past the end already: the track ended then.
            let ended_at = resumed_at
                + Duration::milliseconds(
                    i64::try_from(duration.saturating_sub(self.position_ms)).unwrap_or(0),
                );
            self.history.push(current);
            match self.next_up() {
                Some(next) => {
                    self.current = Some(next);
                    self.position_ms = 0;
                    self.resumed_at = Some(ended_at);
                }
                None => {
                    self.current = None;
                    self.position_ms = 0;
                    self.resumed_at = None;
                }
            }
        }
    }

    /// Seeks to `position` in the current track at `now`. As Spotify does, a position at or past
    /// the end moves on to the next track (from its start), or stops when there is none.
    pub(crate) fn seek(
        &mut self,
        position: u64,
        now: DateTime<Utc>,
        duration_of: impl Fn(&str) -> u64,
    ) {
        self.position_ms = position;
        if self.resumed_at.is_some() {
            self.resumed_at = Some(now);
        }
        let Some(current) = self.current.clone() else {
            return;
        };
        if position < duration_of(&current) {
            return;
        }
        self.history.push(current);
        self.current = self.next_up();
        self.position_ms = 0;
        if self.current.is_none() {
            self.resumed_at = None;
        }
    }

    /// Pauses at `now`, keeping the position.
    pub(crate) fn pause(&mut self, now: DateTime<Utc>) {
        if self.resumed_at.is_some() {
            self.position_ms = self.position_at(now);
            self.resumed_at = None;
        }
    }

    /// The next track: the user's queue first, then the context.
    pub(crate) fn next_up(&mut self) -> Option<String> {
        self.queue.pop_front().or_else(|| self.context.pop_front())
    }

    /// The position in the current track at `now`.
    pub(crate) fn position_at(&self, now: DateTime<Utc>) -> u64 {
        match self.resumed_at {
            Some(resumed_at) => self
                .position_ms
                .saturating_add(u64::try_from((now - resumed_at).num_milliseconds()).unwrap_or(0)),
            None => self.position_ms,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_world() {
        let first = World::generate(7);
        let second = World::generate(7);
        assert_eq!(
            first.catalogue.iter().map(|t| &t.id).collect::<Vec<_>>(),
            second.catalogue.iter().map(|t| &t.id).collect::<Vec<_>>()
        );
        assert_eq!(first.users[0].liked, second.users[0].liked);
        assert_ne!(first.catalogue[0].id, World::generate(8).catalogue[0].id);
    }

    #[test]
    fn playback_moves_through_the_queue_with_time() {
        let start = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let mut player = Player {
            current: Some("a".into()),
            resumed_at: Some(start),
            context: VecDeque::from(["b".to_owned()]),
            ..Player::default()
        };
        let duration = |_: &str| 10_000;
        player.advance(start + Duration::seconds(5), duration);
        assert_eq!(
            (
                player.current.as_deref(),
                player.position_at(start + Duration::seconds(5))
            ),
            (Some("a"), 5_000)
        );
        player.advance(start + Duration::seconds(12), duration);
        assert_eq!(
            (
                player.current.as_deref(),
                player.position_at(start + Duration::seconds(12))
            ),
            (Some("b"), 2_000)
        );
        player.advance(start + Duration::seconds(30), duration);
        assert_eq!(player.current, None);
        assert_eq!(player.history, vec!["a".to_owned(), "b".to_owned()]);
    }

    mod sequences {
        use proptest::prelude::*;

        use super::super::*;

        /// Something a person (or the server) does to a player.
        #[derive(Debug, Clone)]
        enum Step {
            Seek(u64),
            Pause,
            Resume,
            Wait(u32),
            Queue(usize),
            Next,
        }

        fn step() -> impl Strategy<Value = Step> {
            prop_oneof![
                any::<u64>().prop_map(Step::Seek),
                (0_u64..400_000).prop_map(Step::Seek),
                Just(Step::Pause),
                Just(Step::Resume),
                (0_u32..1_000_000).prop_map(Step::Wait),
                (0_usize..3).prop_map(Step::Queue),
                Just(Step::Next),
            ]
        }

        const TRACKS: [(&str, u64); 3] = [("a", 180_000), ("b", 1), ("c", 240_000)];

        fn duration_of(id: &str) -> u64 {
            TRACKS
                .iter()
                .find(|(track, _)| *track == id)
                .map_or(0, |(_, duration)| *duration)
        }

        proptest! {
            /// Whatever is done in whatever order, the player never panics, and a playing track
            /// is always within its length once time has been accounted for.
            #[test]
            fn no_sequence_of_commands_breaks_the_player(steps in prop::collection::vec(step(), 1..60)) {
                let mut now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
                let mut player = Player {
                    current: Some("a".to_owned()),
                    resumed_at: Some(now),
                    context: ["b", "c"].map(str::to_owned).into(),
                    ..Player::default()
                };
                for step in steps {
                    match step {
                        Step::Seek(position) => player.seek(position, now, duration_of),
                        Step::Pause => player.pause(now),
                        Step::Resume => {
                            if player.current.is_some() && player.resumed_at.is_none() {
                                player.resumed_at = Some(now);
                            }
                        }
                        Step::Wait(ms) => now += Duration::milliseconds(i64::from(ms)),
                        Step::Queue(index) => player.queue.push_back(TRACKS[index].0.to_owned()),
                        Step::Next => {
                            if let Some(next) = player.next_up()
                                && let Some(current) = player.current.replace(next)
                            {
                                player.history.push(current);
                                player.position_ms = 0;
                            }
                        }
                    }
                    player.advance(now, duration_of);
                    if let (Some(current), Some(_)) = (&player.current, player.resumed_at) {
                        prop_assert!(player.position_at(now) < duration_of(current));
                    }
                }
            }
        }
    }
}
