//! Account security: when each session last proved who it is (step-up), two-step login (the
//! sealed TOTP seed, the last step accepted, the recovery codes' hashes, logins waiting for their
//! second step) and the security-event log.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer_null, boolean, string_len, string_len_null, text, timestamp_with_time_zone,
    timestamp_with_time_zone_null, uuid,
};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    AuthenticatedAt,
}

#[derive(DeriveIden)]
enum MfaTotp {
    Table,
    UserId,
    SealedSeed,
    ConfirmedAt,
    LastStep,
    CreatedAt,
}

#[derive(DeriveIden)]
enum MfaRecoveryCodes {
    Table,
    UserId,
    CodeHash,
}

#[derive(DeriveIden)]
enum LoginChallenges {
    Table,
    TokenHash,
    UserId,
    Device,
    Address,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum SecurityEvents {
    Table,
    Id,
    UserId,
    Kind,
    At,
    Device,
    DeviceFamily,
    Address,
    Detail,
    NewDevice,
    AcknowledgedAt,
}

fn user_fk(table: impl IntoIden, column: impl IntoIden, name: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(table, column)
        .to(Users::Table, Users::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Empty for sessions opened before: their login time stands in.
        manager
            .alter_table(
                Table::alter()
                    .table(Sessions::Table)
                    .add_column(timestamp_with_time_zone_null(Sessions::AuthenticatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MfaTotp::Table)
                    .col(uuid(MfaTotp::UserId).primary_key())
                    .col(text(MfaTotp::SealedSeed))
                    .col(timestamp_with_time_zone_null(MfaTotp::ConfirmedAt))
                    .col(big_integer_null(MfaTotp::LastStep))
                    .col(timestamp_with_time_zone(MfaTotp::CreatedAt))
                    .foreign_key(&mut user_fk(
                        MfaTotp::Table,
                        MfaTotp::UserId,
                        "mfa_totp_user_fk",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MfaRecoveryCodes::Table)
                    .col(uuid(MfaRecoveryCodes::UserId))
                    .col(string_len(MfaRecoveryCodes::CodeHash, 64))
                    .primary_key(
                        Index::create()
                            .col(MfaRecoveryCodes::UserId)
                            .col(MfaRecoveryCodes::CodeHash),
                    )
                    .foreign_key(&mut user_fk(
                        MfaRecoveryCodes::Table,
                        MfaRecoveryCodes::UserId,
                        "mfa_recovery_codes_user_fk",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LoginChallenges::Table)
                    .col(string_len(LoginChallenges::TokenHash, 64).primary_key())
                    .col(uuid(LoginChallenges::UserId))
                    .col(string_len_null(LoginChallenges::Device, 200))
                    .col(string_len_null(LoginChallenges::Address, 64))
                    .col(timestamp_with_time_zone(LoginChallenges::ExpiresAt))
                    .foreign_key(&mut user_fk(
                        LoginChallenges::Table,
                        LoginChallenges::UserId,
                        "login_challenges_user_fk",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SecurityEvents::Table)
                    .col(uuid(SecurityEvents::Id).primary_key())
                    .col(uuid(SecurityEvents::UserId))
                    .col(string_len(SecurityEvents::Kind, 32))
                    .col(timestamp_with_time_zone(SecurityEvents::At))
                    .col(string_len_null(SecurityEvents::Device, 200))
                    .col(string_len_null(SecurityEvents::DeviceFamily, 40))
                    .col(string_len_null(SecurityEvents::Address, 64))
                    .col(string_len_null(SecurityEvents::Detail, 200))
                    .col(boolean(SecurityEvents::NewDevice).default(false))
                    .col(timestamp_with_time_zone_null(
                        SecurityEvents::AcknowledgedAt,
                    ))
                    .foreign_key(&mut user_fk(
                        SecurityEvents::Table,
                        SecurityEvents::UserId,
                        "security_events_user_fk",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("security_events_user_at")
                    .table(SecurityEvents::Table)
                    .col(SecurityEvents::UserId)
                    .col(SecurityEvents::At)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            SecurityEvents::Table.into_iden(),
            LoginChallenges::Table.into_iden(),
            MfaRecoveryCodes::Table.into_iden(),
            MfaTotp::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Sessions::Table)
                    .drop_column(Sessions::AuthenticatedAt)
                    .to_owned(),
            )
            .await
    }
}
