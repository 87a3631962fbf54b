//! Connections between Soirée users and their streaming providers: each user brings their own
//! developer app (client id and secret), connects it with one OAuth authorization (code + PKCE),
//! and from then on [`ConnectionsService::access_token`] hands out an access token that is
//! refreshed a minute before it expires, with exactly one refresh in flight per connection.
//! [`PlayerService`] controls playback on top of that, with errors a person can act on.
//!
//! The crate owns the rules and the ports ([`ConnectionRepository`], [`OAuthProvider`],
//! [`PlayerProvider`]); it knows nothing of HTTP, JSON, reqwest, the providers' wire formats or a
//! database. Adapters implement the ports; [`memory`] holds an in-process repository.

mod error;
pub mod memory;
mod model;
mod player;
mod ports;
mod service;

pub use error::{
    AccessError, AuthorizeError, CallbackError, CredentialsError, ProviderError, TokenError,
};
pub use model::{
    AuthorizationStart, CallbackParams, ClientCredentials, ClientId, ClientSecret, Connection,
    ConnectionStatus, InvalidCredential, PendingAuthorization, Provider, ProviderAccount,
    StateHash, TokenGrant, TokenSet, UnknownProvider,
};
pub use player::{
    Device, PlayRequest, Playback, PlayerCommandError, PlayerError, PlayerProvider, PlayerService,
    TrackSummary,
};
pub use ports::{ConnectionRepository, OAuthProvider, RefreshLock};
pub use service::{ConnectionsConfig, ConnectionsService};
