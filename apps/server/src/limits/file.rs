//! The tier table file (`SOIREE_TIERS_FILE`): every limit in one place, for an operator to tune
//! and a load test to lift. Anything the file leaves out keeps its default.
//!
//! ```toml
//! self_service = false           # true: people may choose their own tier
//!
//! [tiers.free]
//! api_requests = "100/hour"      # or "unlimited"; per second, minute, hour or day
//! playlists = 10                 # or "unlimited"
//! storage = "100 MB"             # B, kB, MB, GB, TB (powers of 1000), or "unlimited"
//! open_rooms = 3
//! participants_per_room = 100
//!
//! [pages]                        # a signed-in person using the site's pages
//! requests = "600/minute"
//!
//! [anonymous]                    # per client address
//! logins = "10/minute"
//! registrations = "10/hour"
//! room_lookups = "120/minute"
//! guest_joins = "120/hour"
//! ```

use std::path::Path;
use std::time::Duration;

use anyhow::{Context as _, bail};
use serde::Deserialize;
use soiree_kernel::Tier;
use soiree_tiers::{AnonymousSurface, Limit, RatePolicy, TierTable};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TierFile {
    /// Whether people may choose their own tier (`POST /api/v1/me/tier`).
    #[serde(default)]
    self_service: bool,
    #[serde(default)]
    tiers: TiersSection,
    #[serde(default)]
    pages: PagesSection,
    #[serde(default)]
    anonymous: AnonymousSection,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TiersSection {
    free: Option<TierSection>,
    premium: Option<TierSection>,
    enterprise: Option<TierSection>,
    vip: Option<TierSection>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TierSection {
    api_requests: Option<String>,
    playlists: Option<Amount>,
    storage: Option<Amount>,
    open_rooms: Option<Amount>,
    participants_per_room: Option<Amount>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PagesSection {
    requests: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AnonymousSection {
    logins: Option<String>,
    registrations: Option<String>,
    room_lookups: Option<String>,
    guest_joins: Option<String>,
}

/// A count or a size: a number, or a string (`"unlimited"`, `"100 MB"`).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Amount {
    Number(u64),
    Text(String),
}

/// Reads the table from `path`, over the defaults.
pub(crate) fn read(path: &Path) -> anyhow::Result<TierTable> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the tier table {}", path.display()))?;
    parse(&text).with_context(|| format!("in the tier table {}", path.display()))
}

/// The table a file's text describes, over the defaults.
pub(crate) fn parse(text: &str) -> anyhow::Result<TierTable> {
    let file: TierFile = toml::from_str(text)?;
    let mut table = TierTable::defaults();
    table.self_service = file.self_service;
    let sections = [
        (Tier::Free, file.tiers.free),
        (Tier::Premium, file.tiers.premium),
        (Tier::Enterprise, file.tiers.enterprise),
        (Tier::Vip, file.tiers.vip),
    ];
    for (tier, section) in sections {
        let Some(section) = section else { continue };
        let mut limits = table.tier(tier);
        let name = |field: &str| format!("tiers.{tier}.{field}");
        if let Some(rate) = &section.api_requests {
            limits.api_requests = rate_policy(rate).with_context(|| name("api_requests"))?;
        }
        let quotas = &mut limits.quotas;
        for (field, amount, slot, unit) in [
            (
                "playlists",
                &section.playlists,
                &mut quotas.playlists,
                Unit::Count,
            ),
            (
                "storage",
                &section.storage,
                &mut quotas.storage_bytes,
                Unit::Bytes,
            ),
            (
                "open_rooms",
                &section.open_rooms,
                &mut quotas.open_rooms,
                Unit::Count,
            ),
            (
                "participants_per_room",
                &section.participants_per_room,
                &mut quotas.participants_per_room,
                Unit::Count,
            ),
        ] {
            if let Some(amount) = amount {
                *slot = limit(amount, unit).with_context(|| name(field))?;
            }
        }
        table.set_tier(tier, limits);
    }
    if let Some(rate) = &file.pages.requests {
        table.pages = rate_policy(rate).context("pages.requests")?;
    }
    for (surface, field, rate) in [
        (AnonymousSurface::Login, "logins", &file.anonymous.logins),
        (
            AnonymousSurface::Registration,
            "registrations",
            &file.anonymous.registrations,
        ),
        (
            AnonymousSurface::RoomLookup,
            "room_lookups",
            &file.anonymous.room_lookups,
        ),
        (
            AnonymousSurface::GuestJoin,
            "guest_joins",
            &file.anonymous.guest_joins,
        ),
    ] {
        if let Some(rate) = rate {
            let policy = rate_policy(rate).with_context(|| format!("anonymous.{field}"))?;
            table.set_anonymous(surface, policy);
        }
    }
    Ok(table)
}

#[derive(Debug, Clone, Copy)]
enum Unit {
    Count,
    Bytes,
}

fn limit(amount: &Amount, unit: Unit) -> anyhow::Result<Limit> {
    match amount {
        Amount::Number(number) => Ok(Limit::AtMost(*number)),
        Amount::Text(text) if text.trim().eq_ignore_ascii_case("unlimited") => Ok(Limit::Unlimited),
        Amount::Text(text) => {
            match unit {
                Unit::Count => text.trim().parse().map(Limit::AtMost).map_err(|_| {
                    anyhow::anyhow!("{text:?} is not a whole number or \"unlimited\"")
                }),
                Unit::Bytes => bytes(text).map(Limit::AtMost),
            }
        }
    }
}

/// `"100 MB"` and the like, in powers of 1000 (as disks and providers count).
fn bytes(text: &str) -> anyhow::Result<u64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().map_err(|_| {
        anyhow::anyhow!("{text:?} is not a size such as \"100 MB\" or \"unlimited\"")
    })?;
    let factor: u64 = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "KB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        "TB" => 1_000_000_000_000,
        other => bail!("{other:?} is not a unit; use B, kB, MB, GB or TB"),
    };
    number
        .checked_mul(factor)
        .ok_or_else(|| anyhow::anyhow!("{text:?} is too large"))
}

/// `"100/hour"`, `"10/minute"`, `"unlimited"`.
fn rate_policy(text: &str) -> anyhow::Result<RatePolicy> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("unlimited") {
        return Ok(RatePolicy::unlimited());
    }
    let invalid = || {
        anyhow::anyhow!(
            "{text:?} is not a rate such as \"100/hour\" (per second, minute, hour or day) or \"unlimited\""
        )
    };
    let (count, per) = text.split_once('/').ok_or_else(invalid)?;
    let count: u64 = count.trim().parse().map_err(|_| invalid())?;
    let window = match per.trim().to_ascii_lowercase().as_str() {
        "second" | "s" => Duration::from_secs(1),
        "minute" | "min" => Duration::from_secs(60),
        "hour" | "h" => Duration::from_secs(3600),
        "day" | "d" => Duration::from_secs(86_400),
        _ => return Err(invalid()),
    };
    Ok(RatePolicy::new(Limit::AtMost(count), window))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_overrides_what_it_names_and_keeps_the_rest() {
        let table = parse(
            r#"
            [tiers.free]
            api_requests = "250/hour"
            storage = "2 GB"
            playlists = "unlimited"

            [anonymous]
            logins = "5/minute"
            "#,
        )
        .unwrap();
        let free = table.tier(Tier::Free);
        assert_eq!(free.api_requests, RatePolicy::per_hour(250));
        assert_eq!(free.quotas.storage_bytes, Limit::AtMost(2_000_000_000));
        assert_eq!(free.quotas.playlists, Limit::Unlimited);
        assert_eq!(
            free.quotas.open_rooms,
            TierTable::defaults().tier(Tier::Free).quotas.open_rooms
        );
        assert_eq!(
            table.anonymous(AnonymousSurface::Login),
            RatePolicy::per_minute(5)
        );
        assert_eq!(
            table.tier(Tier::Premium),
            TierTable::defaults().tier(Tier::Premium)
        );
        assert_eq!(parse("").unwrap(), TierTable::defaults());
    }

    #[test]
    fn a_mistake_names_the_entry_and_what_is_expected() {
        let cases = [
            (
                "[tiers.free]\napi_requests = \"100 per hour\"",
                "tiers.free.api_requests",
            ),
            ("[tiers.gold]\nplaylists = 3", "unknown field"),
            (
                "[tiers.free]\nstorage = \"3 parsecs\"",
                "tiers.free.storage",
            ),
            ("[anonymous]\nlogin = \"5/minute\"", "unknown field"),
            ("[pages]\nrequests = \"600/fortnight\"", "pages.requests"),
        ];
        for (text, named) in cases {
            let error = format!("{:#}", parse(text).unwrap_err());
            assert!(error.contains(named), "{text}: {error}");
        }
    }

    #[test]
    fn the_load_test_file_lifts_every_limit() {
        let table = parse(include_str!("../../../load/tiers-unlimited.toml")).unwrap();
        assert_eq!(table, TierTable::unlimited());
    }
}
