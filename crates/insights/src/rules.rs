//! The pure decisions: what ranks first, which week a signal falls in, what to recommend.

use std::collections::{HashMap, HashSet};

use chrono::{Datelike as _, TimeDelta, Timelike as _};
use soiree_kernel::Timestamp;

use crate::model::{Counts, Heard, Recommendation, Signal, Taste, TopArtist, TopTrack, Week};

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

/// Up to `limit` tracks for the person whose taste is `mine`, from the tastes of `others`: the
/// tracks liked by the most people who share at least one track with them (co-occurrence),
/// leaving out what they already have. Each comes with the person's track most of those people
/// share (the reason). Ties go to the track shared with more of the person's tracks, then by
/// title.
pub fn recommend(mine: &[Heard], others: &[Taste], limit: usize) -> Vec<Recommendation> {
    let have: HashMap<&str, &Heard> = mine
        .iter()
        .map(|track| (track.uri.as_str(), track))
        .collect();
    struct Candidate<'a> {
        track: &'a Heard,
        people: u32,
        overlap: u32,
        because: HashMap<&'a str, u32>,
    }
    let mut candidates: HashMap<&str, Candidate<'_>> = HashMap::new();
    for taste in others {
        let theirs: HashSet<&str> = taste
            .tracks
            .iter()
            .map(|track| track.uri.as_str())
            .collect();
        let shared: Vec<&str> = theirs
            .iter()
            .copied()
            .filter(|uri| have.contains_key(uri))
            .collect();
        if shared.is_empty() {
            continue;
        }
        let mut counted = HashSet::new();
        for track in &taste.tracks {
            if have.contains_key(track.uri.as_str()) || !counted.insert(track.uri.as_str()) {
                continue;
            }
            let candidate = candidates
                .entry(track.uri.as_str())
                .or_insert_with(|| Candidate {
                    track,
                    people: 0,
                    overlap: 0,
                    because: HashMap::new(),
                });
            candidate.people += 1;
            candidate.overlap += u32::try_from(shared.len()).unwrap_or(u32::MAX);
            for uri in &shared {
                *candidate.because.entry(uri).or_default() += 1;
            }
        }
    }
    let mut ranked: Vec<(u32, Recommendation)> = candidates
        .into_values()
        .filter_map(|candidate| {
            let because = candidate
                .because
                .iter()
                .max_by(|a, b| {
                    a.1.cmp(b.1)
                        .then_with(|| have[b.0].title.cmp(&have[a.0].title))
                })
                .map(|(uri, _)| have[uri])?;
            Some((
                candidate.overlap,
                Recommendation {
                    track: candidate.track.clone(),
                    people: candidate.people,
                    because: because.clone(),
                },
            ))
        })
        .collect();
    ranked.sort_by(|(a_overlap, a), (b_overlap, b)| {
        b.people
            .cmp(&a.people)
            .then_with(|| b_overlap.cmp(a_overlap))
            .then_with(|| a.track.title.cmp(&b.track.title))
            .then_with(|| a.track.uri.cmp(&b.track.uri))
    });
    ranked
        .into_iter()
        .take(limit)
        .map(|(_, recommendation)| recommendation)
        .collect()
}
