//! Demo promotions: a running 限时折扣, a tiered 满减, a first-order price, claimable coupons of each kind,
//! freight templates, and points for the demo buyers.

use minimall_store::promotions::{ActivityFields, CouponTemplateFields};

use crate::promotions::pricing::{
    FreightRuleDto, FreightRules, RegionRuleDto, RuleDto, ScopeDto, SkuPriceDto, TierDto,
};
use crate::state::AppState;

const DAY: i64 = 86_400_000;

pub async fn seed(st: &AppState) -> anyhow::Result<()> {
    let m = st.merchant_id;
    if !st.store.freight_templates(m).await?.is_empty() {
        return Ok(());
    }
    let now = minimall_store::now_ms();
    let cats = st.store.list_categories(m).await?;
    let cat = |name: &str| cats.iter().find(|c| c.name == name).map(|c| c.id);
    let mut tx = st.store.begin().await?;

    let rules = FreightRules {
        default: FreightRuleDto { first_units: 1, first_fee: 800, additional_units: 1, additional_fee: 200 },
        regions: vec![RegionRuleDto::new(
            vec!["新疆".into(), "西藏".into(), "青海".into()],
            FreightRuleDto { first_units: 1, first_fee: 2000, additional_units: 1, additional_fee: 800 },
        )],
    };
    let standard = st
        .store
        .insert_freight(&mut tx, m, "全国标准运费 满99包邮", "piece", &serde_json::to_string(&rules)?, Some(9900), "[]")
        .await?;
    let by_weight = FreightRules {
        default: FreightRuleDto { first_units: 1000, first_fee: 1000, additional_units: 1000, additional_fee: 500 },
        regions: vec![],
    };
    st.store
        .insert_freight(
            &mut tx,
            m,
            "生鲜按重量",
            "weight",
            &serde_json::to_string(&by_weight)?,
            Some(19900),
            "[\"港澳台\"]",
        )
        .await?;
    st.store.set_pricing_settings(&mut tx, m, 100, 50, Some(standard.id)).await?;

    let scope =
        |c: Option<i64>| ScopeDto { all: c.is_none(), categories: c.into_iter().collect(), ..Default::default() };
    let activity = |name: &str, kind: &str, rule: RuleDto, scope: ScopeDto, allow_coupons: bool| ActivityFields {
        name: name.into(),
        kind: kind.into(),
        rule: serde_json::to_string(&rule).unwrap_or_default(),
        scope: serde_json::to_string(&scope).unwrap_or_default(),
        starts_at: now - DAY,
        ends_at: now + 30 * DAY,
        allow_coupons,
        allow_points: true,
        per_buyer_limit: 0,
        free_shipping: false,
        allow_overlap: false,
    };
    st.store
        .insert_activity(
            &mut tx,
            m,
            &activity(
                "女装限时8折",
                "limited_discount",
                RuleDto { percent: Some(80), ..Default::default() },
                scope(cat("女装")),
                false,
            ),
        )
        .await?;
    st.store
        .insert_activity(
            &mut tx,
            m,
            &activity(
                "全场满减 满199减20 满399减50",
                "full_reduction",
                RuleDto {
                    tiers: Some(vec![
                        TierDto { threshold: 19900, off: Some(2000), percent: None },
                        TierDto { threshold: 39900, off: Some(5000), percent: None },
                    ]),
                    ..Default::default()
                },
                scope(None),
                true,
            ),
        )
        .await?;
    // First-order price on the first fruit SKU.
    let fruit = cat("新鲜水果");
    let fruit_leaves: Vec<i64> =
        cats.iter().filter(|c| c.parent_id.is_some() && c.parent_id == fruit).map(|c| c.id).collect();
    let skus = st.store.sku_ids_for_products_tx(&mut tx, m).await?;
    if let Some((sku, _, _)) = skus.iter().find(|(_, _, c)| fruit_leaves.contains(c)) {
        let sku = *sku;
        st.store
            .insert_activity(
                &mut tx,
                m,
                &ActivityFields {
                    per_buyer_limit: 1,
                    ..activity(
                        "新客首单 9.9 元",
                        "first_order",
                        RuleDto { prices: Some(vec![SkuPriceDto { sku_id: sku, price: 990 }]), ..Default::default() },
                        ScopeDto { skus: vec![sku], ..Default::default() },
                        false,
                    )
                },
            )
            .await?;
    }
    let coupon = |name: &str, kind: &str, threshold: i64, off: i64, percent: i32, cap: i64| CouponTemplateFields {
        name: name.into(),
        kind: kind.into(),
        threshold,
        amount_off: off,
        percent,
        cap,
        scope: serde_json::to_string(&ScopeDto { all: true, ..Default::default() }).unwrap_or_default(),
        valid_from: None,
        valid_until: None,
        valid_days: Some(7),
        total_quantity: 1000,
        per_buyer_limit: 1,
        claimable: true,
    };
    st.store.insert_coupon_template(&mut tx, m, &coupon("满100减10", "amount_off", 10000, 1000, 0, 0)).await?;
    st.store.insert_coupon_template(&mut tx, m, &coupon("无门槛5元", "amount_off", 0, 500, 0, 0)).await?;
    st.store.insert_coupon_template(&mut tx, m, &coupon("9折券 最高减30", "percent_off", 5000, 0, 90, 3000)).await?;
    st.store.insert_coupon_template(&mut tx, m, &coupon("包邮券", "free_shipping", 0, 0, 0, 0)).await?;
    st.store
        .insert_store(&mut tx, m, "杭州西湖门店", "浙江省杭州市西湖区文三路 90 号", "0571-88888888", "09:00-21:00")
        .await?;
    minimall_store::commit(tx).await?;

    // Points for the first demo buyers.
    let buyers = st.store.list_buyers(m, "", 50, 0).await?;
    let rules = crate::members::rules(st, m).await.map_err(|e| anyhow::anyhow!("demo points: {e:?}"))?;
    let now = minimall_store::now_ms();
    let mut tx = st.store.begin().await?;
    for b in buyers.items {
        let lot = minimall_store::members::LotSource::Adjust;
        crate::members::grant_points(st, &mut tx, &rules, m, b.id, 2000, lot, &format!("welcome:{}", b.id), now)
            .await
            .map_err(|e| anyhow::anyhow!("demo points: {e:?}"))?;
    }
    minimall_store::commit(tx).await?;
    Ok(())
}
