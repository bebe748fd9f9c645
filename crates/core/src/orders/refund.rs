//! After-sales refund arithmetic, exact to the fen.
//!
//! A line's refund is cumulative: after `k` of its `n` units have come back, the buyer has received
//! `⌊paid × k / n⌋`, and the last unit returns whatever is left, so the line pays back exactly `paid` in total
//! whatever the split. Points spent on a line come back the same way.

use crate::error::Reason;
use crate::{FieldError, Money};

/// The money of one order line as after-sales sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LineMoney {
    /// Units bought.
    pub quantity: i64,
    /// What the buyer paid for the whole line, after every apportioned discount, coupon and points.
    pub paid_amount: Money,
    /// Units refunded so far.
    pub refunded_units: i64,
    /// Money refunded on this line so far.
    pub refunded_amount: Money,
}

impl LineMoney {
    /// Units that can still be refunded.
    pub fn remaining_units(&self) -> i64 {
        (self.quantity - self.refunded_units).max(0)
    }

    /// Refund `units` more units: the amount to send back and the line as it stands afterwards.
    pub fn after_refund(&self, units: i64) -> Result<(Money, LineMoney), FieldError> {
        let amount = refundable_amount(self, units)?;
        let next = LineMoney {
            refunded_units: self.refunded_units + units,
            refunded_amount: Money::from_fen(self.refunded_amount.fen() + amount.fen()),
            ..*self
        };
        Ok((amount, next))
    }
}

/// `⌊total × k / n⌋`, and exactly `total` when `k == n`. `0 ≤ k ≤ n`, `n > 0`, `total ≥ 0`.
fn cumulative_share(total: i64, k: i64, n: i64) -> i64 {
    if k >= n {
        return total;
    }
    // Fits: total < 2^63 and k < 2^63, so the product fits i128; the quotient is at most `total`.
    ((total as i128) * (k as i128) / (n as i128)) as i64
}

/// The refund for `units` more units of `line`: its cumulative share of `paid_amount` after the refund, minus
/// what was already refunded, never negative. The last unit returns everything left, so the line's refunds
/// add up to exactly `paid_amount` — never more.
///
/// When money was already refunded beyond the units' share (a negotiated partial refund), later units return
/// nothing until the shares catch up.
///
/// `units` must be between 1 and the units not yet refunded (field `quantity`). A line whose own figures are
/// inconsistent is refused on the offending field.
pub fn refundable_amount(line: &LineMoney, units: i64) -> Result<Money, FieldError> {
    if line.quantity < 1 {
        return Err(FieldError::new("quantity", Reason::RefundNoUnits));
    }
    let paid = line.paid_amount.fen();
    if paid < 0 {
        return Err(FieldError::new("paid_amount", Reason::Negative));
    }
    if !(0..=line.quantity).contains(&line.refunded_units) {
        return Err(FieldError::new("refunded_units", Reason::OutOfRange { min: 0, max: line.quantity }));
    }
    let refunded = line.refunded_amount.fen();
    if !(0..=paid).contains(&refunded) {
        return Err(FieldError::new("refunded_amount", Reason::MoneyRange { max_fen: Money::from_fen(paid) }));
    }
    let remaining = line.remaining_units();
    if remaining == 0 {
        return Err(FieldError::new("quantity", Reason::RefundAllRefunded));
    }
    if !(1..=remaining).contains(&units) {
        return Err(FieldError::new("quantity", Reason::OutOfRange { min: 1, max: remaining }));
    }
    let target = cumulative_share(paid, line.refunded_units + units, line.quantity);
    Ok(Money::from_fen((target - refunded).max(0)))
}

/// Points to give back for `units` more units of a line on which `points_used` points were spent, after
/// `refunded_units` units already came back: the same cumulative split as money, so refunding every unit
/// returns exactly `points_used`.
///
/// Out-of-range figures are clamped (no units, no points, or more units than remain); validate the units with
/// [`refundable_amount`] first.
pub fn refundable_points(points_used: i64, quantity: i64, refunded_units: i64, units: i64) -> i64 {
    if quantity < 1 || points_used <= 0 {
        return 0;
    }
    let before = refunded_units.clamp(0, quantity);
    let after = before.saturating_add(units.max(0)).min(quantity);
    cumulative_share(points_used, after, quantity) - cumulative_share(points_used, before, quantity)
}

/// Shipping goes back only when nothing has shipped and every line is refunded in full; otherwise the
/// freight stays with the merchant.
pub fn refund_shipping(shipping: Money, anything_shipped: bool, all_lines_fully_refunded: bool) -> Money {
    if !anything_shipped && all_lines_fully_refunded {
        shipping.max(Money::ZERO)
    } else {
        Money::ZERO
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::MAX_INPUT_FEN;
    use proptest::prelude::*;

    fn line(quantity: i64, paid: i64) -> LineMoney {
        LineMoney { quantity, paid_amount: Money::from_fen(paid), ..LineMoney::default() }
    }

    /// Refund `line` in the given chunks; the amounts returned, in order.
    fn refund_in(mut l: LineMoney, chunks: &[i64]) -> Vec<i64> {
        let mut out = Vec::new();
        for c in chunks {
            let (amount, next) = l.after_refund(*c).unwrap();
            out.push(amount.fen());
            l = next;
        }
        out
    }

    #[test]
    fn one_by_one_gives_back_exactly_what_was_paid() {
        // ¥10.00 for 3 units: 3.33, 3.33, 3.34.
        assert_eq!(refund_in(line(3, 1000), &[1, 1, 1]), vec![333, 333, 334]);
        // ¥0.02 for 3 units: nothing, 0.01, 0.01.
        assert_eq!(refund_in(line(3, 2), &[1, 1, 1]), vec![0, 1, 1]);
        // Split differently, same total.
        assert_eq!(refund_in(line(3, 1000), &[2, 1]), vec![666, 334]);
        assert_eq!(refund_in(line(7, 9999), &[3, 4]).iter().sum::<i64>(), 9999);
        assert_eq!(refund_in(line(1, 4321), &[1]), vec![4321]);
        assert_eq!(refund_in(line(5, 0), &[5]), vec![0]);
    }

    #[test]
    fn refunding_everything_at_once_returns_paid() {
        assert_eq!(refundable_amount(&line(4, 1001), 4), Ok(Money::from_fen(1001)));
    }

    #[test]
    fn partial_refunds_round_down() {
        assert_eq!(refundable_amount(&line(3, 100), 1), Ok(Money::from_fen(33)));
        assert_eq!(refundable_amount(&line(3, 100), 2), Ok(Money::from_fen(66)));
    }

    #[test]
    fn after_a_negotiated_refund_the_rest_is_what_is_left() {
        // ¥30.00 for 3 units; ¥15.00 already refunded against one unit.
        let l = LineMoney {
            quantity: 3,
            paid_amount: Money::from_fen(3000),
            refunded_units: 1,
            refunded_amount: Money::from_fen(1500),
        };
        // The second unit's cumulative share (20.00) is above what went back: 5.00 more.
        assert_eq!(refundable_amount(&l, 1), Ok(Money::from_fen(500)));
        // Both remaining units: exactly what is left.
        assert_eq!(refundable_amount(&l, 2), Ok(Money::from_fen(1500)));
        // Already more than the share: nothing more until the last unit.
        let over = LineMoney { refunded_amount: Money::from_fen(2500), ..l };
        assert_eq!(refundable_amount(&over, 1), Ok(Money::ZERO));
        assert_eq!(refund_in(over, &[1, 1]), vec![0, 500]);
    }

    #[test]
    fn units_must_be_within_what_remains() {
        let l = LineMoney { refunded_units: 2, refunded_amount: Money::from_fen(666), ..line(3, 1000) };
        for bad in [0, -1, 2, i64::MAX] {
            let err = refundable_amount(&l, bad).unwrap_err();
            assert_eq!(err.field, "quantity");
            assert_eq!(err.reason, Reason::OutOfRange { min: 1, max: 1 });
        }
        let done = LineMoney { refunded_units: 3, refunded_amount: Money::from_fen(1000), ..l };
        let err = refundable_amount(&done, 1).unwrap_err();
        assert_eq!(err.field, "quantity");
        assert_eq!(err.reason, Reason::RefundAllRefunded);
        assert_eq!(done.remaining_units(), 0);
    }

    #[test]
    fn inconsistent_lines_are_refused() {
        let field = |l: LineMoney| refundable_amount(&l, 1).unwrap_err().field;
        assert_eq!(field(line(0, 100)), "quantity");
        assert_eq!(field(line(2, -1)), "paid_amount");
        assert_eq!(field(LineMoney { refunded_units: 3, ..line(2, 100) }), "refunded_units");
        assert_eq!(field(LineMoney { refunded_units: -1, ..line(2, 100) }), "refunded_units");
        assert_eq!(field(LineMoney { refunded_amount: Money::from_fen(101), ..line(2, 100) }), "refunded_amount");
        assert_eq!(field(LineMoney { refunded_amount: Money::from_fen(-1), ..line(2, 100) }), "refunded_amount");
    }

    #[test]
    fn large_amounts_do_not_overflow() {
        let l = line(i64::MAX, i64::MAX);
        assert_eq!(refundable_amount(&l, i64::MAX - 1), Ok(Money::from_fen(i64::MAX - 1)));
        assert_eq!(refundable_amount(&l, i64::MAX), Ok(Money::from_fen(i64::MAX)));
        assert_eq!(refundable_points(i64::MAX, i64::MAX, 1, i64::MAX), i64::MAX - 1);
    }

    #[test]
    fn points_come_back_in_proportion() {
        // 100 points over 3 units: 33, 33, 34.
        let steps: Vec<i64> = (0..3).map(|done| refundable_points(100, 3, done, 1)).collect();
        assert_eq!(steps, vec![33, 33, 34]);
        assert_eq!(refundable_points(100, 3, 0, 3), 100);
        assert_eq!(refundable_points(100, 3, 1, 2), 67);
        assert_eq!(refundable_points(0, 3, 0, 1), 0);
        // Clamped: no units, no line, too many units.
        assert_eq!(refundable_points(100, 3, 0, 0), 0);
        assert_eq!(refundable_points(100, 3, 0, -2), 0);
        assert_eq!(refundable_points(100, 0, 0, 1), 0);
        assert_eq!(refundable_points(100, 3, 2, 5), 34);
        assert_eq!(refundable_points(100, 3, 3, 1), 0);
        assert_eq!(refundable_points(-5, 3, 0, 3), 0);
    }

    #[test]
    fn shipping_goes_back_only_for_a_full_refund_before_shipping() {
        let fee = Money::from_fen(800);
        assert_eq!(refund_shipping(fee, false, true), fee);
        assert_eq!(refund_shipping(fee, true, true), Money::ZERO);
        assert_eq!(refund_shipping(fee, false, false), Money::ZERO);
        assert_eq!(refund_shipping(fee, true, false), Money::ZERO);
        assert_eq!(refund_shipping(Money::ZERO, false, true), Money::ZERO);
    }

    /// A quantity and a split of it into chunks (the refunds, in order), possibly stopping early.
    fn split() -> impl Strategy<Value = (i64, Vec<i64>)> {
        (1i64..500).prop_flat_map(|q| (Just(q), prop::collection::vec(1i64..=q, 1..40), any::<bool>())).prop_map(
            |(q, raw, all)| {
                let mut chunks = Vec::new();
                let mut left = q;
                for r in raw {
                    if left == 0 {
                        break;
                    }
                    let c = r.min(left);
                    chunks.push(c);
                    left -= c;
                }
                if all && left > 0 {
                    chunks.push(left);
                }
                (q, chunks)
            },
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn refunds_never_exceed_and_end_exactly_at_paid(paid in 0i64..=MAX_INPUT_FEN, (q, chunks) in split()) {
            let mut l = line(q, paid);
            let mut total = 0i64;
            for c in &chunks {
                let (amount, next) = l.after_refund(*c).unwrap();
                prop_assert!(amount.fen() >= 0);
                // Within a fen of the exact share of the units refunded.
                let exact = paid as i128 * *c as i128;
                let lo = exact / q as i128;
                prop_assert!((amount.fen() as i128) >= lo && (amount.fen() as i128) <= lo + 1);
                total += amount.fen();
                prop_assert!(total <= paid);
                prop_assert_eq!(next.refunded_amount.fen(), total);
                l = next;
            }
            let units: i64 = chunks.iter().sum();
            if units == q {
                prop_assert_eq!(total, paid);
                prop_assert!(l.after_refund(1).is_err());
            } else {
                prop_assert_eq!(total, cumulative_share(paid, units, q));
            }
        }

        #[test]
        fn any_prior_refund_still_ends_exactly_at_paid(
            paid in 0i64..=MAX_INPUT_FEN,
            (q, chunks) in split(),
            prior_units_pick in any::<prop::sample::Index>(),
            prior_pick in any::<prop::sample::Index>(),
        ) {
            // Some units already refunded with any amount the merchant agreed, up to the whole line.
            let prior_units = prior_units_pick.index(q as usize) as i64;
            let prior = if paid == 0 { 0 } else { prior_pick.index(paid as usize + 1) as i64 };
            let mut l = LineMoney {
                quantity: q,
                paid_amount: Money::from_fen(paid),
                refunded_units: prior_units,
                refunded_amount: Money::from_fen(prior),
            };
            let mut total = prior;
            for c in chunks {
                let c = c.min(l.remaining_units());
                if c == 0 {
                    break;
                }
                let (amount, next) = l.after_refund(c).unwrap();
                prop_assert!(amount.fen() >= 0);
                total += amount.fen();
                prop_assert!(total <= paid);
                l = next;
            }
            if l.remaining_units() > 0 {
                let rest = l.remaining_units();
                let (amount, _) = l.after_refund(rest).unwrap();
                prop_assert!(amount.fen() >= 0);
                total += amount.fen();
            }
            prop_assert_eq!(total, paid);
        }

        #[test]
        fn points_never_exceed_and_end_exactly_at_points_used(points in 0i64..10_000_000, (q, chunks) in split()) {
            let mut done = 0i64;
            let mut total = 0i64;
            for c in &chunks {
                let step = refundable_points(points, q, done, *c);
                prop_assert!(step >= 0);
                total += step;
                prop_assert!(total <= points);
                done += c;
            }
            if done == q {
                prop_assert_eq!(total, points);
            } else {
                prop_assert_eq!(total, cumulative_share(points, done, q));
            }
        }

        #[test]
        fn points_and_money_split_the_same_way(amount in 0i64..10_000_000, (q, chunks) in split()) {
            // Same totals ⇒ same per-step results.
            let mut l = line(q, amount);
            let mut done = 0;
            for c in chunks {
                let (money, next) = l.after_refund(c).unwrap();
                prop_assert_eq!(money.fen(), refundable_points(amount, q, done, c));
                done += c;
                l = next;
            }
        }
    }
}
