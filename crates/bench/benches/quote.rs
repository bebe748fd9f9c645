//! The stacking engine on a realistic cart: 10 lines, 5 running activities, a wallet of 10 coupons.
//! `quote` prices the cart with the chosen coupon and points; `best_coupon` finds the wallet coupon that
//! gives the lowest payable (what the checkout page preselects).

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use minimall_core::pricing::{
    best_coupon, quote, Activity, ActivityKind, BuyerContext, Coupon, CouponKind, FreightMode, FreightRule,
    FreightTemplate, Line, PointsRule, PriceRule, QuoteInput, Scope,
};
use minimall_core::Money;

const NOW: i64 = 1_800_000_000_000;
const DAY: i64 = 86_400_000;

fn scope_all() -> Scope {
    Scope { all: true, ..Default::default() }
}

fn input() -> (QuoteInput, Vec<Coupon>) {
    let lines: Vec<Line> = (0..10)
        .map(|i| Line {
            sku_id: 100 + i,
            product_id: 10 + i,
            category_path: vec![1000 + i % 3, 1],
            title: format!("商品{i}"),
            quantity: 1 + i % 3,
            sale_price: Money::from_fen(2990 + i * 1000),
            original_price: Money::from_fen(3990 + i * 1000),
            weight_g: 300 + 50 * i,
            free_shipping: i == 9,
            coupons_usable: i != 4,
            earns_points: true,
            freight_template_id: None,
            special_price: None,
        })
        .collect();
    let act = |id: i64, kind: ActivityKind, scope: Scope| Activity {
        id,
        name: format!("活动{id}"),
        kind,
        starts_at_ms: NOW - DAY,
        ends_at_ms: NOW + DAY,
        scope,
        allow_coupons: true,
        allow_points: true,
        per_buyer_limit: 0,
        free_shipping: false,
    };
    let activities = vec![
        act(
            1,
            ActivityKind::LimitedDiscount(PriceRule::Percent(85)),
            Scope { categories: vec![1000], ..Default::default() },
        ),
        act(
            2,
            ActivityKind::FirstOrder(PriceRule::FixedPerSku(vec![(101, Money::from_fen(990))])),
            Scope { skus: vec![101], ..Default::default() },
        ),
        act(
            3,
            ActivityKind::Newcomer { days: 7, rule: PriceRule::Percent(90) },
            Scope { categories: vec![1001], ..Default::default() },
        ),
        act(
            4,
            ActivityKind::FullReduction {
                tiers: vec![
                    (Money::from_fen(20000), Money::from_fen(2000)),
                    (Money::from_fen(40000), Money::from_fen(5000)),
                ],
                repeat: false,
            },
            scope_all(),
        ),
        act(
            5,
            ActivityKind::FullDiscount { tiers: vec![(Money::from_fen(10000), 95)] },
            Scope { categories: vec![1002], ..Default::default() },
        ),
    ];
    let wallet: Vec<Coupon> = (0..10)
        .map(|i| Coupon {
            id: 500 + i,
            name: format!("券{i}"),
            kind: match i % 3 {
                0 => CouponKind::AmountOff {
                    threshold: Money::from_fen(10000 * (i + 1)),
                    off: Money::from_fen(1000 + 500 * i),
                },
                1 => CouponKind::PercentOff {
                    threshold: Money::from_fen(5000),
                    percent: 90 - i as u32,
                    cap: Money::from_fen(3000),
                },
                _ => CouponKind::AmountOff { threshold: Money::ZERO, off: Money::from_fen(300 + 100 * i) },
            },
            scope: if i % 4 == 0 { Scope { categories: vec![1001], ..Default::default() } } else { scope_all() },
            valid_from_ms: NOW - DAY,
            valid_until_ms: NOW + DAY,
            usable: true,
        })
        .collect();
    let freight = FreightTemplate {
        id: 1,
        name: "标准".into(),
        mode: FreightMode::ByPiece,
        default_rule: FreightRule {
            first_units: 1,
            first_fee: Money::from_fen(800),
            additional_units: 1,
            additional_fee: Money::from_fen(200),
        },
        regions: vec![(
            vec!["新疆".into()],
            FreightRule {
                first_units: 1,
                first_fee: Money::from_fen(2000),
                additional_units: 1,
                additional_fee: Money::from_fen(800),
            },
        )],
        free_over: Some(Money::from_fen(99_900)),
        no_delivery: vec![],
    };
    let input = QuoteInput {
        lines,
        buyer: BuyerContext {
            buyer_id: 1,
            registered_at_ms: NOW - 2 * DAY,
            points_balance: 50_000,
            ..Default::default()
        },
        activities,
        coupons: vec![wallet[3].clone()],
        points_to_use: 3000,
        points_rule: Some(PointsRule { points_per_yuan: 100, max_share_pct: 50 }),
        province: Some("浙江省".into()),
        freight_templates: vec![freight],
        default_freight_template_id: Some(1),
        now_ms: NOW,
    };
    (input, wallet)
}

fn bench(c: &mut Criterion) {
    let (input, wallet) = input();
    let q = quote(&input);
    assert!(q.payable.fen() > 0 && !q.steps.is_empty());
    c.bench_function("quote 10 lines, 5 activities, coupon, points, shipping", |b| b.iter(|| quote(black_box(&input))));
    c.bench_function("best coupon of 10 for the same cart", |b| {
        b.iter(|| best_coupon(black_box(&input), black_box(&wallet)))
    });
    c.bench_function("checkout quote: best coupon then quote with it", |b| {
        b.iter(|| {
            let best = best_coupon(black_box(&input), black_box(&wallet));
            black_box(best.map(|(_, q)| q.payable))
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
