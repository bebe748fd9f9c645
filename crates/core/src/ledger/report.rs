//! Profit and loss from the movements of the journal's accounts over a period.

use super::{Account, Kind, Unit};

/// Debits and credits of one account over a period (both positive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountFlow {
    pub account: Account,
    pub debits: i64,
    pub credits: i64,
}

/// Profit and loss of a period, fen. Each line is an account's movement on its normal side.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProfitAndLoss {
    pub sales_revenue: i64,
    pub sales_refunds: i64,
    pub shipping_income: i64,
    /// Sales less refunds plus shipping income.
    pub net_revenue: i64,
    pub cost_of_goods: i64,
    pub shipping_cost: i64,
    /// Net revenue less the cost of goods and of shipping.
    pub gross_profit: i64,
    pub payment_fees: i64,
    pub coupon_cost: i64,
    pub points_cost: i64,
    pub commission: i64,
    pub operating_expenses: i64,
    /// Gross profit less fees, marketing costs, commission and operating expenses: equal to the credits less
    /// the debits of every profit-and-loss account.
    pub net_profit: i64,
}

/// The statement of the flows given (accounts outside profit and loss, and points, are ignored).
pub fn profit_and_loss(flows: &[AccountFlow]) -> ProfitAndLoss {
    let on = |a: Account| -> i64 {
        flows.iter().filter(|f| f.account == a).map(|f| (f.debits - f.credits) * a.normal_side().sign()).sum()
    };
    let mut p = ProfitAndLoss {
        sales_revenue: on(Account::SalesRevenue),
        sales_refunds: on(Account::SalesRefunds),
        shipping_income: on(Account::ShippingIncome),
        cost_of_goods: on(Account::CostOfGoods),
        shipping_cost: on(Account::ShippingCost),
        payment_fees: on(Account::PaymentFees),
        coupon_cost: on(Account::CouponCost),
        points_cost: on(Account::PointsCost),
        commission: on(Account::CommissionExpense),
        operating_expenses: on(Account::OperatingExpenses),
        ..ProfitAndLoss::default()
    };
    p.net_revenue = p.sales_revenue - p.sales_refunds + p.shipping_income;
    p.gross_profit = p.net_revenue - p.cost_of_goods - p.shipping_cost;
    p.net_profit =
        p.gross_profit - p.payment_fees - p.coupon_cost - p.points_cost - p.commission - p.operating_expenses;
    p
}

/// Whether an account is on the profit-and-loss statement.
pub fn in_profit_and_loss(a: Account) -> bool {
    a.unit() == Unit::Fen && matches!(a.kind(), Kind::Revenue | Kind::ContraRevenue | Kind::Expense)
}

/// How a report groups its days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granularity {
    Day,
    /// Weeks from Monday to Sunday.
    Week,
    /// Calendar months.
    Month,
}

impl Granularity {
    pub const fn as_str(self) -> &'static str {
        match self {
            Granularity::Day => "day",
            Granularity::Week => "week",
            Granularity::Month => "month",
        }
    }

    pub fn parse(s: &str) -> Option<Granularity> {
        [Granularity::Day, Granularity::Week, Granularity::Month].into_iter().find(|g| g.as_str() == s)
    }
}

/// One period of a report: days `[from_day, to_day]` of the shop's calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bucket {
    pub from_day: i64,
    pub to_day: i64,
}

/// The periods that cover `[from_day, to_day]`, cut at day, week (Monday) or month boundaries; the first and
/// last are clipped to the range. Every day of the range is in exactly one bucket, in order.
pub fn buckets(from_day: i64, to_day: i64, g: Granularity) -> Vec<Bucket> {
    let mut out = Vec::new();
    let mut d = from_day;
    while d <= to_day {
        let end = match g {
            Granularity::Day => d,
            // 1970-01-01 was a Thursday: day 4 is a Monday.
            Granularity::Week => d + (6 - (d - 4).rem_euclid(7)),
            Granularity::Month => super::expense::Month::of_day(d)
                .map_or(d, |m| crate::time::month_days(m.year, m.month).map_or(d, |x| x.1)),
        };
        let end = end.min(to_day);
        out.push(Bucket { from_day: d, to_day: end });
        d = end + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::build::{apportion_lines, payment_succeeded, FeeRate, PaymentFacts};
    use crate::Money;
    use proptest::prelude::*;

    #[test]
    fn buckets_cut_at_mondays_and_months() {
        let day = |s: &str| crate::time::parse_day(s).unwrap();
        let w = buckets(day("2026-12-02"), day("2026-12-20"), Granularity::Week);
        // 2026-12-07 and 12-14 are Mondays.
        assert_eq!(
            w,
            vec![
                Bucket { from_day: day("2026-12-02"), to_day: day("2026-12-06") },
                Bucket { from_day: day("2026-12-07"), to_day: day("2026-12-13") },
                Bucket { from_day: day("2026-12-14"), to_day: day("2026-12-20") },
            ]
        );
        let m = buckets(day("2026-01-15"), day("2026-03-01"), Granularity::Month);
        assert_eq!(m.len(), 3);
        assert_eq!(m[1], Bucket { from_day: day("2026-02-01"), to_day: day("2026-02-28") });
    }

    proptest! {
        /// Every day of a range is in exactly one bucket, in order, for every granularity.
        #[test]
        fn buckets_cover_each_day_once(from in 0i64..40_000, len in 0i64..800, g in 0usize..3) {
            let g = [Granularity::Day, Granularity::Week, Granularity::Month][g];
            let b = buckets(from, from + len, g);
            prop_assert_eq!(b.first().map(|x| x.from_day), Some(from));
            prop_assert_eq!(b.last().map(|x| x.to_day), Some(from + len));
            for w in b.windows(2) {
                prop_assert_eq!(w[0].to_day + 1, w[1].from_day);
            }
            for x in &b {
                prop_assert!(x.from_day <= x.to_day);
            }
        }

        /// Net profit is the credits less the debits of every profit-and-loss account, whatever the flows.
        #[test]
        fn net_profit_is_the_sum_of_the_statement_accounts(
            raw in prop::collection::vec((prop::sample::select(Account::ALL.to_vec()), 0i64..1_000_000, 0i64..1_000_000), 0..30)
        ) {
            let flows: Vec<AccountFlow> = raw.iter().map(|(a, d, c)| AccountFlow { account: *a, debits: *d, credits: *c }).collect();
            let p = profit_and_loss(&flows);
            let direct: i64 = flows.iter().filter(|f| in_profit_and_loss(f.account)).map(|f| f.credits - f.debits).sum();
            prop_assert_eq!(p.net_profit, direct);
        }
    }

    #[test]
    fn a_payment_alone_shows_revenue_less_its_costs() {
        let lines = apportion_lines(&[(1, Money::from_fen(90_220))], Money::from_fen(1_000), Money::ZERO).unwrap();
        let paid = Money::from_fen(89_220);
        let fee = FeeRate::DEFAULT.fee(paid);
        let post = payment_succeeded(&PaymentFacts {
            payment_id: 1,
            at_ms: 0,
            paid,
            fee,
            shipping: Money::ZERO,
            lines: &lines,
            coupon: None,
        })
        .unwrap()
        .unwrap();
        let flows: Vec<AccountFlow> = post
            .entries()
            .iter()
            .map(|e| {
                let v = e.amount.value();
                AccountFlow { account: e.account, debits: v.max(0), credits: (-v).max(0) }
            })
            .collect();
        let p = profit_and_loss(&flows);
        assert_eq!(p.sales_revenue, 90_220);
        assert_eq!(p.coupon_cost, 1_000);
        assert_eq!(p.payment_fees, 535); // 892.20 × 0.6 % = 535.32 fen
        assert_eq!(p.net_profit, 90_220 - 1_000 - 535);
    }
}
