//! Console promotions: activities, coupons (templates, push), freight templates, pricing settings, points.

use minimall_core::ProductId;
use std::collections::HashSet;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use minimall_core::catalog::tree::{Node, Tree};
use minimall_core::error::{Label, Reason};
use minimall_core::validate::display_text;
use minimall_core::FieldError;
use minimall_store::promotions::{ActivityFields, ActivityRow, FreightRow};
use minimall_store::StoreError;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::accounts::auth::{Admin, ManageCatalog, ManageSettings, ReadCatalog};
use crate::error::ApiReason;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::http::extract::{ApiJson, ApiQuery, Path};
use crate::http::Paginated;
use crate::ops::audit::{audit, to_json};
use crate::promotions::pricing::{self, FreightRules, RuleDto, ScopeDto};
use crate::promotions::refusals::PromotionRefusal;
use crate::state::AppState;
use crate::usecase::Call;
use crate::usecase::{self, Effects};

const MAX_WINDOW_MS: i64 = 366 * 86_400_000;

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivityInput {
    pub name: String,
    /// limited_discount 限时折扣, first_order 首单特价, newcomer 新人专享, full_reduction 满减, full_discount 满折
    pub kind: String,
    pub rule: RuleDto,
    pub scope: ScopeDto,
    /// epoch ms
    pub starts_at: i64,
    pub ends_at: i64,
    #[serde(default = "yes")]
    pub allow_coupons: bool,
    #[serde(default = "yes")]
    pub allow_points: bool,
    /// Units per buyer at the activity price; 0 = no limit.
    #[serde(default)]
    pub per_buyer_limit: i64,
    #[serde(default)]
    pub free_shipping: bool,
    /// Allow overlapping another product-level activity on the same SKUs and window.
    #[serde(default)]
    pub allow_overlap: bool,
}

pub(crate) fn yes() -> bool {
    true
}

#[derive(Serialize, ToSchema)]
pub struct ActivityDto {
    pub id: i64,
    pub name: String,
    pub kind: String,
    #[schema(value_type = Object)]
    pub rule: serde_json::Value,
    #[schema(value_type = Object)]
    pub scope: serde_json::Value,
    pub starts_at: i64,
    pub ends_at: i64,
    pub allow_coupons: bool,
    pub allow_points: bool,
    pub per_buyer_limit: i64,
    pub free_shipping: bool,
    pub allow_overlap: bool,
    /// upcoming, running, ended
    pub state: String,
    pub created_at: i64,
}

impl From<&ActivityRow> for ActivityDto {
    fn from(r: &ActivityRow) -> Self {
        let now = minimall_store::now_ms();
        let state = if r.status == "ended" || r.ends_at <= now {
            "ended"
        } else if r.starts_at > now {
            "upcoming"
        } else {
            "running"
        };
        ActivityDto {
            id: r.id,
            name: r.name.clone(),
            kind: r.kind.clone(),
            rule: serde_json::from_str(&r.rule).unwrap_or_default(),
            scope: serde_json::from_str(&r.scope).unwrap_or_default(),
            starts_at: r.starts_at,
            ends_at: r.ends_at,
            allow_coupons: r.allow_coupons != 0,
            allow_points: r.allow_points != 0,
            per_buyer_limit: r.per_buyer_limit,
            free_shipping: r.free_shipping != 0,
            allow_overlap: r.allow_overlap != 0,
            state: state.into(),
            created_at: r.created_at,
        }
    }
}

pub(crate) fn validate_activity(a: &ActivityInput) -> Result<(ActivityFields, bool), FieldError> {
    let name = display_text("name", &a.name, 40)?;
    let kind = pricing::activity_kind(&a.kind, &a.rule)?;
    a.scope.validate("scope")?;
    if a.starts_at <= 0 {
        return Err(FieldError::new("starts_at", Reason::NotEpochMs));
    }
    if a.ends_at <= a.starts_at {
        return Err(FieldError::new("ends_at", Reason::NotAfter { other: Label::field("starts_at") }));
    }
    if a.ends_at - a.starts_at > MAX_WINDOW_MS {
        return Err(FieldError::new("ends_at", Reason::ActivityTooLong { days: 366 }));
    }
    if !(0..=10_000).contains(&a.per_buyer_limit) {
        return Err(FieldError::new("per_buyer_limit", Reason::OutOfRange { min: 0, max: 10_000 }));
    }
    Ok((
        ActivityFields {
            name,
            kind: a.kind.clone(),
            rule: serde_json::to_string(&a.rule).unwrap_or_default(),
            scope: serde_json::to_string(&a.scope).unwrap_or_default(),
            starts_at: a.starts_at,
            ends_at: a.ends_at,
            allow_coupons: a.allow_coupons,
            allow_points: a.allow_points,
            per_buyer_limit: a.per_buyer_limit,
            free_shipping: a.free_shipping,
            allow_overlap: a.allow_overlap,
        },
        kind.is_product_level(),
    ))
}

/// SKUs a scope covers in the current catalog.
fn covered(scope: &ScopeDto, skus: &[(i64, i64, i64)], tree: &Tree<'_>) -> HashSet<i64> {
    let cats: HashSet<i64> = scope.categories.iter().flat_map(|c| tree.subtree(*c)).collect();
    skus.iter()
        .filter(|(sku, product, category)| {
            !scope.exclude_products.contains(product)
                && (scope.all
                    || scope.products.contains(product)
                    || scope.skus.contains(sku)
                    || cats.contains(category))
        })
        .map(|(sku, _, _)| *sku)
        .collect()
}

/// Refuse a product-level activity that overlaps another on the same SKUs and window, unless allowed.
pub(crate) async fn check_overlap(
    st: &AppState,
    tx: &mut minimall_store::Tx,
    merchant_id: i64,
    me: Option<i64>,
    f: &ActivityFields,
    scope: &ScopeDto,
) -> ApiResult<()> {
    if f.allow_overlap {
        return Ok(());
    }
    let others: Vec<ActivityRow> = st
        .store
        .activities_overlapping_tx(tx, merchant_id, f.starts_at, f.ends_at)
        .await?
        .into_iter()
        .filter(|o| {
            Some(o.id) != me
                && o.allow_overlap == 0
                && ["limited_discount", "first_order", "newcomer"].contains(&o.kind.as_str())
        })
        .collect();
    if others.is_empty() {
        return Ok(());
    }
    let skus = st.store.sku_ids_for_products_tx(tx, merchant_id).await?;
    let cats = st.store.categories_tx(tx, merchant_id).await?;
    let nodes: Vec<Node> = crate::catalog::categories::nodes(&cats);
    let tree = Tree::new(&nodes);
    let mine = covered(scope, &skus, &tree);
    for o in others {
        let os: ScopeDto = serde_json::from_str(&o.scope).unwrap_or_default();
        let theirs = covered(&os, &skus, &tree);
        let shared = mine.intersection(&theirs).count();
        if shared > 0 || (scope.all && os.all) {
            return Err(ApiError::conflict_because(&PromotionRefusal::Overlaps {
                id: o.id,
                name: o.name.clone(),
                skus: minimall_core::error::count(shared),
            })
            .with_field("scope"));
        }
    }
    Ok(())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ActivityQuery {
    /// running, upcoming, ended
    pub state: Option<String>,
    pub kind: Option<String>,
    pub page: Option<i64>,
    pub page_size: Option<i64>,
}

/// Activities, newest first.
#[utoipa::path(get, path = "/api/v1/admin/activities", tag = "admin-promotions", params(ActivityQuery), security(("bearer" = [])),
    responses((status = 200, body = Paginated<ActivityDto>)))]
pub async fn list_activities(
    State(st): State<AppState>,
    admin: Admin<ReadCatalog>,
    ApiQuery(q): ApiQuery<ActivityQuery>,
) -> ApiResult<Json<Paginated<ActivityDto>>> {
    crate::promotions::activities::list_activities(&st, &admin, q).await.map(Json)
}

/// Create an activity.
#[utoipa::path(post, path = "/api/v1/admin/activities", tag = "admin-promotions", request_body = ActivityInput, security(("bearer" = [])),
    responses((status = 201, body = ActivityDto), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_activity(
    State(st): State<AppState>,
    admin: Admin<ManageCatalog>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<ActivityInput>,
) -> ApiResult<(StatusCode, Json<ActivityDto>)> {
    Ok((
        StatusCode::CREATED,
        Json(crate::promotions::activities::create_activity(&st, &admin, &Call::from_headers(&headers), req).await?),
    ))
}

/// One activity.
#[utoipa::path(get, path = "/api/v1/admin/activities/{id}", tag = "admin-promotions", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = ActivityDto), (status = 404, body = ErrorBody)))]
pub async fn get_activity(
    State(st): State<AppState>,
    admin: Admin<ReadCatalog>,
    Path(id): Path<i64>,
) -> ApiResult<Json<ActivityDto>> {
    crate::promotions::activities::get_activity(&st, &admin, id).await.map(Json)
}

/// Change an activity.
#[utoipa::path(put, path = "/api/v1/admin/activities/{id}", tag = "admin-promotions", request_body = ActivityInput, params(("id" = i64, Path)),
    security(("bearer" = [])), responses((status = 200, body = ActivityDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_activity(
    State(st): State<AppState>,
    admin: Admin<ManageCatalog>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<ActivityInput>,
) -> ApiResult<Json<ActivityDto>> {
    crate::promotions::activities::update_activity(&st, &admin, &Call::from_headers(&headers), id, req).await.map(Json)
}

/// End an activity now.
#[utoipa::path(post, path = "/api/v1/admin/activities/{id}/end", tag = "admin-promotions", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = ActivityDto), (status = 404, body = ErrorBody)))]
pub async fn end_activity(
    State(st): State<AppState>,
    admin: Admin<ManageCatalog>,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> ApiResult<Json<ActivityDto>> {
    crate::promotions::activities::end_activity(&st, &admin, &Call::from_headers(&headers), id).await.map(Json)
}

// ---- freight ------------------------------------------------------------------------------------

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FreightInput {
    pub name: String,
    /// piece or weight
    pub mode: String,
    pub rules: FreightRules,
    /// Free when the goods reach this amount (fen).
    pub free_over: Option<i64>,
    #[serde(default)]
    pub no_delivery: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct FreightDto {
    pub id: i64,
    pub name: String,
    pub mode: String,
    pub rules: FreightRules,
    pub free_over: Option<i64>,
    pub no_delivery: Vec<String>,
}

impl From<&FreightRow> for FreightDto {
    fn from(r: &FreightRow) -> Self {
        FreightDto {
            id: r.id,
            name: r.name.clone(),
            mode: r.mode.clone(),
            rules: serde_json::from_str(&r.rules).unwrap_or(FreightRules {
                default: pricing::FreightRuleDto {
                    first_units: 1,
                    first_fee: 0,
                    additional_units: 1,
                    additional_fee: 0,
                },
                regions: vec![],
            }),
            free_over: r.free_over,
            no_delivery: serde_json::from_str(&r.no_delivery).unwrap_or_default(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct FreightList {
    pub items: Vec<FreightDto>,
    pub total: i64,
}

/// Freight templates.
#[utoipa::path(get, path = "/api/v1/admin/freight-templates", tag = "admin-promotions", security(("bearer" = [])), responses((status = 200, body = FreightList)))]
pub async fn list_freight(State(st): State<AppState>, admin: Admin<ReadCatalog>) -> ApiResult<Json<FreightList>> {
    crate::promotions::freight::list_freight(&st, &admin).await.map(Json)
}

fn validate_freight(f: &FreightInput) -> Result<String, FieldError> {
    let name = display_text("name", &f.name, 40)?;
    pricing::freight_core(0, &name, &f.mode, &f.rules, f.free_over, &f.no_delivery)?;
    Ok(name)
}

/// Create a freight template.
#[utoipa::path(post, path = "/api/v1/admin/freight-templates", tag = "admin-promotions", request_body = FreightInput, security(("bearer" = [])),
    responses((status = 201, body = FreightDto), (status = 422, body = ErrorBody)))]
pub async fn create_freight(
    State(st): State<AppState>,
    admin: Admin<ManageSettings>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<FreightInput>,
) -> ApiResult<(StatusCode, Json<FreightDto>)> {
    let name = validate_freight(&req)?;
    let mut tx = st.store.begin().await?;
    let n = st.store.freight_templates(admin.merchant_id).await?.len();
    if n >= 100 {
        return Err(ApiError::conflict_because(&PromotionRefusal::TooManyTemplates));
    }
    let row = st
        .store
        .insert_freight(
            &mut tx,
            admin.merchant_id,
            &name,
            &req.mode,
            &serde_json::to_string(&req.rules).unwrap_or_default(),
            req.free_over,
            &serde_json::to_string(&req.no_delivery).unwrap_or_default(),
        )
        .await?;
    let dto = FreightDto::from(&row);
    audit(
        &st,
        &mut tx,
        &admin,
        &headers,
        "freight.create",
        format!("freight_template:{}", row.id),
        None,
        to_json(&dto),
    )
    .await?;
    usecase::commit(&st, tx, Effects::new().promotions_write()).await?;
    Ok((StatusCode::CREATED, Json(dto)))
}

/// Change a freight template.
#[utoipa::path(put, path = "/api/v1/admin/freight-templates/{id}", tag = "admin-promotions", request_body = FreightInput, params(("id" = i64, Path)),
    security(("bearer" = [])), responses((status = 200, body = FreightDto), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_freight(
    State(st): State<AppState>,
    admin: Admin<ManageSettings>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<FreightInput>,
) -> ApiResult<Json<FreightDto>> {
    let name = validate_freight(&req)?;
    let mut tx = st.store.begin().await?;
    let row = st
        .store
        .update_freight(
            &mut tx,
            admin.merchant_id,
            id,
            &name,
            &req.mode,
            &serde_json::to_string(&req.rules).unwrap_or_default(),
            req.free_over,
            &serde_json::to_string(&req.no_delivery).unwrap_or_default(),
        )
        .await
        .map_err(|_| ApiError::not_found("freight_template"))?;
    let dto = FreightDto::from(&row);
    audit(&st, &mut tx, &admin, &headers, "freight.update", format!("freight_template:{id}"), None, to_json(&dto))
        .await?;
    usecase::commit(&st, tx, Effects::new().promotions_write()).await?;
    Ok(Json(dto))
}

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PricingSettings {
    /// Points worth ¥1 (积分抵现 rate), 100 to 100000.
    pub points_per_yuan: i64,
    /// Points may pay at most this share of an order (percent).
    pub points_max_share_pct: i32,
    /// Freight template for products without one.
    pub default_freight_template_id: Option<i64>,
}

/// Pricing settings.
#[utoipa::path(get, path = "/api/v1/admin/settings/pricing", tag = "admin-promotions", security(("bearer" = [])), responses((status = 200, body = PricingSettings)))]
pub async fn get_pricing(State(st): State<AppState>, admin: Admin<ReadCatalog>) -> ApiResult<Json<PricingSettings>> {
    let (a, b, c) = st.store.pricing_settings(admin.merchant_id).await?;
    Ok(Json(PricingSettings { points_per_yuan: a, points_max_share_pct: b, default_freight_template_id: c }))
}

/// Change pricing settings.
#[utoipa::path(put, path = "/api/v1/admin/settings/pricing", tag = "admin-promotions", request_body = PricingSettings, security(("bearer" = [])),
    responses((status = 200, body = PricingSettings), (status = 422, body = ErrorBody)))]
pub async fn put_pricing(
    State(st): State<AppState>,
    admin: Admin<ManageSettings>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<PricingSettings>,
) -> ApiResult<Json<PricingSettings>> {
    // At least 100 points per yuan: a point is never worth more than a fen, so amounts stay exact.
    if !(100..=100_000).contains(&req.points_per_yuan) {
        return Err(ApiError::invalid_because("points_per_yuan", &Reason::OutOfRange { min: 100, max: 100000 }));
    }
    if !(0..=100).contains(&req.points_max_share_pct) {
        return Err(ApiError::invalid_because("points_max_share_pct", &Reason::OutOfRange { min: 0, max: 100 }));
    }
    if let Some(t) = req.default_freight_template_id {
        if !st.store.freight_templates(admin.merchant_id).await?.iter().any(|f| f.id == t) {
            return Err(ApiError::invalid_because(
                "default_freight_template_id",
                &ApiReason::NoSuch { what: crate::error::thing("freight_template") },
            ));
        }
    }
    let mut tx = st.store.begin().await?;
    st.store
        .set_pricing_settings(
            &mut tx,
            admin.merchant_id,
            req.points_per_yuan,
            req.points_max_share_pct,
            req.default_freight_template_id,
        )
        .await?;
    audit(&st, &mut tx, &admin, &headers, "settings.pricing", "merchant".into(), None, to_json(&req)).await?;
    usecase::commit(&st, tx, Effects::new().promotions_write()).await?;
    Ok(Json(req))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductFreight {
    /// `null` uses the shop default.
    pub freight_template_id: Option<i64>,
}

/// Set the freight template of a product.
#[utoipa::path(put, path = "/api/v1/admin/products/{id}/freight", tag = "admin-promotions", request_body = ProductFreight, params(("id" = i64, Path)),
    security(("bearer" = [])), responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_product_freight(
    State(st): State<AppState>,
    admin: Admin<ManageCatalog>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<ProductFreight>,
) -> ApiResult<StatusCode> {
    st.store
        .product(st.store.reader(), admin.merchant_id, ProductId::new(id))
        .await
        .map_err(|_| ApiError::not_found("product"))?;
    if let Some(t) = req.freight_template_id {
        if !st.store.freight_templates(admin.merchant_id).await?.iter().any(|f| f.id == t) {
            return Err(ApiError::invalid_because(
                "freight_template_id",
                &ApiReason::NoSuch { what: crate::error::thing("freight_template") },
            ));
        }
    }
    let mut tx = st.store.begin().await?;
    st.store.set_product_freight(&mut tx, admin.merchant_id, id, req.freight_template_id).await?;
    audit(
        &st,
        &mut tx,
        &admin,
        &headers,
        "product.freight",
        format!("product:{id}"),
        None,
        Some(serde_json::json!({"freight_template_id": req.freight_template_id})),
    )
    .await?;
    let fx = Effects::new().catalog_write(&st.store, &mut tx, admin.merchant_id).await?;
    usecase::commit(&st, tx, fx).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PointsGrant {
    /// Positive grants, negative deducts (never below zero).
    pub delta: i64,
    pub note: String,
}

#[derive(Serialize, ToSchema)]
pub struct PointsBalance {
    pub buyer_id: i64,
    pub balance: i64,
}

/// Grant or deduct a buyer's points by hand (recorded in the ledger).
#[utoipa::path(post, path = "/api/v1/admin/buyers/{id}/points", tag = "admin-promotions", request_body = PointsGrant, params(("id" = i64, Path)),
    security(("bearer" = [])), responses((status = 200, body = PointsBalance), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn grant_points(
    State(st): State<AppState>,
    admin: Admin<ManageCatalog>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<PointsGrant>,
) -> ApiResult<Json<PointsBalance>> {
    if req.delta == 0 || !(-10_000_000..=10_000_000).contains(&req.delta) {
        return Err(ApiError::invalid_because("delta", &ApiReason::StockDeltaRange));
    }
    let note = display_text("note", &req.note, 100)?;
    st.store.buyer_by_id(admin.merchant_id, id).await.map_err(|_| ApiError::not_found("buyer"))?;
    let rules = crate::members::rules(&st, admin.merchant_id).await?;
    let now = minimall_store::now_ms();
    let reference = format!("manual:{id}:{}", crate::accounts::auth::new_token("").get(..16).unwrap_or_default());
    let mut tx = st.store.begin().await?;
    // Given: a lot, the balance and the journal's points granted; taken: the balance and the grant reversed.
    let balance = if req.delta > 0 {
        let lot = minimall_store::members::LotSource::Adjust;
        crate::members::grant_points(&st, &mut tx, &rules, admin.merchant_id, id, req.delta, lot, &reference, now)
            .await?
    } else {
        let balance = st.store.move_points(&mut tx, admin.merchant_id, id, req.delta, "manual", &note).await.map_err(
            |e| match e {
                StoreError::Constraint(m) => crate::error::conflict_with_data(m).with_field("delta"),
                o => o.into(),
            },
        )?;
        let value = minimall_core::Money::from_fen(minimall_core::members::points::value_fen(
            -req.delta,
            rules.points_per_yuan,
        ));
        let kind = minimall_core::ledger::PostingKind::PointsReversed;
        let posting = minimall_core::ledger::build::points_withdrawn(kind, &reference, now, -req.delta, value)
            .map_err(|e| ApiError::internal(format!("journal posting refused: {e}")))?;
        if let Some(p) = posting {
            st.store.post(&mut tx, admin.merchant_id, &p, Some(admin.id)).await?;
        }
        balance
    };
    audit(
        &st,
        &mut tx,
        &admin,
        &headers,
        "points.adjust",
        format!("buyer:{id}"),
        None,
        Some(serde_json::json!({"delta": req.delta, "balance": balance, "note": note})),
    )
    .await?;
    usecase::commit(&st, tx, Effects::new().promotions_write()).await?;
    Ok(Json(PointsBalance { buyer_id: id, balance }))
}
