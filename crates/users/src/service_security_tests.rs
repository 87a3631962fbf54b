//! Two-step login, step-up, the security log and erasure, over the in-memory store and a manual
//! clock (the fake hasher and harness of `service_tests.rs`).

use chrono::Duration;
use secrecy::ExposeSecret;

use super::tests::{Harness, PASSWORD, account, harness, secret};
use super::*;
use crate::error::{MfaError, ReauthenticateError, SecondStepError, StepUpError};
use crate::events::SecurityEventKind;
use crate::mfa::{CHALLENGE_LIFETIME, RECOVERY_CODES, RecoveryCode, TotpSeed};

/// Ada, enrolled in two-step login; her seed, her recovery codes and the session she enrolled in.
struct Enrolled {
    seed: TotpSeed,
    codes: Vec<RecoveryCode>,
    caller: Authenticated,
}

fn seed_of(uri: &str) -> TotpSeed {
    let secret = uri
        .split(['?', '&'])
        .find_map(|pair| pair.strip_prefix("secret="))
        .unwrap();
    TotpSeed::from_bytes(
        totp_rs::Secret::try_from_base32(secret)
            .unwrap()
            .as_bytes()
            .to_vec(),
    )
}

async fn caller_of(h: &Harness, session: &NewSession) -> Authenticated {
    h.service
        .authenticate(session.token.expose())
        .await
        .unwrap()
}

async fn enrolled(h: &Harness) -> Enrolled {
    h.service.register(account("ada", None)).await.unwrap();
    let session = h.service.login("ada", &secret(PASSWORD)).await.unwrap();
    let caller = caller_of(h, &session).await;
    let enrolment = h.service.begin_totp_enrolment(&caller).await.unwrap();
    let seed = seed_of(enrolment.otpauth_uri.expose_secret());
    let codes = h
        .service
        .confirm_totp(&caller, &seed.code_at(h.clock.now()))
        .await
        .unwrap();
    // The enrolment's own step is used: the next code is the next step's.
    h.clock.advance(Duration::seconds(30));
    Enrolled {
        seed,
        codes,
        caller,
    }
}

async fn challenge(h: &Harness) -> String {
    match h
        .service
        .sign_in("ada", &secret(PASSWORD), ClientInfo::default())
        .await
        .unwrap()
    {
        SignIn::SecondFactor { challenge, .. } => challenge.expose().to_owned(),
        SignIn::Session(_) => panic!("two-step login did not ask for a code"),
    }
}

#[tokio::test]
async fn mf_1_login_asks_for_a_code_and_accepts_each_code_once() {
    let h = harness();
    let ada = enrolled(&h).await;
    assert!(matches!(
        h.service.login("ada", &secret(PASSWORD)).await,
        Err(LoginError::SecondFactorRequired)
    ));

    let code = ada.seed.code_at(h.clock.now());
    let first = challenge(&h).await;
    let session = h.service.second_step(&first, &code).await.unwrap();
    assert_eq!(session.user.username.as_str(), "ada");

    // The same code again, with a new challenge: refused.
    let second = challenge(&h).await;
    assert!(matches!(
        h.service.second_step(&second, &code).await,
        Err(SecondStepError::InvalidCode)
    ));
    // A code two steps old: refused; the current one (a step later) works.
    h.clock.advance(Duration::seconds(60));
    let old = ada.seed.code_at(h.clock.now() - Duration::seconds(60));
    let current = ada.seed.code_at(h.clock.now());
    if old != current {
        assert!(matches!(
            h.service.second_step(&second, &old).await,
            Err(SecondStepError::InvalidCode)
        ));
    }
    h.service.second_step(&second, &current).await.unwrap();
    // A challenge opens one session.
    assert!(matches!(
        h.service.second_step(&second, &current).await,
        Err(SecondStepError::ChallengeExpired)
    ));
}

#[tokio::test]
async fn mf_1_the_same_code_sent_at_once_opens_one_session() {
    let h = Arc::new(harness());
    let ada = enrolled(&h).await;
    let code = ada.seed.code_at(h.clock.now());
    let mut challenges = Vec::new();
    for _ in 0..8 {
        challenges.push(challenge(&h).await);
    }
    let attempts = challenges.into_iter().map(|challenge| {
        let h = h.clone();
        let code = code.clone();
        tokio::spawn(async move { h.service.second_step(&challenge, &code).await.is_ok() })
    });
    let mut accepted = 0;
    for attempt in attempts {
        accepted += usize::from(attempt.await.unwrap());
    }
    assert_eq!(accepted, 1);
}

#[tokio::test]
async fn second_steps_expire_and_are_throttled_like_passwords() {
    let h = harness();
    let ada = enrolled(&h).await;
    let waiting = challenge(&h).await;
    h.clock.advance(CHALLENGE_LIFETIME);
    let code = ada.seed.code_at(h.clock.now());
    assert!(matches!(
        h.service.second_step(&waiting, &code).await,
        Err(SecondStepError::ChallengeExpired)
    ));

    let fresh = challenge(&h).await;
    for _ in 0..10 {
        let wrong = h.service.second_step(&fresh, "000000").await;
        assert!(matches!(wrong, Err(SecondStepError::InvalidCode)));
    }
    let code = ada.seed.code_at(h.clock.now());
    if code != "000000" {
        assert!(
            matches!(
                h.service.second_step(&fresh, &code).await,
                Err(SecondStepError::InvalidCode)
            ),
            "the 11th attempt must be refused even with the right code"
        );
    }
    let kinds: Vec<_> = h
        .service
        .security_events(ada.caller.user.id, 50)
        .await
        .unwrap()
        .into_iter()
        .map(|event| event.kind)
        .collect();
    assert!(
        kinds.contains(&SecurityEventKind::LoginThrottled),
        "{kinds:?}"
    );
}

#[tokio::test]
async fn mf_2_recovery_codes_work_once() {
    let h = harness();
    let ada = enrolled(&h).await;
    assert_eq!(ada.codes.len(), RECOVERY_CODES);
    let code = ada.codes[3].expose().to_uppercase();
    let first = challenge(&h).await;
    h.service.second_step(&first, &code).await.unwrap();
    let second = challenge(&h).await;
    assert!(matches!(
        h.service.second_step(&second, &code).await,
        Err(SecondStepError::InvalidCode)
    ));
    let status = h.service.mfa_status(ada.caller.user.id).await.unwrap();
    assert_eq!(status.recovery_codes_left, 9);

    // Regenerating replaces them all.
    let fresh = h
        .service
        .regenerate_recovery_codes(&ada.caller)
        .await
        .unwrap();
    assert!(matches!(
        h.service.second_step(&second, ada.codes[0].expose()).await,
        Err(SecondStepError::InvalidCode)
    ));
    h.service
        .second_step(&second, fresh[0].expose())
        .await
        .unwrap();
}

#[tokio::test]
async fn mf_2_disabling_needs_the_password_or_a_code() {
    let h = harness();
    let ada = enrolled(&h).await;
    let wrong = h
        .service
        .disable_totp(&ada.caller, &secret("not my password"))
        .await;
    assert!(matches!(wrong, Err(MfaError::WrongCode)), "{wrong:?}");
    let stale = h.service.disable_totp(&ada.caller, &secret("123456")).await;
    let current = ada.seed.code_at(h.clock.now());
    if current != "123456" {
        assert!(matches!(stale, Err(MfaError::WrongCode)), "{stale:?}");
    }
    h.service
        .disable_totp(&ada.caller, &secret(&current))
        .await
        .unwrap();
    assert!(
        !h.service
            .mfa_status(ada.caller.user.id)
            .await
            .unwrap()
            .enabled
    );
    // Logging in is one step again.
    h.service.login("ada", &secret(PASSWORD)).await.unwrap();

    // And with the password.
    let ada = {
        let session = h.service.login("ada", &secret(PASSWORD)).await.unwrap();
        caller_of(&h, &session).await
    };
    let enrolment = h.service.begin_totp_enrolment(&ada).await.unwrap();
    let seed = seed_of(enrolment.otpauth_uri.expose_secret());
    h.clock.advance(Duration::seconds(30));
    h.service
        .confirm_totp(&ada, &seed.code_at(h.clock.now()))
        .await
        .unwrap();
    h.service
        .disable_totp(&ada, &secret(PASSWORD))
        .await
        .unwrap();
}

#[tokio::test]
async fn enrolment_is_confirmed_by_a_code_and_ends_the_other_sessions() {
    let h = harness();
    h.service.register(account("ada", None)).await.unwrap();
    let phone = h.service.login("ada", &secret(PASSWORD)).await.unwrap();
    let laptop = h.service.login("ada", &secret(PASSWORD)).await.unwrap();
    let caller = caller_of(&h, &laptop).await;
    let enrolment = h.service.begin_totp_enrolment(&caller).await.unwrap();
    // Pending: login still takes one step.
    h.service.login("ada", &secret(PASSWORD)).await.unwrap();
    let wrong = h.service.confirm_totp(&caller, "12345x").await;
    assert!(matches!(wrong, Err(MfaError::WrongCode)), "{wrong:?}");
    let seed = seed_of(enrolment.otpauth_uri.expose_secret());
    h.service
        .confirm_totp(&caller, &seed.code_at(h.clock.now()))
        .await
        .unwrap();
    assert!(h.service.authenticate(phone.token.expose()).await.is_err());
    assert!(h.service.authenticate(laptop.token.expose()).await.is_ok());
    assert!(matches!(
        h.service.begin_totp_enrolment(&caller).await,
        Err(MfaError::AlreadyEnabled)
    ));
}

#[tokio::test]
async fn sensitive_changes_need_a_recent_authentication() {
    let h = harness();
    let ada = enrolled(&h).await;
    h.clock.advance(Duration::minutes(61));
    let caller = caller_of_token(&h, &ada).await;
    assert!(matches!(
        h.service.regenerate_recovery_codes(&caller).await,
        Err(MfaError::StepUp(StepUpError::ReauthenticationRequired))
    ));
    assert!(h.service.ensure_recent_authentication(&caller).is_err());
    // With two-step login, the password alone is not enough.
    assert!(matches!(
        h.service
            .reauthenticate(&caller, &secret(PASSWORD), None)
            .await,
        Err(ReauthenticateError::CodeRequired)
    ));
    assert!(matches!(
        h.service
            .reauthenticate(&caller, &secret("wrong password"), None)
            .await,
        Err(ReauthenticateError::WrongCredentials)
    ));
    let code = ada.seed.code_at(h.clock.now());
    h.service
        .reauthenticate(&caller, &secret(PASSWORD), Some(&code))
        .await
        .unwrap();
    let caller = caller_of_token(&h, &ada).await;
    h.service.ensure_recent_authentication(&caller).unwrap();
    h.service.regenerate_recovery_codes(&caller).await.unwrap();
}

/// The enrolled session, read again (as the next request would).
async fn caller_of_token(h: &Harness, ada: &Enrolled) -> Authenticated {
    let session = h
        .store
        .sessions()
        .into_iter()
        .find(|session| session.id == ada.caller.session.id)
        .unwrap();
    Authenticated {
        user: ada.caller.user.clone(),
        session,
    }
}

#[tokio::test]
async fn a_login_from_a_new_device_or_address_is_flagged_until_acknowledged() {
    let h = harness();
    let user = h.service.register(account("ada", None)).await.unwrap();
    let at =
        |device: &str, address: &str| ClientInfo::new(Some(device), Some(address.parse().unwrap()));
    let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0";
    let newer_firefox = firefox.replace("140.0", "141.0");
    let phone =
        "Mozilla/5.0 (Linux; Android 15) AppleWebKit/537.36 Chrome/141.0 Mobile Safari/537.36";
    for client in [
        at(firefox, "192.0.2.1"),
        at(&newer_firefox, "192.0.2.1"),
        at(phone, "192.0.2.1"),
        at(firefox, "198.51.100.7"),
    ] {
        h.service
            .login_from("ada", &secret(PASSWORD), client)
            .await
            .unwrap();
    }
    let flags: Vec<bool> = h
        .service
        .security_events(user.id, 10)
        .await
        .unwrap()
        .into_iter()
        .rev()
        .filter(|event| event.kind == SecurityEventKind::LoginSucceeded)
        .map(|event| event.needs_attention())
        .collect();
    // The first login is not news; a browser update is not a new device.
    assert_eq!(flags, [false, false, true, true]);
    assert_eq!(
        h.service
            .acknowledge_security_events(user.id)
            .await
            .unwrap(),
        2
    );
    let events = h.service.security_events(user.id, 10).await.unwrap();
    assert!(events.iter().all(|event| !event.needs_attention()));
}

#[tokio::test]
async fn wrong_passwords_and_password_changes_are_logged() {
    let h = harness();
    let user = h.service.register(account("ada", None)).await.unwrap();
    let _ = h.service.login("ada", &secret("wrong password")).await;
    let session = h.service.login("ada", &secret(PASSWORD)).await.unwrap();
    let caller = caller_of(&h, &session).await;
    let new =
        crate::password::Password::parse(secret("a brand new passphrase"), &caller.user.username)
            .unwrap();
    h.service
        .change_password(&caller, &secret(PASSWORD), new)
        .await
        .unwrap();
    let kinds: Vec<_> = h
        .service
        .security_events(user.id, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|event| event.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            SecurityEventKind::PasswordChanged,
            SecurityEventKind::LoginSucceeded,
            SecurityEventKind::LoginFailed,
        ]
    );
}

#[tokio::test]
async fn gd_1_an_erased_account_cannot_log_in_and_its_name_is_free() {
    let h = harness();
    let ada = enrolled(&h).await;
    let session_token = {
        let waiting = challenge(&h).await;
        let code = ada.seed.code_at(h.clock.now());
        h.service.second_step(&waiting, &code).await.unwrap().token
    };
    assert!(h.service.remove_account(ada.caller.user.id).await.unwrap());
    assert!(
        h.service
            .authenticate(session_token.expose())
            .await
            .is_err()
    );
    assert!(matches!(
        h.service.login("ada", &secret(PASSWORD)).await,
        Err(LoginError::InvalidCredentials)
    ));
    assert!(
        h.service
            .security_events(ada.caller.user.id, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let again = h.service.register(account("ada", None)).await.unwrap();
    assert_ne!(again.id, ada.caller.user.id);
    assert!(!h.service.mfa_status(again.id).await.unwrap().enabled);
}

#[tokio::test]
async fn app_passwords_are_shown_once_work_for_apps_only_and_are_revoked() {
    let h = harness();
    h.service.register(account("ada", None)).await.unwrap();
    let session = h.service.login("ada", &secret(PASSWORD)).await.unwrap();
    let caller = caller_of(&h, &session).await;
    let name = crate::app_password::AppPasswordName::parse("Phone").unwrap();
    let (phone, secret_text) = h.service.create_app_password(&caller, name).await.unwrap();
    let listed = h.service.app_passwords(caller.user.id).await.unwrap();
    assert_eq!(listed, std::slice::from_ref(&phone));
    let client = crate::session::ClientInfo::default();
    let sign_in = |username: &'static str, password: String| {
        let service = &h.service;
        let client = &client;
        async move {
            let credential =
                crate::app_password::AppCredential::Password(secrecy::SecretString::from(password));
            service.app_sign_in(username, &credential, client).await
        }
    };
    let found = sign_in("ADA", secret_text.expose().to_owned())
        .await
        .unwrap();
    assert_eq!(found.id, caller.user.id);
    let by_key = h
        .service
        .user_by_api_key(secret_text.expose())
        .await
        .unwrap();
    assert_eq!(by_key.map(|user| user.id), Some(caller.user.id));
    // The account's own password is not an app password.
    assert!(matches!(
        sign_in("ada", PASSWORD.to_owned()).await,
        Err(crate::error::AppSignInError::WrongCredentials)
    ));
    h.service
        .revoke_app_password(&caller, phone.id)
        .await
        .unwrap();
    assert!(
        sign_in("ada", secret_text.expose().to_owned())
            .await
            .is_err()
    );
    assert!(
        h.service
            .user_by_api_key(secret_text.expose())
            .await
            .unwrap()
            .is_none()
    );
    assert!(matches!(
        h.service.revoke_app_password(&caller, phone.id).await,
        Err(crate::error::AppPasswordError::NotFound)
    ));
    // At most twenty; an old session must confirm first.
    for number in 0..crate::app_password::MAX_APP_PASSWORDS {
        let name = crate::app_password::AppPasswordName::parse(&format!("App {number}")).unwrap();
        h.service.create_app_password(&caller, name).await.unwrap();
    }
    let one_more = crate::app_password::AppPasswordName::parse("One more").unwrap();
    assert!(matches!(
        h.service
            .create_app_password(&caller, one_more.clone())
            .await,
        Err(crate::error::AppPasswordError::TooMany)
    ));
    h.clock.advance(Duration::hours(2));
    let stale = caller_of(
        &h,
        &h.service.login("ada", &secret(PASSWORD)).await.unwrap(),
    )
    .await;
    let stale = Authenticated {
        session: Session {
            authenticated_at: stale.session.authenticated_at - Duration::hours(2),
            ..stale.session
        },
        ..stale
    };
    assert!(matches!(
        h.service.create_app_password(&stale, one_more).await,
        Err(crate::error::AppPasswordError::StepUp(_))
    ));
}

#[tokio::test]
async fn au_2_app_sign_ins_share_the_login_throttle_even_when_sent_at_once() {
    let h = harness();
    h.service.register(account("ada", None)).await.unwrap();
    let session = h.service.login("ada", &secret(PASSWORD)).await.unwrap();
    let caller = caller_of(&h, &session).await;
    let name = crate::app_password::AppPasswordName::parse("Phone").unwrap();
    let (_, secret_text) = h.service.create_app_password(&caller, name).await.unwrap();
    let client = crate::session::ClientInfo::default();
    let token = |secret: &str| {
        use md5::Digest as _;
        let mut digest = md5::Md5::new();
        digest.update(secret.as_bytes());
        digest.update(b"salt");
        crate::app_password::AppCredential::Token {
            token: hex::encode(digest.finalize()),
            salt: "salt".to_owned(),
        }
    };
    let right = token(secret_text.expose());
    assert!(h.service.app_sign_in("ada", &right, &client).await.is_ok());
    // Fifty wrong tokens at once: the throttle closes, and then the right one is refused too.
    let wrong = token("not-it");
    let attempts = (0..50).map(|_| h.service.app_sign_in("ada", &wrong, &client));
    let results = futures_util::future::join_all(attempts).await;
    assert!(results.iter().all(Result::is_err));
    assert!(matches!(
        h.service.app_sign_in("ada", &right, &client).await,
        Err(crate::error::AppSignInError::WrongCredentials)
    ));
}
