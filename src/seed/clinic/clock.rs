//! Calendar arithmetic on Unix days and microseconds, and the fixed reference date all seeds end at.

use chrono::{Datelike, NaiveDate};

pub const US_PER_SEC: i64 = 1_000_000;
pub const US_PER_MIN: i64 = 60 * US_PER_SEC;
pub const US_PER_HOUR: i64 = 60 * US_PER_MIN;
pub const US_PER_DAY: i64 = 24 * US_PER_HOUR;

/// The "now" of every seeded database: 2026-01-05 00:00 UTC, a Monday. Data is history before it.
pub fn reference_day() -> i32 {
    days(NaiveDate::from_ymd_opt(2026, 1, 5).expect("valid date"))
}

pub fn days(d: NaiveDate) -> i32 {
    i32::try_from((d - NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date")).num_days())
        .expect("a date within 2^31 days of 1970")
}

pub fn date(day: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date") + chrono::TimeDelta::days(day.into())
}

/// 0 = Monday ... 6 = Sunday (1970-01-01 was a Thursday).
pub fn weekday(day: i32) -> i32 {
    (day + 3).rem_euclid(7)
}

pub fn week_start(day: i32) -> i32 {
    day - weekday(day)
}

pub fn month_start(day: i32) -> i32 {
    let d = date(day);
    days(NaiveDate::from_ymd_opt(d.year(), d.month(), 1).expect("valid date"))
}

pub fn day_of(us: i64) -> i32 {
    i32::try_from(us.div_euclid(US_PER_DAY)).expect("a time within 2^31 days of 1970")
}

pub fn at(day: i32) -> i64 {
    i64::from(day) * US_PER_DAY
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_day_is_a_monday() {
        assert_eq!(weekday(reference_day()), 0);
        assert_eq!(week_start(reference_day() + 3), reference_day());
        assert_eq!(date(month_start(reference_day())), NaiveDate::from_ymd_opt(2026, 1, 1).unwrap());
    }
}
