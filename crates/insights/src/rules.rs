//! The pure decisions: what ranks first, which week a signal falls in, what to recommend.

use std::collections::{HashMap, HashSet};

use chrono::{Datelike as _, TimeDelta, Timelike as _};
use soiree_kernel::Timestamp;

use crate::model::{Candidate, Counts, Heard, Signal, Taste, TopArtist, TopTrack, Week};

/// The first instant of the week (Monday, 00:00 UTC) that holds `at`.
pub fn week_start(at: Timestamp) -> Timestamp {
    let days = i64::from(at.weekday().num_days_from_monday());
    let midnight = at
        - TimeDelta::hours(i64::from(at.hour()))
        - TimeDelta::minutes(i64::from(at.minute()))
        - TimeDelta::seconds(i64::from(at.second()))
        - TimeDelta::nanoseconds(i64::from(at.nanosecond()));
    midnight - TimeDelta::days(days)
}

/// A person's totals, top artists and tracks (`top` of each, highest score first, then the
/// most liked, then by name) and their last `weeks` weeks up to `now`, oldest first.
pub fn summarize(
    signals: &[Signal],
    now: Timestamp,
    weeks: usize,
    top: usize,
) -> (Counts, Vec<TopArtist>, Vec<TopTrack>, Vec<Week>) {
    let mut totals = Counts::default();
    let mut artists: HashMap<&str, Counts> = HashMap::new();
    let mut tracks: HashMap<&str, (&Heard, Counts)> = HashMap::new();
    let this_week = week_start(now);
    let first_week = this_week - TimeDelta::weeks(i64::try_from(weeks).unwrap_or(0) - 1);
    let mut by_week = vec![Counts::default(); weeks];
    for signal in signals {
        totals.add(signal.kind);
        // An artist counts once per signal, even when named twice.
        let named: HashSet<&str> = signal.track.artists.iter().map(String::as_str).collect();
        for artist in named {
            artists.entry(artist).or_default().add(signal.kind);
        }
        tracks
            .entry(signal.track.uri.as_str())
            .or_insert((&signal.track, Counts::default()))
            .1
            .add(signal.kind);
        let week = week_start(signal.at);
        if weeks > 0 && week >= first_week && week <= this_week {
            let index = usize::try_from((week - first_week).num_weeks()).unwrap_or(0);
            if let Some(counts) = by_week.get_mut(index) {
                counts.add(signal.kind);
            }
        }
    }
    let mut top_artists: Vec<TopArtist> = artists
        .into_iter()
        .filter(|(_, counts)| counts.score() > 0)
        .map(|(name, counts)| TopArtist {
            name: name.to_owned(),
            counts,
        })
        .collect();
    top_artists.sort_by(|a, b| {
        (b.counts.score(), b.counts.liked)
            .cmp(&(a.counts.score(), a.counts.liked))
            .then_with(|| a.name.cmp(&b.name))
    });
    top_artists.truncate(top);
    let mut top_tracks: Vec<TopTrack> = tracks
        .into_values()
        .filter(|(_, counts)| counts.score() > 0)
        .map(|(track, counts)| TopTrack {
            track: track.clone(),
            counts,
        })
        .collect();
    top_tracks.sort_by(|a, b| {
        (b.counts.score(), b.counts.liked)
            .cmp(&(a.counts.score(), a.counts.liked))
            .then_with(|| a.track.title.cmp(&b.track.title))
            .then_with(|| a.track.uri.cmp(&b.track.uri))
    });
    top_tracks.truncate(top);
    let weeks = by_week
        .into_iter()
        .enumerate()
        .map(|(index, counts)| Week {
            starts: first_week + TimeDelta::weeks(i64::try_from(index).unwrap_or(0)),
            counts,
        })
        .collect();
    (totals, top_artists, top_tracks, weeks)
}

/// Up to `limit` tracks for the person whose taste is `mine`, from the tastes of `others`, that
/// `fits` takes: the tracks liked by the most people who share at least one track with them
/// (co-occurrence), leaving out what they already have; ties go to the track shared with more of
/// the person's tracks, then by address. Each comes with the person's track most of its people
/// share (the reason), found for the chosen ones only.
pub fn recommend(
    mine: &[Heard],
    others: &[Taste],
    limit: usize,
    fits: &dyn Fn(&str) -> bool,
) -> Vec<Candidate> {
    let have: HashMap<&str, &Heard> = mine
        .iter()
        .map(|track| (track.uri.as_str(), track))
        .collect();
    // Each overlapping taste's tracks, and the person's tracks it shares.
    let mut overlapping: Vec<(HashSet<&str>, Vec<&str>)> = Vec::new();
    // Per candidate: people, and the tracks shared by those people (for ties).
    let mut counted: HashMap<&str, (u32, u32)> = HashMap::new();
    for taste in others {
        let theirs: HashSet<&str> = taste.uris.iter().map(String::as_str).collect();
        let shared: Vec<&str> = theirs
            .iter()
            .copied()
            .filter(|uri| have.contains_key(uri))
            .collect();
        if shared.is_empty() {
            continue;
        }
        let overlap = u32::try_from(shared.len()).unwrap_or(u32::MAX);
        for uri in &theirs {
            if !have.contains_key(uri) {
                let entry = counted.entry(uri).or_default();
                entry.0 += 1;
                entry.1 = entry.1.saturating_add(overlap);
            }
        }
        overlapping.push((theirs, shared));
    }
    let mut ranked: Vec<(&str, u32, u32)> = counted
        .into_iter()
        .filter(|(uri, _)| fits(uri))
        .map(|(uri, (people, overlap))| (uri, people, overlap))
        .collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(b.2.cmp(&a.2)).then(a.0.cmp(b.0)));
    ranked.truncate(limit);
    ranked
        .into_iter()
        .filter_map(|(uri, people, _)| {
            let mut because: HashMap<&str, u32> = HashMap::new();
            for (theirs, shared) in &overlapping {
                if theirs.contains(uri) {
                    for mine in shared {
                        *because.entry(mine).or_default() += 1;
                    }
                }
            }
            let because = because
                .into_iter()
                .max_by(|a, b| {
                    a.1.cmp(&b.1)
                        .then_with(|| have[b.0].title.cmp(&have[a.0].title))
                        .then_with(|| b.0.cmp(a.0))
                })
                .map(|(mine, _)| have[mine])?;
            Some(Candidate {
                uri: uri.to_owned(),
                people,
                because: because.clone(),
            })
        })
        .collect()
}
