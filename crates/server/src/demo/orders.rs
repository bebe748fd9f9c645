//! Demo orders: a few hundred past orders over the last 30 days in every state, paid through the sandbox,
//! so that lists, timelines and later dashboards have data.

use minimall_core::orders::OrderEvent;
use minimall_core::MerchantId;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::orders::{self as ord, Checkout};
use crate::promotions::pricing::{self, CartItem};
use crate::state::AppState;
use minimall_store::orders::OrderScope;

const DAY: i64 = 86_400_000;

pub async fn seed(st: &AppState, count: usize) -> anyhow::Result<usize> {
    let m = st.merchant_id;
    if count == 0 || st.store.list_orders(m, &Default::default(), 1, 0).await?.total > 0 {
        return Ok(0);
    }
    let buyers = st.store.list_buyers(m, "", 100, 0).await?.items;
    let skus = {
        let mut tx = st.store.begin().await?;
        let s = st.store.sku_ids_for_products_tx(&mut tx, m).await?;
        drop(tx);
        s
    };
    if buyers.is_empty() || skus.is_empty() {
        return Ok(0);
    }
    let mut rng = StdRng::seed_from_u64(30);
    let now = minimall_store::now_ms();
    let mut made = 0;
    for i in 0..count {
        let b = &buyers[i % buyers.len()];
        // An address per buyer.
        let addr = match st.store.addresses(b.id).await?.first() {
            Some(a) => a.clone(),
            None => {
                let mut tx = st.store.begin().await?;
                let a = st
                    .store
                    .insert_address(
                        &mut tx,
                        m,
                        b.id,
                        &minimall_store::addresses::AddressFields {
                            name: b.nickname.clone(),
                            phone: format!("139{:08}", b.id),
                            province: ["浙江省", "广东省", "北京市", "四川省", "上海市"][rng.gen_range(0..5)].into(),
                            city: "市辖区".into(),
                            district: "中心区".into(),
                            detail: format!("幸福路 {} 号", rng.gen_range(1..300)),
                            is_default: true,
                        },
                    )
                    .await?;
                minimall_store::commit(tx).await?;
                a
            }
        };
        let n = rng.gen_range(1..=3);
        let mut items: Vec<CartItem> = Vec::new();
        for _ in 0..n {
            let (sku, _, _) = skus[rng.gen_range(0..skus.len())];
            if !items.iter().any(|x| x.sku_id == sku) {
                items.push(CartItem { sku_id: sku, quantity: rng.gen_range(1..=2) });
            }
        }
        let Ok(priced) = pricing::price_cart(st, m, b.id, &items, &[], 0, Some(addr.province.clone())).await else {
            continue;
        };
        if !priced.quote.blocking.is_empty() {
            continue;
        }
        let address = serde_json::json!({"name": addr.name, "phone": addr.phone, "province": addr.province, "city": addr.city, "district": addr.district, "detail": addr.detail}).to_string();
        let mut tx = st.store.begin().await?;
        let Ok((o, _)) = ord::create(
            st,
            &mut tx,
            &Checkout {
                buyer_id: b.id,
                merchant_id: m,
                priced: &priced,
                coupon_ids: &[],
                address_json: Some(address),
                remark: String::new(),
                pickup: None,
            },
            "{}",
            |_, _, _| Ok(()),
        )
        .await
        else {
            continue;
        };
        let id = o.id;
        let created = now - rng.gen_range(0..30 * DAY);
        minimall_store::commit(tx).await?;
        // 10 % cancelled unpaid, the rest paid and moved along.
        if rng.gen_bool(0.1) {
            ord::cancel_unpaid(st, id.get(), OrderEvent::CancelUnpaidTimeout, "system")
                .await
                .map_err(|e| anyhow::anyhow!(e.to_string()))?;
        } else {
            st.store.ensure_payment(m, id.get(), crate::payments::sandbox::PROVIDER, &o.order_no, o.payable).await?;
            ord::on_paid(
                st,
                crate::payments::sandbox::PROVIDER,
                None,
                &o.order_no,
                &format!("SBX{}", o.order_no),
                o.payable,
            )
            .await
            .map_err(|e| anyhow::anyhow!(e.to_string()))?;
            let stage = rng.gen_range(0..10);
            let o = st.store.order(st.store.reader(), OrderScope::Merchant(MerchantId::new(m)), id).await?;
            let mut tx = st.store.begin().await?;
            if stage >= 3 {
                for l in st.store.order_lines(&mut *tx, id).await? {
                    st.store.ship_line(&mut tx, id, l.id, l.quantity).await?;
                }
                st.store.insert_shipment(&mut tx, m, id, "顺丰速运", &format!("SF{}", 1_000_000 + i), "[]").await?;
                ord::apply_event(
                    st,
                    &mut tx,
                    &o,
                    OrderEvent::ShipAll,
                    Some("shipped_at"),
                    serde_json::json!({}),
                    "demo",
                )
                .await
                .map_err(|e| anyhow::anyhow!(e.to_string()))?;
                let o2 = st.store.order(&mut *tx, OrderScope::Trusted, id).await?;
                if stage >= 6 {
                    ord::apply_event(
                        st,
                        &mut tx,
                        &o2,
                        OrderEvent::ConfirmReceipt,
                        Some("received_at"),
                        serde_json::json!({}),
                        "demo",
                    )
                    .await
                    .map_err(|e| anyhow::anyhow!(e.to_string()))?;
                    let o3 = st.store.order(&mut *tx, OrderScope::Trusted, id).await?;
                    if stage >= 8 {
                        ord::apply_event(
                            st,
                            &mut tx,
                            &o3,
                            OrderEvent::Complete,
                            Some("completed_at"),
                            serde_json::json!({}),
                            "demo",
                        )
                        .await
                        .map_err(|e| anyhow::anyhow!(e.to_string()))?;
                    }
                }
            }
            minimall_store::commit(tx).await?;
        }
        let mut tx = st.store.begin().await?;
        st.store.backdate_order(&mut tx, id.get(), created).await?;
        minimall_store::commit(tx).await?;
        made += 1;
    }
    Ok(made)
}
