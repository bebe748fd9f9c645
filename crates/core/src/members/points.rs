//! Points (积分). A buyer's points are lots: each grant is a lot with its own expiry, spending takes from
//! the lots that expire first, and an expired lot's remainder leaves the balance by an expiry entry. The
//! journal holds the values; these rules decide which lots move and by how much.

use crate::time;

/// One line of a completed order, for earning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EarnLine {
    /// What the buyer paid for the line after every discount (the apportioned amount), in fen.
    pub paid_fen: i64,
    /// Whether the line's product earns points.
    pub earns: bool,
}

/// Points a completed order earns: `points_per_yuan` for each whole yuan paid on lines that earn,
/// times the level's multiplier (percent), rounded down.
pub fn earned(lines: &[EarnLine], points_per_yuan: u32, multiplier_pct: u32) -> i64 {
    let eligible: i128 = lines.iter().filter(|l| l.earns && l.paid_fen > 0).map(|l| i128::from(l.paid_fen)).sum();
    let points = eligible * i128::from(points_per_yuan) * i128::from(multiplier_pct) / 10_000;
    i64::try_from(points).unwrap_or(i64::MAX)
}

/// When granted points expire, as the shop sets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExpiryPolicy {
    #[default]
    Never,
    /// Each lot expires this many days after it was granted.
    Rolling { days: u32 },
    /// Each lot expires at the end of the calendar year `years` after the year it was granted in
    /// (0: the end of that same year), in the shop's zone.
    YearEnd { years: u32 },
}

pub const ROLLING_DAYS_MAX: u32 = 3_650;
pub const YEAR_END_MAX: u32 = 10;
const MS_PER_DAY: i64 = 86_400_000;

impl ExpiryPolicy {
    /// The instant a lot granted at `granted_ms` stops being usable (`None`: never).
    pub fn expires_at(self, granted_ms: i64) -> Option<i64> {
        match self {
            ExpiryPolicy::Never => None,
            ExpiryPolicy::Rolling { days } => Some(granted_ms.saturating_add(i64::from(days) * MS_PER_DAY)),
            ExpiryPolicy::YearEnd { years } => {
                let year = time::year_of(granted_ms)?;
                time::year_start_ms(year.checked_add(i16::try_from(years).ok()?)?.checked_add(1)?)
            }
        }
    }

    pub fn valid(self) -> bool {
        match self {
            ExpiryPolicy::Never => true,
            ExpiryPolicy::Rolling { days } => (1..=ROLLING_DAYS_MAX).contains(&days),
            ExpiryPolicy::YearEnd { years } => years <= YEAR_END_MAX,
        }
    }
}

/// A grant of points and what is left of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lot {
    pub id: i64,
    pub granted_ms: i64,
    pub expires_ms: Option<i64>,
    pub remaining: i64,
}

impl Lot {
    pub fn usable(&self, now_ms: i64) -> bool {
        self.remaining > 0 && self.expires_ms.is_none_or(|e| e > now_ms)
    }
}

/// Points taken from one lot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Take {
    pub lot_id: i64,
    pub points: i64,
}

crate::coded_enum! {
    /// Why points cannot be spent.
    pub enum PointsError {
        Insufficient { needed: i64, available: i64 } = "points.insufficient",
        NotPositive = "points.not_positive",
    }
}

/// Points usable at `now_ms`.
pub fn balance(lots: &[Lot], now_ms: i64) -> i64 {
    lots.iter().filter(|l| l.usable(now_ms)).map(|l| l.remaining).sum()
}

/// The order lots are spent in: soonest expiry first, lots that never expire last, then the oldest grant.
fn spending_order(lots: &[Lot], now_ms: i64) -> Vec<&Lot> {
    let mut v: Vec<&Lot> = lots.iter().filter(|l| l.usable(now_ms)).collect();
    v.sort_by_key(|l| (l.expires_ms.is_none(), l.expires_ms, l.granted_ms, l.id));
    v
}

/// Which lots `amount` points come from. Refused, taking nothing, when the usable balance is short.
pub fn spend(lots: &[Lot], now_ms: i64, amount: i64) -> Result<Vec<Take>, PointsError> {
    if amount <= 0 {
        return Err(PointsError::NotPositive);
    }
    let available = balance(lots, now_ms);
    if available < amount {
        return Err(PointsError::Insufficient { needed: amount, available });
    }
    Ok(take_up_to(lots, now_ms, amount).0)
}

/// Take as much of `amount` as the usable lots hold; the second value is what could not be taken.
pub fn take_up_to(lots: &[Lot], now_ms: i64, amount: i64) -> (Vec<Take>, i64) {
    let mut left = amount.max(0);
    let mut takes = Vec::new();
    for l in spending_order(lots, now_ms) {
        if left == 0 {
            break;
        }
        let t = l.remaining.min(left);
        takes.push(Take { lot_id: l.id, points: t });
        left -= t;
    }
    (takes, left)
}

/// The remainders of lots that have expired by `now_ms`: what the expiry job writes off.
pub fn expired(lots: &[Lot], now_ms: i64) -> Vec<Take> {
    lots.iter()
        .filter(|l| l.remaining > 0 && l.expires_ms.is_some_and(|e| e <= now_ms))
        .map(|l| Take { lot_id: l.id, points: l.remaining })
        .collect()
}

/// Bring the lots in line with a balance that moved without them (points spent at checkout come off the
/// balance; the lots follow here): when the lots hold more than `balance`, the difference comes off the lots
/// that expire first — expired or not yet written off included — as a spend at the time would have taken it.
pub fn settle(lots: &[Lot], balance: i64) -> Vec<Take> {
    let held: i64 = lots.iter().map(|l| l.remaining.max(0)).sum();
    let mut excess = held - balance.max(0);
    let mut order: Vec<&Lot> = lots.iter().filter(|l| l.remaining > 0).collect();
    order.sort_by_key(|l| (l.expires_ms.is_none(), l.expires_ms, l.granted_ms, l.id));
    let mut takes = Vec::new();
    for l in order {
        if excess <= 0 {
            break;
        }
        let t = l.remaining.min(excess);
        takes.push(Take { lot_id: l.id, points: t });
        excess -= t;
    }
    takes
}

/// The money value of points at the shop's rate (`points_per_yuan` points are worth ¥1), rounded half up
/// to the fen; each movement is valued on its own.
pub fn value_fen(points: i64, points_per_yuan: i64) -> i64 {
    if points <= 0 || points_per_yuan <= 0 {
        return 0;
    }
    let v = (i128::from(points) * 200 + i128::from(points_per_yuan)) / (2 * i128::from(points_per_yuan));
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Points that expire within `window_ms` after `now_ms` (for the notice before expiry).
pub fn expiring_within(lots: &[Lot], now_ms: i64, window_ms: i64) -> i64 {
    lots.iter()
        .filter(|l| l.usable(now_ms) && l.expires_ms.is_some_and(|e| e <= now_ms.saturating_add(window_ms)))
        .map(|l| l.remaining)
        .sum()
}

/// Points to reverse now for a refund: in proportion to the order's refunded total so far (all of them
/// once the whole paid amount is refunded), less what earlier refunds already reversed. Never more than
/// the order earned, never negative.
pub fn reversal_due(earned: i64, already_reversed: i64, paid_fen: i64, refunded_total_fen: i64) -> i64 {
    if earned <= 0 || paid_fen <= 0 {
        return 0;
    }
    let target = if refunded_total_fen >= paid_fen {
        earned
    } else {
        let t = i128::from(earned) * i128::from(refunded_total_fen.max(0)) / i128::from(paid_fen);
        i64::try_from(t).unwrap_or(earned)
    };
    (target - already_reversed).clamp(0, (earned - already_reversed).max(0))
}

/// Points a shop gives per yuan by default, and the deduction value: 100 points = ¥1.
pub const DEFAULT_POINTS_PER_YUAN: u32 = 1;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn lot(id: i64, granted: i64, expires: Option<i64>, remaining: i64) -> Lot {
        Lot { id, granted_ms: granted, expires_ms: expires, remaining }
    }

    #[test]
    fn earning_counts_whole_yuan_of_lines_that_earn_times_the_multiplier() {
        let lines = [
            EarnLine { paid_fen: 12_345, earns: true },
            EarnLine { paid_fen: 50_000, earns: false },
            EarnLine { paid_fen: 99, earns: true },
        ];
        assert_eq!(earned(&lines, 1, 100), 124);
        assert_eq!(earned(&lines, 1, 150), 186);
        assert_eq!(earned(&lines, 2, 120), 298);
        assert_eq!(earned(&[], 1, 100), 0);
    }

    #[test]
    fn spending_takes_the_soonest_expiry_first_and_skips_expired_lots() {
        let lots =
            [lot(1, 0, None, 100), lot(2, 10, Some(1_000), 50), lot(3, 5, Some(500), 30), lot(4, 1, Some(20), 999)];
        let takes = spend(&lots, 100, 90).unwrap();
        assert_eq!(
            takes,
            vec![Take { lot_id: 3, points: 30 }, Take { lot_id: 2, points: 50 }, Take { lot_id: 1, points: 10 }]
        );
        assert_eq!(spend(&lots, 100, 181), Err(PointsError::Insufficient { needed: 181, available: 180 }));
        assert_eq!(expired(&lots, 100), vec![Take { lot_id: 4, points: 999 }]);
        assert_eq!(expiring_within(&lots, 100, 500), 30);
    }

    #[test]
    fn year_end_expiry_is_the_end_of_the_shops_year() {
        // 2026-12-31 23:30 Beijing = 2026-12-31T15:30Z
        let granted = 1_798_731_000_000;
        let end_2027 = ExpiryPolicy::YearEnd { years: 1 }.expires_at(granted).unwrap();
        // 2028-01-01 00:00 Beijing = 2027-12-31T16:00Z
        assert_eq!(end_2027, 1_830_268_800_000);
        assert_eq!(ExpiryPolicy::Rolling { days: 1 }.expires_at(0), Some(86_400_000));
        assert_eq!(ExpiryPolicy::Never.expires_at(granted), None);
    }

    #[test]
    fn settling_takes_what_the_balance_lost_from_the_soonest_expiry() {
        let lots = [lot(1, 0, None, 100), lot(2, 10, Some(1_000), 50), lot(3, 5, Some(50), 30)];
        assert_eq!(settle(&lots, 180), vec![]);
        assert_eq!(settle(&lots, 500), vec![]);
        assert_eq!(settle(&lots, 120), vec![Take { lot_id: 3, points: 30 }, Take { lot_id: 2, points: 30 }]);
        assert_eq!(value_fen(250, 250), 100);
        assert_eq!(value_fen(7, 250), 3);
        assert_eq!(value_fen(6, 1000), 1);
        assert_eq!(value_fen(4, 1000), 0);
    }

    #[test]
    fn reversals_follow_the_refunded_share() {
        assert_eq!(reversal_due(100, 0, 10_000, 2_500), 25);
        assert_eq!(reversal_due(100, 25, 10_000, 5_000), 25);
        assert_eq!(reversal_due(100, 50, 10_000, 10_000), 50);
        assert_eq!(reversal_due(100, 100, 10_000, 12_000), 0);
        assert_eq!(reversal_due(0, 0, 10_000, 10_000), 0);
    }

    #[derive(Debug, Clone)]
    enum Op {
        Earn { order: usize, points: i64 },
        Spend(i64),
        Wait(i64),
        Expire,
        Refund { order: usize, share_pct: i64 },
        Adjust(i64),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0usize..4, 0i64..500).prop_map(|(order, points)| Op::Earn { order, points }),
            (1i64..400).prop_map(Op::Spend),
            (0i64..40).prop_map(|d| Op::Wait(d * MS_PER_DAY)),
            Just(Op::Expire),
            (0usize..4, 1i64..=100).prop_map(|(order, share_pct)| Op::Refund { order, share_pct }),
            (-300i64..300).prop_map(Op::Adjust),
        ]
    }

    proptest! {
        /// Over any sequence of earning, spending, waiting, expiry, refunds and adjustments: the balance is the
        /// sum of the movements and never negative, an expired lot is never spent from, and no order's
        /// reversals exceed what it earned.
        #[test]
        fn a_points_account_balances(ops in proptest::collection::vec(op(), 1..80), rolling in 1u32..60) {
            let policy = ExpiryPolicy::Rolling { days: rolling };
            let mut now = 1_700_000_000_000i64;
            let mut lots: Vec<Lot> = Vec::new();
            let mut movements: i64 = 0;
            // per order: (earned, reversed, paid_fen, refunded_fen)
            let mut orders = [(0i64, 0i64, 10_000i64, 0i64); 4];
            let apply = |lots: &mut Vec<Lot>, takes: &[Take], now: i64| -> Result<(), TestCaseError> {
                for t in takes {
                    let l = lots.iter_mut().find(|l| l.id == t.lot_id).unwrap();
                    prop_assert!(l.usable(now), "took from a lot that expired or is empty");
                    prop_assert!(t.points > 0 && t.points <= l.remaining);
                    l.remaining -= t.points;
                }
                Ok(())
            };
            for op in ops {
                match op {
                    Op::Earn { order, points } => {
                        if orders[order].0 == 0 && points > 0 {
                            orders[order].0 = points;
                            let id = lots.len() as i64 + 1;
                            lots.push(Lot { id, granted_ms: now, expires_ms: policy.expires_at(now), remaining: points });
                            movements += points;
                        }
                    }
                    Op::Spend(n) => match spend(&lots, now, n) {
                        Ok(takes) => {
                            prop_assert_eq!(takes.iter().map(|t| t.points).sum::<i64>(), n);
                            apply(&mut lots, &takes, now)?;
                            movements -= n;
                        }
                        Err(PointsError::Insufficient { available, .. }) => prop_assert_eq!(available, balance(&lots, now)),
                        Err(e) => prop_assert!(false, "{e:?}"),
                    },
                    Op::Wait(ms) => now += ms,
                    Op::Expire => {
                        for t in expired(&lots, now) {
                            let l = lots.iter_mut().find(|l| l.id == t.lot_id).unwrap();
                            l.remaining -= t.points;
                            movements -= t.points;
                        }
                    }
                    Op::Refund { order, share_pct } => {
                        let o = &mut orders[order];
                        o.3 = (o.3 + o.2 * share_pct / 100).min(o.2);
                        let due = reversal_due(o.0, o.1, o.2, o.3);
                        o.1 += due;
                        prop_assert!(o.1 <= o.0);
                        let (takes, _shortfall) = take_up_to(&lots, now, due);
                        apply(&mut lots, &takes, now)?;
                        movements -= takes.iter().map(|t| t.points).sum::<i64>();
                    }
                    Op::Adjust(n) if n > 0 => {
                        let id = lots.len() as i64 + 1;
                        lots.push(Lot { id, granted_ms: now, expires_ms: policy.expires_at(now), remaining: n });
                        movements += n;
                    }
                    Op::Adjust(n) if n < 0 => {
                        if let Ok(takes) = spend(&lots, now, -n) {
                            apply(&mut lots, &takes, now)?;
                            movements += n;
                        }
                    }
                    Op::Adjust(_) => {}
                }
                let held: i64 = lots.iter().map(|l| l.remaining).sum();
                prop_assert!(lots.iter().all(|l| l.remaining >= 0));
                prop_assert_eq!(held, movements);
                prop_assert!(balance(&lots, now) >= 0);
                prop_assert!(balance(&lots, now) <= held);
            }
        }
    }
}
