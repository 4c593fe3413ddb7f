//! The arithmetic the read models share, on scaled integers so every figure is exact and reproducible.

/// Average of scaled integers, rounded half away from zero like `round(avg(x), s)` in SQL.
pub fn avg(sum: i64, n: i64) -> i64 {
    if sum >= 0 { (2 * sum + n) / (2 * n) } else { -((-2 * sum + n) / (2 * n)) }
}

/// Adherence in hundredths of a percent: 100 * (completed + 0.5 * partial) / prescribed.
pub fn adherence(prescribed: i32, completed: i32, partial: i32) -> Option<i64> {
    (prescribed > 0).then(|| avg(10_000 * i64::from(2 * completed + partial), 2 * i64::from(prescribed)))
}

/// A form trend from the change of the average score (hundredths of a point).
pub fn direction(change: Option<i64>) -> &'static str {
    match change {
        None => "insufficient_data",
        Some(c) if c > 300 => "improving",
        Some(c) if c < -300 => "declining",
        Some(_) => "stable",
    }
}

/// A count or sum that fits its `integer` column (the seeded figures are far below 2^31).
pub fn int(value: impl TryInto<i32>) -> i32 {
    value.try_into().unwrap_or(i32::MAX)
}

/// A count as a scaled-integer operand.
pub fn wide(count: usize) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}
