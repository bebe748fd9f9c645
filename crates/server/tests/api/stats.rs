//! Dashboard and finance figures against a direct recount: 10,000 orders over 40 days written straight into
//! the database (paid and unpaid, refunded on later days, buyers who pay on several days).

use reqwest::StatusCode;

use crate::helpers::*;
use crate::suite;

const DAY_MS: i64 = 86_400_000;

/// A small deterministic generator.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: i64) -> i64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 11) % n as u64) as i64
    }
}

/// Writes `n` orders over the last `days` days: 80 % paid (with a succeeded payment and a fee), 10 % of those
/// refunded on a later day (a few refunds still pending), buyers drawn from 150.
async fn generate(store: &minimall_store::Store, n: i64, days: i64) {
    let merchant = store.default_merchant().await.unwrap().id;
    let buyers: Vec<(i64,)> =
        sqlx::query_as("SELECT id FROM buyers ORDER BY id LIMIT 150").fetch_all(store.reader()).await.unwrap();
    assert_eq!(buyers.len(), 150);
    let now = minimall_store::now_ms() - 60_000;
    let mut rng = Lcg(21);
    let mut orders = Vec::new();
    for i in 0..n {
        let created = now - rng.next(days * DAY_MS);
        let paid = rng.next(10) < 8;
        let payable = 100 + rng.next(100_000);
        let refund = if paid && rng.next(10) == 0 {
            let at = (created + rng.next(5 * DAY_MS)).min(now);
            Some((1 + rng.next(payable), at, rng.next(8) != 0))
        } else {
            None
        };
        let buyer = buyers[rng.next(150) as usize].0;
        orders.push((i, created, paid, payable, refund, buyer));
    }
    for chunk in orders.chunks(400) {
        let mut tx = store.begin().await.unwrap();
        let mut sql = String::from(
            "INSERT INTO orders (merchant_id, order_no, buyer_id, status, list_total, goods_total, order_discount, \
             coupon_discount, points_used, points_discount, shipping, payable, refunded_amount, pay_deadline, paid_at, \
             created_at, updated_at) VALUES ",
        );
        for (k, (i, created, paid, payable, refund, buyer)) in chunk.iter().enumerate() {
            let refunded = refund.filter(|r| r.2).map(|r| r.0).unwrap_or(0);
            let status = if *paid { "completed" } else { "cancelled" };
            let paid_at = if *paid { created.to_string() } else { "NULL".into() };
            if k > 0 {
                sql.push(',');
            }
            sql.push_str(&format!(
                "({merchant}, 'GEN{i:08}', {buyer}, '{status}', {payable}, {payable}, 0, 0, 0, 0, 0, {payable}, \
                 {refunded}, {created}, {paid_at}, {created}, {created})"
            ));
        }
        sqlx::query(&sql).execute(&mut *tx).await.unwrap();
        let ids: Vec<(i64, String)> =
            sqlx::query_as("SELECT id, order_no FROM orders WHERE order_no >= $1 AND order_no <= $2")
                .bind(format!("GEN{:08}", chunk[0].0))
                .bind(format!("GEN{:08}", chunk[chunk.len() - 1].0))
                .fetch_all(&mut *tx)
                .await
                .unwrap();
        let id_of = |i: i64| ids.iter().find(|(_, no)| *no == format!("GEN{i:08}")).unwrap().0;
        let paid: Vec<_> = chunk.iter().filter(|o| o.2).collect();
        let mut sql = String::from(
            "INSERT INTO payments (merchant_id, order_id, provider, out_trade_no, amount, fee, status, created_at, \
             succeeded_at) VALUES ",
        );
        for (k, (i, created, _, payable, _, _)) in paid.iter().enumerate() {
            if k > 0 {
                sql.push(',');
            }
            let fee = payable * 6 / 1000;
            sql.push_str(&format!(
                "({merchant}, {}, 'sandbox', 'GENP{i:08}', {payable}, {fee}, 'succeeded', {created}, {created})",
                id_of(*i)
            ));
        }
        sqlx::query(&sql).execute(&mut *tx).await.unwrap();
        for (i, _, _, _, refund, _) in paid.iter().filter(|o| o.4.is_some()) {
            let (amount, at, done) = refund.unwrap();
            let order_id = id_of(*i);
            let (payment_id,): (i64,) = sqlx::query_as("SELECT id FROM payments WHERE order_id = $1")
                .bind(order_id)
                .fetch_one(&mut *tx)
                .await
                .unwrap();
            sqlx::query(
                "INSERT INTO refunds (merchant_id, order_id, payment_id, out_refund_no, amount, reason, status, \
                 created_at, succeeded_at) VALUES ($1, $2, $3, $4, $5, 'test', $6, $7, $8)",
            )
            .bind(merchant)
            .bind(order_id)
            .bind(payment_id)
            .bind(format!("GENR{i:08}"))
            .bind(amount)
            .bind(if done { "succeeded" } else { "pending" })
            .bind(at)
            .bind(if done { Some(at) } else { None })
            .execute(&mut *tx)
            .await
            .unwrap();
        }
        minimall_store::commit(tx).await.unwrap();
    }
}

/// (count, sum, distinct) of a recount query over `[from, to)`.
async fn recount(store: &minimall_store::Store, sql: &str, from: i64, to: i64) -> (i64, i64, i64) {
    sqlx::query_as(sql).bind(from).bind(to).fetch_one(store.reader()).await.unwrap()
}

const PAID: &str = "SELECT COUNT(*), CAST(COALESCE(SUM(payable), 0) AS BIGINT), COUNT(DISTINCT buyer_id) FROM orders \
                    WHERE paid_at IS NOT NULL AND paid_at >= $1 AND paid_at < $2";
const RECEIVED: &str =
    "SELECT CAST(COALESCE(SUM(fee), 0) AS BIGINT), CAST(COALESCE(SUM(amount), 0) AS BIGINT), COUNT(*) \
                        FROM payments WHERE status = 'succeeded' AND succeeded_at >= $1 AND succeeded_at < $2";
const REFUNDED: &str = "SELECT COUNT(*), CAST(COALESCE(SUM(amount), 0) AS BIGINT), COUNT(*) FROM refunds \
                        WHERE status = 'succeeded' AND succeeded_at >= $1 AND succeeded_at < $2";

suite!(dashboard_and_finance_match_a_recount, |b| async move {
    let app = TestApp::spawn(b).await;
    let store = app.store();
    let started = std::time::Instant::now();
    generate(store, 10_000, 40).await;
    eprintln!("generated 10,000 orders in {:?}", started.elapsed());
    let owner = app.admin_login("admin").await;
    let today = beijing_day(minimall_store::now_ms());

    // Dashboard: each of the 7 days, today, and the week with each buyer counted once.
    let started = std::time::Instant::now();
    let (s, dash) = body(app.get("/api/v1/admin/stats/dashboard", Some(&owner)).await).await;
    eprintln!("dashboard figures in {:?}", started.elapsed());
    assert_eq!(s, StatusCode::OK, "{dash}");
    let days = dash["days"].as_array().unwrap();
    assert_eq!(days.len(), 7);
    let mut daily_buyers = 0;
    for (i, d) in days.iter().enumerate() {
        let day = today - 6 + i as i64;
        let (n, gmv, buyers) = recount(store, PAID, day_start(day), day_start(day + 1)).await;
        assert!(n > 0, "every day has paid orders");
        assert_eq!((d["paid_orders"].as_i64(), d["gmv"].as_i64()), (Some(n), Some(gmv)), "day {i}: {d}");
        assert_eq!(d["paying_buyers"].as_i64(), Some(buyers), "day {i}: {d}");
        assert_eq!(d["average_order_value"].as_i64(), Some(gmv / n), "day {i}: {d}");
        daily_buyers += buyers;
    }
    assert_eq!(dash["today"], days[6]);
    let (n, gmv, buyers) = recount(store, PAID, day_start(today - 6), day_start(today + 1)).await;
    let week = &dash["week"];
    assert_eq!(week["paid_orders"].as_i64(), Some(n));
    assert_eq!(week["gmv"].as_i64(), Some(gmv));
    assert_eq!(week["paying_buyers"].as_i64(), Some(buyers), "buyers over the week, each once");
    assert_eq!(week["average_order_value"].as_i64(), Some(gmv / n));
    assert!(buyers < daily_buyers, "buyers paid on several days ({buyers} vs {daily_buyers} summed by day)");

    // Finance: 30 days, newest first; refunds on the day they succeeded.
    let started = std::time::Instant::now();
    let (s, fin) = body(app.get("/api/v1/admin/stats/finance", Some(&owner)).await).await;
    eprintln!("finance figures in {:?}", started.elapsed());
    assert_eq!(s, StatusCode::OK, "{fin}");
    let fdays = fin["days"].as_array().unwrap();
    assert_eq!(fdays.len(), 30);
    let mut totals = [0i64; 5];
    let mut refund_days_differ = false;
    for (i, d) in fdays.iter().enumerate() {
        let day = today - i as i64;
        let (from, to) = (day_start(day), day_start(day + 1));
        let (fee, received, _) = recount(store, RECEIVED, from, to).await;
        let (_, refunded, _) = recount(store, REFUNDED, from, to).await;
        let (paid_orders, _, _) = recount(store, PAID, from, to).await;
        // What the page showed before: refunds booked on the day their order was paid.
        let (old,): (i64,) = sqlx::query_as(
            "SELECT CAST(COALESCE(SUM(refunded_amount), 0) AS BIGINT) FROM orders WHERE paid_at >= $1 AND paid_at < $2",
        )
        .bind(from)
        .bind(to)
        .fetch_one(store.reader())
        .await
        .unwrap();
        refund_days_differ |= old != refunded;
        let want = [received, fee, refunded, received - fee - refunded, paid_orders];
        let got: Vec<i64> =
            ["received", "fee", "refunded", "net", "paid_orders"].iter().map(|k| d[*k].as_i64().unwrap()).collect();
        assert_eq!(got, want, "day -{i}: {d}");
        assert!(received > 0 && paid_orders > 0, "day -{i}");
        for (t, w) in totals.iter_mut().zip(want) {
            *t += w;
        }
    }
    assert!(refund_days_differ, "refunds succeed on other days than their orders were paid");
    let total: Vec<i64> = ["received", "fee", "refunded", "net", "paid_orders"]
        .iter()
        .map(|k| fin["total"][*k].as_i64().unwrap())
        .collect();
    assert_eq!(total, totals.to_vec());
    let (fee, received, _) = recount(store, RECEIVED, day_start(today - 29), day_start(today + 1)).await;
    assert_eq!((total[0], total[1]), (received, fee));

    // The console pages show the same figures.
    let cookie = format!("mm_admin={owner}");
    let page = |path: &'static str| {
        let (app, cookie) = (&app, cookie.clone());
        async move {
            app.client
                .get(format!("{}{}", app.base, path))
                .header("cookie", cookie)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    let yuan = |fen: i64| format!("{}.{:02}", fen / 100, fen % 100);
    let html = page("/admin").await;
    assert!(html.contains(&format!("近7天 {}", week["paying_buyers"])), "week buyers on the dashboard");
    assert!(html.contains(&yuan(gmv)), "week GMV on the dashboard");
    let html = page("/admin/finance").await;
    assert!(html.contains(&yuan(fdays[3]["refunded"].as_i64().unwrap())));

    // Who may read them.
    for (user, dashboard, finance) in
        [("operator", true, false), ("finance", true, true), ("service", true, false), ("clerk", false, false)]
    {
        let t = app.admin_login(user).await;
        let want = |ok| if ok { StatusCode::OK } else { StatusCode::FORBIDDEN };
        assert_eq!(app.get("/api/v1/admin/stats/dashboard", Some(&t)).await.status(), want(dashboard), "{user}");
        assert_eq!(app.get("/api/v1/admin/stats/finance", Some(&t)).await.status(), want(finance), "{user}");
    }
});
