//! The command line. Every option is also an environment variable (`SOIREE_*`), and a `.env`
//! file in the working directory is read first if there is one.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Soirée: a self-hosted, multi-user music backend.
#[derive(Debug, Parser)]
#[command(name = "soiree", version, about, long_about = None)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run the server (applies pending database migrations first).
    Serve(ServeArgs),
    /// Apply pending database migrations, then exit.
    Migrate(StorageArgs),
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
}
