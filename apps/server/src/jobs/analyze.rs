//! `soiree analyze-tiers`: accounts near or over their quotas and limits, the upgrade
//! candidates, as a table, JSON or CSV.

use serde::Serialize;
use soiree_tiers::{Limit, Quota, QuotaStatus, UsageReports as _};

use super::{Context, progress};
use crate::cli::{AnalyzeArgs, Format};

/// One use of one account against its limit.
#[derive(Debug, Serialize)]
struct Measure {
    limit: &'static str,
    used: Option<u64>,
    /// `null`: no limit.
    allowed: Option<u64>,
    status: &'static str,
}

/// One account's standing.
#[derive(Debug, Serialize)]
struct Line {
    username: String,
    tier: &'static str,
    upgrade_candidate: bool,
    measures: Vec<Measure>,
}

fn allowed(limit: Limit) -> Option<u64> {
    match limit {
        Limit::AtMost(most) => Some(most),
        Limit::Unlimited => None,
    }
}

/// `soiree analyze-tiers`.
pub(crate) async fn analyze(args: &AnalyzeArgs) -> anyhow::Result<()> {
    let context = Context::open(&args.job).await?;
    let outcome = write(&context, args.format, args.all).await;
    context.database.close().await?;
    outcome
}

/// Reads every account and writes the report.
pub(crate) async fn write(context: &Context, format: Format, all: bool) -> anyhow::Result<()> {
    let (lines, total) = lines(context, all).await?;
    print(&lines, total, format)
}

/// How many accounts are upgrade candidates, of how many.
pub(crate) async fn candidates(context: &Context) -> anyhow::Result<(usize, u64)> {
    let (lines, total) = lines(context, false).await?;
    Ok((lines.len(), total))
}

/// Every account's line (or only the candidates'), with the number of accounts.
async fn lines(context: &Context, all: bool) -> anyhow::Result<(Vec<Line>, u64)> {
    let reports = context.database.reports();
    let (_, total) = context.users.list(None, 0, 0).await?;
    let bar = progress(total, "analysing tiers");
    let mut lines = Vec::new();
    let mut offset = 0;
    loop {
        let (page, _) = context.users.list(None, offset, 500).await?;
        if page.is_empty() {
            break;
        }
        offset += page.len() as u64;
        for user in page {
            bar.inc(1);
            let standing = context.tiers.standing_of(user.id).await?;
            let usage = reports.usage(user.id).await?;
            let api_per_hour = standing.limits.api_requests.hourly();
            let mut measures = vec![
                measure(
                    "open_rooms",
                    standing.limit(Quota::OpenRooms),
                    Some(usage.open_rooms),
                ),
                measure(
                    "participants_per_room",
                    standing.limit(Quota::ParticipantsPerRoom),
                    Some(usage.fullest_room),
                ),
                measure(
                    "playlists",
                    standing.limit(Quota::Playlists),
                    Some(usage.playlists),
                ),
                measure(
                    "api_requests_per_hour",
                    api_per_hour,
                    usage.api_requests_this_hour,
                ),
            ];
            let upgrade_candidate = measures
                .iter()
                .any(|measure| measure.status != QuotaStatus::Fine.as_str());
            if !all {
                measures.retain(|measure| measure.status != QuotaStatus::Fine.as_str());
            }
            if all || upgrade_candidate {
                lines.push(Line {
                    username: user.username.as_str().to_owned(),
                    tier: standing.tier.as_str(),
                    upgrade_candidate,
                    measures,
                });
            }
        }
    }
    bar.finish_and_clear();
    Ok((lines, total))
}

fn print(lines: &[Line], total: u64, format: Format) -> anyhow::Result<()> {
    match format {
        Format::Json => println!("{}", serde_json::to_string_pretty(lines)?),
        Format::Csv => {
            let mut writer = csv::Writer::from_writer(std::io::stdout());
            writer.write_record(["username", "tier", "limit", "used", "allowed", "status"])?;
            for line in lines {
                for measure in &line.measures {
                    writer.write_record([
                        line.username.as_str(),
                        line.tier,
                        measure.limit,
                        &shown(measure.used),
                        &shown(measure.allowed),
                        measure.status,
                    ])?;
                }
            }
            writer.flush()?;
        }
        Format::Table => {
            println!(
                "{:<24} {:<10} {:<22} {:>10} {:>10}  status",
                "username", "tier", "limit", "used", "allowed"
            );
            for line in lines {
                for measure in &line.measures {
                    println!(
                        "{:<24} {:<10} {:<22} {:>10} {:>10}  {}",
                        line.username,
                        line.tier,
                        measure.limit,
                        shown(measure.used),
                        allowed_shown(measure.allowed),
                        measure.status
                    );
                }
            }
            let candidates = lines.iter().filter(|line| line.upgrade_candidate).count();
            println!(
                "{candidates} upgrade candidate(s) among {total} account(s): near (80 % or more), at, or over a limit."
            );
            if lines
                .iter()
                .flat_map(|line| &line.measures)
                .any(|measure| measure.used.is_none())
            {
                println!(
                    "API requests are counted inside the server process on SQLite: \"-\" means not readable from here."
                );
            }
        }
    }
    Ok(())
}

fn measure(name: &'static str, limit: Limit, used: Option<u64>) -> Measure {
    let status = used.map_or(QuotaStatus::Fine, |used| QuotaStatus::of(limit, used));
    Measure {
        limit: name,
        used,
        allowed: allowed(limit),
        status: status.as_str(),
    }
}

fn shown(value: Option<u64>) -> String {
    value.map_or_else(|| "-".to_owned(), |value| value.to_string())
}

fn allowed_shown(value: Option<u64>) -> String {
    value.map_or_else(|| "unlimited".to_owned(), |value| value.to_string())
}
