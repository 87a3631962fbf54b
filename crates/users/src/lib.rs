//! Accounts for Soirée: registration with a username (and optional email) and password, login
//! that opens an opaque session, session checks with idle and absolute timeouts, logout, profile
//! changes and login throttling; two-step login (TOTP and recovery codes), step-up
//! re-authentication, a security-event log per account, and erasure.
//!
//! The crate owns the rules and the ports they need ([`UserRepository`], [`SessionRepository`],
//! [`LoginAttemptRepository`], [`PasswordHasher`]); [`UsersService`] is the use-case entry point.
//! It knows nothing of HTTP, JSON, SeaORM or any database: adapters implement the ports, and
//! [`memory`] holds in-process implementations for tests and examples.
//!
//! ```
//! # use std::sync::Arc;
//! # use secrecy::SecretString;
//! # use soiree_kernel::SystemClock;
//! # use soiree_users::{memory::InMemoryUserStore, Argon2idHasher, NewAccount, Password, Username, UsersConfig, UsersService};
//! # tokio_test_block_on(async {
//! let store = Arc::new(InMemoryUserStore::default());
//! let users = UsersService::new(
//!     store.ports(),
//!     Arc::new(Argon2idHasher::default()),
//!     Arc::new(SystemClock),
//!     UsersConfig::default(),
//! );
//! let username = Username::parse("ada").unwrap();
//! let password = Password::parse(SecretString::from("correct horse battery"), &username).unwrap();
//! let user = users.register(NewAccount { username, email: None, password }).await.unwrap();
//! let session = users.login("ADA", &SecretString::from("correct horse battery")).await.unwrap();
//! assert_eq!(session.user.id, user.id);
//! # });
//! # fn tokio_test_block_on<F: std::future::Future>(future: F) -> F::Output {
//! #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(future)
//! # }
//! ```

mod app_password;
mod error;
mod events;
pub mod memory;
mod mfa;
mod model;
mod password;
mod ports;
mod service;
mod session;
mod throttle;

pub use app_password::{
    AppCredential, AppPassword, AppPasswordId, AppPasswordName, AppSecret, InvalidAppPasswordName,
    MAX_APP_PASSWORDS,
};
pub use error::{
    AppPasswordError, AppSignInError, AuthenticateError, ChangePasswordError, InsertUserError,
    LoginError, MfaError, ReauthenticateError, RegisterError, RevokeSessionError, SecondStepError,
    StepUpError, UpdateProfileError,
};
pub use events::{KnownClient, SecurityEvent, SecurityEventKind, device_family};
pub use mfa::{
    CHALLENGE_LIFETIME, ChallengeToken, LoginChallenge, MfaRecord, MfaStatus, RECOVERY_CODES,
    RecoveryCode, RecoveryCodeHash, SecondFactor, TOTP_ISSUER, TotpCode, TotpEnrolment, TotpSeed,
};
pub use model::{
    DisplayName, EmailAddress, InvalidDisplayName, InvalidEmail, InvalidLanguage, InvalidTimeZone,
    InvalidUsername, Language, NewAccount, Profile, ProfileChanges, TimeZone, User, Username,
};
pub use password::{
    Argon2idHasher, MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS, Password, PasswordHash, PasswordHasher,
    WeakPassword,
};
pub use ports::{
    AppPasswordRepository, FailureSummary, LoginAttemptRepository, MfaRepository,
    SecurityEventRepository, SessionRepository, StoredUser, UserPorts, UserRepository,
};
pub use service::{Authenticated, NewSession, SignIn, UsersConfig, UsersService};
pub use session::{ClientInfo, Session, SessionId, SessionPolicy, SessionToken, TokenHash};
pub use throttle::LoginThrottle;
