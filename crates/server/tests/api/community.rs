//! Community groups (社群) through the API: groups with their owner (an active promoter) and join link, who may
//! manage and read them, members joining and leaving (bound to the owner), coupons for members only (the coupon
//! centre neither lists nor gives them), pushes, closing a group, and figures equal to a recount of the orders
//! members placed while members.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::analytics::product;
use crate::distribution::{become_promoter, paid_order};
use crate::helpers::*;
use crate::suite;

async fn audits(app: &TestApp, action: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_log WHERE action = $1")
        .bind(action)
        .fetch_one(app.store().reader())
        .await
        .unwrap();
    n
}

fn reason(v: &Value) -> &Value {
    &v["error"]["reason"]
}

/// Paid orders of members while members, recounted from the rows: (buyers, orders, payable, commission).
async fn recount(app: &TestApp, group: i64) -> (i64, i64, i64, i64) {
    let rows: Vec<(i64, i64, i64, i64, Option<i64>)> = sqlx::query_as(
        "SELECT o.id, o.buyer_id, o.payable, m.joined_at, m.left_at FROM orders o
         JOIN community_members m ON m.buyer_id = o.buyer_id AND m.group_id = $1
         WHERE o.paid_at IS NOT NULL AND o.created_at >= m.joined_at",
    )
    .bind(group)
    .fetch_all(app.store().reader())
    .await
    .unwrap();
    let mut buyers = std::collections::BTreeSet::new();
    let (mut orders, mut payable, mut commission) = (0, 0, 0);
    for (id, buyer, pay, _, left) in rows {
        let (placed,): (i64,) = sqlx::query_as("SELECT created_at FROM orders WHERE id = $1")
            .bind(id)
            .fetch_one(app.store().reader())
            .await
            .unwrap();
        if left.is_some_and(|l| placed >= l) {
            continue;
        }
        buyers.insert(buyer);
        orders += 1;
        payable += pay;
        let c: Vec<(i64, i64)> = sqlx::query_as("SELECT amount, reversed FROM commissions WHERE order_id = $1")
            .bind(id)
            .fetch_all(app.store().reader())
            .await
            .unwrap();
        commission += c.iter().map(|(a, r)| a - r).sum::<i64>();
    }
    (buyers.len() as i64, orders, payable, commission)
}

suite!(community_groups_join_claim_push_and_count_what_members_bought, |b| async move {
    let db = TestDb::new(b).await;
    let mut cfg = test_config(&db.url);
    cfg.orders.sandbox_notify_delay_ms = 10;
    let app = TestApp::spawn_with(db, cfg, true).await;
    let owner = app.admin_login("admin").await;
    let op = app.admin_login("operator").await;
    let service = app.admin_login("service").await;
    let finance = app.admin_login("finance").await;
    let (product_id, sku) = product(&app, &op).await;

    // 20 % of a member's order to the group's owner, as the seeds have it.
    let settings = json!({
        "approval": "manual", "touch": "first", "settle_days": 7,
        "rates": {"direct": {"mode": "percent", "value": 2000}, "leader": {"mode": "percent", "value": 0}},
        "withdrawal_min": 100, "withdrawal_max": 100000
    });
    let (s, v) = body(app.put("/api/v1/admin/distribution/settings", Some(&owner), &settings).await).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let leader = app.buyer_login("comm-leader").await;
    let (_, leader_code) = become_promoter(&app, &leader, &op).await;

    // Who may: the operator manages; service reads; finance and buyers do not.
    let new_group = json!({"name": "阳光小区团购群", "note": "每周二、五到货", "owner_code": leader_code});
    let (s, _) = body(app.post("/api/v1/admin/community-groups", Some(&service), &new_group).await).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = body(app.get("/api/v1/admin/community-groups", Some(&finance)).await).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = body(app.get("/api/v1/admin/community-groups", Some(&leader)).await).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "a buyer's token opens no console route");
    // Bad input names its field.
    let r = app.post("/api/v1/admin/community-groups", Some(&op), &json!({"name": "  "})).await;
    assert_field_error(r, StatusCode::UNPROCESSABLE_ENTITY, "name").await;
    let r = app.post("/api/v1/admin/community-groups", Some(&op), &json!({"name": "群", "owner_code": "NOPE99"})).await;
    assert_field_error(r, StatusCode::UNPROCESSABLE_ENTITY, "owner_code").await;
    let r =
        app.post("/api/v1/admin/community-groups", Some(&op), &json!({"name": "群", "note": "说".repeat(201)})).await;
    assert_field_error(r, StatusCode::UNPROCESSABLE_ENTITY, "note").await;

    let (s, g) = body(app.post("/api/v1/admin/community-groups", Some(&op), &new_group).await).await;
    assert_eq!(s, StatusCode::CREATED, "{g}");
    let gid = g["id"].as_i64().unwrap();
    let code = g["code"].as_str().unwrap().to_string();
    assert_eq!(code.len(), 8);
    assert_eq!(g["owner"]["code"], leader_code.as_str());
    assert_eq!(
        g["join_path"].as_str().unwrap(),
        format!("/community/{code}?ch=community_group&cp={code}&pr={leader_code}")
    );
    let (s, v) = body(app.post("/api/v1/admin/community-groups", Some(&op), &new_group).await).await;
    assert_eq!((s, reason(&v)), (StatusCode::CONFLICT, &json!("community.name_taken")));
    let png = app.get(&format!("/api/v1/admin/community-groups/{gid}/qr.png"), Some(&service)).await;
    assert_eq!(png.status(), StatusCode::OK);
    assert_eq!(png.headers()["content-type"], "image/png");
    assert!(png.bytes().await.unwrap().starts_with(b"\x89PNG"));

    // A coupon for the group's members only: the centre neither lists it nor gives it.
    let (s, t) = body(
        app.post(
            "/api/v1/admin/coupons",
            Some(&op),
            &json!({"name": "群友专享券", "kind": "amount_off", "amount_off": 300, "total_quantity": 50,
                    "per_buyer_limit": 1, "scope": {"all": true}, "valid_days": 30}),
        )
        .await,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let tid = t["id"].as_i64().unwrap();
    let (s, _) = body(
        app.post(
            &format!("/api/v1/admin/community-groups/{gid}/coupons"),
            Some(&service),
            &json!({"template_id": tid}),
        )
        .await,
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let r = app
        .post(&format!("/api/v1/admin/community-groups/{gid}/coupons"), Some(&op), &json!({"template_id": 999_999}))
        .await;
    assert_field_error(r, StatusCode::UNPROCESSABLE_ENTITY, "template_id").await;
    let (s, v) = body(
        app.post(&format!("/api/v1/admin/community-groups/{gid}/coupons"), Some(&op), &json!({"template_id": tid}))
            .await,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v.as_array().unwrap().len(), 1);
    let (_, centre) = body(app.get("/api/v1/shop/coupon-templates?page_size=100", None).await).await;
    assert!(centre["items"].as_array().unwrap().iter().all(|x| x["id"] != tid), "the centre does not list it");

    let m1 = app.buyer_login("comm-m1").await;
    let m2 = app.buyer_login("comm-m2").await;
    let outsider = app.buyer_login("comm-outsider").await;
    let (s, v) =
        body(app.post(&format!("/api/v1/shop/coupon-templates/{tid}/claim"), Some(&outsider), &json!({})).await).await;
    assert_eq!((s, reason(&v)), (StatusCode::FORBIDDEN, &json!("community.members_only")));
    let claim = format!("/api/v1/shop/community-groups/{code}/coupons/{tid}/claim");
    let (s, v) = body(app.post(&claim, Some(&outsider), &json!({})).await).await;
    assert_eq!((s, reason(&v)), (StatusCode::FORBIDDEN, &json!("community.not_member")));

    // Joining: once at a time; a member is bound to the owner.
    let join = format!("/api/v1/shop/community-groups/{code}/membership");
    let (s, v) = body(app.post(&join, Some(&m1), &json!({})).await).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert!(v["joined_at"].as_i64().is_some());
    assert_eq!(v["owner"], "c**", "the owner's nickname is masked: {v}");
    let (s, v) = body(app.post(&join, Some(&m1), &json!({})).await).await;
    assert_eq!((s, reason(&v)), (StatusCode::CONFLICT, &json!("community.already_member")));
    let (_, centre_m1) = body(app.get("/api/v1/shop/promoter", Some(&m1)).await).await;
    assert_eq!(centre_m1["bound_to"]["code"], leader_code.as_str(), "{centre_m1}");
    let (s, v) = body(app.get("/api/v1/shop/community-groups/ZZZZZZZZ", Some(&m1)).await).await;
    assert_eq!((s, reason(&v)), (StatusCode::NOT_FOUND, &json!("community.unknown_group")));
    let (s, v) = body(app.get("/api/v1/shop/community-groups/bad", Some(&m1)).await).await;
    assert_eq!((s, reason(&v)), (StatusCode::NOT_FOUND, &json!("community.unknown_group")));

    // A member claims the group's coupon once.
    let (s, c) = body(app.post(&claim, Some(&m1), &json!({})).await).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let (s, v) = body(app.post(&claim, Some(&m1), &json!({})).await).await;
    assert_eq!((s, v["error"]["code"].clone()), (StatusCode::CONFLICT, json!("limit_reached")), "{v}");

    // Orders: m1 and m2 buy as members; m2 leaves and buys again; the outsider buys. Two orders count.
    paid_order(&app, &m1, sku, 2, "comm-o1").await;
    let (s, _) = body(app.post(&join, Some(&m2), &json!({})).await).await;
    assert_eq!(s, StatusCode::CREATED);
    paid_order(&app, &m2, sku, 1, "comm-o2").await;
    let r = app.req(reqwest::Method::DELETE, &join, Some(&m2)).send().await.unwrap();
    let (s, v) = body(r).await;
    assert_eq!((s, v["joined_at"].clone()), (StatusCode::OK, Value::Null), "{v}");
    let r = app.req(reqwest::Method::DELETE, &join, Some(&m2)).send().await.unwrap();
    let (s, v) = body(r).await;
    assert_eq!((s, reason(&v)), (StatusCode::FORBIDDEN, &json!("community.not_member")));
    paid_order(&app, &m2, sku, 1, "comm-o3").await;
    paid_order(&app, &outsider, sku, 3, "comm-o4").await;

    let (s, g) = body(app.get(&format!("/api/v1/admin/community-groups/{gid}"), Some(&op)).await).await;
    assert_eq!(s, StatusCode::OK, "{g}");
    let f = &g["figures"];
    let (buyers, orders, gmv, commission) = recount(&app, gid).await;
    assert_eq!((buyers, orders), (2, 2), "two members' orders count, the third and the outsider's do not");
    assert_eq!(f["members"], 1, "m2 left");
    assert_eq!((f["buyers"].as_i64(), f["orders"].as_i64()), (Some(buyers), Some(orders)));
    assert_eq!((f["gmv"].as_i64(), f["commission"].as_i64()), (Some(gmv), Some(commission)));
    assert!(commission > 0, "the owner earns on members' orders");
    // The service desk sees counts but no money.
    let (_, gs) = body(app.get(&format!("/api/v1/admin/community-groups/{gid}"), Some(&service)).await).await;
    assert_eq!((gs["figures"]["orders"].as_i64(), &gs["figures"]["gmv"]), (Some(2), &Value::Null));
    let (_, list) = body(app.get("/api/v1/admin/community-groups?status=active", Some(&op)).await).await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["figures"]["orders"], 2);
    let r = app.get("/api/v1/admin/community-groups?status=gone", Some(&op)).await;
    assert_field_error(r, StatusCode::UNPROCESSABLE_ENTITY, "status").await;
    let (_, members) = body(app.get(&format!("/api/v1/admin/community-groups/{gid}/members"), Some(&op)).await).await;
    assert_eq!(members["total"], 2);
    assert_eq!(members["items"][0]["left_at"], Value::Null, "current members first");
    assert_eq!(members["items"][1]["orders"], 1, "m2's order after leaving does not count");

    // Pushes: a product on shelf; an unknown one names the field; members read them with the group's link.
    let push = format!("/api/v1/admin/community-groups/{gid}/pushes");
    let r = app.post(&push, Some(&op), &json!({"kind": "product", "target_id": 999_999})).await;
    assert_field_error(r, StatusCode::UNPROCESSABLE_ENTITY, "target_id").await;
    let r = app.post(&push, Some(&op), &json!({"kind": "banner", "target_id": 1})).await;
    assert!(r.status().is_client_error());
    let (s, _) =
        body(app.post(&push, Some(&service), &json!({"kind": "product", "target_id": product_id})).await).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, p) = body(
        app.post(&push, Some(&op), &json!({"kind": "product", "target_id": product_id, "note": "今晚八点开抢"})).await,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    assert_eq!(p["title"], "赣南脐橙");
    assert_eq!(p["path"].as_str().unwrap(), format!("/p/{product_id}?ch=community_group&cp={code}&pr={leader_code}"));
    let (s, p) = body(app.post(&push, Some(&op), &json!({"kind": "coupon", "target_id": tid})).await).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let (_, seen) = body(app.get(&format!("/api/v1/shop/community-groups/{code}"), Some(&m1)).await).await;
    assert_eq!(seen["pushes"]["total"], 2);
    assert_eq!(seen["pushes"]["items"][1]["note"], "今晚八点开抢");
    assert_eq!(seen["coupons"][0]["id"], tid);
    let (_, mine) = body(app.get("/api/v1/shop/community-groups", Some(&m1)).await).await;
    assert_eq!((mine["total"].as_i64(), &mine["items"][0]["code"]), (Some(1), &json!(code)));
    let (_, theirs) = body(app.get("/api/v1/shop/community-groups", Some(&m2)).await).await;
    assert_eq!(theirs["total"], 0);

    // Unlinked, the coupon is the centre's again.
    let r = app
        .req(reqwest::Method::DELETE, &format!("/api/v1/admin/community-groups/{gid}/coupons/{tid}"), Some(&op))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let (_, centre) = body(app.get("/api/v1/shop/coupon-templates?page_size=100", None).await).await;
    assert!(centre["items"].as_array().unwrap().iter().any(|x| x["id"] == tid));

    // Closed: nobody joins, nothing is pushed; its figures stay.
    let closed = json!({"name": "阳光小区团购群", "owner_code": leader_code, "status": "closed"});
    let (s, v) = body(app.put(&format!("/api/v1/admin/community-groups/{gid}"), Some(&op), &closed).await).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!((v["status"].as_str(), v["figures"]["orders"].as_i64()), (Some("closed"), Some(2)));
    let (s, v) = body(app.post(&join, Some(&outsider), &json!({})).await).await;
    assert_eq!((s, reason(&v)), (StatusCode::CONFLICT, &json!("community.closed")));
    let (s, v) = body(app.post(&push, Some(&op), &json!({"kind": "product", "target_id": product_id})).await).await;
    assert_eq!((s, reason(&v)), (StatusCode::CONFLICT, &json!("community.closed")));

    for (action, n) in [
        ("community.create", 1),
        ("community.coupon_link", 1),
        ("community.coupon_unlink", 1),
        ("community.push", 2),
        ("community.update", 1),
    ] {
        assert_eq!(audits(&app, action).await, n, "{action}");
    }

    // The pages: the console's list and the group's page, the buyer's group page and 我的社群.
    let r = app.get("/admin/community", Some(&op)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("阳光小区团购群"));
    let r = app.get(&format!("/admin/community/{gid}"), Some(&op)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    assert!(page.contains(&code) && page.contains("今晚八点开抢"), "{page}");
    assert_eq!(app.get("/admin/community", Some(&finance)).await.status(), StatusCode::FORBIDDEN);
    let r = app.get(&format!("/community/{code}"), Some(&m1)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("阳光小区团购群"));
});
