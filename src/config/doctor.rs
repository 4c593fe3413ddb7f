//! `[doctor]`: the thresholds of `rehab doctor`'s checks, their defaults, and the checks that they agree.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DoctorSection {
    /// Statement timeout of each check, in milliseconds: a slower check reports ERROR "timed out".
    pub check_timeout_ms: u64,
    /// Round-trip latency above which `connection/latency` warns.
    pub latency_warn_ms: f64,
    /// int2/int4 sequences: WARN / FAIL at this percentage of the column type's range.
    pub sequence_warn_pct: f64,
    pub sequence_fail_pct: f64,
    /// Projection lag in events: WARN above / FAIL above.
    pub projection_lag_warn: i64,
    pub projection_lag_fail: i64,
    /// A lagging projection whose `updated_at` is this much older than the newest event is stalled.
    pub projection_stall_secs: u64,
    /// Connections used against `max_connections`: WARN / FAIL at this percentage.
    pub connections_warn_pct: f64,
    pub connections_fail_pct: f64,
    /// Queries running longer than this warn.
    pub long_query_secs: u64,
    /// Sessions idle in transaction longer than this warn.
    pub idle_in_transaction_secs: u64,
    /// Sessions waiting for a lock longer than this warn.
    pub blocked_secs: u64,
    /// Prepared transactions older than this warn.
    pub prepared_xact_secs: u64,
    /// Transaction-ID age as a percentage of `autovacuum_freeze_max_age`: WARN / FAIL.
    pub wraparound_warn_pct: f64,
    pub wraparound_fail_pct: f64,
    /// Dead tuples as a percentage of all tuples of a large table: WARN at this ratio...
    pub dead_tuple_warn_pct: f64,
    /// ...and only with at least this many dead tuples.
    pub dead_tuple_min: i64,
    /// Cache hit ratio below this warns...
    pub cache_hit_warn_pct: f64,
    /// ...once at least this many blocks were accessed (hits + reads).
    pub cache_hit_min_blocks: i64,
    /// How many of the largest tables the maintenance checks list.
    pub largest_tables: i64,
    /// Replica replay lag above this warns.
    pub replica_lag_warn_secs: f64,
}

impl DoctorSection {
    /// Thresholds that contradict each other or make no sense, named by key: a WARN level above its FAIL
    /// level would never warn, a negative time or count never matches, a percentage outside 0..=100 never fires.
    pub(super) fn validate(&self) -> Result<(), String> {
        let pairs = [
            ("sequence_warn_pct", self.sequence_warn_pct, "sequence_fail_pct", self.sequence_fail_pct),
            ("connections_warn_pct", self.connections_warn_pct, "connections_fail_pct", self.connections_fail_pct),
            ("wraparound_warn_pct", self.wraparound_warn_pct, "wraparound_fail_pct", self.wraparound_fail_pct),
        ];
        for (warn_key, warn, fail_key, fail) in pairs {
            if warn > fail {
                return Err(format!(
                    "{warn_key} = {warn} is above {fail_key} = {fail}: the warning level must not exceed the failure level"
                ));
            }
        }
        if self.projection_lag_warn > self.projection_lag_fail {
            return Err(format!(
                "projection_lag_warn = {} is above projection_lag_fail = {}: the warning level must not exceed the failure level",
                self.projection_lag_warn, self.projection_lag_fail
            ));
        }
        let percents = [
            ("sequence_warn_pct", self.sequence_warn_pct),
            ("sequence_fail_pct", self.sequence_fail_pct),
            ("connections_warn_pct", self.connections_warn_pct),
            ("connections_fail_pct", self.connections_fail_pct),
            ("wraparound_warn_pct", self.wraparound_warn_pct),
            ("wraparound_fail_pct", self.wraparound_fail_pct),
            ("dead_tuple_warn_pct", self.dead_tuple_warn_pct),
            ("cache_hit_warn_pct", self.cache_hit_warn_pct),
        ];
        for (key, value) in percents {
            if !(0.0..=100.0).contains(&value) {
                return Err(format!("{key} = {value} is not a percentage from 0 to 100"));
            }
        }
        let non_negative = [
            ("latency_warn_ms", self.latency_warn_ms),
            ("replica_lag_warn_secs", self.replica_lag_warn_secs),
            ("projection_lag_warn", self.projection_lag_warn as f64),
            ("projection_lag_fail", self.projection_lag_fail as f64),
            ("dead_tuple_min", self.dead_tuple_min as f64),
            ("cache_hit_min_blocks", self.cache_hit_min_blocks as f64),
            ("largest_tables", self.largest_tables as f64),
        ];
        for (key, value) in non_negative {
            if value.is_nan() || value < 0.0 {
                return Err(format!("{key} = {value} is negative: use 0 or more"));
            }
        }
        Ok(())
    }
}

impl Default for DoctorSection {
    fn default() -> Self {
        Self {
            check_timeout_ms: 5000,
            latency_warn_ms: 100.0,
            sequence_warn_pct: 85.0,
            sequence_fail_pct: 95.0,
            projection_lag_warn: 1_000,
            projection_lag_fail: 100_000,
            projection_stall_secs: 600,
            connections_warn_pct: 80.0,
            connections_fail_pct: 95.0,
            long_query_secs: 300,
            idle_in_transaction_secs: 60,
            blocked_secs: 5,
            prepared_xact_secs: 300,
            wraparound_warn_pct: 50.0,
            wraparound_fail_pct: 90.0,
            dead_tuple_warn_pct: 20.0,
            dead_tuple_min: 1_000,
            cache_hit_warn_pct: 95.0,
            cache_hit_min_blocks: 100_000,
            largest_tables: 5,
            replica_lag_warn_secs: 60.0,
        }
    }
}
