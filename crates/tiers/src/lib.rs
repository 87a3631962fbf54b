//! Tiers, quotas and rate limits.
//!
//! A [`TierTable`] says, for each [`Tier`](soiree_kernel::Tier), what an account may keep
//! ([`Quotas`]) and how many API requests it may make ([`RatePolicy`]), and sets the limits that
//! protect the anonymous surfaces (login, registration, looking rooms up by code, joining as a
//! guest) per client address. [`RateLimits`] admits or refuses a request through the
//! [`RateCounter`] port, which counts hits in fixed windows; the rule itself, [`admit`], is pure.
//!
//! Counting is the adapter's: [`memory::InMemoryRateCounter`] for one process, a database table
//! (in `soiree-storage`) when several processes must share one budget.
//!
//! Ports: [`RateCounter`] (MUST count atomically, so that a budget holds under requests made at
//! once and across processes), [`TierBook`] (each account's tier, overrides and the record of
//! changes), [`QuotaBook`] (an account's standing, for the domains that spend quotas) and
//! [`UsageReports`] (what the operator's reports and the metrics read). [`TiersService`] is the
//! use-case entry point; [`memory`] has in-process implementations.
//!
//! ```
//! # use std::sync::Arc;
//! # use soiree_kernel::{SystemClock, Tier, UserId};
//! # use soiree_tiers::{Admission, RateLimits, Subject, TierTable, memory::InMemoryRateCounter};
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let limits = RateLimits::new(
//!     TierTable::defaults(),
//!     Arc::new(InMemoryRateCounter::default()),
//!     Arc::new(SystemClock),
//! );
//! let program = Subject::Program { user: UserId::generate(), tier: Tier::Free };
//! // Free: 100 API requests an hour; the 101st is refused with the time to wait.
//! for _ in 0..100 {
//!     assert!(matches!(limits.admit(&program).await.unwrap(), Admission::Allowed { .. }));
//! }
//! assert!(matches!(limits.admit(&program).await.unwrap(), Admission::Refused { .. }));
//! # });
//! ```

mod limits;
pub mod memory;
mod ports;
mod quota;
mod rate;
mod report;
mod service;

pub use limits::{AnonymousSurface, Limit, Quotas, RatePolicy, TierLimits, TierTable};
pub use ports::{QuotaBook, RateCounter, TierBook};
pub use quota::{API_REQUESTS, InvalidOverride, Overrides, Quota, QuotaExceeded, Standing};
pub use rate::{Admission, RateKey, RateLimits, Subject, admit, client_network};
pub use report::{Activity, Census, QuotaStatus, Usage, UsageReports};
pub use service::{ChangeTierError, ChangedBy, Overview, StandingError, TierChange, TiersService};
