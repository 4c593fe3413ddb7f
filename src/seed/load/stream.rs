//! The COPYs: the streamed table (the events) while the generator runs on its own thread, then every
//! buffered table from its spill.

use std::io::{Read, Write};
use std::sync::mpsc;
use std::time::Instant;

use anyhow::{Context, Result};
use postgres::Transaction;

use super::TableStat;
use super::copy::{HEADER, TRAILER};
use super::progress::LoadProgress;
use super::registry::{Loading, Table};
use super::sink::{Chunk, Sink, Spill};

/// Runs `generate` (given the seeding transaction's id) on a thread of its own while the streamed table's
/// rows go to the server as they come; returns the sink with the buffered tables and the streamed table's
/// figures.
pub fn generate_and_stream<G>(
    tx: &mut Transaction,
    progress: &dyn LoadProgress,
    xid: u64,
    generate: G,
) -> Result<(Sink, TableStat)>
where
    G: FnOnce(&mut Sink, u64) -> Result<()> + Send,
{
    let (sender, receiver) = mpsc::sync_channel::<Chunk>(16);
    std::thread::scope(|scope| {
        let generator = scope.spawn(move || -> Result<Sink> {
            let mut sink = Sink::new(Some(sender));
            generate(&mut sink, xid)?;
            Ok(sink)
        });
        let streamed = copy_streamed(tx, progress, receiver);
        let generated = generator.join().map_err(|_| anyhow::anyhow!("the data generator panicked"))?;
        // A COPY error is the cause; the generator then only reports that its receiver went away.
        let stat = streamed?;
        Ok((generated?, stat))
    })
}

fn copy_streamed(
    tx: &mut Transaction,
    progress: &dyn LoadProgress,
    chunks: mpsc::Receiver<Chunk>,
) -> Result<TableStat> {
    let table = Table::Events;
    debug_assert_eq!(table.spec().loading, Loading::Streamed);
    let started = Instant::now();
    let bar = progress.table(table.name(), None);
    let mut writer = tx.copy_in(&table.copy_in_sql())?;
    writer.write_all(HEADER)?;
    let mut bytes = 0u64;
    let mut rows = 0u64;
    for (chunk, count) in chunks {
        writer.write_all(&chunk)?;
        bytes += chunk.len() as u64;
        rows += count;
        bar.sent(rows);
    }
    writer.write_all(TRAILER)?;
    writer.finish().with_context(|| format!("COPY into {} failed", table.name()))?;
    bar.finish();
    Ok(TableStat::new(table.name(), rows, bytes, started.elapsed().as_secs_f64()))
}

/// COPYs every buffered table of `sink`, in registry order.
pub fn copy_buffered(tx: &mut Transaction, progress: &dyn LoadProgress, sink: Sink) -> Result<Vec<TableStat>> {
    let mut stats = Vec::new();
    for (table, spill) in Table::ALL.iter().zip(sink.tables) {
        if table.spec().loading == Loading::Buffered {
            stats.push(copy_spill(tx, progress, *table, spill)?);
        }
    }
    Ok(stats)
}

fn copy_spill(tx: &mut Transaction, progress: &dyn LoadProgress, table: Table, spill: Spill) -> Result<TableStat> {
    let started = Instant::now();
    let (mut reader, rows, bytes) = spill.into_reader()?;
    let bar = progress.table(table.name(), Some(rows));
    let mut writer = tx.copy_in(&table.copy_in_sql())?;
    writer.write_all(HEADER)?;
    let mut buf = vec![0u8; 1 << 20];
    let mut sent = 0u64;
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            break;
        }
        writer.write_all(&buf[..n])?;
        sent += n as u64;
        if let Some(done) = (rows * sent).checked_div(bytes) {
            bar.sent(done);
        }
    }
    writer.write_all(TRAILER)?;
    writer.finish().with_context(|| format!("COPY into {} failed", table.name()))?;
    bar.finish();
    Ok(TableStat::new(table.name(), rows, bytes, started.elapsed().as_secs_f64()))
}
