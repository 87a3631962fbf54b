use chrono::DateTime;
use soiree_kernel::ManualClock;

use super::*;
use crate::limits::Limit;
use crate::memory::{InMemoryTierBook, NoUsage};
use crate::quota::Quota;

struct Harness {
    tiers: TiersService,
    clock: ManualClock,
    user: UserId,
}

fn harness(self_service: bool) -> Harness {
    let book = Arc::new(InMemoryTierBook::default());
    let user = UserId::generate();
    book.add(user, Tier::Premium);
    let clock = ManualClock::starting_at(DateTime::from_timestamp(1_800_000_000, 0).unwrap());
    let mut table = TierTable::defaults();
    table.self_service = self_service;
    Harness {
        tiers: TiersService::new(table, book, Arc::new(NoUsage), Arc::new(clock.clone())),
        clock,
        user,
    }
}

#[tokio::test]
async fn people_change_their_own_tier_only_where_the_operator_allows_it() {
    let closed = harness(false);
    let refused = closed
        .tiers
        .change_tier(closed.user, Tier::Vip, ChangedBy::Account, None)
        .await
        .unwrap_err();
    assert!(matches!(refused, ChangeTierError::SelfServiceClosed));
    assert_eq!(
        closed.tiers.standing_of(closed.user).await.unwrap().tier,
        Tier::Premium
    );
    assert!(
        closed
            .tiers
            .history(closed.user, 10)
            .await
            .unwrap()
            .is_empty()
    );

    let open = harness(true);
    let standing = open
        .tiers
        .change_tier(open.user, Tier::Vip, ChangedBy::Account, None)
        .await
        .unwrap();
    assert_eq!(standing.tier, Tier::Vip);
    // An account never sets its own overrides, even with self-service on.
    let overrides = open
        .tiers
        .set_overrides(open.user, Overrides::default(), ChangedBy::Account, None)
        .await
        .unwrap_err();
    assert!(matches!(overrides, ChangeTierError::SelfServiceClosed));
}

#[tokio::test]
async fn every_change_is_recorded_with_who_why_and_when_and_a_non_change_is_not() {
    let h = harness(false);
    let operator = UserId::generate();
    let down = h
        .tiers
        .change_tier(
            h.user,
            Tier::Free,
            ChangedBy::Operator(operator),
            Some("trial over".into()),
        )
        .await
        .unwrap();
    assert_eq!(down.limit(Quota::OpenRooms), Limit::AtMost(3));
    h.clock.advance(chrono::Duration::minutes(1));
    // The same tier again: nothing to record.
    h.tiers
        .change_tier(h.user, Tier::Free, ChangedBy::CommandLine, None)
        .await
        .unwrap();
    let lifted = Overrides {
        open_rooms: Some(Limit::Unlimited),
        ..Overrides::default()
    };
    let standing = h
        .tiers
        .set_overrides(h.user, lifted, ChangedBy::CommandLine, None)
        .await
        .unwrap();
    assert_eq!(standing.limit(Quota::OpenRooms), Limit::Unlimited);
    assert_eq!(standing.tier, Tier::Free, "an override keeps the tier");

    let history = h.tiers.history(h.user, 10).await.unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(
        (history[0].by, history[0].overrides),
        (ChangedBy::CommandLine, lifted)
    );
    let first = &history[1];
    assert_eq!(
        (first.from, first.to, first.by, first.reason.as_deref()),
        (
            Tier::Premium,
            Tier::Free,
            ChangedBy::Operator(operator),
            Some("trial over")
        )
    );
    assert!(first.is_downgrade() && !history[0].is_downgrade());
    assert!(history[0].at > first.at);
}

#[tokio::test]
async fn an_unknown_account_is_refused_but_never_treated_as_unlimited() {
    let h = harness(true);
    let stranger = UserId::generate();
    assert!(matches!(
        h.tiers
            .change_tier(stranger, Tier::Vip, ChangedBy::CommandLine, None)
            .await,
        Err(ChangeTierError::UnknownAccount)
    ));
    assert!(matches!(
        h.tiers.overview(stranger).await,
        Err(StandingError::UnknownAccount)
    ));
    // What spending domains ask: the Free limits for an account nobody knows.
    let standing = h.tiers.standing(stranger).await.unwrap();
    assert_eq!(
        (standing.tier, standing.limit(Quota::OpenRooms)),
        (Tier::Free, Limit::AtMost(3))
    );
}
