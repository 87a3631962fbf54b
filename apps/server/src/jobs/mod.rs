//! The automation CLI's jobs: provisioning accounts from a file, the tier analysis, the
//! activity report, and `run-all`. Each opens the database like `serve` (migrating it first) and
//! goes through the same services; reports go to standard output, progress to standard error and
//! only on a terminal.

mod analytics;
mod analyze;
mod provision_users;

use std::io::IsTerminal as _;
use std::path::Path;
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use soiree_kernel::SystemClock;
use soiree_storage::Database;
use soiree_tiers::TiersService;
use soiree_users::{UsersConfig, UsersService};

pub(crate) use analytics::generate as generate_analytics;
pub(crate) use analyze::analyze as analyze_tiers;
pub(crate) use provision_users::provision_file;

use crate::cli::{JobArgs, RunAllArgs};
use crate::hashing::BlockingArgon2;

/// What the jobs work with.
pub(crate) struct Context {
    pub(crate) database: Database,
    pub(crate) users: Arc<UsersService>,
    pub(crate) tiers: Arc<TiersService>,
}

impl Context {
    /// Opens the database (applying pending migrations) and reads the tier table.
    pub(crate) async fn open(job: &JobArgs) -> anyhow::Result<Self> {
        let table = match &job.tiers_file {
            Some(path) => crate::limits::read_tier_file(path)?,
            None => soiree_tiers::TierTable::defaults(),
        };
        crate::config::prepare_data_dir(&job.storage.data_dir)?;
        let database = crate::open_database(&job.storage).await?;
        let users = Arc::new(UsersService::new(
            database.users().ports(),
            Arc::new(BlockingArgon2::new()),
            Arc::new(SystemClock),
            UsersConfig::default(),
        ));
        let tiers = Arc::new(TiersService::new(
            table,
            Arc::new(database.tiers()),
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

/// `soiree run-all`: every job once, in order; the first failure stops the run.
pub(crate) async fn run_all(args: &RunAllArgs) -> anyhow::Result<()> {
    let context = Context::open(&args.job).await?;
    if let Some(directory) = &args.provision_dir {
        provision_directory(&context, directory, &args.job).await?;
    }
    analyze::write(&context, crate::cli::Format::Table, false).await?;
    println!();
    analytics::write(
        &context,
        std::time::Duration::from_secs(86_400),
        crate::cli::Format::Table,
    )
    .await?;
    context.database.close().await
}

/// Applies every `*.csv` and `*.json` file of `directory`, in name order.
async fn provision_directory(
    context: &Context,
    directory: &Path,
    job: &JobArgs,
) -> anyhow::Result<()> {
    let mut files: Vec<_> = std::fs::read_dir(directory)
        .map_err(|error| anyhow::anyhow!("reading {}: {error}", directory.display()))?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.extension()
                .is_some_and(|extension| extension == "csv" || extension == "json")
        })
        .collect();
    files.sort();
    for file in files {
        println!("{}:", file.display());
        provision_users::provision_with(context, &file, false, None, &job.storage.data_dir).await?;
    }
    Ok(())
}
