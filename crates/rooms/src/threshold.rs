//! How many likes make a track ready, and the rules a host sets for guests.

/// How many likes make a track ready to play.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LikeThreshold {
    /// A fixed number of likes, at least 1.
    Fixed(u32),
    /// A share of the participants present, in basis points (1 to 10 000 = 0.01 % to 100 %),
    /// never below one like.
    Share(u16),
}

/// Why a threshold was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidThreshold {
    /// A fixed threshold below 1 or above 10 000.
    #[error("a like threshold is a whole number from 1 to 10000")]
    Count,
    /// A share not in (0, 1].
    #[error(
        "a like threshold share is a fraction above 0 and at most 1, such as 0.5 for half of those present"
    )]
    Share,
    /// Both a count and a share were given.
    #[error("give like_threshold or like_threshold_share, not both")]
    Both,
}

impl LikeThreshold {
    /// The threshold of a room created without one: three likes.
    pub const DEFAULT: LikeThreshold = LikeThreshold::Fixed(3);

    /// A fixed count.
    pub fn fixed(count: i64) -> Result<Self, InvalidThreshold> {
        u32::try_from(count)
            .ok()
            .filter(|count| (1..=10_000).contains(count))
            .map(Self::Fixed)
            .ok_or(InvalidThreshold::Count)
    }

    /// A share of those present, `0 < share <= 1`, kept to the basis point.
    pub fn share(share: f64) -> Result<Self, InvalidThreshold> {
        if !(share > 0.0 && share <= 1.0) {
            return Err(InvalidThreshold::Share);
        }
        let basis_points = (share * 10_000.0).round().clamp(1.0, 10_000.0) as u16;
        Ok(Self::Share(basis_points))
    }

    /// Reads a threshold given as a count or as a share (at most one of them); `None` when
    /// neither is given.
    pub fn from_count_or_share(
        count: Option<i64>,
        share: Option<f64>,
    ) -> Result<Option<Self>, InvalidThreshold> {
        match (count, share) {
            (Some(_), Some(_)) => Err(InvalidThreshold::Both),
            (Some(count), None) => Self::fixed(count).map(Some),
            (None, Some(share)) => Self::share(share).map(Some),
            (None, None) => Ok(None),
        }
    }

    /// Whether the likes needed depend on who is present.
    pub fn depends_on_presence(&self) -> bool {
        matches!(self, LikeThreshold::Share(_))
    }

    /// Likes needed when `present` participants are present: the fixed count, or the share of
    /// those present rounded up, and never less than one.
    pub fn required_likes(&self, present: u32) -> u32 {
        match *self {
            LikeThreshold::Fixed(count) => count.max(1),
            LikeThreshold::Share(basis_points) => {
                let needed = (u64::from(present) * u64::from(basis_points)).div_ceil(10_000);
                u32::try_from(needed).unwrap_or(u32::MAX).max(1)
            }
        }
    }
}

/// What a host may set about a room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoomOptions {
    /// Whether people may join with a nickname and no account.
    pub guests_allowed: bool,
    /// How many votes guests may cast per two minutes (1 to 1000), per source: guests who join
    /// from one client address share this budget.
    pub guest_votes_per_2min: u32,
    /// How many guests may be in the room at once (1 to 10 000); `None` leaves only the host's
    /// people-per-room quota.
    pub max_guests: Option<u32>,
}

impl Default for RoomOptions {
    fn default() -> Self {
        Self {
            guests_allowed: true,
            guest_votes_per_2min: 10,
            max_guests: None,
        }
    }
}

/// Why a guest cap was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("max_guests is a whole number from 1 to 10000")]
pub struct InvalidGuestCap;

/// Why a guest vote rate was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("guest_votes_per_2min is a whole number from 1 to 1000")]
pub struct InvalidGuestRate;

impl RoomOptions {
    /// Checks a guest vote rate (votes per two minutes, 1 to 1000).
    pub fn guest_rate(votes_per_2min: u32) -> Result<u32, InvalidGuestRate> {
        (1..=1000)
            .contains(&votes_per_2min)
            .then_some(votes_per_2min)
            .ok_or(InvalidGuestRate)
    }

    /// Checks a guest cap (1 to 10 000 guests).
    pub fn guest_cap(max_guests: u32) -> Result<u32, InvalidGuestCap> {
        (1..=10_000)
            .contains(&max_guests)
            .then_some(max_guests)
            .ok_or(InvalidGuestCap)
    }

    /// The options of a new room: the defaults, with what the host chose instead.
    pub fn chosen(
        guests_allowed: Option<bool>,
        guest_votes_per_2min: Option<u32>,
    ) -> Result<Self, InvalidGuestRate> {
        let defaults = Self::default();
        Ok(Self {
            guests_allowed: guests_allowed.unwrap_or(defaults.guests_allowed),
            guest_votes_per_2min: Self::guest_rate(
                guest_votes_per_2min.unwrap_or(defaults.guest_votes_per_2min),
            )?,
            max_guests: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds() {
        let cases: [(LikeThreshold, u32, u32); 9] = [
            (LikeThreshold::Fixed(3), 0, 3),
            (LikeThreshold::Fixed(3), 100, 3),
            (LikeThreshold::share(0.5).unwrap(), 0, 1),
            (LikeThreshold::share(0.5).unwrap(), 1, 1),
            (LikeThreshold::share(0.5).unwrap(), 4, 2),
            (LikeThreshold::share(0.5).unwrap(), 5, 3),
            (LikeThreshold::share(1.0).unwrap(), 7, 7),
            (LikeThreshold::share(0.01).unwrap(), 7, 1),
            (LikeThreshold::share(0.34).unwrap(), 3, 2),
        ];
        for (threshold, present, needed) in cases {
            assert_eq!(
                threshold.required_likes(present),
                needed,
                "{threshold:?} with {present} present"
            );
        }
        assert!(LikeThreshold::fixed(0).is_err() && LikeThreshold::fixed(-1).is_err());
        assert!(
            LikeThreshold::share(0.0).is_err()
                && LikeThreshold::share(1.5).is_err()
                && LikeThreshold::share(f64::NAN).is_err()
        );
        assert_eq!(
            LikeThreshold::from_count_or_share(Some(2), Some(0.5)),
            Err(InvalidThreshold::Both)
        );
        assert_eq!(LikeThreshold::from_count_or_share(None, None), Ok(None));
    }

    #[test]
    fn new_room_options_start_from_the_defaults() {
        assert_eq!(RoomOptions::chosen(None, None), Ok(RoomOptions::default()));
        assert_eq!(
            RoomOptions::chosen(Some(false), Some(30)),
            Ok(RoomOptions {
                guests_allowed: false,
                guest_votes_per_2min: 30,
                max_guests: None,
            })
        );
        assert_eq!(RoomOptions::chosen(None, Some(0)), Err(InvalidGuestRate));
        assert_eq!(RoomOptions::guest_cap(0), Err(InvalidGuestCap));
        assert_eq!(RoomOptions::guest_cap(10_001), Err(InvalidGuestCap));
        assert_eq!(RoomOptions::guest_cap(40), Ok(40));
    }
}
