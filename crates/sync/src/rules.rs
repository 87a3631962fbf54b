//! The sync's pure decisions: where an incremental read stops, when a person is due.

use chrono::TimeDelta;
use soiree_kernel::Timestamp;

use crate::model::{Liked, Marker, SyncKey};

/// How many of `page`'s likes (newest first) are new, given the newest like the last run saw;
/// and whether the read reached what was seen (so it stops). A like is old when it *is* the
/// marker, or when both carry a time and it is older than the marker's (Spotify; its times are
/// to the second, so a like of the same second is read again, and kept once); SoundCloud gives
/// no like times, so its read stops at the marker itself.
pub fn take_new(page: &[Liked], seen: Option<&Marker>) -> (usize, bool) {
    let Some(seen) = seen else {
        return (page.len(), false);
    };
    let old = |liked: &Liked| {
        liked.uri == seen.uri
            || matches!((liked.liked_at, seen.liked_at), (Some(at), Some(mark)) if at < mark)
    };
    match page.iter().position(old) {
        Some(first_old) => (first_old, true),
        None => (page.len(), false),
    }
}

/// When a person whose run was due at `scheduled` is due next: a whole number of intervals
/// later, the first such time after `now`, so that each person keeps their place in the
/// interval (and the people stay spread) even after the server was down.
pub fn next_run_after(scheduled: Timestamp, interval: TimeDelta, now: Timestamp) -> Timestamp {
    let interval = interval.max(TimeDelta::seconds(1));
    if scheduled + interval > now {
        return scheduled + interval;
    }
    let missed = (now - scheduled).num_milliseconds() / interval.num_milliseconds();
    scheduled + interval * i32::try_from(missed + 1).unwrap_or(i32::MAX)
}

/// Where in the interval a person's runs fall: a fixed offset from their id and service
/// (FNV-1a), so that people enrolled together do not all run together.
pub fn spread_offset(key: &SyncKey, interval: TimeDelta) -> TimeDelta {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in key
        .user
        .as_uuid()
        .as_bytes()
        .iter()
        .chain(key.service.as_bytes())
    {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    let span = u64::try_from(interval.num_milliseconds().max(1)).unwrap_or(1);
    TimeDelta::milliseconds(i64::try_from(hash % span).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use soiree_kernel::UserId;

    use super::*;

    fn at(seconds: i64) -> Timestamp {
        chrono::DateTime::from_timestamp(1_800_000_000 + seconds, 0).unwrap()
    }

    fn liked(uri: &str, liked_at: Option<Timestamp>) -> Liked {
        Liked {
            uri: uri.to_owned(),
            title: uri.to_owned(),
            artists: vec![],
            album: None,
            duration_ms: 0,
            liked_at,
            link: None,
            download_url: None,
        }
    }

    #[test]
    fn an_incremental_read_stops_at_what_the_last_run_saw() {
        let timed = [
            liked("c", Some(at(30))),
            liked("b", Some(at(20))),
            liked("a", Some(at(10))),
        ];
        let untimed = [liked("c", None), liked("b", None), liked("a", None)];
        type Case<'a> = (&'a [Liked], Option<Marker>, (usize, bool));
        let cases: [Case<'_>; 8] = [
            // Nothing seen yet: everything is new, keep reading.
            (&timed, None, (3, false)),
            // The marker itself stops the read.
            (
                &untimed,
                Some(Marker {
                    uri: "b".into(),
                    liked_at: None,
                }),
                (1, true),
            ),
            (
                &untimed,
                Some(Marker {
                    uri: "c".into(),
                    liked_at: None,
                }),
                (0, true),
            ),
            // Not on this page: all new, read on.
            (
                &untimed,
                Some(Marker {
                    uri: "z".into(),
                    liked_at: None,
                }),
                (3, false),
            ),
            // With times, a like older than the marker stops it even if the marker's own
            // track was unliked since; one of the marker's second is read again (times are to
            // the second).
            (
                &timed,
                Some(Marker {
                    uri: "gone".into(),
                    liked_at: Some(at(20)),
                }),
                (2, true),
            ),
            (
                &timed,
                Some(Marker {
                    uri: "gone".into(),
                    liked_at: Some(at(21)),
                }),
                (1, true),
            ),
            (
                &timed,
                Some(Marker {
                    uri: "gone".into(),
                    liked_at: Some(at(5)),
                }),
                (3, false),
            ),
            (
                &timed,
                Some(Marker {
                    uri: "gone".into(),
                    liked_at: Some(at(40)),
                }),
                (0, true),
            ),
        ];
        for (page, marker, expected) in cases {
            assert_eq!(take_new(page, marker.as_ref()), expected, "{marker:?}");
        }
    }

    #[test]
    fn a_person_keeps_their_place_in_the_interval() {
        let interval = TimeDelta::minutes(30);
        // On time: one interval later.
        assert_eq!(next_run_after(at(0), interval, at(5)), at(1_800));
        // The server was down for two hours: the next slot after now, same phase.
        assert_eq!(next_run_after(at(0), interval, at(7_300)), at(9_000));
        let ada = SyncKey::new(UserId::generate(), "spotify");
        let offset = spread_offset(&ada, interval);
        assert!(offset >= TimeDelta::zero() && offset < interval);
        assert_eq!(offset, spread_offset(&ada, interval), "stable");
        // A hundred people land all over the interval, not in one place.
        let quarters: std::collections::BTreeSet<i64> = (0..100)
            .map(|_| {
                spread_offset(&SyncKey::new(UserId::generate(), "spotify"), interval).num_seconds()
                    / 450
            })
            .collect();
        assert_eq!(quarters.len(), 4, "{quarters:?}");
    }
}
