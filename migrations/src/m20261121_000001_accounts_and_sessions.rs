//! Accounts, login sessions and failed-login records.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    pk_uuid, string_len, string_len_null, text, timestamp_with_time_zone,
    timestamp_with_time_zone_null, uuid,
};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Username,
    UsernameKey,
    Email,
    EmailKey,
    PasswordHash,
    DisplayName,
    Language,
    Timezone,
    Tier,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    UserId,
    TokenHash,
    CreatedAt,
    LastSeenAt,
    ExpiresAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum LoginFailures {
    Table,
    Id,
    UserId,
    FailedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(pk_uuid(Users::Id))
                    .col(string_len(Users::Username, 32))
                    // Lowercase forms; the unique indexes below make uniqueness case-insensitive
                    // on both databases without collations or functional indexes.
                    .col(string_len(Users::UsernameKey, 32))
                    .col(string_len_null(Users::Email, 254))
                    .col(string_len_null(Users::EmailKey, 254))
                    .col(text(Users::PasswordHash))
                    .col(string_len_null(Users::DisplayName, 64))
                    .col(string_len_null(Users::Language, 35))
                    .col(string_len_null(Users::Timezone, 64))
                    .col(string_len(Users::Tier, 16).default("free"))
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("users_username_key_unique")
                    .table(Users::Table)
                    .col(Users::UsernameKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // Several NULL email keys are allowed by both SQLite and PostgreSQL unique indexes.
        manager
            .create_index(
                Index::create()
                    .name("users_email_key_unique")
                    .table(Users::Table)
                    .col(Users::EmailKey)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Sessions::Table)
                    .col(pk_uuid(Sessions::Id))
                    .col(uuid(Sessions::UserId))
                    .col(string_len(Sessions::TokenHash, 64))
                    .col(timestamp_with_time_zone(Sessions::CreatedAt))
                    .col(timestamp_with_time_zone(Sessions::LastSeenAt))
                    .col(timestamp_with_time_zone(Sessions::ExpiresAt))
                    .col(timestamp_with_time_zone_null(Sessions::RevokedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("sessions_user_fk")
                            .from(Sessions::Table, Sessions::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("sessions_token_hash_unique")
                    .table(Sessions::Table)
                    .col(Sessions::TokenHash)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("sessions_user_id")
                    .table(Sessions::Table)
                    .col(Sessions::UserId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(LoginFailures::Table)
                    .col(pk_uuid(LoginFailures::Id))
                    .col(uuid(LoginFailures::UserId))
                    .col(timestamp_with_time_zone(LoginFailures::FailedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("login_failures_user_fk")
                            .from(LoginFailures::Table, LoginFailures::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("login_failures_user_time")
                    .table(LoginFailures::Table)
                    .col(LoginFailures::UserId)
                    .col(LoginFailures::FailedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            LoginFailures::Table.into_iden(),
            Sessions::Table.into_iden(),
            Users::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
