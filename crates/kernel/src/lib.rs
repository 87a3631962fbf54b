//! The small kernel every Soirée domain crate shares: row ids, the [`Clock`] port, and value types
//! that more than one domain needs (a user's [`Tier`], a [`TrackRef`]), and a [`TtlCache`] for
//! the values services re-read on every request.
//!
//! It must know nothing of storage, HTTP, JSON or any provider: it is the bottom of the
//! dependency graph and stays pure computation.
//!
//! Its ports are the ones every domain may need: [`Clock`] (the time, so that tests can move
//! it), and for scheduled work [`JobSchedule`] (one claim per job and period across processes),
//! [`Housekeeping`] (what is kept how long) and [`Tally`] (daily counts for reports). Each
//! trait's documentation says what an implementation MUST do.
//!
//! ```
//! use soiree_kernel::{Tier, TrackRef};
//!
//! // A track from a Spotify share link, as people paste it.
//! let track = TrackRef::parse("https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC?si=x").unwrap();
//! assert_eq!(track.as_str(), "spotify:track:4uLU6hMCjMI75M1A2tKUQC");
//! assert!(track.is_spotify());
//! assert!(TrackRef::parse("not a track").is_err());
//! assert_eq!("premium".parse::<Tier>().ok(), Some(Tier::Premium));
//! ```

mod cache;
mod clock;
mod id;
mod jobs;
mod tier;
mod track;

pub use cache::TtlCache;
pub use clock::{Clock, ManualClock, SystemClock, Timestamp};
pub use id::UserId;
pub use jobs::{Housekeeping, JobSchedule, Retention, Swept, Tally};
pub use tier::{Tier, UnknownTier};
pub use track::{InvalidTrackRef, TrackInfo, TrackRef};
