//! `soiree`: the Soirée server and its command line.
//!
//! This crate wires adapters (storage, and later the providers) into the domain services and
//! exposes them over HTTP with poem and poem-openapi. It is the only crate that knows HTTP and
//! JSON, and it holds no business rule: handlers parse input, call one service method and
//! translate the outcome.

mod api;
mod app;
mod auth;
mod body_limit;
mod cli;
mod config;
mod cookie;
mod hashing;
mod problem;
mod state;

use std::io::IsTerminal as _;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::Parser as _;
use poem::listener::{Acceptor as _, Listener as _, TcpListener};
use soiree_kernel::SystemClock;
use soiree_storage::Database;
use soiree_users::{UsersConfig, UsersService};
use tracing_subscriber::EnvFilter;

use crate::cli::{Cli, Command, ServeArgs, StorageArgs};
use crate::cookie::SessionCookie;
use crate::hashing::BlockingArgon2;
use crate::state::AppState;

fn main() -> ExitCode {
    let dotenv = dotenvy::dotenv();
    let cli = Cli::parse();
    init_tracing();
    if let Err(error) = &dotenv
        && !error.not_found()
    {
        tracing::warn!(%error, "the .env file could not be read; its settings are ignored");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: starting the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => serve(args).await,
            Command::Migrate(storage) => migrate(&storage).await,
        }
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

async fn open_database(storage: &StorageArgs) -> anyhow::Result<Database> {
    let url = config::database_url(storage)?;
    let database = Database::connect(&url).await.context(
        "check --database-url or SOIREE_DATABASE_URL (sqlite://path?mode=rwc or postgres://...)",
    )?;
    database.migrate().await?;
    Ok(database)
}

async fn migrate(storage: &StorageArgs) -> anyhow::Result<()> {
    open_database(storage).await?;
    tracing::info!("the database schema is up to date");
    Ok(())
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let sessions = config::session_policy(&args)?;
    if let Some(url) = &args.public_url {
        // Checked before anything is opened, so a typo fails fast.
        config::public_url(&args, args.bind)
            .with_context(|| format!("checking the public URL {url:?}"))?;
    }
    let database = open_database(&args.storage).await?;
    let acceptor = TcpListener::bind(args.bind).into_acceptor().await.with_context(|| {
        format!(
            "listening on {}; is another program using that port? Choose another with --bind or SOIREE_BIND",
            args.bind
        )
    })?;
    let listening = acceptor
        .local_addr()
        .first()
        .and_then(|address| address.as_socket_addr().copied())
        .unwrap_or(args.bind);
    let public_url = config::public_url(&args, listening)?;

    let users = UsersService::new(
        database.users().ports(),
        Arc::new(BlockingArgon2::new()),
        Arc::new(SystemClock),
        UsersConfig {
            sessions,
            ..UsersConfig::default()
        },
    );
    let state = AppState {
        users: Arc::new(users),
        database: database.clone(),
        session_cookie: SessionCookie {
            secure: public_url.starts_with("https://"),
            max_age: sessions.absolute_timeout,
        },
    };
    let app = app::build(state, &public_url);
    tracing::info!(public_url, database = ?database.backend(), "listening on http://{listening}");

    poem::Server::new_with_acceptor(acceptor)
        .run_with_graceful_shutdown(app, shutdown_signal(), Some(Duration::from_secs(10)))
        .await
        .context("serving HTTP")?;
    database.close().await?;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate = match tokio::signal::unix::signal(
            tokio::signal::unix::SignalKind::terminate(),
        ) {
            Ok(signal) => signal,
            Err(error) => {
                tracing::warn!(%error, "SIGTERM cannot be watched; stop the server with Ctrl-C");
                let _ = interrupt.await;
                return;
            }
        };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
    tracing::info!("shutting down");
}
