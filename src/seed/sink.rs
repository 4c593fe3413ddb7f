//! Where generated rows go: the event rows stream to the loader through a bounded channel while they are
//! generated (the one COPY that overlaps generation); every other table is buffered, spilling to an
//! unnamed temporary file past a few MiB, and loaded after the events.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::sync::mpsc::SyncSender;

use super::copy::Rows;
use super::tables::{COUNT, T};

const SPILL_AT: usize = 4 << 20;
pub const CHUNK: usize = 1 << 20;

/// A chunk of encoded event rows and how many rows it holds.
pub type Chunk = (Vec<u8>, u64);

/// Rows of one table: an in-memory tail and, once large, a temporary file with the rest.
#[derive(Debug, Default)]
pub struct Spill {
    pub rows: Rows,
    file: Option<File>,
    pub total_rows: u64,
    pub bytes: u64,
}

impl Spill {
    fn maybe_spill(&mut self) -> io::Result<()> {
        if self.rows.buf.len() >= SPILL_AT {
            self.spill()?;
        }
        Ok(())
    }

    fn spill(&mut self) -> io::Result<()> {
        if self.file.is_none() {
            self.file = Some(tempfile::tempfile()?);
        }
        let f = self.file.as_mut().expect("created above");
        f.write_all(&self.rows.buf)?;
        self.bytes += self.rows.buf.len() as u64;
        self.total_rows += self.rows.rows;
        self.rows.buf.clear();
        self.rows.rows = 0;
        Ok(())
    }

    /// Everything in order, as a reader, with the total row and byte counts.
    pub fn into_reader(mut self) -> io::Result<(Box<dyn Read + Send>, u64, u64)> {
        let rows = self.total_rows + self.rows.rows;
        let bytes = self.bytes + self.rows.buf.len() as u64;
        match self.file.take() {
            None => Ok((Box::new(io::Cursor::new(self.rows.buf)), rows, bytes)),
            Some(mut f) => {
                f.seek(SeekFrom::Start(0))?;
                Ok((Box::new(f.chain(io::Cursor::new(self.rows.buf))), rows, bytes))
            }
        }
    }
}

/// All outputs of one generator run.
pub struct Sink {
    pub tables: Vec<Spill>,
    events: Rows,
    pub event_rows: u64,
    tx: Option<SyncSender<Chunk>>,
}

impl Sink {
    /// `tx` receives the event rows; `None` keeps them in memory like the other tables (tests).
    pub fn new(tx: Option<SyncSender<Chunk>>) -> Self {
        Self {
            tables: (0..COUNT).map(|_| Spill::default()).collect(),
            events: Rows::with_capacity(CHUNK + 64 * 1024),
            event_rows: 0,
            tx,
        }
    }

    /// The row buffer of `t`; call [`Sink::done`] after each row.
    pub fn rows(&mut self, t: T) -> &mut Rows {
        if t == T::Events { &mut self.events } else { &mut self.tables[t as usize].rows }
    }

    /// Hands full buffers on: events to the loader, other tables to their spill file.
    pub fn done(&mut self, t: T) -> io::Result<()> {
        if t == T::Events {
            if self.events.buf.len() >= CHUNK {
                self.flush_events()?;
            }
            Ok(())
        } else {
            self.tables[t as usize].maybe_spill()
        }
    }

    /// Sends the last event rows and closes the channel, so the loader's COPY can end.
    pub fn close_events(&mut self) -> io::Result<()> {
        self.flush_events()?;
        self.tx = None;
        Ok(())
    }

    pub fn flush_events(&mut self) -> io::Result<()> {
        self.event_rows += self.events.rows;
        match &self.tx {
            Some(tx) => {
                let buf = std::mem::replace(&mut self.events.buf, Vec::with_capacity(CHUNK + 64 * 1024));
                let rows = std::mem::take(&mut self.events.rows);
                tx.send((buf, rows)).map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the loader stopped"))
            }
            None => {
                let spill = &mut self.tables[T::Events as usize];
                spill.rows.buf.append(&mut self.events.buf);
                spill.rows.rows += std::mem::take(&mut self.events.rows);
                Ok(())
            }
        }
    }
}
