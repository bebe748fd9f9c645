//! The buyer's side of promotions: quotes, coupons held and to claim, points, delivery addresses.

use minimall_core::error::Reason;
use minimall_core::page::Page;
use minimall_store::StoreError;

use super::shop_api::{address_fields, claim_error, province_of};
use crate::accounts::auth::Buyer;
use crate::error::{ApiError, ApiResult};
use crate::http::Paginated;
use crate::promotions::pricing::{self, QuoteDto};
use crate::promotions::refusals::PromotionRefusal;
use crate::state::AppState;

use super::shop_api::{
    AddressDto, AddressInput, AddressList, CouponDto, CouponTemplateDto, PointsDto, PointsEntryDto, QuoteRequest,
    WalletQuery,
};

/// Price a cart: every line's unit price and the rule that set it, order reductions, coupon, points,
/// shipping, the payable, the derivation, the rules that did not apply and why, and the best coupon.
pub async fn quote(
    st: &AppState,
    buyer: &Buyer,
    req: QuoteRequest,
    lang: crate::web::i18n::Lang,
) -> ApiResult<QuoteDto> {
    let province = province_of(st, buyer, req.address_id).await?;
    let priced =
        pricing::price_cart(st, buyer.merchant_id, buyer.id, &req.items, &req.coupon_ids, req.points, province).await?;
    let wallet: Vec<_> = st
        .store
        .buyer_coupons(buyer.merchant_id, buyer.id, "available", 100, 0)
        .await?
        .items
        .iter()
        .filter_map(pricing::coupon_from_row)
        .collect();
    let suggestion = minimall_core::pricing::best_coupon(&priced.input, &wallet).map(|(id, q)| (id, q.payable.fen()));
    Ok(pricing::quote_dto(&priced, suggestion, lang))
}

/// The buyer's coupons.
pub async fn wallet(st: &AppState, buyer: &Buyer, q: WalletQuery) -> ApiResult<Paginated<CouponDto>> {
    let page = Page::parse(q.page, q.page_size)?;
    let view = q.view.unwrap_or_else(|| "available".into());
    if !["available", "used", "expired"].contains(&view.as_str()) {
        return Err(ApiError::invalid_because("view", &Reason::OneOf { allowed: "available, used, expired".into() }));
    }
    let rows = st.store.buyer_coupons(buyer.merchant_id, buyer.id, &view, page.size(), page.offset()).await?;
    Ok(Paginated::new(rows.items.iter().map(CouponDto::from).collect(), rows.total, page))
}

/// Coupons a buyer can claim now.
pub async fn claimable(st: &AppState, q: crate::http::PageQuery) -> ApiResult<Paginated<CouponTemplateDto>> {
    let page = q.page()?;
    let rows = st.store.list_coupon_templates(st.merchant_id, true, page.size(), page.offset()).await?;
    Ok(Paginated::new(rows.items.iter().map(CouponTemplateDto::from).collect(), rows.total, page))
}

/// Claim a coupon in the coupon centre. Quantity and per-buyer limits hold under concurrency. A coupon for a
/// community group's members is claimed on the group's page, not here.
pub async fn claim(st: &AppState, buyer: &Buyer, id: i64) -> ApiResult<CouponDto> {
    if !st.store.coupon_communities(st.store.reader(), id).await?.is_empty() {
        return Err(crate::community::refused(minimall_core::social::community::Refusal::MembersOnly, None));
    }
    issue_claimed(st, buyer, id, "claim", true).await
}

/// Issue a claimed coupon of template `id` to the buyer (`source` names where it was claimed). With
/// `require_claimable`, only a template open to claims in the centre.
pub async fn issue_claimed(
    st: &AppState,
    buyer: &Buyer,
    id: i64,
    source: &str,
    require_claimable: bool,
) -> ApiResult<CouponDto> {
    let t = st.store.coupon_template(buyer.merchant_id, id).await.map_err(|_| ApiError::not_found("coupon"))?;
    let now = minimall_store::now_ms();
    if t.valid_until.is_some_and(|u| u <= now) {
        return Err(ApiError::conflict_because(&PromotionRefusal::CouponExpired));
    }
    let mut tx = st.store.begin().await?;
    let cid = st
        .store
        .issue_coupon(&mut tx, buyer.merchant_id, id, buyer.id, source, pricing::validity(&t, now), require_claimable)
        .await
        .map_err(claim_error)?;
    crate::analytics::record::coupon_claimed(st, &mut tx, buyer.merchant_id, buyer.id, id).await?;
    minimall_store::commit(tx).await?;
    let row = st.store.buyer_coupons_by_ids(buyer.merchant_id, buyer.id, &[cid]).await?;
    let row = row.first().ok_or_else(|| ApiError::internal("claimed coupon vanished"))?;
    Ok(CouponDto::from(row))
}

/// The buyer's addresses (at most 30), default first.
pub async fn list_addresses(st: &AppState, buyer: &Buyer) -> ApiResult<AddressList> {
    let rows = st.store.addresses(buyer.id).await?;
    Ok(AddressList { total: rows.len() as i64, items: rows.into_iter().map(Into::into).collect() })
}

/// Add an address.
pub async fn create_address(st: &AppState, buyer: &Buyer, req: AddressInput) -> ApiResult<AddressDto> {
    let f = address_fields(&req)?;
    let mut tx = st.store.begin().await?;
    let row = st.store.insert_address(&mut tx, buyer.merchant_id, buyer.id, &f).await.map_err(|e| match e {
        StoreError::Constraint(m) => crate::error::conflict_with_data(m),
        o => o.into(),
    })?;
    crate::members::tasks::profile_changed(st, &mut tx, buyer.merchant_id, buyer.id).await?;
    minimall_store::commit(tx).await?;
    Ok(row.into())
}

/// The buyer's points balance and ledger.
pub async fn points(st: &AppState, buyer: &Buyer, q: crate::http::PageQuery) -> ApiResult<PointsDto> {
    let page = q.page()?;
    let rows = st.store.points_entries(buyer.id, page.size(), page.offset()).await?;
    let (per_yuan, _, _) = st.store.pricing_settings(buyer.merchant_id).await?;
    let items = rows
        .items
        .into_iter()
        .map(|e| PointsEntryDto {
            id: e.id,
            delta: e.delta,
            balance_after: e.balance_after,
            reason: e.reason,
            reference: e.reference,
            at: e.at,
        })
        .collect();
    Ok(PointsDto {
        balance: st.store.points_balance(buyer.id).await?,
        points_per_yuan: per_yuan,
        entries: Paginated::new(items, rows.total, page),
    })
}
