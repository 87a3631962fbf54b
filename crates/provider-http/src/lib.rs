//! The outbound HTTP policy every Soirée provider adapter shares (RE-1): a reqwest client with
//! timeouts and no redirects, bounded retries with jittered backoff for idempotent calls,
//! `Retry-After` honoured up to a cap (a longer wait is reported, not slept), and OAuth token
//! requests made with the `oauth2` crate through that same policy, with both error shapes the
//! providers use translated into the connections domain's [`TokenError`].
//!
//! It is an adapter crate: it knows HTTP and JSON, and nothing of storage or of Soirée's server.

mod client;
mod oauth;

pub use client::{
    CallObserver, ObservedCall, OutboundClient, OutboundError, RetryPolicy, endpoint_of,
    retry_after,
};
pub use oauth::{ClientAuthentication, OAuthEndpoints};
