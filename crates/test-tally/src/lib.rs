//! Which optional backends a test run reached.
//!
//! Some tests need what a clone alone does not bring: a PostgreSQL server, Chromium with
//! chromedriver, the providers' published OpenAPI documents. Locally such a test may skip with a
//! visible notice; under `CI=true` a skip fails the test ([`skipped`]). Each test that did reach
//! its backend says so ([`ran`]), and when `SOIREE_TEST_TALLY_DIR` names a directory the counts
//! are kept there, one line per test in a file per backend, so that `.ci/run` can end with how
//! many tests ran against each: a skip shows in the closing lines, not only on stderr.

use std::io::Write as _;
use std::path::PathBuf;

/// An optional backend of the tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A PostgreSQL server (`SOIREE_TEST_POSTGRES_URL`).
    Postgres,
    /// Chromium and chromedriver, for the pages.
    Browser,
    /// The providers' OpenAPI documents (`../shared/specs` beside the project).
    ProviderSpecs,
    /// A Subsonic client library (py-sonic, from PyPI) run by Python.
    SubsonicClient,
}

impl Backend {
    /// The name of its tally file.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Postgres => "postgresql",
            Backend::Browser => "browser",
            Backend::ProviderSpecs => "provider-specs",
            Backend::SubsonicClient => "subsonic-client",
        }
    }
}

/// A test reached `backend`: one more in the tally.
pub fn ran(backend: Backend) {
    append(backend.name(), "ran");
}

/// A test could not reach `backend` because of `why` (which says what to install or set). Under
/// `CI=true` this fails the test, since CI must run everything; locally it says so on the
/// terminal (past the harness's capture) and in the tally.
///
/// # Panics
///
/// Under `CI=true`, always.
pub fn skipped(backend: Backend, test: &str, why: &str) {
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must run {test} against {}: {why}",
        backend.name()
    );
    let _ = writeln!(
        std::io::stderr(),
        "note: {test} SKIPPED ({} unavailable): {why}",
        backend.name()
    );
    append(&format!("{}.skipped", backend.name()), test);
}

fn append(file: &str, line: &str) {
    let Some(directory) = std::env::var_os("SOIREE_TEST_TALLY_DIR").map(PathBuf::from) else {
        return;
    };
    let _ = std::fs::create_dir_all(&directory);
    // One short write per line with O_APPEND: lines from parallel tests do not interleave.
    if let Ok(mut file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(directory.join(file))
    {
        let _ = file.write_all(format!("{line}\n").as_bytes());
    }
}
