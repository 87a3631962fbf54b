//! Connection and player rules over the in-memory repository, a fake OAuth adapter and a fake
//! player, with a manual clock.

use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use chrono::DateTime;
use soiree_kernel::ManualClock;

use super::*;
use crate::TrackSummary;
use crate::error::ProviderError;
use crate::memory::InMemoryConnections;
use crate::model::{
    AuthorizationStart, ClientId, ClientSecret, ConnectionStatus, ProviderAccount, TokenGrant,
};
use crate::player::{
    Device, PlayRequest, Playback, PlayerCommandError, PlayerError, PlayerProvider, PlayerService,
};

/// A provider whose refresh tokens rotate (or not), counting token requests.
#[derive(Debug, Default)]
struct FakeOAuth {
    rotate: bool,
    token_requests: AtomicUsize,
    issued: AtomicUsize,
    /// The refresh token the provider currently accepts; `None` accepts any.
    valid_refresh: Mutex<Option<String>>,
    fail_with: Mutex<Option<fn() -> TokenError>>,
    /// The `state` of the last authorization started, as a browser would see it in the URL.
    last_state: Mutex<Option<String>>,
}

impl FakeOAuth {
    fn grant(&self) -> TokenGrant {
        let serial = self.issued.fetch_add(1, Ordering::SeqCst);
        let refresh = format!("refresh-{serial}");
        if self.rotate {
            *self.valid_refresh.lock().unwrap() = Some(refresh.clone());
        }
        TokenGrant {
            access_token: SecretString::from(format!("access-{serial}")),
            refresh_token: (self.rotate || serial == 0).then(|| SecretString::from(refresh)),
            expires_in: Duration::hours(1),
            scope: Some("user-read-private".into()),
        }
    }
}

#[async_trait]
impl OAuthProvider for FakeOAuth {
    fn provider(&self) -> Provider {
        Provider::Spotify
    }

    fn start_authorization(
        &self,
        client_id: &ClientId,
        redirect_uri: &str,
    ) -> anyhow::Result<AuthorizationStart> {
        static STARTED: AtomicUsize = AtomicUsize::new(0);
        let state = format!("state-{}", STARTED.fetch_add(1, Ordering::SeqCst));
        *self.last_state.lock().unwrap() = Some(state.clone());
        Ok(AuthorizationStart {
            authorize_url: format!(
                "https://accounts.test/authorize?client_id={}&redirect_uri={redirect_uri}",
                client_id.as_str()
            ),
            state: SecretString::from(state),
            pkce_verifier: SecretString::from("verifier"),
        })
    }

    async fn exchange_code(
        &self,
        _credentials: &ClientCredentials,
        code: &str,
        _pkce_verifier: &SecretString,
        _redirect_uri: &str,
    ) -> Result<TokenGrant, TokenError> {
        self.token_requests.fetch_add(1, Ordering::SeqCst);
        if code == "bad-code" {
            return Err(TokenError::InvalidGrant(
                "Invalid authorization code".into(),
            ));
        }
        Ok(self.grant())
    }

    async fn refresh(
        &self,
        _credentials: &ClientCredentials,
        refresh_token: &SecretString,
    ) -> Result<TokenGrant, TokenError> {
        self.token_requests.fetch_add(1, Ordering::SeqCst);
        // Give concurrent callers every chance to slip in while this request is "in flight".
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        if let Some(fail) = *self.fail_with.lock().unwrap() {
            return Err(fail());
        }
        let valid = self.valid_refresh.lock().unwrap().clone();
        if valid.is_some_and(|valid| valid != refresh_token.expose_secret()) {
            return Err(TokenError::InvalidGrant("Refresh token revoked".into()));
        }
        Ok(self.grant())
    }

    async fn account(
        &self,
        _access_token: &SecretString,
    ) -> Result<ProviderAccount, ProviderError> {
        Ok(ProviderAccount {
            id: "spotify-ada".into(),
            display_name: Some("Ada L.".into()),
        })
    }
}

struct Harness {
    service: Arc<ConnectionsService>,
    oauth: Arc<FakeOAuth>,
    clock: ManualClock,
    user: UserId,
}

fn harness(rotate: bool) -> Harness {
    let clock = ManualClock::starting_at(DateTime::from_timestamp(1_800_000_000, 0).unwrap());
    let oauth = Arc::new(FakeOAuth {
        rotate,
        ..FakeOAuth::default()
    });
    let service = ConnectionsService::new(
        Arc::new(InMemoryConnections::default()),
        vec![oauth.clone()],
        Arc::new(clock.clone()),
        ConnectionsConfig::new(|provider| {
            format!(
                "http://127.0.0.1:8000/api/v1/connections/{}/callback",
                provider.as_str()
            )
        }),
    );
    Harness {
        service: Arc::new(service),
        oauth,
        clock,
        user: UserId::generate(),
    }
}

fn credentials(client_id: &str) -> ClientCredentials {
    ClientCredentials {
        client_id: ClientId::parse(client_id).unwrap(),
        client_secret: ClientSecret::parse(&SecretString::from("client-secret-1234")).unwrap(),
    }
}

impl Harness {
    /// Configures credentials and starts an authorization; returns its state.
    async fn start(&self, session: &str) -> String {
        self.service
            .set_credentials(self.user, Provider::Spotify, credentials("app-1"))
            .await
            .unwrap();
        let url = self
            .service
            .begin_authorization(self.user, session, Provider::Spotify)
            .await
            .unwrap();
        assert!(
            url.contains("redirect_uri=http://127.0.0.1:8000/api/v1/connections/spotify/callback"),
            "{url}"
        );
        self.oauth.last_state.lock().unwrap().clone().unwrap()
    }

    async fn callback(&self, session: &str, state: &str, code: &str) -> Result<(), CallbackError> {
        let params = CallbackParams {
            state: Some(state.to_owned()),
            code: Some(code.to_owned()),
            error: None,
        };
        self.service
            .complete_authorization(Some((self.user, session)), Provider::Spotify, params)
            .await
    }

    async fn connect(&self) {
        let state = self.start("session-1").await;
        self.callback("session-1", &state, "good-code")
            .await
            .unwrap();
    }

    async fn status(&self) -> ConnectionStatus {
        self.service
            .connection(self.user, Provider::Spotify)
            .await
            .unwrap()
            .status()
    }
}

#[tokio::test]
async fn a_completed_authorization_connects_the_account() {
    let h = harness(false);
    assert_eq!(h.status().await, ConnectionStatus::NotConfigured);
    let missing = h
        .service
        .begin_authorization(h.user, "s", Provider::Spotify)
        .await;
    assert!(matches!(
        missing,
        Err(AuthorizeError::NotConfigured(Provider::Spotify))
    ));
    h.connect().await;
    match h.status().await {
        ConnectionStatus::Connected { account } => {
            assert_eq!(account.display_name.as_deref(), Some("Ada L."))
        }
        other => panic!("expected connected, got {other:?}"),
    }
    assert_eq!(
        h.service
            .access_token(h.user, Provider::Spotify)
            .await
            .unwrap()
            .expose_secret(),
        "access-0"
    );
}

#[tokio::test]
async fn oa_1_bad_states_are_refused_and_nothing_is_stored() {
    let h = harness(false);
    let state = h.start("session-1").await;
    let other_user = Some((UserId::generate(), "session-1"));
    // (who calls back, with which state, the error code expected)
    type Case<'a> = (Option<(UserId, &'a str)>, Option<String>, &'a str);
    let cases: Vec<Case> = vec![
        (Some((h.user, "session-1")), None, "invalid_state"),
        (
            Some((h.user, "session-1")),
            Some(format!("{state}x")),
            "invalid_state",
        ),
        (
            Some((h.user, "session-2")),
            Some(state.clone()),
            "wrong_session",
        ),
        (other_user, Some(state.clone()), "wrong_session"),
        (None, Some(state.clone()), "wrong_session"),
    ];
    for (caller, presented, code) in cases {
        let params = CallbackParams {
            state: presented.clone(),
            code: Some("good-code".into()),
            error: None,
        };
        let outcome = h
            .service
            .complete_authorization(caller, Provider::Spotify, params)
            .await;
        assert_eq!(
            outcome.err().map(|error| error.code()),
            Some(code),
            "{presented:?}"
        );
        assert_eq!(
            h.status().await,
            ConnectionStatus::Configured,
            "nothing stored"
        );
    }
    let wrong_provider = CallbackParams {
        state: Some(state.clone()),
        code: Some("c".into()),
        error: None,
    };
    let outcome = h.service.complete_authorization(
        Some((h.user, "session-1")),
        Provider::SoundCloud,
        wrong_provider,
    );
    assert_eq!(
        outcome.await.err().map(|error| error.code()),
        Some("invalid_state")
    );

    h.callback("session-1", &state, "good-code").await.unwrap();
    let replayed = h.callback("session-1", &state, "good-code").await;
    assert_eq!(
        replayed.err().map(|error| error.code()),
        Some("invalid_state"),
        "a state works once"
    );
    assert_eq!(h.oauth.token_requests.load(Ordering::SeqCst), 1);

    let late = h.start("session-1").await;
    h.clock.advance(Duration::minutes(10));
    let expired = h.callback("session-1", &late, "good-code").await;
    assert_eq!(
        expired.err().map(|error| error.code()),
        Some("expired_state")
    );
}

#[tokio::test]
async fn a_declined_or_rejected_authorization_stores_nothing() {
    let h = harness(false);
    let state = h.start("s").await;
    let declined = CallbackParams {
        state: Some(state),
        code: None,
        error: Some("access_denied".into()),
    };
    let outcome = h
        .service
        .complete_authorization(Some((h.user, "s")), Provider::Spotify, declined)
        .await;
    assert_eq!(
        outcome.err().map(|error| error.code()),
        Some("access_denied")
    );
    let state = h.start("s").await;
    let rejected = h.callback("s", &state, "bad-code").await;
    assert_eq!(
        rejected.err().map(|error| error.code()),
        Some("code_rejected")
    );
    assert_eq!(h.status().await, ConnectionStatus::Configured);
}

#[tokio::test]
async fn tokens_are_refreshed_a_minute_before_expiry_and_not_before() {
    let h = harness(false);
    h.connect().await;
    h.clock.advance(Duration::minutes(58));
    assert_eq!(
        h.service
            .access_token(h.user, Provider::Spotify)
            .await
            .unwrap()
            .expose_secret(),
        "access-0"
    );
    h.clock.advance(Duration::seconds(61));
    assert_eq!(
        h.service
            .access_token(h.user, Provider::Spotify)
            .await
            .unwrap()
            .expose_secret(),
        "access-1"
    );
    assert_eq!(
        h.oauth.token_requests.load(Ordering::SeqCst),
        2,
        "one exchange, one refresh"
    );
}

#[tokio::test]
async fn oa_5_three_refreshes_in_a_row_succeed_with_rotating_and_non_rotating_tokens() {
    for rotate in [true, false] {
        let h = harness(rotate);
        h.connect().await;
        for round in 1..=3 {
            h.clock.advance(Duration::hours(1));
            let token = h.service.access_token(h.user, Provider::Spotify).await;
            assert_eq!(
                token.unwrap().expose_secret(),
                format!("access-{round}"),
                "rotate={rotate}"
            );
        }
    }
}

#[tokio::test]
async fn oa_6_twenty_concurrent_callers_with_an_expired_token_cause_one_refresh() {
    let h = harness(true);
    h.connect().await;
    h.clock.advance(Duration::hours(2));
    let callers = (0..20)
        .map(|_| {
            let service = Arc::clone(&h.service);
            let user = h.user;
            tokio::spawn(async move { service.access_token(user, Provider::Spotify).await })
        })
        // Spawn every task before awaiting any: a lazy iterator would run them one by one.
        .collect::<Vec<_>>();
    for caller in callers {
        assert_eq!(caller.await.unwrap().unwrap().expose_secret(), "access-1");
    }
    assert_eq!(
        h.oauth.token_requests.load(Ordering::SeqCst),
        2,
        "one exchange, one refresh"
    );
}

#[tokio::test]
async fn oa_6_tokens_shorter_lived_than_the_margin_still_cause_one_refresh() {
    let h = harness(true);
    h.connect().await;
    // Every token now looks stale (it expires within the minute's margin) as soon as it is issued.
    h.clock
        .advance(Duration::minutes(59) + Duration::seconds(30));
    let callers = (0..20)
        .map(|_| {
            let service = Arc::clone(&h.service);
            let user = h.user;
            tokio::spawn(async move { service.access_token(user, Provider::Spotify).await })
        })
        .collect::<Vec<_>>();
    for caller in callers {
        assert_eq!(caller.await.unwrap().unwrap().expose_secret(), "access-1");
    }
    assert_eq!(
        h.oauth.token_requests.load(Ordering::SeqCst),
        2,
        "one exchange, one refresh"
    );
}

#[tokio::test]
async fn oa_7_invalid_grant_needs_a_reconnect_without_retrying() {
    let h = harness(true);
    h.connect().await;
    *h.oauth.valid_refresh.lock().unwrap() = Some("revoked-elsewhere".into());
    h.clock.advance(Duration::hours(2));
    for _ in 0..3 {
        let outcome = h.service.access_token(h.user, Provider::Spotify).await;
        assert!(
            matches!(outcome, Err(AccessError::NeedsReconnect { .. })),
            "{outcome:?}"
        );
    }
    assert_eq!(
        h.oauth.token_requests.load(Ordering::SeqCst),
        2,
        "one exchange, one refused refresh"
    );
    assert!(matches!(
        h.status().await,
        ConnectionStatus::NeedsReconnect { .. }
    ));
    h.connect().await;
    assert!(
        matches!(h.status().await, ConnectionStatus::Connected { .. }),
        "connecting again heals it"
    );
}

#[tokio::test]
async fn a_rate_limited_or_unavailable_refresh_keeps_the_connection() {
    let h = harness(false);
    h.connect().await;
    h.clock.advance(Duration::hours(2));
    *h.oauth.fail_with.lock().unwrap() = Some(|| TokenError::RateLimited {
        retry_after: std::time::Duration::from_secs(60),
    });
    let limited = h.service.access_token(h.user, Provider::Spotify).await;
    assert!(matches!(limited, Err(AccessError::RateLimited { .. })));
    *h.oauth.fail_with.lock().unwrap() = None;
    assert!(
        h.service
            .access_token(h.user, Provider::Spotify)
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn new_credentials_for_another_app_drop_the_old_tokens() {
    let h = harness(false);
    h.connect().await;
    h.service
        .set_credentials(h.user, Provider::Spotify, credentials("app-1"))
        .await
        .unwrap();
    assert!(
        matches!(h.status().await, ConnectionStatus::Connected { .. }),
        "same app, new secret: kept"
    );
    h.service
        .set_credentials(h.user, Provider::Spotify, credentials("app-2"))
        .await
        .unwrap();
    assert_eq!(h.status().await, ConnectionStatus::Configured);
    h.connect().await;
    h.service
        .disconnect(h.user, Provider::Spotify, false)
        .await
        .unwrap();
    assert_eq!(h.status().await, ConnectionStatus::Configured);
    h.service
        .disconnect(h.user, Provider::Spotify, true)
        .await
        .unwrap();
    assert_eq!(h.status().await, ConnectionStatus::NotConfigured);
}

/// A player with scripted failures and call counts.
#[derive(Debug, Default)]
struct FakePlayer {
    plays: Mutex<Vec<PlayRequest>>,
    reject_token: Mutex<Option<String>>,
    /// Play fails with "no active device" unless a device id is given.
    idle: bool,
    devices: Vec<Device>,
}

#[async_trait]
impl PlayerProvider for FakePlayer {
    async fn playback(&self, _token: &SecretString) -> Result<Option<Playback>, PlayerError> {
        Ok(None)
    }
    async fn devices(&self, _token: &SecretString) -> Result<Vec<Device>, PlayerError> {
        Ok(self.devices.clone())
    }
    async fn play(&self, token: &SecretString, request: &PlayRequest) -> Result<(), PlayerError> {
        if self.reject_token.lock().unwrap().as_deref() == Some(token.expose_secret()) {
            return Err(PlayerError::TokenRejected);
        }
        self.plays.lock().unwrap().push(request.clone());
        if self.idle && request.device_id.is_none() {
            return Err(PlayerError::NoActiveDevice);
        }
        Ok(())
    }
    async fn pause(&self, _token: &SecretString) -> Result<(), PlayerError> {
        Ok(())
    }
    async fn next(&self, _token: &SecretString) -> Result<(), PlayerError> {
        Err(PlayerError::Rejected("no next track".into()))
    }
    async fn previous(&self, _token: &SecretString) -> Result<(), PlayerError> {
        Ok(())
    }
    async fn set_volume(&self, _token: &SecretString, _percent: u8) -> Result<(), PlayerError> {
        Ok(())
    }
    async fn seek(&self, _token: &SecretString, _position_ms: u64) -> Result<(), PlayerError> {
        Ok(())
    }
    async fn queue(&self, _token: &SecretString, _uri: &str) -> Result<(), PlayerError> {
        Ok(())
    }
    async fn transfer(
        &self,
        _token: &SecretString,
        _device_id: &str,
        _play: bool,
    ) -> Result<(), PlayerError> {
        Ok(())
    }
    async fn liked_track_at(
        &self,
        _token: &SecretString,
        offset: u32,
    ) -> Result<(u32, Option<String>), PlayerError> {
        Ok((3, Some(format!("spotify:track:{offset:0>22}"))))
    }
    async fn track(
        &self,
        _token: &SecretString,
        id: &str,
    ) -> Result<Option<TrackSummary>, PlayerError> {
        Ok((id.len() == 22).then(|| summary(&format!("spotify:track:{id}"))))
    }
    async fn search(
        &self,
        _token: &SecretString,
        query: &str,
        limit: u8,
    ) -> Result<Vec<TrackSummary>, PlayerError> {
        Ok((0..limit.min(3))
            .map(|n| {
                summary(&format!(
                    "spotify:track:{:0>22}",
                    format!("{query}{n}").len()
                ))
            })
            .collect())
    }
}

fn summary(uri: &str) -> TrackSummary {
    TrackSummary {
        uri: uri.to_owned(),
        name: "A song".into(),
        artists: vec!["Someone".into()],
        duration_ms: 180_000,
        album: Some("An album".into()),
        artwork_url: None,
    }
}

fn device(id: &str, active: bool) -> Device {
    Device {
        id: Some(id.into()),
        name: id.into(),
        kind: "Speaker".into(),
        is_active: active,
        volume_percent: Some(50),
    }
}

#[tokio::test]
async fn play_without_an_active_device_is_retried_once_on_a_known_device() {
    let h = harness(false);
    h.connect().await;
    let player = Arc::new(FakePlayer {
        idle: true,
        devices: vec![device("kitchen", false)],
        ..FakePlayer::default()
    });
    let service = PlayerService::new(Arc::clone(&h.service), player.clone());
    service
        .play(
            h.user,
            PlayRequest {
                uris: vec!["spotify:track:1".into()],
                device_id: None,
            },
        )
        .await
        .unwrap();
    let plays = player.plays.lock().unwrap().clone();
    assert_eq!(plays.len(), 2);
    assert_eq!(plays[1].device_id.as_deref(), Some("kitchen"));

    let nowhere = PlayerService::new(
        Arc::clone(&h.service),
        Arc::new(FakePlayer {
            idle: true,
            ..FakePlayer::default()
        }),
    );
    let outcome = nowhere.play(h.user, PlayRequest::default()).await;
    assert!(
        matches!(
            outcome,
            Err(PlayerCommandError::Player(PlayerError::NoActiveDevice))
        ),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn a_rejected_token_is_refreshed_once_and_the_command_retried() {
    let h = harness(false);
    h.connect().await;
    let player = Arc::new(FakePlayer::default());
    *player.reject_token.lock().unwrap() = Some("access-0".into());
    let service = PlayerService::new(Arc::clone(&h.service), player.clone());
    service.play(h.user, PlayRequest::default()).await.unwrap();
    assert_eq!(
        player.plays.lock().unwrap().len(),
        1,
        "played once, with the refreshed token"
    );
    assert_eq!(h.oauth.token_requests.load(Ordering::SeqCst), 2);
    let refused = service.next(h.user).await;
    assert!(matches!(
        refused,
        Err(PlayerCommandError::Player(PlayerError::Rejected(_)))
    ));
}

#[tokio::test]
async fn commands_on_an_unconnected_account_say_what_is_missing() {
    let h = harness(false);
    let service = PlayerService::new(Arc::clone(&h.service), Arc::new(FakePlayer::default()));
    let outcome = service.pause(h.user).await;
    assert!(matches!(
        outcome,
        Err(PlayerCommandError::Access(AccessError::NotConfigured(_)))
    ));
    h.service
        .set_credentials(h.user, Provider::Spotify, credentials("app"))
        .await
        .unwrap();
    let outcome = service.pause(h.user).await;
    assert!(matches!(
        outcome,
        Err(PlayerCommandError::Access(AccessError::NotConnected(_)))
    ));
}
