//! What the payment provider sees: the channel fee on an amount and the order number (`out_trade_no`).

use crate::Money;

/// The payment channel's fee on `amount` at `rate_per_mille` (6 = 0.6%), rounded half up to the fen:
/// ¥100.00 → ¥0.60; ¥0.83 → 0.498 fen → ¥0.00; ¥0.84 → 0.504 fen → ¥0.01; ¥2.50 → 1.5 fen → ¥0.02.
/// A negative amount (a reversal) mirrors the positive one. A fee beyond the range of `Money` saturates.
pub fn payment_fee(amount: Money, rate_per_mille: u32) -> Money {
    amount.mul_ratio_round(i64::from(rate_per_mille), 1000).unwrap_or(if amount.is_negative() {
        Money::from_fen(i64::MIN)
    } else {
        Money::from_fen(i64::MAX)
    })
}

/// The first and last instants whose local time (the shop's zone) has a four-digit year:
/// 0000-01-01 00:00:00+08:00 and 9999-12-31 23:59:59.999+08:00.
const FIRST_LOCAL_MS: i64 = -62_167_248_000_000;
const LAST_LOCAL_MS: i64 = 253_402_271_999_999;

/// The order number: the shop's local time as `YYYYMMDDHHMMSS` followed by the last six digits of `seq`,
/// zero-padded — always 20 decimal digits, e.g. `20231115061320000042`. Digits only, so it is a valid
/// WeChat Pay `out_trade_no` (6–32 characters of `[0-9A-Za-z_-|*]`). Numbers sort by time to the second.
/// Instants outside the years 0000–9999 are written as the nearest end of that range.
pub fn order_no(now_ms: i64, seq: u64) -> String {
    const FIRST: &str = "00000101000000";
    const LAST: &str = "99991231235959";
    let stamp = match now_ms {
        ..=FIRST_LOCAL_MS => FIRST.to_string(),
        LAST_LOCAL_MS.. => LAST.to_string(),
        // The last hours of 9999 lie beyond the time library's range.
        _ => crate::time::compact_seconds(now_ms).unwrap_or_else(|| LAST.to_string()),
    };
    format!("{stamp}{:06}", seq % 1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn fee(fen: i64, rate: u32) -> i64 {
        payment_fee(Money::from_fen(fen), rate).fen()
    }

    #[test]
    fn fee_rounds_half_up_to_the_fen() {
        assert_eq!(fee(10_000, 6), 60); // ¥100.00 at 0.6% → ¥0.60
        assert_eq!(fee(83, 6), 0); // 0.498 fen
        assert_eq!(fee(84, 6), 1); // 0.504 fen
        assert_eq!(fee(250, 6), 2); // 1.5 fen: half goes up
        assert_eq!(fee(249, 6), 1); // 1.494 fen
        assert_eq!(fee(0, 6), 0);
        assert_eq!(fee(10_000, 0), 0);
        assert_eq!(fee(12_345, 1000), 12_345);
        assert_eq!(fee(99_999, 10), 1000); // 999.99 fen at 1%
        assert_eq!(fee(-250, 6), -2);
        assert_eq!(fee(-83, 6), 0);
    }

    #[test]
    fn fee_saturates_instead_of_overflowing() {
        assert_eq!(fee(i64::MAX, u32::MAX), i64::MAX);
        assert_eq!(fee(i64::MIN, u32::MAX), i64::MIN);
        assert_eq!(fee(i64::MAX, 1000), i64::MAX);
    }

    #[test]
    fn order_numbers_for_known_instants() {
        // 1970-01-01T00:00:00Z is 08:00 in China.
        assert_eq!(order_no(0, 0), "19700101080000000000");
        assert_eq!(order_no(-1, 7), "19700101075959000007");
        // 2023-11-14T22:13:20Z → next morning in China.
        assert_eq!(order_no(1_700_000_000_000, 42), "20231115061320000042");
        assert_eq!(order_no(1_700_000_000_999, 42), "20231115061320000042");
        // Leap days: 2024-02-29 00:00:00 and 2000-02-29 23:59:59 China time.
        assert_eq!(order_no(1_709_136_000_000, 123_456), "20240229000000123456");
        assert_eq!(order_no(951_839_999_000, 1), "20000229235959000001");
        // The last second of 1999 and the first day of March 2100 (not a leap year).
        assert_eq!(order_no(946_655_999_000, 999_999), "19991231235959999999");
        assert_eq!(order_no(4_107_513_600_000, 0), "21000301000000000000");
        assert_eq!(order_no(4_107_513_599_000, 0), "21000228235959000000");
    }

    #[test]
    fn sequence_keeps_its_last_six_digits() {
        assert_eq!(&order_no(0, 1_000_000)[14..], "000000");
        assert_eq!(&order_no(0, 1_234_567)[14..], "234567");
        assert_eq!(&order_no(0, u64::MAX)[14..], format!("{:06}", u64::MAX % 1_000_000));
    }

    #[test]
    fn extreme_instants_stay_twenty_digits() {
        assert_eq!(order_no(i64::MAX, 5), "99991231235959000005");
        assert_eq!(order_no(i64::MIN, 5), "00000101000000000005");
        assert_eq!(order_no(253_402_271_999_999, 0), "99991231235959000000");
    }

    /// China has kept one offset all year since 1992; before, summers had daylight saving time, whose
    /// repeated hour a local time cannot name uniquely.
    const SINCE_1992: i64 = 694_195_200_000;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn order_no_reads_back_as_the_same_second(now_ms in SINCE_1992..=LAST_LOCAL_MS - 86_400_000, seq in any::<u64>()) {
            let no = order_no(now_ms, seq);
            prop_assert_eq!(no.len(), 20);
            prop_assert!(no.bytes().all(|b| b.is_ascii_digit()));
            let n = |r: std::ops::Range<usize>| no[r].parse::<i64>().unwrap();
            let (y, mo, d, h, mi, s) = (n(0..4), n(4..6), n(6..8), n(8..10), n(10..12), n(12..14));
            prop_assert!((1..=12).contains(&mo) && (1..=31).contains(&d));
            prop_assert!(h < 24 && mi < 60 && s < 60);
            let local = jiff::civil::DateTime::new(y as i16, mo as i8, d as i8, h as i8, mi as i8, s as i8, 0).unwrap();
            let at = local.to_zoned_datetime(crate::time::shop_zone()).unwrap();
            prop_assert_eq!(at.timestamp().as_second(), now_ms.div_euclid(1000));
            prop_assert_eq!(n(14..20) as u64, seq % 1_000_000);
        }

        #[test]
        fn order_numbers_sort_by_time(a in 0i64..4_102_444_800_000, b in 0i64..4_102_444_800_000, seq in any::<u64>()) {
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            prop_assert!(order_no(lo, seq) <= order_no(hi, seq));
        }
    }
}
