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
//! let mine = [Heard { uri: "a".into(), title: "Alpha".into(), artists: vec![] }];
//! let taste = |uris: &[&str]| Taste { uris: uris.iter().map(|uri| (*uri).to_owned()).collect() };
//! let others = [
//!     taste(&["a", "b"]),
//!     taste(&["a", "b", "c"]),
//!     taste(&["z"]), // shares nothing: not counted
//! ];
//! let found = recommend(&mine, &others, 10, &|_| true);
//! assert_eq!((found[0].uri.as_str(), found[0].people), ("b", 2));
//! assert_eq!(found[0].because.title, "Alpha");
//! assert_eq!(found.len(), 2);
//! ```

pub mod memory;
mod model;
mod ports;
mod rules;
mod service;

pub use model::{
    Candidate, Counts, Heard, Insights, Recommendation, RoomRole, RoomVisit, RoomsSummary, Signal,
    SignalKind, Taste, TopArtist, TopTrack, Week,
};
pub use ports::{ListeningRecord, RecommendationSwitch, Tastes};
pub use rules::{recommend, summarize, week_start};
pub use service::{InsightsConfig, InsightsError, InsightsService, RecommendError, SwitchError};
