//! A generated shop for measuring and checking analytics, finance and members (`minimall demo --buyers B
//! --orders N --events M --seed S`): a crowd of buyers with their member profiles (see [`super::crowd`]), paid and cancelled orders of its buyers or the demo buyers over the last 180 days, one after another, with
//! their lines, payments, refunds, shipments and completions and the journal's postings of each (written as
//! payment, refund, shipment and completion post them, with the running totals and rollups the reports
//! read), their placed and paid events, and storefront events of visitors and buyers on several channels,
//! then the daily rollups of those days. With a crowd, the orders go to its buyers (to those registered by
//! the order's time), and what the completed ones count towards membership is written with them. Points moved by checkout are not generated: an order's points
//! deduction is posted against the points liability's value, but no buyer's points balance moves.
//!
//! The same seed on the same shop day gives the same rows: times are offsets from the start of the day the
//! command runs, and every draw comes from one seeded generator.

use minimall_core::analytics::events::EventKind;
use minimall_core::ledger::build::FeeRate;
use minimall_core::Money;
use minimall_store::events::NewEvent;
use minimall_store::generate::{GeneratedLine, GeneratedOrder, GeneratorSku};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::state::AppState;

const DAY_MS: i64 = 86_400_000;
/// Days the generated history covers, today included.
pub const DAYS: i64 = 180;
/// Rows written per transaction.
const BATCH: usize = 10_000;
const CHANNELS: [&str; 4] = ["direct", "wechat", "douyin", "xiaohongshu"];

#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Buyers of a generated crowd (0: the orders go to the shop's buyers).
    pub buyers: u64,
    pub orders: u64,
    pub events: u64,
    pub seed: u64,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Generated {
    pub buyers: u64,
    pub orders: u64,
    pub events: u64,
    pub rollup_rows: u64,
}

fn channel_of(buyer: i64) -> &'static str {
    CHANNELS[buyer.rem_euclid(CHANNELS.len() as i64) as usize]
}

fn event(kind: EventKind, at: i64, channel: &str) -> NewEvent {
    NewEvent {
        kind,
        buyer_id: None,
        visitor: None,
        session: None,
        channel: channel.to_string(),
        campaign: String::new(),
        promoter_id: None,
        product_id: None,
        sku_id: None,
        order_id: None,
        amount_fen: None,
        query: None,
        client_at_ms: at,
        server_at_ms: at,
    }
}

/// Generate the shop's history as planned (see the module's description).
pub async fn generate(st: &AppState, plan: Plan) -> anyhow::Result<Generated> {
    let merchant = st.merchant_id;
    let store = &st.store;
    let mut crowd = if plan.buyers > 0 { Some(super::crowd::create(st, plan.seed, plan.buyers).await?) } else { None };
    let buyers = match &crowd {
        Some(c) => c.ids.clone(),
        None => store.buyer_ids(merchant, 100_000).await?,
    };
    anyhow::ensure!(!buyers.is_empty(), "the shop has no buyers: generate on a demo database");
    let products = store.shelf_product_ids(merchant, 10_000).await?;
    let skus = store.generator_skus(merchant, 10_000).await?;
    let (activities, coupons) = store.generator_promotions(merchant, 20).await?;
    // The shop's fee terms with the sandbox, as payments and refunds take them.
    let terms = crate::finance::fee_terms(st, merchant, "sandbox").await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let fees = minimall_store::generate::FeeTreatment { refund_fee: terms.refund_fee };
    let today = crate::web::view::beijing_day(minimall_store::now_ms());
    let first = today - DAYS + 1;
    let start = crate::web::view::day_start_ms(first);
    // Up to the start of today: nothing generated lies in the future.
    let span = (DAYS - 1) * DAY_MS;
    // Orders follow each other in time (each in its own slice of the span), so that a batch's postings fall
    // on a few days.
    let slice = (span / plan.orders.max(1) as i64).max(1);
    let mut rng = StdRng::seed_from_u64(plan.seed);
    let mut out = Generated::default();

    let mut done = 0u64;
    while done < plan.orders {
        let n = (plan.orders - done).min(BATCH as u64);
        let mut orders = Vec::with_capacity(n as usize);
        for i in done..done + n {
            // Skewed towards the first buyers, so some buy often and most rarely; of a crowd, among the buyers
            // registered by then.
            let roll = rng.gen::<f64>().powi(2);
            let created = start + i as i64 * span / plan.orders as i64 + rng.gen_range(0..slice);
            let among = crowd.as_ref().map_or(buyers.len(), |c| c.registered_by(created));
            let pick = (roll * among as f64) as usize;
            let buyer = buyers[pick.min(among - 1)];
            let paid = rng.gen_range(0..100) < 85;
            let order_no = format!("G{:06}{:010}", plan.seed % 1_000_000, i);
            let paid_at = paid.then(|| created + rng.gen_range(10_000..1_200_000));
            let order = if skus.is_empty() {
                GeneratedOrder {
                    order_no,
                    buyer_id: buyer,
                    payable: rng.gen_range(990..=49_900),
                    created_at: created,
                    paid_at,
                    ..GeneratedOrder::default()
                }
            } else {
                sale(
                    &mut rng,
                    &skus,
                    &activities,
                    &coupons,
                    terms.rate,
                    start + span,
                    order_no,
                    buyer,
                    created,
                    paid_at,
                )
            };
            orders.push(order);
        }
        store.insert_generated_orders(merchant, &orders, fees).await?;
        let ids = store.order_ids_from(merchant, &orders[0].order_no, &orders[orders.len() - 1].order_no).await?;
        anyhow::ensure!(ids.len() == orders.len(), "orders of this seed exist already: use another --seed");
        if let Some(c) = crowd.as_mut() {
            c.count_orders(st, &orders, &ids).await?;
        }
        let mut events = Vec::with_capacity(orders.len() * 2);
        for (o, (_, id)) in orders.iter().zip(&ids) {
            let mut placed = event(EventKind::OrderPlaced, o.created_at, channel_of(o.buyer_id));
            placed.buyer_id = Some(o.buyer_id);
            placed.order_id = Some(*id);
            placed.amount_fen = Some(o.payable);
            if let Some(at) = o.paid_at {
                let mut paid = placed.clone();
                paid.kind = EventKind::OrderPaid;
                paid.client_at_ms = at;
                paid.server_at_ms = at;
                events.push(placed);
                events.push(paid);
            } else {
                events.push(placed);
            }
        }
        out.events += store.record_events(merchant, &events).await?;
        out.orders += n;
        done += n;
    }

    let visitors = (plan.events / 20).max(100);
    let kinds = [
        (EventKind::PageView, 40),
        (EventKind::ProductView, 35),
        (EventKind::AddToCart, 12),
        (EventKind::CheckoutStarted, 5),
        (EventKind::Share, 3),
        (EventKind::Search, 5),
    ];
    let mut done = 0u64;
    while done < plan.events {
        let n = (plan.events - done).min(BATCH as u64);
        let mut events = Vec::with_capacity(n as usize);
        for _ in 0..n {
            let v = rng.gen_range(0..visitors);
            let at = start + rng.gen_range(0..span);
            let mut roll = rng.gen_range(0..100);
            let mut kind = EventKind::PageView;
            for (k, w) in kinds {
                if roll < w {
                    kind = k;
                    break;
                }
                roll -= w;
            }
            // One visitor in five is a logged-in buyer.
            let buyer = (v % 5 == 0).then(|| buyers[(v / 5) as usize % buyers.len()]);
            let mut e = event(kind, at, CHANNELS[(v % CHANNELS.len() as u64) as usize]);
            e.buyer_id = buyer;
            e.visitor = Some(format!("gv{}-{v:08}", plan.seed));
            e.session = Some(format!("gs{}-{v:08}-{}", plan.seed, (at - start) / DAY_MS));
            if matches!(kind, EventKind::ProductView | EventKind::AddToCart) && !products.is_empty() {
                e.product_id = Some(products[rng.gen_range(0..products.len())]);
            } else if matches!(kind, EventKind::ProductView | EventKind::AddToCart) {
                e.kind = EventKind::PageView;
            }
            if kind == EventKind::Search {
                e.query = Some(["脐橙", "苹果", "坚果", "牛奶", "大米"][rng.gen_range(0..5)].to_string());
            }
            events.push(e);
        }
        out.events += store.record_events(merchant, &events).await?;
        done += n;
    }
    if let Some(c) = crowd {
        out.buyers = c.ids.len() as u64;
        c.finish(st).await?;
    }
    out.rollup_rows = crate::analytics::rollup::rebuild_days(store, merchant, first, today).await?;
    // Planned on the statistics of empty tables, the reports and segments of the shop would read every row.
    store.analyze_generated().await?;
    Ok(out)
}

/// A paid or unpaid order of one to three lines as checkout prices it: a reduction on one order in five, a
/// coupon on one in four, points on one in six, shipping on one in three, an activity's price on one line in
/// eight. A paid order is refunded in part on one in ten (a later day), shipped with a carrier's cost on
/// nine in ten (within a day) and completed on seven in ten of those (two to nine days later); what would
/// come at or after `until` (the start of the generating day) is left out.
#[allow(clippy::too_many_arguments)]
fn sale(
    rng: &mut StdRng,
    skus: &[GeneratorSku],
    activities: &[i64],
    coupons: &[i64],
    rate: FeeRate,
    until: i64,
    order_no: String,
    buyer_id: i64,
    created: i64,
    paid_at: Option<i64>,
) -> GeneratedOrder {
    let mut lines = Vec::new();
    for _ in 0..rng.gen_range(1..=3) {
        let (product_id, sku_id, title, price, cost) = &skus[rng.gen_range(0..skus.len())];
        let quantity = rng.gen_range(1..=2);
        let activity_id = (!activities.is_empty() && rng.gen_range(0..8) == 0)
            .then(|| activities[rng.gen_range(0..activities.len())]);
        let unit_price = if activity_id.is_some() { price * 9 / 10 } else { *price };
        lines.push(GeneratedLine {
            product_id: *product_id,
            sku_id: *sku_id,
            title: title.clone(),
            quantity,
            unit_price,
            goods_amount: unit_price * quantity,
            order_discount: 0,
            coupon_discount: 0,
            points_discount: 0,
            activity_id,
            cost_price: *cost,
        });
    }
    let goods: Vec<Money> = lines.iter().map(|l| Money::from_fen(l.goods_amount)).collect();
    let total: i64 = lines.iter().map(|l| l.goods_amount).sum();
    let order_discount = if rng.gen_range(0..5) == 0 { total / 10 } else { 0 };
    for (l, r) in lines.iter_mut().zip(minimall_core::money::apportion(Money::from_fen(order_discount), &goods)) {
        l.order_discount = r.fen();
    }
    let after = total - order_discount;
    let coupon_id = (!coupons.is_empty() && rng.gen_range(0..4) == 0).then(|| coupons[rng.gen_range(0..coupons.len())]);
    let coupon = if coupon_id.is_some() { (after / 20).clamp(0, after) } else { 0 };
    let points_used = if rng.gen_range(0..6) == 0 { 100 * rng.gen_range(1..=5) } else { 0 };
    let points = (points_used / 100).min(after - coupon).max(0);
    let revenue: Vec<(i64, Money)> =
        lines.iter().map(|l| (l.product_id, Money::from_fen(l.goods_amount - l.order_discount))).collect();
    if let Ok(sold) =
        minimall_core::ledger::build::apportion_lines(&revenue, Money::from_fen(coupon), Money::from_fen(points))
    {
        for (l, s) in lines.iter_mut().zip(sold) {
            l.coupon_discount = s.coupon.fen();
            l.points_discount = s.points.fen();
        }
    }
    let shipping = if rng.gen_range(0..3) == 0 { 1000 } else { 0 };
    let payable = after - coupon - points + shipping;
    let mut o = GeneratedOrder {
        order_no,
        buyer_id,
        payable,
        created_at: created,
        paid_at,
        order_discount,
        coupon_discount: coupon,
        coupon_id: coupon_id.filter(|_| coupon > 0),
        points_used: if points > 0 { points_used } else { 0 },
        points_discount: points,
        shipping,
        fee: rate.fee(Money::from_fen(payable)).fen(),
        lines,
        ..GeneratedOrder::default()
    };
    let Some(paid) = paid_at else { return o };
    // Whatever would come after `until` has not happened yet.
    let by = |at: i64| (at < until).then_some(at);
    let first_paid = o.lines[0].paid();
    if rng.gen_range(0..10) == 0 && first_paid > 1 {
        let amount = rng.gen_range(1..=first_paid);
        o.refund = by(paid + DAY_MS + rng.gen_range(0..5 * DAY_MS)).map(|at| (amount, at));
    }
    if rng.gen_range(0..10) < 9 {
        let cost = rng.gen_range(500..=1500);
        o.shipment = by(paid + rng.gen_range(DAY_MS / 2..DAY_MS)).map(|at| (cost, at));
    }
    if rng.gen_range(0..9) < 7 {
        let at = paid + 2 * DAY_MS + rng.gen_range(0..7 * DAY_MS);
        o.completed_at = by(at).filter(|_| o.shipment.is_some());
    }
    o
}
