//! The shop's clock face. Instants are epoch milliseconds everywhere; they are shown, grouped into days
//! and typed in the shop's zone, Asia/Shanghai (北京时间), whose rules are compiled in (no time-zone files
//! are read at run time).

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ZonedDateTime};

/// The shop's zone.
pub const SHOP_ZONE: &str = "Asia/Shanghai";

static ZONE: TimeZone = jiff::tz::get!("Asia/Shanghai");

const MS_PER_DAY: i64 = 86_400_000;

/// The shop's zone with its rules.
pub fn shop_zone() -> TimeZone {
    ZONE.clone()
}

fn zoned(ms: i64) -> Option<ZonedDateTime> {
    Some(Timestamp::from_millisecond(ms).ok()?.to_zoned_datetime(ZONE.clone()))
}

fn epoch() -> Date {
    jiff::civil::date(1970, 1, 1)
}

/// The shop's calendar day of an instant, as days since 1970-01-01 (`None` outside jiff's range of
/// years -9999 to 9999).
pub fn day_of(ms: i64) -> Option<i64> {
    let d = zoned(ms)?.date();
    Some(i64::from(epoch().until(d).ok()?.get_days()))
}

/// The shop's calendar year of an instant.
pub fn year_of(ms: i64) -> Option<i16> {
    Some(zoned(ms)?.year())
}

/// The instant the shop's year `year` begins (1 January, 00:00 Beijing time).
pub fn year_start_ms(year: i16) -> Option<i64> {
    let start = Date::new(year, 1, 1).ok()?.to_zoned_datetime(ZONE.clone()).ok()?;
    Some(start.timestamp().as_millisecond())
}

/// The first and last day numbers of a calendar month (`None` for a month that does not exist).
pub fn month_days(year: i16, month: i8) -> Option<(i64, i64)> {
    let first = Date::new(year, month, 1).ok()?;
    let day = |d: Date| Some(i64::from(epoch().until(d).ok()?.get_days()));
    Some((day(first)?, day(first.last_of_month())?))
}

/// The date of a day number.
pub fn date_of_day(day: i64) -> Option<Date> {
    epoch().checked_add(jiff::Span::new().try_days(day).ok()?).ok()
}

/// The first instant of a day of the shop's calendar.
pub fn day_start_ms(day: i64) -> Option<i64> {
    let d = date_of_day(day)?;
    Some(d.to_zoned_datetime(ZONE.clone()).ok()?.timestamp().as_millisecond())
}

/// `YYYY-MM-DD HH:MM` in the shop's zone.
pub fn minutes(ms: i64) -> Option<String> {
    Some(zoned(ms)?.strftime("%Y-%m-%d %H:%M").to_string())
}

/// `MM-DD` of a day number.
pub fn month_day(day: i64) -> Option<String> {
    Some(date_of_day(day)?.strftime("%m-%d").to_string())
}

/// `YYYYMMDDHHMMSS` in the shop's zone (order numbers).
pub fn compact_seconds(ms: i64) -> Option<String> {
    Some(zoned(ms)?.strftime("%Y%m%d%H%M%S").to_string())
}

/// RFC 3339 with the shop's offset, to the second: `2024-05-20T13:29:35+08:00`.
pub fn rfc3339_seconds(ms: i64) -> Option<String> {
    Some(zoned(ms.div_euclid(1000) * 1000)?.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string())
}

/// A `YYYY-MM-DD` date as a day number of the shop's calendar (years 1970–9999).
pub fn parse_day(s: &str) -> Option<i64> {
    let d: Date = s.trim().parse().ok()?;
    if !(1970..=9999).contains(&d.year()) {
        return None;
    }
    Some(i64::from(epoch().until(d).ok()?.get_days()))
}

/// `YYYY-MM-DDTHH:MM` (or with a space) in the shop's zone as an instant.
pub fn parse_local_minutes(s: &str) -> Option<i64> {
    let (day, time) = s.trim().split_once(['T', ' '])?;
    let day = parse_day(day)?;
    let mut hm = time.splitn(2, ':');
    let h: i8 = hm.next()?.parse().ok()?;
    let m: i8 = hm.next()?.parse().ok()?;
    if !(0..24).contains(&h) || !(0..60).contains(&m) {
        return None;
    }
    let dt: DateTime = date_of_day(day)?.at(h, m, 0, 0);
    Some(dt.to_zoned_datetime(ZONE.clone()).ok()?.timestamp().as_millisecond())
}

/// Milliseconds in a day; the shop's zone keeps no daylight saving time since 1991, so its days are this long.
pub const fn day_ms() -> i64 {
    MS_PER_DAY
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn beijing_is_eight_hours_ahead() {
        // 2024-05-20 05:29:35 UTC
        let ms = 1_716_182_975_000;
        assert_eq!(rfc3339_seconds(ms).unwrap(), "2024-05-20T13:29:35+08:00");
        assert_eq!(minutes(ms).unwrap(), "2024-05-20 13:29");
        assert_eq!(compact_seconds(ms).unwrap(), "20240520132935");
        // 16:00 UTC is already the next day in Beijing.
        assert_eq!(day_of(1_716_220_800_000), day_of(1_716_182_975_000).map(|d| d + 1));
        assert_eq!(parse_day("1970-01-01"), Some(0));
        assert_eq!(day_start_ms(0), Some(-8 * 3_600_000));
        assert_eq!(parse_day("2024-02-30"), None);
        assert_eq!(parse_day("1969-12-31"), None);
        assert_eq!(parse_local_minutes("2026-11-25T18:00"), parse_local_minutes("2026-11-25 18:00"));
        assert_eq!(parse_local_minutes("2026-11-25T24:00"), None);
        assert_eq!(month_day(parse_day("2026-02-09").unwrap()).unwrap(), "02-09");
        assert!(day_of(i64::MAX).is_none());
    }

    proptest! {
        #[test]
        fn a_day_holds_its_instants(ms in 0i64..221_845_392_000_000) {
            let day = day_of(ms).unwrap();
            let start = day_start_ms(day).unwrap();
            prop_assert!(start <= ms && ms < start + day_ms());
            prop_assert_eq!(parse_local_minutes(&minutes(ms).unwrap()), Some(ms - (ms - start) % 60_000));
        }
    }
}
