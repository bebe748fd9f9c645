//! The journal's invariants over random shop histories, through the HTTP API: a deterministic seeded generator
//! plays orders (two products, with and without coupons and points), payments, partial refunds, shipments and
//! completions (which grant points), cancellations and points given and taken by the console. After every step
//! the trial balance is zero per unit, every sub-ledger equals its control account and no account that may not
//! go negative is below zero; at the end every posting balances per unit and the running totals equal a
//! recount of the entries.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;
use crate::suite;

/// A small deterministic generator (SplitMix64): the same seed plays the same history on both databases.
struct Rng(u64);

impl Rng {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % n
    }
}

#[derive(Debug, Clone)]
struct Order {
    id: i64,
    buyer: usize,
    /// (line id, units bought, units refunded or asked back)
    lines: Vec<(i64, i64, i64)>,
    status: &'static str,
}

struct World {
    app: TestApp,
    op: String,
    finance: String,
    buyers: Vec<(String, i64, i64)>,
    skus: Vec<i64>,
    coupon_template: i64,
    orders: Vec<Order>,
    keys: u64,
}

impl World {
    fn key(&mut self) -> String {
        self.keys += 1;
        format!("prop-{}", self.keys)
    }

    async fn wait_status(&self, buyer: usize, id: i64, want: &str) {
        let t = self.buyers[buyer].0.clone();
        eventually(20, || {
            let t = t.clone();
            async move {
                let (_, o) = body(self.app.get(&format!("/api/v1/shop/orders/{id}"), Some(&t)).await).await;
                (o["status"] == want).then_some(())
            }
        })
        .await;
    }

    async fn place(&mut self, rng: &mut Rng) {
        let b = rng.next(self.buyers.len() as u64) as usize;
        let token = self.buyers[b].0.clone();
        let mut items = vec![json!({"sku_id": self.skus[0], "quantity": 1 + rng.next(3)})];
        if rng.next(2) == 0 {
            items.push(json!({"sku_id": self.skus[1], "quantity": 1 + rng.next(2)}));
        }
        let mut req = json!({"items": items, "address_id": self.buyers[b].2});
        if rng.next(3) == 0 {
            let (st, c) = body(
                self.app
                    .post(
                        &format!("/api/v1/shop/coupon-templates/{}/claim", self.coupon_template),
                        Some(&token),
                        &json!({}),
                    )
                    .await,
            )
            .await;
            if st.is_success() {
                req["coupon_ids"] = json!([c["id"]]);
            }
        }
        if rng.next(3) == 0 {
            req["points"] = json!(100 * (1 + rng.next(20)));
        }
        let key = self.key();
        let (st, o) = body(
            self.app
                .req(Method::POST, "/api/v1/shop/orders", Some(&token))
                .header("Idempotency-Key", key)
                .json(&req)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(st, StatusCode::CREATED, "{req} → {o}");
        let id = o["id"].as_i64().unwrap();
        let lines = o["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| (l["id"].as_i64().unwrap(), l["quantity"].as_i64().unwrap(), 0))
            .collect();
        let mut order = Order { id, buyer: b, lines, status: "to_pay" };
        if rng.next(4) != 0 {
            let (st, pay) = body(
                self.app
                    .post(&format!("/api/v1/shop/orders/{id}/pay"), Some(&token), &json!({"provider": "sandbox"}))
                    .await,
            )
            .await;
            assert_eq!(st, StatusCode::OK, "{pay}");
            self.app.post(pay["sandbox_complete_url"].as_str().unwrap(), Some(&token), &json!({})).await;
            self.wait_status(b, id, "to_ship").await;
            order.status = "to_ship";
        }
        self.orders.push(order);
    }

    fn pick(&self, rng: &mut Rng, status: &str) -> Option<usize> {
        let found: Vec<usize> = (0..self.orders.len()).filter(|i| self.orders[*i].status == status).collect();
        (!found.is_empty()).then(|| found[rng.next(found.len() as u64) as usize])
    }

    async fn cancel(&mut self, rng: &mut Rng) {
        let Some(i) = self.pick(rng, "to_pay") else { return };
        let o = self.orders[i].clone();
        let t = self.buyers[o.buyer].0.clone();
        let (st, v) =
            body(self.app.post(&format!("/api/v1/shop/orders/{}/cancel", o.id), Some(&t), &json!({})).await).await;
        assert_eq!(st, StatusCode::OK, "{v}");
        self.orders[i].status = "cancelled";
    }

    /// A refund of one or two units of one line of a paid order, leaving at least one unit in the order.
    async fn refund(&mut self, rng: &mut Rng) {
        let Some(i) = self.pick(rng, "to_ship") else { return };
        let o = self.orders[i].clone();
        let kept: i64 = o.lines.iter().map(|l| l.1 - l.2).sum();
        let Some(li) = (0..o.lines.len()).find(|j| o.lines[*j].1 - o.lines[*j].2 >= 1 && kept >= 2) else { return };
        let (line, bought, back) = o.lines[li];
        let units = (1 + rng.next(2) as i64).min(bought - back).min(kept - 1);
        let t = self.buyers[o.buyer].0.clone();
        let (st, a) = body(
            self.app
                .post(
                    &format!("/api/v1/shop/orders/{}/aftersales", o.id),
                    Some(&t),
                    &json!({"kind": "refund_only", "lines": [{"line_id": line, "quantity": units}], "reason": "不想要了"}),
                )
                .await,
        )
        .await;
        if st == StatusCode::CONFLICT {
            return; // one after-sales request at a time per order
        }
        assert_eq!(st, StatusCode::CREATED, "{a}");
        let (st, done) = body(
            self.app.post(&format!("/api/v1/admin/aftersales/{}/approve", a["id"]), Some(&self.op), &json!({})).await,
        )
        .await;
        assert_eq!(st, StatusCode::OK, "{done}");
        let store = self.app.store();
        let want = done["amount"].as_i64().unwrap();
        eventually(20, || async {
            let r = store.refunds_of(minimall_core::OrderId::new(o.id)).await.unwrap();
            r.iter()
                .any(|r| {
                    r.status == "succeeded" && r.amount == want && r.out_refund_no.ends_with(&format!("A{}", a["id"]))
                })
                .then_some(())
        })
        .await;
        self.orders[i].lines[li].2 += units;
    }

    async fn complete(&mut self, rng: &mut Rng) {
        let Some(i) = self.pick(rng, "to_ship") else { return };
        let o = self.orders[i].clone();
        let t = self.buyers[o.buyer].0.clone();
        let (st, v) = body(
            self.app
                .post(
                    &format!("/api/v1/admin/orders/{}/ship", o.id),
                    Some(&self.op),
                    &json!({"carrier": "顺丰速运", "tracking_no": format!("SF{}", o.id), "cost": 800 + rng.next(800)}),
                )
                .await,
        )
        .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        let (st, v) =
            body(self.app.post(&format!("/api/v1/shop/orders/{}/receive", o.id), Some(&t), &json!({})).await).await;
        assert_eq!(st, StatusCode::OK, "{v}");
        self.wait_status(o.buyer, o.id, "completed").await;
        self.orders[i].status = "completed";
    }

    async fn adjust_points(&mut self, rng: &mut Rng) {
        let b = rng.next(self.buyers.len() as u64) as usize;
        let delta = rng.next(700) as i64 - 200;
        let (st, v) = body(
            self.app
                .post(
                    &format!("/api/v1/admin/members/{}/points", self.buyers[b].1),
                    Some(&self.op),
                    &json!({"delta": if delta == 0 { 1 } else { delta }, "reason": "随机调整"}),
                )
                .await,
        )
        .await;
        // Taking more than the buyer has is refused and changes nothing.
        assert!(
            st == StatusCode::OK || st == StatusCode::CONFLICT || st == StatusCode::UNPROCESSABLE_ENTITY,
            "{st} {v}"
        );
    }

    /// The trial balance is zero per unit, no account that may not go negative is, and every sub-ledger
    /// equals its control account.
    async fn check(&self, step: usize) {
        let (st, tb) = body(self.app.get("/api/v1/admin/ledger/trial-balance", Some(&self.finance)).await).await;
        assert_eq!(st, StatusCode::OK, "{tb}");
        assert_eq!(
            (tb["fen_difference"].as_i64(), tb["points_difference"].as_i64()),
            (Some(0), Some(0)),
            "step {step}: {tb}"
        );
        for a in tb["accounts"].as_array().unwrap() {
            if a["may_go_negative"] == false {
                assert!(a["balance"].as_i64().unwrap() >= 0, "step {step}: {a}");
            }
        }
        let (st, subs) = body(self.app.get("/api/v1/admin/ledger/sub-ledgers", Some(&self.finance)).await).await;
        assert_eq!(st, StatusCode::OK, "{subs}");
        assert_eq!(subs["all_agree"], true, "step {step}: {subs}");
    }
}

async fn world(b: Backend) -> World {
    let db = TestDb::new(b).await;
    let mut cfg = test_config(&db.url);
    cfg.orders.sandbox_notify_delay_ms = 10;
    cfg.orders.aftersale_days = 0;
    let app = TestApp::spawn_with(db, cfg, true).await;
    let op = app.admin_login("operator").await;
    let owner = app.admin_login("admin").await;
    let finance = app.admin_login("finance").await;
    let (_, c) = body(app.post("/api/v1/admin/categories", Some(&op), &json!({"name": "茶具"})).await).await;
    let mut skus = Vec::new();
    for (code, price, cost) in [("POT", 12_345, 5_010), ("CUP", 3_990, 1_200)] {
        let (st, p) = body(
            app.post_idem(
                "/api/v1/admin/products",
                Some(&owner),
                &json!({
                    "product": {"code": code, "category_id": c["id"], "title": format!("茶具{code}"), "on_shelf": true},
                    "skus": [{"code": format!("{code}-1"), "stock": 1000, "original_price": price, "sale_price": price, "cost_price": cost}]
                }),
            )
            .await,
        )
        .await;
        assert_eq!(st, StatusCode::CREATED, "{p}");
        skus.push(p["product"]["skus"][0]["id"].as_i64().unwrap());
    }
    let (st, tpl) = body(
        app.post(
            "/api/v1/admin/coupons",
            Some(&op),
            &json!({"name": "减7.77", "kind": "amount_off", "amount_off": 777, "scope": {"all": true}, "valid_days": 3}),
        )
        .await,
    )
    .await;
    assert!(st.is_success(), "{tpl}");
    let mut buyers = Vec::new();
    for i in 0..3 {
        let t = app.buyer_login(&format!("prop-buyer-{i}")).await;
        let (_, me) = body(app.get("/api/v1/shop/me", Some(&t)).await).await;
        let (_, a) = body(app.post("/api/v1/shop/addresses", Some(&t), &json!({"name": "赵六", "phone": "13900001111", "province": "浙江省", "city": "杭州市", "district": "西湖区", "detail": "2号"})).await).await;
        buyers.push((t, me["id"].as_i64().unwrap(), a["id"].as_i64().unwrap()));
    }
    World { app, op, finance, buyers, skus, coupon_template: tpl["id"].as_i64().unwrap(), orders: Vec::new(), keys: 0 }
}

/// Every posting balances per unit (all pages), and the running totals equal a recount of the entries.
async fn every_posting_balances(w: &World) {
    let mut page = 1;
    let mut seen = 0;
    loop {
        let (st, v) = body(
            w.app.get(&format!("/api/v1/admin/ledger/postings?page={page}&page_size=100"), Some(&w.finance)).await,
        )
        .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        let items = v["items"].as_array().unwrap();
        for p in items {
            for unit in ["fen", "points"] {
                let sum: i64 = p["entries"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|e| e["unit"] == unit)
                    .map(|e| e["amount"].as_i64().unwrap())
                    .sum();
                assert_eq!(sum, 0, "{unit} entries of {p}");
            }
        }
        seen += items.len();
        if items.len() < 100 {
            break;
        }
        page += 1;
    }
    assert!(seen > 10, "the history posted: {seen} postings");
    let merchant = w.app.store().default_merchant().await.unwrap().id;
    let running = w.app.store().journal_balances(merchant).await.unwrap();
    let recount = w.app.store().journal_recount(merchant).await.unwrap();
    for (r, x) in running.iter().zip(&recount) {
        assert_eq!((r.account.as_str(), r.debits, r.credits), (x.account.as_str(), x.debits, x.credits));
    }
}

suite!(random_histories_keep_the_books_balanced_and_every_sub_ledger_equal_to_its_control, |b| async move {
    let mut w = world(b).await;
    for seed in [23_u64, 2026] {
        let mut rng = Rng(seed);
        for step in 0..24 {
            match rng.next(10) {
                0..=3 => w.place(&mut rng).await,
                4 => w.cancel(&mut rng).await,
                5 | 6 => w.refund(&mut rng).await,
                7 | 8 => w.complete(&mut rng).await,
                _ => w.adjust_points(&mut rng).await,
            }
            w.check(step).await;
        }
    }
    let kinds = |s: &str| w.orders.iter().filter(|o| o.status == s).count();
    assert!(kinds("completed") + kinds("to_ship") > 0, "some orders were paid: {:?}", w.orders);
    every_posting_balances(&w).await;
});
