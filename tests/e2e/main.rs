//! End-to-end tests: the real `soiree` binary, started on a free port with a temporary data
//! directory, driven over HTTP as a client would.

// A failing test panics; that is how it reports.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accounts;
mod browser;
mod connections;
mod crowd;
mod insights;
mod library;
mod limits;
mod metrics;
mod operations;
mod operator;
mod origin;
mod pages;
mod robustness;
mod rooms;
mod security;
mod stuffing;
mod subsonic;
mod support;
mod sync;
mod tracks;
mod uploads;
