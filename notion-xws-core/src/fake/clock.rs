//! The fake's clock: tokio's clock since the fake was made, added to a fixed wall time.
//!
//! Time in the fake is `FakeConfig::base_time` plus the tokio time elapsed since
//! [`FakeNotion::new`](super::FakeNotion::new), so a test on paused time (`start_paused = true`)
//! sees the same timestamps on every run. This module also writes and reads Notion's ISO 8601
//! timestamps (milliseconds since the Unix epoch in, `2026-07-04T09:08:00.000Z` out) without a
//! date library, and rounds down to the minute as Notion does for `created_time` and
//! `last_edited_time`.

use tokio::time::Instant;

/// One minute in milliseconds.
pub(crate) const MINUTE_MS: i64 = 60_000;
/// One day in milliseconds.
pub(crate) const DAY_MS: i64 = 86_400_000;

/// The fake's clock.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock {
    base_ms: i64,
    start: Instant,
}

impl Clock {
    /// A clock that reads `base_ms` now.
    pub(crate) fn new(base_ms: i64) -> Self {
        Self {
            base_ms,
            start: Instant::now(),
        }
    }

    /// Milliseconds since the Unix epoch, now.
    pub(crate) fn now_ms(&self) -> i64 {
        let elapsed = i64::try_from(self.start.elapsed().as_millis()).unwrap_or(i64::MAX / 2);
        self.base_ms.saturating_add(elapsed)
    }

    /// Now, rounded down to the minute.
    pub(crate) fn now_minute_ms(&self) -> i64 {
        round_to_minute(self.now_ms())
    }
}

/// Rounds down to the minute.
pub(crate) fn round_to_minute(ms: i64) -> i64 {
    ms.div_euclid(MINUTE_MS) * MINUTE_MS
}

/// Days since 1970-01-01 for a civil date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// `2026-07-04T09:08:00.000Z`.
pub(crate) fn format_iso(ms: i64) -> String {
    let days = ms.div_euclid(DAY_MS);
    let rest = ms.rem_euclid(DAY_MS);
    let (y, m, d) = civil_from_days(days);
    let (h, rest) = (rest / 3_600_000, rest % 3_600_000);
    let (min, rest) = (rest / 60_000, rest % 60_000);
    let (s, milli) = (rest / 1000, rest % 1000);
    format!("{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}.{milli:03}Z")
}

/// A parsed date or date-time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ParsedDate {
    /// Milliseconds since the epoch (midnight UTC for a date alone).
    pub(crate) ms: i64,
    /// Whether the text was a date without a time.
    pub(crate) date_only: bool,
}

fn digits(text: &str, from: usize, len: usize) -> Option<i64> {
    let part = text.get(from..from + len)?;
    if !part.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    part.parse().ok()
}

/// Reads `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM[:SS[.fff]][Z|±HH:MM]` (no zone means UTC).
pub(crate) fn parse_iso(text: &str) -> Option<ParsedDate> {
    let text = text.trim();
    let b = text.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, m, d) = (
        digits(text, 0, 4)?,
        digits(text, 5, 2)?,
        digits(text, 8, 2)?,
    );
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let day_ms = days_from_civil(y, m, d) * DAY_MS;
    if b.len() == 10 {
        return Some(ParsedDate {
            ms: day_ms,
            date_only: true,
        });
    }
    if b[10] != b'T' && b[10] != b' ' {
        return None;
    }
    let h = digits(text, 11, 2)?;
    if b.get(13) != Some(&b':') {
        return None;
    }
    let min = digits(text, 14, 2)?;
    let mut i = 16;
    let mut sec = 0;
    let mut milli = 0;
    if b.get(i) == Some(&b':') {
        sec = digits(text, i + 1, 2)?;
        i += 3;
        if b.get(i) == Some(&b'.') {
            let start = i + 1;
            let mut end = start;
            while end < b.len() && b[end].is_ascii_digit() {
                end += 1;
            }
            if end == start {
                return None;
            }
            let frac = &text[start..end];
            let padded: String = frac.chars().chain("000".chars()).take(3).collect();
            milli = padded.parse().ok()?;
            i = end;
        }
    }
    if h > 23 || min > 59 || sec > 60 {
        return None;
    }
    let offset_ms = match b.get(i) {
        None => 0,
        Some(b'Z') if b.len() == i + 1 => 0,
        Some(&sign @ (b'+' | b'-')) => {
            let oh = digits(text, i + 1, 2)?;
            let om = match b.get(i + 3) {
                Some(b':') => digits(text, i + 4, 2)?,
                _ => digits(text, i + 3, 2)?,
            };
            let off = (oh * 60 + om) * MINUTE_MS;
            if sign == b'+' { off } else { -off }
        }
        _ => return None,
    };
    Some(ParsedDate {
        ms: day_ms + h * 3_600_000 + min * MINUTE_MS + sec * 1000 + milli - offset_ms,
        date_only: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rounds() {
        let ms = parse_iso("2026-07-04T09:08:53.017+00:00").unwrap().ms;
        assert_eq!(format_iso(ms), "2026-07-04T09:08:53.017Z");
        assert_eq!(format_iso(round_to_minute(ms)), "2026-07-04T09:08:00.000Z");
        assert_eq!(
            parse_iso("2026-07-04T11:08:00+02:00").unwrap().ms,
            parse_iso("2026-07-04T09:08:00Z").unwrap().ms
        );
        let day = parse_iso("2024-02-29").unwrap();
        assert!(day.date_only);
        assert_eq!(format_iso(day.ms), "2024-02-29T00:00:00.000Z");
        assert_eq!(format_iso(0), "1970-01-01T00:00:00.000Z");
        for bad in [
            "",
            "2026",
            "2026-13-01",
            "2026-01-01T",
            "2026-01-01Tab:00",
            "nope-nope",
        ] {
            assert!(parse_iso(bad).is_none(), "{bad}");
        }
    }
}
