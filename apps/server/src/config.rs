//! Turns command-line arguments into checked settings, with errors that say what to change.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use soiree_users::SessionPolicy;

use crate::cli::{ServeArgs, StorageArgs};

/// Creates the data directory if needed and returns the database URL to use.
pub(crate) fn database_url(storage: &StorageArgs) -> anyhow::Result<String> {
    if let Some(url) = storage
        .database_url
        .as_deref()
        .filter(|url| !url.trim().is_empty())
    {
        return Ok(url.trim().to_owned());
    }
    let data_dir = prepare_data_dir(&storage.data_dir)?;
    let file = data_dir.join("soiree.db");
    private_file(&file)?;
    Ok(format!("sqlite://{}?mode=rwc", file.display()))
}

/// Creates `path` readable and writable by its owner only, or makes an existing one so: the
/// database holds every account. (SQLite gives its `-wal` and `-shm` files the same mode.)
fn private_file(path: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
        let created = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path);
        match created {
            Ok(_) => {}
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
                let mode = std::fs::metadata(path)
                    .with_context(|| format!("reading {}", path.display()))?
                    .permissions()
                    .mode();
                if mode & 0o077 != 0 {
                    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
                        .with_context(|| {
                            format!("making {} readable by its owner only", path.display())
                        })?;
                    tracing::warn!(
                        path = %path.display(),
                        "the database file was readable by others; it is now readable by its owner only"
                    );
                }
            }
            Err(error) => {
                return Err(error).with_context(|| format!("creating {}", path.display()));
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

pub(crate) fn prepare_data_dir(data_dir: &Path) -> anyhow::Result<PathBuf> {
    prepare_dir(data_dir, "data directory", "--data-dir or SOIREE_DATA_DIR")
}

/// Creates `dir` (the `what`, chosen with `setting`) if needed, resolves it, and checks that it
/// can be written: a directory the server cannot write is refused at start with what to
/// change, rather than failing every write later.
pub(crate) fn prepare_dir(dir: &Path, what: &str, setting: &str) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| {
        format!(
            "creating the {what} {}; choose another with {setting}",
            dir.display()
        )
    })?;
    let dir = dir
        .canonicalize()
        .with_context(|| format!("resolving the {what} {}", dir.display()))?;
    check_writable(&dir, what, setting)?;
    Ok(dir)
}

/// Writes and removes a file in `dir`.
fn check_writable(dir: &Path, what: &str, setting: &str) -> anyhow::Result<()> {
    let probe = dir.join(format!(".soiree-write-check-{}", std::process::id()));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .and_then(|mut file| std::io::Write::write_all(&mut file, b"soiree"));
    let _ = std::fs::remove_file(&probe);
    written.with_context(|| {
        format!(
            "the {what} {} cannot be written: make it writable by the user running soiree (chown or chmod), or choose another with {setting}",
            dir.display()
        )
    })
}

/// Why a public URL naming `localhost` will not work with Spotify, and what to use instead.
pub(crate) fn localhost_warning(public_url: &str) -> Option<String> {
    let uri: poem::http::Uri = public_url.parse().ok()?;
    let host = uri.host()?;
    (host.eq_ignore_ascii_case("localhost") || host.to_ascii_lowercase().ends_with(".localhost"))
        .then(|| {
            let fixed = public_url.replacen(host, "127.0.0.1", 1);
            format!(
                "the public URL {public_url} names localhost: Spotify refuses redirect URIs with localhost, so connecting Spotify will fail. Use {fixed} (set --public-url or SOIREE_PUBLIC_URL)"
            )
        })
}

/// The public URL without a trailing slash, checked to be an absolute http(s) URL. Without
/// `--public-url` it is derived from `listening`, the address actually bound (which differs from
/// `--bind` when that asks for port 0).
pub(crate) fn public_url(args: &ServeArgs, listening: SocketAddr) -> anyhow::Result<String> {
    let url = match &args.public_url {
        Some(url) => url.trim().trim_end_matches('/').to_owned(),
        None => {
            // A wildcard bind is reachable on loopback; that is the address a browser on the same
            // machine can use.
            let host = if listening.ip().is_unspecified() {
                "127.0.0.1".to_owned()
            } else if listening.is_ipv6() {
                format!("[{}]", listening.ip())
            } else {
                listening.ip().to_string()
            };
            format!("http://{host}:{}", listening.port())
        }
    };
    let uri: poem::http::Uri = url.parse().with_context(|| {
        format!("the public URL {url:?} is not a URL; set --public-url or SOIREE_PUBLIC_URL")
    })?;
    match (uri.scheme_str(), uri.host()) {
        (Some("http" | "https"), Some(_)) => Ok(url),
        _ => bail!(
            "the public URL {url:?} must start with http:// or https:// and name a host; set --public-url or SOIREE_PUBLIC_URL"
        ),
    }
}

/// `scheme://host[:port]` of a URL (the form browsers send in `Origin`).
pub(crate) fn origin_of(url: &str) -> String {
    let after_scheme = url.find("://").map_or(0, |index| index + 3);
    match url[after_scheme..].find('/') {
        Some(slash) => url[..after_scheme + slash].to_owned(),
        None => url.to_owned(),
    }
}

/// Session lifetimes from the arguments.
pub(crate) fn session_policy(args: &ServeArgs) -> anyhow::Result<SessionPolicy> {
    let convert = |duration: humantime::Duration, flag: &str| -> anyhow::Result<chrono::Duration> {
        let std_duration: std::time::Duration = duration.into();
        if std_duration.is_zero() {
            bail!("{flag} must be longer than zero");
        }
        chrono::Duration::from_std(std_duration).with_context(|| format!("{flag} is too long"))
    };
    Ok(SessionPolicy {
        idle_timeout: convert(args.session_idle_timeout, "--session-idle-timeout")?,
        absolute_timeout: convert(args.session_absolute_timeout, "--session-absolute-timeout")?,
    })
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    use super::*;
    use crate::cli::{Cli, Command};

    fn serve_args(arguments: &[&str]) -> ServeArgs {
        let mut all = vec!["soiree", "serve"];
        all.extend_from_slice(arguments);
        match Cli::try_parse_from(all).expect("arguments parse").command {
            Command::Serve(args) => *args,
            _ => unreachable!("parsed serve"),
        }
    }

    #[test]
    fn public_url_follows_the_bind_address_unless_given() {
        let cases = [
            (vec![], Some("http://127.0.0.1:8000")),
            (
                vec!["--bind", "0.0.0.0:9000"],
                Some("http://127.0.0.1:9000"),
            ),
            (vec!["--bind", "[::1]:9000"], Some("http://[::1]:9000")),
            (
                vec!["--public-url", "https://party.example.org/"],
                Some("https://party.example.org"),
            ),
            (vec!["--public-url", "party.example.org"], None),
            (vec!["--public-url", "ftp://party.example.org"], None),
        ];
        for (arguments, expected) in cases {
            let args = serve_args(&arguments);
            let outcome = public_url(&args, args.bind).ok();
            assert_eq!(outcome.as_deref(), expected, "{arguments:?}");
        }
    }

    #[test]
    fn a_public_url_naming_localhost_warns_with_the_address_to_use() {
        let warning = localhost_warning("http://localhost:8000").expect("a warning");
        assert!(warning.contains("Spotify refuses"), "{warning}");
        assert!(warning.contains("http://127.0.0.1:8000"), "{warning}");
        assert!(localhost_warning("http://party.localhost").is_some());
        assert_eq!(localhost_warning("http://127.0.0.1:8000"), None);
        assert_eq!(localhost_warning("https://party.example.org"), None);
    }

    #[test]
    fn a_data_directory_that_cannot_be_written_is_refused_with_what_to_change() {
        let parent = tempfile::tempdir().unwrap();
        // A file where the directory should be: nothing can be written inside it, for root too.
        let blocked = parent.path().join("data");
        std::fs::write(&blocked, b"not a directory").unwrap();
        let error = format!(
            "{:#}",
            prepare_data_dir(&blocked.join("inner")).unwrap_err()
        );
        assert!(error.contains("--data-dir"), "{error}");
        let error = format!(
            "{:#}",
            check_writable(&blocked, "data directory", "--data-dir or SOIREE_DATA_DIR")
                .unwrap_err()
        );
        assert!(
            error.contains("cannot be written") && error.contains("chmod"),
            "{error}"
        );
        // The drive directory says its own setting.
        let error = format!(
            "{:#}",
            prepare_dir(
                &blocked.join("drives"),
                "drive directory",
                "--drive-dir or SOIREE_DRIVE_DIR"
            )
            .unwrap_err()
        );
        assert!(error.contains("SOIREE_DRIVE_DIR"), "{error}");
        let fine = prepare_data_dir(&parent.path().join("fine")).unwrap();
        assert_eq!(
            std::fs::read_dir(&fine).unwrap().count(),
            0,
            "the probe is removed"
        );
    }

    #[test]
    fn session_timeouts_are_configurable_and_never_zero() {
        let policy = session_policy(&serve_args(&["--session-idle-timeout", "30m"])).unwrap();
        assert_eq!(policy.idle_timeout, chrono::Duration::minutes(30));
        assert_eq!(policy.absolute_timeout, chrono::Duration::hours(24));
        assert!(session_policy(&serve_args(&["--session-absolute-timeout", "0s"])).is_err());
        let args = serve_args(&["--bind", "127.0.0.1:0"]);
        let bound = "127.0.0.1:43210".parse().unwrap();
        assert_eq!(
            public_url(&args, bound).unwrap(),
            "http://127.0.0.1:43210",
            "port 0 resolves to the bound port"
        );
    }
}
