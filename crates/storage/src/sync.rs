//! The liked-track sync in the database: one state row per person and service (claimed under
//! `FOR UPDATE SKIP LOCKED` on PostgreSQL, and by a conditional update everywhere, so that a run
//! is held by one process at a time), the runs' results, and the likes with the run that last
//! saw each.

use std::collections::HashSet;

use anyhow::Context as _;
use async_trait::async_trait;
use chrono::TimeDelta;
use sea_orm::sea_query::{LockBehavior, LockType, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait as _, Condition, ConnectionTrait, DatabaseBackend,
    DatabaseConnection, EntityTrait as _, PaginatorTrait as _, QueryFilter as _, QueryOrder as _,
    QuerySelect as _, TransactionTrait as _,
};
use soiree_kernel::{Timestamp, UserId};
use soiree_sync::{
    FullRead, Liked, Marker, Outcome, PersonSync, RunId, RunProgress, RunResult, SyncKey, SyncMode,
    SyncPreferences, SyncRepository, SyncState, spread_offset,
};

use crate::entity::{liked_tracks, person_settings, sync_runs, sync_states};

/// Artists are kept in one column, separated by a character no name holds.
const ARTIST_SEPARATOR: &str = "\u{1F}";

/// The sync in the database.
#[derive(Debug, Clone)]
pub struct SqlSyncStore {
    connection: DatabaseConnection,
}

impl SqlSyncStore {
    pub(crate) fn new(connection: DatabaseConnection) -> Self {
        Self { connection }
    }

    pub(crate) fn connection(&self) -> &DatabaseConnection {
        &self.connection
    }
}

fn count(value: Option<i32>) -> u32 {
    value
        .and_then(|value| u32::try_from(value).ok())
        .unwrap_or(0)
}

fn column(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

fn state_of(row: sync_states::Model) -> SyncState {
    let run = match (
        row.run_id,
        row.run_mode.as_deref().and_then(SyncMode::parse),
    ) {
        (Some(id), Some(mode)) => Some(RunProgress {
            id: RunId::from_uuid(id),
            mode,
            started_at: row.run_started_at.unwrap_or(row.next_run_at),
            cursor: row.run_cursor,
            pages: count(row.run_pages),
            requests: count(row.run_requests),
            added: count(row.run_added),
            rate_limit_waits: count(row.run_waits),
            newest: row.run_newest_uri.map(|uri| Marker {
                uri,
                liked_at: row.run_newest_liked_at,
            }),
            waiting_until: row.run_waiting_until,
        }),
        _ => None,
    };
    SyncState {
        key: SyncKey::new(UserId::from_uuid(row.user_id), &row.service),
        next_run_at: row.next_run_at,
        newest: row.newest_uri.map(|uri| Marker {
            uri,
            liked_at: row.newest_liked_at,
        }),
        last_full_at: row.last_full_at,
        full_requested: row.full_requested,
        run,
        stopped: row.stopped,
    }
}

/// Every stored field of `state` (not the key, not the lease).
fn state_values(state: &SyncState) -> sync_states::ActiveModel {
    let run = state.run.as_ref();
    let newest = state.newest.as_ref();
    let run_newest = run.and_then(|run| run.newest.as_ref());
    sync_states::ActiveModel {
        next_run_at: Set(state.next_run_at),
        newest_uri: Set(newest.map(|marker| marker.uri.clone())),
        newest_liked_at: Set(newest.and_then(|marker| marker.liked_at)),
        last_full_at: Set(state.last_full_at),
        full_requested: Set(state.full_requested),
        stopped: Set(state.stopped.clone()),
        run_id: Set(run.map(|run| run.id.as_uuid())),
        run_mode: Set(run.map(|run| run.mode.as_str().to_owned())),
        run_started_at: Set(run.map(|run| run.started_at)),
        run_cursor: Set(run.and_then(|run| run.cursor.clone())),
        run_pages: Set(run.map(|run| column(run.pages))),
        run_requests: Set(run.map(|run| column(run.requests))),
        run_added: Set(run.map(|run| column(run.added))),
        run_waits: Set(run.map(|run| column(run.rate_limit_waits))),
        run_newest_uri: Set(run_newest.map(|marker| marker.uri.clone())),
        run_newest_liked_at: Set(run_newest.and_then(|marker| marker.liked_at)),
        run_waiting_until: Set(run.and_then(|run| run.waiting_until)),
        ..Default::default()
    }
}

fn is_key(key: &SyncKey) -> Condition {
    Condition::all()
        .add(sync_states::Column::UserId.eq(key.user.as_uuid()))
        .add(sync_states::Column::Service.eq(key.service.as_str()))
}

fn held_by(holder: &str) -> Condition {
    Condition::all().add(sync_states::Column::Holder.eq(holder))
}

/// Stores `state` (and the lease as given) if `holder` holds it.
async fn store_state(
    connection: &impl ConnectionTrait,
    state: &SyncState,
    holder: &str,
    lease: Option<(&str, Timestamp)>,
) -> anyhow::Result<bool> {
    let mut values = state_values(state);
    values.holder = Set(lease.map(|(holder, _)| holder.to_owned()));
    values.lease_until = Set(lease.map(|(_, until)| until));
    let updated = sync_states::Entity::update_many()
        .set(values)
        .filter(is_key(&state.key))
        .filter(held_by(holder))
        .exec(connection)
        .await
        .context("saving a sync run's place")?;
    Ok(updated.rows_affected == 1)
}

fn likes_of(key: &SyncKey) -> Condition {
    Condition::all()
        .add(liked_tracks::Column::UserId.eq(key.user.as_uuid()))
        .add(liked_tracks::Column::Service.eq(key.service.as_str()))
}

fn run_of(row: sync_runs::Model) -> RunResult {
    let outcome = match (row.outcome.as_str(), row.reason) {
        ("stopped", reason) => Outcome::Stopped(reason.unwrap_or_default()),
        ("failed", reason) => Outcome::Failed(reason.unwrap_or_default()),
        _ => Outcome::Finished,
    };
    RunResult {
        key: SyncKey::new(UserId::from_uuid(row.user_id), &row.service),
        id: RunId::from_uuid(row.id),
        mode: SyncMode::parse(&row.mode).unwrap_or(SyncMode::Incremental),
        started_at: row.started_at,
        finished_at: row.finished_at,
        pages: count(Some(row.pages)),
        requests: count(Some(row.requests)),
        added: count(Some(row.added)),
        removed: count(Some(row.removed)),
        rate_limit_waits: count(Some(row.rate_limit_waits)),
        outcome,
    }
}

/// Finds due states free of a live lease and takes each with a conditional update (so that a
/// row another process took between the two is not taken again).
async fn claim(
    connection: &impl ConnectionTrait,
    now: Timestamp,
    holder: &str,
    lease: TimeDelta,
    limit: u32,
    skip_locked: bool,
) -> anyhow::Result<Vec<SyncState>> {
    let free = Condition::any()
        .add(sync_states::Column::Holder.is_null())
        .add(sync_states::Column::LeaseUntil.lte(now));
    let mut due = sync_states::Entity::find()
        .filter(sync_states::Column::NextRunAt.lte(now))
        .filter(sync_states::Column::Stopped.is_null())
        .filter(free.clone())
        .order_by_asc(sync_states::Column::NextRunAt)
        .limit(u64::from(limit));
    if skip_locked {
        due = due.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    let due = due
        .all(connection)
        .await
        .context("finding people whose sync is due")?;
    let mut claimed = Vec::with_capacity(due.len());
    for row in due {
        let taken = sync_states::Entity::update_many()
            .set(sync_states::ActiveModel {
                holder: Set(Some(holder.to_owned())),
                lease_until: Set(Some(now + lease)),
                ..Default::default()
            })
            .filter(sync_states::Column::UserId.eq(row.user_id))
            .filter(sync_states::Column::Service.eq(row.service.as_str()))
            // Still due and free: another process may have claimed and finished it since it
            // was read (without a row lock on SQLite).
            .filter(sync_states::Column::NextRunAt.lte(now))
            .filter(sync_states::Column::Stopped.is_null())
            .filter(free.clone())
            .exec(connection)
            .await
            .context("claiming a sync run")?;
        if taken.rows_affected == 1 {
            claimed.push(state_of(row));
        }
    }
    Ok(claimed)
}

#[async_trait]
impl SyncRepository for SqlSyncStore {
    async fn enrol_connected(&self, at: Timestamp, interval: TimeDelta) -> anyhow::Result<u64> {
        // Only connections without a state come back (usually none): one query on the keys.
        #[derive(sea_orm::FromQueryResult)]
        struct Unenrolled {
            user_id: uuid::Uuid,
            provider: String,
        }
        let connected: Vec<(uuid::Uuid, String)> =
            <Unenrolled as sea_orm::FromQueryResult>::find_by_statement(
                sea_orm::Statement::from_string(
                    self.connection.get_database_backend(),
                    "SELECT c.user_id, c.provider FROM connections c \
                     LEFT JOIN sync_states s ON s.user_id = c.user_id AND s.service = c.provider \
                     WHERE c.access_token_sealed IS NOT NULL AND s.user_id IS NULL",
                ),
            )
            .all(&self.connection)
            .await
            .context("listing connected people not enrolled yet")?
            .into_iter()
            .map(|row| (row.user_id, row.provider))
            .collect();
        let new: Vec<sync_states::ActiveModel> = connected
            .into_iter()
            .map(|(user, service)| {
                let key = SyncKey::new(UserId::from_uuid(user), &service);
                let mut row = state_values(&SyncState::new(
                    key.clone(),
                    at + spread_offset(&key, interval),
                ));
                row.user_id = Set(user);
                row.service = Set(service);
                row.holder = Set(None);
                row.lease_until = Set(None);
                row
            })
            .collect();
        let made = new.len() as u64;
        if made > 0 {
            use sync_states::Column as C;
            sync_states::Entity::insert_many(new)
                .on_conflict(
                    OnConflict::columns([C::UserId, C::Service])
                        .do_nothing()
                        .to_owned(),
                )
                .exec_without_returning(&self.connection)
                .await
                .context("enrolling connected people in the sync")?;
        }
        Ok(made)
    }

    async fn claim_due(
        &self,
        now: Timestamp,
        holder: &str,
        lease: TimeDelta,
        limit: u32,
    ) -> anyhow::Result<Vec<SyncState>> {
        if self.connection.get_database_backend() == DatabaseBackend::Postgres {
            // Rows another process is claiming are skipped, not waited for.
            let transaction = self.connection.begin().await?;
            let claimed = claim(&transaction, now, holder, lease, limit, true).await?;
            transaction.commit().await?;
            Ok(claimed)
        } else {
            // SQLite has one writer at a time: the conditional update of each row decides.
            claim(&self.connection, now, holder, lease, limit, false).await
        }
    }

    async fn save(
        &self,
        state: &SyncState,
        holder: &str,
        lease_until: Timestamp,
    ) -> anyhow::Result<bool> {
        store_state(&self.connection, state, holder, Some((holder, lease_until))).await
    }

    async fn release(&self, key: &SyncKey, holder: &str) -> anyhow::Result<()> {
        sync_states::Entity::update_many()
            .set(sync_states::ActiveModel {
                holder: Set(None),
                lease_until: Set(None),
                ..Default::default()
            })
            .filter(is_key(key))
            .filter(held_by(holder))
            .exec(&self.connection)
            .await
            .context("releasing a sync run")?;
        Ok(())
    }

    async fn keep_likes(
        &self,
        key: &SyncKey,
        run: RunId,
        likes: &[Liked],
        at: Timestamp,
    ) -> anyhow::Result<Vec<Liked>> {
        let mut new = Vec::new();
        // Bounded lists of bound values.
        for chunk in likes.chunks(500) {
            let uris: Vec<&str> = chunk.iter().map(|liked| liked.uri.as_str()).collect();
            let stored: Vec<(String, Option<String>)> = liked_tracks::Entity::find()
                .select_only()
                .column(liked_tracks::Column::Uri)
                .column(liked_tracks::Column::DownloadUrl)
                .filter(likes_of(key))
                .filter(liked_tracks::Column::Uri.is_in(uris.iter().copied()))
                .into_tuple()
                .all(&self.connection)
                .await
                .context("finding likes kept already")?;
            // A like kept before its service said it could be downloaded takes the address
            // (rare: one statement each, once).
            for (uri, _) in stored.iter().filter(|(_, url)| url.is_none()) {
                if let Some(url) = chunk
                    .iter()
                    .find(|liked| liked.uri == *uri)
                    .and_then(|liked| liked.download_url.clone())
                {
                    liked_tracks::Entity::update_many()
                        .set(liked_tracks::ActiveModel {
                            download_url: Set(Some(url)),
                            ..Default::default()
                        })
                        .filter(likes_of(key))
                        .filter(liked_tracks::Column::Uri.eq(uri.as_str()))
                        .exec(&self.connection)
                        .await
                        .context("keeping a like's download address")?;
                }
            }
            let known: HashSet<String> = stored.into_iter().map(|(uri, _)| uri).collect();
            if !known.is_empty() {
                liked_tracks::Entity::update_many()
                    .set(liked_tracks::ActiveModel {
                        seen_run: Set(run.as_uuid()),
                        ..Default::default()
                    })
                    .filter(likes_of(key))
                    .filter(liked_tracks::Column::Uri.is_in(known.iter().map(String::as_str)))
                    .exec(&self.connection)
                    .await
                    .context("marking likes as seen")?;
            }
            let mut fresh: Vec<&Liked> = Vec::new();
            for liked in chunk {
                if !known.contains(&liked.uri) && !fresh.iter().any(|kept| kept.uri == liked.uri) {
                    fresh.push(liked);
                }
            }
            if fresh.is_empty() {
                continue;
            }
            let rows = fresh.iter().map(|liked| liked_tracks::ActiveModel {
                user_id: Set(key.user.as_uuid()),
                service: Set(key.service.clone()),
                uri: Set(liked.uri.clone()),
                title: Set(liked.title.clone()),
                artists: Set(liked.artists.join(ARTIST_SEPARATOR)),
                album: Set(liked.album.clone()),
                duration_ms: Set(i64::try_from(liked.duration_ms).unwrap_or(i64::MAX)),
                liked_at: Set(liked.liked_at),
                link: Set(liked.link.clone()),
                first_seen_at: Set(at),
                seen_run: Set(run.as_uuid()),
                download_url: Set(liked.download_url.clone()),
            });
            use liked_tracks::Column as C;
            liked_tracks::Entity::insert_many(rows)
                .on_conflict(
                    OnConflict::columns([C::UserId, C::Service, C::Uri])
                        .do_nothing()
                        .to_owned(),
                )
                .exec_without_returning(&self.connection)
                .await
                .context("keeping new likes")?;
            new.extend(fresh.into_iter().cloned());
        }
        Ok(new)
    }

    async fn drop_unseen(&self, key: &SyncKey, run: RunId) -> anyhow::Result<Vec<String>> {
        // Only the run's holder writes this person's likes: nothing changes between the two.
        let unseen = Condition::all()
            .add(likes_of(key))
            .add(liked_tracks::Column::SeenRun.ne(run.as_uuid()));
        let gone: Vec<String> = liked_tracks::Entity::find()
            .select_only()
            .column(liked_tracks::Column::Uri)
            .filter(unseen.clone())
            .into_tuple()
            .all(&self.connection)
            .await
            .context("finding likes taken back")?;
        if !gone.is_empty() {
            liked_tracks::Entity::delete_many()
                .filter(unseen)
                .exec(&self.connection)
                .await
                .context("removing likes taken back")?;
        }
        Ok(gone)
    }

    async fn finish(
        &self,
        state: &SyncState,
        result: &RunResult,
        holder: &str,
    ) -> anyhow::Result<()> {
        let transaction = self.connection.begin().await?;
        if store_state(&transaction, state, holder, None).await? {
            sync_runs::Entity::insert(sync_runs::ActiveModel {
                id: Set(result.id.as_uuid()),
                user_id: Set(result.key.user.as_uuid()),
                service: Set(result.key.service.clone()),
                mode: Set(result.mode.as_str().to_owned()),
                started_at: Set(result.started_at),
                finished_at: Set(result.finished_at),
                pages: Set(column(result.pages)),
                requests: Set(column(result.requests)),
                added: Set(column(result.added)),
                removed: Set(column(result.removed)),
                rate_limit_waits: Set(column(result.rate_limit_waits)),
                outcome: Set(result.outcome.as_str().to_owned()),
                reason: Set(result.outcome.reason().map(str::to_owned)),
            })
            .exec_without_returning(&transaction)
            .await
            .context("recording a sync run")?;
        }
        transaction.commit().await?;
        Ok(())
    }

    async fn request_now(&self, user: UserId, now: Timestamp, full: bool) -> anyhow::Result<u64> {
        let mine = sync_states::Column::UserId.eq(user.as_uuid());
        let transaction = self.connection.begin().await?;
        // Not before a rate limit's wait is over.
        sync_states::Entity::update_many()
            .set(sync_states::ActiveModel {
                next_run_at: Set(now),
                ..Default::default()
            })
            .filter(mine.clone())
            .filter(sync_states::Column::NextRunAt.gt(now))
            .filter(
                Condition::any()
                    .add(sync_states::Column::RunWaitingUntil.is_null())
                    .add(sync_states::Column::RunWaitingUntil.lte(now)),
            )
            .exec(&transaction)
            .await
            .context("making a sync due now")?;
        let mut restart = sync_states::ActiveModel {
            stopped: Set(None),
            ..Default::default()
        };
        if full {
            restart.full_requested = Set(true);
        }
        let updated = sync_states::Entity::update_many()
            .set(restart)
            .filter(mine)
            .exec(&transaction)
            .await
            .context("asking for a sync")?;
        transaction.commit().await?;
        Ok(updated.rows_affected)
    }

    async fn states_of(&self, user: UserId) -> anyhow::Result<Vec<SyncState>> {
        let rows = sync_states::Entity::find()
            .filter(sync_states::Column::UserId.eq(user.as_uuid()))
            .order_by_asc(sync_states::Column::Service)
            .all(&self.connection)
            .await
            .context("reading someone's sync")?;
        Ok(rows.into_iter().map(state_of).collect())
    }

    async fn runs_of(&self, key: &SyncKey, limit: u32) -> anyhow::Result<Vec<RunResult>> {
        let rows = sync_runs::Entity::find()
            .filter(sync_runs::Column::UserId.eq(key.user.as_uuid()))
            .filter(sync_runs::Column::Service.eq(key.service.as_str()))
            .order_by_desc(sync_runs::Column::FinishedAt)
            .order_by_desc(sync_runs::Column::Id)
            .limit(u64::from(limit))
            .all(&self.connection)
            .await
            .context("reading someone's sync runs")?;
        Ok(rows.into_iter().map(run_of).collect())
    }

    async fn activity(&self, since: Timestamp) -> anyhow::Result<Vec<PersonSync>> {
        #[derive(sea_orm::FromQueryResult)]
        struct Row {
            user_id: uuid::Uuid,
            runs: i64,
            added: i64,
            removed: i64,
            waits: i64,
            failures: i64,
        }
        let backend = self.connection.get_database_backend();
        let placeholder = if backend == DatabaseBackend::Postgres {
            "$1"
        } else {
            "?"
        };
        let sum = |expression: &str, name: &str| {
            format!("CAST(COALESCE(SUM({expression}), 0) AS BIGINT) AS {name}")
        };
        let sql = format!(
            "SELECT user_id, CAST(COUNT(*) AS BIGINT) AS runs, {}, {}, {}, {} \
             FROM sync_runs WHERE finished_at >= {placeholder} GROUP BY user_id",
            sum("added", "added"),
            sum("removed", "removed"),
            sum("rate_limit_waits", "waits"),
            sum(
                "CASE WHEN outcome <> 'finished' THEN 1 ELSE 0 END",
                "failures"
            ),
        );
        let rows = <Row as sea_orm::FromQueryResult>::find_by_statement(
            sea_orm::Statement::from_sql_and_values(backend, sql, [since.into()]),
        )
        .all(&self.connection)
        .await
        .context("summing sync runs")?;
        let count = |value: i64| u64::try_from(value).unwrap_or(0);
        Ok(rows
            .into_iter()
            .map(|row| PersonSync {
                user: UserId::from_uuid(row.user_id),
                runs: count(row.runs),
                added: count(row.added),
                removed: count(row.removed),
                rate_limit_waits: count(row.waits),
                failures: count(row.failures),
            })
            .collect())
    }

    async fn likes_of(&self, user: UserId) -> anyhow::Result<Vec<(String, Liked)>> {
        let rows = liked_tracks::Entity::find()
            .filter(liked_tracks::Column::UserId.eq(user.as_uuid()))
            .order_by_asc(liked_tracks::Column::Service)
            .order_by_desc(liked_tracks::Column::LikedAt)
            .order_by_desc(liked_tracks::Column::FirstSeenAt)
            .all(&self.connection)
            .await
            .context("reading someone's likes")?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let liked = Liked {
                    uri: row.uri,
                    title: row.title,
                    artists: row
                        .artists
                        .split(ARTIST_SEPARATOR)
                        .filter(|artist| !artist.is_empty())
                        .map(str::to_owned)
                        .collect(),
                    album: row.album,
                    duration_ms: u64::try_from(row.duration_ms).unwrap_or(0),
                    liked_at: row.liked_at,
                    link: row.link,
                    download_url: row.download_url,
                };
                (row.service, liked)
            })
            .collect())
    }

    async fn preferences(&self, user: UserId) -> anyhow::Result<SyncPreferences> {
        let row = person_settings::Entity::find_by_id(user.as_uuid())
            .one(&self.connection)
            .await
            .context("reading someone's sync preferences")?;
        Ok(
            row.map_or_else(SyncPreferences::default, |row| SyncPreferences {
                every_minutes: row
                    .sync_every_minutes
                    .and_then(|minutes| u32::try_from(minutes).ok()),
                full_read: match row.full_every_days {
                    None => FullRead::Default,
                    Some(0) => FullRead::WhenAsked,
                    Some(days) => FullRead::EveryDays(u32::try_from(days).unwrap_or(7)),
                },
            }),
        )
    }

    async fn set_preferences(
        &self,
        user: UserId,
        preferences: SyncPreferences,
    ) -> anyhow::Result<()> {
        use person_settings::Column as C;
        let full_every_days = match preferences.full_read {
            FullRead::Default => None,
            FullRead::WhenAsked => Some(0),
            FullRead::EveryDays(days) => Some(column(days)),
        };
        person_settings::Entity::insert(person_settings::ActiveModel {
            user_id: Set(user.as_uuid()),
            recommendations: Set(true),
            sync_every_minutes: Set(preferences.every_minutes.map(column)),
            full_every_days: Set(full_every_days),
            updated_at: Set(chrono::Utc::now()),
        })
        .on_conflict(
            OnConflict::column(C::UserId)
                .update_columns([C::SyncEveryMinutes, C::FullEveryDays, C::UpdatedAt])
                .to_owned(),
        )
        .exec_without_returning(&self.connection)
        .await
        .context("storing someone's sync preferences")?;
        Ok(())
    }

    async fn likes_count(&self, key: &SyncKey) -> anyhow::Result<u64> {
        liked_tracks::Entity::find()
            .filter(likes_of(key))
            .count(&self.connection)
            .await
            .context("counting someone's likes")
    }
}
