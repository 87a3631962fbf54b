//! The account-security use cases: two-step login (MF-1, MF-2), step-up re-authentication, the
//! security-event log, and erasure.

use secrecy::SecretString;
use soiree_kernel::{Timestamp, UserId};
use tracing::instrument;

use super::{Authenticated, NewSession, SignIn, UsersService};
use crate::app_password::{
    AppCredential, AppPassword, AppPasswordId, AppPasswordName, AppSecret, MAX_APP_PASSWORDS,
};
use crate::error::{
    AppPasswordError, AppSignInError, MfaError, ReauthenticateError, SecondStepError, StepUpError,
};
use crate::events::{SecurityEvent, SecurityEventKind};
use crate::mfa::{
    CHALLENGE_LIFETIME, ChallengeToken, LoginChallenge, MfaRecord, MfaStatus, RECOVERY_CODES,
    RecoveryCode, RecoveryCodeHash, SecondFactor, TotpEnrolment, TotpSeed,
};
use crate::session::ClientInfo;

/// What a second factor proved.
enum Proof {
    /// A TOTP code, for its step (already marked used).
    Totp,
    /// A recovery code (already removed).
    Recovery,
}

impl UsersService {
    pub(super) async fn challenge(
        &self,
        user_id: UserId,
        client: ClientInfo,
        now: Timestamp,
    ) -> anyhow::Result<SignIn> {
        let token = ChallengeToken::generate();
        let expires_at = now + CHALLENGE_LIFETIME;
        self.ports
            .mfa
            .insert_challenge(&LoginChallenge {
                token_hash: token.hash(),
                user_id,
                client,
                expires_at,
            })
            .await?;
        tracing::info!(%user_id, "password right; waiting for the second step");
        Ok(SignIn::SecondFactor {
            challenge: token,
            expires_at,
        })
    }

    /// The second step of a login: a code from the authenticator app or a recovery code, for
    /// the challenge the first step gave. Throttled like the password (AU-2); each code works
    /// once (MF-1, MF-2); the challenge opens one session at most.
    #[instrument(skip_all)]
    pub async fn second_step(
        &self,
        presented_challenge: &str,
        code: &str,
    ) -> Result<NewSession, SecondStepError> {
        let now = self.clock.now();
        let token = ChallengeToken::from_presented(presented_challenge)
            .ok_or(SecondStepError::ChallengeExpired)?;
        let challenge = self
            .ports
            .mfa
            .challenge(&token.hash())
            .await?
            .filter(|challenge| challenge.expires_at > now)
            .ok_or(SecondStepError::ChallengeExpired)?;
        let user_id = challenge.user_id;
        let user = self
            .ports
            .users
            .find_by_id(user_id)
            .await?
            .ok_or(SecondStepError::ChallengeExpired)?;
        if !self
            .check_second_factor(user_id, code, now, &challenge.client)
            .await?
        {
            return Err(SecondStepError::InvalidCode);
        }
        if !self.ports.mfa.take_challenge(&token.hash(), now).await? {
            return Err(SecondStepError::ChallengeExpired);
        }
        Ok(self.open_session(user, challenge.client, now).await?)
    }

    /// Checks a second factor under the login throttle; logs failures and used recovery codes.
    async fn check_second_factor(
        &self,
        user_id: UserId,
        code: &str,
        now: Timestamp,
        client: &ClientInfo,
    ) -> anyhow::Result<bool> {
        if !self.admit_attempt(user_id, now).await? {
            tracing::warn!(%user_id, "second step refused: account throttled");
            return Ok(false);
        }
        let Some(record) = self.ports.mfa.mfa_of(user_id).await? else {
            return Ok(false);
        };
        match self.prove(user_id, &record, code, now).await? {
            Some(proof) => {
                self.ports.login_attempts.clear(user_id).await?;
                if matches!(proof, Proof::Recovery) {
                    self.record(user_id, SecurityEventKind::RecoveryCodeUsed, client, None)
                        .await?;
                }
                Ok(true)
            }
            None => {
                self.log_failure(user_id, now, client, "code").await?;
                Ok(false)
            }
        }
    }

    /// Accepts `code` as a TOTP code of an unused step or an unused recovery code, using it up.
    async fn prove(
        &self,
        user_id: UserId,
        record: &MfaRecord,
        code: &str,
        now: Timestamp,
    ) -> anyhow::Result<Option<Proof>> {
        Ok(match SecondFactor::parse(code) {
            Some(SecondFactor::Totp(code)) => match record.seed.step_of(&code, now) {
                Some(step) if self.ports.mfa.accept_step(user_id, step).await? => Some(Proof::Totp),
                _ => None,
            },
            Some(SecondFactor::Recovery(code)) => self
                .ports
                .mfa
                .use_recovery_code(user_id, &code.hash())
                .await?
                .then_some(Proof::Recovery),
            None => None,
        })
    }

    /// Whether the caller proved who they are recently enough for a sensitive change (erasure,
    /// two-step login, provider credentials).
    pub fn ensure_recent_authentication(&self, caller: &Authenticated) -> Result<(), StepUpError> {
        let fresh_until = caller.session.authenticated_at + self.config.reauthentication_window;
        if self.clock.now() < fresh_until {
            Ok(())
        } else {
            Err(StepUpError::ReauthenticationRequired)
        }
    }

    /// Step-up: the caller proves who they are again (the password, and a code when two-step
    /// login is on), which opens the re-authentication window for this session.
    #[instrument(skip_all, fields(user_id = %caller.user.id))]
    pub async fn reauthenticate(
        &self,
        caller: &Authenticated,
        password: &SecretString,
        code: Option<&str>,
    ) -> Result<(), ReauthenticateError> {
        let now = self.clock.now();
        let stored = self
            .ports
            .users
            .find_by_login_key(&caller.user.username.key())
            .await?
            .ok_or(ReauthenticateError::WrongCredentials)?;
        let client = &caller.session.client;
        if !self.check_password(&stored, password, now, client).await? {
            return Err(ReauthenticateError::WrongCredentials);
        }
        let enabled = self
            .ports
            .mfa
            .mfa_of(caller.user.id)
            .await?
            .is_some_and(|mfa| mfa.is_enabled());
        if enabled {
            let code = code.ok_or(ReauthenticateError::CodeRequired)?;
            if !self
                .check_second_factor(caller.user.id, code, now, client)
                .await?
            {
                return Err(ReauthenticateError::WrongCredentials);
            }
        }
        self.ports
            .sessions
            .mark_authenticated(caller.session.id, now)
            .await?;
        self.forget_session(caller.session.id);
        self.record(
            caller.user.id,
            SecurityEventKind::Reauthenticated,
            client,
            None,
        )
        .await?;
        Ok(())
    }

    /// Whether the account has two-step login, and how many recovery codes are left.
    pub async fn mfa_status(&self, user_id: UserId) -> anyhow::Result<MfaStatus> {
        let record = self.ports.mfa.mfa_of(user_id).await?;
        Ok(match record.filter(MfaRecord::is_enabled) {
            Some(record) => MfaStatus {
                enabled: true,
                enabled_at: record.confirmed_at,
                recovery_codes_left: record.recovery_codes_left,
            },
            None => MfaStatus {
                enabled: false,
                enabled_at: None,
                recovery_codes_left: 0,
            },
        })
    }

    /// Starts enrolling an authenticator app: a new pending seed, shown once as an `otpauth://`
    /// URI; login asks for codes only after [`confirm_totp`](Self::confirm_totp).
    #[instrument(skip_all, fields(user_id = %caller.user.id))]
    pub async fn begin_totp_enrolment(
        &self,
        caller: &Authenticated,
    ) -> Result<TotpEnrolment, MfaError> {
        self.ensure_recent_authentication(caller)?;
        let seed = TotpSeed::generate();
        let enrolment = seed.enrolment(caller.user.username.as_str())?;
        if !self
            .ports
            .mfa
            .put_pending_seed(caller.user.id, &seed, self.clock.now())
            .await?
        {
            return Err(MfaError::AlreadyEnabled);
        }
        Ok(enrolment)
    }

    /// Confirms enrolment with a code from the app: two-step login is on from now, the other
    /// sessions end, and the ten recovery codes are returned (to show once).
    #[instrument(skip_all, fields(user_id = %caller.user.id))]
    pub async fn confirm_totp(
        &self,
        caller: &Authenticated,
        code: &str,
    ) -> Result<Vec<RecoveryCode>, MfaError> {
        self.ensure_recent_authentication(caller)?;
        let user_id = caller.user.id;
        let now = self.clock.now();
        let record = self
            .ports
            .mfa
            .mfa_of(user_id)
            .await?
            .ok_or(MfaError::NotEnrolled)?;
        if record.is_enabled() {
            return Err(MfaError::AlreadyEnabled);
        }
        let step = crate::mfa::TotpCode::parse(code)
            .and_then(|code| record.seed.step_of(&code, now))
            .ok_or(MfaError::WrongCode)?;
        let (codes, hashes) = fresh_recovery_codes();
        if !self.ports.mfa.confirm(user_id, step, &hashes, now).await? {
            return Err(MfaError::NotEnrolled);
        }
        self.revoke_other_sessions(user_id, caller.session.id)
            .await?;
        self.record(
            user_id,
            SecurityEventKind::MfaEnabled,
            &caller.session.client,
            None,
        )
        .await?;
        Ok(codes)
    }

    /// Turns two-step login off, given the password or a current code (MF-2); the other
    /// sessions end.
    #[instrument(skip_all, fields(user_id = %caller.user.id))]
    pub async fn disable_totp(
        &self,
        caller: &Authenticated,
        password_or_code: &SecretString,
    ) -> Result<(), MfaError> {
        use secrecy::ExposeSecret as _;
        self.ensure_recent_authentication(caller)?;
        let user_id = caller.user.id;
        let now = self.clock.now();
        let record = self.enabled_mfa(user_id).await?;
        let text = password_or_code.expose_secret();
        let client = &caller.session.client;
        let proved = if SecondFactor::parse(text).is_some() {
            self.admit_attempt(user_id, now).await?
                && self.prove(user_id, &record, text, now).await?.is_some()
        } else {
            let stored = self
                .ports
                .users
                .find_by_login_key(&caller.user.username.key())
                .await?
                .ok_or(MfaError::NotEnrolled)?;
            self.check_password(&stored, password_or_code, now, client)
                .await?
        };
        if !proved {
            return Err(MfaError::WrongCode);
        }
        self.ports.login_attempts.clear(user_id).await?;
        self.ports.mfa.remove_mfa(user_id).await?;
        self.revoke_other_sessions(user_id, caller.session.id)
            .await?;
        self.record(user_id, SecurityEventKind::MfaDisabled, client, None)
            .await?;
        Ok(())
    }

    /// Replaces the recovery codes with ten new ones (the old ones stop working).
    #[instrument(skip_all, fields(user_id = %caller.user.id))]
    pub async fn regenerate_recovery_codes(
        &self,
        caller: &Authenticated,
    ) -> Result<Vec<RecoveryCode>, MfaError> {
        self.ensure_recent_authentication(caller)?;
        let user_id = caller.user.id;
        self.enabled_mfa(user_id).await?;
        let (codes, hashes) = fresh_recovery_codes();
        self.ports
            .mfa
            .replace_recovery_codes(user_id, &hashes)
            .await?;
        self.record(
            user_id,
            SecurityEventKind::RecoveryCodesRegenerated,
            &caller.session.client,
            None,
        )
        .await?;
        Ok(codes)
    }

    /// The account's two-step login, if it is on.
    async fn enabled_mfa(&self, user_id: UserId) -> Result<MfaRecord, MfaError> {
        self.ports
            .mfa
            .mfa_of(user_id)
            .await?
            .filter(MfaRecord::is_enabled)
            .ok_or(MfaError::NotEnrolled)
    }

    /// A new app password for a music app, shown once (a credential: it needs a recent
    /// authentication); at most [`MAX_APP_PASSWORDS`] per account, counted atomically.
    #[instrument(skip_all, fields(user_id = %caller.user.id))]
    pub async fn create_app_password(
        &self,
        caller: &Authenticated,
        name: AppPasswordName,
    ) -> Result<(AppPassword, AppSecret), AppPasswordError> {
        self.ensure_recent_authentication(caller)?;
        let app_password = AppPassword {
            id: AppPasswordId::generate(),
            user_id: caller.user.id,
            name,
            created_at: self.clock.now(),
        };
        let secret = AppSecret::generate();
        if !self
            .ports
            .app_passwords
            .insert_app_password(&app_password, &secret, MAX_APP_PASSWORDS)
            .await?
        {
            return Err(AppPasswordError::TooMany);
        }
        self.record(
            caller.user.id,
            SecurityEventKind::AppPasswordCreated,
            &caller.session.client,
            Some(app_password.name.as_str()),
        )
        .await?;
        Ok((app_password, secret))
    }

    /// The account's app passwords (names and dates, never the secrets).
    pub async fn app_passwords(&self, user_id: UserId) -> anyhow::Result<Vec<AppPassword>> {
        self.ports.app_passwords.app_passwords_of(user_id).await
    }

    /// Revokes one of the caller's app passwords: the app using it is refused from now on.
    #[instrument(skip_all, fields(user_id = %caller.user.id))]
    pub async fn revoke_app_password(
        &self,
        caller: &Authenticated,
        id: AppPasswordId,
    ) -> Result<(), AppPasswordError> {
        if !self
            .ports
            .app_passwords
            .delete_app_password(caller.user.id, id)
            .await?
        {
            return Err(AppPasswordError::NotFound);
        }
        self.record(
            caller.user.id,
            SecurityEventKind::AppPasswordRevoked,
            &caller.session.client,
            None,
        )
        .await?;
        Ok(())
    }

    /// A music app's sign-in: the account whose username is `username`, if `credential` proves
    /// one of its app passwords (the account's own password never works here). Counted in the
    /// account's login throttle like a login (AU-2): the attempt is reserved before it is
    /// checked, so that guesses sent at once get no more checks than guesses sent in turn, and
    /// a throttled account answers [`AppSignInError::WrongCredentials`] whatever is presented.
    pub async fn app_sign_in(
        &self,
        username: &str,
        credential: &AppCredential,
        client: &ClientInfo,
    ) -> Result<crate::model::User, AppSignInError> {
        let Some(stored) = self
            .ports
            .users
            .find_by_login_key(&username.trim().to_lowercase())
            .await?
        else {
            return Err(AppSignInError::WrongCredentials);
        };
        let user_id = stored.user.id;
        let now = self.clock.now();
        if !self.admit_attempt(user_id, now).await? {
            tracing::warn!(%user_id, "app sign-in refused: account throttled");
            return Err(AppSignInError::WrongCredentials);
        }
        let secrets = self.ports.app_passwords.app_secrets_of(user_id).await?;
        // Every secret is compared, so that the time says nothing of which one matched.
        let proven = secrets.iter().fold(false, |found, (_, secret)| {
            found | secret.proves(credential)
        });
        if !proven {
            tracing::info!(%user_id, "app sign-in failed: no app password matches");
            self.log_failure(user_id, now, client, "app password")
                .await?;
            return Err(AppSignInError::WrongCredentials);
        }
        self.ports.login_attempts.clear(user_id).await?;
        Ok(stored.user)
    }

    /// The account one of whose app passwords is `key` (the OpenSubsonic `apiKey`, presented
    /// without a username), if any.
    pub async fn user_by_api_key(&self, key: &str) -> anyhow::Result<Option<crate::model::User>> {
        match self
            .ports
            .app_passwords
            .user_by_app_lookup(&crate::app_password::lookup_of(key))
            .await?
        {
            Some(user_id) => self.ports.users.find_by_id(user_id).await,
            None => Ok(None),
        }
    }

    /// Logs an event for `user_id` (the app logs those the users service does not see:
    /// connections, credentials, exports, tier changes).
    pub async fn record(
        &self,
        user_id: UserId,
        kind: SecurityEventKind,
        client: &ClientInfo,
        detail: Option<&str>,
    ) -> anyhow::Result<()> {
        let mut event = SecurityEvent::new(user_id, kind, self.clock.now()).from_client(client);
        event.detail = detail.map(str::to_owned);
        self.ports.events.record_event(&event).await
    }

    /// The account's security log, newest first, at most `limit` events.
    pub async fn security_events(
        &self,
        user_id: UserId,
        limit: u32,
    ) -> anyhow::Result<Vec<SecurityEvent>> {
        self.ports.events.events_of(user_id, limit).await
    }

    /// The owner says the flagged logins were theirs; returns how many were flagged.
    pub async fn acknowledge_security_events(&self, user_id: UserId) -> anyhow::Result<u64> {
        self.ports
            .events
            .acknowledge_events(user_id, self.clock.now())
            .await
    }

    /// Erasure: removes the account and everything only it owns (sessions, two-step login,
    /// security events, failed logins; other adapters' rows go with it), ending its sessions;
    /// the username and email are free again at once. The caller checks
    /// [`ensure_recent_authentication`](Self::ensure_recent_authentication) first and anonymises
    /// what other people share with the account (votes in their rooms).
    pub async fn remove_account(&self, user_id: UserId) -> anyhow::Result<bool> {
        self.ports
            .sessions
            .revoke_all_for_user(user_id, self.clock.now())
            .await?;
        let removed = self.ports.users.delete_user(user_id).await?;
        self.forget_user(user_id);
        if removed {
            tracing::info!(%user_id, "account erased");
        }
        Ok(removed)
    }
}

fn fresh_recovery_codes() -> (Vec<RecoveryCode>, Vec<RecoveryCodeHash>) {
    let codes: Vec<RecoveryCode> = (0..RECOVERY_CODES)
        .map(|_| RecoveryCode::generate())
        .collect();
    let hashes = codes.iter().map(RecoveryCode::hash).collect();
    (codes, hashes)
}
