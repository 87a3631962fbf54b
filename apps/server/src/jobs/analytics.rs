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
    /// What the server does not record yet, so that nobody reads a zero into it.
    not_recorded: Vec<&'static str>,
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
    let mut connected = 0;
    let mut known = 0;
    for (provider, status, count) in &activity.connections {
        figure(format!("connections.{provider}.{status}"), *count);
        known += count;
        if status == "connected" {
            connected += count;
        }
    }
    let report = Report {
        period_start: start,
        period_end: end,
        figures,
        not_recorded: vec![
            "token refreshes by outcome",
            "connection attempts (only each connection's current status is kept)",
            "errors per user",
        ],
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
            println!("Not recorded yet: {}.", report.not_recorded.join("; "));
        }
    }
    Ok(())
}
