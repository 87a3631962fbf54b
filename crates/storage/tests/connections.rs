//! The connections port on SQLite and PostgreSQL: sealing at rest, the authorization contract,
//! and one refresh in flight across two server instances.

// A failing test panics; that is how it reports.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use chrono::{DateTime, Duration};
use secrecy::{ExposeSecret, SecretString};
use soiree_connections::{
    AuthorizationStart, ClientCredentials, ClientId, ClientSecret, ConnectionRepository as _,
    ConnectionStatus, ConnectionsConfig, ConnectionsService, OAuthProvider, PendingAuthorization,
    Provider, ProviderAccount, ProviderError, StateHash, TokenError, TokenGrant, TokenSet,
};
use soiree_kernel::{SystemClock, Tier, UserId};
use soiree_storage::testing::dump_tables;
use soiree_storage::{Database, Sealer, SealingKey, SqlConnectionStore};
use soiree_users::{PasswordHash, Profile, StoredUser, User, UserRepository as _, Username};
use support::test_databases;

const CANARY_SECRET: &str = "canary-client-secret-5d1f";
const CANARY_ACCESS: &str = "canary-access-token-9a2b";
const CANARY_REFRESH: &str = "canary-refresh-token-3c4d";
const CANARY_VERIFIER: &str = "canary-pkce-verifier-7e8f";

fn sealer() -> Arc<Sealer> {
    Arc::new(Sealer::new(SealingKey::generate("k1").unwrap(), vec![]))
}

async fn user(database: &Database) -> UserId {
    let id = UserId::generate();
    let stored = StoredUser {
        user: User {
            id,
            username: Username::parse(&format!("u{}", &id.to_string()[..8])).unwrap(),
            email: None,
            profile: Profile::default(),
            tier: Tier::Free,
            operator: false,
            created_at: DateTime::from_timestamp(1_800_000_000, 0).unwrap(),
        },
        password_hash: PasswordHash::from_phc("$fake".into()),
    };
    database.users().insert_user(&stored).await.unwrap();
    id
}

fn credentials(client_id: &str) -> ClientCredentials {
    ClientCredentials {
        client_id: ClientId::parse(client_id).unwrap(),
        client_secret: ClientSecret::parse(&SecretString::from(CANARY_SECRET)).unwrap(),
    }
}

fn tokens(access: &str, expires_at: DateTime<chrono::Utc>) -> TokenSet {
    TokenSet {
        access_token: SecretString::from(access.to_owned()),
        refresh_token: Some(SecretString::from(CANARY_REFRESH)),
        expires_at,
        scope: Some("user-read-private".into()),
    }
}

fn account() -> ProviderAccount {
    ProviderAccount {
        id: "spotify-ada".into(),
        display_name: Some("Ada".into()),
    }
}

#[tokio::test]
async fn cr_1_a_dump_holds_no_secret_and_a_wrong_key_fails_closed() {
    for test in test_databases().await {
        let backend = test.backend;
        let store = test.database.connections(sealer());
        let user_id = user(&test.database).await;
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        store
            .save_credentials(user_id, Provider::Spotify, &credentials("app"))
            .await
            .unwrap();
        store
            .save_connection(
                user_id,
                Provider::Spotify,
                &tokens(CANARY_ACCESS, now),
                &account(),
            )
            .await
            .unwrap();
        let pending = PendingAuthorization {
            state_hash: StateHash::of("state"),
            user_id,
            session_id: "session".into(),
            provider: Provider::Spotify,
            pkce_verifier: SecretString::from(CANARY_VERIFIER),
            expires_at: now,
        };
        store.save_authorization(&pending).await.unwrap();

        let dump = dump_tables(&test.database, &["connections", "oauth_authorizations"])
            .await
            .unwrap();
        assert!(
            dump.contains("spotify-ada"),
            "{backend}: the dump is real:\n{dump}"
        );
        for canary in [
            CANARY_SECRET,
            CANARY_ACCESS,
            CANARY_REFRESH,
            CANARY_VERIFIER,
        ] {
            assert!(
                !dump.contains(canary),
                "{backend}: {canary} is readable in the dump"
            );
        }

        let connection = store
            .get(user_id, Provider::Spotify)
            .await
            .unwrap()
            .unwrap();
        let stored_tokens = connection.tokens.unwrap();
        assert_eq!(
            stored_tokens.access_token.expose_secret(),
            CANARY_ACCESS,
            "{backend}"
        );
        assert_eq!(stored_tokens.expires_at, now);
        assert_eq!(
            connection
                .credentials
                .unwrap()
                .client_secret
                .secret()
                .expose_secret(),
            CANARY_SECRET
        );
        let (found, used) = store
            .find_authorization(&StateHash::of("state"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (found.pkce_verifier.expose_secret(), used),
            (CANARY_VERIFIER, false)
        );

        let wrong_key = test.database.connections(sealer());
        assert!(
            wrong_key.get(user_id, Provider::Spotify).await.is_err(),
            "{backend}: a wrong key fails closed"
        );
        test.finish().await;
    }
}

#[tokio::test]
async fn credentials_for_another_app_drop_tokens_and_disconnect_keeps_credentials() {
    for test in test_databases().await {
        let store = test.database.connections(sealer());
        let user_id = user(&test.database).await;
        let status = |store: SqlConnectionStore| async move {
            store
                .get(user_id, Provider::Spotify)
                .await
                .unwrap()
                .unwrap()
                .status()
        };
        let later = DateTime::from_timestamp(1_900_000_000, 0).unwrap();
        store
            .save_credentials(user_id, Provider::Spotify, &credentials("app-1"))
            .await
            .unwrap();
        store
            .save_connection(user_id, Provider::Spotify, &tokens("a", later), &account())
            .await
            .unwrap();
        store
            .save_credentials(user_id, Provider::Spotify, &credentials("app-1"))
            .await
            .unwrap();
        assert!(
            matches!(
                status(store.clone()).await,
                ConnectionStatus::Connected { .. }
            ),
            "{}",
            test.backend
        );
        store
            .save_credentials(user_id, Provider::Spotify, &credentials("app-2"))
            .await
            .unwrap();
        assert_eq!(
            status(store.clone()).await,
            ConnectionStatus::Configured,
            "{}",
            test.backend
        );
        store
            .save_connection(user_id, Provider::Spotify, &tokens("a", later), &account())
            .await
            .unwrap();
        store
            .forget(user_id, Provider::Spotify, false)
            .await
            .unwrap();
        assert_eq!(status(store.clone()).await, ConnectionStatus::Configured);
        store
            .forget(user_id, Provider::Spotify, true)
            .await
            .unwrap();
        assert_eq!(status(store.clone()).await, ConnectionStatus::NotConfigured);
        test.finish().await;
    }
}

#[tokio::test]
async fn oa_1_an_authorization_is_spent_exactly_once_under_concurrency() {
    for test in test_databases().await {
        let store = test.database.connections(sealer());
        let user_id = user(&test.database).await;
        let pending = PendingAuthorization {
            state_hash: StateHash::of("race"),
            user_id,
            session_id: "s".into(),
            provider: Provider::Spotify,
            pkce_verifier: SecretString::from("v"),
            expires_at: DateTime::from_timestamp(1_900_000_000, 0).unwrap(),
        };
        store.save_authorization(&pending).await.unwrap();
        let attempts = (0..8)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move {
                    store
                        .consume_authorization(&StateHash::of("race"))
                        .await
                        .unwrap()
                })
            })
            // Spawn every task before awaiting any: a lazy iterator would run them one by one.
            .collect::<Vec<_>>();
        let mut spent = 0;
        for attempt in attempts {
            spent += usize::from(attempt.await.unwrap());
        }
        assert_eq!(spent, 1, "{}", test.backend);
        test.finish().await;
    }
}

/// A provider with rotating refresh tokens that counts token requests, shared by two instances.
#[derive(Debug, Default)]
struct CountingProvider {
    refreshes: AtomicUsize,
}

#[async_trait]
impl OAuthProvider for CountingProvider {
    fn provider(&self) -> Provider {
        Provider::Spotify
    }
    fn start_authorization(&self, _: &ClientId, _: &str) -> anyhow::Result<AuthorizationStart> {
        anyhow::bail!("not used")
    }
    async fn exchange_code(
        &self,
        _: &ClientCredentials,
        _: &str,
        _: &SecretString,
        _: &str,
    ) -> Result<TokenGrant, TokenError> {
        Err(TokenError::Unavailable("not used".into()))
    }
    async fn refresh(
        &self,
        _: &ClientCredentials,
        refresh_token: &SecretString,
    ) -> Result<TokenGrant, TokenError> {
        let serial = self.refreshes.fetch_add(1, Ordering::SeqCst);
        // A rotating provider: only the most recent refresh token works.
        let expected = if serial == 0 {
            CANARY_REFRESH.to_owned()
        } else {
            format!("refresh-{serial}")
        };
        if refresh_token.expose_secret() != expected {
            return Err(TokenError::InvalidGrant("Refresh token revoked".into()));
        }
        // Stay "in flight" long enough for the other instance to try too.
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        Ok(TokenGrant {
            access_token: SecretString::from(format!("access-{}", serial + 1)),
            refresh_token: Some(SecretString::from(format!("refresh-{}", serial + 1))),
            expires_in: Duration::hours(1),
            scope: None,
        })
    }
    async fn account(&self, _: &SecretString) -> Result<ProviderAccount, ProviderError> {
        Ok(account())
    }
}

#[tokio::test]
async fn oa_6_two_instances_on_one_postgres_refresh_once() {
    let Some(postgres) = test_databases()
        .await
        .into_iter()
        .find(|test| test.backend == "postgres")
    else {
        // Several instances share a database only on PostgreSQL; test_databases announced the skip.
        return;
    };
    let key = sealer();
    let user_id = user(&postgres.database).await;
    let setup = postgres.database.connections(Arc::clone(&key));
    let expired = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
    setup
        .save_credentials(user_id, Provider::Spotify, &credentials("app"))
        .await
        .unwrap();
    setup
        .save_connection(
            user_id,
            Provider::Spotify,
            &tokens("stale", expired),
            &account(),
        )
        .await
        .unwrap();

    let provider = Arc::new(CountingProvider::default());
    let url = postgres.database_url().to_owned();
    let mut instances = Vec::new();
    for _ in 0..2 {
        let database = Database::connect(&url).await.unwrap();
        instances.push(Arc::new(ConnectionsService::new(
            Arc::new(database.connections(Arc::clone(&key))),
            vec![provider.clone()],
            Arc::new(SystemClock),
            ConnectionsConfig::new(|provider| {
                format!(
                    "http://127.0.0.1:8000/api/v1/connections/{}/callback",
                    provider.as_str()
                )
            }),
        )));
    }
    let calls = (0..20)
        .map(|call| {
            let instance = Arc::clone(&instances[call % 2]);
            tokio::spawn(async move { instance.access_token(user_id, Provider::Spotify).await })
        })
        // Spawn every task before awaiting any: a lazy iterator would run them one by one.
        .collect::<Vec<_>>();
    for call in calls {
        assert_eq!(call.await.unwrap().unwrap().expose_secret(), "access-1");
    }
    assert_eq!(
        provider.refreshes.load(Ordering::SeqCst),
        1,
        "exactly one token request across both instances"
    );
    postgres.finish().await;
}
