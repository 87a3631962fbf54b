//! The small kernel every Soirée domain crate shares: row ids, the [`Clock`] port, and value types
//! that more than one domain needs (such as a user's [`Tier`]).
//!
//! It must know nothing of storage, HTTP, JSON or any provider: it is the bottom of the
//! dependency graph and stays pure computation.

mod clock;
mod id;
mod tier;

pub use clock::{Clock, ManualClock, SystemClock, Timestamp};
pub use id::UserId;
pub use tier::{Tier, UnknownTier};
