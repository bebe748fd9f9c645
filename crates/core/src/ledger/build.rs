//! The postings of what happens in a shop, built from the facts of the business write that causes them.
//!
//! Each builder checks its facts (amounts not negative, parts adding up to their totals) and answers
//! `Ok(None)` when there is nothing to post (every amount zero).
//!
//! | event | debit | credit |
//! |---|---|---|
//! | payment succeeded | provider clearing (paid), coupon cost (per line), points liability value (per line), payment fees | sales revenue (per line, after order-level reductions), shipping income, provider clearing (fee); points: points liability / points redeemed |
//! | refund succeeded | sales refunds (per line; and the coupon and points value given back), shipping income (shipping refunded), provider clearing (fee returned) | provider clearing (refund), payment fees (fee returned), coupon cost, points liability value; points: points redeemed / points liability |
//! | shipment with a cost | shipping cost | accounts payable |
//! | order completed | cost of goods (per line, at the SKU's cost) | inventory |
//! | goods returned after completion | inventory | cost of goods |
//! | points spent / given back | points: points liability / points redeemed | points: points redeemed / points liability |
//! | points granted | points cost (at the shop's points value); points: points granted | points liability value; points: points liability |
//! | operating expense | operating expenses | bank or accounts payable |
//!
//! The payment fee is charged per payment at the provider's rate, rounded half up to the fen (四舍五入):
//! ¥902.20 at 0.6 % is 541.32 fen → ¥5.41. A refund gives back, when the shop's provider does, the fee in
//! proportion to the money refunded, computed on running totals ([`refund_fee`]), so the fees given back
//! never add up to more than the payment's fee and add up to exactly it once everything is refunded.

use super::{Account, Entry, Invalid, LedgerError, Posting, PostingKind};
use crate::money::apportion;
use crate::Money;

/// A payment provider's fee rate in basis points (万分之一): 60 is 0.6 %, WeChat Pay's usual rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeeRate(u32);

impl FeeRate {
    /// 0.6 % (千分之六).
    pub const DEFAULT: FeeRate = FeeRate(60);
    /// No fee (payments from the buyer's stored value).
    pub const ZERO: FeeRate = FeeRate(0);
    /// The highest rate accepted: 10 %.
    pub const MAX_BASIS_POINTS: u32 = 1000;

    pub fn from_basis_points(bp: u32) -> Result<FeeRate, LedgerError> {
        if bp > Self::MAX_BASIS_POINTS {
            return Err(LedgerError::invalid(
                "fee_basis_points",
                Invalid::FeeRate { max: i64::from(Self::MAX_BASIS_POINTS) },
            ));
        }
        Ok(FeeRate(bp))
    }

    pub fn basis_points(self) -> u32 {
        self.0
    }

    /// The fee on one payment of `paid`, rounded half up to the fen. Never more than `paid`.
    pub fn fee(self, paid: Money) -> Money {
        if paid.is_negative() {
            return Money::ZERO;
        }
        paid.mul_ratio_round(i64::from(self.0), 10_000).unwrap_or(paid).min(paid)
    }
}

/// What happens to the payment fee when money is refunded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundFee {
    /// The provider gives the fee back in proportion to the money refunded (WeChat Pay does).
    Returned,
    /// The provider keeps the fee.
    Kept,
}

impl RefundFee {
    pub const fn as_str(self) -> &'static str {
        match self {
            RefundFee::Returned => "returned",
            RefundFee::Kept => "kept",
        }
    }

    pub fn parse(s: &str) -> Option<RefundFee> {
        match s {
            "returned" => Some(RefundFee::Returned),
            "kept" => Some(RefundFee::Kept),
            _ => None,
        }
    }
}

/// The part of a payment's `fee` given back with a refund of `refund` when `refunded_before` of `paid` was
/// refunded already: `round(fee × after / paid) − round(fee × before / paid)`, half up, on the running
/// totals. Refunds beyond `paid` count as `paid`.
pub fn refund_fee(treatment: RefundFee, fee: Money, paid: Money, refunded_before: Money, refund: Money) -> Money {
    if treatment == RefundFee::Kept || paid.fen() <= 0 || fee.fen() <= 0 {
        return Money::ZERO;
    }
    let before = refunded_before.fen().clamp(0, paid.fen());
    let after = refunded_before.fen().saturating_add(refund.fen().max(0)).clamp(0, paid.fen());
    let share = |x: i64| fee.mul_ratio_round(x, paid.fen()).unwrap_or(fee);
    share(after).checked_sub(share(before)).unwrap_or(Money::ZERO).max(Money::ZERO)
}

/// One order line as sold: its revenue (goods after order-level reductions), and the parts of that revenue
/// paid by a coupon and by points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SoldLine {
    pub product_id: i64,
    pub revenue: Money,
    pub coupon: Money,
    pub points: Money,
    /// The activity that priced the line (a discount or flash price), named on its revenue entry as
    /// `activity:<id>` so that reports per promotion read what it sold from the journal.
    pub activity: Option<i64>,
}

impl SoldLine {
    /// What the buyer paid in money for the line.
    pub fn paid(&self) -> Money {
        Money::from_fen(self.revenue.fen() - self.coupon.fen() - self.points.fen())
    }
}

/// Spread an order's coupon over its lines in proportion to their revenue, then its points deduction in
/// proportion to what is left of each line, by largest remainder: the parts add up to the totals, and no
/// line gets more off than it costs. `lines` are (product id, revenue).
pub fn apportion_lines(lines: &[(i64, Money)], coupon: Money, points: Money) -> Result<Vec<SoldLine>, LedgerError> {
    let revenue: Vec<Money> = lines.iter().map(|l| l.1).collect();
    let total = revenue.iter().try_fold(0i64, |a, m| if m.is_negative() { None } else { a.checked_add(m.fen()) });
    let Some(total) = total else {
        return Err(LedgerError::invalid("lines", Invalid::NegativeRevenue));
    };
    if coupon.is_negative() || points.is_negative() || coupon.fen().saturating_add(points.fen()) > total {
        return Err(LedgerError::invalid("coupon", Invalid::DiscountsAboveRevenue));
    }
    if lines.is_empty() {
        return Ok(Vec::new());
    }
    let coupons = apportion(coupon, &revenue);
    let rest: Vec<Money> = revenue.iter().zip(&coupons).map(|(r, c)| Money::from_fen(r.fen() - c.fen())).collect();
    let points = apportion(points, &rest);
    Ok(lines
        .iter()
        .zip(coupons)
        .zip(points)
        .map(|(((product_id, revenue), coupon), points)| SoldLine {
            activity: None,
            product_id: *product_id,
            revenue: *revenue,
            coupon,
            points,
        })
        .collect())
}

/// A payment that succeeded.
#[derive(Debug, Clone)]
pub struct PaymentFacts<'a> {
    pub payment_id: i64,
    pub at_ms: i64,
    /// What the buyer paid, fen.
    pub paid: Money,
    /// The provider's fee on it.
    pub fee: Money,
    /// Shipping charged, part of `paid`.
    pub shipping: Money,
    pub lines: &'a [SoldLine],
    /// The coupon used, as `coupon:<id>`, named on the coupon cost entries.
    pub coupon: Option<&'a str>,
}

fn non_negative(field: &'static str, m: Money) -> Result<(), LedgerError> {
    if m.is_negative() {
        Err(LedgerError::invalid(field, Invalid::Negative))
    } else {
        Ok(())
    }
}

fn finish(
    kind: PostingKind,
    reference: String,
    at_ms: i64,
    entries: Vec<Entry>,
) -> Result<Option<Posting>, LedgerError> {
    if entries.iter().all(|e| e.amount.value() == 0) {
        return Ok(None);
    }
    Posting::new(kind, reference, at_ms, entries).map(Some)
}

fn sum_fen(mut parts: impl Iterator<Item = Money>) -> Result<i64, LedgerError> {
    parts.try_fold(0i64, |a, m| a.checked_add(m.fen())).ok_or_else(|| LedgerError::invalid("lines", Invalid::Overflow))
}

/// Payment succeeded: the money paid lands at the provider, revenue per line (with the coupon part as its
/// cost and the points part taken from the points liability's value), shipping income, the fee. The points
/// themselves are posted where they move ([`points_spent`]).
pub fn payment_succeeded(p: &PaymentFacts<'_>) -> Result<Option<Posting>, LedgerError> {
    non_negative("paid", p.paid)?;
    non_negative("fee", p.fee)?;
    non_negative("shipping", p.shipping)?;
    if p.fee > p.paid {
        return Err(LedgerError::invalid("fee", Invalid::FeeAbovePaid));
    }
    for l in p.lines {
        non_negative("lines.revenue", l.revenue)?;
        non_negative("lines.coupon", l.coupon)?;
        non_negative("lines.points", l.points)?;
        if l.paid().is_negative() {
            return Err(LedgerError::invalid("lines", Invalid::DiscountsAboveRevenue));
        }
    }
    let lines_paid = sum_fen(p.lines.iter().map(SoldLine::paid))?;
    if lines_paid.checked_add(p.shipping.fen()) != Some(p.paid.fen()) {
        return Err(LedgerError::invalid("paid", Invalid::PaidMismatch));
    }
    let mut e = vec![Entry::debit(Account::ProviderClearing, p.paid.fen())];
    for l in p.lines {
        let mut r = Entry::credit(Account::SalesRevenue, l.revenue.fen()).for_product(l.product_id);
        if let Some(a) = l.activity {
            r = r.for_promotion(format!("activity:{a}"));
        }
        e.push(r);
        if l.coupon.fen() != 0 {
            let mut c = Entry::debit(Account::CouponCost, l.coupon.fen()).for_product(l.product_id);
            if let Some(tag) = p.coupon {
                c = c.for_promotion(tag);
            }
            e.push(c);
        }
        e.push(Entry::debit(Account::PointsLiabilityValue, l.points.fen()).for_product(l.product_id));
    }
    e.push(Entry::credit(Account::ShippingIncome, p.shipping.fen()));
    e.push(Entry::debit(Account::PaymentFees, p.fee.fen()));
    e.push(Entry::credit(Account::ProviderClearing, p.fee.fen()));
    finish(PostingKind::PaymentSucceeded, format!("payment:{}", p.payment_id), p.at_ms, e)
}

/// Goods money refunded on one product.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefundedLine {
    pub product_id: i64,
    pub amount: Money,
}

/// A refund that succeeded.
#[derive(Debug, Clone)]
pub struct RefundFacts<'a> {
    pub refund_id: i64,
    pub at_ms: i64,
    /// Money sent back to the buyer: the lines plus `shipping`.
    pub amount: Money,
    pub shipping: Money,
    pub lines: &'a [RefundedLine],
    /// The part of the payment's fee the provider gives back ([`refund_fee`]).
    pub fee_returned: Money,
    /// A coupon given back to the buyer, at the amount it took off the refunded lines.
    pub coupon_returned: Money,
    pub coupon: Option<&'a str>,
    /// The value of the points given back, as they were spent.
    pub points_value_returned: Money,
}

/// Refund succeeded: refunds (goods) and less shipping income against the provider; the fee given back; a
/// coupon or points given back cancel their cost.
pub fn refund_succeeded(r: &RefundFacts<'_>) -> Result<Option<Posting>, LedgerError> {
    non_negative("amount", r.amount)?;
    non_negative("shipping", r.shipping)?;
    non_negative("fee_returned", r.fee_returned)?;
    non_negative("coupon_returned", r.coupon_returned)?;
    non_negative("points_value_returned", r.points_value_returned)?;
    for l in r.lines {
        non_negative("lines.amount", l.amount)?;
    }
    if sum_fen(r.lines.iter().map(|l| l.amount))?.checked_add(r.shipping.fen()) != Some(r.amount.fen()) {
        return Err(LedgerError::invalid("amount", Invalid::RefundMismatch));
    }
    if r.fee_returned > r.amount {
        return Err(LedgerError::invalid("fee_returned", Invalid::FeeReturnedAboveRefund));
    }
    let mut e = Vec::new();
    for l in r.lines {
        e.push(Entry::debit(Account::SalesRefunds, l.amount.fen()).for_product(l.product_id));
    }
    e.push(Entry::debit(Account::ShippingIncome, r.shipping.fen()));
    e.push(Entry::credit(Account::ProviderClearing, r.amount.fen()));
    e.push(Entry::debit(Account::ProviderClearing, r.fee_returned.fen()));
    e.push(Entry::credit(Account::PaymentFees, r.fee_returned.fen()));
    if r.coupon_returned.fen() != 0 {
        e.push(Entry::debit(Account::SalesRefunds, r.coupon_returned.fen()));
        let mut c = Entry::credit(Account::CouponCost, r.coupon_returned.fen());
        if let Some(tag) = r.coupon {
            c = c.for_promotion(tag);
        }
        e.push(c);
    }
    e.push(Entry::debit(Account::SalesRefunds, r.points_value_returned.fen()));
    e.push(Entry::credit(Account::PointsLiabilityValue, r.points_value_returned.fen()));
    finish(PostingKind::RefundSucceeded, format!("refund:{}", r.refund_id), r.at_ms, e)
}

/// A shipment's cost, as entered (per shipment or from its freight template), owed to the carrier.
pub fn shipment_cost(shipment_id: i64, at_ms: i64, cost: Money) -> Result<Option<Posting>, LedgerError> {
    non_negative("shipping_cost", cost)?;
    let e = vec![Entry::debit(Account::ShippingCost, cost.fen()), Entry::credit(Account::AccountsPayable, cost.fen())];
    finish(PostingKind::ShipmentCost, format!("shipment:{shipment_id}"), at_ms, e)
}

/// The cost of the goods of one product: the SKU's cost price times the units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CostLine {
    pub product_id: i64,
    pub cost: Money,
}

impl CostLine {
    pub fn of(product_id: i64, unit_cost: Money, units: i64) -> Result<CostLine, LedgerError> {
        non_negative("cost_price", unit_cost)?;
        if units < 0 {
            return Err(LedgerError::invalid("quantity", Invalid::Negative));
        }
        let cost = unit_cost.checked_mul(units).ok_or_else(|| LedgerError::invalid("cost_price", Invalid::Overflow))?;
        Ok(CostLine { product_id, cost })
    }
}

fn cost_lines(lines: &[CostLine]) -> Result<(), LedgerError> {
    for l in lines {
        non_negative("lines.cost", l.cost)?;
    }
    sum_fen(lines.iter().map(|l| l.cost)).map(|_| ())
}

/// Order completed: the goods kept by the buyer leave inventory as cost of goods.
pub fn order_completed(order_id: i64, at_ms: i64, lines: &[CostLine]) -> Result<Option<Posting>, LedgerError> {
    cost_lines(lines)?;
    let mut e = Vec::new();
    for l in lines {
        e.push(Entry::debit(Account::CostOfGoods, l.cost.fen()).for_product(l.product_id));
        e.push(Entry::credit(Account::Inventory, l.cost.fen()).for_product(l.product_id));
    }
    finish(PostingKind::OrderCompleted, format!("order:{order_id}"), at_ms, e)
}

/// Goods returned after their order completed: back into inventory at the cost they left it.
pub fn goods_returned(aftersale_id: i64, at_ms: i64, lines: &[CostLine]) -> Result<Option<Posting>, LedgerError> {
    cost_lines(lines)?;
    let mut e = Vec::new();
    for l in lines {
        e.push(Entry::debit(Account::Inventory, l.cost.fen()).for_product(l.product_id));
        e.push(Entry::credit(Account::CostOfGoods, l.cost.fen()).for_product(l.product_id));
    }
    finish(PostingKind::GoodsReturned, format!("return:{aftersale_id}"), at_ms, e)
}

/// Points granted to a buyer: a liability at the shop's points value (`value`), and in points.
pub fn points_granted(reference: &str, at_ms: i64, points: i64, value: Money) -> Result<Option<Posting>, LedgerError> {
    non_negative("value", value)?;
    if points < 0 {
        return Err(LedgerError::invalid("points", Invalid::Negative));
    }
    let e = vec![
        Entry::debit(Account::PointsCost, value.fen()),
        Entry::credit(Account::PointsLiabilityValue, value.fen()),
        Entry::debit_points(Account::PointsGranted, points),
        Entry::credit_points(Account::PointsLiability, points),
    ];
    finish(PostingKind::PointsGranted, format!("points:{reference}"), at_ms, e)
}

/// Points spent by a buyer (at checkout): they leave the points liability.
pub fn points_spent(reference: &str, at_ms: i64, points: i64) -> Result<Option<Posting>, LedgerError> {
    if points < 0 {
        return Err(LedgerError::invalid("points", Invalid::Negative));
    }
    let e = vec![
        Entry::debit_points(Account::PointsLiability, points),
        Entry::credit_points(Account::PointsRedeemed, points),
    ];
    finish(PostingKind::PointsSpent, format!("points:{reference}"), at_ms, e)
}

/// Spent points given back to a buyer (a cancelled order, a refund): they return to the points liability.
pub fn points_restored(reference: &str, at_ms: i64, points: i64) -> Result<Option<Posting>, LedgerError> {
    if points < 0 {
        return Err(LedgerError::invalid("points", Invalid::Negative));
    }
    let e = vec![
        Entry::debit_points(Account::PointsRedeemed, points),
        Entry::credit_points(Account::PointsLiability, points),
    ];
    finish(PostingKind::PointsRestored, format!("points:{reference}"), at_ms, e)
}

/// Granted points that leave a buyer without being spent: expired lots, or points earned on an order and
/// reversed by a refund. The grant is undone at the same points value, in money and in points.
pub fn points_withdrawn(
    kind: PostingKind,
    reference: &str,
    at_ms: i64,
    points: i64,
    value: Money,
) -> Result<Option<Posting>, LedgerError> {
    if !matches!(kind, PostingKind::PointsExpired | PostingKind::PointsReversed) {
        return Err(LedgerError::invalid("kind", Invalid::NotPointsOut));
    }
    non_negative("value", value)?;
    if points < 0 {
        return Err(LedgerError::invalid("points", Invalid::Negative));
    }
    let e = vec![
        Entry::debit(Account::PointsLiabilityValue, value.fen()),
        Entry::credit(Account::PointsCost, value.fen()),
        Entry::debit_points(Account::PointsLiability, points),
        Entry::credit_points(Account::PointsGranted, points),
    ];
    finish(kind, format!("points:{reference}"), at_ms, e)
}

/// An operating expense (rent, labour, office), paid from the bank or owed.
pub fn expense(expense_id: i64, at_ms: i64, amount: Money, paid: bool) -> Result<Option<Posting>, LedgerError> {
    non_negative("amount", amount)?;
    let from = if paid { Account::Bank } else { Account::AccountsPayable };
    let e = vec![Entry::debit(Account::OperatingExpenses, amount.fen()), Entry::credit(from, amount.fen())];
    finish(PostingKind::Expense, format!("expense:{expense_id}"), at_ms, e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::{Amount, Unit};
    use proptest::prelude::*;

    fn m(fen: i64) -> Money {
        Money::from_fen(fen)
    }

    fn sum(p: &Posting, unit: Unit) -> i128 {
        p.entries().iter().filter(|e| e.amount.unit() == unit).map(|e| i128::from(e.amount.value())).sum()
    }

    #[test]
    fn the_fee_of_a_902_20_payment_is_5_41() {
        // 90220 × 0.006 = 541.32 fen, rounded half up to 541.
        assert_eq!(FeeRate::DEFAULT.fee(m(90_220)), m(541));
        assert_eq!(FeeRate::DEFAULT.fee(m(250)), m(2), "1.5 fen rounds up");
        assert_eq!(FeeRate::DEFAULT.fee(m(249)), m(1), "1.494 fen rounds down");
        assert_eq!(FeeRate::DEFAULT.fee(m(83)), m(0));
        assert_eq!(FeeRate::from_basis_points(38).unwrap().fee(m(10_000)), m(38), "0.38 %");
        assert_eq!(FeeRate::from_basis_points(1000).unwrap().fee(m(5)), m(1), "0.5 fen rounds up");
        assert!(FeeRate::from_basis_points(1001).is_err());
    }

    #[test]
    fn a_payment_posts_revenue_costs_and_fee_to_the_fen() {
        let lines = apportion_lines(&[(1, m(60_000)), (2, m(30_220))], m(2_000), m(500)).unwrap();
        let paid = m(90_220 - 2_000 - 500 + 1_000);
        let fee = FeeRate::DEFAULT.fee(paid);
        let p = payment_succeeded(&PaymentFacts {
            payment_id: 7,
            at_ms: 1,
            paid,
            fee,
            shipping: m(1_000),
            lines: &lines,
            coupon: Some("coupon:3"),
        })
        .unwrap()
        .unwrap();
        assert_eq!(p.reference(), "payment:7");
        assert_eq!(p.total_on(Account::ProviderClearing), paid.fen() - fee.fen());
        assert_eq!(p.total_on(Account::SalesRevenue), -90_220);
        assert_eq!(p.total_on(Account::CouponCost), 2_000);
        assert_eq!(p.total_on(Account::PointsLiabilityValue), 500);
        assert_eq!(p.total_on(Account::ShippingIncome), -1_000);
        assert_eq!(p.total_on(Account::PaymentFees), fee.fen());
        assert_eq!(p.total_on(Account::PointsLiability), 0, "points are posted where they move");
        assert!(p
            .entries()
            .iter()
            .filter(|e| e.account == Account::CouponCost)
            .all(|e| e.promotion.as_deref() == Some("coupon:3") && e.product_id.is_some()));
        // The lines must account for what was paid.
        let short = PaymentFacts { paid: m(paid.fen() + 1), ..refs(&lines, paid, fee) };
        assert!(matches!(payment_succeeded(&short), Err(LedgerError::Invalid { field: "paid", .. })));
        let big_fee = PaymentFacts { fee: m(paid.fen() + 1), ..refs(&lines, paid, fee) };
        assert!(matches!(payment_succeeded(&big_fee), Err(LedgerError::Invalid { field: "fee", .. })));
    }

    fn refs(lines: &[SoldLine], paid: Money, fee: Money) -> PaymentFacts<'_> {
        PaymentFacts { payment_id: 7, at_ms: 1, paid, fee, shipping: m(1_000), lines, coupon: None }
    }

    #[test]
    fn a_free_order_posts_nothing() {
        let lines = [SoldLine { product_id: 1, revenue: m(0), coupon: m(0), points: m(0), activity: None }];
        let f = PaymentFacts {
            payment_id: 1,
            at_ms: 0,
            paid: m(0),
            fee: m(0),
            shipping: m(0),
            lines: &lines,
            coupon: None,
        };
        assert_eq!(payment_succeeded(&f), Ok(None));
        assert_eq!(shipment_cost(1, 0, m(0)), Ok(None));
        assert!(shipment_cost(1, 0, m(-1)).is_err());
    }

    #[test]
    fn refund_fees_follow_the_running_totals() {
        let (fee, paid) = (m(541), m(90_220));
        let parts = [m(30_000), m(30_000), m(30_220)];
        let mut before = m(0);
        let mut back = Vec::new();
        for p in parts {
            back.push(refund_fee(RefundFee::Returned, fee, paid, before, p));
            before = m(before.fen() + p.fen());
        }
        // 541 × 30000 / 90220 = 179.89 → 180; × 60000 / 90220 = 359.79 → 360; all → 541.
        assert_eq!(back, vec![m(180), m(180), m(181)]);
        assert_eq!(refund_fee(RefundFee::Kept, fee, paid, m(0), paid), m(0));
        assert_eq!(refund_fee(RefundFee::Returned, fee, paid, m(0), m(paid.fen() * 2)), fee);
    }

    #[test]
    fn cost_of_goods_and_returns_mirror() {
        let l = [CostLine::of(5, m(1_234), 3).unwrap()];
        let done = order_completed(9, 0, &l).unwrap().unwrap();
        let back = goods_returned(4, 0, &l).unwrap().unwrap();
        assert_eq!(done.total_on(Account::CostOfGoods), 3_702);
        assert_eq!(back.total_on(Account::CostOfGoods), -3_702);
        assert_eq!(done.total_on(Account::Inventory) + back.total_on(Account::Inventory), 0);
        assert!(CostLine::of(5, m(-1), 1).is_err());
        assert!(CostLine::of(5, m(i64::MAX), 2).is_err());
        let g = points_granted("order:1", 0, 100, m(100)).unwrap().unwrap();
        assert_eq!(g.total_on(Account::PointsLiability), -100);
        assert_eq!(sum(&g, Unit::Points), 0);
        assert!(expense(1, 0, m(10), true).unwrap().unwrap().total_on(Account::Bank) == -10);
    }

    fn order() -> impl Strategy<Value = (Vec<(i64, Money)>, Money, Money, Money)> {
        (prop::collection::vec((1i64..50, 0i64..5_000_000), 1..8), 0i64..10_000, 0i64..=100, 0i64..=100).prop_map(
            |(lines, shipping, coupon_pct, points_pct)| {
                let total: i64 = lines.iter().map(|l| l.1).sum();
                let coupon = total * coupon_pct / 100;
                let points = (total - coupon) * points_pct / 100;
                (lines.into_iter().map(|(p, r)| (p, m(r))).collect(), m(coupon), m(points), m(shipping))
            },
        )
    }

    proptest! {
        /// Coupon and points spread over the lines add up to the order's amounts, and no line gets more off
        /// than it costs.
        #[test]
        fn apportioned_coupon_and_points_sum_to_the_totals((lines, coupon, points, _) in order()) {
            let sold = apportion_lines(&lines, coupon, points).unwrap();
            prop_assert_eq!(sold.iter().map(|l| l.coupon.fen()).sum::<i64>(), coupon.fen());
            prop_assert_eq!(sold.iter().map(|l| l.points.fen()).sum::<i64>(), points.fen());
            prop_assert!(sold.iter().all(|l| !l.coupon.is_negative() && !l.points.is_negative() && !l.paid().is_negative()));
        }

        /// A payment, then refunds in any split (some with the coupon and points given back), then the
        /// cost of goods: every posting balances per unit; fees given back never exceed the fee, and equal it
        /// once everything is refunded; the provider ends with what was paid less refunds and fees kept.
        #[test]
        fn every_built_posting_balances_and_refund_fees_stay_within_the_fee(
            (lines, coupon, points, shipping) in order(),
            rate in 0u32..=1000,
            returned in any::<bool>(),
            cuts in prop::collection::vec(1i64..=100, 0..6),
            points_used in 0i64..10_000,
        ) {
            let treatment = if returned { RefundFee::Returned } else { RefundFee::Kept };
            let sold = apportion_lines(&lines, coupon, points).unwrap();
            let paid = m(sold.iter().map(|l| l.paid().fen()).sum::<i64>() + shipping.fen());
            let fee = FeeRate::from_basis_points(rate).unwrap().fee(paid);
            prop_assert!(fee <= paid);
            let mut postings = Vec::new();
            postings.extend(payment_succeeded(&PaymentFacts {
                payment_id: 1, at_ms: 0, paid, fee, shipping, lines: &sold, coupon: Some("coupon:1"),
            }).unwrap());
            postings.extend(points_spent("order:1", 0, points_used).unwrap());
            let mut refunded = 0i64;
            let mut fees_back = 0i64;
            for (i, cut) in cuts.iter().enumerate() {
                let left = paid.fen() - refunded;
                let amount = if i + 1 == cuts.len() { left } else { left * cut / 100 };
                let ship = amount.min(shipping.fen() * cut / 100).min(amount);
                let goods = amount - ship;
                let parts = apportion(m(goods), &sold.iter().map(|l| l.paid()).collect::<Vec<_>>());
                let rl: Vec<RefundedLine> = sold.iter().zip(parts).map(|(l, a)| RefundedLine { product_id: l.product_id, amount: a }).collect();
                let back = refund_fee(treatment, fee, paid, m(refunded), m(amount));
                postings.extend(refund_succeeded(&RefundFacts {
                    refund_id: i as i64, at_ms: 0, amount: m(amount), shipping: m(ship), lines: &rl, fee_returned: back,
                    coupon_returned: m(0), coupon: None, points_value_returned: m(points.fen() * cut / 100),
                }).unwrap());
                postings.extend(points_restored(&format!("refund:{i}"), 0, points_used * cut / 100).unwrap());
                refunded += amount;
                fees_back += back.fen();
                prop_assert!(fees_back <= fee.fen());
            }
            if !cuts.is_empty() && returned {
                prop_assert_eq!(fees_back, fee.fen(), "everything refunded gives the whole fee back");
            }
            let costs: Vec<CostLine> = lines.iter().map(|(p, r)| CostLine { product_id: *p, cost: m(r.fen() / 2) }).collect();
            postings.extend(order_completed(1, 0, &costs).unwrap());
            for p in &postings {
                prop_assert_eq!(sum(p, Unit::Fen), 0);
                prop_assert_eq!(sum(p, Unit::Points), 0);
                prop_assert!(p.entries().iter().all(|e| e.amount.unit() == e.account.unit()));
            }
            let clearing: i64 = postings.iter().map(|p| p.total_on(Account::ProviderClearing)).sum();
            prop_assert_eq!(clearing, paid.fen() - fee.fen() - refunded + fees_back);
            let all_points: i64 = postings.iter().flat_map(|p| p.entries()).filter_map(|e| match e.amount {
                Amount::Points(v) => Some(v), Amount::Fen(_) => None,
            }).sum();
            prop_assert_eq!(all_points, 0);
        }

        #[test]
        fn refund_fee_never_exceeds_the_fee(
            paid in 1i64..100_000_000, rate in 0u32..=1000, before_pct in 0i64..=100, refund in 0i64..200_000_000,
        ) {
            let fee = FeeRate::from_basis_points(rate).unwrap().fee(m(paid));
            let before = paid * before_pct / 100;
            let back = refund_fee(RefundFee::Returned, fee, m(paid), m(before), m(refund));
            let earlier = refund_fee(RefundFee::Returned, fee, m(paid), m(0), m(before));
            prop_assert!(back.fen() >= 0);
            prop_assert!(earlier.fen() + back.fen() <= fee.fen());
            prop_assert!(back <= m(refund));
        }
    }
}
