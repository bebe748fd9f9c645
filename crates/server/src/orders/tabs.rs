//! The buyer's order tabs (全部 / 待付款 / 待发货 / 待收货 / 待评价), their counts on 我的, and buying an order again.

use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::shop_api::CartDto;
use crate::accounts::auth::Buyer;
use crate::error::{ApiError, ApiResult};
use crate::promotions::pricing::MAX_QUANTITY;
use crate::state::AppState;

minimall_core::coded_enum! {
    /// Refusals of the buyer's order lists and of buying again.
    pub enum BuyerOrderReason {
        TabAndStatus = "orders.tab_and_status",
        NothingToBuyAgain = "orders.nothing_to_buy_again",
        CartFull = "orders.cart_full",
    }
}

/// A tab of the buyer's order list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderTab {
    /// 待付款
    ToPay,
    /// 待发货 (and 待成团)
    ToShip,
    /// 待收货 (部分发货 and 已发货)
    ToReceive,
    /// 待评价: received or completed, with a line not reviewed yet
    ToReview,
}

impl OrderTab {
    pub const ALL: [OrderTab; 4] = [OrderTab::ToPay, OrderTab::ToShip, OrderTab::ToReceive, OrderTab::ToReview];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderTab::ToPay => "to_pay",
            OrderTab::ToShip => "to_ship",
            OrderTab::ToReceive => "to_receive",
            OrderTab::ToReview => "to_review",
        }
    }

    pub fn parse(s: &str) -> Option<OrderTab> {
        OrderTab::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The order statuses the tab lists.
    pub fn statuses(self) -> &'static [&'static str] {
        match self {
            OrderTab::ToPay => &["pending_payment"],
            OrderTab::ToShip => &["awaiting_group", "to_ship"],
            OrderTab::ToReceive => &["partially_shipped", "shipped"],
            // Received or completed with a line not reviewed yet: see `Store::buyer_orders_to_review`.
            OrderTab::ToReview => &["received", "completed"],
        }
    }
}

/// How many orders each tab holds, and the after-sales requests still open.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct OrderCounts {
    pub to_pay: i64,
    pub to_ship: i64,
    pub to_receive: i64,
    pub to_review: i64,
    /// After-sales requests not yet settled (pending, approved, returning).
    pub aftersale: i64,
}

impl OrderCounts {
    pub fn of(&self, tab: OrderTab) -> i64 {
        match tab {
            OrderTab::ToPay => self.to_pay,
            OrderTab::ToShip => self.to_ship,
            OrderTab::ToReceive => self.to_receive,
            OrderTab::ToReview => self.to_review,
        }
    }
}

/// The counts shown on 我的: a recount of the buyer's orders by status.
pub async fn order_counts(st: &AppState, buyer: &Buyer) -> ApiResult<OrderCounts> {
    let by_status = st.store.buyer_order_counts(buyer.id).await?;
    let sum = |tab: OrderTab| -> i64 {
        by_status.iter().filter(|(s, _)| tab.statuses().contains(&s.as_str())).map(|(_, n)| n).sum()
    };
    Ok(OrderCounts {
        to_pay: sum(OrderTab::ToPay),
        to_ship: sum(OrderTab::ToShip),
        to_receive: sum(OrderTab::ToReceive),
        to_review: st.store.buyer_orders_to_review(buyer.id, 1, 0).await?.total,
        aftersale: st.store.buyer_open_aftersales(buyer.id).await?,
    })
}

/// What buying an order again did.
#[derive(Serialize, ToSchema)]
pub struct BuyAgainDto {
    /// Lines put (back) into the cart.
    pub added: i64,
    /// Lines left out: the product is off the shelf, deleted or sold out.
    pub skipped: i64,
    pub cart: CartDto,
}

/// Put an order's products back into the cart (the same quantities, merged with what is there). Products no
/// longer on sale are left out; when none is left, the refusal says so.
pub async fn buy_again(st: &AppState, buyer: &Buyer, order_id: i64) -> ApiResult<BuyAgainDto> {
    let o = super::shop_api::own(st, buyer, order_id).await?;
    let lines = st.store.order_lines(st.store.reader(), o.id).await?;
    let sku_ids: Vec<i64> = lines.iter().map(|l| l.sku_id.get()).collect();
    let skus = st.store.skus_for_quote(buyer.merchant_id, &sku_ids).await?;
    let on_sale = |id: i64| skus.iter().any(|s| s.sku_id == id && s.on_shelf != 0 && s.stock > 0);
    let wanted: Vec<(i64, i64)> = lines
        .iter()
        .filter(|l| on_sale(l.sku_id.get()))
        .map(|l| (l.sku_id.get(), l.quantity.min(MAX_QUANTITY)))
        .collect();
    if wanted.is_empty() {
        return Err(ApiError::refused(StatusCode::CONFLICT, "conflict", &BuyerOrderReason::NothingToBuyAgain));
    }
    let mut tx = st.store.begin().await?;
    for (sku, qty) in &wanted {
        if !st.store.cart_add(&mut tx, buyer.merchant_id, buyer.id, *sku, *qty, MAX_QUANTITY).await? {
            return Err(ApiError::refused(StatusCode::CONFLICT, "conflict", &BuyerOrderReason::CartFull));
        }
    }
    minimall_store::commit(tx).await?;
    let added = wanted.len() as i64;
    Ok(BuyAgainDto { added, skipped: lines.len() as i64 - added, cart: super::buying::cart(st, buyer).await? })
}
