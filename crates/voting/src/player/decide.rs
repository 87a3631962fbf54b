//! The decision of one look at the host's player: pure, so that it is tested on its own.

use std::time::Duration;

use soiree_kernel::TrackRef;

/// How long before the end of a track the next one is queued.
pub const LOOKAHEAD: Duration = Duration::from_secs(5);

/// What the host's player is doing, as the room needs to know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPlayback {
    /// The current track, if the host's player is on a track.
    pub track: Option<TrackRef>,
    /// Playing or paused.
    pub is_playing: bool,
    /// Position in the current track.
    pub progress_ms: u64,
    /// Length of the current track.
    pub duration_ms: u64,
}

impl HostPlayback {
    /// Time left in the current track.
    pub fn remaining(&self) -> Duration {
        Duration::from_millis(self.duration_ms.saturating_sub(self.progress_ms))
    }
}

/// What one look sees.
#[derive(Debug, Clone, Copy, Default)]
pub struct Look<'a> {
    /// The host's player (`None`: nothing loaded).
    pub playback: Option<&'a HostPlayback>,
    /// The room track sent to it (the room's playing track).
    pub ours: Option<&'a TrackRef>,
    /// The room track handed to its queue.
    pub queued: Option<&'a TrackRef>,
    /// A room track that skip votes ended, which the host's player may still be playing.
    pub skipping: Option<&'a TrackRef>,
    /// The head of the ready queue.
    pub next_ready: Option<&'a TrackRef>,
}

/// What to do about a room's playback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Nothing now.
    Wait,
    /// Queue this ready track after the current one.
    Enqueue(TrackRef),
    /// The queued track started: it is now the room's playing track.
    QueuedStarted(TrackRef),
    /// The room's track ended (or the host moved on) and nothing is ready.
    Finished,
    /// Play this ready track now.
    Play(TrackRef),
    /// Stop the skipped track; nothing is ready to replace it.
    Pause,
}

/// The decision for one look at the host's player.
pub fn decide(look: &Look<'_>) -> Decision {
    let Look {
        playback,
        ours,
        queued,
        skipping,
        next_ready,
    } = *look;
    let current = playback.and_then(|playback| playback.track.as_ref());
    let playing = playback.is_some_and(|playback| playback.is_playing);
    if playing && current.is_some() && current == skipping {
        return match next_ready {
            Some(next) => Decision::Play(next.clone()),
            None => Decision::Pause,
        };
    }
    if playing && current.is_some() && current == queued {
        return queued
            .cloned()
            .map_or(Decision::Wait, Decision::QueuedStarted);
    }
    if playing && current.is_some() && current == ours {
        let ending = playback.is_some_and(|playback| playback.remaining() <= LOOKAHEAD);
        return match (ending, queued, next_ready) {
            (true, None, Some(next)) => Decision::Enqueue(next.clone()),
            _ => Decision::Wait,
        };
    }
    if playing {
        // The host is playing something of their own: the room waits for silence.
        return if ours.is_some() {
            Decision::Finished
        } else {
            Decision::Wait
        };
    }
    // Paused in the middle of the room's track: the host paused on purpose.
    if let (Some(playback), Some(current)) = (playback, current)
        && Some(current) == ours
        && playback.progress_ms > 0
        && playback.remaining() > Duration::ZERO
    {
        return Decision::Wait;
    }
    match next_ready {
        Some(next) => Decision::Play(next.clone()),
        None if ours.is_some() => Decision::Finished,
        None => Decision::Wait,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn track(n: u8) -> TrackRef {
        TrackRef::parse(&format!("spotify:track:{n:0>22}")).unwrap()
    }

    fn playback(track_number: u8, playing: bool, progress_ms: u64) -> HostPlayback {
        HostPlayback {
            track: Some(track(track_number)),
            is_playing: playing,
            progress_ms,
            duration_ms: 200_000,
        }
    }

    #[test]
    fn player_loop_decisions() {
        let (one, two, three, own) = (track(1), track(2), track(3), track(9));
        let silence = None;
        let playing_one = playback(1, true, 10_000);
        let ending_one = playback(1, true, 197_000);
        let paused_one = playback(1, false, 10_000);
        let finished_one = playback(1, false, 0);
        let playing_two = playback(2, true, 1_000);
        let playing_own = playback(9, true, 1_000);
        let cases: Vec<(&str, Look<'_>, Decision)> = vec![
            (
                "silence and a ready track: play it",
                Look {
                    playback: silence,
                    next_ready: Some(&one),
                    ..Look::default()
                },
                Decision::Play(one.clone()),
            ),
            (
                "silence and nothing ready: wait",
                Look::default(),
                Decision::Wait,
            ),
            (
                "ours playing, far from the end: wait",
                Look {
                    playback: Some(&playing_one),
                    ours: Some(&one),
                    next_ready: Some(&two),
                    ..Look::default()
                },
                Decision::Wait,
            ),
            (
                "ours ending, next ready: queue it",
                Look {
                    playback: Some(&ending_one),
                    ours: Some(&one),
                    next_ready: Some(&two),
                    ..Look::default()
                },
                Decision::Enqueue(two.clone()),
            ),
            (
                "ours ending, already queued: never queue twice",
                Look {
                    playback: Some(&ending_one),
                    ours: Some(&one),
                    queued: Some(&two),
                    next_ready: Some(&two),
                    ..Look::default()
                },
                Decision::Wait,
            ),
            (
                "the queued track started",
                Look {
                    playback: Some(&playing_two),
                    ours: Some(&one),
                    queued: Some(&two),
                    next_ready: Some(&two),
                    ..Look::default()
                },
                Decision::QueuedStarted(two.clone()),
            ),
            (
                "the host paused ours mid-track: leave it",
                Look {
                    playback: Some(&paused_one),
                    ours: Some(&one),
                    next_ready: Some(&two),
                    ..Look::default()
                },
                Decision::Wait,
            ),
            (
                "ours ended, next ready: play it",
                Look {
                    playback: Some(&finished_one),
                    ours: Some(&one),
                    next_ready: Some(&two),
                    ..Look::default()
                },
                Decision::Play(two.clone()),
            ),
            (
                "ours ended, nothing ready: finished",
                Look {
                    playback: Some(&finished_one),
                    ours: Some(&one),
                    ..Look::default()
                },
                Decision::Finished,
            ),
            (
                "the host plays their own music: ours is over",
                Look {
                    playback: Some(&playing_own),
                    ours: Some(&one),
                    next_ready: Some(&two),
                    ..Look::default()
                },
                Decision::Finished,
            ),
            (
                "the host plays their own music and the room had nothing playing: wait",
                Look {
                    playback: Some(&playing_own),
                    next_ready: Some(&two),
                    ..Look::default()
                },
                Decision::Wait,
            ),
            (
                "skip votes ended the playing track: play the next",
                Look {
                    playback: Some(&playing_one),
                    skipping: Some(&one),
                    next_ready: Some(&three),
                    ..Look::default()
                },
                Decision::Play(three.clone()),
            ),
            (
                "skip votes ended it and nothing is ready: pause",
                Look {
                    playback: Some(&playing_one),
                    skipping: Some(&one),
                    ..Look::default()
                },
                Decision::Pause,
            ),
            (
                "the skipped track is gone already: carry on as usual",
                Look {
                    playback: Some(&playing_own),
                    skipping: Some(&one),
                    next_ready: Some(&two),
                    ..Look::default()
                },
                Decision::Wait,
            ),
        ];
        for (what, look, expected) in cases {
            assert_eq!(decide(&look), expected, "{what}");
        }
        let _ = own;
    }
}
