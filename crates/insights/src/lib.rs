//! Insights and recommendations of Soirée. A person's **insights** are drawn from what they did
//! with tracks: their likes kept by the sync, the tracks played in rooms they hosted or joined,
//! and their votes; they give top artists and tracks, the last weeks' history, and their rooms.
//! **Recommendations** are tracks liked by the people whose likes and votes overlap theirs
//! (co-occurrence), each with its reason ("liked by 3 people who also like X"); a person may
//! switch them off, which also keeps their taste out of everybody else's.
//!
//! The crate owns the rules ([`summarize`], [`recommend`]) and the ports they need:
//! [`ListeningRecord`], [`Tastes`], [`RecommendationSwitch`]; [`memory`] holds in-process
//! versions.
//!
//! ```
//! # use soiree_insights::{Heard, Taste, recommend};
//! let song = |uri: &str, title: &str| Heard { uri: uri.into(), title: title.into(), artists: vec![] };
//! let mine = [song("a", "Alpha")];
//! let others = [
//!     Taste { tracks: vec![song("a", "Alpha"), song("b", "Beta")] },
//!     Taste { tracks: vec![song("a", "Alpha"), song("b", "Beta"), song("c", "Gamma")] },
//!     Taste { tracks: vec![song("z", "Zeta")] }, // shares nothing: not counted
//! ];
//! let found = recommend(&mine, &others, 10);
//! assert_eq!(found[0].track.title, "Beta");
//! assert_eq!(found[0].reason(), "liked by 2 people who also like Alpha");
//! assert_eq!(found.len(), 2);
//! ```

pub mod memory;
mod model;
mod ports;
mod rules;
mod service;

pub use model::{
    Counts, Heard, Insights, Recommendation, RoomRole, RoomVisit, RoomsSummary, Signal, SignalKind,
    Taste, TopArtist, TopTrack, Week,
};
pub use ports::{ListeningRecord, RecommendationSwitch, Tastes};
pub use rules::{recommend, summarize, week_start};
pub use service::{InsightsConfig, InsightsError, InsightsService, RecommendError, SwitchError};
