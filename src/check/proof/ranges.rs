//! How a long proof is cut into consecutive ranges proved side by side, and when it is not.

use crate::migrations::{Migration, MigrationCatalog};

/// How many scratch databases prove side by side: one per core up to four, and only for a proof long
/// enough to repay building each one's starting point, and whose migrations leave the server's shared
/// objects alone.
pub fn workers(count: usize, catalog: &MigrationCatalog) -> usize {
    if catalog.migrations.iter().any(touches_the_cluster) {
        return 1;
    }
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    cores.min(4).min(count / 10).max(1)
}

/// Whether a migration may create, change or drop what the whole server shares (roles, tablespaces,
/// databases, server settings): side-by-side scratch databases would run into each other's. A word test on
/// the scripts' text (comments and strings included, so a DO block's dynamic SQL counts too).
fn touches_the_cluster(m: &Migration) -> bool {
    const WORDS: &[&str] = &[
        "CREATE ROLE",
        "CREATE USER",
        "CREATE GROUP",
        "ALTER ROLE",
        "ALTER USER",
        "ALTER GROUP",
        "DROP ROLE",
        "DROP USER",
        "DROP GROUP",
        "TABLESPACE",
        "CREATE DATABASE",
        "ALTER DATABASE",
        "DROP DATABASE",
        "ALTER SYSTEM",
        "SUBSCRIPTION",
        "REPLICATION_SLOT",
    ];
    std::iter::once(&m.up).chain(m.down.as_ref()).any(|script| {
        let text = script.sql.split_whitespace().collect::<Vec<_>>().join(" ").to_ascii_uppercase();
        WORDS.iter().any(|w| text.contains(w))
    })
}

/// Consecutive ranges of the migrations, one per worker, of about equal cost: a range pays for applying
/// every migration before it (about a quarter of proving one, which runs three scripts and three snapshots)
/// and for proving its own checked ones, so later ranges get fewer.
pub fn split(checked: &[bool], workers: usize) -> Vec<std::ops::Range<usize>> {
    const APPLY: f64 = 0.25;
    let cost = |start: usize, end: usize| {
        let proved = checked[start..end].iter().filter(|c| **c).count();
        start as f64 * APPLY + proved as f64
    };
    // The largest per-range budget whose greedy ranges still leave migrations over, found by bisection.
    let ranges_for = |budget: f64| {
        let mut ranges = Vec::new();
        let mut start = 0;
        while start < checked.len() && ranges.len() < workers {
            let mut end = start + 1;
            while end < checked.len() && cost(start, end + 1) <= budget {
                end += 1;
            }
            ranges.push(start..end);
            start = end;
        }
        (ranges, start)
    };
    let (mut low, mut high) = (0.0, cost(0, checked.len()));
    for _ in 0..40 {
        let mid = f64::midpoint(low, high);
        if ranges_for(mid).1 < checked.len() { low = mid } else { high = mid }
    }
    let (mut ranges, _) = ranges_for(high);
    if let Some(last) = ranges.last_mut() {
        last.end = checked.len();
    }
    ranges
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn ranges_cover_every_migration_once_and_later_ones_are_shorter() {
        let all = vec![true; 200];
        let ranges = split(&all, 2);
        assert_eq!(ranges.len(), 2);
        assert_eq!((ranges[0].start, ranges[1].end), (0, 200));
        assert_eq!(ranges[0].end, ranges[1].start);
        // The second range also applies the first one's migrations: it proves fewer.
        assert!(ranges[0].len() > ranges[1].len(), "{ranges:?}");
        assert_eq!(split(&all, 1), vec![std::ops::Range { start: 0, end: 200 }]);
        // Migrations only applied (already on the target) cost the first range nothing to prove.
        let mut pending = vec![false; 150];
        pending.extend([true; 40]);
        let ranges = split(&pending, 4);
        assert_eq!(ranges.first().map(|r| r.start), Some(0));
        assert_eq!(ranges.last().map(|r| r.end), Some(190));
        assert!(ranges.windows(2).all(|w| w[0].end == w[1].start && !w[1].is_empty()), "{ranges:?}");
    }
}
