//! The service tier of an account. The rules attached to each tier (quotas, rate limits,
//! upgrade paths) belong to the tiers domain; this is only the name every crate agrees on.

use std::fmt;
use std::str::FromStr;

/// A service tier. New accounts start on [`Tier::Free`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Tier {
    /// The default tier.
    #[default]
    Free,
    /// A paying individual.
    Premium,
    /// An organisation.
    Enterprise,
    /// Unlimited, granted by the operator.
    Vip,
}

impl Tier {
    /// Every tier, cheapest first.
    pub const ALL: [Tier; 4] = [Tier::Free, Tier::Premium, Tier::Enterprise, Tier::Vip];

    /// The stable lowercase name used in storage and APIs.
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Free => "free",
            Tier::Premium => "premium",
            Tier::Enterprise => "enterprise",
            Tier::Vip => "vip",
        }
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// A tier name that is not one of [`Tier::ALL`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownTier(pub String);

impl fmt::Display for UnknownTier {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "unknown tier {:?}", self.0)
    }
}

impl std::error::Error for UnknownTier {}

impl FromStr for Tier {
    type Err = UnknownTier;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Tier::ALL
            .into_iter()
            .find(|tier| tier.as_str().eq_ignore_ascii_case(name))
            .ok_or_else(|| UnknownTier(name.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tier_round_trips_through_its_name() {
        for tier in Tier::ALL {
            assert_eq!(tier.as_str().parse::<Tier>(), Ok(tier));
        }
        assert_eq!("VIP".parse::<Tier>(), Ok(Tier::Vip));
        assert!("gold".parse::<Tier>().is_err());
        assert_eq!(Tier::default(), Tier::Free);
    }
}
