//! Insights and recommendations in the database: a person's likes (kept by the sync), the tracks
//! played in their rooms and their votes, read in a few statements; the people whose taste
//! overlaps theirs found in one; and each person's recommendations switch.

use std::collections::{BTreeMap, HashSet};

use anyhow::Context as _;
use async_trait::async_trait;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, DatabaseConnection, EntityTrait as _, FromQueryResult, Statement, Value,
};
use soiree_insights::{
    Heard, ListeningRecord, RecommendationSwitch, RoomRole, RoomVisit, RoomsSummary, Signal,
    SignalKind, Taste, Tastes,
};
use soiree_kernel::{Timestamp, UserId};

use crate::browse::placeholders;
use crate::entity::person_settings;

/// Insights and recommendations over the database.
#[derive(Debug, Clone)]
pub struct SqlInsightsStore {
    connection: DatabaseConnection,
}

impl SqlInsightsStore {
    pub(crate) fn new(connection: DatabaseConnection) -> Self {
        Self { connection }
    }

    async fn rows<T: FromQueryResult>(
        &self,
        sql: &str,
        values: Vec<Value>,
        what: &'static str,
    ) -> anyhow::Result<Vec<T>> {
        let backend = self.connection.get_database_backend();
        T::find_by_statement(Statement::from_sql_and_values(
            backend,
            placeholders(sql, backend),
            values,
        ))
        .all(&self.connection)
        .await
        .context(what)
    }
}

/// A track as a query gives it: liked tracks keep artists separated by U+001F, the room's
/// track details as a JSON list; a room track nobody described has only its address.
#[derive(Debug, FromQueryResult)]
struct TrackRow {
    user_id: uuid::Uuid,
    uri: String,
    title: Option<String>,
    artists: Option<String>,
    from_likes: bool,
    up: bool,
    at: Timestamp,
}

impl TrackRow {
    fn heard(&self) -> Heard {
        let artists = match &self.artists {
            Some(text) if self.from_likes => text
                .split('\u{1F}')
                .filter(|name| !name.is_empty())
                .map(str::to_owned)
                .collect(),
            Some(json) => serde_json::from_str(json).unwrap_or_default(),
            None => Vec::new(),
        };
        Heard {
            uri: self.uri.clone(),
            title: self.title.clone().unwrap_or_else(|| self.uri.clone()),
            artists,
        }
    }
}

/// Likes, as track rows.
const LIKES: &str = "SELECT user_id, uri, title, artists, 1 = 1 AS from_likes, 1 = 1 AS up, \
     COALESCE(liked_at, first_seen_at) AS at FROM liked_tracks";

/// Votes of signed-in participants, as track rows (`up` for a like).
const VOTES: &str = "SELECT p.user_id AS user_id, v.track_uri AS uri, d.title AS title, \
     d.artists AS artists, 1 = 0 AS from_likes, v.is_like AS up, v.cast_at AS at \
     FROM room_votes v JOIN room_participants p ON p.id = v.participant_id \
     LEFT JOIN track_details d ON d.track_uri = v.track_uri WHERE p.user_id IS NOT NULL";

/// One person's taste as addresses: the tracks they like or voted up (two values: the person).
const MINE: &str = "SELECT uri FROM liked_tracks WHERE user_id = ? UNION \
     SELECT v.track_uri FROM room_votes v JOIN room_participants p ON p.id = v.participant_id \
     WHERE v.is_like AND p.user_id = ?";

#[async_trait]
impl ListeningRecord for SqlInsightsStore {
    async fn signals(&self, user: UserId) -> anyhow::Result<Vec<Signal>> {
        let me = || Value::from(user.as_uuid());
        let mut rows: Vec<TrackRow> = self
            .rows(
                &format!("{LIKES} WHERE user_id = ?"),
                vec![me()],
                "reading someone's likes",
            )
            .await?;
        rows.extend(
            self.rows::<TrackRow>(
                &format!("{VOTES} AND p.user_id = ?"),
                vec![me()],
                "reading someone's votes",
            )
            .await?,
        );
        let mut signals: Vec<Signal> = rows
            .iter()
            .map(|row| Signal {
                kind: match (row.from_likes, row.up) {
                    (true, _) => SignalKind::Liked,
                    (false, true) => SignalKind::VotedUp,
                    (false, false) => SignalKind::VotedDown,
                },
                track: row.heard(),
                at: row.at,
            })
            .collect();
        let played: Vec<TrackRow> = self
            .rows(
                "SELECT ? AS user_id, t.track_uri AS uri, d.title AS title, d.artists AS artists, \
                 1 = 0 AS from_likes, 1 = 1 AS up, COALESCE(t.ready_at, t.created_at) AS at \
                 FROM room_tracks t LEFT JOIN track_details d ON d.track_uri = t.track_uri \
                 WHERE t.state IN ('played', 'playing') AND t.room_id IN \
                 (SELECT id FROM rooms WHERE host_user_id = ? \
                  UNION SELECT room_id FROM room_participants WHERE user_id = ?)",
                vec![me(), me(), me()],
                "reading the tracks played in someone's rooms",
            )
            .await?;
        signals.extend(played.iter().map(|row| Signal {
            kind: SignalKind::PlayedInRoom,
            track: row.heard(),
            at: row.at,
        }));
        Ok(signals)
    }

    async fn rooms(&self, user: UserId, recent: u32) -> anyhow::Result<RoomsSummary> {
        #[derive(Debug, FromQueryResult)]
        struct RoomRow {
            code: String,
            name: Option<String>,
            hosted: bool,
            at: Timestamp,
            closed: bool,
        }
        let me = || Value::from(user.as_uuid());
        let rows: Vec<RoomRow> = self
            .rows(
                "SELECT code, name, 1 = 1 AS hosted, created_at AS at, \
                 closed_at IS NOT NULL AS closed FROM rooms WHERE host_user_id = ? \
                 UNION ALL \
                 SELECT r.code, r.name, 1 = 0, MIN(p.joined_at), r.closed_at IS NOT NULL \
                 FROM room_participants p JOIN rooms r ON r.id = p.room_id \
                 WHERE p.user_id = ? AND r.host_user_id <> ? \
                 GROUP BY r.id, r.code, r.name, r.closed_at",
                vec![me(), me(), me()],
                "reading someone's rooms",
            )
            .await?;
        let hosted = rows.iter().filter(|row| row.hosted).count() as u64;
        let joined = rows.len() as u64 - hosted;
        let mut visits: Vec<RoomVisit> = rows
            .into_iter()
            .map(|row| RoomVisit {
                code: row.code,
                name: row.name,
                role: if row.hosted {
                    RoomRole::Host
                } else {
                    RoomRole::Guest
                },
                at: row.at,
                closed: row.closed,
            })
            .collect();
        visits.sort_by(|a, b| b.at.cmp(&a.at).then_with(|| a.code.cmp(&b.code)));
        visits.truncate(usize::try_from(recent).unwrap_or(usize::MAX));
        Ok(RoomsSummary {
            hosted,
            joined,
            recent: visits,
        })
    }
}

/// The tracks each person liked or voted up, each once (the first description found).
fn tastes(rows: Vec<TrackRow>) -> BTreeMap<uuid::Uuid, Vec<Heard>> {
    let mut seen: HashSet<(uuid::Uuid, String)> = HashSet::new();
    let mut tastes: BTreeMap<uuid::Uuid, Vec<Heard>> = BTreeMap::new();
    for row in rows {
        if row.up && seen.insert((row.user_id, row.uri.clone())) {
            tastes.entry(row.user_id).or_default().push(row.heard());
        }
    }
    tastes
}

#[async_trait]
impl Tastes for SqlInsightsStore {
    async fn taste_of(&self, user: UserId) -> anyhow::Result<Vec<Heard>> {
        let rows: Vec<TrackRow> = self
            .rows(
                &format!(
                    "{LIKES} WHERE user_id = ? UNION ALL {VOTES} AND v.is_like AND p.user_id = ?"
                ),
                vec![user.as_uuid().into(), user.as_uuid().into()],
                "reading someone's taste",
            )
            .await?;
        Ok(tastes(rows).remove(&user.as_uuid()).unwrap_or_default())
    }

    async fn neighbours(&self, user: UserId, limit: u32) -> anyhow::Result<Vec<Taste>> {
        #[derive(Debug, FromQueryResult)]
        struct Neighbour {
            user_id: uuid::Uuid,
        }
        let me = || Value::from(user.as_uuid());
        // Their songs are found through the index on `liked_tracks.uri`, from the caller's own
        // (a handful of songs), never by reading everybody's.
        let found: Vec<Neighbour> = self
            .rows(
                &format!(
                    "WITH mine AS ({MINE}), theirs AS (\
                     SELECT user_id, uri FROM liked_tracks WHERE uri IN (SELECT uri FROM mine) \
                     UNION SELECT p.user_id, v.track_uri FROM room_votes v \
                     JOIN room_participants p ON p.id = v.participant_id \
                     WHERE v.is_like AND p.user_id IS NOT NULL \
                     AND v.track_uri IN (SELECT uri FROM mine)) \
                     SELECT user_id FROM theirs WHERE user_id <> ? AND user_id NOT IN \
                     (SELECT user_id FROM person_settings WHERE NOT recommendations) \
                     GROUP BY user_id ORDER BY COUNT(*) DESC, user_id LIMIT ?"
                ),
                vec![me(), me(), me(), Value::from(i64::from(limit))],
                "finding the people who share someone's taste",
            )
            .await?;
        if found.is_empty() {
            return Ok(Vec::new());
        }
        #[derive(Debug, FromQueryResult)]
        struct Pair {
            user_id: uuid::Uuid,
            uri: String,
        }
        let mut tastes_found: BTreeMap<uuid::Uuid, Vec<String>> = BTreeMap::new();
        // Bounded lists of bound values; addresses only (what they are called is read for the
        // chosen tracks alone, by `describe`).
        for chunk in found.chunks(100) {
            let marks = vec!["?"; chunk.len()].join(", ");
            let ids = || chunk.iter().map(|row| Value::from(row.user_id));
            let rows: Vec<Pair> = self
                .rows(
                    &format!(
                        "SELECT user_id, uri FROM liked_tracks WHERE user_id IN ({marks}) \
                         UNION SELECT p.user_id, v.track_uri FROM room_votes v \
                         JOIN room_participants p ON p.id = v.participant_id \
                         WHERE v.is_like AND p.user_id IN ({marks})"
                    ),
                    ids().chain(ids()).collect(),
                    "reading the tastes of people who share someone's",
                )
                .await?;
            for row in rows {
                tastes_found.entry(row.user_id).or_default().push(row.uri);
            }
        }
        Ok(found
            .iter()
            .filter_map(|row| tastes_found.remove(&row.user_id))
            .map(|uris| Taste { uris })
            .collect())
    }

    async fn describe(&self, uris: &[String]) -> anyhow::Result<Vec<Heard>> {
        let mut found: Vec<Heard> = Vec::new();
        for chunk in uris.chunks(100) {
            let marks = vec!["?"; chunk.len()].join(", ");
            let values = || chunk.iter().map(|uri| Value::from(uri.as_str()));
            #[derive(Debug, FromQueryResult)]
            struct Liked {
                uri: String,
                title: String,
                artists: String,
            }
            let rows: Vec<Liked> = self
                .rows(
                    &format!(
                        "SELECT uri, MIN(title) AS title, MIN(artists) AS artists \
                         FROM liked_tracks WHERE uri IN ({marks}) GROUP BY uri"
                    ),
                    values().collect(),
                    "describing tracks from likes",
                )
                .await?;
            found.extend(rows.into_iter().map(|row| {
                Heard {
                    uri: row.uri,
                    title: row.title,
                    artists: row
                        .artists
                        .split('\u{1F}')
                        .filter(|name| !name.is_empty())
                        .map(str::to_owned)
                        .collect(),
                }
            }));
            let missing: Vec<&String> = chunk
                .iter()
                .filter(|uri| !found.iter().any(|track| track.uri == **uri))
                .collect();
            if missing.is_empty() {
                continue;
            }
            #[derive(Debug, FromQueryResult)]
            struct Detail {
                track_uri: String,
                title: String,
                artists: String,
            }
            let marks = vec!["?"; missing.len()].join(", ");
            let details: Vec<Detail> = self
                .rows(
                    &format!(
                        "SELECT track_uri, title, artists FROM track_details \
                         WHERE track_uri IN ({marks})"
                    ),
                    missing
                        .iter()
                        .map(|uri| Value::from(uri.as_str()))
                        .collect(),
                    "describing tracks from the rooms",
                )
                .await?;
            found.extend(details.into_iter().map(|detail| Heard {
                uri: detail.track_uri,
                title: detail.title,
                artists: serde_json::from_str(&detail.artists).unwrap_or_default(),
            }));
        }
        Ok(found)
    }
}

#[async_trait]
impl RecommendationSwitch for SqlInsightsStore {
    async fn is_on(&self, user: UserId) -> anyhow::Result<bool> {
        Ok(person_settings::Entity::find_by_id(user.as_uuid())
            .one(&self.connection)
            .await
            .context("reading someone's settings")?
            .is_none_or(|settings| settings.recommendations))
    }

    async fn set(&self, user: UserId, on: bool) -> anyhow::Result<()> {
        use person_settings::Column as C;
        person_settings::Entity::insert(person_settings::ActiveModel {
            user_id: Set(user.as_uuid()),
            recommendations: Set(on),
            sync_every_minutes: Set(None),
            full_every_days: Set(None),
            updated_at: Set(chrono::Utc::now()),
        })
        .on_conflict(
            OnConflict::column(C::UserId)
                .update_columns([C::Recommendations, C::UpdatedAt])
                .to_owned(),
        )
        .exec_without_returning(&self.connection)
        .await
        .context("switching someone's recommendations")?;
        Ok(())
    }
}
