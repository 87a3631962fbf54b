//! `GET /api/v1/me/insights` (top artists and tracks, weekly history, rooms, sync figures),
//! `GET /api/v1/me/recommendations` (tracks liked by people whose taste overlaps the caller's,
//! each with its reason) and `GET|PATCH /api/v1/me/settings` (recommendations on or off, the
//! sync's interval and full reads, where the drive folder is).

use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{ApiResponse, Object, OpenApi, Tags};
use soiree_insights::{Counts, Heard, Insights, RecommendError, Recommendation, RoomRole};
use soiree_kernel::UserId;
use soiree_sync::{FullRead, PreferencesError, SyncPreferences, SyncStatus};

use crate::auth::SessionAuth;
use crate::problem::{Problem, problem_variants};
use crate::state::AppState;

#[derive(Tags)]
enum InsightsTags {
    /// What you listened to and voted for, and what people with your taste like.
    Insights,
}

/// How often a track or an artist came up.
#[derive(Object, Debug)]
#[oai(rename = "InsightCounts")]
struct CountsOut {
    /// Likes, plays in rooms and votes up together: what ranks it.
    score: u32,
    /// Liked on a connected service.
    liked: u32,
    /// Played in a room you hosted or joined.
    played: u32,
    /// Your votes up in rooms.
    voted_up: u32,
    /// Your votes down in rooms (they do not raise the score).
    voted_down: u32,
}

impl From<Counts> for CountsOut {
    fn from(counts: Counts) -> Self {
        Self {
            score: counts.score(),
            liked: counts.liked,
            played: counts.played,
            voted_up: counts.voted_up,
            voted_down: counts.voted_down,
        }
    }
}

#[derive(Object, Debug)]
#[oai(rename = "TopArtist")]
struct TopArtistOut {
    name: String,
    counts: CountsOut,
}

/// A track as you met it.
#[derive(Object, Debug)]
#[oai(rename = "HeardTrack")]
struct HeardOut {
    /// The service's address (`spotify:track:…`, `soundcloud:tracks:…`).
    uri: String,
    title: String,
    artists: Vec<String>,
}

impl From<Heard> for HeardOut {
    fn from(track: Heard) -> Self {
        Self {
            uri: track.uri,
            title: track.title,
            artists: track.artists,
        }
    }
}

#[derive(Object, Debug)]
#[oai(rename = "TopTrack")]
struct TopTrackOut {
    track: HeardOut,
    counts: CountsOut,
}

#[derive(Object, Debug)]
#[oai(rename = "InsightWeek")]
struct WeekOut {
    /// The week's Monday (UTC).
    starts: chrono::NaiveDate,
    counts: CountsOut,
}

#[derive(Object, Debug)]
#[oai(rename = "InsightRoom")]
struct RoomVisitOut {
    code: String,
    #[oai(skip_serializing_if_is_none)]
    name: Option<String>,
    /// `host` or `guest`.
    role: String,
    /// When you opened or joined it.
    at: chrono::DateTime<chrono::Utc>,
    closed: bool,
}

#[derive(Object, Debug)]
#[oai(rename = "InsightRooms")]
struct RoomsOut {
    hosted: u64,
    /// Other people's rooms you joined.
    joined: u64,
    /// The latest, newest first.
    recent: Vec<RoomVisitOut>,
}

/// One service's sync, in figures.
#[derive(Object, Debug)]
#[oai(rename = "InsightSync")]
struct SyncFiguresOut {
    service: String,
    /// Likes kept.
    likes: u64,
    /// The runs counted below (the last ten).
    runs: u32,
    /// Likes those runs added and removed.
    added: u32,
    removed: u32,
    /// Times a rate limit paused them.
    rate_limit_waits: u32,
    #[oai(skip_serializing_if_is_none)]
    last_run_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl From<SyncStatus> for SyncFiguresOut {
    fn from(status: SyncStatus) -> Self {
        let sum = |field: fn(&soiree_sync::RunResult) -> u32| {
            status.runs.iter().map(field).fold(0, u32::saturating_add)
        };
        Self {
            service: status.state.key.service.clone(),
            likes: status.likes,
            runs: u32::try_from(status.runs.len()).unwrap_or(u32::MAX),
            added: sum(|run| run.added),
            removed: sum(|run| run.removed),
            rate_limit_waits: sum(|run| run.rate_limit_waits),
            last_run_at: status.runs.first().map(|run| run.finished_at),
        }
    }
}

/// Your insights.
#[derive(Object, Debug)]
#[oai(rename = "Insights")]
struct InsightsOut {
    /// Everything counted, all time.
    totals: CountsOut,
    /// The ten artists that came up most (all time), highest first.
    top_artists: Vec<TopArtistOut>,
    /// The ten tracks that came up most (all time), highest first.
    top_tracks: Vec<TopTrackOut>,
    /// The last twelve weeks, oldest first.
    weeks: Vec<WeekOut>,
    rooms: RoomsOut,
    /// Per connected service.
    sync: Vec<SyncFiguresOut>,
}

fn insights_out(insights: Insights, sync: Vec<SyncStatus>) -> InsightsOut {
    InsightsOut {
        totals: insights.totals.into(),
        top_artists: insights
            .top_artists
            .into_iter()
            .map(|artist| TopArtistOut {
                name: artist.name,
                counts: artist.counts.into(),
            })
            .collect(),
        top_tracks: insights
            .top_tracks
            .into_iter()
            .map(|top| TopTrackOut {
                track: top.track.into(),
                counts: top.counts.into(),
            })
            .collect(),
        weeks: insights
            .weeks
            .into_iter()
            .map(|week| WeekOut {
                starts: week.starts.date_naive(),
                counts: week.counts.into(),
            })
            .collect(),
        rooms: RoomsOut {
            hosted: insights.rooms.hosted,
            joined: insights.rooms.joined,
            recent: insights
                .rooms
                .recent
                .into_iter()
                .map(|visit| RoomVisitOut {
                    code: visit.code,
                    name: visit.name,
                    role: match visit.role {
                        RoomRole::Host => "host",
                        RoomRole::Guest => "guest",
                    }
                    .to_owned(),
                    at: visit.at,
                    closed: visit.closed,
                })
                .collect(),
        },
        sync: sync.into_iter().map(SyncFiguresOut::from).collect(),
    }
}

#[derive(ApiResponse)]
enum InsightsResponse {
    #[oai(status = 200)]
    Ok(Json<InsightsOut>),
    /// `unauthenticated`.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Json<Problem>),
    /// `internal_error`.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

problem_variants!(InsightsResponse { 401 => Unauthenticated, 500 => Internal } else internal);

/// A track recommended to you.
#[derive(Object, Debug)]
#[oai(rename = "Recommendation")]
pub(crate) struct RecommendationOut {
    track: HeardOut,
    /// How many people whose likes and votes overlap yours like it.
    people: u32,
    /// Your track most of them like too.
    because: HeardOut,
    /// In words: "liked by 3 people who also like …".
    reason: String,
}

impl From<Recommendation> for RecommendationOut {
    fn from(found: Recommendation) -> Self {
        Self {
            reason: found.reason(),
            track: found.track.into(),
            people: found.people,
            because: found.because.into(),
        }
    }
}

#[derive(Object, Debug)]
#[oai(rename = "Recommendations")]
pub(crate) struct RecommendationsOut {
    /// Best first; empty until you like or vote for something other people like too.
    pub(crate) recommendations: Vec<RecommendationOut>,
}

#[derive(ApiResponse)]
#[oai(bad_request_handler = "RecommendationsResponse::bad_request_handler")]
enum RecommendationsResponse {
    #[oai(status = 200)]
    Ok(Json<RecommendationsOut>),
    /// `bad_request`: `limit` is not a number from 1 to 50.
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Problem>),
    /// `unauthenticated`.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Json<Problem>),
    /// `recommendations_off`: you switched them off (`PATCH /api/v1/me/settings`).
    #[oai(status = 409, content_type = "application/problem+json")]
    Conflict(Json<Problem>),
    /// `internal_error`.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

problem_variants!(RecommendationsResponse {
    400 => BadRequest, 401 => Unauthenticated, 409 => Conflict, 500 => Internal,
});

/// The problem of recommendations that cannot be given.
pub(crate) fn recommendation_problem(error: &RecommendError) -> Problem {
    match error {
        RecommendError::SwitchedOff => Problem::new(
            poem::http::StatusCode::CONFLICT,
            "recommendations_off",
            "Recommendations are off",
            "You switched recommendations off; switch them on in your settings (PATCH /api/v1/me/settings {\"recommendations\": true}).",
        ),
        RecommendError::Unknown(error) => Problem::internal(&format!("{error:#}")),
    }
}

/// The sync's settings.
#[derive(Object, Debug)]
#[oai(rename = "SyncSettings")]
struct SyncSettingsOut {
    /// How often your likes are synced, in minutes.
    every_minutes: u32,
    /// Whether that is the server's interval (you chose none).
    server_interval: bool,
    /// The shortest interval this server allows, in minutes.
    least_minutes: u32,
    /// Days between full reads (which notice unlikes); absent when they come only when you ask.
    #[oai(skip_serializing_if_is_none)]
    full_read_every_days: Option<u32>,
    /// `default` (the server's: weekly), `every_days` or `when_asked`.
    full_read: String,
}

#[derive(Object, Debug)]
#[oai(rename = "DriveSettings")]
struct DriveSettingsOut {
    /// Your drive folder on the server: `liked.jsonl`, `liked.m3u8`, `soundcloud/`.
    path: String,
}

/// Your settings.
#[derive(Object, Debug)]
#[oai(rename = "Settings")]
struct SettingsOut {
    /// Whether you get recommendations (and your taste counts in other people's).
    recommendations: bool,
    sync: SyncSettingsOut,
    drive: DriveSettingsOut,
}

/// Settings changes. A field left out stays as it is.
#[derive(Object, Debug)]
#[oai(rename = "SettingsPatch", deny_unknown_fields)]
struct SettingsPatch {
    /// Recommendations on or off; off also keeps your likes and votes out of other people's.
    recommendations: Option<bool>,
    /// Sync every so many minutes (at least the server's interval, at most 10080: a week);
    /// `null`: the server's interval.
    #[oai(validator(minimum(value = "1"), maximum(value = "10080")))]
    sync_every_minutes: MaybeUndefined<u32>,
    /// Days between full reads (1 to 90); `0`: only when you ask; `null`: the server's (weekly).
    #[oai(validator(maximum(value = "90")))]
    full_read_every_days: MaybeUndefined<u32>,
}

#[derive(ApiResponse)]
#[oai(bad_request_handler = "SettingsResponse::bad_request_handler")]
enum SettingsResponse {
    #[oai(status = 200)]
    Ok(Json<SettingsOut>),
    /// `bad_request`: the body is not a settings patch.
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Problem>),
    /// `unauthenticated`.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Json<Problem>),
    /// `payload_too_large`: the body is over 1 MiB.
    #[oai(status = 413, content_type = "application/problem+json")]
    PayloadTooLarge(Json<Problem>),
    /// `unsupported_media_type`: the body is not sent as `application/json`.
    #[oai(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Json<Problem>),
    /// `invalid_sync_interval`: more often than the server allows, or less than weekly;
    /// `invalid_full_read`; `invalid_value`: a number out of its documented range.
    #[oai(status = 422, content_type = "application/problem+json")]
    Invalid(Json<Problem>),
    /// `internal_error`.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

problem_variants!(SettingsResponse {
    400 => BadRequest, 401 => Unauthenticated, 413 => PayloadTooLarge, 415 => UnsupportedMediaType,
    422 => Invalid, 500 => Internal,
});

pub(crate) struct InsightsApi {
    pub(crate) state: AppState,
}

impl InsightsApi {
    async fn settings(&self, user: UserId) -> anyhow::Result<SettingsOut> {
        let sync = &self.state.sync.service;
        let preferences = sync.preferences(user).await?;
        let server_minutes = sync.least_minutes();
        let (full_read, full_read_every_days) = match preferences.full_read {
            FullRead::Default => (
                "default",
                u32::try_from(sync.config().full_every.num_days()).ok(),
            ),
            FullRead::EveryDays(days) => ("every_days", Some(days)),
            FullRead::WhenAsked => ("when_asked", None),
        };
        Ok(SettingsOut {
            recommendations: self.state.insights.recommendations_on(user).await?,
            sync: SyncSettingsOut {
                every_minutes: preferences
                    .every_minutes
                    .unwrap_or(server_minutes)
                    .max(server_minutes),
                server_interval: preferences.every_minutes.is_none(),
                least_minutes: server_minutes,
                full_read_every_days,
                full_read: full_read.to_owned(),
            },
            drive: DriveSettingsOut {
                path: self.state.sync.drive.path_of(user).display().to_string(),
            },
        })
    }

    async fn change(&self, user: UserId, patch: SettingsPatch) -> Result<(), Problem> {
        let sync = &self.state.sync.service;
        if !patch.sync_every_minutes.is_undefined() || !patch.full_read_every_days.is_undefined() {
            let mut preferences = sync
                .preferences(user)
                .await
                .map_err(|error| Problem::internal(&format!("{error:#}")))?;
            match patch.sync_every_minutes {
                MaybeUndefined::Undefined => {}
                MaybeUndefined::Null => preferences.every_minutes = None,
                MaybeUndefined::Value(minutes) => preferences.every_minutes = Some(minutes),
            }
            match patch.full_read_every_days {
                MaybeUndefined::Undefined => {}
                MaybeUndefined::Null => preferences.full_read = FullRead::Default,
                MaybeUndefined::Value(0) => preferences.full_read = FullRead::WhenAsked,
                MaybeUndefined::Value(days) => preferences.full_read = FullRead::EveryDays(days),
            }
            set_preferences(sync, user, preferences).await?;
        }
        if let Some(on) = patch.recommendations {
            self.state
                .insights
                .switch_recommendations(user, on)
                .await
                .map_err(|error| Problem::internal(&error))?;
        }
        Ok(())
    }
}

async fn set_preferences(
    sync: &soiree_sync::SyncService,
    user: UserId,
    preferences: SyncPreferences,
) -> Result<(), Problem> {
    sync.set_preferences(user, preferences)
        .await
        .map_err(|error| match error {
            PreferencesError::TooOften { .. } => {
                Problem::invalid("invalid_sync_interval", crate::problem::capitalised(&error))
            }
            PreferencesError::TooRare => {
                Problem::invalid("invalid_full_read", crate::problem::capitalised(&error))
            }
            PreferencesError::Unknown(error) => Problem::internal(&format!("{error:#}")),
        })
}

#[OpenApi(prefix_path = "/api/v1", tag = "InsightsTags::Insights")]
impl InsightsApi {
    /// Your insights: top artists and tracks (from your likes, the tracks played in your rooms
    /// and your votes), the last twelve weeks, the rooms you hosted and joined, your sync's
    /// figures.
    #[oai(path = "/me/insights", method = "get")]
    async fn insights(&self, auth: SessionAuth) -> InsightsResponse {
        let user = auth.caller().user.id;
        let insights = match self.state.insights.insights(user).await {
            Ok(insights) => insights,
            Err(error) => return InsightsResponse::from_problem(Problem::internal(&error)),
        };
        match self.state.sync.service.status(user).await {
            Ok(sync) => InsightsResponse::Ok(Json(insights_out(insights, sync))),
            Err(error) => InsightsResponse::from_problem(Problem::internal(&error)),
        }
    }

    /// Tracks liked by the people whose likes and votes overlap yours, best first, each with
    /// its reason. Nothing is said of who those people are.
    #[oai(path = "/me/recommendations", method = "get")]
    async fn recommendations(
        &self,
        auth: SessionAuth,
        #[oai(validator(minimum(value = "1"), maximum(value = "50")))] limit: Query<Option<u32>>,
    ) -> RecommendationsResponse {
        let limit = usize::try_from(limit.0.unwrap_or(20)).unwrap_or(20);
        match self
            .state
            .insights
            .recommendations(auth.caller().user.id, limit)
            .await
        {
            Ok(found) => RecommendationsResponse::Ok(Json(RecommendationsOut {
                recommendations: found.into_iter().map(RecommendationOut::from).collect(),
            })),
            Err(error) => RecommendationsResponse::from_problem(recommendation_problem(&error)),
        }
    }

    /// Your settings: recommendations on or off, the sync's interval and full reads, your
    /// drive folder.
    #[oai(path = "/me/settings", method = "get")]
    async fn get_settings(&self, auth: SessionAuth) -> SettingsResponse {
        match self.settings(auth.caller().user.id).await {
            Ok(settings) => SettingsResponse::Ok(Json(settings)),
            Err(error) => SettingsResponse::from_problem(Problem::internal(&error)),
        }
    }

    /// Change your settings; a field left out stays as it is.
    #[oai(path = "/me/settings", method = "patch")]
    async fn patch_settings(
        &self,
        auth: SessionAuth,
        body: Json<SettingsPatch>,
    ) -> SettingsResponse {
        let user = auth.caller().user.id;
        if let Err(problem) = self.change(user, body.0).await {
            return SettingsResponse::from_problem(problem);
        }
        match self.settings(user).await {
            Ok(settings) => SettingsResponse::Ok(Json(settings)),
            Err(error) => SettingsResponse::from_problem(Problem::internal(&error)),
        }
    }
}
