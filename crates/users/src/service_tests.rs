//! Service tests over the in-memory store, a fast fake hasher and a manual clock.

use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use chrono::{DateTime, Duration};
use secrecy::ExposeSecret;
use soiree_kernel::ManualClock;

use super::*;
use crate::memory::InMemoryUserStore;
use crate::model::{DisplayName, EmailAddress, Username};
use crate::password::Password;

/// Stores passwords reversibly, so tests run in microseconds; counts verifications, and those
/// against the test account's own hash (a real password check, not a decoy).
#[derive(Debug, Default)]
struct FakeHasher {
    verifications: AtomicUsize,
    account_checks: AtomicUsize,
}

#[async_trait]
impl PasswordHasher for FakeHasher {
    async fn hash(&self, password: &SecretString) -> anyhow::Result<PasswordHash> {
        Ok(PasswordHash::from_phc(format!(
            "fake${}",
            password.expose_secret()
        )))
    }

    async fn verify(&self, candidate: &SecretString, hash: &PasswordHash) -> anyhow::Result<bool> {
        self.verifications.fetch_add(1, Ordering::SeqCst);
        if hash.as_phc() == format!("fake${PASSWORD}") {
            self.account_checks.fetch_add(1, Ordering::SeqCst);
        }
        // A real hash takes tens of milliseconds on a blocking thread: other attempts run
        // meanwhile. Yielding here lets concurrent attempts interleave as they would.
        tokio::task::yield_now().await;
        Ok(hash.as_phc() == format!("fake${}", candidate.expose_secret()))
    }
}

pub(super) struct Harness {
    pub(super) service: UsersService,
    pub(super) store: InMemoryUserStore,
    pub(super) clock: ManualClock,
    hasher: Arc<FakeHasher>,
}

pub(super) const PASSWORD: &str = "correct horse battery";

pub(super) fn harness() -> Harness {
    let store = InMemoryUserStore::default();
    let clock = ManualClock::starting_at(DateTime::from_timestamp(1_800_000_000, 0).unwrap());
    let hasher = Arc::new(FakeHasher::default());
    let service = UsersService::new(
        store.ports(),
        hasher.clone(),
        Arc::new(clock.clone()),
        UsersConfig::default(),
    );
    Harness {
        service,
        store,
        clock,
        hasher,
    }
}

pub(super) fn account(username: &str, email: Option<&str>) -> NewAccount {
    let username = Username::parse(username).unwrap();
    let password = Password::parse(SecretString::from(PASSWORD), &username).unwrap();
    NewAccount {
        username,
        email: email.map(|email| EmailAddress::parse(email).unwrap()),
        password,
    }
}

pub(super) fn secret(text: &str) -> SecretString {
    SecretString::from(text.to_owned())
}

#[tokio::test]
async fn registered_users_start_free_and_are_unique_case_insensitively() {
    let h = harness();
    let user = h
        .service
        .register(account("Ada", Some("ada@example.org")))
        .await
        .unwrap();
    assert_eq!(user.tier, Tier::Free);
    assert_eq!(user.username.as_str(), "Ada");

    let same_name = h.service.register(account("ADA", None)).await;
    assert!(
        matches!(same_name, Err(RegisterError::UsernameTaken)),
        "{same_name:?}"
    );
    let same_email = h
        .service
        .register(account("grace", Some("ADA@example.org")))
        .await;
    assert!(
        matches!(same_email, Err(RegisterError::EmailTaken)),
        "{same_email:?}"
    );
    assert!(h.service.register(account("grace", None)).await.is_ok());
}

#[tokio::test]
async fn login_accepts_username_or_email_in_any_case() {
    let h = harness();
    let user = h
        .service
        .register(account("ada", Some("Ada@Example.org")))
        .await
        .unwrap();
    for login in ["ada", "ADA", " ada ", "ada@example.org", "ADA@EXAMPLE.ORG"] {
        let session = h.service.login(login, &secret(PASSWORD)).await.unwrap();
        assert_eq!(session.user.id, user.id, "{login}");
    }
}

#[tokio::test]
async fn au_1_unknown_user_and_wrong_password_are_indistinguishable() {
    let h = harness();
    h.service.register(account("ada", None)).await.unwrap();
    let wrong_password = h
        .service
        .login("ada", &secret("not the password"))
        .await
        .unwrap_err();
    let unknown_user = h
        .service
        .login("nobody", &secret(PASSWORD))
        .await
        .unwrap_err();
    assert!(matches!(wrong_password, LoginError::InvalidCredentials));
    assert!(matches!(unknown_user, LoginError::InvalidCredentials));
    assert_eq!(wrong_password.to_string(), unknown_user.to_string());
    assert_eq!(
        h.hasher.verifications.load(Ordering::SeqCst),
        2,
        "an unknown user still costs one verification"
    );
}

#[tokio::test]
async fn se_1_each_login_gets_a_new_token_and_logout_revokes_only_that_one() {
    let h = harness();
    h.service.register(account("ada", None)).await.unwrap();
    let first = h.service.login("ada", &secret(PASSWORD)).await.unwrap();
    let second = h.service.login("ada", &secret(PASSWORD)).await.unwrap();
    assert_ne!(first.token.expose(), second.token.expose());

    h.service.logout(first.session.id).await.unwrap();
    assert!(matches!(
        h.service.authenticate(first.token.expose()).await,
        Err(AuthenticateError::Unauthenticated)
    ));
    assert!(h.service.authenticate(second.token.expose()).await.is_ok());

    h.service.logout_everywhere(first.user.id).await.unwrap();
    assert!(h.service.authenticate(second.token.expose()).await.is_err());
}

#[tokio::test]
async fn a_session_revoked_by_another_process_is_refused_once_forgotten_or_after_a_few_seconds() {
    let h = harness();
    h.service.register(account("ada", None)).await.unwrap();
    let session = h.service.login("ada", &secret(PASSWORD)).await.unwrap();
    let token = session.token.expose();
    h.service.authenticate(token).await.unwrap();

    // Another process revokes it in storage; this one still has it verified.
    let sessions = h.store.ports().sessions;
    sessions
        .revoke(session.session.id, h.clock.now())
        .await
        .unwrap();
    assert!(
        h.service.authenticate(token).await.is_ok(),
        "verified a moment ago"
    );
    h.service.forget_session(session.session.id);
    assert!(
        h.service.authenticate(token).await.is_err(),
        "the other process's notification ends it at once"
    );

    let again = h.service.login("ada", &secret(PASSWORD)).await.unwrap();
    h.service.authenticate(again.token.expose()).await.unwrap();
    sessions
        .revoke(again.session.id, h.clock.now())
        .await
        .unwrap();
    h.clock.advance(VERIFIED_SESSION_TTL);
    assert!(
        h.service.authenticate(again.token.expose()).await.is_err(),
        "without a notification, within a few seconds"
    );
}

#[tokio::test]
async fn se_2_a_check_on_the_callers_behalf_does_not_keep_an_idle_session_alive() {
    let h = harness();
    h.service.register(account("ada", None)).await.unwrap();
    let session = h.service.login("ada", &secret(PASSWORD)).await.unwrap();
    for _ in 0..3 {
        h.clock.advance(Duration::minutes(50));
        let _ = h.service.still_active(session.token.expose()).await;
    }
    assert!(
        h.service
            .authenticate(session.token.expose())
            .await
            .is_err(),
        "150 minutes without a request of its own: idle"
    );
}

#[tokio::test]
async fn only_a_hash_of_the_token_is_stored() {
    let h = harness();
    h.service.register(account("ada", None)).await.unwrap();
    let session = h.service.login("ada", &secret(PASSWORD)).await.unwrap();
    let stored = h.store.sessions();
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0].token_hash.as_hex(), session.token.expose());
    assert_eq!(stored[0].token_hash, session.token.hash());
}

#[tokio::test]
async fn se_2_idle_timeout_ends_an_unused_session() {
    let h = harness();
    h.service.register(account("ada", None)).await.unwrap();
    let session = h.service.login("ada", &secret(PASSWORD)).await.unwrap();
    h.clock.advance(Duration::minutes(119));
    assert!(
        h.service.authenticate(session.token.expose()).await.is_ok(),
        "used just before the idle limit"
    );
    h.clock.advance(Duration::minutes(119));
    assert!(
        h.service.authenticate(session.token.expose()).await.is_ok(),
        "use renews the idle window"
    );
    h.clock.advance(Duration::hours(2));
    assert!(
        h.service
            .authenticate(session.token.expose())
            .await
            .is_err(),
        "two idle hours end it"
    );
}

#[tokio::test]
async fn se_2_absolute_timeout_ends_a_busy_session() {
    let h = harness();
    h.service.register(account("ada", None)).await.unwrap();
    let session = h.service.login("ada", &secret(PASSWORD)).await.unwrap();
    for _ in 0..23 {
        h.clock.advance(Duration::hours(1));
        assert!(h.service.authenticate(session.token.expose()).await.is_ok());
    }
    h.clock.advance(Duration::minutes(59));
    assert!(h.service.authenticate(session.token.expose()).await.is_ok());
    h.clock.advance(Duration::minutes(1));
    assert!(
        h.service
            .authenticate(session.token.expose())
            .await
            .is_err(),
        "24 h after login it ends"
    );
}

#[tokio::test]
async fn au_2_eleventh_attempt_is_refused_even_with_the_right_password_until_the_wait_is_over() {
    let h = harness();
    h.service.register(account("ada", None)).await.unwrap();
    for _ in 0..10 {
        assert!(
            h.service
                .login("ada", &secret("wrong password"))
                .await
                .is_err()
        );
        h.clock.advance(Duration::seconds(5));
    }
    let throttled = h.service.login("ada", &secret(PASSWORD)).await;
    assert!(
        matches!(throttled, Err(LoginError::InvalidCredentials)),
        "{throttled:?}"
    );
    h.clock.advance(Duration::seconds(30));
    assert!(
        h.service.login("ada", &secret(PASSWORD)).await.is_ok(),
        "after the wait the right password works"
    );
    assert!(
        h.service
            .login("ada", &secret("wrong password"))
            .await
            .is_err()
    );
    assert!(
        h.service.login("ada", &secret(PASSWORD)).await.is_ok(),
        "a success resets the count"
    );
}

#[tokio::test]
async fn au_2_attempts_made_at_once_get_no_more_password_checks_than_attempts_made_in_turn() {
    let h = harness();
    h.service.register(account("ada", None)).await.unwrap();
    let service = Arc::new(h.service);
    // 100 wrong passwords at once: every attempt starts before any check ends.
    let attempts: Vec<_> = (0..100)
        .map(|_| {
            let service = Arc::clone(&service);
            tokio::spawn(async move { service.login("ada", &secret("guess")).await })
        })
        .collect();
    for attempt in attempts {
        assert!(matches!(
            attempt.await.unwrap(),
            Err(LoginError::InvalidCredentials)
        ));
    }
    assert_eq!(
        h.hasher.account_checks.load(Ordering::SeqCst),
        10,
        "the ten free failures, and no more"
    );
    assert_eq!(
        h.hasher.verifications.load(Ordering::SeqCst),
        100,
        "the 90 refused attempts cost a decoy check each (AU-1)"
    );
}

#[tokio::test]
async fn au_1_a_throttled_answer_costs_a_check_and_reads_as_a_wrong_password() {
    let h = harness();
    h.service.register(account("ada", None)).await.unwrap();
    for _ in 0..10 {
        let _ = h.service.login("ada", &secret("guess")).await;
    }
    let wrong = h
        .service
        .login("nobody", &secret("guess"))
        .await
        .unwrap_err();
    let before = h.hasher.verifications.load(Ordering::SeqCst);
    let throttled = h.service.login("ada", &secret(PASSWORD)).await.unwrap_err();
    assert_eq!(throttled.to_string(), wrong.to_string());
    assert_eq!(
        h.hasher.verifications.load(Ordering::SeqCst),
        before + 1,
        "one verification, as a wrong password costs"
    );
}

#[tokio::test]
async fn se_1_a_person_sees_their_sessions_and_ends_one_or_all_others_but_never_anothers() {
    let h = harness();
    h.service.register(account("ada", None)).await.unwrap();
    h.service.register(account("bob", None)).await.unwrap();
    let client = |device: &str| ClientInfo::new(Some(device), "198.51.100.4".parse().ok());
    let phone = h
        .service
        .login_from("ada", &secret(PASSWORD), client("Phone"))
        .await
        .unwrap();
    h.clock.advance(Duration::minutes(5));
    let laptop = h
        .service
        .login_from("ada", &secret(PASSWORD), client("Laptop"))
        .await
        .unwrap();
    let tablet = h.service.login("ada", &secret(PASSWORD)).await.unwrap();
    let bob = h.service.login("bob", &secret(PASSWORD)).await.unwrap();
    let ada = phone.user.id;
    let listed = h.service.sessions(ada).await.unwrap();
    assert_eq!(listed.len(), 3);
    assert!(
        listed
            .iter()
            .any(|s| s.client.device.as_deref() == Some("Laptop"))
    );
    // Bob's session is not Ada's to end.
    assert!(matches!(
        h.service.revoke_session(ada, bob.session.id).await,
        Err(RevokeSessionError::NotFound)
    ));
    h.service
        .revoke_session(ada, phone.session.id)
        .await
        .unwrap();
    assert!(h.service.authenticate(phone.token.expose()).await.is_err());
    assert_eq!(
        h.service
            .revoke_other_sessions(ada, laptop.session.id)
            .await
            .unwrap(),
        1,
        "the tablet"
    );
    assert!(h.service.authenticate(tablet.token.expose()).await.is_err());
    assert!(h.service.authenticate(laptop.token.expose()).await.is_ok());
    assert!(h.service.authenticate(bob.token.expose()).await.is_ok());
}

#[tokio::test]
async fn a_password_change_needs_the_current_one_and_ends_the_other_sessions() {
    let h = harness();
    h.service.register(account("ada", None)).await.unwrap();
    let here = h.service.login("ada", &secret(PASSWORD)).await.unwrap();
    let elsewhere = h.service.login("ada", &secret(PASSWORD)).await.unwrap();
    let caller = h.service.authenticate(here.token.expose()).await.unwrap();
    let username = Username::parse("ada").unwrap();
    let new = || Password::parse(secret("a brand new passphrase"), &username).unwrap();
    assert!(matches!(
        h.service
            .change_password(&caller, &secret("wrong"), new())
            .await,
        Err(ChangePasswordError::WrongPassword)
    ));
    assert_eq!(
        h.service
            .change_password(&caller, &secret(PASSWORD), new())
            .await
            .unwrap(),
        1
    );
    assert!(
        h.service
            .authenticate(elsewhere.token.expose())
            .await
            .is_err()
    );
    assert!(
        h.service.authenticate(here.token.expose()).await.is_ok(),
        "this one stays"
    );
    assert!(h.service.login("ada", &secret(PASSWORD)).await.is_err());
    assert!(
        h.service
            .login("ada", &secret("a brand new passphrase"))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn wrong_current_passwords_are_throttled_like_logins() {
    let h = harness();
    h.service.register(account("ada", None)).await.unwrap();
    let session = h.service.login("ada", &secret(PASSWORD)).await.unwrap();
    let caller = h
        .service
        .authenticate(session.token.expose())
        .await
        .unwrap();
    let username = Username::parse("ada").unwrap();
    for _ in 0..10 {
        let new = Password::parse(secret("a brand new passphrase"), &username).unwrap();
        let _ = h
            .service
            .change_password(&caller, &secret("guess"), new)
            .await;
    }
    let new = Password::parse(secret("a brand new passphrase"), &username).unwrap();
    assert!(
        matches!(
            h.service
                .change_password(&caller, &secret(PASSWORD), new)
                .await,
            Err(ChangePasswordError::WrongPassword)
        ),
        "even the right one waits out the throttle: guessing here is no faster than at login"
    );
}

#[tokio::test]
async fn authenticate_refuses_tokens_that_were_never_issued() {
    let h = harness();
    for token in ["", "garbage", SessionToken::generate().expose()] {
        assert!(matches!(
            h.service.authenticate(token).await,
            Err(AuthenticateError::Unauthenticated)
        ));
    }
}

#[tokio::test]
async fn profile_changes_are_stored() {
    let h = harness();
    let user = h.service.register(account("ada", None)).await.unwrap();
    let changes = ProfileChanges {
        display_name: Some(Some(DisplayName::parse("DJ Ada").unwrap())),
        ..ProfileChanges::default()
    };
    let updated = h.service.update_profile(user.id, changes).await.unwrap();
    assert_eq!(updated.shown_name(), "DJ Ada");
    assert_eq!(
        h.service.user(user.id).await.unwrap().unwrap().shown_name(),
        "DJ Ada"
    );
    let missing = h
        .service
        .update_profile(UserId::generate(), ProfileChanges::default())
        .await;
    assert!(matches!(missing, Err(UpdateProfileError::NotFound)));
}

#[tokio::test]
async fn operators_are_made_from_the_command_line_and_accounts_are_listed() {
    let h = harness();
    let ada = h.service.register(account("ada", None)).await.unwrap();
    let bob = h.service.register(account("bob", None)).await.unwrap();
    assert!(!ada.operator, "a new account is not an operator");
    assert!(h.service.set_operator(ada.id, true).await.unwrap());
    assert!(h.service.user(ada.id).await.unwrap().unwrap().operator);
    assert!(
        !h.service
            .set_operator(UserId::generate(), true)
            .await
            .unwrap()
    );
    let (all, total) = h.service.list(None, 0, 10).await.unwrap();
    assert_eq!(total, 2);
    assert_eq!(all[0].id, ada.id);
    let (found, total) = h.service.list(Some(" BO "), 0, 10).await.unwrap();
    assert_eq!((found.len(), total), (1, 1));
    assert_eq!(found[0].id, bob.id);
    let (page, total) = h.service.list(None, 1, 10).await.unwrap();
    assert_eq!((page.len(), total), (1, 2));
}
