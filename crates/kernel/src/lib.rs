//! The small kernel every Soirée domain crate shares: row ids, the [`Clock`] port, and value types
//! that more than one domain needs (a user's [`Tier`], a [`TrackRef`]), and a [`TtlCache`] for
//! the values services re-read on every request.
//!
//! It must know nothing of storage, HTTP, JSON or any provider: it is the bottom of the
//! dependency graph and stays pure computation.

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
