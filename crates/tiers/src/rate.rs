//! Admitting a request: who spends (a [`Subject`]), from which budget, and the pure rule.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use soiree_kernel::{Clock, Tier, UserId};

use crate::limits::{AnonymousSurface, Limit, RatePolicy, TierTable};
use crate::ports::RateCounter;

/// Who a request is counted against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// A program using an account's session (a bearer token): the tier's API budget.
    Program { user: UserId, tier: Tier },
    /// A person using the site's pages (the session cookie): the generous pages budget.
    Pages { user: UserId },
    /// Anyone, at an anonymous surface, by client address.
    Address {
        surface: AnonymousSurface,
        address: IpAddr,
    },
}

/// The name a budget is counted under.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RateKey(String);

impl RateKey {
    /// The key of `subject`'s budget; addresses count by their [`client_network`].
    pub fn of(subject: &Subject) -> Self {
        Self(match subject {
            Subject::Program { user, .. } => format!("api:{user}"),
            Subject::Pages { user } => format!("pages:{user}"),
            Subject::Address { surface, address } => {
                format!("{}:{}", surface.as_str(), client_network(address))
            }
        })
    }

    /// The key of a budget of the embedder's own (such as a room's guests' votes).
    pub fn named(name: &str) -> Self {
        Self(name.to_owned())
    }

    /// The key as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RateKey {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

/// The part of a client's address that names the client: the whole IPv4 address, or the /64
/// network of an IPv6 one (which one household, or one attacker, usually holds whole).
pub fn client_network(address: &IpAddr) -> String {
    match address {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let [a, b, c, d, ..] = v6.segments();
            format!("{a:x}:{b:x}:{c:x}:{d:x}::/64")
        }
    }
}

/// Whether a request may go on, and what to tell the caller about their budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Nothing limits this subject.
    Unlimited,
    /// Within the budget.
    Allowed {
        policy: RatePolicy,
        /// Requests left in this window.
        remaining: u64,
        /// Until the window ends.
        reset: Duration,
    },
    /// Over the budget until the window ends.
    Refused {
        policy: RatePolicy,
        retry_after: Duration,
    },
}

/// The rule: the `count`th request of a window that began `elapsed` ago, under `policy`.
pub fn admit(policy: RatePolicy, count: u64, elapsed: Duration) -> Admission {
    let reset = policy
        .window
        .saturating_sub(elapsed)
        .max(Duration::from_secs(1));
    match policy.limit {
        Limit::Unlimited => Admission::Unlimited,
        Limit::AtMost(most) if count <= most => Admission::Allowed {
            policy,
            remaining: most - count,
            reset,
        },
        Limit::AtMost(_) => Admission::Refused {
            policy,
            retry_after: reset,
        },
    }
}

/// Admits requests against the tier table, counting through a [`RateCounter`].
#[derive(Debug, Clone)]
pub struct RateLimits {
    table: Arc<TierTable>,
    counter: Arc<dyn RateCounter>,
    clock: Arc<dyn Clock>,
}

impl RateLimits {
    pub fn new(table: TierTable, counter: Arc<dyn RateCounter>, clock: Arc<dyn Clock>) -> Self {
        Self {
            table: Arc::new(table),
            counter,
            clock,
        }
    }

    /// The table in force.
    pub fn table(&self) -> &TierTable {
        &self.table
    }

    /// The budget `subject` spends from.
    pub fn policy(&self, subject: &Subject) -> RatePolicy {
        match subject {
            Subject::Program { tier, .. } => self.table.tier(*tier).api_requests,
            Subject::Pages { .. } => self.table.pages,
            Subject::Address { surface, .. } => self.table.anonymous(*surface),
        }
    }

    /// Counts one request of `subject` and says whether it may go on. An unlimited budget is
    /// not counted at all.
    pub async fn admit(&self, subject: &Subject) -> anyhow::Result<Admission> {
        self.admit_under(&RateKey::of(subject), self.policy(subject))
            .await
    }

    /// Counts one request against the budget `key` under `policy` (a budget the table does not
    /// name, such as one room's guest votes), and says whether it may go on.
    pub async fn admit_under(
        &self,
        key: &RateKey,
        policy: RatePolicy,
    ) -> anyhow::Result<Admission> {
        if policy.limit == Limit::Unlimited {
            return Ok(Admission::Unlimited);
        }
        let now = self.clock.now();
        let window = i64::try_from(policy.window.as_secs())
            .unwrap_or(i64::MAX)
            .max(1);
        let seconds = now.timestamp();
        let window_start = seconds - seconds.rem_euclid(window);
        let elapsed = now - chrono::DateTime::from_timestamp(window_start, 0).unwrap_or(now);
        let count = self.counter.hit(key, window_start, policy.window).await?;
        Ok(admit(
            policy,
            count,
            elapsed.to_std().unwrap_or(Duration::ZERO),
        ))
    }
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, Ipv6Addr};

    use soiree_kernel::ManualClock;

    use super::*;
    use crate::memory::InMemoryRateCounter;

    #[test]
    fn the_rule_lets_exactly_the_limit_through_per_window() {
        let policy = RatePolicy::per_minute(3);
        let at = Duration::from_secs(20);
        let cases = [
            (
                1,
                Admission::Allowed {
                    policy,
                    remaining: 2,
                    reset: Duration::from_secs(40),
                },
            ),
            (
                3,
                Admission::Allowed {
                    policy,
                    remaining: 0,
                    reset: Duration::from_secs(40),
                },
            ),
            (
                4,
                Admission::Refused {
                    policy,
                    retry_after: Duration::from_secs(40),
                },
            ),
            (
                900,
                Admission::Refused {
                    policy,
                    retry_after: Duration::from_secs(40),
                },
            ),
        ];
        for (count, expected) in cases {
            assert_eq!(admit(policy, count, at), expected, "request {count}");
        }
        // At the very end of a window, a wait of at least a second.
        assert_eq!(
            admit(policy, 4, Duration::from_secs(60)),
            Admission::Refused {
                policy,
                retry_after: Duration::from_secs(1)
            }
        );
        assert_eq!(
            admit(RatePolicy::unlimited(), u64::MAX, at),
            Admission::Unlimited
        );
    }

    #[test]
    fn ipv6_addresses_share_their_network_budget() {
        let surface = AnonymousSurface::RoomLookup;
        let key = |address| RateKey::of(&Subject::Address { surface, address });
        let one = IpAddr::V6("2001:db8:1:2::1".parse::<Ipv6Addr>().unwrap());
        let other = IpAddr::V6("2001:db8:1:2:ffff::9".parse::<Ipv6Addr>().unwrap());
        let elsewhere = IpAddr::V6("2001:db8:1:3::1".parse::<Ipv6Addr>().unwrap());
        assert_eq!(key(one), key(other));
        assert_ne!(key(one), key(elsewhere));
        let v4 = key(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7)));
        assert_eq!(v4.as_str(), "room_lookup:192.0.2.7");
    }

    #[tokio::test]
    async fn a_budget_refills_when_its_window_ends_and_budgets_are_apart() {
        let clock = Arc::new(ManualClock::starting_at(
            chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap(),
        ));
        let mut table = TierTable::defaults();
        table.pages = RatePolicy::per_minute(2);
        let limits = RateLimits::new(
            table,
            Arc::new(InMemoryRateCounter::default()),
            clock.clone(),
        );
        let ada = Subject::Pages {
            user: UserId::generate(),
        };
        let bob = Subject::Pages {
            user: UserId::generate(),
        };
        let allowed = |admission: Admission| matches!(admission, Admission::Allowed { .. });
        assert!(allowed(limits.admit(&ada).await.unwrap()));
        assert!(allowed(limits.admit(&ada).await.unwrap()));
        assert!(!allowed(limits.admit(&ada).await.unwrap()));
        assert!(
            allowed(limits.admit(&bob).await.unwrap()),
            "another person's budget"
        );
        clock.advance(chrono::Duration::seconds(60));
        assert!(allowed(limits.admit(&ada).await.unwrap()), "a new window");
        let vip = Subject::Program {
            user: UserId::generate(),
            tier: Tier::Vip,
        };
        assert_eq!(limits.admit(&vip).await.unwrap(), Admission::Unlimited);
    }
}
