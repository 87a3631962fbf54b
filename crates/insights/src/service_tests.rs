use std::sync::Arc;

use chrono::TimeDelta;
use soiree_kernel::{ManualClock, Timestamp, UserId};

use super::*;
use crate::memory::InMemoryInsights;
use crate::model::{Heard, RoomRole, RoomVisit, RoomsSummary, Signal, SignalKind};
use crate::rules::week_start;

/// Wednesday 2027-01-13 12:00 UTC.
fn now() -> Timestamp {
    chrono::DateTime::parse_from_rfc3339("2027-01-13T12:00:00Z")
        .unwrap()
        .to_utc()
}

fn song(n: u32, artists: &[&str]) -> Heard {
    Heard {
        uri: format!("spotify:track:{n}"),
        title: format!("Song {n}"),
        artists: artists.iter().map(|name| (*name).to_owned()).collect(),
    }
}

fn signal(kind: SignalKind, track: Heard, days_ago: i64) -> Signal {
    Signal {
        kind,
        track,
        at: now() - TimeDelta::days(days_ago),
    }
}

struct Harness {
    store: InMemoryInsights,
    insights: InsightsService,
}

fn harness() -> Harness {
    let store = InMemoryInsights::default();
    let insights = InsightsService::new(
        Arc::new(store.clone()),
        Arc::new(store.clone()),
        Arc::new(store.clone()),
        Arc::new(ManualClock::starting_at(now())),
        InsightsConfig::default(),
    );
    Harness { store, insights }
}

#[tokio::test]
async fn top_artists_and_tracks_count_likes_plays_and_votes_up_but_not_votes_down() {
    let h = harness();
    let ada = UserId::generate();
    let duo = song(1, &["Nina", "Otis"]);
    let solo = song(2, &["Otis"]);
    let booed = song(3, &["Zed"]);
    for (kind, track) in [
        (SignalKind::Liked, &duo),
        (SignalKind::PlayedInRoom, &duo),
        (SignalKind::VotedUp, &duo),
        (SignalKind::Liked, &solo),
        (SignalKind::VotedDown, &booed),
        (SignalKind::VotedDown, &booed),
    ] {
        h.store.record(ada, signal(kind, track.clone(), 1));
    }
    // Somebody else's likes are not Ada's.
    h.store.record(
        UserId::generate(),
        signal(SignalKind::Liked, song(9, &["Zed"]), 1),
    );

    let insights = h.insights.insights(ada).await.unwrap();

    let artists: Vec<(&str, u32)> = insights
        .top_artists
        .iter()
        .map(|artist| (artist.name.as_str(), artist.counts.score()))
        .collect();
    assert_eq!(
        artists,
        [("Otis", 4), ("Nina", 3)],
        "Zed was only voted down"
    );
    let tracks: Vec<(&str, u32)> = insights
        .top_tracks
        .iter()
        .map(|top| (top.track.title.as_str(), top.counts.score()))
        .collect();
    assert_eq!(tracks, [("Song 1", 3), ("Song 2", 1)]);
    assert_eq!(
        (
            insights.totals.liked,
            insights.totals.played,
            insights.totals.voted_up,
            insights.totals.voted_down
        ),
        (2, 1, 1, 2)
    );
}

#[tokio::test]
async fn an_artist_named_twice_on_a_track_counts_once() {
    let h = harness();
    let ada = UserId::generate();
    h.store.record(
        ada,
        signal(SignalKind::Liked, song(1, &["Nina", "Nina"]), 0),
    );
    let insights = h.insights.insights(ada).await.unwrap();
    assert_eq!(insights.top_artists[0].counts.liked, 1);
}

#[tokio::test]
async fn the_history_has_the_last_twelve_weeks_oldest_first_with_empty_weeks_kept() {
    let h = harness();
    let ada = UserId::generate();
    h.store
        .record(ada, signal(SignalKind::Liked, song(1, &["A"]), 0));
    h.store
        .record(ada, signal(SignalKind::VotedUp, song(2, &["A"]), 0));
    h.store
        .record(ada, signal(SignalKind::Liked, song(3, &["A"]), 14));
    // Older than the history, still in the top tracks.
    h.store
        .record(ada, signal(SignalKind::Liked, song(4, &["A"]), 200));

    let insights = h.insights.insights(ada).await.unwrap();

    assert_eq!(insights.weeks.len(), 12);
    let this_week = insights.weeks.last().unwrap();
    assert_eq!(this_week.starts, week_start(now()));
    assert_eq!((this_week.counts.liked, this_week.counts.voted_up), (1, 1));
    assert_eq!(insights.weeks[9].counts.liked, 1, "two weeks ago");
    let in_history: u32 = insights.weeks.iter().map(|week| week.counts.liked).sum();
    assert_eq!(in_history, 2);
    assert_eq!(insights.top_tracks.len(), 4);
    assert!(
        insights
            .weeks
            .windows(2)
            .all(|pair| pair[1].starts - pair[0].starts == TimeDelta::weeks(1))
    );
}

#[test]
fn a_week_starts_on_monday_at_midnight_utc() {
    let monday = chrono::DateTime::parse_from_rfc3339("2027-01-11T00:00:00Z")
        .unwrap()
        .to_utc();
    assert_eq!(week_start(now()), monday);
    assert_eq!(week_start(monday), monday);
    assert_eq!(
        week_start(monday - TimeDelta::seconds(1)),
        monday - TimeDelta::weeks(1)
    );
}

#[tokio::test]
async fn rooms_are_the_ones_the_store_gives_up_to_the_recent_limit() {
    let h = harness();
    let ada = UserId::generate();
    let visit = |code: &str, role| RoomVisit {
        code: code.to_owned(),
        name: None,
        role,
        at: now(),
        closed: false,
    };
    let recent: Vec<RoomVisit> = (0..15)
        .map(|n| visit(&format!("R{n:05}"), RoomRole::Host))
        .collect();
    h.store.set_rooms(
        ada,
        RoomsSummary {
            hosted: 15,
            joined: 2,
            recent,
        },
    );
    let insights = h.insights.insights(ada).await.unwrap();
    assert_eq!((insights.rooms.hosted, insights.rooms.joined), (15, 2));
    assert_eq!(insights.rooms.recent.len(), 10);
}

/// Ada likes 1 and 2; three others share some of hers and like more.
fn tasteful() -> (Harness, UserId, [UserId; 4]) {
    let h = harness();
    let ada = UserId::generate();
    let others = [
        UserId::generate(),
        UserId::generate(),
        UserId::generate(),
        UserId::generate(),
    ];
    let like = |user, n| {
        h.store
            .record(user, signal(SignalKind::Liked, song(n, &["A"]), 3))
    };
    like(ada, 1);
    like(ada, 2);
    // Bob and Cy share song 1 and like 10; Bob also likes 11; Cy voted 12 up.
    like(others[0], 1);
    like(others[0], 10);
    like(others[0], 11);
    like(others[1], 1);
    like(others[1], 10);
    h.store
        .record(others[1], signal(SignalKind::VotedUp, song(12, &["B"]), 1));
    // Dee shares song 2 and likes 10.
    like(others[2], 2);
    like(others[2], 10);
    // Eve shares nothing: her 99 is never offered.
    like(others[3], 99);
    (h, ada, others)
}

#[tokio::test]
async fn recommendations_are_what_overlapping_people_like_most_with_the_reason() {
    let (h, ada, _) = tasteful();

    let found = h.insights.recommendations(ada, 10).await.unwrap();

    let titles: Vec<(&str, u32)> = found
        .iter()
        .map(|found| (found.track.title.as_str(), found.people))
        .collect();
    assert_eq!(titles, [("Song 10", 3), ("Song 11", 1), ("Song 12", 1)]);
    assert_eq!(found[0].reason(), "liked by 3 people who also like Song 1");
    assert_eq!(found[1].reason(), "liked by 1 person who also likes Song 1");
    assert!(
        found
            .iter()
            .all(|found| found.track.uri != "spotify:track:1"),
        "nothing she has"
    );
    assert_eq!(h.insights.recommendations(ada, 1).await.unwrap().len(), 1);
}

#[tokio::test]
async fn switched_off_a_person_gets_none_and_their_taste_is_left_out_of_others() {
    let (h, ada, others) = tasteful();

    h.insights.switch_recommendations(ada, false).await.unwrap();
    assert!(matches!(
        h.insights.recommendations(ada, 10).await,
        Err(RecommendError::SwitchedOff)
    ));
    assert!(!h.insights.recommendations_on(ada).await.unwrap());

    h.insights.switch_recommendations(ada, true).await.unwrap();
    h.insights
        .switch_recommendations(others[0], false)
        .await
        .unwrap();
    let found = h.insights.recommendations(ada, 10).await.unwrap();
    assert_eq!(found[0].people, 2, "Bob's likes no longer count");
    assert!(found.iter().all(|found| found.track.title != "Song 11"));
}

#[tokio::test]
async fn a_person_with_no_taste_yet_gets_an_empty_list() {
    let (h, _, _) = tasteful();
    let newcomer = UserId::generate();
    assert!(
        h.insights
            .recommendations(newcomer, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_room_takes_only_the_recommendations_that_fit_it_still_best_first() {
    let (h, ada, _) = tasteful();
    let found = h
        .insights
        .recommendations_where(ada, 5, &|uri| uri != "spotify:track:10")
        .await
        .unwrap();
    let titles: Vec<&str> = found
        .iter()
        .map(|found| found.track.title.as_str())
        .collect();
    assert_eq!(titles, ["Song 11", "Song 12"]);
}
