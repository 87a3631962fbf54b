//! Runs Argon2id off the async executor, a bounded number at a time.

use std::sync::Arc;

use anyhow::Context as _;
use async_trait::async_trait;
use secrecy::SecretString;
use soiree_users::{Argon2idHasher, PasswordHash, PasswordHasher};
use tokio::sync::Semaphore;

/// [`Argon2idHasher`] on tokio's blocking pool. Each hash takes 19 MiB and tens of milliseconds,
/// so at most one per core runs at once: a burst of logins queues instead of exhausting memory or
/// stalling the threads that serve other requests.
#[derive(Debug)]
pub(crate) struct BlockingArgon2 {
    hasher: Argon2idHasher,
    permits: Arc<Semaphore>,
}

impl BlockingArgon2 {
    pub(crate) fn new() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
        Self {
            hasher: Argon2idHasher::default(),
            permits: Arc::new(Semaphore::new(cores)),
        }
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Argon2idHasher) -> anyhow::Result<T> + Send + 'static,
    ) -> anyhow::Result<T> {
        let _permit = self
            .permits
            .acquire()
            .await
            .context("waiting for a password-hashing slot")?;
        let hasher = self.hasher.clone();
        tokio::task::spawn_blocking(move || work(&hasher))
            .await
            .context("running password hashing on the blocking pool")?
    }
}

#[async_trait]
impl PasswordHasher for BlockingArgon2 {
    async fn hash(&self, password: &SecretString) -> anyhow::Result<PasswordHash> {
        let password = password.clone();
        self.run(move |hasher| hasher.hash_blocking(&password))
            .await
    }

    async fn verify(&self, candidate: &SecretString, hash: &PasswordHash) -> anyhow::Result<bool> {
        let (candidate, hash) = (candidate.clone(), hash.clone());
        self.run(move |hasher| hasher.verify_blocking(&candidate, &hash))
            .await
    }
}
