//! `soiree generate-analytics`: the server's activity over a period, as a table, JSON or CSV.

use std::time::Duration;

use serde::Serialize;
use soiree_tiers::UsageReports as _;

use super::Context;
use crate::cli::{AnalyticsArgs, Format};

/// The report: every figure with its name, so that the three formats say the same.
#[derive(Debug, Serialize)]
struct Report {
    period_start: chrono::DateTime<chrono::Utc>,
    period_end: chrono::DateTime<chrono::Utc>,
    figures: Vec<Figure>,
    /// The accounts that met the most errors, at most ten.
    errors_by_account: Vec<AccountErrors>,
    /// The liked-track sync of the accounts whose runs failed or waited most, at most ten.
    sync_by_account: Vec<AccountSync>,
}

#[derive(Debug, Serialize)]
struct AccountSync {
    username: String,
    runs: u64,
    added: u64,
    rate_limit_waits: u64,
    /// Runs that failed or stopped (a connection to make again).
    failures: u64,
}

#[derive(Debug, Serialize)]
struct AccountErrors {
    username: String,
    /// Server errors (5xx) the account met.
    errors: u64,
    /// Refusals (4xx) the account met.
    refusals: u64,
}

#[derive(Debug, Serialize)]
struct Figure {
    name: String,
    value: u64,
}

/// `soiree generate-analytics`.
pub(crate) async fn generate(args: &AnalyticsArgs) -> anyhow::Result<()> {
    let context = Context::open(&args.job).await?;
    let outcome = write(&context, args.period.into(), args.format).await;
    context.database.close().await?;
    outcome
}

/// Reads the activity of the last `period` and writes it.
pub(crate) async fn write(
    context: &Context,
    period: Duration,
    format: Format,
) -> anyhow::Result<()> {
    let (report, connected, known) = report(context, period).await?;
    print(&report, connected, known, format)
}

/// The activity of the last `period` in one line, for the log.
pub(crate) async fn summary(context: &Context, period: Duration) -> anyhow::Result<String> {
    let (report, _, _) = report(context, period).await?;
    Ok(report
        .figures
        .iter()
        .map(|figure| format!("{}={}", figure.name, figure.value))
        .collect::<Vec<_>>()
        .join(" "))
}

/// The report, with the connections connected and known.
async fn report(context: &Context, period: Duration) -> anyhow::Result<(Report, u64, u64)> {
    let end = chrono::Utc::now();
    let start = end - chrono::Duration::from_std(period).unwrap_or(chrono::Duration::MAX);
    let activity = context.database.reports().activity(start).await?;
    let mut figures = Vec::new();
    let mut figure = |name: String, value: u64| figures.push(Figure { name, value });
    // Counted by day: the period starts at the beginning of its first day.
    for (tier, count) in &activity.accounts_by_tier {
        figure(format!("accounts.{tier}"), *count);
    }
    figure("accounts.operators".into(), activity.operators);
    figure("accounts.new".into(), activity.new_accounts);
    figure("accounts.active".into(), activity.active_accounts);
    figure("accounts.failed_logins".into(), activity.failed_logins);
    figure("accounts.tier_changes".into(), activity.tier_changes);
    figure("rooms.created".into(), activity.rooms_created);
    figure("rooms.open_now".into(), activity.rooms_open);
    figure("rooms.joins".into(), activity.room_joins);
    figure("rooms.votes".into(), activity.votes);
    for (name, value) in &activity.counts {
        figure(name.clone(), *value);
    }
    let mut connected = 0;
    let mut known = 0;
    for (provider, status, count) in &activity.connections {
        figure(format!("connections.{provider}.{status}"), *count);
        known += count;
        if status == "connected" {
            connected += count;
        }
    }
    // Connection attempts: how many of those made (code exchanges) succeeded.
    let attempts: u64 = activity
        .counts
        .iter()
        .filter(|(name, _)| name.starts_with("connection_attempt."))
        .map(|(_, value)| value)
        .sum();
    let succeeded: u64 = activity
        .counts
        .iter()
        .filter(|(name, _)| name.starts_with("connection_attempt.") && name.ends_with(".ok"))
        .map(|(_, value)| value)
        .sum();
    if let Some(share) = (succeeded * 100).checked_div(attempts) {
        figures.push(Figure {
            name: "connection_attempts.success_percent".into(),
            value: share,
        });
    }
    let mut errors_by_account = Vec::new();
    for (user, errors, refusals) in &activity.errors_by_account {
        let username = context.users.user(*user).await?.map_or_else(
            || user.to_string(),
            |user| user.username.as_str().to_owned(),
        );
        errors_by_account.push(AccountErrors {
            username,
            errors: *errors,
            refusals: *refusals,
        });
    }
    // The liked-track sync: runs, likes added and removed, rate-limit waits, failures.
    use soiree_sync::SyncRepository as _;
    let mut people = context.database.sync().activity(start).await?;
    for (name, value) in [
        (
            "sync.runs",
            people.iter().map(|person| person.runs).sum::<u64>(),
        ),
        (
            "sync.likes_added",
            people.iter().map(|person| person.added).sum(),
        ),
        (
            "sync.likes_removed",
            people.iter().map(|person| person.removed).sum(),
        ),
        (
            "sync.rate_limit_waits",
            people.iter().map(|person| person.rate_limit_waits).sum(),
        ),
        (
            "sync.failures",
            people.iter().map(|person| person.failures).sum(),
        ),
        ("sync.people", people.len() as u64),
    ] {
        figures.push(Figure {
            name: name.to_owned(),
            value,
        });
    }
    people.sort_by_key(|person| std::cmp::Reverse((person.failures, person.rate_limit_waits)));
    let mut sync_by_account = Vec::new();
    for person in people
        .into_iter()
        .filter(|person| person.failures + person.rate_limit_waits > 0)
        .take(10)
    {
        let username = context.users.user(person.user).await?.map_or_else(
            || person.user.to_string(),
            |user| user.username.as_str().to_owned(),
        );
        sync_by_account.push(AccountSync {
            username,
            runs: person.runs,
            added: person.added,
            rate_limit_waits: person.rate_limit_waits,
            failures: person.failures,
        });
    }
    let report = Report {
        period_start: start,
        period_end: end,
        figures,
        errors_by_account,
        sync_by_account,
    };
    Ok((report, connected, known))
}

fn print(report: &Report, connected: u64, known: u64, format: Format) -> anyhow::Result<()> {
    let (start, end) = (report.period_start, report.period_end);
    match format {
        Format::Json => println!("{}", serde_json::to_string_pretty(report)?),
        Format::Csv => {
            let mut writer = csv::Writer::from_writer(std::io::stdout());
            writer.write_record(["name", "value"])?;
            for figure in &report.figures {
                writer.write_record([figure.name.as_str(), &figure.value.to_string()])?;
            }
            for account in &report.errors_by_account {
                for (kind, value) in [("errors", account.errors), ("refusals", account.refusals)] {
                    let name = format!("account.{}.{kind}", account.username);
                    writer.write_record([name.as_str(), &value.to_string()])?;
                }
            }
            for account in &report.sync_by_account {
                for (kind, value) in [
                    ("runs", account.runs),
                    ("added", account.added),
                    ("rate_limit_waits", account.rate_limit_waits),
                    ("failures", account.failures),
                ] {
                    let name = format!("account.{}.sync.{kind}", account.username);
                    writer.write_record([name.as_str(), &value.to_string()])?;
                }
            }
            writer.flush()?;
        }
        Format::Table => {
            println!(
                "Activity from {} to {}",
                start.format("%Y-%m-%d %H:%M UTC"),
                end.format("%Y-%m-%d %H:%M UTC")
            );
            for figure in &report.figures {
                println!("{:<40} {:>10}", figure.name, figure.value);
            }
            if let Some(share) = (connected * 100).checked_div(known) {
                println!("{:<40} {:>9}%", "connections.connected_share", share);
            }
            if !report.errors_by_account.is_empty() {
                println!("Errors met, by account (the ten most):");
                for account in &report.errors_by_account {
                    println!(
                        "  {:<36} {:>6} server errors {:>6} refusals",
                        account.username, account.errors, account.refusals
                    );
                }
            }
            if !report.sync_by_account.is_empty() {
                println!(
                    "Liked-track sync, by account (failures and rate-limit waits, the ten most):"
                );
                for account in &report.sync_by_account {
                    println!(
                        "  {:<36} {:>4} runs {:>6} added {:>4} waits {:>4} failed",
                        account.username,
                        account.runs,
                        account.added,
                        account.rate_limit_waits,
                        account.failures
                    );
                }
            }
        }
    }
    Ok(())
}
