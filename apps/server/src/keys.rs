//! Loading the key that seals secrets at rest (CR-1), creating it on first start.

use std::fs::OpenOptions;
use std::io::Write as _;
use std::path::Path;

use anyhow::{Context as _, bail};
use secrecy::ExposeSecret as _;
use soiree_storage::{Sealer, SealingKey};

use crate::cli::KeyArgs;

/// The sealer from `SOIREE_SECRET_KEY`, else from the key file, creating the file (mode 0600,
/// never overwriting) when it does not exist yet.
pub(crate) fn load_sealer(keys: &KeyArgs, data_dir: &Path) -> anyhow::Result<Sealer> {
    if let Some(value) = keys
        .secret_key
        .as_deref()
        .filter(|value| !value.trim().is_empty())
    {
        return Sealer::parse(value).context("reading SOIREE_SECRET_KEY");
    }
    let path = keys
        .secret_key_file
        .clone()
        .unwrap_or_else(|| data_dir.join("secret.key"));
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            check_permissions(&path)?;
            Sealer::parse(&text)
                .with_context(|| format!("reading the secret key file {}", path.display()))
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => create_key_file(&path),
        Err(error) => {
            Err(error).with_context(|| format!("reading the secret key file {}", path.display()))
        }
    }
}

fn create_key_file(path: &Path) -> anyhow::Result<Sealer> {
    let key = SealingKey::generate("k1").context("generating a secret key")?;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("creating the secret key file {}", path.display()))?;
    file.write_all(format!("{}\n", key.encode().expose_secret()).as_bytes())
        .with_context(|| format!("writing the secret key file {}", path.display()))?;
    file.sync_all().ok();
    tracing::warn!(
        path = %path.display(),
        "created a new secret key; back it up: without it, stored provider secrets and tokens cannot be read"
    );
    Ok(Sealer::new(key, Vec::new()))
}

/// Refuses a key file that others can read (it would defeat sealing).
pub(crate) fn check_permissions(path: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        if let Ok(metadata) = std::fs::metadata(path)
            && metadata.permissions().mode() & 0o077 != 0
        {
            bail!(
                "the secret key file {} can be read by other users; run: chmod 600 {}",
                path.display(),
                path.display()
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cr_1_the_key_file_is_created_once_with_mode_0600_and_reused() {
        let directory = tempfile::tempdir().unwrap();
        let keys = KeyArgs {
            secret_key: None,
            secret_key_file: None,
        };
        let first = load_sealer(&keys, directory.path()).unwrap();
        let path = directory.path().join("secret.key");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        let sealed = first
            .seal(&secrecy::SecretString::from("token"), "c")
            .unwrap();
        let second = load_sealer(&keys, directory.path()).unwrap();
        assert_eq!(
            second.open(&sealed, "c").unwrap().expose_secret(),
            "token",
            "the same key is read back"
        );
        check_permissions(&path).unwrap();
    }

    #[test]
    fn a_key_from_the_environment_wins_and_a_bad_one_says_how_to_write_it() {
        let directory = tempfile::tempdir().unwrap();
        let key = SealingKey::generate("env").unwrap();
        let keys = KeyArgs {
            secret_key: Some(key.encode().expose_secret().to_owned()),
            secret_key_file: None,
        };
        let sealer = load_sealer(&keys, directory.path()).unwrap();
        assert!(
            sealer
                .seal(&secrecy::SecretString::from("x"), "c")
                .unwrap()
                .starts_with("v1.env.")
        );
        assert!(
            !directory.path().join("secret.key").exists(),
            "no file when the key comes from the environment"
        );
        let bad = KeyArgs {
            secret_key: Some("not-a-key".into()),
            secret_key_file: None,
        };
        let message = format!("{:#}", load_sealer(&bad, directory.path()).unwrap_err());
        assert!(
            message.contains("ID:BASE64") && !message.contains("not-a-key"),
            "{message}"
        );
    }
}
