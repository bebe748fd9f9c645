//! A generated shop for measuring and checking analytics (`minimall demo --orders N --events M --seed S`): paid
//! and cancelled orders of the demo buyers over the last 180 days with their placed and paid events, and
//! storefront events of visitors and buyers on several channels, then the daily rollups of those days.
//!
//! The same seed on the same shop day gives the same rows: times are offsets from the start of the day the
//! command runs, and every draw comes from one seeded generator.

use minimall_core::analytics::events::EventKind;
use minimall_store::events::NewEvent;
use minimall_store::generate::GeneratedOrder;
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
    pub orders: u64,
    pub events: u64,
    pub seed: u64,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Generated {
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
    let buyers = store.buyer_ids(merchant, 100_000).await?;
    anyhow::ensure!(!buyers.is_empty(), "the shop has no buyers: generate on a demo database");
    let products = store.shelf_product_ids(merchant, 10_000).await?;
    let today = crate::web::view::beijing_day(minimall_store::now_ms());
    let first = today - DAYS + 1;
    let start = crate::web::view::day_start_ms(first);
    // Up to the start of today: nothing generated lies in the future.
    let span = (DAYS - 1) * DAY_MS;
    let mut rng = StdRng::seed_from_u64(plan.seed);
    let mut out = Generated::default();

    let mut done = 0u64;
    while done < plan.orders {
        let n = (plan.orders - done).min(BATCH as u64);
        let mut orders = Vec::with_capacity(n as usize);
        for i in done..done + n {
            // Skewed towards the first buyers, so some buy often and most rarely.
            let pick = (rng.gen::<f64>().powi(2) * buyers.len() as f64) as usize;
            let buyer = buyers[pick.min(buyers.len() - 1)];
            let created = start + rng.gen_range(0..span);
            let paid = rng.gen_range(0..100) < 85;
            orders.push(GeneratedOrder {
                order_no: format!("G{:06}{:010}", plan.seed % 1_000_000, i),
                buyer_id: buyer,
                payable: rng.gen_range(990..=49_900),
                created_at: created,
                paid_at: paid.then(|| created + rng.gen_range(10_000..1_200_000)),
            });
        }
        store.insert_generated_orders(merchant, &orders).await?;
        let ids = store.order_ids_from(merchant, &orders[0].order_no, &orders[orders.len() - 1].order_no).await?;
        anyhow::ensure!(ids.len() == orders.len(), "orders of this seed exist already: use another --seed");
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
    out.rollup_rows = crate::analytics::rollup::rebuild_days(store, merchant, first, today).await?;
    Ok(out)
}
