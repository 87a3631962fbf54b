//! Provider connections (credentials and sealed tokens) and pending OAuth authorizations.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    boolean, pk_uuid, string_len, string_len_null, text, text_null, timestamp_with_time_zone,
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
enum Connections {
    Table,
    Id,
    UserId,
    Provider,
    ClientId,
    ClientSecretSealed,
    AccessTokenSealed,
    RefreshTokenSealed,
    TokenExpiresAt,
    Scope,
    AccountId,
    AccountDisplayName,
    NeedsReconnect,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum OauthAuthorizations {
    Table,
    StateHash,
    UserId,
    SessionId,
    Provider,
    PkceVerifierSealed,
    ExpiresAt,
    Used,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Connections::Table)
                    .col(pk_uuid(Connections::Id))
                    .col(uuid(Connections::UserId))
                    .col(string_len(Connections::Provider, 16))
                    .col(string_len_null(Connections::ClientId, 255))
                    // Sealed values (AES-256-GCM, see soiree-storage's sealing module).
                    .col(text_null(Connections::ClientSecretSealed))
                    .col(text_null(Connections::AccessTokenSealed))
                    .col(text_null(Connections::RefreshTokenSealed))
                    .col(timestamp_with_time_zone_null(Connections::TokenExpiresAt))
                    .col(text_null(Connections::Scope))
                    .col(string_len_null(Connections::AccountId, 255))
                    .col(string_len_null(Connections::AccountDisplayName, 255))
                    .col(text_null(Connections::NeedsReconnect))
                    .col(timestamp_with_time_zone(Connections::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("connections_user_fk")
                            .from(Connections::Table, Connections::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("connections_user_provider_unique")
                    .table(Connections::Table)
                    .col(Connections::UserId)
                    .col(Connections::Provider)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OauthAuthorizations::Table)
                    .col(string_len(OauthAuthorizations::StateHash, 64).primary_key())
                    .col(uuid(OauthAuthorizations::UserId))
                    .col(string_len(OauthAuthorizations::SessionId, 64))
                    .col(string_len(OauthAuthorizations::Provider, 16))
                    .col(text(OauthAuthorizations::PkceVerifierSealed))
                    .col(timestamp_with_time_zone(OauthAuthorizations::ExpiresAt))
                    .col(boolean(OauthAuthorizations::Used).default(false))
                    .foreign_key(
                        ForeignKey::create()
                            .name("oauth_authorizations_user_fk")
                            .from(OauthAuthorizations::Table, OauthAuthorizations::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(OauthAuthorizations::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Connections::Table).to_owned())
            .await
    }
}
