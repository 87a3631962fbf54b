//! The liked-track sync of Soirée. Every connected person's liked tracks on each service are
//! pulled every interval (default 30 minutes), the people spread over it: newest first, stopping
//! at the newest like the last run saw, so that a person with nothing new costs one request; a
//! full read (weekly by default, the first time, and on demand) also notices unlikes. A rate
//! limit pauses that person's run, with its place kept page by page, until the service's
//! `Retry-After` (capped) is over; no worker waits for it. A connection that needs reconnecting
//! stops that person's sync, and says so. Each run is held by one process at a time through a
//! lease in storage ([`SyncRepository::claim_due`]).
//!
//! The crate owns the rules ([`take_new`], [`SyncService`]) and the ports they need:
//! [`LikesSource`] reads a page of likes, [`SyncRepository`] keeps the state, the likes and the
//! runs, [`LikesLibrary`] is told what arrived and what left. It knows nothing of HTTP,
//! providers' formats or databases; [`memory`] holds in-process versions.
//!
//! ```
//! # use std::sync::Arc;
//! # use soiree_kernel::{ManualClock, UserId};
//! # use soiree_sync::{SyncConfig, SyncService, SyncKey, memory::{FakeLikes, InMemoryLikesLibrary, InMemorySync}};
//! # tokio_test_block_on(async {
//! let clock = ManualClock::starting_at(chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap());
//! let ada = SyncKey::new(UserId::generate(), "spotify");
//! let likes = FakeLikes::with_pages(10);
//! likes.like_many(&ada, 120);
//! let store = InMemorySync::default();
//! store.connect(&ada);
//! let library = InMemoryLikesLibrary::default();
//! let sync = SyncService::new(
//!     Arc::new(likes.clone()), Arc::new(store), Arc::new(library.clone()),
//!     Arc::new(clock), SyncConfig::default(), "process-a",
//! );
//! sync.run_due().await.unwrap(); // enrols Ada somewhere in the next 30 minutes
//! sync.request_now(ada.user, false).await.unwrap(); // or now, if she asks
//! sync.run_due().await.unwrap();
//! assert_eq!(library.count(&ada), 120);
//! assert_eq!(likes.requests(), 12); // ten likes a page
//! # });
//! # fn tokio_test_block_on<F: std::future::Future>(future: F) -> F::Output {
//! #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(future)
//! # }
//! ```

pub mod downloads;
pub mod memory;
mod model;
mod ports;
mod rules;
mod service;

pub use model::{
    FullRead, Liked, LikesPage, Marker, Outcome, PageFailure, PersonSync, RunId, RunProgress,
    RunResult, SyncKey, SyncMode, SyncPreferences, SyncState, SyncStatus,
};
pub use ports::{LikesLibrary, LikesSource, SyncRepository};
pub use rules::{next_run_after, spread_offset, take_new};
pub use service::{PreferencesError, SyncConfig, SyncService};
