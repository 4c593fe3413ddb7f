//! Everything that talks to PostgreSQL below the migration layer: where to connect, how, and admin work.

pub mod admin;
pub mod connect;
pub mod conninfo;
pub mod connstring;
pub mod error;
pub mod local;
pub mod lock;
pub mod marker;
pub mod session;
pub mod tls;
pub mod wipe;

pub use admin::quote_ident;
pub use conninfo::ConnInfo;

/// Keeps only the schemas that are not PostgreSQL's own (`pg_catalog`, `information_schema`, `pg_toast`,
/// and the per-session `pg_temp_*` / `pg_toast_temp_*`), in a query that names `pg_namespace` as `n`.
/// Shared by `reset` (what it drops) and `doctor` (what it inspects), so both see the same schemas.
pub const USER_SCHEMAS: &str = "n.nspname NOT IN ('pg_catalog', 'information_schema') \
                                AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'";
