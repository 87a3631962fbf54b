//! The automation CLI's jobs: provisioning accounts from a file, the tier analysis, the
//! activity report, and `run-all`. Each opens the database like `serve` (migrating it first) and
//! goes through the same services; reports go to standard output, progress to standard error and
//! only on a terminal.

mod analytics;
mod analyze;
mod provision_users;

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use soiree_kernel::{Housekeeping as _, JobSchedule as _, Retention, Swept, SystemClock};
use soiree_storage::Database;
use soiree_tiers::TiersService;
use soiree_users::{UsersConfig, UsersService};
use tokio::task::JoinHandle;

pub(crate) use analytics::generate as generate_analytics;
pub(crate) use analyze::analyze as analyze_tiers;
pub(crate) use provision_users::provision_file;

use crate::cli::{Format, JobArgs, RunAllArgs};
use crate::hashing::BlockingArgon2;

/// What the jobs work with.
#[derive(Clone)]
pub(crate) struct Context {
    pub(crate) database: Database,
    pub(crate) users: Arc<UsersService>,
    pub(crate) tiers: Arc<TiersService>,
}

impl Context {
    /// The services `serve` already has.
    pub(crate) fn of(
        database: Database,
        users: Arc<UsersService>,
        tiers: Arc<TiersService>,
    ) -> Self {
        Self {
            database,
            users,
            tiers,
        }
    }

    /// Opens the database (applying pending migrations) and reads the tier table.
    pub(crate) async fn open(job: &JobArgs) -> anyhow::Result<Self> {
        let table = match &job.tiers_file {
            Some(path) => crate::limits::read_tier_file(path)?,
            None => soiree_tiers::TierTable::defaults(),
        };
        let data_dir = crate::config::prepare_data_dir(&job.storage.data_dir)?;
        let database = crate::open_database(&job.storage).await?;
        let sealer = Arc::new(crate::keys::load_sealer(&job.keys, &data_dir)?);
        let users = Arc::new(UsersService::new(
            database.users().ports(sealer),
            Arc::new(BlockingArgon2::new()),
            Arc::new(SystemClock),
            UsersConfig::default(),
        ));
        let tiers = Arc::new(TiersService::new(
            table,
            Arc::new(database.tiers()),
            Arc::new(database.reports()),
            Arc::new(SystemClock),
        ));
        Ok(Self {
            database,
            users,
            tiers,
        })
    }
}

/// A progress bar on standard error, drawn only when it is a terminal (silent when piped or in
/// a log).
pub(crate) fn progress(length: u64, message: &'static str) -> ProgressBar {
    let target = if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(Some(length), target).with_message(message);
    if let Ok(style) = ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} ({eta})") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// `soiree run-all`: every job once, in order (provisioning, the tier analysis, the day's
/// activity, the clean-up); a refused provisioning row is reported and the run goes on, any other
/// failure stops it.
pub(crate) async fn run_all(args: &RunAllArgs) -> anyhow::Result<()> {
    let context = Context::open(&args.job).await?;
    let outcome = run_all_with(&context, args).await;
    context.database.close().await?;
    outcome
}

async fn run_all_with(context: &Context, args: &RunAllArgs) -> anyhow::Result<()> {
    let mut refused = 0;
    if let Some(directory) = &args.provision_dir {
        for file in provisioning_files(directory)? {
            println!("{}:", file.display());
            let report =
                provision_users::apply(context, &file, false, None, &args.job.storage.data_dir)
                    .await?;
            refused += report.refused;
            if let Err(error) = provision_users::print(&file, &report) {
                println!("{error:#}");
            }
        }
        println!();
    }
    analyze::write(context, Format::Table, false).await?;
    println!();
    analytics::write(context, DAY, Format::Table).await?;
    println!();
    let swept = clean_up(context).await?;
    println!("Clean-up: {}", swept_words(&swept));
    if refused > 0 {
        anyhow::bail!("{refused} provisioning row(s) were refused (listed above)");
    }
    Ok(())
}

const DAY: Duration = Duration::from_secs(86_400);

/// The `*.csv` and `*.json` files of `directory`, in name order.
fn provisioning_files(directory: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(directory)
        .map_err(|error| anyhow::anyhow!("reading {}: {error}", directory.display()))?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.extension()
                .is_some_and(|extension| extension == "csv" || extension == "json")
        })
        .collect();
    files.sort();
    Ok(files)
}

/// Sweeps what has outlived its use.
async fn clean_up(context: &Context) -> anyhow::Result<Swept> {
    context
        .database
        .jobs()
        .sweep(&Retention::default(), chrono::Utc::now())
        .await
}

fn swept_words(swept: &Swept) -> String {
    format!(
        "{} old sessions, {} spent OAuth states, {} old failed logins, {} closed rooms past 30 days, {} ended rate windows, {} security-log entries past a year removed.",
        swept.sessions,
        swept.oauth_states,
        swept.login_failures,
        swept.closed_rooms,
        swept.rate_windows,
        swept.security_events
    )
}

/// The jobs `serve` runs on a schedule, each once per period across every process sharing the
/// database: provisioning every 6 hours (when a directory is set), the tier analysis and the
/// day's activity daily (to the log), the clean-up weekly. Looks for due jobs every minute.
pub(crate) fn spawn_schedule(
    context: Context,
    holder: String,
    provision_dir: Option<PathBuf>,
    data_dir: PathBuf,
    metrics: std::sync::Arc<crate::metrics::Metrics>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let schedule = context.database.jobs();
        let mut ticks = tokio::time::interval(Duration::from_secs(60));
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            for job in Job::ALL {
                if job == Job::Provision && provision_dir.is_none() {
                    continue;
                }
                let now = chrono::Utc::now();
                match schedule.claim(job.name(), &holder, now, job.every()).await {
                    Ok(true) => {}
                    Ok(false) => continue,
                    Err(error) => {
                        tracing::warn!(
                            job = job.name(),
                            "could not claim a scheduled job: {error:#}"
                        );
                        continue;
                    }
                }
                let outcome = run_job(job, &context, provision_dir.as_deref(), &data_dir).await;
                metrics.job_ran(job.name(), outcome.is_ok());
                let words = match &outcome {
                    Ok(words) => {
                        tracing::info!(job = job.name(), "{words}");
                        words.clone()
                    }
                    Err(error) => {
                        tracing::error!(job = job.name(), "scheduled job failed: {error:#}");
                        format!("failed: {error:#}")
                    }
                };
                if let Err(error) = schedule
                    .finished(job.name(), chrono::Utc::now(), &words)
                    .await
                {
                    tracing::warn!(
                        job = job.name(),
                        "could not record a job's outcome: {error:#}"
                    );
                }
            }
        }
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Job {
    Provision,
    Analysis,
    CleanUp,
}

impl Job {
    const ALL: [Job; 3] = [Job::Provision, Job::Analysis, Job::CleanUp];

    fn name(self) -> &'static str {
        match self {
            Job::Provision => "provision",
            Job::Analysis => "analytics",
            Job::CleanUp => "clean-up",
        }
    }

    fn every(self) -> Duration {
        match self {
            Job::Provision => Duration::from_secs(6 * 3600),
            Job::Analysis => DAY,
            Job::CleanUp => Duration::from_secs(7 * 86_400),
        }
    }
}

/// Runs one job; its outcome in words, for the log and the schedule's record.
async fn run_job(
    job: Job,
    context: &Context,
    provision_dir: Option<&Path>,
    data_dir: &Path,
) -> anyhow::Result<String> {
    match job {
        Job::Provision => {
            let Some(directory) = provision_dir else {
                return Ok("no provisioning directory".to_owned());
            };
            let mut words = Vec::new();
            for file in provisioning_files(directory)? {
                let report = provision_users::apply(context, &file, false, None, data_dir).await?;
                for line in report.lines.iter().filter(|line| line.contains("refused")) {
                    tracing::warn!(file = %file.display(), "{line}");
                }
                if let Some(path) = &report.passwords_file {
                    tracing::info!(
                        file = %file.display(),
                        "new accounts' passwords written to {} (readable by the server's user only)",
                        path.display()
                    );
                }
                words.push(format!("{}: {}", file.display(), report.summary()));
            }
            Ok(if words.is_empty() {
                format!("no provisioning files in {}", directory.display())
            } else {
                words.join(" ")
            })
        }
        Job::Analysis => {
            let (candidates, total) = analyze::candidates(context).await?;
            let activity = analytics::summary(context, DAY).await?;
            Ok(format!(
                "{candidates} upgrade candidate(s) among {total} account(s) (soiree analyze-tiers lists them); last 24 h: {activity}"
            ))
        }
        Job::CleanUp => Ok(swept_words(&clean_up(context).await?)),
    }
}

/// `soiree scan`: the music folder scanned now, with a progress bar on a terminal; the files that
/// cannot be read are listed with why, and do not fail the command.
pub(crate) async fn scan(args: &crate::cli::ScanArgs) -> anyhow::Result<()> {
    let context = Context::open(&args.job).await?;
    let library = crate::library::Library::open(
        Some(&args.music_dir),
        None,
        &context.database,
        Arc::clone(&context.tiers),
    )?;
    let bar = progress(0, "scanning");
    let shown = bar.clone();
    let report = library
        .service
        .scan(&move |step: soiree_library::ScanProgress| {
            shown.set_length(step.total as u64);
            shown.set_position(step.done as u64);
        })
        .await;
    bar.finish_and_clear();
    context.database.close().await?;
    let report = report?;
    println!(
        "{} audio files: {} added, {} read again, {} unchanged, {} removed, {} not readable.",
        report.files,
        report.added,
        report.updated,
        report.unchanged,
        report.removed,
        report.skipped.len()
    );
    for skipped in &report.skipped {
        println!("  {}: {}", skipped.path, skipped.reason);
    }
    Ok(())
}
