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
