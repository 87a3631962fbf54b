//! Quotas: what an account may keep, its tier's with the operator's overrides on top, and the
//! refusal a domain gives when spending more would go over.

use std::fmt;

use soiree_kernel::Tier;

use crate::limits::{Limit, RatePolicy, TierLimits};

/// Something an account keeps that its tier bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Quota {
    /// Playlists in the library.
    Playlists,
    /// Bytes of stored audio.
    StorageBytes,
    /// Rooms open at once with the account as host.
    OpenRooms,
    /// People in one of the account's rooms at once.
    ParticipantsPerRoom,
}

impl Quota {
    /// Every quota.
    pub const ALL: [Quota; 4] = [
        Quota::Playlists,
        Quota::StorageBytes,
        Quota::OpenRooms,
        Quota::ParticipantsPerRoom,
    ];

    /// A stable name, for configuration, overrides and problem documents.
    pub fn as_str(self) -> &'static str {
        match self {
            Quota::Playlists => "playlists",
            Quota::StorageBytes => "storage_bytes",
            Quota::OpenRooms => "open_rooms",
            Quota::ParticipantsPerRoom => "participants_per_room",
        }
    }

    /// Reads a stable name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|quota| quota.as_str() == name)
    }

    /// What is counted, in words ("open rooms").
    pub fn noun(self) -> &'static str {
        match self {
            Quota::Playlists => "playlists",
            Quota::StorageBytes => "bytes of stored music",
            Quota::OpenRooms => "open rooms",
            Quota::ParticipantsPerRoom => "people per room",
        }
    }

    /// What the person can do about it, besides a higher tier.
    fn remedy(self) -> &'static str {
        match self {
            Quota::Playlists => "delete a playlist",
            Quota::StorageBytes => "delete an upload",
            Quota::OpenRooms => "close a room you host",
            Quota::ParticipantsPerRoom => "ask someone to leave",
        }
    }
}

impl fmt::Display for Quota {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// The operator's changes to one account's limits, each replacing its tier's value
/// (Funkwhale's default-plus-override): what is not overridden follows the tier, also when the
/// tier changes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Overrides {
    /// Playlists.
    pub playlists: Option<Limit>,
    /// Bytes of stored audio.
    pub storage_bytes: Option<Limit>,
    /// Rooms open at once.
    pub open_rooms: Option<Limit>,
    /// People per room.
    pub participants_per_room: Option<Limit>,
    /// API requests an hour (programs).
    pub api_requests_per_hour: Option<Limit>,
}

impl Overrides {
    /// Whether nothing is overridden.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// The override of one quota.
    pub fn quota(&self, quota: Quota) -> Option<Limit> {
        match quota {
            Quota::Playlists => self.playlists,
            Quota::StorageBytes => self.storage_bytes,
            Quota::OpenRooms => self.open_rooms,
            Quota::ParticipantsPerRoom => self.participants_per_room,
        }
    }

    /// Sets (or, with `None`, clears) the override of one quota.
    pub fn set_quota(&mut self, quota: Quota, limit: Option<Limit>) {
        let slot = match quota {
            Quota::Playlists => &mut self.playlists,
            Quota::StorageBytes => &mut self.storage_bytes,
            Quota::OpenRooms => &mut self.open_rooms,
            Quota::ParticipantsPerRoom => &mut self.participants_per_room,
        };
        *slot = limit;
    }

    /// A tier's limits with these overrides on top.
    pub fn apply(&self, mut limits: TierLimits) -> TierLimits {
        for quota in Quota::ALL {
            if let Some(limit) = self.quota(quota) {
                limits.quotas.set(quota, limit);
            }
        }
        if let Some(limit) = self.api_requests_per_hour {
            limits.api_requests = match limit {
                Limit::AtMost(count) => RatePolicy::per_hour(count),
                Limit::Unlimited => RatePolicy::unlimited(),
            };
        }
        limits
    }
}

impl fmt::Display for Overrides {
    /// `open_rooms=20, api_requests_per_hour=unlimited`, or `none`.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        for quota in Quota::ALL {
            if let Some(limit) = self.quota(quota) {
                parts.push(format!("{quota}={limit}"));
            }
        }
        if let Some(limit) = self.api_requests_per_hour {
            parts.push(format!("{API_REQUESTS}={limit}"));
        }
        if parts.is_empty() {
            formatter.write_str("none")
        } else {
            formatter.write_str(&parts.join(", "))
        }
    }
}

/// The name of the API-requests override, beside the quotas' names.
pub const API_REQUESTS: &str = "api_requests_per_hour";

/// Why a written override was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidOverride {
    /// Not a limit this server knows.
    #[error(
        "unknown limit `{0}`; use playlists, storage_bytes, open_rooms, participants_per_room or api_requests_per_hour"
    )]
    UnknownName(String),
    /// Not a whole number nor `unlimited`.
    #[error("`{0}` takes a whole number or \"unlimited\"")]
    Value(String),
}

impl Overrides {
    /// Sets one override by name, from its text (`"20"` or `"unlimited"`).
    pub fn set_named(&mut self, name: &str, value: Option<Limit>) -> Result<(), InvalidOverride> {
        if name == API_REQUESTS {
            self.api_requests_per_hour = value;
            return Ok(());
        }
        let quota =
            Quota::parse(name).ok_or_else(|| InvalidOverride::UnknownName(name.to_owned()))?;
        self.set_quota(quota, value);
        Ok(())
    }

    /// Reads the text [`Display`](fmt::Display) writes.
    pub fn parse(text: &str) -> Result<Self, InvalidOverride> {
        let mut overrides = Self::default();
        let text = text.trim();
        if text.is_empty() || text == "none" {
            return Ok(overrides);
        }
        for part in text.split(',') {
            let (name, value) = part
                .split_once('=')
                .ok_or_else(|| InvalidOverride::Value(part.trim().to_owned()))?;
            let (name, value) = (name.trim(), value.trim());
            let limit =
                Limit::parse(value).ok_or_else(|| InvalidOverride::Value(name.to_owned()))?;
            overrides.set_named(name, Some(limit))?;
        }
        Ok(overrides)
    }
}

/// An account's standing: its tier and the limits that apply to it (the tier's, overridden).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    /// The account's tier.
    pub tier: Tier,
    /// What applies: the tier's limits with the account's overrides.
    pub limits: TierLimits,
    /// The overrides alone.
    pub overrides: Overrides,
}

impl Standing {
    /// The limit of one quota.
    pub fn limit(&self, quota: Quota) -> Limit {
        self.limits.quotas.get(quota)
    }

    /// Whether `used` plus `more` fits in `quota`; the refusal otherwise.
    pub fn check(&self, quota: Quota, used: u64, more: u64) -> Result<(), QuotaExceeded> {
        let limit = self.limit(quota);
        if limit.allows(used, more) {
            Ok(())
        } else {
            Err(self.exceeded(quota))
        }
    }

    /// The refusal for `quota`, for an adapter that found it full while storing.
    pub fn exceeded(&self, quota: Quota) -> QuotaExceeded {
        QuotaExceeded {
            quota,
            limit: self.limit(quota),
            tier: self.tier,
        }
    }
}

/// Spending more would go over a quota. Its words say the limit and how to get more room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "your tier ({tier}) allows {limit} {noun}; {remedy}, or ask the operator for a higher tier",
    noun = quota.noun(),
    remedy = quota.remedy()
)]
pub struct QuotaExceeded {
    /// The quota that is full.
    pub quota: Quota,
    /// Its limit for this account.
    pub limit: Limit,
    /// The account's tier.
    pub tier: Tier,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::TierTable;

    #[test]
    fn overrides_replace_only_what_they_name() {
        let table = TierTable::defaults();
        let free = table.tier(Tier::Free);
        let overrides = Overrides {
            open_rooms: Some(Limit::AtMost(20)),
            api_requests_per_hour: Some(Limit::Unlimited),
            ..Overrides::default()
        };
        let limits = overrides.apply(free);
        assert_eq!(limits.quotas.open_rooms, Limit::AtMost(20));
        assert_eq!(limits.api_requests.limit, Limit::Unlimited);
        assert_eq!(limits.quotas.playlists, free.quotas.playlists);
        assert_eq!(
            limits.quotas.participants_per_room,
            free.quotas.participants_per_room
        );
        assert_eq!(Overrides::default().apply(free), free);
        assert_eq!(
            overrides.to_string(),
            "open_rooms=20, api_requests_per_hour=unlimited"
        );
        assert_eq!(Overrides::parse(&overrides.to_string()), Ok(overrides));
        assert_eq!(Overrides::parse("none"), Ok(Overrides::default()));
        assert!(Overrides::parse("rooms=3").is_err());
        assert!(Overrides::parse("open_rooms=many").is_err());
    }

    #[test]
    fn quota_arithmetic() {
        let standing = |limit| Standing {
            tier: Tier::Free,
            limits: Overrides {
                playlists: Some(limit),
                ..Overrides::default()
            }
            .apply(TierTable::defaults().tier(Tier::Free)),
            overrides: Overrides::default(),
        };
        // (limit, used, more, allowed)
        let cases = [
            (Limit::AtMost(10), 9, 1, true),
            (Limit::AtMost(10), 10, 1, false),
            (Limit::AtMost(10), 0, 10, true),
            (Limit::AtMost(10), 0, 11, false),
            // Above the quota after a downgrade: nothing new until under it.
            (Limit::AtMost(10), 14, 1, false),
            (Limit::AtMost(10), 10, 0, true),
            (Limit::AtMost(0), 0, 1, false),
            (Limit::AtMost(u64::MAX), u64::MAX, 1, false),
            (Limit::Unlimited, u64::MAX, 1, true),
        ];
        for (limit, used, more, allowed) in cases {
            assert_eq!(
                standing(limit).check(Quota::Playlists, used, more).is_ok(),
                allowed,
                "{limit} with {used} used and {more} more"
            );
        }
    }

    #[test]
    fn a_refusal_says_the_limit_and_what_to_do() {
        let refusal = QuotaExceeded {
            quota: Quota::OpenRooms,
            limit: Limit::AtMost(3),
            tier: Tier::Free,
        };
        assert_eq!(
            refusal.to_string(),
            "your tier (free) allows 3 open rooms; close a room you host, or ask the operator for a higher tier"
        );
        assert_eq!(Quota::parse("open_rooms"), Some(Quota::OpenRooms));
        assert_eq!(Quota::parse("rooms"), None);
    }
}
