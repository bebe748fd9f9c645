//! Flash-sale use cases: the console's sales (list, one, change, stop) and what buyers see of them.

use axum::http::StatusCode;
use minimall_core::flash::{validate_setup, ItemSpec};
use minimall_core::ProductId;
use minimall_store::idempotency::Claim;
use minimall_store::stock::StockError;
use minimall_store::StoreError;

use super::api::{admin_dto, dto, terms};
use crate::accounts::auth::{Admin, Buyer, ManageCatalog, ReadCatalog};
use crate::error::ApiReason;
use crate::error::{ApiError, ApiResult};
use crate::flash::refusals::FlashRefusal;
use crate::flash::{Answer, Purchase};
use crate::http::idempotency::{self};
use crate::http::{PageQuery, Paginated};
use crate::ops::audit::{audit, to_json};
use crate::state::AppState;

use super::api::{FlashPurchase, FlashSaleAdminDto, FlashSaleDto, FlashSaleInput, FlashSaleUpdate};
use crate::usecase::{Call, Effects, Stored};

/// Flash sales, newest first.
pub async fn list_flash_sales(
    st: &AppState,
    admin: &Admin<ReadCatalog>,
    q: PageQuery,
) -> ApiResult<Paginated<FlashSaleDto>> {
    let page = q.page()?;
    let rows = st.store.flash_sales(admin.merchant_id, None, page.size(), page.offset()).await?;
    let mut items = Vec::with_capacity(rows.items.len());
    for s in &rows.items {
        let meta = st.flash.meta(admin.merchant_id, s.id, false).await?;
        items.push(dto(&meta, &st.flash.shown_remaining(&meta).await));
    }
    Ok(Paginated::new(items, rows.total, page))
}

/// One flash sale with the gate's count beside the database's.
pub async fn get_flash_sale(st: &AppState, admin: &Admin<ReadCatalog>, id: i64) -> ApiResult<FlashSaleAdminDto> {
    admin_dto(st, admin.merchant_id, id).await
}

/// Change a sale's title, window, limit, shipping or payment time (not its units).
pub async fn update_flash_sale(
    st: &AppState,
    admin: &Admin<ManageCatalog>,
    call: &Call,
    id: i64,
    req: FlashSaleUpdate,
) -> ApiResult<FlashSaleAdminDto> {
    let fields =
        terms(st, &req.title, req.starts_at, req.ends_at, req.per_buyer_limit, req.shipping, req.unpaid_timeout_secs)?;
    let mut tx = st.store.begin().await?;
    let before = match st.store.flash_sale(&mut *tx, admin.merchant_id, id).await {
        Ok(s) => s,
        Err(StoreError::NotFound) => return Err(ApiError::not_found("flash_sale")),
        Err(e) => return Err(e.into()),
    };
    let skus: Vec<i64> = st.store.flash_items(id).await?.iter().map(|i| i.sku_id).collect();
    if let Some((other, _)) = st
        .store
        .overlapping_flash_sales(&mut tx, admin.merchant_id, req.starts_at, req.ends_at, &skus, id)
        .await?
        .first()
    {
        return Err(ApiError::conflict_because(&FlashRefusal::SkuInOtherSale { other: *other }).with_field("starts_at"));
    }
    if !st.store.update_flash_sale(&mut tx, admin.merchant_id, id, &fields).await? {
        return Err(ApiError::conflict_because(&FlashRefusal::SaleEnded));
    }
    audit(
        st,
        &mut tx,
        &admin,
        call,
        "flash_sale.update",
        format!("flash_sale:{id}"),
        Some(serde_json::json!({"title": before.title, "starts_at": before.starts_at, "ends_at": before.ends_at, "per_buyer_limit": before.per_buyer_limit})),
        to_json(&req),
    )
    .await?;
    minimall_store::commit(tx).await?;
    if req.ends_at != before.ends_at {
        crate::flash::schedule_finish(st, admin.merchant_id, id, req.ends_at).await?;
    }
    st.flash.forget(id);
    admin_dto(st, admin.merchant_id, id).await
}

/// Stop a sale now: it refuses purchases and its unsold units go back to stock. Orders already placed stay.
pub async fn stop_flash_sale(
    st: &AppState,
    admin: &Admin<ManageCatalog>,
    call: &Call,
    id: i64,
) -> ApiResult<FlashSaleAdminDto> {
    st.flash.meta(admin.merchant_id, id, true).await?;
    if !crate::flash::end_sale(st, admin.merchant_id, id, "stopped").await? {
        return Err(ApiError::conflict_because(&FlashRefusal::AlreadyEnded));
    }
    let mut tx = st.store.begin().await?;
    audit(st, &mut tx, &admin, call, "flash_sale.stop", format!("flash_sale:{id}"), None, None).await?;
    minimall_store::commit(tx).await?;
    admin_dto(st, admin.merchant_id, id).await
}

/// Running and upcoming flash sales, soonest first, with the server time for countdowns.
pub async fn shop_flash_sales(st: &AppState, q: PageQuery) -> ApiResult<Paginated<FlashSaleDto>> {
    let page = q.page()?;
    let rows = st.store.flash_sales(st.merchant_id, Some(minimall_store::now_ms()), page.size(), page.offset()).await?;
    let mut items = Vec::with_capacity(rows.items.len());
    for s in &rows.items {
        let meta = st.flash.meta(st.merchant_id, s.id, false).await?;
        items.push(dto(&meta, &st.flash.shown_remaining(&meta).await));
    }
    Ok(Paginated::new(items, rows.total, page))
}

/// One flash sale.
pub async fn shop_flash_sale(st: &AppState, id: i64) -> ApiResult<FlashSaleDto> {
    let meta = st.flash.meta(st.merchant_id, id, false).await?;
    let gate = st.flash.shown_remaining(&meta).await;
    Ok(dto(&meta, &gate))
}

/// Buy in a flash sale. Needs `Idempotency-Key`. 201: a pending-payment order at the flash price, written
/// durably before this answer. 409 with `flash_not_started`, `flash_sold_out`, `flash_limit_reached` or
/// `flash_ended`: refused without touching the database. 503 with `Retry-After` while the shared gate (Redis)
/// is not answering: nothing was taken, the same request may be sent again.
pub async fn buy(st: &AppState, buyer: &Buyer, call: &Call, id: i64, req: FlashPurchase) -> ApiResult<Stored> {
    let key = call.required_idempotency_key()?;
    let meta = st.flash.meta(buyer.merchant_id, id, false).await?;
    let sku_id = match (req.sku_id, meta.items.as_slice()) {
        (Some(s), items) if items.iter().any(|i| i.sku_id == s) => s,
        (Some(_), _) => return Err(ApiError::invalid_because("sku_id", &FlashRefusal::NotSkuOfSale)),
        (None, [only]) => only.sku_id,
        (None, _) => return Err(ApiError::invalid_because("sku_id", &FlashRefusal::ChooseSku)),
    };
    let quantity = req.quantity.unwrap_or(1);
    if quantity < 1 || quantity > meta.sale.per_buyer_limit {
        return Err(ApiError::invalid_because(
            "quantity",
            &minimall_core::error::Reason::OutOfRange { min: 1, max: meta.sale.per_buyer_limit },
        ));
    }
    if let Some(r) = st.flash.quick_refusal(&meta, buyer.id, sku_id, quantity) {
        metrics::counter!("flash_refusals_total", "reason" => r.label()).increment(1);
        return Err(crate::flash::refused(r));
    }
    let address = match req.address_id {
        Some(aid) => Some(crate::orders::address_snapshot(&st.store.address(buyer.id, aid).await.map_err(|_| {
            ApiError::invalid_because("address_id", &ApiReason::NoSuch { what: crate::error::thing("address") })
        })?)),
        None => None,
    };
    let fingerprint = idempotency::request_hash(
        "POST",
        &format!("/api/v1/shop/flash-sales/{id}/orders"),
        &serde_json::json!({"sku_id": sku_id, "quantity": quantity, "address_id": req.address_id}),
    );
    let answer = st
        .flash
        .purchase(Purchase {
            meta,
            buyer_id: buyer.id,
            sku_id,
            quantity,
            address,
            idem_scope: format!("buyer:{}:flash:{id}", buyer.id),
            idem_key: key.as_str().to_string(),
            idem_hash: fingerprint,
        })
        .await;
    match answer {
        Answer::Created(body) => Ok(Stored::fresh(StatusCode::CREATED, body)),
        Answer::Replay { status, body } => Ok(Stored {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::CREATED).as_u16(),
            body,
            replayed: true,
        }),
        Answer::Failed(e) => Err(e),
    }
}

/// Set up a flash sale (the API's and the console's path): validation, units set aside, audit, schedule.
/// With an `Idempotency-Key` the same request sent again creates nothing more and answers the first sale's
/// id with `true` (replayed).
pub async fn create_sale(
    st: &AppState,
    admin: &Admin<ManageCatalog>,
    call: &Call,
    req: &FlashSaleInput,
) -> ApiResult<(i64, bool)> {
    let key = call.idempotency_key()?;
    let mut fields =
        terms(st, &req.title, req.starts_at, req.ends_at, req.per_buyer_limit, req.shipping, req.unpaid_timeout_secs)?;
    let mut tx = st.store.begin().await?;
    let scope = format!("admin:{}:create_flash_sale", admin.id);
    if let Some(key) = &key {
        let fingerprint = idempotency::request_hash(
            "POST",
            "/api/v1/admin/flash-sales",
            &serde_json::to_value(req).map_err(ApiError::internal)?,
        );
        match st.store.claim_idempotency_key(&mut tx, admin.merchant_id, &scope, key.as_str(), &fingerprint).await? {
            Claim::New => {}
            Claim::Replay { body, .. } => {
                let v: serde_json::Value = serde_json::from_str(&body).map_err(ApiError::internal)?;
                let id = v["id"].as_i64().ok_or_else(|| ApiError::internal("idempotent record without id"))?;
                return Ok((id, true));
            }
            Claim::Mismatch => {
                return Err(ApiError::refused(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "idempotency_key_reused",
                    &ApiReason::IdempotencyKeyReused,
                )
                .with_field("Idempotency-Key"))
            }
        }
    }
    if req.ends_at <= minimall_store::now_ms() {
        return Err(ApiError::invalid_because("ends_at", &FlashRefusal::InFuture));
    }
    let product =
        st.store.product(&mut *tx, admin.merchant_id, ProductId::new(req.product_id)).await.map_err(|_| {
            ApiError::invalid_because("product_id", &ApiReason::NoSuch { what: crate::error::thing("product") })
        })?;
    fields.product_id = product.id.get();
    let skus = st.store.skus_of(&mut *tx, &[product.id]).await?;
    let mut specs = Vec::with_capacity(req.items.len());
    for (i, it) in req.items.iter().enumerate() {
        let sku = skus
            .iter()
            .find(|s| s.id == it.sku_id)
            .ok_or_else(|| ApiError::invalid_because(format!("items[{i}].sku_id"), &ApiReason::NotSkuOfProduct))?;
        specs.push(ItemSpec {
            sku_id: sku.id.get(),
            flash_price: it.flash_price,
            quantity: it.quantity,
            sale_price: sku.sale_price,
            stock: sku.stock,
        });
    }
    validate_setup(req.starts_at, req.ends_at, req.per_buyer_limit, &specs)?;
    let sku_ids: Vec<i64> = specs.iter().map(|s| s.sku_id).collect();
    if let Some((other, sku)) = st
        .store
        .overlapping_flash_sales(&mut tx, admin.merchant_id, req.starts_at, req.ends_at, &sku_ids, 0)
        .await?
        .first()
    {
        let i = sku_ids.iter().position(|s| s == sku).unwrap_or(0);
        return Err(ApiError::conflict_because(&FlashRefusal::SkuAlreadyInSale { sku: *sku, other: *other })
            .with_field(format!("items[{i}].sku_id")));
    }
    let items: Vec<(i64, i64, i64)> = specs.iter().map(|s| (s.sku_id, s.flash_price, s.quantity)).collect();
    let id = st.store.insert_flash_sale(&mut tx, admin.merchant_id, &fields, &items).await.map_err(|e| match e {
        StockError::Insufficient(n) => {
            ApiError::conflict_because(&minimall_core::error::Reason::FlashNotEnoughStock { stock: n })
                .with_field("items")
        }
        StockError::Store(s) => s.into(),
    })?;
    audit(st, &mut tx, admin, call, "flash_sale.create", format!("flash_sale:{id}"), None, to_json(req)).await?;
    if let Some(key) = &key {
        let body = serde_json::json!({ "id": id }).to_string();
        idempotency::finish(&st.store, &mut tx, &scope, key, StatusCode::CREATED, &body).await?;
    }
    minimall_store::commit(tx).await?;
    crate::flash::schedule_finish(st, admin.merchant_id, id, req.ends_at).await?;
    st.flash.created(admin.merchant_id, id).await?;
    // Product pages show the running sale: drop them once the engine knows it.
    Effects::new().stock_moved([product.id.get()]).committed(st);
    Ok((id, false))
}
