//! API objects shared by several operations, converted by hand from domain types.

use chrono::{DateTime, Utc};
use poem_openapi::{Enum, Object};
use soiree_kernel::Tier;
use soiree_users::User;
use uuid::Uuid;

/// A service tier.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[oai(rename = "Tier", rename_all = "lowercase")]
pub(crate) enum TierOut {
    Free,
    Premium,
    Enterprise,
    Vip,
}

impl From<Tier> for TierOut {
    fn from(tier: Tier) -> Self {
        match tier {
            Tier::Free => Self::Free,
            Tier::Premium => Self::Premium,
            Tier::Enterprise => Self::Enterprise,
            Tier::Vip => Self::Vip,
        }
    }
}

/// An account, as its owner sees it. Never carries the password or its hash.
#[derive(Object, Debug, Clone)]
#[oai(rename = "User")]
pub(crate) struct UserOut {
    /// Stable id.
    id: Uuid,
    /// Login name, as spelled at registration.
    username: String,
    /// Email address, when one was given.
    #[oai(skip_serializing_if_is_none)]
    email: Option<String>,
    /// The name others see; absent means the username is shown.
    #[oai(skip_serializing_if_is_none)]
    display_name: Option<String>,
    /// Preferred language (BCP 47).
    #[oai(skip_serializing_if_is_none)]
    language: Option<String>,
    /// IANA time zone.
    #[oai(skip_serializing_if_is_none)]
    timezone: Option<String>,
    /// Service tier.
    tier: TierOut,
    /// When the account was registered.
    created_at: DateTime<Utc>,
}

impl From<User> for UserOut {
    fn from(user: User) -> Self {
        Self {
            id: user.id.as_uuid(),
            username: user.username.as_str().to_owned(),
            email: user.email.map(|email| email.as_str().to_owned()),
            display_name: user
                .profile
                .display_name
                .map(|name| name.as_str().to_owned()),
            language: user
                .profile
                .language
                .map(|language| language.as_str().to_owned()),
            timezone: user.profile.timezone.map(|zone| zone.as_str().to_owned()),
            tier: user.tier.into(),
            created_at: user.created_at,
        }
    }
}
