//! Scheduled jobs' claims, the sweep of what has outlived its use, and the daily counts.

use std::time::Duration;

use anyhow::Context as _;
use async_trait::async_trait;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait as _, Condition, ConnectionTrait as _, DatabaseConnection,
    EntityTrait as _, QueryFilter as _, Statement,
};
use soiree_kernel::{Housekeeping, JobSchedule, Retention, Swept, Tally, Timestamp};

use crate::entity::{
    login_challenges, login_failures, oauth_authorizations, rooms, scheduled_jobs, security_events,
    sessions,
};

/// Jobs and housekeeping in the database.
#[derive(Debug, Clone)]
pub struct SqlJobs {
    connection: DatabaseConnection,
}

impl SqlJobs {
    pub(crate) fn new(connection: DatabaseConnection) -> Self {
        Self { connection }
    }
}

fn ago(now: Timestamp, duration: Duration) -> Timestamp {
    now - chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::MAX)
}

#[async_trait]
impl JobSchedule for SqlJobs {
    async fn claim(
        &self,
        job: &str,
        holder: &str,
        now: Timestamp,
        every: Duration,
    ) -> anyhow::Result<bool> {
        // A job never seen is due now; an existing row is left as it is.
        scheduled_jobs::Entity::insert(scheduled_jobs::ActiveModel {
            name: Set(job.to_owned()),
            due_at: Set(now),
            holder: Set(None),
            started_at: Set(None),
            finished_at: Set(None),
            outcome: Set(None),
        })
        .on_conflict(
            OnConflict::column(scheduled_jobs::Column::Name)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&self.connection)
        .await
        .context("registering a scheduled job")?;
        // One conditional update: of all who ask at once, one moves the due time.
        let next = now + chrono::Duration::from_std(every).unwrap_or(chrono::Duration::MAX);
        let claimed = scheduled_jobs::Entity::update_many()
            .col_expr(scheduled_jobs::Column::DueAt, Expr::value(next))
            .col_expr(scheduled_jobs::Column::Holder, Expr::value(holder))
            .col_expr(scheduled_jobs::Column::StartedAt, Expr::value(now))
            .filter(scheduled_jobs::Column::Name.eq(job))
            .filter(scheduled_jobs::Column::DueAt.lte(now))
            .exec(&self.connection)
            .await
            .context("claiming a scheduled job")?;
        Ok(claimed.rows_affected == 1)
    }

    async fn finished(&self, job: &str, at: Timestamp, outcome: &str) -> anyhow::Result<()> {
        let outcome: String = outcome.chars().take(500).collect();
        scheduled_jobs::Entity::update_many()
            .col_expr(scheduled_jobs::Column::FinishedAt, Expr::value(at))
            .col_expr(scheduled_jobs::Column::Outcome, Expr::value(outcome))
            .filter(scheduled_jobs::Column::Name.eq(job))
            .exec(&self.connection)
            .await
            .context("recording a job's outcome")?;
        Ok(())
    }
}

#[async_trait]
impl Housekeeping for SqlJobs {
    async fn sweep(&self, retention: &Retention, now: Timestamp) -> anyhow::Result<Swept> {
        let db = &self.connection;
        let sessions_before = ago(now, retention.sessions);
        let sessions = sessions::Entity::delete_many()
            .filter(
                Condition::any()
                    .add(sessions::Column::ExpiresAt.lt(sessions_before))
                    .add(sessions::Column::RevokedAt.lt(sessions_before)),
            )
            .exec(db)
            .await
            .context("sweeping old sessions")?
            .rows_affected;
        let oauth_states = oauth_authorizations::Entity::delete_many()
            .filter(
                Condition::any()
                    .add(oauth_authorizations::Column::Used.eq(true))
                    .add(oauth_authorizations::Column::ExpiresAt.lt(now)),
            )
            .exec(db)
            .await
            .context("sweeping spent OAuth states")?
            .rows_affected;
        let login_failures = login_failures::Entity::delete_many()
            .filter(login_failures::Column::FailedAt.lt(ago(now, retention.login_failures)))
            .exec(db)
            .await
            .context("sweeping old failed logins")?
            .rows_affected;
        // A room's participants, votes, tracks, events and lease go with it (foreign keys).
        let closed_rooms = rooms::Entity::delete_many()
            .filter(rooms::Column::ClosedAt.lt(ago(now, retention.closed_rooms)))
            .exec(db)
            .await
            .context("sweeping closed rooms")?
            .rows_affected;
        let rate_windows = crate::rate::clear_ended_windows(db, now.timestamp()).await?;
        let security_events = security_events::Entity::delete_many()
            .filter(security_events::Column::At.lt(ago(now, retention.security_events)))
            .exec(db)
            .await
            .context("sweeping old security events")?
            .rows_affected;
        login_challenges::Entity::delete_many()
            .filter(login_challenges::Column::ExpiresAt.lt(now))
            .exec(db)
            .await
            .context("sweeping unfinished logins")?;
        Ok(Swept {
            security_events,
            sessions,
            oauth_states,
            login_failures,
            closed_rooms,
            rate_windows,
        })
    }
}

#[async_trait]
impl Tally for SqlJobs {
    async fn add(&self, name: &str, subject: &str, at: Timestamp) -> anyhow::Result<()> {
        let backend = self.connection.get_database_backend();
        let sql = "INSERT INTO daily_counts (day, name, subject, count) VALUES ($1, $2, $3, 1) \
                   ON CONFLICT (day, name, subject) DO UPDATE SET count = daily_counts.count + 1";
        let sql = match backend {
            sea_orm::DatabaseBackend::Sqlite => sql.replace('$', "?"),
            _ => sql.to_owned(),
        };
        self.connection
            .execute_raw(Statement::from_sql_and_values(
                backend,
                sql,
                [
                    at.format("%Y-%m-%d").to_string().into(),
                    name.chars().take(96).collect::<String>().into(),
                    subject.chars().take(64).collect::<String>().into(),
                ],
            ))
            .await
            .context("counting an occurrence")?;
        Ok(())
    }
}
