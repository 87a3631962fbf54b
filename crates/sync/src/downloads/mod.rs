//! Downloads into people's drive folders: a liked track whose artist made it downloadable
//! (SoundCloud's `download_url`) becomes a file in the person's drive, fetched piece by piece
//! with their token, within their storage quota (what a download holds counts as soon as it is
//! written), resumed from the last piece after a failure or a restart, and never left half
//! written: a download that cannot finish removes its part file.
//!
//! [`DownloadService`] owns the rules; [`DownloadQueue`] (storage: what to download and how far
//! each got, leased to one process at a time), [`FileSource`] (the service's bytes),
//! [`DriveFiles`] (the folder) and [`StorageRoom`] (the quota) are its ports;
//! [`crate::memory`] holds in-process versions.

mod model;
mod ports;
mod service;

pub use model::{Chunk, Download, DownloadEnd, DownloadState, DriveFile, FetchFailure, Recorded};
pub use ports::{DownloadQueue, DriveFiles, FileSource, StorageRoom};
pub use service::{DownloadConfig, DownloadService, file_stem};

#[cfg(test)]
mod tests;
