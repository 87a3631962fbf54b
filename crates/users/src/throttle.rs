//! Login throttling per account (AU-2): after 10 failures within 15 minutes, each further attempt
//! must wait, and the wait doubles with every further failure, up to 15 minutes. That allows at
//! most about 16 failures an hour, well under the 100 ASVS permits.

use chrono::Duration;
use soiree_kernel::Timestamp;

use crate::ports::FailureSummary;

/// The throttling rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginThrottle {
    /// The window in which failures are counted.
    pub window: Duration,
    /// Failures allowed in the window before attempts are delayed.
    pub free_failures: u32,
    /// The delay after the first failure past the allowance.
    pub first_delay: Duration,
    /// The longest delay.
    pub max_delay: Duration,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        Self {
            window: Duration::minutes(15),
            free_failures: 10,
            first_delay: Duration::seconds(30),
            max_delay: Duration::minutes(15),
        }
    }
}

impl LoginThrottle {
    /// Until when an account with these recent failures must wait before its next attempt is
    /// even checked, or `None` when it may try now.
    pub fn locked_until(&self, failures: &FailureSummary, now: Timestamp) -> Option<Timestamp> {
        let latest = failures.latest?;
        let excess = failures.count.checked_sub(self.free_failures)?;
        // 30 s, 60 s, 120 s, ... doubling per excess failure; the shift is bounded so it cannot overflow.
        let factor = 1_i32 << excess.min(16);
        let delay = (self.first_delay * factor).min(self.max_delay);
        let until = latest + delay;
        (now < until).then_some(until)
    }
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;

    use super::*;

    #[test]
    fn au_2_delay_grows_with_failures() {
        let throttle = LoginThrottle::default();
        let latest = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let cases = [
            (0, 0, None),
            (9, 0, None),
            (10, 0, Some(30)),
            (10, 29, Some(30)),
            (10, 30, None),
            (11, 10, Some(60)),
            (12, 0, Some(120)),
            (20, 0, Some(900)),
            (200, 899, Some(900)),
        ];
        for (count, seconds_later, locked_for) in cases {
            let failures = FailureSummary {
                count,
                latest: Some(latest),
            };
            let now = latest + Duration::seconds(seconds_later);
            let expected = locked_for.map(|seconds| latest + Duration::seconds(seconds));
            assert_eq!(
                throttle.locked_until(&failures, now),
                expected,
                "{count} failures, {seconds_later}s later"
            );
        }
        assert_eq!(
            throttle.locked_until(&FailureSummary::default(), latest),
            None
        );
    }
}
