//! Money is an integer number of fen (1/100 yuan). There is no float anywhere on this path.

use std::fmt;
use std::iter::Sum;

use crate::error::Reason;
use crate::FieldError;

/// An amount of money in fen. Arithmetic is checked; overflow is an error, never a wrap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(i64);

/// Largest amount accepted from outside: ¥100,000,000.00. Keeps every sum of a realistic order far from i64 overflow.
pub const MAX_INPUT_FEN: i64 = 10_000_000_000;

impl Money {
    pub const ZERO: Money = Money(0);

    pub const fn from_fen(fen: i64) -> Self {
        Money(fen)
    }

    pub const fn fen(self) -> i64 {
        self.0
    }

    /// Parse an amount received from a client: non-negative and below [`MAX_INPUT_FEN`].
    pub fn parse_fen(field: &str, fen: i64) -> Result<Self, FieldError> {
        if fen < 0 {
            return Err(FieldError::new(field, Reason::Negative));
        }
        if fen > MAX_INPUT_FEN {
            return Err(FieldError::new(field, Reason::MoneyTooLarge { max_fen: Money(MAX_INPUT_FEN) }));
        }
        Ok(Money(fen))
    }

    /// Parse a yuan string as operators type it: `12`, `12.3`, `12.34`, `¥12.34`. More than two decimals is refused.
    pub fn parse_yuan(field: &str, text: &str) -> Result<Self, FieldError> {
        let t = text.trim().trim_start_matches(['¥', '￥']).trim();
        let bad = || FieldError::new(field, Reason::NotYuan { value: text.to_string() });
        if t.is_empty() || t.starts_with('-') || t.starts_with('+') {
            return Err(bad());
        }
        let (int, frac) = match t.split_once('.') {
            Some((i, f)) => (i, f),
            None => (t, ""),
        };
        if int.is_empty()
            || !int.bytes().all(|b| b.is_ascii_digit())
            || frac.len() > 2
            || !frac.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        let yuan: i64 = int.parse().map_err(|_| bad())?;
        let mut cents: i64 = if frac.is_empty() { 0 } else { frac.parse().map_err(|_| bad())? };
        if frac.len() == 1 {
            cents *= 10;
        }
        let fen = yuan.checked_mul(100).and_then(|v| v.checked_add(cents)).ok_or_else(bad)?;
        Money::parse_fen(field, fen)
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }

    pub fn checked_sub(self, other: Money) -> Option<Money> {
        self.0.checked_sub(other.0).map(Money)
    }

    pub fn checked_mul(self, n: i64) -> Option<Money> {
        self.0.checked_mul(n).map(Money)
    }

    /// Subtract without going below zero.
    pub fn saturating_sub_floor_zero(self, other: Money) -> Money {
        Money((self.0 - other.0).max(0))
    }

    pub fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// Multiply by `num/den`, rounding half away from zero, without intermediate overflow.
    pub fn mul_ratio_round(self, num: i64, den: i64) -> Option<Money> {
        if den == 0 {
            return None;
        }
        let p = (self.0 as i128) * (num as i128);
        let d = den as i128;
        let q = p / d;
        let r = p % d;
        let q = if 2 * r.abs() >= d.abs() { q + p.signum() * d.signum() } else { q };
        i64::try_from(q).ok().map(Money)
    }

    /// Formatted as yuan with two decimals, for display and CSV.
    pub fn to_yuan_string(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let a = self.0.unsigned_abs();
        format!("{sign}{}.{:02}", a / 100, a % 100)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "¥{}", self.to_yuan_string())
    }
}

impl Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        Money(iter.map(|m| m.0).sum())
    }
}

/// Split `total` over `weights` in proportion, by largest remainder: the parts always add up to `total`
/// exactly, no part is negative, and a zero weight gets zero. Ties go to the earlier line, so the result
/// is deterministic. With all weights zero the total goes to the lines evenly (earlier lines first).
pub fn apportion(total: Money, weights: &[Money]) -> Vec<Money> {
    let n = weights.len();
    if n == 0 {
        return Vec::new();
    }
    let t = total.0.max(0) as i128;
    let ws: Vec<i128> = weights.iter().map(|w| w.0.max(0) as i128).collect();
    let sum: i128 = ws.iter().sum();
    let (ws, sum) = if sum == 0 { (vec![1i128; n], n as i128) } else { (ws, sum) };
    let mut parts = Vec::with_capacity(n);
    let mut rems = Vec::with_capacity(n);
    let mut assigned: i128 = 0;
    for (i, w) in ws.iter().enumerate() {
        let p = t * w;
        parts.push(p / sum);
        rems.push((p % sum, i));
        assigned += p / sum;
    }
    let mut left = t - assigned;
    rems.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, i) in rems {
        if left == 0 {
            break;
        }
        if ws[i] > 0 {
            parts[i] += 1;
            left -= 1;
        }
    }
    parts.into_iter().map(|p| Money(p as i64)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_yuan() {
        assert_eq!(Money::parse_yuan("p", "12.5").unwrap().fen(), 1250);
        assert_eq!(Money::parse_yuan("p", "¥0.07").unwrap().fen(), 7);
        assert_eq!(Money::parse_yuan("p", "300").unwrap().fen(), 30000);
        for bad in ["", "-1", "1.234", "abc", "1e3", ".5", "+2"] {
            assert!(Money::parse_yuan("p", bad).is_err(), "{bad}");
        }
        assert_eq!(Money::parse_yuan("price", "x").unwrap_err().field, "price");
    }

    #[test]
    fn displays_yuan() {
        assert_eq!(Money::from_fen(1205).to_string(), "¥12.05");
        assert_eq!(Money::from_fen(-5).to_yuan_string(), "-0.05");
    }

    #[test]
    fn apportion_example() {
        let parts = apportion(Money(1000), &[Money(100), Money(100), Money(100)]);
        assert_eq!(parts, vec![Money(334), Money(333), Money(333)]);
    }

    #[test]
    fn ratio_rounds_half_away() {
        assert_eq!(Money(1000).mul_ratio_round(6, 1000), Some(Money(6)));
        assert_eq!(Money(250).mul_ratio_round(6, 1000), Some(Money(2)));
        assert_eq!(Money(84).mul_ratio_round(6, 1000), Some(Money(1)));
    }

    proptest! {
        #[test]
        fn apportion_sums_exactly(total in 0i64..10_000_000, weights in prop::collection::vec(0i64..1_000_000, 1..30)) {
            let ws: Vec<Money> = weights.iter().map(|w| Money(*w)).collect();
            let parts = apportion(Money(total), &ws);
            prop_assert_eq!(parts.len(), ws.len());
            prop_assert_eq!(parts.iter().map(|p| p.0).sum::<i64>(), total);
            prop_assert!(parts.iter().all(|p| p.0 >= 0));
            let wsum: i64 = weights.iter().sum();
            if wsum > 0 {
                for (p, w) in parts.iter().zip(&weights) {
                    if *w == 0 { prop_assert_eq!(p.0, 0); }
                    // never more than one fen away from the exact share
                    let exact = (total as i128) * (*w as i128);
                    let lo = exact / wsum as i128;
                    prop_assert!((p.0 as i128) >= lo && (p.0 as i128) <= lo + 1);
                }
            }
        }

        #[test]
        fn yuan_round_trips(fen in 0i64..MAX_INPUT_FEN) {
            let m = Money(fen);
            prop_assert_eq!(Money::parse_yuan("x", &m.to_yuan_string()).unwrap(), m);
        }
    }
}
