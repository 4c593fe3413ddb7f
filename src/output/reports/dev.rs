//! `rehab dev`: the cluster's state, where it lives, and how to use it.

use std::io::{self, Write};

use crate::commands::dev::{DestroyReport, StartReport, StatusReport, StopReport, UrlReport};
use crate::output::Report;

impl Report for StatusReport {
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
        let state = match (self.running, self.created) {
            (true, _) => "running",
            (false, true) => "stopped",
            (false, false) => "not created (rehab dev start creates it)",
        };
        let mut table = crate::output::table::new(&["dev cluster", ""]);
        table.add_row(vec!["state", state]);
        table.add_row(vec!["version", self.version.as_deref().unwrap_or("-")]);
        table.add_row(vec!["data directory".to_string(), self.data_dir.display().to_string()]);
        table.add_row(vec!["socket directory".to_string(), self.socket_dir.display().to_string()]);
        let port = match (self.running, self.port) {
            (true, Some(p)) => format!("{p} (127.0.0.1)"),
            (true, None) => "none (socket only)".to_string(),
            (false, _) => "-".to_string(),
        };
        table.add_row(vec!["TCP port".to_string(), port]);
        writeln!(out, "{table}")?;
        if !self.databases.is_empty() {
            let mut dbs = crate::output::table::new(&["database", "size"]);
            for db in &self.databases {
                dbs.add_row(vec![db.name.clone(), crate::doctor::human_bytes(db.bytes as f64)]);
            }
            writeln!(out, "{dbs}")?;
        }
        Ok(())
    }
}

impl Report for StartReport {
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
        let s = &self.status;
        match (self.started, self.created, self.recovered) {
            (false, _, _) => writeln!(out, "The dev cluster is already running (PostgreSQL {}).", version(s))?,
            (true, true, _) => writeln!(out, "Created and started the dev cluster (PostgreSQL {}).", version(s))?,
            (true, false, true) => {
                writeln!(out, "Started the dev cluster after a crash (PostgreSQL {}).", version(s))?;
            }
            (true, false, false) => writeln!(out, "Started the dev cluster (PostgreSQL {}).", version(s))?,
        }
        writeln!(out, "  data:   {}", s.data_dir.display())?;
        writeln!(out, "  socket: {}", s.socket_dir.display())?;
        match s.port {
            Some(p) => writeln!(out, "  TCP:    127.0.0.1:{p} (password: `rehab dev url`)")?,
            None => writeln!(out, "  TCP:    none (`rehab dev stop`, then `rehab dev start --port N`)")?,
        }
        if let Some(p) = self.ignored_port {
            writeln!(out, "  --port {p} takes effect after `rehab dev stop`")?;
        }
        writeln!(out, "Use it: rehab --database-url \"$(rehab dev url)\" setup")
    }
}

impl Report for StopReport {
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
        if self.stopped {
            writeln!(out, "Stopped the dev cluster in {}.", self.data_dir.display())
        } else {
            writeln!(out, "The dev cluster in {} is not running.", self.data_dir.display())
        }
    }
}

impl Report for UrlReport {
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "{}", self.url)
    }
}

impl Report for DestroyReport {
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
        if self.removed {
            writeln!(out, "Deleted the dev cluster in {}.", self.data_dir.display())
        } else {
            writeln!(out, "No dev cluster in {}: nothing to delete.", self.data_dir.display())
        }
    }
}

fn version(s: &StatusReport) -> &str {
    s.version.as_deref().unwrap_or("?")
}

#[cfg(test)]
mod tests {
    use super::{DestroyReport, StartReport, StatusReport, StopReport, UrlReport};
    use crate::commands::dev::DatabaseSize;
    use crate::output::reports::render;

    fn status(running: bool, port: Option<u16>) -> StatusReport {
        StatusReport {
            running,
            version: Some("15.20".into()),
            data_dir: "/home/ana/.local/share/rehab/pg15".into(),
            socket_dir: "/tmp/rehab-1000-0f909795302862cd".into(),
            port,
            databases: if running {
                vec![
                    DatabaseSize { name: "postgres".into(), bytes: 7_600_000 },
                    DatabaseSize { name: "tiny".into(), bytes: 512 },
                ]
            } else {
                vec![]
            },
            created: true,
        }
    }

    #[test]
    fn status_running_and_stopped() {
        insta::assert_snapshot!(render(&status(true, Some(54321))) + &render(&status(false, None)));
    }

    #[test]
    fn start_stop_url_and_destroy() {
        let start = |started, created, recovered, ignored_port| StartReport {
            started,
            created,
            recovered,
            url: "postgresql:///rehab_development?host=/tmp/rehab-1000-0f909795302862cd".into(),
            status: status(true, None),
            ignored_port,
        };
        let data_dir = std::path::PathBuf::from("/home/ana/.local/share/rehab/pg15");
        let text = [
            render(&start(true, true, false, None)),
            render(&start(true, false, true, None)),
            render(&start(false, false, false, Some(5433))),
            render(&StopReport { stopped: true, data_dir: data_dir.clone() }),
            render(&StopReport { stopped: false, data_dir: data_dir.clone() }),
            render(&UrlReport { url: "postgresql:///rehab_development?host=/tmp/x".into() }),
            render(&DestroyReport { removed: true, data_dir: data_dir.clone() }),
            render(&DestroyReport { removed: false, data_dir }),
        ];
        insta::assert_snapshot!(text.concat());
    }
}
