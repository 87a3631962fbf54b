//! SeaORM entities: the shape of rows, private to this crate.

pub(crate) mod connections;
pub(crate) mod login_failures;
pub(crate) mod oauth_authorizations;
pub(crate) mod sessions;
pub(crate) mod users;
