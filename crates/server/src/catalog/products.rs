//! Catalog use cases: products and their SKUs, the shelf, stock adjustments and alerts, banned words.

use axum::http::StatusCode;
use minimall_core::catalog::banned::{BannedMode, BannedWords, DEFAULT_BANNED_WORDS};
use minimall_core::catalog::tree::Tree;
use minimall_core::catalog::{self as cat, Lifecycle};
use minimall_core::error::Reason;
use minimall_core::page::Page;
use minimall_core::{ProductId, SkuId};
use minimall_store::catalog::AdminProductFilter;
use minimall_store::stock::{StockError, StockReason};
use minimall_store::{StoreError, Tx};

use super::admin_api::{
    AlertDto, AlertQuery, BannedWordSettings, CreateProduct, MovementDto, ProductQuery, ProductSaved, ShelfRequest,
    ShelfResult, SkuMatrix, StockAdjustment, StockResult,
};
use crate::accounts::auth::{Admin, ManageCatalog, ManageSettings, MoneyView, ReadCatalog};
use crate::catalog::categories::nodes;
use crate::catalog::refusals::CatalogRefusal;
use crate::catalog::{
    banned_check, validate_matrix, validate_product, validate_sku, visible_text, BannedCheck, BannedHitDto,
    ProductCard, ProductDto, ProductInput, SkuDto, SkuInput,
};
use crate::error::ApiReason;
use crate::error::{ApiError, ApiResult};
use crate::http::idempotency::{self};
use crate::http::Paginated;
use crate::ops::audit::{audit, to_json};
use crate::state::AppState;
use crate::usecase::{self, Call, Effects, Stored};

/// Products of the catalog, filterable.
pub async fn list_products(
    st: &AppState,
    admin: &Admin<ReadCatalog>,
    q: ProductQuery,
) -> ApiResult<Paginated<ProductCard>> {
    let page = Page::parse(q.page, q.page_size)?;
    let needle = q.q.unwrap_or_default();
    if needle.chars().count() > 64 {
        return Err(ApiError::invalid_because("q", &Reason::TooLong { max: 64 }));
    }
    let lifecycle = match q.lifecycle.as_deref() {
        Some(l) if !l.is_empty() => Some(Lifecycle::parse("lifecycle", l)?.as_str().to_string()),
        _ => None,
    };
    let category_ids = match q.category_id {
        Some(c) => {
            let rows = st.store.list_categories(admin.merchant_id).await?;
            let ns = nodes(&rows);
            let t = Tree::new(&ns);
            if !t.contains(c) {
                return Err(ApiError::invalid_because(
                    "category_id",
                    &ApiReason::NoSuch { what: crate::error::thing("category") },
                ));
            }
            t.subtree(c)
        }
        None => vec![],
    };
    let f = AdminProductFilter {
        q: needle.trim().to_string(),
        category_ids,
        on_shelf: q.on_shelf,
        lifecycle,
        low_stock: q.low_stock.unwrap_or(false),
    };
    let rows = st.store.list_products_admin(admin.merchant_id, &f, page.size(), page.offset()).await?;
    Ok(Paginated::new(rows.items.iter().map(ProductCard::from).collect(), rows.total, page))
}

/// Create a product with its SKUs. Needs `Idempotency-Key` (it sets stock).
pub async fn create_product(
    st: &AppState,
    admin: &Admin<ManageCatalog>,
    call: &Call,
    req: CreateProduct,
) -> ApiResult<Stored> {
    let key = call.required_idempotency_key()?;
    let money = MoneyView::of(st, admin).await?;
    check_cost_input(money, &req.skus)?;
    let mut fields = validate_product(&req.product, &st.cfg.cdn_hosts)?;
    let dims = validate_matrix(&req.specs, &req.skus)?;
    fields.specs = crate::catalog::specs_json(&dims);
    let skus = req.skus.iter().enumerate().map(|(i, s)| validate_sku(i, s, true)).collect::<Result<Vec<_>, _>>()?;
    let check = banned_check(st, admin.merchant_id).await?;
    let warnings = banned_fields(&check, &fields)?;

    let scope = format!("admin:{}:create_product", admin.id);
    let fingerprint = idempotency::request_hash(
        "POST",
        "/api/v1/admin/products",
        &serde_json::to_value(&req).map_err(ApiError::internal)?,
    );
    let mut tx = st.store.begin().await?;
    if let Some(replay) = idempotency::begin(&st.store, &mut tx, admin.merchant_id, &scope, &key, &fingerprint).await? {
        return Ok(replay);
    }
    category_path(st, &mut tx, admin.merchant_id, fields.category_id).await?;
    let id = st.store.insert_product(&mut tx, admin.merchant_id, &fields).await.map_err(|e| map_dup(e, "code"))?;
    for (i, (sku, stock)) in skus.iter().enumerate() {
        let sku_id = st
            .store
            .insert_sku(&mut tx, admin.merchant_id, id, sku)
            .await
            .map_err(|e| map_dup(e, &format!("skus[{i}].code")))?;
        let stock = stock.unwrap_or(0);
        if stock > 0 {
            st.store
                .move_stock(
                    &mut tx,
                    admin.merchant_id,
                    sku_id.get(),
                    stock,
                    StockReason::Initial,
                    &format!("product:{id}"),
                    &admin.username,
                )
                .await
                .map_err(|e| stock_err(e, &format!("skus[{i}].stock")))?;
        } else {
            st.store.check_threshold(&mut tx, admin.merchant_id, sku_id.get(), 0, sku.safety_stock).await?;
        }
    }
    st.store.refresh_price_range(&mut tx, id).await?;
    let dto = load_product_dto(st, &mut tx, admin.merchant_id, id.get()).await?;
    audit(st, &mut tx, &admin, call, "product.create", format!("product:{id}"), None, to_json(&dto)).await?;
    let body = serde_json::to_string(&ProductSaved { product: dto.shown(money.cost), warnings })
        .map_err(ApiError::internal)?;
    idempotency::finish(&st.store, &mut tx, &scope, &key, StatusCode::CREATED, &body).await?;
    let fx = Effects::new().catalog_write(&st.store, &mut tx, admin.merchant_id).await?;
    usecase::commit(st, tx, fx).await?;
    Ok(Stored::fresh(StatusCode::CREATED, body))
}

/// One product with its SKUs (including safety stock, and cost for roles that may see cost prices).
pub async fn get_product(st: &AppState, admin: &Admin<ReadCatalog>, id: i64) -> ApiResult<ProductDto> {
    let p = st
        .store
        .product(st.store.reader(), admin.merchant_id, ProductId::new(id))
        .await
        .map_err(|_| ApiError::not_found("product"))?;
    let skus = st.store.skus_of(st.store.reader(), &[ProductId::new(id)]).await?;
    let rows = st.store.list_categories(admin.merchant_id).await?;
    let ns = nodes(&rows);
    let cost = MoneyView::of(st, admin).await?.cost;
    Ok(ProductDto::from_rows(&p, &skus, Tree::new(&ns).path(p.category_id), true).shown(cost))
}

/// Replace the product-level fields (title, flags, category, …). SKUs change through `/skus`.
pub async fn update_product(
    st: &AppState,
    admin: &Admin<ManageCatalog>,
    call: &Call,
    id: i64,
    req: ProductInput,
) -> ApiResult<ProductSaved> {
    let mut fields = validate_product(&req, &st.cfg.cdn_hosts)?;
    let check = banned_check(st, admin.merchant_id).await?;
    let warnings = banned_fields(&check, &fields)?;
    let mut tx = st.store.begin().await?;
    let before = load_product_dto(st, &mut tx, admin.merchant_id, id).await?;
    category_path(st, &mut tx, admin.merchant_id, fields.category_id).await?;
    fields.specs = serde_json::to_string(&before.specs).unwrap_or_else(|_| "[]".into());
    st.store
        .update_product(&mut tx, admin.merchant_id, ProductId::new(id), &fields)
        .await
        .map_err(|e| map_dup(e, "code"))?;
    let after = load_product_dto(st, &mut tx, admin.merchant_id, id).await?;
    audit(st, &mut tx, &admin, call, "product.update", format!("product:{id}"), to_json(&before), to_json(&after))
        .await?;
    let fx = Effects::new().catalog_write(&st.store, &mut tx, admin.merchant_id).await?;
    usecase::commit(st, tx, fx).await?;
    let cost = MoneyView::of(st, admin).await?.cost;
    Ok(ProductSaved { product: after.shown(cost), warnings })
}

/// Replace the spec matrix and SKUs of a product.
pub async fn replace_skus(
    st: &AppState,
    admin: &Admin<ManageCatalog>,
    call: &Call,
    id: i64,
    req: SkuMatrix,
) -> ApiResult<ProductDto> {
    let money = MoneyView::of(st, admin).await?;
    check_cost_input(money, &req.skus)?;
    let dims = validate_matrix(&req.specs, &req.skus)?;
    let mut tx = st.store.begin().await?;
    let before = load_product_dto(st, &mut tx, admin.merchant_id, id).await?;
    let existing = st.store.skus_of(&mut *tx, &[ProductId::new(id)]).await?;
    let mut fields = validate_product(
        &ProductInput {
            code: before.code.clone(),
            category_id: before.category_id,
            title: before.title.clone(),
            subtitle: before.subtitle.clone(),
            description: before.description.clone(),
            // The stored images stay as they are: replacing SKUs does not judge them again.
            images: vec![],
            tags: before.tags.clone(),
            sort: before.sort,
            on_shelf: before.on_shelf,
            lifecycle: before.lifecycle.clone(),
            free_shipping: before.free_shipping,
            earns_points: before.earns_points,
            coupons_usable: before.coupons_usable,
            purchase_limit: before.purchase_limit,
        },
        &st.cfg.cdn_hosts,
    )?;
    fields.images = serde_json::to_string(&before.images).unwrap_or_else(|_| "[]".into());
    fields.specs = crate::catalog::specs_json(&dims);
    st.store.update_product(&mut tx, admin.merchant_id, ProductId::new(id), &fields).await?;
    let keep: Vec<String> = req.skus.iter().map(|s| s.code.trim().to_string()).collect();
    for old in existing.iter().filter(|o| !keep.contains(&o.code)) {
        st.store.delete_sku(&mut tx, admin.merchant_id, old.id).await?;
    }
    for (i, s) in req.skus.iter().enumerate() {
        let current = existing.iter().find(|o| o.code == s.code.trim());
        let (mut sku, stock) = validate_sku(i, s, current.is_none())?;
        if let (None, Some(cur)) = (s.cost_price, current) {
            sku.cost_price = cur.cost_price;
        }
        match current {
            Some(cur) => {
                st.store
                    .update_sku(&mut tx, admin.merchant_id, cur.id, &sku)
                    .await
                    .map_err(|e| map_dup(e, &format!("skus[{i}].code")))?;
                if let Some(n) = stock.filter(|n| *n != cur.stock) {
                    st.store
                        .move_stock(
                            &mut tx,
                            admin.merchant_id,
                            cur.id.get(),
                            n - cur.stock,
                            StockReason::Manual,
                            "sku-matrix",
                            &admin.username,
                        )
                        .await
                        .map_err(|e| stock_err(e, &format!("skus[{i}].stock")))?;
                } else {
                    st.store
                        .check_threshold(&mut tx, admin.merchant_id, cur.id.get(), cur.stock, sku.safety_stock)
                        .await?;
                }
            }
            None => {
                let sku_id = st
                    .store
                    .insert_sku(&mut tx, admin.merchant_id, ProductId::new(id), &sku)
                    .await
                    .map_err(|e| map_dup(e, &format!("skus[{i}].code")))?;
                let n = stock.unwrap_or(0);
                if n > 0 {
                    st.store
                        .move_stock(
                            &mut tx,
                            admin.merchant_id,
                            sku_id.get(),
                            n,
                            StockReason::Initial,
                            &format!("product:{id}"),
                            &admin.username,
                        )
                        .await
                        .map_err(|e| stock_err(e, &format!("skus[{i}].stock")))?;
                }
            }
        }
    }
    st.store.refresh_price_range(&mut tx, ProductId::new(id)).await?;
    let after = load_product_dto(st, &mut tx, admin.merchant_id, id).await?;
    audit(
        st,
        &mut tx,
        &admin,
        call,
        "product.skus",
        format!("product:{id}"),
        to_json(&before.skus),
        to_json(&after.skus),
    )
    .await?;
    let fx = Effects::new().catalog_write(&st.store, &mut tx, admin.merchant_id).await?;
    usecase::commit(st, tx, fx).await?;
    Ok(after.shown(money.cost))
}

/// Delete a product (kept for past orders, gone from every list).
pub async fn delete_product(st: &AppState, admin: &Admin<ManageCatalog>, call: &Call, id: i64) -> ApiResult<()> {
    let mut tx = st.store.begin().await?;
    let before = load_product_dto(st, &mut tx, admin.merchant_id, id).await?;
    st.store.delete_product(&mut tx, admin.merchant_id, ProductId::new(id)).await?;
    audit(st, &mut tx, &admin, call, "product.delete", format!("product:{id}"), to_json(&before), None).await?;
    let fx = Effects::new().catalog_write(&st.store, &mut tx, admin.merchant_id).await?;
    usecase::commit(st, tx, fx).await?;
    Ok(())
}

/// Put products on or off the shelf in bulk.
pub async fn shelf(
    st: &AppState,
    admin: &Admin<ManageCatalog>,
    call: &Call,
    req: ShelfRequest,
) -> ApiResult<ShelfResult> {
    if req.ids.is_empty() || req.ids.len() > 500 {
        return Err(ApiError::invalid_because("ids", &Reason::ListCount { min: 1, max: 500 }));
    }
    let mut tx = st.store.begin().await?;
    let changed = st.store.set_shelf(&mut tx, admin.merchant_id, &req.ids, req.on_shelf).await?;
    let action = if req.on_shelf { "product.shelf_on" } else { "product.shelf_off" };
    audit(
        st,
        &mut tx,
        &admin,
        call,
        action,
        format!("products:{}", req.ids.len()),
        None,
        Some(serde_json::json!({"ids": req.ids, "changed": changed})),
    )
    .await?;
    let fx = Effects::new().catalog_write(&st.store, &mut tx, admin.merchant_id).await?;
    usecase::commit(st, tx, fx).await?;
    Ok(ShelfResult { changed })
}

/// Adjust a SKU's stock with a reason. Needs `Idempotency-Key`. Never goes below zero.
pub async fn adjust_stock(
    st: &AppState,
    admin: &Admin<ManageCatalog>,
    call: &Call,
    id: i64,
    req: StockAdjustment,
) -> ApiResult<Stored> {
    let key = call.required_idempotency_key()?;
    let money = MoneyView::of(st, admin).await?;
    if req.delta == 0 || !(-cat::STOCK_MAX..=cat::STOCK_MAX).contains(&req.delta) {
        return Err(ApiError::invalid_because("delta", &ApiReason::StockDeltaRange));
    }
    let reason = match req.reason.as_str() {
        "manual" => StockReason::Manual,
        "return" => StockReason::Return,
        _ => return Err(ApiError::invalid_because("reason", &Reason::OneOf { allowed: "manual, return".into() })),
    };
    if req.note.chars().count() > 200 {
        return Err(ApiError::invalid_because("note", &Reason::TooLong { max: 200 }));
    }
    let scope = format!("admin:{}:stock:{id}", admin.id);
    let fingerprint = idempotency::request_hash(
        "POST",
        &format!("/api/v1/admin/skus/{id}/stock"),
        &serde_json::to_value(&req).map_err(ApiError::internal)?,
    );
    let mut tx = st.store.begin().await?;
    if let Some(replay) = idempotency::begin(&st.store, &mut tx, admin.merchant_id, &scope, &key, &fingerprint).await? {
        return Ok(replay);
    }
    let before =
        st.store.sku(&mut *tx, admin.merchant_id, SkuId::new(id)).await.map_err(|_| ApiError::not_found("sku"))?;
    st.store
        .move_stock(&mut tx, admin.merchant_id, id, req.delta, reason, &req.note, &admin.username)
        .await
        .map_err(|e| stock_err(e, "delta"))?;
    let after = st.store.sku(&mut *tx, admin.merchant_id, SkuId::new(id)).await?;
    audit(
        st,
        &mut tx,
        &admin,
        call,
        "stock.adjust",
        format!("sku:{id}"),
        Some(serde_json::json!({"stock": before.stock})),
        Some(serde_json::json!({"stock": after.stock, "delta": req.delta, "reason": req.reason, "note": req.note})),
    )
    .await?;
    let mut sku = SkuDto::from_row(&after, true);
    if !money.cost {
        sku.cost_price = None;
    }
    let body = serde_json::to_string(&StockResult { sku }).map_err(ApiError::internal)?;
    idempotency::finish(&st.store, &mut tx, &scope, &key, StatusCode::OK, &body).await?;
    let fx = Effects::new().catalog_write(&st.store, &mut tx, admin.merchant_id).await?;
    usecase::commit(st, tx, fx).await?;
    Ok(Stored::fresh(StatusCode::OK, body))
}

/// Stock movements of a SKU, newest first.
pub async fn list_movements(
    st: &AppState,
    admin: &Admin<ReadCatalog>,
    id: i64,
    q: crate::http::PageQuery,
) -> ApiResult<Paginated<MovementDto>> {
    let page = q.page()?;
    st.store.sku(st.store.reader(), admin.merchant_id, SkuId::new(id)).await.map_err(|_| ApiError::not_found("sku"))?;
    let rows = st.store.list_movements(admin.merchant_id, id, page.size(), page.offset()).await?;
    let items = rows
        .items
        .into_iter()
        .map(|m| MovementDto {
            id: m.id,
            delta: m.delta,
            balance_after: m.balance_after,
            reason: m.reason,
            reference: m.reference,
            actor: m.actor,
            at: m.at,
        })
        .collect();
    Ok(Paginated::new(items, rows.total, page))
}

/// Low-stock alerts.
pub async fn list_alerts(st: &AppState, admin: &Admin<ReadCatalog>, q: AlertQuery) -> ApiResult<Paginated<AlertDto>> {
    let page = Page::parse(q.page, q.page_size)?;
    let rows = st.store.list_alerts(admin.merchant_id, q.open.unwrap_or(true), page.size(), page.offset()).await?;
    let items = rows
        .items
        .into_iter()
        .map(|a| AlertDto {
            id: a.id,
            sku_id: a.sku_id,
            sku_code: a.sku_code,
            product_id: a.product_id,
            product_title: a.product_title,
            stock: a.stock,
            threshold: a.threshold,
            current_stock: a.current_stock,
            created_at: a.created_at,
            resolved_at: a.resolved_at,
        })
        .collect();
    Ok(Paginated::new(items, rows.total, page))
}

/// The banned-word list and mode.
pub async fn get_banned_words(st: &AppState, admin: &Admin<ReadCatalog>) -> ApiResult<BannedWordSettings> {
    let (mode, words) = st.store.banned_word_settings(admin.merchant_id).await?;
    let words = match words {
        Some(j) => serde_json::from_str(&j).unwrap_or_default(),
        None => DEFAULT_BANNED_WORDS.iter().map(|w| w.to_string()).collect(),
    };
    Ok(BannedWordSettings { mode, words })
}

/// Replace the banned-word list and mode.
pub async fn put_banned_words(
    st: &AppState,
    admin: &Admin<ManageSettings>,
    call: &Call,
    req: BannedWordSettings,
) -> ApiResult<BannedWordSettings> {
    let mode = BannedMode::parse(&req.mode)
        .ok_or_else(|| ApiError::invalid_because("mode", &Reason::OneOf { allowed: "block, warn".into() }))?;
    let words = BannedWords::new(req.words.clone()).map_err(ApiError::from)?;
    let list: Vec<String> = words.words().to_vec();
    let mut tx = st.store.begin().await?;
    let before = st.store.banned_word_settings(admin.merchant_id).await?;
    st.store
        .set_banned_word_settings(
            &mut tx,
            admin.merchant_id,
            mode.as_str(),
            &serde_json::to_string(&list).map_err(ApiError::internal)?,
        )
        .await?;
    let out = BannedWordSettings { mode: mode.as_str().into(), words: list };
    audit(
        st,
        &mut tx,
        &admin,
        call,
        "settings.banned_words",
        "merchant".into(),
        Some(serde_json::json!({"mode": before.0})),
        to_json(&out),
    )
    .await?;
    minimall_store::commit(tx).await?;
    Ok(out)
}

async fn category_path(st: &AppState, tx: &mut Tx, merchant_id: i64, category_id: i64) -> ApiResult<Vec<String>> {
    let rows = st.store.categories_tx(tx, merchant_id).await?;
    let ns = nodes(&rows);
    let t = Tree::new(&ns);
    if !t.contains(category_id) {
        return Err(ApiError::invalid_because(
            "category_id",
            &ApiReason::NoSuch { what: crate::error::thing("category") },
        ));
    }
    Ok(t.path(category_id))
}

/// A role that may not see cost prices may not set them either.
fn check_cost_input(money: MoneyView, skus: &[SkuInput]) -> ApiResult<()> {
    match skus.iter().position(|s| s.cost_price.is_some()) {
        Some(i) if !money.cost => Err(ApiError::forbidden_because(&CatalogRefusal::CostPriceForbidden)
            .with_field(format!("skus[{i}].cost_price"))),
        _ => Ok(()),
    }
}

async fn load_product_dto(st: &AppState, tx: &mut Tx, merchant_id: i64, id: i64) -> ApiResult<ProductDto> {
    let p = st
        .store
        .product(&mut **tx, merchant_id, ProductId::new(id))
        .await
        .map_err(|_| ApiError::not_found("product"))?;
    let skus = st.store.skus_of(&mut **tx, &[ProductId::new(id)]).await?;
    let path = category_path(st, tx, merchant_id, p.category_id).await.unwrap_or_default();
    Ok(ProductDto::from_rows(&p, &skus, path, true))
}

fn banned_fields(check: &BannedCheck, fields: &minimall_store::catalog::ProductFields) -> ApiResult<Vec<BannedHitDto>> {
    let visible = visible_text(&fields.description);
    check.apply(&BannedCheck::product_fields(fields, &visible))
}

fn map_dup(e: StoreError, field: &str) -> ApiError {
    match e {
        StoreError::Duplicate(what) => ApiError::conflict_because(&ApiReason::Duplicate { what }).with_field(field),
        other => other.into(),
    }
}

fn stock_err(e: StockError, field: &str) -> ApiError {
    match e {
        StockError::Insufficient(have) => {
            ApiError::conflict_because(&CatalogRefusal::NotEnoughStock { have }).with_field(field)
        }
        StockError::Store(StoreError::NotFound) => ApiError::not_found("sku"),
        StockError::Store(s) => s.into(),
    }
}
