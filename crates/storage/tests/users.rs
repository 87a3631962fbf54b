//! The users ports on SQLite and PostgreSQL.

// A failing test panics; that is how it reports.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;

use chrono::{DateTime, Duration};
use secrecy::SecretString;
use soiree_kernel::{ManualClock, Tier, Timestamp, UserId};
use soiree_storage::SqlUserStore;
use soiree_users::{
    Argon2idHasher, AuthenticateError, ClientInfo, DisplayName, EmailAddress, FailureSummary,
    InsertUserError, Language, LoginAttemptRepository as _, NewAccount, Password, PasswordHash,
    Profile, RegisterError, Session, SessionId, SessionRepository as _, SessionToken, StoredUser,
    TimeZone, User, UserRepository as _, Username, UsersConfig, UsersService,
};
use support::test_databases;

fn instant(seconds: i64) -> Timestamp {
    DateTime::from_timestamp(1_800_000_000 + seconds, 123_456_000).unwrap()
}

fn stored(username: &str, email: Option<&str>) -> StoredUser {
    StoredUser {
        user: User {
            id: UserId::generate(),
            username: Username::parse(username).unwrap(),
            email: email.map(|email| EmailAddress::parse(email).unwrap()),
            profile: Profile::default(),
            tier: Tier::Free,
            operator: false,
            created_at: instant(0),
        },
        password_hash: PasswordHash::from_phc(format!("$fake${username}")),
    }
}

#[tokio::test]
async fn users_round_trip_and_are_unique_case_insensitively() {
    for test in test_databases().await {
        let store = test.database.users();
        let backend = test.backend;
        let mut ada = stored("Ada", Some("Ada@Example.org"));
        ada.user.profile = Profile {
            display_name: Some(DisplayName::parse("DJ Ada").unwrap()),
            language: Some(Language::parse("en-GB").unwrap()),
            timezone: Some(TimeZone::parse("Europe/London").unwrap()),
        };
        ada.user.tier = Tier::Premium;
        store.insert_user(&ada).await.unwrap();

        let by_name = store
            .find_by_login_key("ada")
            .await
            .unwrap()
            .expect(backend);
        assert_eq!(by_name.user, ada.user, "{backend}");
        assert_eq!(by_name.password_hash, ada.password_hash, "{backend}");
        let by_email = store
            .find_by_login_key("ada@example.org")
            .await
            .unwrap()
            .expect(backend);
        assert_eq!(by_email.user.id, ada.user.id, "{backend}");
        assert_eq!(
            store.find_by_id(ada.user.id).await.unwrap(),
            Some(ada.user.clone()),
            "{backend}"
        );
        assert!(
            store.find_by_login_key("grace").await.unwrap().is_none(),
            "{backend}"
        );

        let same_name = store.insert_user(&stored("ADA", None)).await;
        assert!(
            matches!(same_name, Err(InsertUserError::UsernameTaken)),
            "{backend}: {same_name:?}"
        );
        let same_email = store
            .insert_user(&stored("grace", Some("ada@EXAMPLE.org")))
            .await;
        assert!(
            matches!(same_email, Err(InsertUserError::EmailTaken)),
            "{backend}: {same_email:?}"
        );
        store.insert_user(&stored("grace", None)).await.unwrap();
        store
            .insert_user(&stored("hopper", None))
            .await
            .expect("several accounts without email");
        test.finish().await;
    }
}

#[tokio::test]
async fn profile_updates_replace_the_profile_and_nothing_else() {
    for test in test_databases().await {
        let store = test.database.users();
        let ada = stored("ada", Some("ada@example.org"));
        store.insert_user(&ada).await.unwrap();
        let profile = Profile {
            display_name: Some(DisplayName::parse("Ada L.").unwrap()),
            ..Profile::default()
        };
        assert!(store.update_profile(ada.user.id, &profile).await.unwrap());
        let reloaded = store.find_by_id(ada.user.id).await.unwrap().unwrap();
        assert_eq!(reloaded.profile, profile, "{}", test.backend);
        assert_eq!(
            (reloaded.username, reloaded.email, reloaded.tier),
            (ada.user.username, ada.user.email, Tier::Free)
        );
        assert!(
            !store
                .update_profile(UserId::generate(), &profile)
                .await
                .unwrap(),
            "{}",
            test.backend
        );
        test.finish().await;
    }
}

#[tokio::test]
async fn sessions_are_found_by_hash_touched_and_revoked() {
    for test in test_databases().await {
        let store = test.database.users();
        let backend = test.backend;
        let ada = stored("ada", None);
        store.insert_user(&ada).await.unwrap();
        let token = SessionToken::generate();
        let session = Session {
            id: SessionId::generate(),
            user_id: ada.user.id,
            token_hash: token.hash(),
            created_at: instant(0),
            authenticated_at: instant(0),
            last_seen_at: instant(0),
            expires_at: instant(86_400),
            revoked_at: None,
            client: ClientInfo::new(Some("Firefox on Linux"), "203.0.113.7".parse().ok()),
        };
        store.insert_session(&session).await.unwrap();
        let other = Session {
            id: SessionId::generate(),
            token_hash: SessionToken::generate().hash(),
            ..session.clone()
        };
        store.insert_session(&other).await.unwrap();

        assert_eq!(
            store.find_by_token_hash(&token.hash()).await.unwrap(),
            Some(session.clone()),
            "{backend}"
        );
        store.touch(session.id, instant(90)).await.unwrap();
        // The account's sessions, most recently used first, with where they came from.
        let listed = store.sessions_of(ada.user.id).await.unwrap();
        assert_eq!(
            listed.iter().map(|s| s.id).collect::<Vec<_>>(),
            [session.id, other.id],
            "{backend}"
        );
        assert_eq!(
            listed[0].client.device.as_deref(),
            Some("Firefox on Linux"),
            "{backend}"
        );
        assert_eq!(listed[0].client.address.as_deref(), Some("203.0.113.7"));
        store.revoke(session.id, instant(100)).await.unwrap();
        store.revoke(session.id, instant(200)).await.unwrap();
        assert_eq!(
            store.sessions_of(ada.user.id).await.unwrap().len(),
            1,
            "{backend}: a revoked session is not listed"
        );
        // A new password hash replaces the old one.
        let replaced = PasswordHash::from_phc("$fake$new".to_owned());
        assert!(
            store
                .set_password_hash(ada.user.id, &replaced)
                .await
                .unwrap()
        );
        assert!(
            !store
                .set_password_hash(UserId::generate(), &replaced)
                .await
                .unwrap()
        );
        assert_eq!(
            store
                .find_by_login_key("ada")
                .await
                .unwrap()
                .unwrap()
                .password_hash,
            replaced,
            "{backend}"
        );
        let reloaded = store
            .find_by_token_hash(&token.hash())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (reloaded.last_seen_at, reloaded.revoked_at),
            (instant(90), Some(instant(100))),
            "{backend}"
        );
        assert_eq!(
            store
                .find_by_token_hash(&other.token_hash)
                .await
                .unwrap()
                .unwrap()
                .revoked_at,
            None
        );

        store
            .revoke_all_for_user(ada.user.id, instant(300))
            .await
            .unwrap();
        let other_reloaded = store
            .find_by_token_hash(&other.token_hash)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(other_reloaded.revoked_at, Some(instant(300)), "{backend}");
        test.finish().await;
    }
}

#[tokio::test]
async fn login_failures_are_counted_in_a_window_and_cleared() {
    for test in test_databases().await {
        let store = test.database.users();
        let backend = test.backend;
        let ada = stored("ada", None);
        store.insert_user(&ada).await.unwrap();
        for seconds in [0, 10, 20] {
            store
                .record_failure(ada.user.id, instant(seconds))
                .await
                .unwrap();
        }
        let summary = store.failures_since(ada.user.id, instant(5)).await.unwrap();
        assert_eq!(
            summary,
            FailureSummary {
                count: 2,
                latest: Some(instant(20))
            },
            "{backend}"
        );
        store.clear(ada.user.id).await.unwrap();
        assert_eq!(
            store.failures_since(ada.user.id, instant(0)).await.unwrap(),
            FailureSummary::default()
        );
        test.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn au_2_login_attempts_are_admitted_atomically_across_two_instances() {
    for test in test_databases().await {
        let backend = test.backend;
        // Two pools on one database: two server processes.
        let second = soiree_storage::Database::connect(test.database_url())
            .await
            .unwrap();
        let stores = [test.database.users(), second.users()];
        let ada = stored("ada", None);
        stores[0].insert_user(&ada).await.unwrap();
        let id = ada.user.id;
        // 40 attempts at once, half through each instance; ten failures are allowed.
        let attempts: Vec<_> = (0..40)
            .map(|attempt| {
                let store = stores[attempt % 2].clone();
                tokio::spawn(async move {
                    let admits = |failures: &FailureSummary| failures.count < 10;
                    store
                        .reserve_attempt(id, instant(attempt as i64 % 3), instant(-900), &admits)
                        .await
                        .unwrap()
                })
            })
            .collect();
        let mut admitted = 0;
        for attempt in attempts {
            admitted += usize::from(attempt.await.unwrap());
        }
        assert_eq!(
            admitted, 10,
            "{backend}: ten checks, not one per instance or more"
        );
        assert_eq!(
            stores[1]
                .failures_since(id, instant(-900))
                .await
                .unwrap()
                .count,
            10,
            "{backend}: each admitted attempt counted"
        );
        second.close().await.unwrap();
        test.finish().await;
    }
}

#[tokio::test]
async fn concurrent_registrations_of_one_name_let_exactly_one_through() {
    for test in test_databases().await {
        let store = test.database.users();
        let attempts = (0..8)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move { store.insert_user(&stored("party", None)).await })
            })
            // Spawn every task before awaiting any: a lazy iterator would run them one by one.
            .collect::<Vec<_>>();
        let mut created = 0;
        for attempt in attempts {
            match attempt.await.unwrap() {
                Ok(()) => created += 1,
                Err(InsertUserError::UsernameTaken) => {}
                Err(other) => panic!("{}: unexpected {other:?}", test.backend),
            }
        }
        assert_eq!(created, 1, "{}", test.backend);
        test.finish().await;
    }
}

fn service(store: &SqlUserStore, clock: &ManualClock) -> UsersService {
    UsersService::new(
        store.ports(Arc::new(soiree_storage::Sealer::new(
            soiree_storage::SealingKey::generate("k1").unwrap(),
            vec![],
        ))),
        Arc::new(Argon2idHasher::default()),
        Arc::new(clock.clone()),
        UsersConfig::default(),
    )
}

#[tokio::test]
async fn se_2_the_service_over_the_database_expires_sessions() {
    for test in test_databases().await {
        let store = test.database.users();
        let backend = test.backend;
        let clock = ManualClock::starting_at(instant(0));
        let users = service(&store, &clock);
        let username = Username::parse("ada").unwrap();
        let password =
            Password::parse(SecretString::from("correct horse battery"), &username).unwrap();
        users
            .register(NewAccount {
                username,
                email: None,
                password,
            })
            .await
            .unwrap();
        let duplicate = Username::parse("ADA").unwrap();
        let password = Password::parse(SecretString::from("another good one"), &duplicate).unwrap();
        let again = users
            .register(NewAccount {
                username: duplicate,
                email: None,
                password,
            })
            .await;
        assert!(
            matches!(again, Err(RegisterError::UsernameTaken)),
            "{backend}"
        );

        let login = users
            .login("ada", &SecretString::from("correct horse battery"))
            .await
            .unwrap();
        clock.advance(Duration::minutes(90));
        assert!(
            users.authenticate(login.token.expose()).await.is_ok(),
            "{backend}"
        );
        clock.advance(Duration::minutes(119));
        assert!(
            users.authenticate(login.token.expose()).await.is_ok(),
            "{backend}: last use was recorded"
        );
        clock.advance(Duration::minutes(120));
        let expired = users.authenticate(login.token.expose()).await;
        assert!(
            matches!(expired, Err(AuthenticateError::Unauthenticated)),
            "{backend}"
        );
        test.finish().await;
    }
}
