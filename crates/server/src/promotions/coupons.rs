//! Promotion use cases: coupon templates, their changes that never hurt holders, stopping.

use minimall_core::validate::display_text;
use minimall_store::promotions::CouponTemplateTerms;

use super::coupons_api::{check_coupon_counts, validate_coupon};
use crate::accounts::auth::{Admin, ManageCatalog, ReadCatalog};
use crate::error::{ApiError, ApiResult};
use crate::http::Paginated;
use crate::ops::audit::{audit, to_json};
use crate::promotions::refusals::PromotionRefusal;
use crate::promotions::shop_api::CouponTemplateDto;
use crate::state::AppState;

use super::coupons_api::{CouponTemplateChange, CouponTemplateInput};
use crate::usecase::{self, Call, Effects};

/// Coupon templates, newest first.
pub async fn list_coupons(
    st: &AppState,
    admin: &Admin<ReadCatalog>,
    q: crate::http::PageQuery,
) -> ApiResult<Paginated<CouponTemplateDto>> {
    let page = q.page()?;
    let rows = st.store.list_coupon_templates(admin.merchant_id, false, page.size(), page.offset()).await?;
    Ok(Paginated::new(rows.items.iter().map(CouponTemplateDto::from).collect(), rows.total, page))
}

/// Create a coupon template.
pub async fn create_coupon(
    st: &AppState,
    admin: &Admin<ManageCatalog>,
    call: &Call,
    req: CouponTemplateInput,
) -> ApiResult<CouponTemplateDto> {
    let f = validate_coupon(&req)?;
    let mut tx = st.store.begin().await?;
    let row = st.store.insert_coupon_template(&mut tx, admin.merchant_id, &f).await?;
    let dto = CouponTemplateDto::from(&row);
    audit(st, &mut tx, &admin, call, "coupon.create", format!("coupon_template:{}", row.id), None, to_json(&dto))
        .await?;
    usecase::commit(st, tx, Effects::new().promotions_write()).await?;
    Ok(dto)
}

/// One coupon template.
pub async fn get_coupon(st: &AppState, admin: &Admin<ReadCatalog>, id: i64) -> ApiResult<CouponTemplateDto> {
    let row = st.store.coupon_template(admin.merchant_id, id).await.map_err(|_| ApiError::not_found("coupon"))?;
    Ok(CouponTemplateDto::from(&row))
}

/// Change a coupon template's name, quantity, per-buyer limit or whether buyers may claim it.
pub async fn update_coupon(
    st: &AppState,
    admin: &Admin<ManageCatalog>,
    call: &Call,
    id: i64,
    req: CouponTemplateChange,
) -> ApiResult<CouponTemplateDto> {
    let name = display_text("name", &req.name, 40)?;
    check_coupon_counts(req.total_quantity, req.per_buyer_limit)?;
    let before = st.store.coupon_template(admin.merchant_id, id).await.map_err(|_| ApiError::not_found("coupon"))?;
    if before.status != "active" {
        return Err(ApiError::conflict_because(&PromotionRefusal::CouponStopped));
    }
    if req.total_quantity != 0 && req.total_quantity < before.issued {
        return Err(ApiError::invalid_because(
            "total_quantity",
            &PromotionRefusal::BelowIssued { issued: before.issued },
        ));
    }
    let mut tx = st.store.begin().await?;
    let terms = CouponTemplateTerms {
        name,
        total_quantity: req.total_quantity,
        per_buyer_limit: req.per_buyer_limit,
        claimable: req.claimable,
    };
    let Some(row) = st.store.update_coupon_template(&mut tx, admin.merchant_id, id, &terms).await? else {
        return Err(ApiError::conflict_because(&PromotionRefusal::CouponChanged));
    };
    let dto = CouponTemplateDto::from(&row);
    audit(
        st,
        &mut tx,
        &admin,
        call,
        "coupon.update",
        format!("coupon_template:{id}"),
        to_json(&CouponTemplateDto::from(&before)),
        to_json(&dto),
    )
    .await?;
    usecase::commit(st, tx, Effects::new().promotions_write()).await?;
    Ok(dto)
}

/// Stop issuing a coupon (coupons already held stay valid).
pub async fn stop_coupon(
    st: &AppState,
    admin: &Admin<ManageCatalog>,
    call: &Call,
    id: i64,
) -> ApiResult<CouponTemplateDto> {
    let mut tx = st.store.begin().await?;
    let row = st
        .store
        .set_coupon_template_status(&mut tx, admin.merchant_id, id, "stopped")
        .await
        .map_err(|_| ApiError::not_found("coupon"))?;
    let dto = CouponTemplateDto::from(&row);
    audit(st, &mut tx, &admin, call, "coupon.stop", format!("coupon_template:{id}"), None, to_json(&dto)).await?;
    usecase::commit(st, tx, Effects::new().promotions_write()).await?;
    Ok(dto)
}
