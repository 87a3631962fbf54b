//! Downloads into people's drives in the database: one row per person, service and track, with
//! the bytes written so far (counted in the storage quota), when it is due again, and the lease
//! of the process carrying it on (`FOR UPDATE SKIP LOCKED` on PostgreSQL and a conditional update
//! everywhere, as the sync's runs are claimed).

use anyhow::Context as _;
use async_trait::async_trait;
use chrono::TimeDelta;
use sea_orm::sea_query::{Expr, LockBehavior, LockType, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait as _, Condition, ConnectionTrait, DatabaseBackend,
    EntityTrait as _, QueryFilter as _, QueryOrder as _, QuerySelect as _, TransactionTrait as _,
};
use soiree_kernel::{Timestamp, UserId};
use soiree_sync::downloads::{
    Download, DownloadEnd, DownloadQueue, DownloadState, DriveFile, Recorded,
};
use soiree_sync::{Liked, SyncKey};

use crate::entity::{drive_files, users};
use crate::sync::SqlSyncStore;

fn bytes_of(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

fn column(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn download_of(row: &drive_files::Model) -> Download {
    Download {
        key: SyncKey::new(UserId::from_uuid(row.user_id), &row.service),
        uri: row.uri.clone(),
        url: row.url.clone(),
        stem: row.stem.clone(),
        bytes: bytes_of(row.bytes),
        size: row.size.map(bytes_of),
    }
}

fn file_of(row: drive_files::Model) -> DriveFile {
    DriveFile {
        service: row.service,
        uri: row.uri,
        file_name: row.file_name,
        bytes: bytes_of(row.bytes),
        size: row.size.map(bytes_of),
        state: DownloadState::parse(&row.state).unwrap_or(DownloadState::Pending),
        failure: row.failure,
    }
}

fn is_download(key: &SyncKey, uri: &str) -> Condition {
    Condition::all()
        .add(drive_files::Column::UserId.eq(key.user.as_uuid()))
        .add(drive_files::Column::Service.eq(key.service.as_str()))
        .add(drive_files::Column::Uri.eq(uri))
}

/// The room `owner`'s pending downloads hold beyond the bytes they wrote: the rest of each
/// whole size the service said ([`Download::held`]).
async fn held_beyond_written(
    connection: &impl ConnectionTrait,
    owner: UserId,
) -> anyhow::Result<u64> {
    let total: Option<Option<i64>> = drive_files::Entity::find()
        .select_only()
        .column_as(
            Expr::cust(
                "CAST(COALESCE(SUM(CASE WHEN size > bytes THEN size - bytes ELSE 0 END), 0) \
                 AS BIGINT)",
            ),
            "total",
        )
        .filter(drive_files::Column::UserId.eq(owner.as_uuid()))
        .filter(drive_files::Column::State.eq(DownloadState::Pending.as_str()))
        .into_tuple()
        .one(connection)
        .await
        .context("summing the room downloads hold")?;
    Ok(total.flatten().map_or(0, bytes_of))
}

fn held_by(holder: &str) -> Condition {
    Condition::all().add(drive_files::Column::Holder.eq(holder))
}

async fn claim(
    connection: &impl ConnectionTrait,
    now: Timestamp,
    holder: &str,
    lease: TimeDelta,
    limit: u32,
    skip_locked: bool,
) -> anyhow::Result<Vec<Download>> {
    let due = Condition::all()
        .add(drive_files::Column::State.eq(DownloadState::Pending.as_str()))
        .add(drive_files::Column::DueAt.lte(now))
        .add(
            Condition::any()
                .add(drive_files::Column::Holder.is_null())
                .add(drive_files::Column::LeaseUntil.lte(now)),
        );
    let mut query = drive_files::Entity::find()
        .filter(due.clone())
        .order_by_asc(drive_files::Column::DueAt)
        .limit(u64::from(limit));
    if skip_locked {
        query = query.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    let rows = query
        .all(connection)
        .await
        .context("finding downloads that are due")?;
    let mut claimed = Vec::with_capacity(rows.len());
    for row in rows {
        let download = download_of(&row);
        let taken = drive_files::Entity::update_many()
            .set(drive_files::ActiveModel {
                holder: Set(Some(holder.to_owned())),
                lease_until: Set(Some(now + lease)),
                ..Default::default()
            })
            .filter(is_download(&download.key, &download.uri))
            // Still due and free: another process may have claimed it since it was read.
            .filter(due.clone())
            .exec(connection)
            .await
            .context("claiming a download")?;
        if taken.rows_affected == 1 {
            claimed.push(download);
        }
    }
    Ok(claimed)
}

#[async_trait]
impl DownloadQueue for SqlSyncStore {
    async fn want(
        &self,
        key: &SyncKey,
        likes: &[(Liked, String)],
        at: Timestamp,
    ) -> anyhow::Result<u64> {
        let rows: Vec<drive_files::ActiveModel> = likes
            .iter()
            .filter_map(|(liked, stem)| {
                Some(drive_files::ActiveModel {
                    user_id: Set(key.user.as_uuid()),
                    service: Set(key.service.clone()),
                    uri: Set(liked.uri.clone()),
                    url: Set(liked.download_url.clone()?),
                    stem: Set(stem.clone()),
                    file_name: Set(stem.clone()),
                    bytes: Set(0),
                    size: Set(None),
                    state: Set(DownloadState::Pending.as_str().to_owned()),
                    failure: Set(None),
                    holder: Set(None),
                    lease_until: Set(None),
                    due_at: Set(at),
                })
            })
            .collect();
        if rows.is_empty() {
            return Ok(0);
        }
        use drive_files::Column as C;
        let added = drive_files::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([C::UserId, C::Service, C::Uri])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(self.connection())
            .await
            .context("adding downloads")?;
        Ok(added)
    }

    async fn claim(
        &self,
        now: Timestamp,
        holder: &str,
        lease: TimeDelta,
        limit: u32,
    ) -> anyhow::Result<Vec<Download>> {
        let connection = self.connection();
        if connection.get_database_backend() == DatabaseBackend::Postgres {
            let transaction = connection.begin().await?;
            let claimed = claim(&transaction, now, holder, lease, limit, true).await?;
            transaction.commit().await?;
            Ok(claimed)
        } else {
            claim(connection, now, holder, lease, limit, false).await
        }
    }

    async fn progress(
        &self,
        download: &Download,
        holder: &str,
        lease_until: Timestamp,
        limit: Option<u64>,
    ) -> anyhow::Result<Recorded> {
        let transaction = self
            .connection()
            .begin()
            .await
            .context("starting to record a download's bytes")?;
        // The owner's row first (its lock on PostgreSQL, the write lock on SQLite), as uploads
        // do: recordings and uploads of one person are decided one after another, in every
        // process.
        users::Entity::update_many()
            .col_expr(users::Column::Id, Expr::col(users::Column::Id))
            .filter(users::Column::Id.eq(download.key.user.as_uuid()))
            .exec(&transaction)
            .await
            .context("locking the owner for a download")?;
        let Some(row) = drive_files::Entity::find()
            .filter(is_download(&download.key, &download.uri))
            .filter(held_by(holder))
            .one(&transaction)
            .await
            .context("reading a download")?
        else {
            return Ok(Recorded::Lost);
        };
        if let Some(limit) = limit {
            // Uploads and downloads' bytes, with the room pending downloads hold for the rest.
            let used = crate::uploads::uploaded_bytes(&transaction, download.key.user).await?
                + held_beyond_written(&transaction, download.key.user).await?;
            let this = download_of(&row);
            let held_now = if row.state == DownloadState::Pending.as_str() {
                this.held()
            } else {
                this.bytes
            };
            let after = used
                .saturating_sub(held_now)
                .saturating_add(download.held());
            if after > limit {
                // Refused: it holds nothing from now on (its file goes).
                drive_files::Entity::update_many()
                    .set(drive_files::ActiveModel {
                        bytes: Set(0),
                        size: Set(None),
                        ..Default::default()
                    })
                    .filter(is_download(&download.key, &download.uri))
                    .exec(&transaction)
                    .await
                    .context("releasing a refused download's room")?;
                transaction
                    .commit()
                    .await
                    .context("releasing a refused download's room")?;
                return Ok(Recorded::OverQuota);
            }
        }
        let updated = drive_files::Entity::update_many()
            .set(drive_files::ActiveModel {
                bytes: Set(column(download.bytes)),
                size: Set(download.size.map(column)),
                lease_until: Set(Some(lease_until)),
                ..Default::default()
            })
            .filter(is_download(&download.key, &download.uri))
            .filter(held_by(holder))
            .exec(&transaction)
            .await
            .context("recording a download's progress")?;
        transaction
            .commit()
            .await
            .context("recording a download's progress")?;
        Ok(if updated.rows_affected == 1 {
            Recorded::Counted
        } else {
            Recorded::Lost
        })
    }

    async fn finish(
        &self,
        download: &Download,
        holder: &str,
        end: &DownloadEnd,
        _at: Timestamp,
    ) -> anyhow::Result<()> {
        let mut row = drive_files::ActiveModel {
            holder: Set(None),
            lease_until: Set(None),
            bytes: Set(column(download.bytes)),
            size: Set(download.size.map(column)),
            ..Default::default()
        };
        match end {
            DownloadEnd::Done { file_name } => {
                row.state = Set(DownloadState::Done.as_str().to_owned());
                row.file_name = Set(file_name.clone());
                row.failure = Set(None);
            }
            DownloadEnd::Failed(reason) => {
                row.state = Set(DownloadState::Failed.as_str().to_owned());
                row.failure = Set(Some(reason.clone()));
                row.bytes = Set(0);
            }
            DownloadEnd::NoRoom => {
                row.state = Set(DownloadState::NoRoom.as_str().to_owned());
                row.failure = Set(None);
                row.bytes = Set(0);
            }
            DownloadEnd::RetryAt(at, reason) => {
                row.due_at = Set(*at);
                row.failure = Set(Some(reason.clone()));
            }
        }
        drive_files::Entity::update_many()
            .set(row)
            .filter(is_download(&download.key, &download.uri))
            .filter(held_by(holder))
            .exec(self.connection())
            .await
            .context("ending a download's try")?;
        Ok(())
    }

    async fn drop_uris(&self, key: &SyncKey, uris: &[String]) -> anyhow::Result<Vec<DriveFile>> {
        let mut dropped = Vec::new();
        for chunk in uris.chunks(500) {
            let these = Condition::all()
                .add(drive_files::Column::UserId.eq(key.user.as_uuid()))
                .add(drive_files::Column::Service.eq(key.service.as_str()))
                .add(drive_files::Column::Uri.is_in(chunk.iter().map(String::as_str)));
            let rows = drive_files::Entity::find()
                .filter(these.clone())
                .all(self.connection())
                .await
                .context("finding downloads of likes taken back")?;
            if rows.is_empty() {
                continue;
            }
            drive_files::Entity::delete_many()
                .filter(these)
                .exec(self.connection())
                .await
                .context("dropping downloads of likes taken back")?;
            dropped.extend(rows.into_iter().map(file_of));
        }
        Ok(dropped)
    }

    async fn retry_no_room(&self, user: UserId, at: Timestamp) -> anyhow::Result<u64> {
        let again = drive_files::Entity::update_many()
            .set(drive_files::ActiveModel {
                state: Set(DownloadState::Pending.as_str().to_owned()),
                due_at: Set(at),
                ..Default::default()
            })
            .filter(drive_files::Column::UserId.eq(user.as_uuid()))
            .filter(drive_files::Column::State.eq(DownloadState::NoRoom.as_str()))
            .exec(self.connection())
            .await
            .context("trying downloads that did not fit again")?;
        Ok(again.rows_affected)
    }

    async fn files_of(&self, user: UserId) -> anyhow::Result<Vec<DriveFile>> {
        Ok(drive_files::Entity::find()
            .filter(drive_files::Column::UserId.eq(user.as_uuid()))
            .order_by_asc(drive_files::Column::FileName)
            .all(self.connection())
            .await
            .context("listing someone's downloads")?
            .into_iter()
            .map(file_of)
            .collect())
    }
}
