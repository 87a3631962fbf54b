//! SeaORM entities: the shape of rows, private to this crate.

pub(crate) mod login_failures;
pub(crate) mod sessions;
pub(crate) mod users;
