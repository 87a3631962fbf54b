//! The command line. Every option is also an environment variable (`SOIREE_*`), and a `.env`
//! file in the working directory is read first if there is one.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Soirée: a self-hosted, multi-user music backend.
#[derive(Debug, Parser)]
#[command(
    name = "soiree",
    version,
    about = "Soirée: a self-hosted music server for parties. Guests join with a code, vote, and the winners play on the host's speakers.\n\nStart it with `soiree serve` (or `soiree serve --demo` to try it without a Spotify account); `soiree serve --help` lists every setting.",
    long_about = None
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run the server (applies pending database migrations first).
    Serve(Box<ServeArgs>),
    /// Apply pending database migrations, then exit.
    Migrate(StorageArgs),
    /// Run the Spotify and SoundCloud simulator on its own (for trying Soirée without real apps).
    Sim(SimArgs),
    /// Create accounts from a CSV or JSON file (username, email, tier, display_name, language,
    /// timezone). Safe to run again: existing usernames are reported and left alone.
    ProvisionUsers(ProvisionArgs),
    /// List accounts near or over their quotas and limits: upgrade candidates.
    AnalyzeTiers(AnalyzeArgs),
    /// Summarise the server's activity over a period: tiers, active accounts, rooms, votes,
    /// connections.
    GenerateAnalytics(AnalyticsArgs),
    /// Run every job once: provisioning (when a directory is set), tier analysis, analytics and
    /// clean-up.
    RunAll(RunAllArgs),
    /// Scan the music folder now: read new and changed files, forget removed ones, and list the
    /// files that cannot be read.
    Scan(ScanArgs),
}

/// `scan`.
#[derive(Debug, Clone, Args)]
pub(crate) struct ScanArgs {
    #[command(flatten)]
    pub(crate) job: JobArgs,

    /// The folder of music to scan (as `serve` uses it).
    #[arg(long, env = "SOIREE_MUSIC_DIR")]
    pub(crate) music_dir: PathBuf,
}

/// Where the jobs find the database and the tier table.
#[derive(Debug, Clone, Args)]
pub(crate) struct JobArgs {
    #[command(flatten)]
    pub(crate) storage: StorageArgs,

    /// The key that seals secrets at rest (as `serve` uses it).
    #[command(flatten)]
    pub(crate) keys: KeyArgs,

    /// The tier table (as `serve` uses it).
    #[arg(long, env = "SOIREE_TIERS_FILE")]
    pub(crate) tiers_file: Option<PathBuf>,
}

/// How a report is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// Aligned columns for people.
    Table,
    /// One JSON document for programs.
    Json,
    /// Comma-separated values for spreadsheets.
    Csv,
}

/// `provision-users`.
#[derive(Debug, Clone, Args)]
pub(crate) struct ProvisionArgs {
    #[command(flatten)]
    pub(crate) job: JobArgs,

    /// The file: `.csv` with a header row, or `.json` with an array of objects.
    pub(crate) file: PathBuf,

    /// Make the file's accounts operators (they may use the operator API).
    #[arg(long)]
    pub(crate) operator: bool,

    /// Where new accounts' generated passwords are written (created, readable by you only).
    /// Default: `{data_dir}/provisioned-passwords-{time}.tsv`.
    #[arg(long)]
    pub(crate) passwords_file: Option<PathBuf>,
}

/// `analyze-tiers`.
#[derive(Debug, Clone, Args)]
pub(crate) struct AnalyzeArgs {
    #[command(flatten)]
    pub(crate) job: JobArgs,

    /// Table or JSON (or CSV).
    #[arg(long, value_enum, default_value = "table")]
    pub(crate) format: Format,

    /// List every account, not only those near or over a limit.
    #[arg(long)]
    pub(crate) all: bool,
}

/// `generate-analytics`.
#[derive(Debug, Clone, Args)]
pub(crate) struct AnalyticsArgs {
    #[command(flatten)]
    pub(crate) job: JobArgs,

    /// The period, ending now (for example `24h`, `7d`, `30d`).
    #[arg(long, default_value = "30d")]
    pub(crate) period: humantime::Duration,

    /// Table, JSON or CSV.
    #[arg(long, value_enum, default_value = "table")]
    pub(crate) format: Format,
}

/// `run-all`.
#[derive(Debug, Clone, Args)]
pub(crate) struct RunAllArgs {
    #[command(flatten)]
    pub(crate) job: JobArgs,

    /// A directory of provisioning files (`*.csv`, `*.json`) to apply first.
    #[arg(long, env = "SOIREE_PROVISION_DIR")]
    pub(crate) provision_dir: Option<PathBuf>,
}

/// The provider simulator on its own.
#[derive(Debug, Clone, Args)]
pub(crate) struct SimArgs {
    /// Address and port to listen on.
    #[arg(long, env = "SOIREE_SIM_BIND", default_value = "127.0.0.1:8090")]
    pub(crate) bind: SocketAddr,

    /// Seed of the generated catalogue, users and likes.
    #[arg(long, env = "SOIREE_SIM_SEED", default_value_t = 2026)]
    pub(crate) seed: u64,
}

/// The secret key that seals provider secrets and tokens at rest.
#[derive(Debug, Clone, Args)]
pub(crate) struct KeyArgs {
    /// The key itself, as ID:BASE64 (32 bytes); several comma-separated keys rotate, the current
    /// one first. Takes precedence over the key file.
    #[arg(long, env = "SOIREE_SECRET_KEY", hide_env_values = true)]
    pub(crate) secret_key: Option<String>,

    /// The file holding the key. Default: `{data_dir}/secret.key`, created (mode 0600) on first start.
    #[arg(long, env = "SOIREE_SECRET_KEY_FILE")]
    pub(crate) secret_key_file: Option<PathBuf>,
}

/// Where the providers live.
#[derive(Debug, Clone, Args)]
pub(crate) struct ProviderArgs {
    /// Spotify's accounts service.
    #[arg(
        long,
        env = "SOIREE_SPOTIFY_ACCOUNTS_URL",
        default_value = "https://accounts.spotify.com"
    )]
    pub(crate) spotify_accounts_url: String,

    /// Spotify's Web API.
    #[arg(
        long,
        env = "SOIREE_SPOTIFY_API_URL",
        default_value = "https://api.spotify.com/v1"
    )]
    pub(crate) spotify_api_url: String,

    /// SoundCloud's authorization service.
    #[arg(
        long,
        env = "SOIREE_SOUNDCLOUD_AUTH_URL",
        default_value = "https://secure.soundcloud.com"
    )]
    pub(crate) soundcloud_auth_url: String,

    /// SoundCloud's API.
    #[arg(
        long,
        env = "SOIREE_SOUNDCLOUD_API_URL",
        default_value = "https://api.soundcloud.com"
    )]
    pub(crate) soundcloud_api_url: String,
}

/// Where data lives.
#[derive(Debug, Clone, Args)]
pub(crate) struct StorageArgs {
    /// Folder for the database (by default), the secret key file and drive folders; created if missing.
    #[arg(long, env = "SOIREE_DATA_DIR", default_value = "./data")]
    pub(crate) data_dir: PathBuf,

    /// Database URL: `sqlite://path?mode=rwc` or `postgres://user:password@host/database`.
    /// Default: SQLite at `{data_dir}/soiree.db`.
    #[arg(long, env = "SOIREE_DATABASE_URL", hide_env_values = true)]
    pub(crate) database_url: Option<String>,
}

/// How the server listens and behaves.
#[derive(Debug, Clone, Args)]
pub(crate) struct ServeArgs {
    #[command(flatten)]
    pub(crate) storage: StorageArgs,

    /// Address and port to listen on; port 0 picks a free port (the log says which).
    #[arg(long, env = "SOIREE_BIND", default_value = "127.0.0.1:8000")]
    pub(crate) bind: SocketAddr,

    /// The URL people and providers reach the server at (OAuth redirect URIs are built from it).
    /// Default: `http://{bind}`. Use `127.0.0.1`, not `localhost`: Spotify refuses `localhost`.
    #[arg(long, env = "SOIREE_PUBLIC_URL")]
    pub(crate) public_url: Option<String>,

    /// A session unused for this long ends (for example `30m`, `2h`).
    #[arg(long, env = "SOIREE_SESSION_IDLE_TIMEOUT", default_value = "2h")]
    pub(crate) session_idle_timeout: humantime::Duration,

    /// A session ends this long after login, however busy (for example `24h`, `7d`).
    #[arg(long, env = "SOIREE_SESSION_ABSOLUTE_TIMEOUT", default_value = "24h")]
    pub(crate) session_absolute_timeout: humantime::Duration,

    /// The operator's folder of music (MP3, FLAC, Ogg, Opus, M4A, AAC, WAV), scanned at start
    /// and on demand; everyone with an account can search and play it. Unset: no folder.
    #[arg(long, env = "SOIREE_MUSIC_DIR")]
    pub(crate) music_dir: Option<PathBuf>,

    /// The most one uploaded file may have, in megabytes (people's uploads are kept under the
    /// data directory, in `uploads/`, within their tier's storage quota).
    #[arg(long, env = "SOIREE_MAX_UPLOAD_MB", default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub(crate) max_upload_mb: u64,

    /// How often each connected person's liked tracks are synced (for example `30m`, `1h`); the
    /// people are spread over it. A full read, which notices unlikes, comes weekly.
    #[arg(long, env = "SOIREE_SYNC_INTERVAL", default_value = "30m")]
    pub(crate) sync_interval: humantime::Duration,

    /// Where people's drive folders are (one folder per person: their likes as files and the
    /// downloads of downloadable SoundCloud tracks); default `drives/` under the data directory.
    /// Several processes must share it, as they share the database.
    #[arg(long, env = "SOIREE_DRIVE_DIR")]
    pub(crate) drive_dir: Option<std::path::PathBuf>,

    /// How recent a session's login (or re-authentication) must be for sensitive changes:
    /// erasure, two-step login, provider credentials (for example `15m`, `1h`).
    #[arg(long, env = "SOIREE_REAUTHENTICATION_WINDOW", default_value = "1h")]
    pub(crate) reauthentication_window: humantime::Duration,

    #[command(flatten)]
    pub(crate) keys: KeyArgs,

    #[command(flatten)]
    pub(crate) providers: ProviderArgs,

    /// The tier table: a TOML file with every limit (each tier's quotas and API requests, the
    /// pages', and those of the anonymous surfaces per client address); what it leaves out keeps
    /// its default (docs/operations.md).
    #[arg(long, env = "SOIREE_TIERS_FILE")]
    pub(crate) tiers_file: Option<std::path::PathBuf>,

    /// A directory of provisioning files (`*.csv`, `*.json`, as `soiree provision-users` reads)
    /// applied at start and every 6 hours.
    #[arg(long, env = "SOIREE_PROVISION_DIR")]
    pub(crate) provision_dir: Option<PathBuf>,

    /// Proxies whose `X-Forwarded-For` is believed, as addresses or networks, comma-separated
    /// (the reverse proxy in front of Soirée). Without them, a client is the connection's address.
    #[arg(long, env = "SOIREE_TRUSTED_PROXIES", value_delimiter = ',', value_parser = crate::limits::parse_network)]
    pub(crate) trusted_proxies: Vec<ipnet::IpNet>,

    /// Connections one client address may hold open at once (IPv6: per /64); 0 for no cap.
    /// Addresses in `--trusted-proxies` are never capped.
    #[arg(long, env = "SOIREE_MAX_CONNECTIONS_PER_ADDRESS", default_value_t = 64)]
    pub(crate) max_connections_per_address: usize,

    /// Time a new connection has to send its first request's line and headers.
    #[arg(long, env = "SOIREE_REQUEST_HEAD_TIMEOUT", default_value = "10s")]
    pub(crate) request_head_timeout: humantime::Duration,

    /// A connection with nothing sent either way for this long is closed (room sockets are
    /// pinged, so they stay open).
    #[arg(long, env = "SOIREE_IDLE_TIMEOUT", default_value = "60s")]
    pub(crate) idle_timeout: humantime::Duration,

    /// The token Prometheus sends to read `/metrics`, as `Authorization: Bearer {token}`. Without
    /// it `/metrics` is off (404). Choose a long random one: `openssl rand -hex 32`.
    #[arg(long, env = "SOIREE_METRICS_TOKEN", hide_env_values = true)]
    pub(crate) metrics_token: Option<String>,

    /// Demo mode: start the provider simulator in-process, point the provider URLs at it, and
    /// create the account `demo` (password `soiree-demo-party`) with both providers configured.
    /// Its data lives apart, in `{data_dir}/demo`, and it listens on loopback only.
    #[arg(long, env = "SOIREE_DEMO", value_parser = clap::builder::BoolishValueParser::new(), default_value = "false", num_args = 0..=1, default_missing_value = "true")]
    pub(crate) demo: bool,

    /// Let demo mode listen on an address other machines can reach. The demo account's password
    /// is public, so only do this on a network you trust.
    #[arg(long, env = "SOIREE_DEMO_ON_NETWORK", value_parser = clap::builder::BoolishValueParser::new(), default_value = "false", num_args = 0..=1, default_missing_value = "true")]
    pub(crate) demo_on_network: bool,
}
