//! The tier table: what each tier may keep and do, and the limits of the anonymous surfaces.

use std::fmt;
use std::time::Duration;

use soiree_kernel::Tier;

use crate::quota::Quota;

/// A number something may not exceed, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// At most this many.
    AtMost(u64),
    /// No limit.
    Unlimited,
}

impl Limit {
    /// Whether `used` plus `more` stays within the limit.
    pub fn allows(self, used: u64, more: u64) -> bool {
        match self {
            Limit::AtMost(most) => used.checked_add(more).is_some_and(|total| total <= most),
            Limit::Unlimited => true,
        }
    }
}

impl Limit {
    /// Reads `unlimited` or a whole number.
    pub fn parse(text: &str) -> Option<Self> {
        if text == "unlimited" {
            return Some(Limit::Unlimited);
        }
        text.parse().ok().map(Limit::AtMost)
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Limit::AtMost(most) => write!(formatter, "{most}"),
            Limit::Unlimited => formatter.write_str("unlimited"),
        }
    }
}

/// How many requests fit in a window of time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RatePolicy {
    /// Requests per window.
    pub limit: Limit,
    /// The window; whole seconds, at least one.
    pub window: Duration,
}

impl RatePolicy {
    /// `limit` requests per `window` (shorter than a second counts as a second).
    pub fn new(limit: Limit, window: Duration) -> Self {
        Self {
            limit,
            window: window.max(Duration::from_secs(1)),
        }
    }

    /// `count` requests an hour.
    pub fn per_hour(count: u64) -> Self {
        Self::new(Limit::AtMost(count), Duration::from_secs(3600))
    }

    /// `count` requests a minute.
    pub fn per_minute(count: u64) -> Self {
        Self::new(Limit::AtMost(count), Duration::from_secs(60))
    }

    /// No limit.
    pub fn unlimited() -> Self {
        Self::new(Limit::Unlimited, Duration::from_secs(3600))
    }

    /// The same budget as a count per hour (rounded down), as people are told it.
    pub fn hourly(&self) -> Limit {
        match self.limit {
            Limit::AtMost(count) => {
                Limit::AtMost(count.saturating_mul(3600) / self.window.as_secs().max(1))
            }
            Limit::Unlimited => Limit::Unlimited,
        }
    }
}

/// What an account may keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quotas {
    /// Playlists (the library's).
    pub playlists: Limit,
    /// Bytes of stored audio (the library's).
    pub storage_bytes: Limit,
    /// Rooms open at once with this account as the host.
    pub open_rooms: Limit,
    /// People in one of this account's rooms at once (the host included).
    pub participants_per_room: Limit,
}

impl Quotas {
    /// The limit of one quota.
    pub fn get(&self, quota: Quota) -> Limit {
        match quota {
            Quota::Playlists => self.playlists,
            Quota::StorageBytes => self.storage_bytes,
            Quota::OpenRooms => self.open_rooms,
            Quota::ParticipantsPerRoom => self.participants_per_room,
        }
    }

    /// Replaces the limit of one quota.
    pub fn set(&mut self, quota: Quota, limit: Limit) {
        let slot = match quota {
            Quota::Playlists => &mut self.playlists,
            Quota::StorageBytes => &mut self.storage_bytes,
            Quota::OpenRooms => &mut self.open_rooms,
            Quota::ParticipantsPerRoom => &mut self.participants_per_room,
        };
        *slot = limit;
    }
}

/// What one tier may keep and do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TierLimits {
    pub quotas: Quotas,
    /// API requests made by programs (a bearer session).
    pub api_requests: RatePolicy,
}

/// A surface open to anyone, limited per client address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AnonymousSurface {
    /// `POST /auth/login`.
    Login,
    /// `POST /auth/register`.
    Registration,
    /// Anything that names a room by its code without being in it: the room's page, its
    /// snapshot, joining. Unknown and existing codes count alike, so guessing codes is slow.
    RoomLookup,
    /// Joining a room as a new guest.
    GuestJoin,
}

impl AnonymousSurface {
    /// Every surface.
    pub const ALL: [AnonymousSurface; 4] = [
        AnonymousSurface::Login,
        AnonymousSurface::Registration,
        AnonymousSurface::RoomLookup,
        AnonymousSurface::GuestJoin,
    ];

    /// A stable name, for keys and configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            AnonymousSurface::Login => "login",
            AnonymousSurface::Registration => "registration",
            AnonymousSurface::RoomLookup => "room_lookup",
            AnonymousSurface::GuestJoin => "guest_join",
        }
    }
}

/// Every limit in one place: each tier's, the pages' (a person using the site through its
/// pages, with the session cookie), and each anonymous surface's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TierTable {
    tiers: [TierLimits; 4],
    /// Requests a signed-in person's pages may make.
    pub pages: RatePolicy,
    anonymous: [RatePolicy; 4],
    /// Whether people may choose their own tier (`POST /api/v1/me/tier`); off by default.
    pub self_service: bool,
}

impl TierTable {
    /// The defaults: Free 100 API requests an hour, Premium 5 000, Enterprise 50 000, VIP
    /// unlimited; playlists Free 10; storage Free 100 MB; the pages 600 requests a minute per
    /// person; per client address, 10 logins and 120 room look-ups a minute, 10 registrations
    /// and 120 guest joins an hour (a party's guests may share one address behind its router).
    pub fn defaults() -> Self {
        const MB: u64 = 1_000_000;
        let tier =
            |playlists, storage_mb: Option<u64>, rooms, people, api: RatePolicy| TierLimits {
                quotas: Quotas {
                    playlists,
                    storage_bytes: storage_mb.map_or(Limit::Unlimited, |mb| Limit::AtMost(mb * MB)),
                    open_rooms: rooms,
                    participants_per_room: people,
                },
                api_requests: api,
            };
        Self {
            tiers: [
                tier(
                    Limit::AtMost(10),
                    Some(100),
                    Limit::AtMost(3),
                    Limit::AtMost(100),
                    RatePolicy::per_hour(100),
                ),
                tier(
                    Limit::AtMost(1_000),
                    Some(10_000),
                    Limit::AtMost(10),
                    Limit::AtMost(500),
                    RatePolicy::per_hour(5_000),
                ),
                tier(
                    Limit::AtMost(10_000),
                    Some(1_000_000),
                    Limit::AtMost(100),
                    Limit::AtMost(5_000),
                    RatePolicy::per_hour(50_000),
                ),
                tier(
                    Limit::Unlimited,
                    None,
                    Limit::Unlimited,
                    Limit::Unlimited,
                    RatePolicy::unlimited(),
                ),
            ],
            pages: RatePolicy::per_minute(600),
            anonymous: [
                RatePolicy::per_minute(10),
                RatePolicy::per_hour(10),
                RatePolicy::per_minute(120),
                RatePolicy::per_hour(120),
            ],
            self_service: false,
        }
    }

    /// A table in which nothing is limited (load tests, embedders with their own limits).
    pub fn unlimited() -> Self {
        let mut table = Self::defaults();
        for tier in Tier::ALL {
            table.set_tier(tier, table.tier(Tier::Vip));
        }
        table.pages = RatePolicy::unlimited();
        for surface in AnonymousSurface::ALL {
            table.set_anonymous(surface, RatePolicy::unlimited());
        }
        table
    }

    /// What `tier` may keep and do.
    pub fn tier(&self, tier: Tier) -> TierLimits {
        self.tiers[index(tier)]
    }

    /// Replaces what `tier` may keep and do.
    pub fn set_tier(&mut self, tier: Tier, limits: TierLimits) {
        self.tiers[index(tier)] = limits;
    }

    /// The limit of an anonymous surface, per client address.
    pub fn anonymous(&self, surface: AnonymousSurface) -> RatePolicy {
        self.anonymous[surface_index(surface)]
    }

    /// Replaces the limit of an anonymous surface.
    pub fn set_anonymous(&mut self, surface: AnonymousSurface, policy: RatePolicy) {
        self.anonymous[surface_index(surface)] = policy;
    }
}

fn index(tier: Tier) -> usize {
    match tier {
        Tier::Free => 0,
        Tier::Premium => 1,
        Tier::Enterprise => 2,
        Tier::Vip => 3,
    }
}

fn surface_index(surface: AnonymousSurface) -> usize {
    match surface {
        AnonymousSurface::Login => 0,
        AnonymousSurface::Registration => 1,
        AnonymousSurface::RoomLookup => 2,
        AnonymousSurface::GuestJoin => 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_the_published_ones() {
        let table = TierTable::defaults();
        let api = |tier| table.tier(tier).api_requests;
        assert_eq!(api(Tier::Free), RatePolicy::per_hour(100));
        assert_eq!(api(Tier::Premium), RatePolicy::per_hour(5_000));
        assert_eq!(api(Tier::Enterprise), RatePolicy::per_hour(50_000));
        assert_eq!(api(Tier::Vip).limit, Limit::Unlimited);
        let free = table.tier(Tier::Free).quotas;
        assert_eq!(free.playlists, Limit::AtMost(10));
        assert_eq!(free.storage_bytes, Limit::AtMost(100_000_000));
        assert_eq!(table.tier(Tier::Vip).quotas.storage_bytes, Limit::Unlimited);
    }

    #[test]
    fn limits_allow_up_to_and_including_their_number() {
        let cases = [
            (Limit::AtMost(10), 9, 1, true),
            (Limit::AtMost(10), 10, 0, true),
            (Limit::AtMost(10), 10, 1, false),
            (Limit::AtMost(0), 0, 1, false),
            (Limit::AtMost(u64::MAX), u64::MAX, 1, false),
            (Limit::Unlimited, u64::MAX, u64::MAX, true),
        ];
        for (limit, used, more, allowed) in cases {
            assert_eq!(limit.allows(used, more), allowed, "{limit} {used}+{more}");
        }
    }

    #[test]
    fn the_unlimited_table_limits_nothing() {
        let table = TierTable::unlimited();
        for tier in Tier::ALL {
            assert_eq!(table.tier(tier).api_requests.limit, Limit::Unlimited);
        }
        for surface in AnonymousSurface::ALL {
            assert_eq!(table.anonymous(surface).limit, Limit::Unlimited);
        }
        assert_eq!(table.pages.limit, Limit::Unlimited);
    }
}
