//! The points mall (积分商城): coupons taken for points, with stock and a per-buyer limit; and the birthday
//! benefit, a coupon given once a year in the birthday month.

use minimall_core::error::Reason;
use minimall_core::ledger::build;
use minimall_core::page::Page;
use minimall_store::members::{ExchangeRefusal, MallItemRow};
use minimall_store::promotions::ClaimError;
use minimall_store::StoreError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{audit, ledger};
use crate::accounts::auth::{Admin, ManageMembers};
use crate::error::ApiReason;
use crate::error::{ApiError, ApiResult};
use crate::http::Paginated;
use crate::members::refusals::MemberRefusal;
use crate::state::AppState;
use crate::usecase::{self, Call, Effects};

#[derive(Debug, Serialize, ToSchema)]
pub struct MallItemDto {
    pub id: i64,
    pub title: String,
    pub coupon_template_id: i64,
    pub points_price: i64,
    /// Units left.
    pub stock: i64,
    /// Exchanges per buyer (0: no limit).
    pub per_buyer_limit: i64,
    pub exchanged: i64,
    pub on_sale: bool,
}

impl From<MallItemRow> for MallItemDto {
    fn from(r: MallItemRow) -> Self {
        MallItemDto {
            id: r.id,
            title: r.title,
            coupon_template_id: r.coupon_template_id,
            points_price: r.points_price,
            stock: r.stock,
            per_buyer_limit: r.per_buyer_limit,
            exchanged: r.exchanged,
            on_sale: r.on_sale != 0,
        }
    }
}

pub async fn items(
    st: &AppState,
    merchant_id: i64,
    on_sale_only: bool,
    page: Page,
) -> ApiResult<Paginated<MallItemDto>> {
    let rows = st.store.mall_items(merchant_id, on_sale_only, page.size(), page.offset()).await?;
    Ok(Paginated::new(rows.items.into_iter().map(MallItemDto::from).collect(), rows.total, page))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMallItem {
    #[schema(min_length = 1, max_length = 40)]
    pub title: String,
    pub coupon_template_id: i64,
    #[schema(minimum = 1, maximum = 100_000_000)]
    pub points_price: i64,
    #[schema(minimum = 0, maximum = 1_000_000)]
    pub stock: i64,
    #[serde(default)]
    #[schema(minimum = 0, maximum = 100)]
    pub per_buyer_limit: i64,
}

pub async fn create_item(
    st: &AppState,
    who: &Admin<ManageMembers>,
    call: &Call,
    n: NewMallItem,
) -> ApiResult<MallItemDto> {
    let title = n.title.trim();
    if title.is_empty() || title.chars().count() > 40 || title.chars().any(char::is_control) {
        return Err(ApiError::invalid_because("title", &Reason::Length { min: 1, max: 40 }));
    }
    if !(1..=100_000_000).contains(&n.points_price) {
        return Err(ApiError::invalid_because("points_price", &Reason::OutOfRange { min: 1, max: 100000000 }));
    }
    if !(0..=1_000_000).contains(&n.stock) {
        return Err(ApiError::invalid_because("stock", &Reason::OutOfRange { min: 0, max: 1000000 }));
    }
    if !(0..=100).contains(&n.per_buyer_limit) {
        return Err(ApiError::invalid_because("per_buyer_limit", &Reason::OutOfRange { min: 0, max: 100 }));
    }
    st.store.coupon_template(who.merchant_id, n.coupon_template_id).await.map_err(|_| {
        ApiError::invalid_because("coupon_template_id", &ApiReason::NoSuch { what: crate::error::thing("coupon") })
    })?;
    let mut tx = st.store.begin().await?;
    let id = st
        .store
        .create_mall_item(
            &mut tx,
            who.merchant_id,
            title,
            n.coupon_template_id,
            n.points_price,
            n.stock,
            n.per_buyer_limit,
        )
        .await?;
    audit(
        st,
        &mut tx,
        who,
        call,
        "points_mall.create",
        format!("mall_item:{id}"),
        None,
        Some(serde_json::json!({"title": title, "points_price": n.points_price, "stock": n.stock})),
    )
    .await?;
    usecase::commit(st, tx, Effects::new()).await?;
    Ok(st.store.mall_item(who.merchant_id, id).await?.into())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MallItemChange {
    /// Units to add (negative: to remove; never below zero).
    #[serde(default)]
    #[schema(minimum = -1_000_000, maximum = 1_000_000)]
    pub stock_delta: i64,
    pub on_sale: bool,
}

pub async fn change_item(
    st: &AppState,
    who: &Admin<ManageMembers>,
    call: &Call,
    id: i64,
    c: MallItemChange,
) -> ApiResult<MallItemDto> {
    if !(-1_000_000..=1_000_000).contains(&c.stock_delta) {
        return Err(ApiError::invalid_because("stock_delta", &Reason::OutOfRange { min: -1000000, max: 1000000 }));
    }
    st.store.mall_item(who.merchant_id, id).await.map_err(|_| ApiError::not_found("mall_item"))?;
    let mut tx = st.store.begin().await?;
    st.store.update_mall_item(&mut tx, who.merchant_id, id, c.stock_delta, c.on_sale).await.map_err(|e| match e {
        StoreError::Constraint(_) => {
            ApiError::conflict_because(&MemberRefusal::StockBelowZero).with_field("stock_delta")
        }
        o => o.into(),
    })?;
    audit(
        st,
        &mut tx,
        who,
        call,
        "points_mall.update",
        format!("mall_item:{id}"),
        None,
        Some(serde_json::json!({"stock_delta": c.stock_delta, "on_sale": c.on_sale})),
    )
    .await?;
    usecase::commit(st, tx, Effects::new()).await?;
    Ok(st.store.mall_item(who.merchant_id, id).await?.into())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Exchanged {
    pub exchange_id: i64,
    /// The coupon now in the buyer's wallet.
    pub coupon_id: i64,
    pub points: i64,
    pub balance: i64,
}

/// Take an item for points: its stock, the buyer's points (posted as points spent) and a coupon in the
/// wallet, in one transaction — or nothing.
pub async fn exchange(st: &AppState, merchant_id: i64, buyer_id: i64, item_id: i64) -> ApiResult<Exchanged> {
    let template = {
        let item = st.store.mall_item(merchant_id, item_id).await.map_err(|_| ApiError::not_found("mall_item"))?;
        st.store.coupon_template(merchant_id, item.coupon_template_id).await?
    };
    let now = minimall_store::now_ms();
    let mut tx = st.store.begin().await?;
    let item = match st.store.take_mall_item(&mut tx, merchant_id, item_id, buyer_id).await? {
        Ok(item) => item,
        Err(ExchangeRefusal::NotFound) => return Err(ApiError::not_found("mall_item")),
        Err(ExchangeRefusal::SoldOut) => return Err(ApiError::conflict_because(&MemberRefusal::SoldOut)),
        Err(ExchangeRefusal::LimitReached { limit }) => {
            return Err(ApiError::conflict_because(&MemberRefusal::PerBuyerLimit { limit }))
        }
    };
    let balance = st
        .store
        .move_points(&mut tx, merchant_id, buyer_id, -item.points_price, "points_mall", &format!("mall:{item_id}"))
        .await
        .map_err(|e| match e {
            StoreError::Constraint(_) => ApiError::conflict_because(&ApiReason::NotEnoughPoints).with_field("points"),
            o => o.into(),
        })?;
    let validity = crate::promotions::pricing::validity(&template, now);
    let coupon_id =
        st.store.issue_coupon(&mut tx, merchant_id, template.id, buyer_id, "reward", validity, false).await.map_err(
            |e| match e {
                ClaimError::NotFound | ClaimError::NotClaimable => {
                    ApiError::conflict_because(&MemberRefusal::CouponNotIssued)
                }
                ClaimError::SoldOut => ApiError::conflict_because(&MemberRefusal::SoldOut),
                ClaimError::LimitReached => ApiError::conflict_because(&MemberRefusal::CouponLimit),
                ClaimError::Store(e) => e.into(),
            },
        )?;
    let exchange_id =
        st.store.record_exchange(&mut tx, merchant_id, item_id, buyer_id, item.points_price, coupon_id, now).await?;
    if let Some(p) = build::points_spent(&format!("mall:{exchange_id}"), now, item.points_price).map_err(ledger)? {
        st.store.post(&mut tx, merchant_id, &p, None).await?;
    }
    usecase::commit(st, tx, Effects::new().promotions_write()).await?;
    Ok(Exchanged { exchange_id, coupon_id, points: item.points_price, balance })
}

/// Give the level's birthday coupon to buyers in their birthday month, once a calendar year each.
pub async fn birthday_benefits(st: &AppState, merchant_id: i64, today: i64) -> ApiResult<u64> {
    let Some(date) = minimall_core::time::date_of_day(today) else { return Ok(0) };
    let year = i32::from(date.year());
    let now = minimall_store::now_ms();
    let mut given = 0;
    let mut after = 0;
    loop {
        let batch = st.store.birthday_candidates(merchant_id, year, after, 500).await?;
        let Some(last) = batch.last().map(|c| c.0) else { break };
        after = last;
        for (buyer_id, birth_day, template_id) in batch {
            let Some(birthday) = minimall_core::time::date_of_day(birth_day) else { continue };
            if !minimall_core::members::lifecycle::birthday_benefit_due(birthday, today, None) {
                continue;
            }
            let template = match st.store.coupon_template(merchant_id, template_id).await {
                Ok(t) => t,
                Err(_) => continue,
            };
            let mut tx = st.store.begin().await?;
            if !st.store.mark_birthday_granted(&mut tx, merchant_id, buyer_id, year).await? {
                continue;
            }
            let validity = crate::promotions::pricing::validity(&template, now);
            match st.store.issue_coupon(&mut tx, merchant_id, template_id, buyer_id, "reward", validity, false).await {
                Ok(_) => {
                    usecase::commit(st, tx, Effects::new()).await?;
                    given += 1;
                }
                // A coupon that is used up or withdrawn is not given; the year stays open for a later run.
                Err(e) => tracing::warn!(buyer = buyer_id, error = ?e, "birthday coupon not given"),
            }
        }
    }
    Ok(given)
}
