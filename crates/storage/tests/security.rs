//! Two-step login, the security log and erasure on SQLite and PostgreSQL.

// A failing test panics; that is how it reports.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;

use chrono::DateTime;
use soiree_kernel::{Tier, Timestamp, UserId};
use soiree_storage::testing::dump_tables;
use soiree_storage::{Sealer, SealingKey};
use soiree_users::{
    ClientInfo, PasswordHash, Profile, RecoveryCode, SecurityEvent, SecurityEventKind, StoredUser,
    TotpSeed, User, Username,
};
use support::test_databases;

fn totp_base32(seed: &TotpSeed) -> String {
    use secrecy::ExposeSecret as _;
    seed.enrolment("ada")
        .unwrap()
        .secret
        .expose_secret()
        .to_owned()
}

fn instant(seconds: i64) -> Timestamp {
    DateTime::from_timestamp(1_800_000_000 + seconds, 0).unwrap()
}

fn stored(username: &str) -> StoredUser {
    StoredUser {
        user: User {
            id: UserId::generate(),
            username: Username::parse(username).unwrap(),
            email: None,
            profile: Profile::default(),
            tier: Tier::Free,
            operator: false,
            created_at: instant(0),
        },
        password_hash: PasswordHash::from_phc(format!("$fake${username}")),
    }
}

fn sealer() -> Arc<Sealer> {
    Arc::new(Sealer::new(SealingKey::generate("k1").unwrap(), vec![]))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mf_1_a_step_and_a_recovery_code_are_accepted_once_across_two_instances() {
    for test in test_databases().await {
        let backend = test.backend;
        let second = soiree_storage::Database::connect(test.database_url())
            .await
            .unwrap();
        let key = sealer();
        let ports = [
            test.database.users().ports(key.clone()),
            second.users().ports(key.clone()),
        ];
        let ada = stored("ada");
        ports[0].users.insert_user(&ada).await.unwrap();
        let id = ada.user.id;
        let seed = TotpSeed::generate();
        assert!(
            ports[0]
                .mfa
                .put_pending_seed(id, &seed, instant(0))
                .await
                .unwrap()
        );
        let codes: Vec<RecoveryCode> = (0..10).map(|_| RecoveryCode::generate()).collect();
        let hashes: Vec<_> = codes.iter().map(RecoveryCode::hash).collect();
        assert!(
            ports[1]
                .mfa
                .confirm(id, 100, &hashes, instant(1))
                .await
                .unwrap()
        );
        // Confirmed: a new pending seed may not replace it.
        assert!(
            !ports[0]
                .mfa
                .put_pending_seed(id, &TotpSeed::generate(), instant(2))
                .await
                .unwrap()
        );
        let record = ports[1].mfa.mfa_of(id).await.unwrap().unwrap();
        assert_eq!(
            record.seed.expose(),
            seed.expose(),
            "{backend}: the seed opens"
        );
        assert_eq!(record.recovery_codes_left, 10);

        // The same step and the same recovery code, 20 times at once through both instances.
        let attempts: Vec<_> = (0..20)
            .map(|attempt| {
                let ports = ports[attempt % 2].clone();
                let code = codes[0].hash();
                tokio::spawn(async move {
                    (
                        ports.mfa.accept_step(id, 101).await.unwrap(),
                        ports.mfa.use_recovery_code(id, &code).await.unwrap(),
                    )
                })
            })
            .collect();
        let (mut steps, mut uses) = (0, 0);
        for attempt in attempts {
            let (step, used) = attempt.await.unwrap();
            steps += usize::from(step);
            uses += usize::from(used);
        }
        assert_eq!((steps, uses), (1, 1), "{backend}: each accepted once");
        // An older step after a newer one: refused.
        assert!(!ports[0].mfa.accept_step(id, 100).await.unwrap());
        assert!(ports[0].mfa.accept_step(id, 102).await.unwrap());
        test.finish().await;
    }
}

#[tokio::test]
async fn totp_seeds_are_sealed_at_rest() {
    for test in test_databases().await {
        let ports = test.database.users().ports(sealer());
        let ada = stored("ada");
        ports.users.insert_user(&ada).await.unwrap();
        let seed = TotpSeed::generate();
        ports
            .mfa
            .put_pending_seed(ada.user.id, &seed, instant(0))
            .await
            .unwrap();
        let dump = dump_tables(&test.database, &["mfa_totp"]).await.unwrap();
        assert!(
            dump.contains(".k1."),
            "{}: the dump is real:\n{dump}",
            test.backend
        );
        for readable in [hex::encode(seed.expose()), totp_base32(&seed)] {
            assert!(!dump.contains(&readable), "{}: {dump}", test.backend);
        }
        // Another key cannot open it.
        let other = test.database.users().ports(sealer());
        assert!(
            other.mfa.mfa_of(ada.user.id).await.is_err(),
            "{}",
            test.backend
        );
        test.finish().await;
    }
}

#[tokio::test]
async fn new_devices_are_told_apart_and_gd_1_erasure_removes_everything_of_the_account() {
    for test in test_databases().await {
        let backend = test.backend;
        let ports = test.database.users().ports(sealer());
        let ada = stored("ada");
        ports.users.insert_user(&ada).await.unwrap();
        let id = ada.user.id;
        let firefox = ClientInfo::new(
            Some("Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"),
            "192.0.2.1".parse().ok(),
        );
        let first = ports.events.known_client(id, &firefox).await.unwrap();
        assert!(!first.any_login && !first.is_new());
        let login = SecurityEvent::new(id, SecurityEventKind::LoginSucceeded, instant(0))
            .from_client(&firefox);
        ports.events.record_event(&login).await.unwrap();
        let updated = ClientInfo {
            device: firefox.device.as_ref().map(|d| d.replace("140.0", "141.0")),
            ..firefox.clone()
        };
        assert!(
            !ports
                .events
                .known_client(id, &updated)
                .await
                .unwrap()
                .is_new(),
            "{backend}"
        );
        let elsewhere = ClientInfo {
            address: Some("198.51.100.9".to_owned()),
            ..firefox.clone()
        };
        assert!(
            ports
                .events
                .known_client(id, &elsewhere)
                .await
                .unwrap()
                .is_new(),
            "{backend}"
        );
        let mut flagged = SecurityEvent::new(id, SecurityEventKind::LoginSucceeded, instant(5))
            .from_client(&elsewhere);
        flagged.new_device = true;
        ports.events.record_event(&flagged).await.unwrap();
        let events = ports.events.events_of(id, 10).await.unwrap();
        assert_eq!(events.len(), 2);
        assert!(
            events[0].needs_attention(),
            "{backend}: newest first, flagged"
        );
        assert_eq!(
            ports
                .events
                .acknowledge_events(id, instant(6))
                .await
                .unwrap(),
            1
        );

        ports
            .mfa
            .put_pending_seed(id, &TotpSeed::generate(), instant(0))
            .await
            .unwrap();
        assert!(ports.users.delete_user(id).await.unwrap());
        assert!(ports.users.find_by_id(id).await.unwrap().is_none());
        assert!(
            ports.events.events_of(id, 10).await.unwrap().is_empty(),
            "{backend}"
        );
        assert!(ports.mfa.mfa_of(id).await.unwrap().is_none(), "{backend}");
        // The username is free again.
        ports.users.insert_user(&stored("ada")).await.unwrap();
        test.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn app_passwords_are_sealed_and_counted_at_once_across_two_instances() {
    use soiree_users::{AppPassword, AppPasswordId, AppPasswordName, AppSecret};
    for test in test_databases().await {
        let backend = test.backend;
        let second = soiree_storage::Database::connect(test.database_url())
            .await
            .unwrap();
        let key = sealer();
        let ports = [
            test.database.users().ports(key.clone()),
            second.users().ports(key.clone()),
        ];
        let ada = stored("ada");
        ports[0].users.insert_user(&ada).await.unwrap();
        let id = ada.user.id;
        let attempts: Vec<_> = (0..30)
            .map(|attempt| {
                let ports = ports[attempt % 2].clone();
                tokio::spawn(async move {
                    let app_password = AppPassword {
                        id: AppPasswordId::generate(),
                        user_id: id,
                        name: AppPasswordName::parse(&format!("App {attempt}")).unwrap(),
                        created_at: instant(attempt as i64),
                    };
                    let secret = AppSecret::generate();
                    let kept = ports
                        .app_passwords
                        .insert_app_password(&app_password, &secret, 20)
                        .await
                        .unwrap();
                    (kept, secret.expose().to_owned())
                })
            })
            .collect();
        let mut kept = Vec::new();
        for attempt in attempts {
            let (stored, secret) = attempt.await.unwrap();
            if stored {
                kept.push(secret);
            }
        }
        assert_eq!(kept.len(), 20, "{backend}: the limit holds");
        let dump = dump_tables(&test.database, &["app_passwords"])
            .await
            .unwrap();
        assert!(dump.contains(".k1."), "{backend}: the dump is real");
        for secret in &kept {
            assert!(
                !dump.contains(secret.as_str()),
                "{backend}: a secret in the clear"
            );
        }
        let opened = ports[1].app_passwords.app_secrets_of(id).await.unwrap();
        assert_eq!(opened.len(), 20);
        assert!(
            opened
                .iter()
                .all(|(_, secret)| kept.contains(&secret.expose().to_owned()))
        );
        // Another key opens none.
        let other = test.database.users().ports(sealer());
        assert!(
            other.app_passwords.app_secrets_of(id).await.is_err(),
            "{backend}"
        );
        second.close().await.unwrap();
        test.finish().await;
    }
}
