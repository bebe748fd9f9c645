//! The stacking engine. Stages run in a fixed order and each sees only what the earlier ones left:
//! product price → 满减/满折 → coupon → points → shipping. Every fen that changes is a [`Step`]; every rule
//! that does not apply is a [`Rejected`] with its reason.
//!
//! Decisions that the types leave open:
//! - A line with quantity ≤ 0 counts as 0 units; a negative price counts as 0. Sums saturate instead of
//!   overflowing, so the engine answers for any input.
//! - Product-level prices compete per line; the lowest unit price wins, ties go to special price, then
//!   activity, then member price, then sale price, then the lower activity id. A fixed or special price above
//!   the sale price simply loses to it; a percentage above 100 counts as 100.
//! - 满减/满折 run in ascending activity id, each on what the earlier ones left of its lines. Lines priced by a
//!   flash sale take no order-level reduction.
//! - A rule that would take nothing off is not applied ([`Reason::NoDiscount`]): an activity price not below the
//!   sale price, a 满减/满折, coupon or points worth 0 fen, a free-shipping coupon on an order without a fee.
//! - Coupons are taken in the order given: the first discount coupon that applies is used, later ones of
//!   the same kind are rejected as [`Reason::OneCouponOfAKind`]; the same for free-shipping coupons. Both kinds
//!   compare their threshold with their eligible lines after order-level reductions (before any coupon).
//!   Every coupon the buyer chose either applies or is a blocking refusal: an order never silently drops one.
//! - Points: at most the requested number and at most the balance; of those, the largest number whose value
//!   fits the cap gives the discount, and only the fewest points worth that discount are spent.
//! - Shipping: a template's no-delivery list blocks the order even for lines that would ship free. `free_over`
//!   compares the charged lines of the template after order-level reductions, before coupons and points, so a
//!   coupon never brings a shipping fee back. A level with free shipping then takes off what fee is left, before
//!   any free-shipping coupon (which then has nothing to take off: [`Reason::NoDiscount`]).

use std::collections::BTreeMap;

use super::freight::{charge, delivers_to};
use super::{
    Activity, ActivityKind, Coupon, CouponKind, Detail, FreightMode, Line, PriceRule, PriceSource, Quote, QuoteInput,
    QuoteLine, Reason, Rejected, RuleKind, RuleName, Scope, SpecialKind, SpecialPrice, Stage, Step, Terms,
};
use crate::error::count;
use crate::money::apportion;
use crate::Money;

const DAY_MS: i64 = 86_400_000;

/// Quote a cart: the price of every line, every discount, points, shipping and what the buyer pays.
pub fn quote(input: &QuoteInput) -> Quote {
    let coupons: Vec<&Coupon> = input.coupons.iter().collect();
    finish(input, base(input), &coupons)
}

/// The quote an order is placed at: the same quote, accepted exactly as it is, or its first blocking refusal.
/// An order is never placed at a quote that differs from what [`quote`] shows for the same input.
pub fn order_quote(input: &QuoteInput) -> Result<Quote, Rejected> {
    let q = quote(input);
    match q.blocking.first() {
        Some(refusal) => Err(refusal.clone()),
        None => Ok(q),
    }
}

/// The wallet coupon (AmountOff or PercentOff) that gives the lowest payable when it replaces the discount
/// coupon chosen in `input` (free-shipping coupons stay), with the quote it gives. `None` when no wallet
/// coupon lowers the payable below the quote without a discount coupon. Ties go to the lower coupon id.
pub fn best_coupon(input: &QuoteInput, wallet: &[Coupon]) -> Option<(i64, Quote)> {
    let base = base(input);
    let kept: Vec<&Coupon> = input.coupons.iter().filter(|c| !is_discount_coupon(c)).collect();
    let baseline = finish(input, base.clone(), &kept).payable;
    let mut best: Option<(i64, Quote)> = None;
    for c in wallet.iter().filter(|c| is_discount_coupon(c)) {
        // A coupon that cannot be used or is out of its window changes nothing.
        if !c.usable || window(c.valid_from_ms, c.valid_until_ms, input.now_ms).is_err() {
            continue;
        }
        let mut coupons = kept.clone();
        coupons.push(c);
        let q = finish(input, base.clone(), &coupons);
        if q.payable >= baseline {
            continue;
        }
        let better = match &best {
            None => true,
            Some((id, b)) => (q.payable, c.id) < (b.payable, *id),
        };
        if better {
            best = Some((c.id, q));
        }
    }
    best
}

fn is_discount_coupon(c: &Coupon) -> bool {
    matches!(c.kind, CouponKind::AmountOff { .. } | CouponKind::PercentOff { .. })
}

/// One line as it moves through the stages (all amounts in fen).
#[derive(Debug, Clone)]
struct LineState {
    qty: i64,
    sale: i64,
    unit_price: i64,
    units_at_price: i64,
    source: PriceSource,
    /// The rule that set the price, as shown in the derivation.
    label: RuleName,
    allow_coupons: bool,
    allow_points: bool,
    free_shipping: bool,
    flash: bool,
    goods: i64,
    order_discount: i64,
    coupon_discount: i64,
    points_discount: i64,
    /// The first applied order-level activity on this line that forbids coupons / points.
    coupon_block: Option<RuleName>,
    points_block: Option<RuleName>,
}

impl LineState {
    fn after_order(&self) -> i64 {
        self.goods.saturating_sub(self.order_discount)
    }

    fn before_points(&self) -> i64 {
        self.after_order().saturating_sub(self.coupon_discount)
    }

    fn remaining(&self) -> i64 {
        self.before_points().saturating_sub(self.points_discount)
    }
}

#[derive(Debug, Clone, Default)]
struct State {
    lines: Vec<LineState>,
    steps: Vec<Step>,
    rejected: Vec<Rejected>,
    blocking: Vec<Rejected>,
    applied_coupons: Vec<i64>,
    /// The applied free-shipping coupon: (rule label, coupon id).
    free_shipping_coupon: Option<(RuleName, i64)>,
    points_used: i64,
    shipping: i64,
}

impl State {
    /// Record a rejection once: the same rule rejected for the same reason on several lines reads as one.
    fn reject(&mut self, kind: RuleKind, rule: RuleName, rule_id: Option<i64>, reason: Reason) {
        let r = Rejected { kind, rule, rule_id, reason };
        if !self.rejected.contains(&r) {
            self.rejected.push(r);
        }
    }

    /// Record a refusal that also blocks ordering.
    fn block(&mut self, kind: RuleKind, rule: RuleName, rule_id: Option<i64>, reason: Reason) {
        let r = Rejected { kind, rule, rule_id, reason };
        if !self.blocking.contains(&r) {
            self.blocking.push(r.clone());
        }
        if !self.rejected.contains(&r) {
            self.rejected.push(r);
        }
    }

    fn step(
        &mut self,
        stage: Stage,
        kind: RuleKind,
        rule: RuleName,
        rule_id: Option<i64>,
        amount: i64,
        detail: Detail,
    ) {
        self.steps.push(Step { stage, kind, rule, rule_id, amount, detail });
    }
}

/// Product prices and order-level reductions: everything that does not depend on the coupons.
fn base(input: &QuoteInput) -> State {
    let mut st = State::default();
    price_lines(input, &mut st);
    order_reductions(input, &mut st);
    st
}

/// Coupons, points, shipping and the totals.
fn finish(input: &QuoteInput, mut st: State, coupons: &[&Coupon]) -> Quote {
    apply_coupons(input, &mut st, coupons);
    apply_points(input, &mut st);
    apply_shipping(input, &mut st);

    let lines: Vec<QuoteLine> = st
        .lines
        .iter()
        .zip(&input.lines)
        .map(|(s, l)| QuoteLine {
            sku_id: l.sku_id,
            quantity: s.qty,
            sale_price: Money::from_fen(s.sale),
            original_price: l.original_price,
            unit_price: Money::from_fen(s.unit_price),
            units_at_price: s.units_at_price,
            price_source: s.source.clone(),
            goods_amount: Money::from_fen(s.goods),
            order_discount: Money::from_fen(s.order_discount),
            coupon_discount: Money::from_fen(s.coupon_discount),
            points_discount: Money::from_fen(s.points_discount),
            paid_amount: Money::from_fen(s.remaining()),
        })
        .collect();
    let list_total = sum(st.lines.iter().map(|s| s.sale.saturating_mul(s.qty)));
    let payable = list_total.saturating_add(sum(st.steps.iter().map(|s| s.amount))).max(0);
    let points_eligible =
        sum(st.lines.iter().zip(&input.lines).filter(|(_, l)| l.earns_points).map(|(s, _)| s.remaining()));
    Quote {
        list_total: Money::from_fen(list_total),
        goods_total: Money::from_fen(sum(st.lines.iter().map(|s| s.goods))),
        order_discount: Money::from_fen(sum(st.lines.iter().map(|s| s.order_discount))),
        coupon_discount: Money::from_fen(sum(st.lines.iter().map(|s| s.coupon_discount))),
        applied_coupons: st.applied_coupons,
        points_used: st.points_used,
        points_discount: Money::from_fen(sum(st.lines.iter().map(|s| s.points_discount))),
        shipping: Money::from_fen(st.shipping),
        payable: Money::from_fen(payable),
        points_eligible_amount: Money::from_fen(points_eligible),
        lines,
        steps: st.steps,
        rejected: st.rejected,
        blocking: st.blocking,
    }
}

// ---------------------------------------------------------------------------------------------------------
// Stage 1: product price.

#[derive(Clone, Copy)]
enum Source<'a> {
    Special(&'a SpecialPrice),
    /// Index into the active product-level activities.
    Activity(usize),
    Member(u32),
    Sale,
}

struct Candidate<'a> {
    price: i64,
    /// Tie order: special price, activity, member price, sale price.
    rank: u8,
    id: i64,
    source: Source<'a>,
}

fn price_lines(input: &QuoteInput, st: &mut State) {
    let now = input.now_ms;
    let buyer = &input.buyer;
    let mut acts: Vec<&Activity> = input.activities.iter().filter(|a| a.kind.is_product_level()).collect();
    acts.sort_by_key(|a| a.id);
    let mut active: Vec<&Activity> = Vec::with_capacity(acts.len());
    for a in acts {
        if let Err(reason) = window(a.starts_at_ms, a.ends_at_ms, now) {
            st.reject(RuleKind::Activity, activity_label(a), Some(a.id), reason);
            continue;
        }
        match &a.kind {
            ActivityKind::FirstOrder(_) if buyer.has_paid_order => {
                st.reject(RuleKind::Activity, activity_label(a), Some(a.id), Reason::NotFirstOrder);
            }
            ActivityKind::Newcomer { days, .. }
                if now.saturating_sub(buyer.registered_at_ms) > i64::from(*days).saturating_mul(DAY_MS) =>
            {
                st.reject(RuleKind::Activity, activity_label(a), Some(a.id), Reason::NotNewcomer);
            }
            _ => active.push(a),
        }
    }
    // Units each buyer may still buy at an activity's price: Some only for activities with a limit.
    let mut allowance: Vec<Option<i64>> = active
        .iter()
        .map(|a| {
            (a.per_buyer_limit > 0).then(|| {
                let bought = sum(buyer.bought_under.iter().filter(|(id, _)| *id == a.id).map(|(_, n)| (*n).max(0)));
                a.per_buyer_limit.saturating_sub(bought).max(0)
            })
        })
        .collect();
    let mut touched = vec![false; active.len()];
    for line in &input.lines {
        let ls = price_line(input, line, &active, &mut allowance, &mut touched, st);
        st.lines.push(ls);
    }
    for (a, touched) in active.iter().zip(touched) {
        if !touched {
            st.reject(RuleKind::Activity, activity_label(a), Some(a.id), Reason::NotInScope);
        }
    }
}

fn price_line(
    input: &QuoteInput,
    line: &Line,
    active: &[&Activity],
    allowance: &mut [Option<i64>],
    touched: &mut [bool],
    st: &mut State,
) -> LineState {
    let qty = line.quantity.max(0);
    let sale = line.sale_price.fen().max(0);
    let mut cands = Vec::with_capacity(active.len() + 3);
    cands.push(Candidate { price: sale, rank: 3, id: 0, source: Source::Sale });
    if let Some(sp) = &line.special_price {
        cands.push(Candidate {
            price: sp.unit_price.fen().max(0),
            rank: 0,
            id: sp.activity_id,
            source: Source::Special(sp),
        });
    }
    for (k, a) in active.iter().enumerate() {
        if !in_scope(&a.scope, line) {
            continue;
        }
        if let Some(price) = rule_price(&a.kind, line, sale) {
            touched[k] = true;
            if price >= sale {
                // A price that is not below the sale price takes nothing off: the activity is not used here
                // (and neither its per-buyer limit nor its coupon and points rules apply).
                st.reject(RuleKind::Activity, activity_label(a), Some(a.id), Reason::NoDiscount);
                continue;
            }
            cands.push(Candidate { price, rank: 1, id: a.id, source: Source::Activity(k) });
        }
    }
    if let Some(pct) = input.buyer.member_discount_pct {
        let pct = pct.min(100);
        let price = percent_of(sale, pct);
        if price < sale {
            cands.push(Candidate { price, rank: 2, id: 0, source: Source::Member(pct) });
        } else {
            st.reject(RuleKind::MemberPrice, member_label(input), None, Reason::NoDiscount);
        }
    }
    cands.sort_by_key(|c| (c.price, c.rank, c.id));

    let label_of = |s: Source| -> RuleName {
        match s {
            Source::Special(sp) => special_label(sp),
            Source::Activity(k) => activity_label(active[k]),
            Source::Member(_) => member_label(input),
            Source::Sale => RuleName::SalePrice,
        }
    };

    // The best candidate wins unless its per-buyer limit is used up; then the next one is tried. The sale
    // price has no limit, so there always is a winner.
    let mut winner = cands.len() - 1;
    let mut units = qty;
    for (i, c) in cands.iter().enumerate() {
        if let Source::Activity(k) = c.source {
            if let Some(left) = allowance[k] {
                if left <= 0 {
                    st.reject(kind_of(c), label_of(c.source), Some(c.id), Reason::PerBuyerLimitReached);
                    continue;
                }
                units = qty.min(left);
                allowance[k] = Some(left - units);
            }
        }
        winner = i;
        break;
    }
    let win = &cands[winner];
    let label = label_of(win.source);
    // Candidates before the winner were passed over for their limit and are already rejected for it.
    for c in &cands[winner + 1..] {
        if matches!(c.source, Source::Sale) {
            continue;
        }
        st.reject(kind_of(c), label_of(c.source), rule_id_of(c), Reason::LostToLowerPrice { winner: label.clone() });
    }

    let (source, allow_coupons, allow_points, free_shipping, flash) = match win.source {
        Source::Special(sp) => (
            PriceSource::Special { kind: sp.kind, id: sp.activity_id, name: sp.name.clone() },
            sp.allow_coupons,
            sp.allow_points,
            false,
            sp.kind == SpecialKind::Flash,
        ),
        Source::Activity(k) => {
            let a = active[k];
            (
                PriceSource::Activity { id: a.id, name: a.name.clone(), kind: kind_label(&a.kind) },
                a.allow_coupons,
                a.allow_points,
                a.free_shipping,
                false,
            )
        }
        Source::Member(percent) => (
            PriceSource::MemberPrice { level: input.buyer.member_level_name.clone().unwrap_or_default(), percent },
            true,
            true,
            false,
            false,
        ),
        Source::Sale => (PriceSource::SalePrice, true, true, false, false),
    };
    let unit_price = win.price;
    let list = sale.saturating_mul(qty);
    let goods = unit_price.saturating_mul(units).saturating_add(sale.saturating_mul(qty - units));
    if goods < list {
        let (title, sale_fen, unit_fen) = (line.title.clone(), Money::from_fen(sale), Money::from_fen(unit_price));
        let detail = if units < qty {
            Detail::ProductPriceOverLimit { title, sale_fen, unit_fen, units, over: qty - units }
        } else {
            Detail::ProductPrice { title, sale_fen, unit_fen, units }
        };
        st.step(Stage::ProductPrice, kind_of(win), label.clone(), rule_id_of(win), goods - list, detail);
    }
    LineState {
        qty,
        sale,
        unit_price,
        units_at_price: units,
        source,
        label,
        allow_coupons,
        allow_points,
        free_shipping,
        flash,
        goods,
        order_discount: 0,
        coupon_discount: 0,
        points_discount: 0,
        coupon_block: None,
        points_block: None,
    }
}

fn kind_of(c: &Candidate) -> RuleKind {
    match c.source {
        Source::Special(sp) => special_kind(sp),
        Source::Activity(_) => RuleKind::Activity,
        Source::Member(_) => RuleKind::MemberPrice,
        // The sale price is never a step or a refusal; it has no id of its own.
        Source::Sale => RuleKind::Activity,
    }
}

fn special_kind(sp: &SpecialPrice) -> RuleKind {
    match sp.kind {
        SpecialKind::Flash => RuleKind::Flash,
        SpecialKind::Group => RuleKind::Group,
    }
}

fn rule_id_of(c: &Candidate) -> Option<i64> {
    match c.source {
        Source::Special(_) | Source::Activity(_) => Some(c.id),
        Source::Member(_) | Source::Sale => None,
    }
}

/// The unit price a product-level activity gives this line, `None` when it sets no price for it.
fn rule_price(kind: &ActivityKind, line: &Line, sale: i64) -> Option<i64> {
    let rule = match kind {
        ActivityKind::LimitedDiscount(r) | ActivityKind::FirstOrder(r) | ActivityKind::Newcomer { rule: r, .. } => r,
        ActivityKind::FullReduction { .. } | ActivityKind::FullDiscount { .. } => return None,
    };
    match rule {
        PriceRule::Percent(p) => Some(percent_of(sale, *p)),
        PriceRule::FixedPerSku(prices) => {
            prices.iter().find(|(sku, _)| *sku == line.sku_id).map(|(_, price)| price.fen().max(0))
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// Stage 2: 满减 / 满折.

fn order_reductions(input: &QuoteInput, st: &mut State) {
    let mut acts: Vec<&Activity> = input.activities.iter().filter(|a| !a.kind.is_product_level()).collect();
    acts.sort_by_key(|a| a.id);
    for a in acts {
        let label = activity_label(a);
        if let Err(reason) = window(a.starts_at_ms, a.ends_at_ms, input.now_ms) {
            st.reject(RuleKind::Activity, label.clone(), Some(a.id), reason);
            continue;
        }
        let mut eligible = Vec::new();
        let mut flash: Option<RuleName> = None;
        for (i, line) in input.lines.iter().enumerate() {
            if !in_scope(&a.scope, line) {
                continue;
            }
            if st.lines[i].flash {
                flash.get_or_insert_with(|| st.lines[i].label.clone());
            } else {
                eligible.push(i);
            }
        }
        if eligible.is_empty() {
            let reason = match flash {
                Some(rule) => Reason::DoesNotStackWith { rule },
                None => Reason::NotInScope,
            };
            st.reject(RuleKind::Activity, label, Some(a.id), reason);
            continue;
        }
        let amount = sum(eligible.iter().map(|&i| st.lines[i].after_order()));
        let (discount, desc) = match tier_discount(&a.kind, amount) {
            Ok(d) => d,
            Err(Some(needed)) => {
                let reason =
                    Reason::BelowThreshold { needed_fen: Money::from_fen(needed), has_fen: Money::from_fen(amount) };
                st.reject(RuleKind::Activity, label, Some(a.id), reason);
                continue;
            }
            // No tier at all: nothing can ever be reached.
            Err(None) => continue,
        };
        if discount <= 0 {
            st.reject(RuleKind::Activity, label, Some(a.id), Reason::NoDiscount);
            continue;
        }
        let weights: Vec<Money> = eligible.iter().map(|&i| Money::from_fen(st.lines[i].after_order())).collect();
        for (&i, part) in eligible.iter().zip(apportion(Money::from_fen(discount), &weights)) {
            let ls = &mut st.lines[i];
            ls.order_discount = ls.order_discount.saturating_add(part.fen());
            if !a.allow_coupons && ls.coupon_block.is_none() {
                ls.coupon_block = Some(label.clone());
            }
            if !a.allow_points && ls.points_block.is_none() {
                ls.points_block = Some(label.clone());
            }
            ls.free_shipping |= a.free_shipping;
        }
        let detail = Detail::Shared { terms: desc, amount_fen: Money::from_fen(amount), lines: count(eligible.len()) };
        st.step(Stage::OrderReduction, RuleKind::Activity, label, Some(a.id), -discount, detail);
    }
}

/// The discount of a 满减/满折 activity on `amount` with its description, or `Err(lowest threshold)` when no
/// tier is reached (`Err(None)` without tiers).
fn tier_discount(kind: &ActivityKind, amount: i64) -> Result<(i64, Terms), Option<i64>> {
    match kind {
        ActivityKind::FullReduction { tiers, repeat } => {
            let tiers: Vec<(i64, i64)> = tiers.iter().map(|(t, off)| (t.fen().max(0), off.fen().max(0))).collect();
            let Some((threshold, off)) = tiers.iter().copied().filter(|(t, _)| *t <= amount).max() else {
                return Err(tiers.iter().map(|(t, _)| *t).min());
            };
            if *repeat && threshold > 0 {
                let times = amount / threshold;
                let d = off.saturating_mul(times).min(amount);
                let (threshold_fen, off_fen) = (Money::from_fen(threshold), Money::from_fen(off));
                Ok((d, Terms::EveryReduction { threshold_fen, off_fen, times }))
            } else {
                let (threshold_fen, off_fen) = (Money::from_fen(threshold), Money::from_fen(off));
                Ok((off.min(amount), Terms::Reduction { threshold_fen, off_fen }))
            }
        }
        ActivityKind::FullDiscount { tiers } => {
            let tiers: Vec<(i64, u32)> = tiers.iter().map(|(t, pct)| (t.fen().max(0), (*pct).min(100))).collect();
            let Some((threshold, pct)) = tiers
                .iter()
                .copied()
                .filter(|(t, _)| *t <= amount)
                .max_by_key(|(t, pct)| (*t, std::cmp::Reverse(*pct)))
            else {
                return Err(tiers.iter().map(|(t, _)| *t).min());
            };
            let d = amount - percent_of(amount, pct);
            Ok((d, Terms::PayPercent { threshold_fen: Money::from_fen(threshold), percent: i64::from(pct) }))
        }
        ActivityKind::LimitedDiscount(_) | ActivityKind::FirstOrder(_) | ActivityKind::Newcomer { .. } => Err(None),
    }
}

// ---------------------------------------------------------------------------------------------------------
// Stage 3: coupons.

fn apply_coupons(input: &QuoteInput, st: &mut State, coupons: &[&Coupon]) {
    let mut discount_done = false;
    let mut shipping_done = false;
    for c in coupons {
        let free_shipping = matches!(c.kind, CouponKind::FreeShipping { .. });
        let label = coupon_label(c);
        let done = if free_shipping { shipping_done } else { discount_done };
        match coupon_discount(input, st, c, &label, done) {
            Err(reason) => {
                // The buyer chose this coupon: an order with it must not be placed as if it applied.
                st.block(RuleKind::Coupon, label, Some(c.id), reason);
            }
            Ok(None) => {
                // Applied at the shipping stage, which checks that it takes something off.
                st.free_shipping_coupon = Some((label, c.id));
                shipping_done = true;
            }
            Ok(Some((eligible, amount, discount, desc))) => {
                let weights: Vec<Money> =
                    eligible.iter().map(|&i| Money::from_fen(st.lines[i].after_order())).collect();
                for (&i, part) in eligible.iter().zip(apportion(Money::from_fen(discount), &weights)) {
                    let ls = &mut st.lines[i];
                    ls.coupon_discount = ls.coupon_discount.saturating_add(part.fen());
                }
                let amount_fen = Money::from_fen(amount);
                let detail = Detail::Shared { terms: desc, amount_fen, lines: count(eligible.len()) };
                st.step(Stage::Coupon, RuleKind::Coupon, label, Some(c.id), -discount, detail);
                st.applied_coupons.push(c.id);
                discount_done = true;
            }
        }
    }
}

/// What a coupon takes off: `Ok(Some((eligible lines, eligible amount, discount > 0, description)))` for a
/// discount coupon, `Ok(None)` for a free-shipping coupon that reached its threshold, or why it does not apply.
/// `done`: a coupon of the same kind already applies.
#[allow(clippy::type_complexity)]
fn coupon_discount(
    input: &QuoteInput,
    st: &mut State,
    c: &Coupon,
    label: &RuleName,
    done: bool,
) -> Result<Option<(Vec<usize>, i64, i64, Terms)>, Reason> {
    if done {
        return Err(Reason::OneCouponOfAKind);
    }
    if !c.usable {
        return Err(Reason::CouponNotUsable);
    }
    window(c.valid_from_ms, c.valid_until_ms, input.now_ms)?;
    let mut eligible = Vec::new();
    let mut any_in_scope = false;
    let mut first_exclusion = None;
    for (i, line) in input.lines.iter().enumerate() {
        if !in_scope(&c.scope, line) {
            continue;
        }
        any_in_scope = true;
        let ls = &st.lines[i];
        let excluded = if !line.coupons_usable {
            Some(Reason::ProductForbidsCoupons)
        } else if !ls.allow_coupons {
            Some(Reason::ActivityForbidsCoupons { activity: ls.label.clone() })
        } else {
            ls.coupon_block.clone().map(|activity| Reason::ActivityForbidsCoupons { activity })
        };
        match excluded {
            Some(reason) => {
                // Said once per line and reason, even when the coupon applies to the other lines.
                st.reject(RuleKind::Coupon, label.clone(), Some(c.id), reason.clone());
                first_exclusion.get_or_insert(reason);
            }
            None => eligible.push(i),
        }
    }
    if !any_in_scope {
        return Err(Reason::NotInScope);
    }
    if let Some(reason) = first_exclusion.filter(|_| eligible.is_empty()) {
        return Err(reason);
    }
    // Both kinds of coupon measure their threshold after order-level reductions, before any coupon.
    let amount = sum(eligible.iter().map(|&i| st.lines[i].after_order()));
    let threshold = match &c.kind {
        CouponKind::AmountOff { threshold, .. }
        | CouponKind::PercentOff { threshold, .. }
        | CouponKind::FreeShipping { threshold } => threshold.fen().max(0),
    };
    if amount < threshold {
        return Err(Reason::BelowThreshold {
            needed_fen: Money::from_fen(threshold),
            has_fen: Money::from_fen(amount),
        });
    }
    let (discount, desc) = match &c.kind {
        CouponKind::FreeShipping { .. } => return Ok(None),
        CouponKind::AmountOff { off, .. } => {
            let off = off.fen().max(0);
            let off_fen = Money::from_fen(off);
            let terms = if threshold > 0 {
                Terms::Reduction { threshold_fen: Money::from_fen(threshold), off_fen }
            } else {
                Terms::ReductionAny { off_fen }
            };
            (off.min(amount), terms)
        }
        CouponKind::PercentOff { percent, cap, .. } => {
            let pct = (*percent).min(100);
            let mut d = amount - percent_of(amount, pct);
            let (threshold_fen, percent) = (Money::from_fen(threshold), i64::from(pct));
            let terms = match (threshold > 0, cap.fen() > 0) {
                (true, true) => Terms::PayPercentCapped { threshold_fen, percent, cap_fen: *cap },
                (true, false) => Terms::PayPercent { threshold_fen, percent },
                (false, true) => Terms::PayPercentAnyCapped { percent, cap_fen: *cap },
                (false, false) => Terms::PayPercentAny { percent },
            };
            if cap.fen() > 0 {
                d = d.min(cap.fen());
            }
            (d, terms)
        }
    };
    if discount <= 0 {
        return Err(Reason::NoDiscount);
    }
    Ok(Some((eligible, amount, discount, desc)))
}

// ---------------------------------------------------------------------------------------------------------
// Stage 4: points.

fn apply_points(input: &QuoteInput, st: &mut State) {
    let asked = input.points_to_use;
    if asked <= 0 {
        return;
    }
    let Some(rule) = input.points_rule.filter(|r| r.points_per_yuan > 0) else {
        st.reject(RuleKind::Points, RuleName::Points, None, Reason::NoPointsRule);
        return;
    };
    let balance = input.buyer.points_balance.max(0);
    // More than the balance: the balance is offered instead, and the derivation says so.
    let wanted = asked.min(balance);
    if wanted < asked {
        st.reject(RuleKind::Points, RuleName::Points, None, Reason::NotEnoughPoints { have: balance });
        if wanted == 0 {
            return;
        }
    }
    let mut eligible = Vec::new();
    for i in 0..st.lines.len() {
        let ls = &st.lines[i];
        let blocked = if !ls.allow_points { Some(ls.label.clone()) } else { ls.points_block.clone() };
        match blocked {
            Some(activity) => {
                st.reject(RuleKind::Points, RuleName::Points, None, Reason::ActivityForbidsPoints { activity })
            }
            None => eligible.push(i),
        }
    }
    let due = sum(eligible.iter().map(|&i| st.lines[i].before_points()));
    let share = i128::from(rule.max_share_pct.min(100));
    let cap = i128::from(due) * share / 100;
    let per_yuan = i128::from(rule.points_per_yuan);
    let value = |points: i128| points * 100 / per_yuan;
    let mut offered = i128::from(wanted);
    let capped = value(offered) > cap;
    if capped {
        // The largest number of points whose value is at most the cap.
        offered = offered.min(((cap + 1) * per_yuan - 1) / 100);
    }
    let discount = value(offered).max(0);
    // Only the fewest points worth the discount are spent: at 250 points per yuan, 1,001 points are worth
    // ¥4.00 and so are 1,000, so 1,000 are spent.
    let used = if discount > 0 { (discount * per_yuan + 99) / 100 } else { 0 };
    // Both fit in i64: `used` ≤ the requested points, `discount` ≤ the cap ≤ the amount due.
    let used = i64::try_from(used).unwrap_or(0);
    let discount = i64::try_from(discount).unwrap_or(0);
    if capped {
        st.reject(RuleKind::Points, RuleName::Points, None, Reason::PointsCapped { max: used });
    }
    if used == 0 {
        if !capped && !eligible.is_empty() {
            st.reject(RuleKind::Points, RuleName::Points, None, Reason::NoDiscount);
        }
        return;
    }
    let weights: Vec<Money> = eligible.iter().map(|&i| Money::from_fen(st.lines[i].before_points())).collect();
    for (&i, part) in eligible.iter().zip(apportion(Money::from_fen(discount), &weights)) {
        let ls = &mut st.lines[i];
        ls.points_discount = ls.points_discount.saturating_add(part.fen());
    }
    st.points_used = used;
    let detail = Detail::Points {
        used,
        discount_fen: Money::from_fen(discount),
        per_yuan: rule.points_per_yuan,
        max_pct: i64::try_from(share).unwrap_or(100),
        max_fen: Money::from_fen(i64::try_from(cap).unwrap_or(i64::MAX)),
        balance,
        asked,
        short_of_balance: i64::from(wanted < asked),
        only_needed: i64::from(used < wanted && !capped),
    };
    st.step(Stage::Points, RuleKind::Points, RuleName::Points, None, -discount, detail);
}

// ---------------------------------------------------------------------------------------------------------
// Stage 5: shipping.

fn apply_shipping(input: &QuoteInput, st: &mut State) {
    let mut total = shipping_fees(input, st);
    if input.buyer.member_free_shipping && total > 0 {
        let level = input.buyer.member_level_name.clone().unwrap_or_default();
        st.step(
            Stage::Shipping,
            RuleKind::MemberPrice,
            RuleName::MemberFreeShipping { level },
            None,
            -total,
            Detail::MemberFreeShipping { fee_fen: Money::from_fen(total) },
        );
        total = 0;
    }
    st.shipping = total;
    if let Some((label, id)) = st.free_shipping_coupon.take() {
        if total > 0 {
            st.step(
                Stage::Shipping,
                RuleKind::Coupon,
                label,
                Some(id),
                -total,
                Detail::FreeShippingCoupon { fee_fen: Money::from_fen(total) },
            );
            st.applied_coupons.push(id);
            st.shipping = 0;
        } else {
            // Nothing to take off (no fee, or no delivery to price): the coupon stays in the wallet.
            st.block(RuleKind::Coupon, label, Some(id), Reason::NoDiscount);
        }
    }
}

/// The shipping fees of the cart's templates after their own free-shipping rules.
fn shipping_fees(input: &QuoteInput, st: &mut State) -> i64 {
    let Some(province) = &input.province else {
        return 0;
    };
    let template = |id: i64| input.freight_templates.iter().find(|t| t.id == id);
    // Template id → lines shipped with it, each with "ships free".
    let mut groups: BTreeMap<i64, Vec<(usize, bool)>> = BTreeMap::new();
    for (i, (line, ls)) in input.lines.iter().zip(&st.lines).enumerate() {
        if ls.qty == 0 {
            continue;
        }
        let id = line
            .freight_template_id
            .filter(|id| template(*id).is_some())
            .or(input.default_freight_template_id.filter(|id| template(*id).is_some()));
        if let Some(id) = id {
            groups.entry(id).or_default().push((i, line.free_shipping || ls.free_shipping));
        }
    }
    let mut total: i64 = 0;
    for (id, members) in &groups {
        let Some(t) = template(*id) else { continue };
        let rule = RuleName::FreightTemplate { name: t.name.clone() };
        if !delivers_to(t, province) {
            st.block(RuleKind::FreightTemplate, rule, Some(t.id), Reason::NoDelivery { province: province.clone() });
            continue;
        }
        let charged: Vec<usize> = members.iter().filter(|(_, free)| !free).map(|(i, _)| *i).collect();
        if charged.is_empty() {
            continue;
        }
        let lines: Vec<&Line> = charged.iter().map(|&i| &input.lines[i]).collect();
        let Some(c) = charge(t, province, &lines) else { continue };
        let fee = c.fee.fen();
        let detail = Detail::Freight {
            province: province.clone(),
            units: c.units,
            by_weight: i64::from(t.mode == FreightMode::ByWeight),
            has_region: i64::from(c.region.is_some()),
            region: c.region.map(|r| r.to_string()).unwrap_or_default(),
        };
        st.step(Stage::Shipping, RuleKind::FreightTemplate, rule, Some(t.id), fee, detail);
        total = total.saturating_add(fee);
        if let Some(free_over) = t.free_over {
            // Measured before coupons, so that adding a coupon can never bring the fee back.
            let goods = sum(charged.iter().map(|&i| st.lines[i].after_order()));
            if fee > 0 && goods >= free_over.fen() {
                let detail = Detail::FreeOver { goods_fen: Money::from_fen(goods), over_fen: free_over };
                let rule = RuleName::FreeShippingOver { over_fen: free_over };
                st.step(Stage::Shipping, RuleKind::FreightTemplate, rule, Some(t.id), -fee, detail);
                total -= fee;
            }
        }
    }
    total
}

// ---------------------------------------------------------------------------------------------------------
// Shared rules.

/// Is `line` in `scope`? An excluded product never is.
pub fn in_scope(scope: &Scope, line: &Line) -> bool {
    !scope.exclude_products.contains(&line.product_id)
        && (scope.all
            || scope.products.contains(&line.product_id)
            || scope.skus.contains(&line.sku_id)
            || line.category_path.iter().any(|c| scope.categories.contains(c)))
}

/// Open from `from` (inclusive) to `until` (exclusive).
fn window(from: i64, until: i64, now: i64) -> Result<(), Reason> {
    if now < from {
        Err(Reason::NotStarted)
    } else if now >= until {
        Err(Reason::Ended)
    } else {
        Ok(())
    }
}

/// `pct` % of `amount`, rounded half up to the fen; a percentage above 100 counts as 100.
fn percent_of(amount: i64, pct: u32) -> i64 {
    Money::from_fen(amount).mul_ratio_round(i64::from(pct.min(100)), 100).map_or(amount, Money::fen)
}

fn sum(amounts: impl Iterator<Item = i64>) -> i64 {
    amounts.fold(0, i64::saturating_add)
}

/// The wire name of an activity's kind.
fn kind_label(kind: &ActivityKind) -> &'static str {
    match kind {
        ActivityKind::LimitedDiscount(_) => "limited_discount",
        ActivityKind::FirstOrder(_) => "first_order",
        ActivityKind::Newcomer { .. } => "newcomer",
        ActivityKind::FullReduction { .. } => "full_reduction",
        ActivityKind::FullDiscount { .. } => "full_discount",
    }
}

fn activity_label(a: &Activity) -> RuleName {
    let name = a.name.clone();
    match a.kind {
        ActivityKind::LimitedDiscount(_) => RuleName::LimitedDiscount { name },
        ActivityKind::FirstOrder(_) => RuleName::FirstOrder { name },
        ActivityKind::Newcomer { .. } => RuleName::Newcomer { name },
        ActivityKind::FullReduction { .. } => RuleName::FullReduction { name },
        ActivityKind::FullDiscount { .. } => RuleName::FullDiscount { name },
    }
}

fn special_label(sp: &SpecialPrice) -> RuleName {
    let name = sp.name.clone();
    match sp.kind {
        SpecialKind::Flash => RuleName::Flash { name },
        SpecialKind::Group => RuleName::Group { name },
    }
}

fn member_label(input: &QuoteInput) -> RuleName {
    match &input.buyer.member_level_name {
        Some(level) => RuleName::MemberPrice { level: level.clone() },
        None => RuleName::Member,
    }
}

fn coupon_label(c: &Coupon) -> RuleName {
    let name = c.name.clone();
    match c.kind {
        CouponKind::FreeShipping { .. } => RuleName::FreeShippingCoupon { name },
        CouponKind::AmountOff { .. } | CouponKind::PercentOff { .. } => RuleName::Coupon { name },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pricing::{BuyerContext, FreightRule, FreightTemplate, PointsRule};
    use proptest::collection::vec;
    use proptest::prelude::*;

    const NOW: i64 = 1_700_000_000_000;

    fn m(fen: i64) -> Money {
        Money::from_fen(fen)
    }

    fn line(sku: i64, category: i64, qty: i64, sale: i64) -> Line {
        Line {
            sku_id: sku,
            product_id: sku,
            category_path: vec![1, category],
            title: format!("商品{sku}"),
            quantity: qty,
            sale_price: m(sale),
            original_price: m(sale.saturating_add(1000)),
            weight_g: 500,
            free_shipping: false,
            coupons_usable: true,
            earns_points: true,
            freight_template_id: None,
            special_price: None,
        }
    }

    fn all() -> Scope {
        Scope { all: true, ..Scope::default() }
    }

    fn categories(c: &[i64]) -> Scope {
        Scope { categories: c.to_vec(), ..Scope::default() }
    }

    fn activity(id: i64, name: &str, kind: ActivityKind, scope: Scope) -> Activity {
        Activity {
            id,
            name: name.into(),
            kind,
            starts_at_ms: NOW - DAY_MS,
            ends_at_ms: NOW + DAY_MS,
            scope,
            allow_coupons: true,
            allow_points: true,
            per_buyer_limit: 0,
            free_shipping: false,
        }
    }

    fn full_reduction(threshold: i64, off: i64) -> ActivityKind {
        ActivityKind::FullReduction { tiers: vec![(m(threshold), m(off))], repeat: false }
    }

    fn coupon(id: i64, name: &str, kind: CouponKind, scope: Scope) -> Coupon {
        Coupon {
            id,
            name: name.into(),
            kind,
            scope,
            valid_from_ms: NOW - DAY_MS,
            valid_until_ms: NOW + DAY_MS,
            usable: true,
        }
    }

    fn amount_off(threshold: i64, off: i64) -> CouponKind {
        CouponKind::AmountOff { threshold: m(threshold), off: m(off) }
    }

    fn percent_off(threshold: i64, percent: u32, cap: i64) -> CouponKind {
        CouponKind::PercentOff { threshold: m(threshold), percent, cap: m(cap) }
    }

    fn freight_rule(first_units: i64, first_fee: i64, additional_units: i64, additional_fee: i64) -> FreightRule {
        FreightRule { first_units, first_fee: m(first_fee), additional_units, additional_fee: m(additional_fee) }
    }

    fn template(id: i64, free_over: Option<i64>) -> FreightTemplate {
        FreightTemplate {
            id,
            name: format!("模板{id}"),
            mode: FreightMode::ByPiece,
            default_rule: freight_rule(1, 1000, 1, 500),
            regions: vec![(vec!["新疆".into(), "西藏".into()], freight_rule(1, 2000, 1, 1500))],
            free_over: free_over.map(m),
            no_delivery: vec![],
        }
    }

    /// A buyer with a paid order and an old account: no 首单 or 新人 prices unless a test says so.
    fn buyer() -> BuyerContext {
        BuyerContext {
            buyer_id: 1,
            has_paid_order: true,
            registered_at_ms: NOW - 400 * DAY_MS,
            ..BuyerContext::default()
        }
    }

    fn cart(lines: Vec<Line>) -> QuoteInput {
        QuoteInput {
            lines,
            buyer: buyer(),
            activities: vec![],
            coupons: vec![],
            points_to_use: 0,
            points_rule: None,
            province: None,
            freight_templates: vec![],
            default_freight_template_id: None,
            now_ms: NOW,
        }
    }

    fn fen<'a>(lines: &'a [QuoteLine], f: impl Fn(&'a QuoteLine) -> Money) -> Vec<i64> {
        lines.iter().map(|l| f(l).fen()).collect()
    }

    fn stage_sum(q: &Quote, stage: Stage) -> i64 {
        q.steps.iter().filter(|s| s.stage == stage).map(|s| s.amount).sum()
    }

    /// The kind a label names.
    fn kind_of_label(rule: &str) -> RuleKind {
        match rule.split(' ').next().unwrap_or("") {
            "优惠券" | "包邮券" => RuleKind::Coupon,
            "积分抵现" => RuleKind::Points,
            "运费模板" | "包邮" => RuleKind::FreightTemplate,
            "会员价" => RuleKind::MemberPrice,
            "秒杀" => RuleKind::Flash,
            "拼团" => RuleKind::Group,
            _ => RuleKind::Activity,
        }
    }

    fn rejected(rule: &str, rule_id: Option<i64>, reason: Reason) -> Rejected {
        Rejected { kind: kind_of_label(rule), rule: rule.into(), rule_id, reason }
    }

    /// A rule named as the shop's pages show it in Chinese ("满减 店庆"), for writing expectations briefly.
    impl From<&str> for RuleName {
        fn from(s: &str) -> Self {
            let (kind, name) = s.split_once(' ').unwrap_or((s, ""));
            let name = name.to_string();
            match kind {
                "售价" => RuleName::SalePrice,
                "限时折扣" => RuleName::LimitedDiscount { name },
                "首单特价" => RuleName::FirstOrder { name },
                "新人专享" => RuleName::Newcomer { name },
                "满减" => RuleName::FullReduction { name },
                "满折" => RuleName::FullDiscount { name },
                "秒杀" => RuleName::Flash { name },
                "拼团" => RuleName::Group { name },
                "会员价" if name == "会员" => RuleName::Member,
                "会员价" => RuleName::MemberPrice { level: name },
                "优惠券" => RuleName::Coupon { name },
                "包邮券" => RuleName::FreeShippingCoupon { name },
                "积分抵现" => RuleName::Points,
                "运费模板" => RuleName::FreightTemplate { name },
                "包邮" => RuleName::FreeShippingOver {
                    over_fen: Money::parse_yuan("rule", name.trim_start_matches('满')).expect("an amount"),
                },
                other => panic!("no rule is called {other}"),
            }
        }
    }

    impl PartialEq<&str> for RuleName {
        #[allow(clippy::cmp_owned)]
        fn eq(&self, other: &&str) -> bool {
            *self == RuleName::from(*other)
        }
    }

    /// Quote and check the invariants every quote keeps.
    fn quoted(input: &QuoteInput) -> Quote {
        let q = quote(input);
        check(input, &q);
        q
    }

    fn check(input: &QuoteInput, q: &Quote) {
        assert_eq!(q.lines.len(), input.lines.len());
        for l in &q.lines {
            for v in
                [l.unit_price, l.goods_amount, l.order_discount, l.coupon_discount, l.points_discount, l.paid_amount]
            {
                assert!(!v.is_negative(), "negative amount in {l:?}");
            }
            assert!(l.quantity >= 0 && l.units_at_price >= 0 && l.units_at_price <= l.quantity);
            assert!(l.unit_price <= l.sale_price);
            let goods = l.unit_price.fen() * l.units_at_price + l.sale_price.fen() * (l.quantity - l.units_at_price);
            assert_eq!(l.goods_amount.fen(), goods);
            assert_eq!(
                l.paid_amount.fen(),
                l.goods_amount.fen() - l.order_discount.fen() - l.coupon_discount.fen() - l.points_discount.fen()
            );
        }
        let lines = &q.lines;
        let total = |f: fn(&QuoteLine) -> Money| lines.iter().map(f).sum::<Money>();
        // Apportioned shares add up exactly to the totals and to the steps that announced them.
        assert_eq!(total(|l| l.order_discount), q.order_discount);
        assert_eq!(total(|l| l.coupon_discount), q.coupon_discount);
        assert_eq!(total(|l| l.points_discount), q.points_discount);
        assert_eq!(stage_sum(q, Stage::OrderReduction), -q.order_discount.fen());
        assert_eq!(stage_sum(q, Stage::Coupon), -q.coupon_discount.fen());
        assert_eq!(stage_sum(q, Stage::Points), -q.points_discount.fen());
        assert_eq!(stage_sum(q, Stage::ProductPrice), q.goods_total.fen() - q.list_total.fen());
        assert_eq!(stage_sum(q, Stage::Shipping), q.shipping.fen());
        assert_eq!(total(|l| l.goods_amount), q.goods_total);
        assert_eq!(lines.iter().map(|l| l.sale_price.fen() * l.quantity).sum::<i64>(), q.list_total.fen());
        // What the buyer pays, both ways.
        assert!(!q.payable.is_negative() && !q.shipping.is_negative());
        assert_eq!(q.list_total.fen() + q.steps.iter().map(|s| s.amount).sum::<i64>(), q.payable.fen());
        assert_eq!(total(|l| l.paid_amount).fen() + q.shipping.fen(), q.payable.fen());
        let earning: Money =
            lines.iter().zip(&input.lines).filter(|(_, l)| l.earns_points).map(|(ql, _)| ql.paid_amount).sum();
        assert_eq!(earning, q.points_eligible_amount);
        assert!(q.points_used >= 0 && q.points_used <= input.points_to_use.max(0));
        assert_eq!(q.points_used == 0, q.points_discount == Money::ZERO);
        assert!(q.applied_coupons.len() <= 2);
        let unique_ids = input.coupons.iter().all(|c| input.coupons.iter().filter(|k| k.id == c.id).count() == 1);
        if unique_ids {
            let applied: Vec<&Coupon> =
                q.applied_coupons.iter().map(|id| input.coupons.iter().find(|c| c.id == *id).unwrap()).collect();
            assert!(applied.iter().filter(|c| is_discount_coupon(c)).count() <= 1);
            assert!(applied.iter().filter(|c| !is_discount_coupon(c)).count() <= 1);
            // Every coupon the buyer chose either applies or blocks the order, with its own kind and id.
            for c in &input.coupons {
                let blocked = q.blocking.iter().any(|b| b.kind == RuleKind::Coupon && b.rule_id == Some(c.id));
                assert_ne!(q.applied_coupons.contains(&c.id), blocked, "coupon {} in {q:?}", c.id);
            }
        }
        // Nothing that takes nothing off is a step: every applied rule but shipping charges takes fen off.
        for s in &q.steps {
            let charge = s.stage == Stage::Shipping && s.kind == RuleKind::FreightTemplate && s.amount >= 0;
            assert!(charge || s.amount < 0, "a step that takes nothing off: {s:?}");
        }
        for id in &q.applied_coupons {
            assert!(
                q.steps.iter().any(|s| s.kind == RuleKind::Coupon && s.rule_id == Some(*id) && s.amount < 0),
                "coupon {id} applied without taking anything off: {q:?}"
            );
        }
        // Points: never more than asked or held, and only the fewest worth the discount.
        assert!(q.points_used <= input.buyer.points_balance.max(0));
        if q.points_used > 0 {
            let per_yuan = input.points_rule.map_or(0, |r| r.points_per_yuan);
            assert!(per_yuan > 0);
            let worth = |points: i64| i128::from(points) * 100 / i128::from(per_yuan);
            assert_eq!(worth(q.points_used), i128::from(q.points_discount.fen()));
            assert!(worth(q.points_used - 1) < i128::from(q.points_discount.fen()), "{q:?}");
        }
        // Blocking refusals are refusals too, and only a chosen coupon or a delivery blocks.
        for b in &q.blocking {
            assert!(q.rejected.contains(b));
            match b.kind {
                RuleKind::Coupon => assert!(input.coupons.iter().any(|c| Some(c.id) == b.rule_id)),
                RuleKind::FreightTemplate => assert!(matches!(b.reason, Reason::NoDelivery { .. })),
                other => panic!("{other:?} blocks: {b:?}"),
            }
        }
        // Every rule is named by its kind and an id of that kind.
        let named = q.steps.iter().map(|s| (s.kind, s.rule_id)).chain(q.rejected.iter().map(|r| (r.kind, r.rule_id)));
        for (kind, id) in named {
            let known = match kind {
                RuleKind::Activity => input.activities.iter().any(|a| Some(a.id) == id),
                RuleKind::Coupon => input.coupons.iter().any(|c| Some(c.id) == id),
                RuleKind::FreightTemplate => input.freight_templates.iter().any(|t| Some(t.id) == id),
                RuleKind::Flash | RuleKind::Group => input.lines.iter().any(|l| {
                    l.special_price.as_ref().is_some_and(|sp| special_kind(sp) == kind && Some(sp.activity_id) == id)
                }),
                RuleKind::MemberPrice | RuleKind::Points => id.is_none(),
            };
            assert!(known, "{kind:?} {id:?} names no rule of its kind");
        }
    }

    #[test]
    fn full_reduction_then_coupon_on_a_mixed_cart() {
        // Two lines in category 10 (¥200 + ¥150) and one in category 20 (¥100), outside both rules.
        let mut input = cart(vec![line(1, 10, 1, 20000), line(2, 10, 1, 15000), line(3, 20, 1, 10000)]);
        input.activities.push(activity(1, "店庆", full_reduction(30000, 3000), categories(&[10])));
        input.coupons.push(coupon(7, "满200减20", amount_off(20000, 2000), categories(&[10])));
        let q = quoted(&input);
        // ¥30 over ¥200 : ¥150 → 17.14 / 12.86 (the left-over fen goes to the larger remainder)
        assert_eq!(fen(&q.lines, |l| l.order_discount), [1714, 1286, 0]);
        // the coupon sees ¥182.86 + ¥137.14 = ¥320 ≥ ¥200: ¥20 → 11.43 / 8.57
        assert_eq!(fen(&q.lines, |l| l.coupon_discount), [1143, 857, 0]);
        assert_eq!(fen(&q.lines, |l| l.paid_amount), [17143, 12857, 10000]);
        assert_eq!(q.list_total, m(45000));
        assert_eq!(q.order_discount, m(3000));
        assert_eq!(q.coupon_discount, m(2000));
        assert_eq!(q.payable, m(40000));
        assert_eq!(q.applied_coupons, [7]);
        let steps: Vec<(Stage, Option<i64>, i64)> = q.steps.iter().map(|s| (s.stage, s.rule_id, s.amount)).collect();
        assert_eq!(steps, [(Stage::OrderReduction, Some(1), -3000), (Stage::Coupon, Some(7), -2000)]);
        assert_eq!(q.steps[0].rule, "满减 店庆");
        assert!(q.rejected.is_empty(), "{:?}", q.rejected);

        // The coupon threshold is measured after 满减: ¥350 of goods is only ¥320 for the coupon.
        input.coupons[0].kind = amount_off(33000, 2000);
        let q = quoted(&input);
        assert_eq!(q.payable, m(42000));
        assert!(q.applied_coupons.is_empty());
        assert_eq!(
            q.rejected,
            [rejected("优惠券 满200减20", Some(7), Reason::BelowThreshold { needed_fen: m(33000), has_fen: m(32000) })]
        );

        // Below the activity threshold.
        input.lines[0].quantity = 0;
        let q = quoted(&input);
        assert_eq!(
            q.rejected[0],
            rejected("满减 店庆", Some(1), Reason::BelowThreshold { needed_fen: m(30000), has_fen: m(15000) })
        );
        assert_eq!(q.order_discount, Money::ZERO);
    }

    fn flash(price: i64) -> SpecialPrice {
        SpecialPrice {
            kind: SpecialKind::Flash,
            activity_id: 50,
            name: "整点秒杀".into(),
            unit_price: m(price),
            allow_coupons: false,
            allow_points: false,
        }
    }

    #[test]
    fn flash_line_takes_no_reduction_coupon_or_points() {
        let mut fl = line(1, 10, 2, 8000);
        fl.special_price = Some(flash(5000));
        let mut input = cart(vec![fl, line(2, 10, 1, 10000)]);
        input.activities.push(activity(2, "满100减10", full_reduction(10000, 1000), all()));
        input.coupons.push(coupon(9, "无门槛5元", amount_off(0, 500), all()));
        input.points_to_use = 300;
        input.points_rule = Some(PointsRule { points_per_yuan: 100, max_share_pct: 50 });
        input.buyer.points_balance = 1000;
        let q = quoted(&input);
        let flash_line = &q.lines[0];
        assert_eq!(flash_line.unit_price, m(5000));
        assert_eq!(
            flash_line.price_source,
            PriceSource::Special { kind: SpecialKind::Flash, id: 50, name: "整点秒杀".into() }
        );
        assert_eq!(fen(&q.lines, |l| l.goods_amount), [10000, 10000]);
        // the ¥100 threshold is reached by the other line alone; the flash line takes nothing
        assert_eq!(fen(&q.lines, |l| l.order_discount), [0, 1000]);
        assert_eq!(fen(&q.lines, |l| l.coupon_discount), [0, 500]);
        assert_eq!(fen(&q.lines, |l| l.points_discount), [0, 300]);
        assert_eq!(fen(&q.lines, |l| l.paid_amount), [10000, 8200]);
        assert_eq!(q.payable, m(18200));
        assert_eq!(q.applied_coupons, [9]);
        let flash_rule = RuleName::from("秒杀 整点秒杀");
        assert!(q.rejected.contains(&rejected(
            "优惠券 无门槛5元",
            Some(9),
            Reason::ActivityForbidsCoupons { activity: flash_rule.clone() }
        )));
        assert!(q.rejected.contains(&rejected(
            "积分抵现",
            None,
            Reason::ActivityForbidsPoints { activity: flash_rule }
        )));
        assert_eq!(
            q.steps[0],
            Step {
                stage: Stage::ProductPrice,
                kind: RuleKind::Flash,
                rule: "秒杀 整点秒杀".into(),
                rule_id: Some(50),
                amount: -6000,
                detail: Detail::ProductPrice {
                    title: "商品1".into(), sale_fen: m(8000), unit_fen: m(5000), units: 2
                },
            }
        );
    }

    #[test]
    fn order_reduction_on_flash_lines_only_does_not_stack() {
        let mut fl = line(1, 10, 1, 20000);
        fl.special_price = Some(flash(15000));
        let mut input = cart(vec![fl, line(2, 20, 1, 10000)]);
        input.activities.push(activity(3, "分类满减", full_reduction(100, 10), categories(&[10])));
        input.activities.push(activity(4, "别处满减", full_reduction(100, 10), categories(&[30])));
        let q = quoted(&input);
        assert_eq!(q.order_discount, Money::ZERO);
        assert_eq!(
            q.rejected,
            [
                rejected("满减 分类满减", Some(3), Reason::DoesNotStackWith { rule: "秒杀 整点秒杀".into() }),
                rejected("满减 别处满减", Some(4), Reason::NotInScope),
            ]
        );
        // A flash price that is not the lowest does not make the line a flash line.
        input.lines[0].special_price = Some(flash(30000));
        let q = quoted(&input);
        assert_eq!(q.lines[0].price_source, PriceSource::SalePrice);
        assert_eq!(q.order_discount, m(10));
        assert!(q.rejected.contains(&rejected(
            "秒杀 整点秒杀",
            Some(50),
            Reason::LostToLowerPrice { winner: "售价".into() }
        )));
    }

    #[test]
    fn first_order_price_only_without_a_paid_order() {
        let mut input = cart(vec![line(1, 10, 1, 9900)]);
        input.activities.push(activity(3, "新客首单", ActivityKind::FirstOrder(PriceRule::Percent(50)), all()));
        input.buyer.has_paid_order = false;
        let q = quoted(&input);
        assert_eq!(q.lines[0].unit_price, m(4950));
        assert_eq!(
            q.lines[0].price_source,
            PriceSource::Activity { id: 3, name: "新客首单".into(), kind: "first_order" }
        );
        assert_eq!(q.payable, m(4950));
        assert!(q.rejected.is_empty());

        input.buyer.has_paid_order = true;
        let q = quoted(&input);
        assert_eq!(q.lines[0].unit_price, m(9900));
        assert_eq!(q.lines[0].price_source, PriceSource::SalePrice);
        assert_eq!(q.rejected, [rejected("首单特价 新客首单", Some(3), Reason::NotFirstOrder)]);
        assert!(q.steps.is_empty());
    }

    #[test]
    fn newcomer_price_within_the_days_and_listed_skus_only() {
        let rule = PriceRule::FixedPerSku(vec![(1, m(100)), (9, m(1))]);
        let mut input = cart(vec![line(1, 10, 1, 2000), line(2, 10, 1, 3000)]);
        input.activities.push(activity(5, "新人1元购", ActivityKind::Newcomer { days: 7, rule }, all()));
        input.buyer.registered_at_ms = NOW - 7 * DAY_MS;
        let q = quoted(&input);
        // only the listed SKU has a newcomer price
        assert_eq!(fen(&q.lines, |l| l.unit_price), [100, 3000]);
        assert!(q.rejected.is_empty());

        input.buyer.registered_at_ms = NOW - 7 * DAY_MS - 1;
        let q = quoted(&input);
        assert_eq!(fen(&q.lines, |l| l.unit_price), [2000, 3000]);
        assert_eq!(q.rejected, [rejected("新人专享 新人1元购", Some(5), Reason::NotNewcomer)]);

        // in time, but no line has a listed SKU
        input.buyer.registered_at_ms = NOW;
        input.lines.remove(0);
        let q = quoted(&input);
        assert_eq!(q.rejected, [rejected("新人专享 新人1元购", Some(5), Reason::NotInScope)]);
    }

    #[test]
    fn member_price_loses_to_a_lower_limited_discount() {
        let mut input = cart(vec![line(1, 10, 2, 10000)]);
        input.buyer.member_discount_pct = Some(95);
        input.buyer.member_level_name = Some("黄金会员".into());
        input.activities.push(activity(4, "双11", ActivityKind::LimitedDiscount(PriceRule::Percent(80)), all()));
        let q = quoted(&input);
        assert_eq!(q.lines[0].unit_price, m(8000));
        assert_eq!(q.lines[0].goods_amount, m(16000));
        assert_eq!(
            q.rejected,
            [rejected("会员价 黄金会员", None, Reason::LostToLowerPrice { winner: "限时折扣 双11".into() })]
        );
        assert_eq!(q.steps.len(), 1);
        assert_eq!((q.steps[0].stage, q.steps[0].amount), (Stage::ProductPrice, -4000));

        // without the activity the member price wins
        input.activities.clear();
        let q = quoted(&input);
        assert_eq!(q.lines[0].price_source, PriceSource::MemberPrice { level: "黄金会员".into(), percent: 95 });
        assert_eq!(q.lines[0].unit_price, m(9500));
    }

    #[test]
    fn ties_go_to_special_then_activity_then_member_then_lower_id() {
        let mut l = line(1, 10, 1, 10000);
        l.special_price = Some(SpecialPrice {
            kind: SpecialKind::Group,
            activity_id: 60,
            name: "两人团".into(),
            unit_price: m(8000),
            allow_coupons: true,
            allow_points: true,
        });
        let mut input = cart(vec![l]);
        input.buyer.member_discount_pct = Some(80);
        let ld = |id, name: &str| activity(id, name, ActivityKind::LimitedDiscount(PriceRule::Percent(80)), all());
        input.activities = vec![ld(9, "乙"), ld(3, "甲")];
        let q = quoted(&input);
        assert_eq!(
            q.lines[0].price_source,
            PriceSource::Special { kind: SpecialKind::Group, id: 60, name: "两人团".into() }
        );
        let lost = |rule: &str, id| rejected(rule, id, Reason::LostToLowerPrice { winner: "拼团 两人团".into() });
        assert_eq!(q.rejected, [lost("限时折扣 甲", Some(3)), lost("限时折扣 乙", Some(9)), lost("会员价 会员", None)]);

        input.lines[0].special_price = None;
        let q = quoted(&input);
        assert_eq!(
            q.lines[0].price_source,
            PriceSource::Activity { id: 3, name: "甲".into(), kind: "limited_discount" }
        );
        // a price equal to the sale price takes nothing off: the sale price stays, and the activity says why
        input.activities = vec![activity(1, "原价", ActivityKind::LimitedDiscount(PriceRule::Percent(100)), all())];
        input.buyer.member_discount_pct = None;
        let q = quoted(&input);
        assert_eq!(q.lines[0].price_source, PriceSource::SalePrice);
        assert_eq!(q.rejected, [rejected("限时折扣 原价", Some(1), Reason::NoDiscount)]);
        assert!(q.steps.is_empty());
    }

    #[test]
    fn activities_outside_their_window_or_scope_are_rejected() {
        let mut input = cart(vec![line(1, 10, 1, 10000)]);
        let mut early = activity(1, "未开始", ActivityKind::LimitedDiscount(PriceRule::Percent(50)), all());
        early.starts_at_ms = NOW + 1;
        let mut late = activity(2, "已结束", full_reduction(0, 100), all());
        late.ends_at_ms = NOW;
        let mut excluded = activity(3, "排除", ActivityKind::LimitedDiscount(PriceRule::Percent(50)), all());
        excluded.scope.exclude_products = vec![1];
        // the product is listed and excluded: exclusion wins
        excluded.scope.products = vec![1];
        let by_sku = activity(
            4,
            "按SKU",
            ActivityKind::LimitedDiscount(PriceRule::Percent(90)),
            Scope { skus: vec![1], ..Scope::default() },
        );
        input.activities = vec![late, excluded, early, by_sku];
        let q = quoted(&input);
        assert_eq!(q.lines[0].unit_price, m(9000));
        assert_eq!(
            q.rejected,
            [
                rejected("限时折扣 未开始", Some(1), Reason::NotStarted),
                rejected("限时折扣 排除", Some(3), Reason::NotInScope),
                rejected("满减 已结束", Some(2), Reason::Ended),
            ]
        );
    }

    #[test]
    fn per_buyer_limit_prices_the_rest_at_sale_price() {
        let mut act = activity(4, "双11", ActivityKind::LimitedDiscount(PriceRule::Percent(80)), all());
        act.per_buyer_limit = 2;
        let mut input = cart(vec![line(1, 10, 3, 10000)]);
        input.activities.push(act);
        input.buyer.bought_under = vec![(4, 1), (99, 5)];
        let q = quoted(&input);
        let l = &q.lines[0];
        assert_eq!((l.unit_price, l.units_at_price, l.goods_amount), (m(8000), 1, m(28000)));
        assert_eq!(q.steps[0].amount, -2000);
        assert_eq!(
            q.steps[0].detail,
            Detail::ProductPriceOverLimit {
                title: "商品1".into(),
                sale_fen: m(10000),
                unit_fen: m(8000),
                units: 1,
                over: 2
            }
        );

        // limit used up: the next candidate (member price) prices the whole line
        input.buyer.bought_under = vec![(4, 2)];
        input.buyer.member_discount_pct = Some(95);
        let q = quoted(&input);
        let l = &q.lines[0];
        assert_eq!((l.unit_price, l.units_at_price, l.goods_amount), (m(9500), 3, m(28500)));
        assert_eq!(q.rejected, [rejected("限时折扣 双11", Some(4), Reason::PerBuyerLimitReached)]);

        // the limit is shared by the lines of the cart, in cart order
        input.buyer.bought_under.clear();
        input.buyer.member_discount_pct = None;
        input.activities[0].per_buyer_limit = 3;
        input.lines = vec![line(1, 10, 2, 10000), line(2, 10, 2, 5000), line(3, 10, 4, 1000)];
        let q = quoted(&input);
        assert_eq!(q.lines.iter().map(|l| l.units_at_price).collect::<Vec<_>>(), [2, 1, 4]);
        assert_eq!(fen(&q.lines, |l| l.goods_amount), [16000, 4000 + 5000, 4000]);
        assert_eq!(q.lines[2].price_source, PriceSource::SalePrice);
        assert_eq!(q.rejected, [rejected("限时折扣 双11", Some(4), Reason::PerBuyerLimitReached)]);
    }

    #[test]
    fn repeated_and_percentage_order_reductions() {
        let mut input = cart(vec![line(1, 10, 1, 95000)]);
        input.activities.push(activity(
            1,
            "每满300减30",
            ActivityKind::FullReduction { tiers: vec![(m(30000), m(3000))], repeat: true },
            all(),
        ));
        let q = quoted(&input);
        assert_eq!(q.order_discount, m(9000));

        // highest tier reached: ¥950 reaches ¥500 → 8折; a later activity works on what is left
        input.activities.push(activity(
            2,
            "满折",
            ActivityKind::FullDiscount { tiers: vec![(m(10000), 90), (m(50000), 80), (m(100000), 50)] },
            all(),
        ));
        let q = quoted(&input);
        // 86000 × 20 % = 17200
        assert_eq!(q.order_discount, m(9000 + 17200));
        assert_eq!(q.steps.iter().map(|s| s.rule_id).collect::<Vec<_>>(), [Some(1), Some(2)]);
        assert_eq!(q.payable, m(95000 - 26200));
    }

    #[test]
    fn percent_coupon_with_a_cap() {
        let mut input = cart(vec![line(1, 10, 1, 10000)]);
        input.coupons.push(coupon(1, "8折券", percent_off(0, 80, 1500), all()));
        let q = quoted(&input);
        assert_eq!(q.coupon_discount, m(1500));
        assert_eq!(
            q.steps[0].detail,
            Detail::Shared {
                terms: Terms::PayPercentAnyCapped { percent: 80, cap_fen: m(1500) },
                amount_fen: m(10000),
                lines: 1
            }
        );
        input.coupons[0].kind = percent_off(0, 80, 0);
        assert_eq!(quoted(&input).coupon_discount, m(2000));
        // 80 % of 123.45 is 98.76: ¥24.69 off
        input.lines[0].sale_price = m(12345);
        assert_eq!(quoted(&input).coupon_discount, m(2469));
        input.coupons[0].kind = percent_off(20000, 80, 0);
        let q = quoted(&input);
        assert_eq!(q.coupon_discount, Money::ZERO);
        assert_eq!(q.rejected[0].reason, Reason::BelowThreshold { needed_fen: m(20000), has_fen: m(12345) });
    }

    #[test]
    fn coupon_eligibility() {
        let mut forbidden = line(1, 10, 1, 10000);
        forbidden.coupons_usable = false;
        let mut input = cart(vec![forbidden, line(2, 20, 1, 5000), line(3, 30, 1, 4000)]);
        let mut no_coupons = activity(1, "满减不叠券", full_reduction(4000, 400), categories(&[30]));
        no_coupons.allow_coupons = false;
        input.activities.push(no_coupons);
        input.coupons.push(coupon(5, "通用", amount_off(0, 900), all()));
        let q = quoted(&input);
        // only the ¥50 line takes the coupon
        assert_eq!(fen(&q.lines, |l| l.coupon_discount), [0, 900, 0]);
        assert_eq!(
            q.rejected,
            [
                rejected("优惠券 通用", Some(5), Reason::ProductForbidsCoupons),
                rejected("优惠券 通用", Some(5), Reason::ActivityForbidsCoupons { activity: "满减 满减不叠券".into() }),
            ]
        );
        // the amount off never exceeds what the eligible lines cost
        input.coupons[0].kind = amount_off(0, 90000);
        assert_eq!(quoted(&input).coupon_discount, m(5000));
        // a coupon for the forbidden product alone applies nowhere
        input.coupons[0].scope = categories(&[10]);
        let q = quoted(&input);
        assert!(q.applied_coupons.is_empty());
        assert_eq!(q.rejected, [rejected("优惠券 通用", Some(5), Reason::ProductForbidsCoupons)]);
        input.coupons[0].scope = categories(&[99]);
        assert_eq!(quoted(&input).rejected, [rejected("优惠券 通用", Some(5), Reason::NotInScope)]);
    }

    #[test]
    fn one_coupon_of_each_kind() {
        let mut input = cart(vec![line(1, 10, 1, 10000)]);
        input.province = Some("浙江".into());
        input.freight_templates.push(template(1, None));
        input.default_freight_template_id = Some(1);
        let mut used = coupon(1, "已使用", amount_off(0, 5000), all());
        used.usable = false;
        let mut expired = coupon(2, "过期", amount_off(0, 5000), all());
        expired.valid_until_ms = NOW;
        let mut future = coupon(3, "未生效", amount_off(0, 5000), all());
        future.valid_from_ms = NOW + 1;
        input.coupons = vec![
            used,
            expired,
            future,
            coupon(4, "门槛太高", amount_off(20000, 5000), all()),
            coupon(5, "减10", amount_off(0, 1000), all()),
            coupon(6, "减20", amount_off(0, 2000), all()),
            coupon(7, "包邮", CouponKind::FreeShipping { threshold: m(5000) }, all()),
            coupon(8, "又一张包邮", CouponKind::FreeShipping { threshold: Money::ZERO }, all()),
        ];
        let q = quoted(&input);
        assert_eq!(q.applied_coupons, [5, 7]);
        assert_eq!(q.coupon_discount, m(1000));
        assert_eq!(q.shipping, Money::ZERO);
        let reasons: Vec<(Option<i64>, Reason)> = q.rejected.iter().map(|r| (r.rule_id, r.reason.clone())).collect();
        assert_eq!(
            reasons,
            [
                (Some(1), Reason::CouponNotUsable),
                (Some(2), Reason::Ended),
                (Some(3), Reason::NotStarted),
                (Some(4), Reason::BelowThreshold { needed_fen: m(20000), has_fen: m(10000) }),
                (Some(6), Reason::OneCouponOfAKind),
                (Some(8), Reason::OneCouponOfAKind),
            ]
        );
        let shipping: Vec<(RuleName, i64)> =
            q.steps.iter().filter(|s| s.stage == Stage::Shipping).map(|s| (s.rule.clone(), s.amount)).collect();
        assert_eq!(shipping, [("运费模板 模板1".into(), 1000), ("包邮券 包邮".into(), -1000)]);
        assert_eq!(q.payable, m(9000));
    }

    #[test]
    fn free_shipping_by_threshold_and_by_flags() {
        let mut input = cart(vec![line(1, 10, 1, 10000)]);
        input.province = Some("浙江省".into());
        input.freight_templates.push(template(1, Some(9900)));
        input.default_freight_template_id = Some(1);
        let q = quoted(&input);
        let shipping: Vec<(RuleName, i64)> = q.steps.iter().map(|s| (s.rule.clone(), s.amount)).collect();
        assert_eq!(shipping, [("运费模板 模板1".into(), 1000), ("包邮 满99.00".into(), -1000)]);
        assert_eq!((q.shipping, q.payable), (Money::ZERO, m(10000)));

        // The free-shipping amount is measured before coupons: a coupon keeps shipping free.
        input.coupons.push(coupon(1, "减2", amount_off(0, 200), all()));
        let q = quoted(&input);
        assert_eq!((q.shipping, q.payable), (Money::ZERO, m(9800)));
        input.coupons.clear();

        // Product flag: the free line ships free, the other pays for its single piece only.
        let mut free = line(2, 10, 2, 3000);
        free.free_shipping = true;
        input.lines = vec![free, line(3, 10, 1, 3000)];
        let q = quoted(&input);
        assert_eq!(q.shipping, m(1000));
        assert_eq!(
            q.steps[0].detail,
            Detail::Freight {
                province: "浙江省".into(), units: 1, by_weight: 0, has_region: 0, region: String::new()
            }
        );

        // Activity flag: a 满减 with free shipping covers the lines it applies to.
        let mut act = activity(7, "满59包邮减1", full_reduction(5900, 100), all());
        act.free_shipping = true;
        input.activities.push(act);
        let q = quoted(&input);
        assert_eq!(q.shipping, Money::ZERO);
        assert!(q.steps.iter().all(|s| s.stage != Stage::Shipping));
        // below its threshold it does not apply, nor its free shipping
        input.activities[0].kind = full_reduction(60000, 100);
        assert_eq!(quoted(&input).shipping, m(1000));
    }

    #[test]
    fn a_level_with_free_shipping_takes_off_the_fee_left_and_a_free_shipping_coupon_has_nothing_to_take() {
        let mut input = cart(vec![line(1, 10, 1, 5000)]);
        input.province = Some("浙江省".into());
        input.freight_templates.push(template(1, Some(9900)));
        input.default_freight_template_id = Some(1);
        input.buyer.member_discount_pct = Some(95);
        input.buyer.member_level_name = Some("黄金会员".into());
        input.buyer.member_free_shipping = true;
        let q = quoted(&input);
        let shipping: Vec<(RuleKind, RuleName, i64)> =
            q.steps.iter().filter(|s| s.stage == Stage::Shipping).map(|s| (s.kind, s.rule.clone(), s.amount)).collect();
        assert_eq!(
            shipping,
            [
                (RuleKind::FreightTemplate, RuleName::FreightTemplate { name: "模板1".into() }, 1000),
                (RuleKind::MemberPrice, RuleName::MemberFreeShipping { level: "黄金会员".into() }, -1000),
            ]
        );
        assert_eq!((q.shipping, q.payable), (Money::ZERO, m(4750)));

        // the template's own free shipping comes first: nothing is left for the level
        input.lines = vec![line(1, 10, 1, 20000)];
        let q = quoted(&input);
        assert!(q.steps.iter().all(|s| !matches!(s.rule, RuleName::MemberFreeShipping { .. })));
        assert_eq!(q.shipping, Money::ZERO);

        // a free-shipping coupon finds no fee left
        input.lines = vec![line(1, 10, 1, 5000)];
        input.coupons.push(coupon(7, "包邮", CouponKind::FreeShipping { threshold: Money::ZERO }, all()));
        let q = quoted(&input);
        assert!(q.applied_coupons.is_empty());
        assert_eq!(
            q.blocking.iter().map(|r| (r.rule_id, r.reason.clone())).collect::<Vec<_>>(),
            [(Some(7), Reason::NoDiscount)]
        );

        // without the level's free shipping the fee stays
        input.coupons.clear();
        input.buyer.member_free_shipping = false;
        assert_eq!(quoted(&input).shipping, m(1000));
    }

    #[test]
    fn xinjiang_region_rule_and_no_delivery() {
        let mut input = cart(vec![line(1, 10, 3, 1000)]);
        input.freight_templates = vec![template(1, Some(100)), template(2, None)];
        input.lines[0].freight_template_id = Some(2);
        input.province = Some("新疆维吾尔自治区".into());
        let q = quoted(&input);
        assert_eq!(q.shipping, m(2000 + 2 * 1500));
        assert_eq!(q.steps[0].rule, "运费模板 模板2");
        assert_eq!(
            q.steps[0].detail,
            Detail::Freight {
                province: "新疆维吾尔自治区".into(),
                units: 3,
                by_weight: 0,
                has_region: 1,
                region: "新疆".into()
            }
        );
        assert_eq!(q.payable, m(3000 + 5000));
        input.province = Some("广东省".into());
        assert_eq!(quoted(&input).shipping, m(1000 + 2 * 500));

        // The template does not deliver to 西藏: the order is blocked, even for a line that would ship free.
        input.freight_templates[1].no_delivery = vec!["西藏".into()];
        input.lines.push(line(2, 10, 1, 1000));
        input.lines[1].freight_template_id = Some(2);
        input.lines[1].free_shipping = true;
        input.province = Some("西藏自治区".into());
        let q = quoted(&input);
        let no_delivery = Reason::NoDelivery { province: "西藏自治区".into() };
        assert_eq!(q.rejected, [rejected("运费模板 模板2", Some(2), no_delivery.clone())]);
        assert_eq!(q.blocking, [rejected("运费模板 模板2", Some(2), no_delivery)]);
        assert_eq!(q.blocking[0].kind, RuleKind::FreightTemplate);
        assert_eq!(q.shipping, Money::ZERO);

        // No province: no shipping at all. Unknown template: the shop default. Neither: no charge.
        input.province = None;
        assert!(quoted(&input).steps.is_empty());
        input.province = Some("广东".into());
        input.freight_templates[1].no_delivery.clear();
        input.lines[0].freight_template_id = Some(42);
        input.default_freight_template_id = Some(1);
        let q = quoted(&input);
        // template 1: 3 pieces cost ¥20, but ¥30 of goods reach its free-shipping amount of ¥1
        assert_eq!(q.shipping, Money::ZERO);
        assert_eq!(q.steps.len(), 2);
        input.default_freight_template_id = None;
        assert!(quoted(&input).steps.is_empty());
    }

    #[test]
    fn points_capped_by_the_share_of_the_amount_due() {
        let mut input = cart(vec![line(1, 10, 1, 6000), line(2, 10, 1, 4000)]);
        input.points_rule = Some(PointsRule { points_per_yuan: 100, max_share_pct: 10 });
        input.points_to_use = 5000;
        input.buyer.points_balance = 6000;
        let q = quoted(&input);
        assert_eq!((q.points_used, q.points_discount), (1000, m(1000)));
        assert_eq!(fen(&q.lines, |l| l.points_discount), [600, 400]);
        assert_eq!(q.rejected, [rejected("积分抵现", None, Reason::PointsCapped { max: 1000 })]);
        assert_eq!(q.payable, m(9000));

        // within the cap: used as asked
        input.points_to_use = 250;
        let q = quoted(&input);
        assert_eq!((q.points_used, q.points_discount), (250, m(250)));
        assert!(q.rejected.is_empty());

        // 1000 points per yuan: up to 10009 points are worth ¥10, and 10000 of them are spent
        input.points_rule = Some(PointsRule { points_per_yuan: 1000, max_share_pct: 10 });
        input.points_to_use = 20000;
        input.buyer.points_balance = 20000;
        let q = quoted(&input);
        assert_eq!((q.points_used, q.points_discount), (10000, m(1000)));
        assert_eq!(q.rejected, [rejected("积分抵现", None, Reason::PointsCapped { max: 10000 })]);
        // points worth less than a fen are not used, and the derivation says why
        input.points_to_use = 9;
        let q = quoted(&input);
        assert_eq!((q.points_used, q.points_discount), (0, Money::ZERO));
        assert!(q.steps.is_empty());
        assert_eq!(q.rejected, [rejected("积分抵现", None, Reason::NoDiscount)]);

        // more than the balance: the balance is used, and the derivation says so
        input.points_rule = Some(PointsRule { points_per_yuan: 100, max_share_pct: 100 });
        input.points_to_use = 30000;
        input.buyer.points_balance = 2000;
        let q = quoted(&input);
        assert_eq!((q.points_used, q.points_discount), (2000, m(2000)));
        assert_eq!(q.rejected, [rejected("积分抵现", None, Reason::NotEnoughPoints { have: 2000 })]);
        assert!(
            matches!(q.steps[0].detail, Detail::Points { balance: 2000, asked: 30000, short_of_balance: 1, .. }),
            "{:?}",
            q.steps[0].detail
        );
        input.buyer.points_balance = 0;
        let q = quoted(&input);
        assert_eq!(q.points_used, 0);
        assert_eq!(q.rejected, [rejected("积分抵现", None, Reason::NotEnoughPoints { have: 0 })]);
        input.buyer.points_balance = 20000;
        input.points_rule = None;
        assert_eq!(quoted(&input).rejected, [rejected("积分抵现", None, Reason::NoPointsRule)]);
    }

    #[test]
    fn only_the_points_the_discount_needs_are_spent() {
        // 250 points = ¥1: 1,001 points are worth ¥4.00 (400.4 fen), and so are 1,000.
        let mut input = cart(vec![line(1, 10, 1, 10000)]);
        input.points_rule = Some(PointsRule { points_per_yuan: 250, max_share_pct: 100 });
        input.buyer.points_balance = 5000;
        input.points_to_use = 1001;
        let q = quoted(&input);
        assert_eq!((q.points_used, q.points_discount), (1000, m(400)));
        assert!(
            matches!(q.steps[0].detail, Detail::Points { used: 1000, discount_fen, .. } if discount_fen == m(400)),
            "{:?}",
            q.steps[0].detail
        );
        input.points_to_use = 1002;
        assert_eq!(quoted(&input).points_used, 1000);
        input.points_to_use = 1003;
        let q = quoted(&input);
        assert_eq!((q.points_used, q.points_discount), (1003, m(401)));
        // asking for more than the balance spends (the useful part of) the balance
        input.points_to_use = 9999;
        input.buyer.points_balance = 1001;
        let q = quoted(&input);
        assert_eq!((q.points_used, q.points_discount), (1000, m(400)));
        assert_eq!(q.rejected, [rejected("积分抵现", None, Reason::NotEnoughPoints { have: 1001 })]);
    }

    #[test]
    fn a_rule_that_takes_nothing_off_is_not_applied() {
        // Half of a 1-fen item rounds to 0 fen off: the coupon is not applied, and as the buyer chose it, it blocks.
        let mut input = cart(vec![line(1, 10, 1, 1)]);
        input.coupons = vec![coupon(3, "半价", percent_off(0, 50, 0), all())];
        let q = quoted(&input);
        assert!(q.applied_coupons.is_empty());
        assert!(q.steps.is_empty());
        assert_eq!(q.rejected, [rejected("优惠券 半价", Some(3), Reason::NoDiscount)]);
        assert_eq!(q.blocking, q.rejected);
        assert_eq!(order_quote(&input), Err(rejected("优惠券 半价", Some(3), Reason::NoDiscount)));
        // a later coupon of the same kind that does take something off is used instead
        input.coupons.push(coupon(4, "立减", amount_off(0, 1), all()));
        let q = quoted(&input);
        assert_eq!(q.applied_coupons, [4]);
        assert_eq!(q.payable, Money::ZERO);

        // A 99 % price on a 1-fen item is still 1 fen: the activity does not price the line, so neither its
        // no-coupon rule nor its per-buyer limit apply.
        let mut input = cart(vec![line(1, 10, 1, 1), line(2, 10, 1, 1000)]);
        let mut act = activity(5, "九九折", ActivityKind::LimitedDiscount(PriceRule::Percent(99)), all());
        act.allow_coupons = false;
        act.per_buyer_limit = 1;
        input.activities.push(act);
        let q = quoted(&input);
        assert_eq!(q.lines[0].price_source, PriceSource::SalePrice);
        assert_eq!(q.lines[1].unit_price, m(990));
        assert_eq!(q.rejected, [rejected("限时折扣 九九折", Some(5), Reason::NoDiscount)]);

        // 满折 of 99 % on 1 fen: nothing off, no step
        let mut input = cart(vec![line(1, 10, 1, 1)]);
        input.activities.push(activity(6, "满折", ActivityKind::FullDiscount { tiers: vec![(m(0), 99)] }, all()));
        let q = quoted(&input);
        assert!(q.steps.is_empty());
        assert_eq!(q.rejected, [rejected("满折 满折", Some(6), Reason::NoDiscount)]);

        // A free-shipping coupon on an order without a fee is not applied
        let mut input = cart(vec![line(1, 10, 1, 1000)]);
        input.coupons = vec![coupon(7, "包邮", CouponKind::FreeShipping { threshold: m(0) }, all())];
        input.freight_templates = vec![template(1, Some(500))];
        input.default_freight_template_id = Some(1);
        input.province = Some("广东".into());
        let q = quoted(&input);
        assert!(q.applied_coupons.is_empty());
        assert_eq!(q.blocking, [rejected("包邮券 包邮", Some(7), Reason::NoDiscount)]);
        input.freight_templates[0].free_over = None;
        let q = quoted(&input);
        assert_eq!(q.applied_coupons, [7]);
        assert_eq!(q.shipping, Money::ZERO);
        assert!(q.blocking.is_empty());
    }

    #[test]
    fn rules_are_named_by_kind_and_id() {
        // Coupon 3 and activity 3 are different rules: each refusal names its own kind.
        let mut input = cart(vec![line(1, 10, 1, 1000)]);
        let mut act = activity(3, "首单", ActivityKind::FirstOrder(PriceRule::Percent(50)), all());
        act.starts_at_ms = NOW + DAY_MS;
        act.ends_at_ms = NOW + 2 * DAY_MS;
        input.activities.push(act);
        let mut c = coupon(3, "已用", amount_off(0, 100), all());
        c.usable = false;
        input.coupons.push(c);
        let q = quoted(&input);
        assert_eq!(
            q.rejected,
            [
                rejected("首单特价 首单", Some(3), Reason::NotStarted),
                rejected("优惠券 已用", Some(3), Reason::CouponNotUsable)
            ]
        );
        assert_eq!(q.rejected[0].kind, RuleKind::Activity);
        assert_eq!(q.rejected[1].kind, RuleKind::Coupon);
        let refusal = order_quote(&input).unwrap_err();
        assert_eq!(
            (refusal.kind, refusal.rule_id, refusal.reason),
            (RuleKind::Coupon, Some(3), Reason::CouponNotUsable)
        );
    }

    #[test]
    fn order_activity_without_points_excludes_its_lines_from_points() {
        let mut input = cart(vec![line(1, 10, 1, 10000), line(2, 20, 1, 10000)]);
        let mut act = activity(1, "不可用积分", full_reduction(5000, 500), categories(&[10]));
        act.allow_points = false;
        input.activities.push(act);
        input.points_rule = Some(PointsRule { points_per_yuan: 100, max_share_pct: 100 });
        input.points_to_use = 20000;
        input.buyer.points_balance = 20000;
        let q = quoted(&input);
        assert_eq!(fen(&q.lines, |l| l.points_discount), [0, 10000]);
        assert_eq!(q.points_used, 10000);
        assert_eq!(fen(&q.lines, |l| l.paid_amount), [9500, 0]);
        assert_eq!(q.points_eligible_amount, m(9500));
    }

    #[test]
    fn best_coupon_picks_the_lowest_payable() {
        let mut input = cart(vec![line(1, 10, 1, 10000)]);
        input.coupons = vec![coupon(9, "已选", amount_off(0, 100), all())];
        let wallet = vec![
            coupon(5, "减10", amount_off(0, 1000), all()),
            coupon(3, "减5", amount_off(0, 500), all()),
            coupon(2, "9折", percent_off(0, 90, 0), all()),
            coupon(1, "满200减50", amount_off(20000, 5000), all()),
            coupon(7, "包邮", CouponKind::FreeShipping { threshold: Money::ZERO }, all()),
        ];
        let (id, q) = best_coupon(&input, &wallet).unwrap();
        // 9折 and 减10 both give ¥90: the lower id wins
        assert_eq!(id, 2);
        assert_eq!(q.payable, m(9000));
        let mut with = input.clone();
        with.coupons = vec![wallet[2].clone()];
        assert_eq!(q, quote(&with));

        // nothing in the wallet helps
        let useless =
            vec![wallet[3].clone(), wallet[4].clone(), coupon(8, "别的分类", amount_off(0, 500), categories(&[99]))];
        assert!(best_coupon(&input, &useless).is_none());
        assert!(best_coupon(&input, &[]).is_none());
    }

    #[test]
    fn absurd_inputs_do_not_panic() {
        let mut huge = line(1, 10, i64::MAX, i64::MAX);
        huge.weight_g = i64::MAX;
        huge.special_price = Some(SpecialPrice { unit_price: m(i64::MIN), ..flash(0) });
        let mut negative = line(2, 10, -5, -300);
        negative.weight_g = -1;
        let mut input = cart(vec![huge, negative, line(3, 10, i64::MIN, i64::MIN), line(4, 10, 1, 1)]);
        input.buyer.member_discount_pct = Some(u32::MAX);
        input.buyer.bought_under = vec![(1, i64::MAX), (1, i64::MAX), (2, i64::MIN)];
        input.buyer.registered_at_ms = i64::MIN;
        input.buyer.points_balance = i64::MAX;
        let kinds = [
            ActivityKind::LimitedDiscount(PriceRule::Percent(u32::MAX)),
            ActivityKind::FirstOrder(PriceRule::FixedPerSku(vec![(1, m(i64::MIN)), (4, m(i64::MAX))])),
            ActivityKind::Newcomer { days: u32::MAX, rule: PriceRule::Percent(0) },
            ActivityKind::FullReduction { tiers: vec![(m(i64::MIN), m(i64::MAX)), (m(0), m(-5))], repeat: true },
            ActivityKind::FullReduction { tiers: vec![], repeat: true },
            ActivityKind::FullDiscount { tiers: vec![(m(i64::MAX), u32::MAX), (m(-1), 0)] },
        ];
        for (i, kind) in kinds.into_iter().enumerate() {
            let mut a = activity(i as i64, "怪", kind, all());
            a.per_buyer_limit = i64::MAX - i as i64;
            a.ends_at_ms = i64::MAX;
            a.starts_at_ms = i64::MIN;
            input.activities.push(a);
        }
        input.coupons = vec![
            coupon(1, "怪", amount_off(i64::MIN, i64::MAX), all()),
            coupon(2, "怪", percent_off(i64::MAX, u32::MAX, i64::MIN), all()),
            coupon(3, "怪", CouponKind::FreeShipping { threshold: m(i64::MIN) }, all()),
        ];
        input.points_to_use = i64::MAX;
        input.points_rule = Some(PointsRule { points_per_yuan: 1, max_share_pct: u32::MAX });
        input.province = Some(String::new());
        let mut t = template(1, Some(i64::MIN));
        t.default_rule = freight_rule(i64::MIN, i64::MAX, 0, i64::MAX);
        t.mode = FreightMode::ByWeight;
        input.freight_templates = vec![t];
        input.default_freight_template_id = Some(1);
        input.now_ms = i64::MAX;
        let wallet = input.coupons.clone();
        let q = quote(&input);
        assert_eq!(q, quote(&input));
        assert!(!q.payable.is_negative());
        let _ = best_coupon(&input, &wallet);
        for points_per_yuan in [i64::MIN, -1, 0, i64::MAX] {
            input.points_rule = Some(PointsRule { points_per_yuan, max_share_pct: 100 });
            let _ = quote(&input);
        }
        input.now_ms = i64::MIN;
        let _ = quote(&input);
        // the realistic lines of an absurd cart still add up
        input.lines = vec![line(4, 10, 2, 1), line(5, 10, -1, 500)];
        input.points_rule = Some(PointsRule { points_per_yuan: 100, max_share_pct: 50 });
        input.now_ms = NOW;
        input.points_to_use = 1;
        let q = quoted(&input);
        assert_eq!(q.lines[1].quantity, 0);
    }

    // ---- property tests ----

    fn arb_scope() -> impl Strategy<Value = Scope> {
        (any::<bool>(), vec(1i64..7, 0..3), vec(1i64..5, 0..2), vec(1i64..11, 0..3), vec(1i64..7, 0..2)).prop_map(
            |(all, products, categories, skus, exclude_products)| Scope {
                all,
                products,
                categories,
                skus,
                exclude_products,
            },
        )
    }

    fn arb_special() -> impl Strategy<Value = Option<SpecialPrice>> {
        prop::option::weighted(
            0.25,
            (any::<bool>(), 50i64..53, 0i64..60_000, any::<bool>(), any::<bool>()).prop_map(
                |(is_flash, activity_id, price, allow_coupons, allow_points)| SpecialPrice {
                    kind: if is_flash { SpecialKind::Flash } else { SpecialKind::Group },
                    activity_id,
                    name: format!("特价{activity_id}"),
                    unit_price: m(price),
                    allow_coupons,
                    allow_points,
                },
            ),
        )
    }

    fn arb_line() -> impl Strategy<Value = Line> {
        (
            (1i64..11, 1i64..7, 1i64..5),
            -1i64..6,
            0i64..50_000,
            0i64..3000,
            (prop::bool::weighted(0.15), prop::bool::weighted(0.85), any::<bool>()),
            prop::option::of(1i64..5),
            arb_special(),
        )
            .prop_map(
                |((sku, product, category), quantity, sale, weight_g, (free, coupons, points), template, special)| {
                    Line {
                        sku_id: sku,
                        product_id: product,
                        category_path: vec![category],
                        title: format!("商品{sku}"),
                        quantity,
                        sale_price: m(sale),
                        original_price: m(sale),
                        weight_g,
                        free_shipping: free,
                        coupons_usable: coupons,
                        earns_points: points,
                        freight_template_id: template,
                        special_price: special,
                    }
                },
            )
    }

    fn arb_price_rule() -> impl Strategy<Value = PriceRule> {
        prop_oneof![
            (0u32..=120).prop_map(PriceRule::Percent),
            vec((1i64..11, 0i64..60_000), 0..4)
                .prop_map(|v| PriceRule::FixedPerSku(v.into_iter().map(|(sku, p)| (sku, m(p))).collect())),
        ]
    }

    fn arb_kind() -> impl Strategy<Value = ActivityKind> {
        prop_oneof![
            arb_price_rule().prop_map(ActivityKind::LimitedDiscount),
            arb_price_rule().prop_map(ActivityKind::FirstOrder),
            (0u32..30, arb_price_rule()).prop_map(|(days, rule)| ActivityKind::Newcomer { days, rule }),
            (vec((0i64..100_000, 0i64..20_000), 0..3), any::<bool>()).prop_map(|(tiers, repeat)| {
                ActivityKind::FullReduction { tiers: tiers.into_iter().map(|(t, o)| (m(t), m(o))).collect(), repeat }
            }),
            vec((0i64..100_000, 0u32..=110), 0..3).prop_map(|tiers| ActivityKind::FullDiscount {
                tiers: tiers.into_iter().map(|(t, p)| (m(t), p)).collect()
            }),
        ]
    }

    fn arb_activity() -> impl Strategy<Value = Activity> {
        (
            1i64..20,
            arb_kind(),
            (-3i64..2, 0i64..4),
            arb_scope(),
            (prop::bool::weighted(0.8), prop::bool::weighted(0.8), 0i64..4, prop::bool::weighted(0.2)),
        )
            .prop_map(
                |(id, kind, (start, days), scope, (allow_coupons, allow_points, per_buyer_limit, free_shipping))| {
                    let starts_at_ms = NOW + start * DAY_MS;
                    Activity {
                        id,
                        name: format!("活动{id}"),
                        kind,
                        starts_at_ms,
                        ends_at_ms: starts_at_ms + days * DAY_MS,
                        scope,
                        allow_coupons,
                        allow_points,
                        per_buyer_limit,
                        free_shipping,
                    }
                },
            )
    }

    fn arb_discount_kind() -> impl Strategy<Value = CouponKind> {
        prop_oneof![
            (0i64..60_000, 0i64..20_000).prop_map(|(t, off)| amount_off(t, off)),
            (0i64..60_000, 0u32..=110, 0i64..5000).prop_map(|(t, pct, cap)| percent_off(t, pct, cap)),
        ]
    }

    fn arb_coupon_kind() -> impl Strategy<Value = CouponKind> {
        prop_oneof![
            3 => arb_discount_kind(),
            1 => (0i64..60_000).prop_map(|t| CouponKind::FreeShipping { threshold: m(t) }),
        ]
    }

    fn arb_coupon_of(kind: impl Strategy<Value = CouponKind>) -> impl Strategy<Value = Coupon> {
        (1i64..30, kind, (-2i64..1, 0i64..4), arb_scope(), prop::bool::weighted(0.9)).prop_map(
            |(id, kind, (from, days), scope, usable)| {
                let valid_from_ms = NOW + from * DAY_MS;
                Coupon {
                    id,
                    name: format!("券{id}"),
                    kind,
                    scope,
                    valid_from_ms,
                    valid_until_ms: valid_from_ms + days * DAY_MS,
                    usable,
                }
            },
        )
    }

    fn arb_freight_rule() -> impl Strategy<Value = FreightRule> {
        (0i64..2000, 0i64..2000, 0i64..1000, 0i64..1000).prop_map(|(a, b, c, d)| freight_rule(a, b, c, d))
    }

    fn arb_template() -> impl Strategy<Value = FreightTemplate> {
        let province = || prop::sample::select(vec!["新疆", "西藏自治区", "广东", "北京市"]);
        (
            1i64..5,
            any::<bool>(),
            arb_freight_rule(),
            vec((vec(province(), 1..3), arb_freight_rule()), 0..3),
            prop::option::of(0i64..60_000),
            prop::option::weighted(0.2, province()),
        )
            .prop_map(|(id, by_weight, default_rule, regions, free_over, no_delivery)| FreightTemplate {
                id,
                name: format!("模板{id}"),
                mode: if by_weight { FreightMode::ByWeight } else { FreightMode::ByPiece },
                default_rule,
                regions: regions
                    .into_iter()
                    .map(|(names, rule)| (names.into_iter().map(String::from).collect(), rule))
                    .collect(),
                free_over: free_over.map(m),
                no_delivery: no_delivery.into_iter().map(String::from).collect(),
            })
    }

    fn arb_buyer() -> impl Strategy<Value = BuyerContext> {
        (any::<bool>(), 0i64..40, prop::option::of(50u32..=110), vec((1i64..20, 0i64..4), 0..3), 0i64..20_000).prop_map(
            |(has_paid_order, days, member, bought_under, points_balance)| BuyerContext {
                buyer_id: 1,
                has_paid_order,
                registered_at_ms: NOW - days * DAY_MS,
                member_discount_pct: member,
                member_level_name: member.map(|_| "会员".to_string()),
                member_free_shipping: member.is_some_and(|p| p % 2 == 0),
                bought_under,
                points_balance,
            },
        )
    }

    fn arb_input() -> impl Strategy<Value = QuoteInput> {
        (
            vec(arb_line(), 1..=10),
            arb_buyer(),
            vec(arb_activity(), 0..6),
            vec(arb_coupon_of(arb_coupon_kind()), 0..3),
            (prop_oneof![Just(0i64), 0i64..8000], prop::option::of((-1i64..1000, 0u32..=110))),
            prop::option::of(prop::sample::select(vec!["新疆维吾尔自治区", "西藏", "广东省", "浙江"])),
            vec(arb_template(), 0..3),
            prop::option::of(1i64..5),
        )
            .prop_map(
                |(lines, buyer, activities, coupons, (points_to_use, rule), province, templates, default)| QuoteInput {
                    lines,
                    buyer,
                    activities,
                    coupons,
                    points_to_use,
                    points_rule: rule
                        .map(|(points_per_yuan, max_share_pct)| PointsRule { points_per_yuan, max_share_pct }),
                    province: province.map(String::from),
                    freight_templates: templates,
                    default_freight_template_id: default,
                    now_ms: NOW,
                },
            )
    }

    /// `input` with its discount coupons replaced by `c`.
    fn with_discount_coupon(input: &QuoteInput, c: &Coupon) -> QuoteInput {
        let mut out = input.clone();
        out.coupons.retain(|k| !is_discount_coupon(k));
        out.coupons.push(c.clone());
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn apportioned_amounts_sum_to_the_totals(input in arb_input()) {
            let q = quote(&input);
            let lines = &q.lines;
            prop_assert_eq!(lines.iter().map(|l| l.order_discount).sum::<Money>(), q.order_discount);
            prop_assert_eq!(lines.iter().map(|l| l.coupon_discount).sum::<Money>(), q.coupon_discount);
            prop_assert_eq!(lines.iter().map(|l| l.points_discount).sum::<Money>(), q.points_discount);
            prop_assert_eq!(stage_sum(&q, Stage::OrderReduction), -q.order_discount.fen());
            prop_assert_eq!(stage_sum(&q, Stage::Coupon), -q.coupon_discount.fen());
            prop_assert_eq!(stage_sum(&q, Stage::Points), -q.points_discount.fen());
            check(&input, &q);
        }

        #[test]
        fn no_amount_is_negative(input in arb_input()) {
            let q = quote(&input);
            for l in &q.lines {
                for v in [l.unit_price, l.goods_amount, l.order_discount, l.coupon_discount, l.points_discount, l.paid_amount] {
                    prop_assert!(!v.is_negative());
                }
            }
            prop_assert!(!q.payable.is_negative());
            prop_assert!(!q.shipping.is_negative());
        }

        #[test]
        fn payable_adds_up_both_ways(input in arb_input()) {
            let q = quote(&input);
            let steps: i64 = q.steps.iter().map(|s| s.amount).sum();
            prop_assert_eq!(q.list_total.fen() + steps, q.payable.fen());
            prop_assert_eq!(q.lines.iter().map(|l| l.paid_amount).sum::<Money>().fen() + q.shipping.fen(), q.payable.fen());
        }

        /// One rule for quote and order: an order is placed at exactly the quote (every amount and line), or it
        /// is refused with the quote's own first blocking refusal.
        #[test]
        fn an_order_is_placed_at_its_quote_or_refused_as_the_quote_says(input in arb_input()) {
            let q = quote(&input);
            check(&input, &q);
            match order_quote(&input) {
                Ok(placed) => {
                    prop_assert!(q.blocking.is_empty());
                    prop_assert_eq!(&placed, &q);
                    prop_assert_eq!(&placed.lines, &q.lines);
                    prop_assert_eq!(placed.payable, q.payable);
                }
                Err(refusal) => prop_assert_eq!(Some(&refusal), q.blocking.first()),
            }
        }

        #[test]
        fn quote_is_deterministic(input in arb_input()) {
            let copy = input.clone();
            prop_assert_eq!(quote(&input), quote(&copy));
        }

        /// Holds whenever a point is worth at most a fen (the shop settings require at least 100 points per yuan).
        #[test]
        fn adding_a_discount_coupon_never_raises_the_payable(input in arb_input(), c in arb_coupon_of(arb_discount_kind())) {
            let mut input = input;
            input.coupons.retain(|k| !is_discount_coupon(k));
            if let Some(rule) = &mut input.points_rule {
                rule.points_per_yuan = rule.points_per_yuan.max(100);
            }
            let c = Coupon { id: 1000, ..c };
            let without = quote(&input);
            let with_input = with_discount_coupon(&input, &c);
            let with = quote(&with_input);
            check(&with_input, &with);
            prop_assert!(with.payable <= without.payable);
            if !with.applied_coupons.contains(&c.id) {
                prop_assert_eq!(with.payable, without.payable);
            }
        }

        #[test]
        fn best_coupon_beats_every_single_wallet_coupon(
            input in arb_input(),
            wallet in vec(arb_coupon_of(arb_coupon_kind()), 0..10),
        ) {
            // distinct ids, so a suggestion names one coupon
            let wallet: Vec<Coupon> =
                wallet.into_iter().enumerate().map(|(i, c)| Coupon { id: 100 + i as i64, ..c }).collect();
            let mut baseline_input = input.clone();
            baseline_input.coupons.retain(|k| !is_discount_coupon(k));
            let baseline = quote(&baseline_input).payable;
            let best = best_coupon(&input, &wallet);
            if let Some((id, q)) = &best {
                let c = wallet.iter().find(|c| c.id == *id).unwrap();
                prop_assert!(is_discount_coupon(c));
                prop_assert_eq!(q, &quote(&with_discount_coupon(&input, c)));
                prop_assert!(q.payable < baseline);
                prop_assert!(q.applied_coupons.contains(id));
            }
            for c in wallet.iter().filter(|c| is_discount_coupon(c)) {
                let single = quote(&with_discount_coupon(&input, c)).payable;
                match &best {
                    Some((id, q)) => {
                        prop_assert!(q.payable <= single);
                        if q.payable == single {
                            prop_assert!(*id <= c.id);
                        }
                    }
                    None => prop_assert!(single >= baseline),
                }
            }
        }
    }
}
