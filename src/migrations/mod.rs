//! The migration layer: the catalog of scripts, the history in the database, and applying them.

pub mod apply;
pub mod batch;
pub mod catalog;
pub mod history;
pub mod rollback;
pub mod split;
pub mod sql_error;
pub mod unbuilt;

pub use catalog::{Migration, MigrationCatalog};

/// The caller's progress hook, called before each script runs: the migration, its index and the total.
pub type OnStart<'a> = &'a mut dyn FnMut(&Migration, usize, usize);
