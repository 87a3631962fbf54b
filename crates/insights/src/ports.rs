//! What insights and recommendations need from the outside world; `soiree-storage` implements
//! them over the database, [`crate::memory`] in the process.

use async_trait::async_trait;
use soiree_kernel::UserId;

use crate::model::{Heard, RoomsSummary, Signal, Taste};

/// What a person did with tracks.
#[async_trait]
pub trait ListeningRecord: Send + Sync + std::fmt::Debug {
    /// Every signal of `user`: their likes kept by the sync (at the time liked, or first seen
    /// when the service gives none), the tracks that played in rooms they hosted or joined (at
    /// the time they were ready to play), and their votes as a signed-in participant. MUST hold
    /// `user`'s own signals only.
    async fn signals(&self, user: UserId) -> anyhow::Result<Vec<Signal>>;

    /// The rooms `user` hosted and joined, with the `recent` latest. A room they host counts as
    /// hosted only, however often they joined it.
    async fn rooms(&self, user: UserId, recent: u32) -> anyhow::Result<RoomsSummary>;
}

/// People's tastes: the tracks they like or voted up.
#[async_trait]
pub trait Tastes: Send + Sync + std::fmt::Debug {
    /// `user`'s own taste, each track once.
    async fn taste_of(&self, user: UserId) -> anyhow::Result<Vec<Heard>>;

    /// The tastes (addresses only) of up to `limit` other people who share at least one track
    /// with `user`, the most shared first. MUST leave out `user` and every person who switched recommendations
    /// off (their taste is not used for others either), and say nothing of who they are.
    async fn neighbours(&self, user: UserId, limit: u32) -> anyhow::Result<Vec<Taste>>;

    /// What is known of the tracks at `uris` (from anyone's likes, or the rooms' track
    /// details); an unknown one is left out.
    async fn describe(&self, uris: &[String]) -> anyhow::Result<Vec<Heard>>;
}

/// Each person's switch for recommendations (on unless they turned it off).
#[async_trait]
pub trait RecommendationSwitch: Send + Sync + std::fmt::Debug {
    /// Whether `user` takes part in recommendations.
    async fn is_on(&self, user: UserId) -> anyhow::Result<bool>;

    /// Turns `user`'s recommendations on or off.
    async fn set(&self, user: UserId, on: bool) -> anyhow::Result<()>;
}
