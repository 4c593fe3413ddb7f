//! Where generated rows go: the streamed table's rows (the events) go to the loader through a bounded
//! channel while they are generated (the one COPY that overlaps generation); every other table is buffered,
//! spilling to an unnamed temporary file past a few MiB, and loaded after the events.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::sync::mpsc::SyncSender;

use super::copy::Rows;
use super::registry::{Loading, Table};

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
        self.total_rows += self.rows.count;
        self.rows.buf.clear();
        self.rows.count = 0;
        Ok(())
    }

    /// Everything in order, as a reader, with the total row and byte counts.
    pub fn into_reader(mut self) -> io::Result<(Box<dyn Read + Send>, u64, u64)> {
        let rows = self.total_rows + self.rows.count;
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
            tables: Table::ALL.iter().map(|_| Spill::default()).collect(),
            events: Rows::with_capacity(CHUNK + 64 * 1024),
            event_rows: 0,
            tx,
        }
    }

    fn rows(&mut self, table: Table) -> &mut Rows {
        match table.spec().loading {
            Loading::Streamed => &mut self.events,
            Loading::Buffered => &mut self.tables[table.index()].rows,
        }
    }

    /// Starts a row of `table` (its field count from the registry) and returns the buffer to write its
    /// fields into, in the registry's column order; call [`Sink::done`] after the row.
    pub fn row(&mut self, table: Table) -> &mut Rows {
        let rows = self.rows(table);
        rows.row(table.width());
        rows
    }

    /// Ends a row of `table` and hands full buffers on: the streamed table's to the loader, the others'
    /// to their spill file. Debug builds check the row against the registry's column count.
    pub fn done(&mut self, table: Table) -> io::Result<()> {
        #[cfg(debug_assertions)]
        {
            let fields = self.rows(table).fields;
            debug_assert_eq!(
                fields,
                table.width(),
                "a row of {} has {fields} fields, the registry declares {}",
                table.name(),
                table.width()
            );
        }
        match table.spec().loading {
            Loading::Streamed if self.events.buf.len() >= CHUNK => self.flush_events(),
            Loading::Streamed => Ok(()),
            Loading::Buffered => self.tables[table.index()].maybe_spill(),
        }
    }

    /// Sends the last event rows and closes the channel, so the loader's COPY can end.
    pub fn close_events(&mut self) -> io::Result<()> {
        self.flush_events()?;
        self.tx = None;
        Ok(())
    }

    pub fn flush_events(&mut self) -> io::Result<()> {
        self.event_rows += self.events.count;
        if let Some(tx) = &self.tx {
            let buf = std::mem::replace(&mut self.events.buf, Vec::with_capacity(CHUNK + 64 * 1024));
            let rows = std::mem::take(&mut self.events.count);
            tx.send((buf, rows)).map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the loader stopped"))
        } else {
            let spill = &mut self.tables[Table::Events.index()];
            spill.rows.buf.append(&mut self.events.buf);
            spill.rows.count += std::mem::take(&mut self.events.count);
            Ok(())
        }
    }
}
