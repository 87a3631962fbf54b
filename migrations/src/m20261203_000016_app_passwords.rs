//! App passwords for music apps: named, their secrets sealed (the Subsonic token scheme needs
//! the secret itself), gone with their account.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{string_len, text, timestamp_with_time_zone, uuid};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum AppPasswords {
    Table,
    Id,
    UserId,
    Name,
    SealedSecret,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AppPasswords::Table)
                    .col(uuid(AppPasswords::Id).primary_key())
                    .col(uuid(AppPasswords::UserId))
                    .col(string_len(AppPasswords::Name, 256))
                    .col(text(AppPasswords::SealedSecret))
                    .col(timestamp_with_time_zone(AppPasswords::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("app_passwords_user_fk")
                            .from(AppPasswords::Table, AppPasswords::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("app_passwords_user")
                    .table(AppPasswords::Table)
                    .col(AppPasswords::UserId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AppPasswords::Table).to_owned())
            .await
    }
}
