//! Demo mode (`soiree serve --demo`): the provider simulator in-process, with developer apps
//! registered in it and an account `demo` whose Spotify and SoundCloud credentials point at
//! them, so that a newcomer can press Connect and play without a real provider app.

use std::sync::Arc;

use anyhow::Context as _;
use secrecy::SecretString;
use soiree_connections::{ClientCredentials, ClientId, ClientSecret, ConnectionsService, Provider};
use soiree_provider_sim::{RunningSimulator, SimProvider, Simulator};
use soiree_users::{NewAccount, Password, RegisterError, Username, UsersService};

use crate::cli::{ProviderArgs, ServeArgs};

/// The demo account's login.
pub(crate) const DEMO_USERNAME: &str = "demo";
/// The demo account's password (it is a demo; the README prints it).
pub(crate) const DEMO_PASSWORD: &str = "soiree-demo-party";
/// The simulated developer apps' credentials.
pub(crate) const DEMO_CLIENT_SECRET: &str = "demo-client-secret";
/// The seed of the simulated catalogue.
pub(crate) const DEMO_SEED: u64 = 2026;

fn demo_client_id(provider: SimProvider) -> &'static str {
    match provider {
        SimProvider::Spotify => "soiree-demo-spotify",
        SimProvider::SoundCloud => "soiree-demo-soundcloud",
    }
}

/// Demo mode keeps apart from real use: its own folder (`{data_dir}/demo`, with its own SQLite
/// database and key), so the demo account never appears on a real server; and loopback only,
/// unless asked, because the demo account's password is public.
pub(crate) fn isolated(mut args: ServeArgs) -> anyhow::Result<ServeArgs> {
    if !args.demo {
        return Ok(args);
    }
    if args
        .storage
        .database_url
        .as_deref()
        .is_some_and(|url| !url.trim().is_empty())
    {
        anyhow::bail!(
            "demo mode keeps its own SQLite database in {}; unset --database-url / SOIREE_DATABASE_URL to try the demo",
            args.storage.data_dir.join("demo").display()
        );
    }
    if !args.bind.ip().is_loopback() && !args.demo_on_network {
        anyhow::bail!(
            "demo mode listens on this machine only (its account's password is public): bind to 127.0.0.1, or add --demo-on-network on a network you trust"
        );
    }
    args.storage.data_dir = args.storage.data_dir.join("demo");
    if args.keys.secret_key_file.is_none() && args.keys.secret_key.is_none() {
        args.keys.secret_key_file = Some(args.storage.data_dir.join("secret.key"));
    }
    Ok(args)
}

/// Starts the simulator on a free loopback port and registers the demo apps (any redirect URI).
pub(crate) async fn start_simulator() -> anyhow::Result<RunningSimulator> {
    let simulator = Simulator::new(DEMO_SEED);
    for provider in [SimProvider::Spotify, SimProvider::SoundCloud] {
        simulator.register_app(provider, demo_client_id(provider), DEMO_CLIENT_SECRET, &[]);
    }
    simulator.serve("127.0.0.1:0").await
}

/// Provider URLs pointing at a simulator.
pub(crate) fn provider_urls(simulator: &RunningSimulator) -> ProviderArgs {
    ProviderArgs {
        spotify_accounts_url: simulator.urls.spotify_accounts.clone(),
        spotify_api_url: simulator.urls.spotify_api.clone(),
        soundcloud_auth_url: simulator.urls.soundcloud_auth.clone(),
        soundcloud_api_url: simulator.urls.soundcloud_api.clone(),
    }
}

/// Creates the demo account (once) and configures both providers' demo apps for it.
pub(crate) async fn seed_account(
    users: &UsersService,
    connections: &Arc<ConnectionsService>,
) -> anyhow::Result<()> {
    let username = Username::parse(DEMO_USERNAME).context("the demo username")?;
    let password = Password::parse(SecretString::from(DEMO_PASSWORD), &username)
        .context("the demo password")?;
    match users
        .register(NewAccount {
            username,
            email: None,
            password,
        })
        .await
    {
        Ok(_) | Err(RegisterError::UsernameTaken) => {}
        Err(error) => return Err(error).context("creating the demo account"),
    }
    let user = users
        .user_by_login(DEMO_USERNAME)
        .await?
        .context("the demo account exists")?;
    // The demo shows everything, the operator's page included (it listens on loopback only
    // unless told otherwise, and holds nothing but demo data).
    users.set_operator(user.id, true).await?;
    for (provider, sim_provider) in [
        (Provider::Spotify, SimProvider::Spotify),
        (Provider::SoundCloud, SimProvider::SoundCloud),
    ] {
        // The simulator starts afresh with the server and knows no earlier authorization: a
        // connection from an earlier run would only fail at its first use. Saying so now is the
        // truth the Connect page shows (press Connect again).
        connections
            .disconnect(user.id, provider, false)
            .await
            .context("resetting a demo connection")?;
        let credentials = ClientCredentials {
            client_id: ClientId::parse(demo_client_id(sim_provider)).context("a demo client id")?,
            client_secret: ClientSecret::parse(&SecretString::from(DEMO_CLIENT_SECRET))
                .context("the demo secret")?,
        };
        connections
            .set_credentials(user.id, provider, credentials)
            .await?;
    }
    Ok(())
}
