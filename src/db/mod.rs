//! Everything that talks to PostgreSQL below the migration layer: where to connect, how, and admin work.

pub mod admin;
pub mod connect;
pub mod conninfo;
pub mod lock;
pub mod marker;
pub mod tls;
pub mod wipe;

pub use admin::quote_ident;
pub use conninfo::ConnInfo;
