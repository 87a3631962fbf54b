//! Connections between Soirée users and their streaming providers: each user brings their own
//! developer app (client id and secret), connects it with one OAuth authorization (code + PKCE),
//! and from then on [`ConnectionsService::access_token`] hands out an access token that is
//! refreshed a minute before it expires, with exactly one refresh in flight per connection.
//! [`PlayerService`] controls playback on top of that, with errors a person can act on.
//!
//! The crate owns the rules and the ports ([`ConnectionRepository`], [`OAuthProvider`],
//! [`PlayerProvider`]); it knows nothing of HTTP, JSON, reqwest, the providers' wire formats or a
//! database. Adapters implement the ports; [`memory`] holds an in-process repository.
//!
//! The ports' contracts, in short (each trait says them whole): a [`ConnectionRepository`] MUST
//! keep client secrets, tokens and PKCE verifiers unreadable at rest and mark an authorization
//! used for exactly one caller; an [`OAuthProvider`] MUST NOT retry a refresh the provider may
//! have processed (a rotating refresh token is spent by the first request that reaches it); a
//! [`PlayerProvider`] answers in [`PlayerError`] terms a person can act on.
//!
//! ```
//! use secrecy::SecretString;
//! use soiree_connections::{ClientId, ClientSecret, Provider};
//!
//! let provider: Provider = "spotify".parse().unwrap();
//! assert_eq!(provider.as_str(), "spotify");
//! // Credentials as pasted from the provider's dashboard: surrounding spaces are ignored.
//! let id = ClientId::parse("  4f1a2b3c9d  ").unwrap();
//! assert_eq!(id.as_str(), "4f1a2b3c9d");
//! assert!(ClientId::parse("with a space").is_err());
//! // A secret is write-only: all that is ever shown of it is its end.
//! let secret = ClientSecret::parse(&SecretString::from("s3cr3t-value-1234")).unwrap();
//! assert_eq!(secret.last_four().as_deref(), Some("1234"));
//! ```

mod error;
mod likes;
pub mod memory;
mod model;
mod player;
mod ports;
mod service;

pub use error::{
    AccessError, AuthorizeError, CallbackError, CredentialsError, ProviderError, TokenError,
};
pub use likes::{FilePiece, LikedPage, LikedTrack, LikesProvider, LikesService};
pub use model::{
    AuthorizationStart, CallbackParams, ClientCredentials, ClientId, ClientSecret, Connection,
    ConnectionStatus, InvalidCredential, MIN_SHOWN_SECRET_CHARS, PendingAuthorization, Provider,
    ProviderAccount, StateHash, TokenGrant, TokenSet, UnknownProvider,
};
pub use player::{
    Device, ExportedPlaylist, ITEMS_PER_REQUEST, PlayRequest, Playback, PlayerCommandError,
    PlayerError, PlayerProvider, PlayerService, TrackSummary,
};
pub use ports::{ConnectionRepository, OAuthProvider, RefreshLock};
pub use service::{ConnectionsConfig, ConnectionsService};
