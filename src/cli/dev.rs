//! `rehab dev`'s actions and flags.

// The doc comments here are the `--help` text, printed as written: backticks would show.
#![allow(clippy::doc_markdown)]

use clap::{Args, Subcommand};

#[derive(Debug, Args, Clone)]
pub struct DevArgs {
    #[command(subcommand)]
    pub action: DevAction,
}

#[derive(Debug, Subcommand, Clone)]
pub enum DevAction {
    /// Create the cluster if needed (initdb), then start it and wait until it accepts connections
    ///
    /// A running cluster is left as it is. A stale postmaster.pid (after a crash or kill) is cleared and the
    /// server started again. Prints where it lives and the URL to use.
    Start(DevStartArgs),
    /// Stop the cluster, waiting for a clean shutdown (sessions are disconnected); nothing if it is stopped
    Stop,
    /// Whether the cluster runs, its version, data and socket directories, TCP port, databases and sizes
    ///
    /// With --format json: {"running", "version", "data_dir", "socket_dir", "port", "databases": [{"name",
    /// "bytes"}]}; `port` is null without TCP, `version` null before the first start.
    Status,
    /// Print the URL of the running cluster, for --database-url, DATABASE_URL or psql
    ///
    /// The socket URL (postgresql:///DB?host=/tmp/rehab-...&user=NAME), or, when the cluster listens on TCP
    /// (`start --port`), postgresql://NAME:PASSWORD@127.0.0.1:PORT/DB for tools that need TCP. Exit 1 when
    /// the cluster is not running.
    Url(DevUrlArgs),
    /// Stop the cluster and delete its data directory and socket directory, every database in it
    ///
    /// Asks on a terminal; without one it needs --yes (exit 4 otherwise). Refuses a data directory that
    /// does not hold a PostgreSQL cluster.
    Destroy,
}

#[derive(Debug, Args, Clone, Default)]
pub struct DevStartArgs {
    /// Also listen on TCP at 127.0.0.1:PORT (password authentication; `rehab dev url` prints the password)
    #[arg(long, value_name = "PORT", value_parser = clap::value_parser!(u16).range(1..))]
    pub port: Option<u16>,
}

#[derive(Debug, Args, Clone)]
pub struct DevUrlArgs {
    /// The database the URL names
    #[arg(long, value_name = "NAME", default_value = "rehab_development")]
    pub dbname: String,

    /// The socket URL even when the cluster listens on TCP
    #[arg(long)]
    pub socket: bool,
}
