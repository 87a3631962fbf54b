//! `soiree`: the Soirée server and its command line.
//!
//! This crate wires adapters (storage, and later the providers) into the domain services and
//! exposes them over HTTP with poem and poem-openapi. It is the only crate that knows HTTP and
//! JSON, and it holds no business rule: handlers parse input, call one service method and
//! translate the outcome.

mod api;
mod api_document;
mod app;
mod auth;
mod body_limit;
mod cli;
mod config;
mod cookie;
mod demo;
mod hashing;
mod jobs;
mod keys;
mod library;
mod limits;
mod metrics;
mod pages;
mod party;
mod problem;
mod provision;
mod qr;
mod request_log;
mod room_auth;
mod same_origin;
mod state;
mod subsonic;
mod sync;
mod tally;

use std::io::IsTerminal as _;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::Parser as _;
use poem::listener::{Acceptor as _, Listener as _, TcpListener};
use soiree_connections::{ConnectionsConfig, ConnectionsService, PlayerService};
use soiree_kernel::SystemClock;
use soiree_soundcloud::{SoundCloud, SoundCloudConfig};
use soiree_spotify::{Spotify, SpotifyConfig};
use soiree_storage::Database;
use soiree_users::{UsersConfig, UsersService};
use tracing_subscriber::EnvFilter;

use crate::cli::{Cli, Command, ServeArgs, SimArgs, StorageArgs};
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
            Command::Serve(args) => serve(*args).await,
            Command::Migrate(storage) => migrate(&storage).await,
            Command::Sim(args) => simulate(args).await,
            Command::ProvisionUsers(args) => jobs::provision_file(&args).await,
            Command::AnalyzeTiers(args) => jobs::analyze_tiers(&args).await,
            Command::GenerateAnalytics(args) => jobs::generate_analytics(&args).await,
            Command::RunAll(args) => jobs::run_all(&args).await,
            Command::Scan(args) => jobs::scan(&args).await,
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

pub(crate) async fn open_database(storage: &StorageArgs) -> anyhow::Result<Database> {
    let url = config::database_url(storage)?;
    let database = Database::connect(&url).await.context(
        "check --database-url or SOIREE_DATABASE_URL (sqlite://path?mode=rwc or postgres://...)",
    )?;
    database.migrate().await?;
    Ok(database)
}

/// The rate limits, counted where every process sees the same counts: in the database on
/// PostgreSQL, in this process on SQLite (the embedded default runs one).
fn rate_limits(database: &Database, table: soiree_tiers::TierTable) -> soiree_tiers::RateLimits {
    let counter: Arc<dyn soiree_tiers::RateCounter> = match database.backend() {
        soiree_storage::Backend::Postgres => Arc::new(database.rate_counter()),
        soiree_storage::Backend::Sqlite => {
            Arc::new(soiree_tiers::memory::InMemoryRateCounter::default())
        }
    };
    soiree_tiers::RateLimits::new(table, counter, Arc::new(SystemClock))
}

async fn migrate(storage: &StorageArgs) -> anyhow::Result<()> {
    open_database(storage).await?;
    tracing::info!("the database schema is up to date");
    Ok(())
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let args = demo::isolated(args)?;
    let sessions = config::session_policy(&args)?;
    if let Some(url) = &args.public_url {
        // Checked before anything is opened, so a typo fails fast.
        config::public_url(&args, args.bind)
            .with_context(|| format!("checking the public URL {url:?}"))?;
    }
    // Read before anything is opened, so that a mistake in the file fails fast.
    let tier_table = match &args.tiers_file {
        Some(path) => limits::read_tier_file(path)?,
        None => soiree_tiers::TierTable::defaults(),
    };
    let data_dir = config::prepare_data_dir(&args.storage.data_dir)?;
    let sealer = Arc::new(keys::load_sealer(&args.keys, &data_dir)?);
    let database = open_database(&args.storage).await?;
    let simulator = if args.demo {
        Some(demo::start_simulator().await?)
    } else {
        None
    };
    let providers = simulator
        .as_ref()
        .map_or_else(|| args.providers.clone(), demo::provider_urls);

    let acceptor = TcpListener::bind(args.bind).into_acceptor().await.with_context(|| {
        format!("listening on {}; is another program using that port? Choose another with --bind or SOIREE_BIND", args.bind)
    })?;
    let acceptor = limits::connections::GuardedAcceptor::new(
        acceptor,
        limits::connections::ConnectionLimits {
            per_address: (args.max_connections_per_address > 0)
                .then_some(args.max_connections_per_address),
            head_deadline: args.request_head_timeout.into(),
            trusted: args.trusted_proxies.clone().into(),
        },
    );
    let listening = acceptor
        .local_addr()
        .first()
        .and_then(|address| address.as_socket_addr().copied())
        .unwrap_or(args.bind);
    let public_url = config::public_url(&args, listening)?;
    if let Some(warning) = config::localhost_warning(&public_url) {
        tracing::warn!("{warning}");
    }

    let metrics = Arc::new(metrics::Metrics::new());
    let users = Arc::new(UsersService::new(
        database.users().ports(Arc::clone(&sealer)),
        Arc::new(BlockingArgon2::new()),
        Arc::new(SystemClock),
        UsersConfig {
            sessions,
            reauthentication_window: chrono::Duration::from_std(
                args.reauthentication_window.into(),
            )
            .context("SOIREE_REAUTHENTICATION_WINDOW is too long")?,
            ..UsersConfig::default()
        },
    ));
    let spotify = Arc::new(
        Spotify::new(&SpotifyConfig {
            accounts_url: providers.spotify_accounts_url.clone(),
            api_url: providers.spotify_api_url.clone(),
        })
        .context(
            "configuring Spotify; check SOIREE_SPOTIFY_ACCOUNTS_URL and SOIREE_SPOTIFY_API_URL",
        )?
        .observed_by(metrics.provider_observer("spotify")),
    );
    let soundcloud = Arc::new(
        SoundCloud::new(&SoundCloudConfig { auth_url: providers.soundcloud_auth_url.clone(), api_url: providers.soundcloud_api_url.clone() })
            .context("configuring SoundCloud; check SOIREE_SOUNDCLOUD_AUTH_URL and SOIREE_SOUNDCLOUD_API_URL")?
            .observed_by(metrics.provider_observer("soundcloud")),
    );
    let redirect_base = public_url.trim_end_matches('/').to_owned();
    let tally: Arc<dyn soiree_kernel::Tally> = Arc::new(database.jobs());
    let counted = |provider: Arc<dyn soiree_connections::OAuthProvider>| -> Arc<dyn soiree_connections::OAuthProvider> {
        Arc::new(tally::CountedOAuth::new(provider, Arc::clone(&tally), Arc::clone(&metrics)))
    };
    let likes_readers: Vec<Arc<dyn soiree_connections::LikesProvider>> =
        vec![spotify.clone(), soundcloud.clone()];
    let connections = Arc::new(ConnectionsService::new(
        Arc::new(database.connections(Arc::clone(&sealer))),
        vec![counted(spotify.clone()), counted(soundcloud)],
        Arc::new(SystemClock),
        ConnectionsConfig::new(|provider| {
            format!("{redirect_base}{}", api::callback_path(provider))
        }),
    ));
    let player = Arc::new(PlayerService::new(Arc::clone(&connections), spotify));
    let clock: Arc<dyn soiree_kernel::Clock> = Arc::new(SystemClock);
    let room_store = database.rooms();
    let tracks = Arc::new(soiree_voting::TrackDirectory::new(
        Arc::new(database.tracks()),
        Arc::clone(&clock),
    ));
    let events = party::EventHub::new(Arc::new(room_store.clone()), Arc::clone(&tracks));
    let tiers = Arc::new(soiree_tiers::TiersService::new(
        tier_table.clone(),
        Arc::new(database.tiers()),
        Arc::new(database.reports()),
        Arc::clone(&clock),
    ));
    let rooms = Arc::new(soiree_rooms::RoomsService::new(
        Arc::new(room_store.clone()),
        Arc::new(party::ports::UsersDirectory(Arc::clone(&users))),
        Arc::new(party::ports::TierAllowances(Arc::clone(&tiers))),
        Arc::new(metrics::CountedEvents {
            inner: events.clone(),
            metrics: Arc::clone(&metrics),
        }),
        Arc::clone(&clock),
    ));
    let wake = Arc::new(tokio::sync::Notify::new());
    let party_wake = Arc::clone(&wake);
    let spotify_for_rooms = Arc::new(party::ports::SpotifyForRooms {
        player: Arc::clone(&player),
        connections: Arc::clone(&connections),
    });
    // Names this process in room leases: unique per process, readable in the database.
    let holder = format!(
        "{}-{}",
        std::process::id(),
        &uuid::Uuid::now_v7().simple().to_string()[..12]
    );
    let library = library::Library::open(
        args.music_dir.as_deref(),
        Some(library::UploadSettings {
            dir: data_dir.join("uploads"),
            max_file_bytes: args.max_upload_mb * 1_000_000,
        }),
        &database,
        Arc::clone(&tiers),
    )?;
    let party = Arc::new(
        soiree_voting::PartyPlayer::new(
            Arc::clone(&rooms),
            Arc::new(room_store.clone()),
            Arc::new(room_store.clone()),
            spotify_for_rooms.clone(),
            Arc::clone(&clock),
            holder.clone(),
            Arc::new(move |_room| party_wake.notify_one()),
        )
        .remembering(Arc::new(party::ports::HostsLibrary {
            library: Arc::clone(&library.service),
            directory: Arc::clone(&tracks),
        })),
    );
    let drive = sync::DriveFolder {
        base: match &args.drive_dir {
            Some(dir) => {
                config::prepare_dir(dir, "drive directory", "--drive-dir or SOIREE_DRIVE_DIR")?
            }
            None => data_dir.join("drives"),
        },
        store: Arc::new(database.sync()),
    };
    let likes_service = Arc::new(soiree_connections::LikesService::new(
        Arc::clone(&connections),
        likes_readers,
    ));
    let downloads = Arc::new(soiree_sync::downloads::DownloadService::new(
        Arc::new(sync::CountedDownloads {
            inner: database.sync(),
            metrics: Arc::clone(&metrics),
        }),
        Arc::new(sync::FilesFromConnections(Arc::clone(&likes_service))),
        Arc::new(drive.clone()),
        Arc::new(sync::RoomInQuota {
            tiers: library::TierStorage(Arc::clone(&tiers)),
            used: database.library(),
        }),
        Arc::clone(&clock),
        soiree_sync::downloads::DownloadConfig::default(),
        holder.clone(),
    ));
    let sync = sync::Sync {
        drive: drive.clone(),
        downloads: Arc::clone(&downloads),
        service: Arc::new(soiree_sync::SyncService::new(
            Arc::new(sync::LikesFromConnections(Arc::clone(&likes_service))),
            Arc::new(sync::CountedSync {
                inner: database.sync(),
                metrics: Arc::clone(&metrics),
            }),
            Arc::new(sync::LikesEverywhere {
                library: sync::LikesIntoLibrary(Arc::clone(&library.service)),
                drive,
                downloads,
            }),
            Arc::clone(&clock),
            soiree_sync::SyncConfig {
                interval: chrono::Duration::from_std(args.sync_interval.into())
                    .context("SOIREE_SYNC_INTERVAL is too long")?
                    .max(chrono::Duration::minutes(1)),
                ..soiree_sync::SyncConfig::default()
            },
            holder.clone(),
        )),
        wake: Arc::new(tokio::sync::Notify::new()),
    };
    let limits = rate_limits(&database, tier_table);
    let ports = soiree_voting::VotingPorts {
        votes: Arc::new(room_store),
        liked: spotify_for_rooms.clone(),
        catalog: spotify_for_rooms,
        directory: Arc::clone(&tracks),
        limiter: Arc::new(party::ports::GuestVoteLimiter(limits.clone())),
    };
    let voting = Arc::new(soiree_voting::VotingService::new(
        Arc::clone(&rooms),
        ports,
        Arc::clone(&party),
        Arc::clone(&clock),
    ));
    let session_ends = party::SessionEnds::new();
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let party_for_shutdown = Arc::clone(&party);
    let background = [
        party::spawn_party_loop(party, wake),
        party::spawn_change_listener(
            database.changes().await?,
            events.clone(),
            Arc::clone(&users),
            session_ends.clone(),
        ),
        party::spawn_presence(events.clone(), Arc::clone(&rooms)),
        sync::spawn_sync_loop(sync.clone()),
        jobs::spawn_schedule(
            jobs::Context::of(database.clone(), Arc::clone(&users), Arc::clone(&tiers)),
            holder.clone(),
            args.provision_dir.clone(),
            data_dir.clone(),
            Arc::clone(&metrics),
        ),
    ];
    if simulator.is_some() {
        demo::seed_account(&users, &connections).await?;
    }
    if library.has_folder {
        // In the background: the server answers while a large folder is read.
        library.start_scan();
    }
    let state = AppState {
        users,
        database: database.clone(),
        session_cookie: SessionCookie {
            secure: public_url.starts_with("https://"),
            max_age: sessions.absolute_timeout,
        },
        connections,
        player,
        rooms,
        personal_rooms: Arc::new(database.rooms()),
        library: library.clone(),
        sync,
        insights: Arc::new(soiree_insights::InsightsService::new(
            Arc::new(database.insights()),
            Arc::new(database.insights()),
            Arc::new(database.insights()),
            Arc::clone(&clock),
            soiree_insights::InsightsConfig::default(),
        )),
        voting,
        events,
        tracks,
        session_ends,
        public_origin: config::origin_of(&public_url),
        limits,
        tiers,
        tally,
        trusted_proxies: args.trusted_proxies.clone().into(),
        metrics,
        metrics_token: args.metrics_token.clone().map(secrecy::SecretString::from),
        stopping,
        // Twice per idle timeout, and at least every 25 s (proxies close quiet sockets too).
        socket_ping_every: (std::time::Duration::from(args.idle_timeout) / 2)
            .clamp(Duration::from_millis(100), Duration::from_secs(25)),
    };
    let app = app::build(state, &public_url)?;
    tracing::info!(public_url, database = ?database.backend(), "listening on http://{listening}");
    if let Some(simulator) = &simulator {
        tracing::info!(
            simulator = %simulator.urls.base,
            "demo mode: open {public_url}/login and log in as {} / {}, press Connect on the Connect page (the provider is simulated), then host a party",
            demo::DEMO_USERNAME,
            demo::DEMO_PASSWORD,
        );
    }

    // On SIGTERM or Ctrl-C: stop accepting, tell every socket the server is going away, let
    // requests in flight finish (up to 10 s), then give up this process's room leases so that
    // another instance takes the rooms over at their next look.
    let stopped = async move {
        shutdown_signal().await;
        let _ = stop.send(true);
    };
    poem::Server::new_with_acceptor(acceptor)
        .idle_timeout(args.idle_timeout.into())
        .run_with_graceful_shutdown(app, stopped, Some(Duration::from_secs(10)))
        .await
        .context("serving HTTP")?;

    // The change listener holds a pooled connection: it must stop before the pool can close.
    for task in background {
        task.abort();
        let _ = task.await;
    }
    // The party loop has stopped, so nothing here claims a room again.
    match party_for_shutdown.release_leases().await {
        Ok(released) => tracing::info!(released, "room leases given up"),
        Err(error) => tracing::warn!("could not give up the room leases: {error:#}"),
    }
    drop(simulator);
    database.close().await?;
    tracing::info!("stopped");
    Ok(())
}

/// `soiree sim`: the provider simulator on its own, with the demo apps registered.
async fn simulate(args: SimArgs) -> anyhow::Result<()> {
    let simulator = soiree_provider_sim::Simulator::new(args.seed);
    for provider in [
        soiree_provider_sim::SimProvider::Spotify,
        soiree_provider_sim::SimProvider::SoundCloud,
    ] {
        let client_id = match provider {
            soiree_provider_sim::SimProvider::Spotify => "soiree-demo-spotify",
            soiree_provider_sim::SimProvider::SoundCloud => "soiree-demo-soundcloud",
        };
        simulator.register_app(provider, client_id, demo::DEMO_CLIENT_SECRET, &[]);
    }
    let running = simulator.serve(&args.bind.to_string()).await?;
    let urls = &running.urls;
    tracing::info!(
        spotify_accounts = %urls.spotify_accounts,
        spotify_api = %urls.spotify_api,
        soundcloud_auth = %urls.soundcloud_auth,
        soundcloud_api = %urls.soundcloud_api,
        "provider simulator listening on {}; apps soiree-demo-spotify and soiree-demo-soundcloud, secret {}",
        urls.base,
        demo::DEMO_CLIENT_SECRET,
    );
    shutdown_signal().await;
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
