//! Console orders: filtered list, detail with its timeline, shipping, CSV export.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use minimall_core::page::Page;
use minimall_core::{MerchantId, OrderId};
use minimall_store::orders::OrderFilter;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::accounts::auth::{Admin, ManageOrders, MoneyView, ReadOrders};
use crate::error::{ApiError, ApiResult, ErrorBody, ReqLang};
use crate::http::extract::{ApiJson, ApiQuery, Path};
use crate::http::Paginated;
use crate::orders::refusals::OrderRefusal;
use crate::orders::shop_api::{check_status_filter, order_dto, OrderDto};
use crate::state::AppState;
use crate::usecase::Call;
use crate::web::i18n::Lang;
use minimall_store::orders::OrderScope;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OrderQuery {
    pub status: Option<String>,
    pub buyer_id: Option<i64>,
    /// Orders containing this product.
    pub product_id: Option<i64>,
    /// Created at or after (epoch ms).
    pub from: Option<i64>,
    /// Created before (epoch ms).
    pub to: Option<i64>,
    pub order_no: Option<String>,
    pub page: Option<i64>,
    pub page_size: Option<i64>,
}

fn filter(q: &OrderQuery) -> ApiResult<OrderFilter> {
    let status = q.status.clone().unwrap_or_default();
    check_status_filter(&status)?;
    if q.order_no.as_ref().is_some_and(|n| n.len() > 40) {
        return Err(ApiError::invalid_because("order_no", &OrderRefusal::TooLong));
    }
    Ok(OrderFilter {
        status,
        buyer_id: q.buyer_id.unwrap_or(0),
        product_id: q.product_id.unwrap_or(0),
        from_ms: q.from.unwrap_or(0),
        to_ms: q.to.unwrap_or(0),
        order_no: q.order_no.clone().unwrap_or_default(),
    })
}

/// An order's amounts (totals, discounts, shipping, paid, refunded), also on its lines.
const ORDER_AMOUNTS: &[&str] = &[
    "list_total",
    "goods_total",
    "order_discount",
    "coupon_discount",
    "points_discount",
    "shipping",
    "payable",
    "refunded_amount",
];
const LINE_AMOUNTS: &[&str] =
    &["goods_amount", "order_discount", "coupon_discount", "points_discount", "paid_amount", "refunded_amount"];

fn drop_keys(v: &mut serde_json::Value, keys: &[&str]) {
    if let Some(o) = v.as_object_mut() {
        for k in keys {
            o.remove(*k);
        }
    }
}

/// An order as JSON without its amounts, for roles that may not see revenue.
fn strip_order(o: &mut serde_json::Value) {
    drop_keys(o, ORDER_AMOUNTS);
    if let Some(lines) = o.get_mut("lines").and_then(|l| l.as_array_mut()) {
        for l in lines {
            drop_keys(l, LINE_AMOUNTS);
        }
    }
}

/// The answer as JSON, the amounts left out unless the user may see revenue.
async fn shown<T: Serialize>(
    st: &AppState,
    admin: &crate::accounts::auth::AdminUser,
    v: &T,
    strip: fn(&mut serde_json::Value),
) -> ApiResult<Response> {
    let mut v = serde_json::to_value(v).map_err(ApiError::internal)?;
    if !MoneyView::of(st, admin).await?.revenue {
        strip(&mut v);
    }
    Ok(Json(v).into_response())
}

/// Orders, newest first, filtered. Roles without the revenue permission get the orders without their
/// amounts (`list_total`, `goods_total`, the discounts, `shipping`, `payable`, `refunded_amount`, and the
/// lines' `goods_amount`, discounts, `paid_amount`, `refunded_amount`).
#[utoipa::path(get, path = "/api/v1/admin/orders", tag = "admin-orders", params(OrderQuery), security(("bearer" = [])),
    responses((status = 200, body = Paginated<OrderDto>), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(st): State<AppState>,
    admin: Admin<ReadOrders>,
    ReqLang(lang): ReqLang,
    ApiQuery(q): ApiQuery<OrderQuery>,
) -> ApiResult<Response> {
    let Json(page) = list_orders(&st, &admin, lang, q).await?;
    shown(&st, &admin, &page, |v| {
        if let Some(items) = v.get_mut("items").and_then(|i| i.as_array_mut()) {
            items.iter_mut().for_each(strip_order);
        }
    })
    .await
}

/// The orders of [`list`] with every amount (the console decides what it shows).
pub async fn list_orders(
    st: &AppState,
    admin: &Admin<ReadOrders>,
    lang: Lang,
    q: OrderQuery,
) -> ApiResult<Json<Paginated<OrderDto>>> {
    let page = Page::parse(q.page, q.page_size)?;
    let rows = st.store.list_orders(admin.merchant_id, &filter(&q)?, page.size(), page.offset()).await?;
    let mut items = Vec::new();
    for o in rows.items {
        items.push(order_dto(st, o, lang).await?);
    }
    Ok(Json(Paginated::new(items, rows.total, page)))
}

#[derive(Serialize, ToSchema)]
pub struct TimelineEntry {
    pub kind: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    pub actor: String,
    pub at: i64,
}

#[derive(Serialize, ToSchema)]
pub struct PaymentDto {
    pub provider: String,
    pub out_trade_no: String,
    /// Left out for roles that may not see revenue.
    #[schema(required = false)]
    pub amount: i64,
    /// Left out for roles that may not see revenue.
    #[schema(required = false)]
    pub fee: i64,
    pub status: String,
    pub provider_txn_id: Option<String>,
    pub notifications: i64,
    pub succeeded_at: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct RefundDto {
    pub out_refund_no: String,
    /// Left out for roles that may not see revenue.
    #[schema(required = false)]
    pub amount: i64,
    pub reason: String,
    pub status: String,
    pub created_at: i64,
    pub succeeded_at: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct ShipmentDto {
    pub carrier: String,
    pub tracking_no: String,
    /// Lines and units in this parcel.
    #[schema(value_type = Vec<ShipLine>)]
    pub lines: serde_json::Value,
    pub created_at: i64,
}

#[derive(Serialize, ToSchema)]
pub struct OrderDetail {
    pub order: OrderDto,
    /// Every state change, payment, notification and refund, oldest first.
    pub timeline: Vec<TimelineEntry>,
    pub payment: Option<PaymentDto>,
    pub refunds: Vec<RefundDto>,
    pub shipments: Vec<ShipmentDto>,
    /// How the payable was computed at checkout (left out for roles that may not see revenue).
    #[schema(value_type = Object, required = false)]
    pub derivation: serde_json::Value,
}

/// One order with its timeline, payment, refunds and shipments. Roles without the revenue permission get it
/// without the amounts (as in the list), the payment's `amount` and `fee`, the refunds' `amount` and the
/// `derivation`.
#[utoipa::path(get, path = "/api/v1/admin/orders/{id}", tag = "admin-orders", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = OrderDetail), (status = 404, body = ErrorBody)))]
pub async fn detail(
    State(st): State<AppState>,
    admin: Admin<ReadOrders>,
    ReqLang(lang): ReqLang,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    let Json(d) = order_detail(&st, &admin, lang, id).await?;
    shown(&st, &admin, &d, |v| {
        if let Some(o) = v.get_mut("order") {
            strip_order(o);
        }
        if let Some(p) = v.get_mut("payment") {
            drop_keys(p, &["amount", "fee"]);
        }
        if let Some(rs) = v.get_mut("refunds").and_then(|r| r.as_array_mut()) {
            rs.iter_mut().for_each(|r| drop_keys(r, &["amount"]));
        }
        drop_keys(v, &["derivation"]);
    })
    .await
}

/// The order of [`detail`] with every amount (the console decides what it shows).
pub async fn order_detail(
    st: &AppState,
    admin: &Admin<ReadOrders>,
    lang: Lang,
    id: i64,
) -> ApiResult<Json<OrderDetail>> {
    let o = st
        .store
        .order(st.store.reader(), OrderScope::Merchant(MerchantId::new(admin.merchant_id)), OrderId::new(id))
        .await
        .map_err(|_| ApiError::not_found("order"))?;
    let derivation = serde_json::from_str(&o.derivation).unwrap_or_default();
    let payment = match st.store.payment_for_order(OrderId::new(id)).await? {
        Some(p) => Some(PaymentDto {
            notifications: st.store.count_notifications(&p.out_trade_no).await?,
            provider: p.provider,
            out_trade_no: p.out_trade_no,
            amount: p.amount,
            fee: p.fee,
            status: p.status,
            provider_txn_id: p.provider_txn_id,
            succeeded_at: p.succeeded_at,
        }),
        None => None,
    };
    let timeline = st
        .store
        .order_events(OrderId::new(id))
        .await?
        .into_iter()
        .map(|e| TimelineEntry {
            kind: e.kind,
            from_status: e.from_status.map(|s| s.as_str().to_string()),
            to_status: e.to_status.map(|s| s.as_str().to_string()),
            detail: serde_json::from_str(&e.detail).unwrap_or_default(),
            actor: e.actor,
            at: e.at,
        })
        .collect();
    let refunds = st
        .store
        .refunds_of(OrderId::new(id))
        .await?
        .into_iter()
        .map(|r| RefundDto {
            out_refund_no: r.out_refund_no,
            amount: r.amount,
            reason: r.reason,
            status: r.status,
            created_at: r.created_at,
            succeeded_at: r.succeeded_at,
        })
        .collect();
    let shipments = st
        .store
        .shipments_of(OrderId::new(id))
        .await?
        .into_iter()
        .map(|s| ShipmentDto {
            carrier: s.carrier,
            tracking_no: s.tracking_no,
            lines: serde_json::from_str(&s.lines).unwrap_or_default(),
            created_at: s.created_at,
        })
        .collect();
    Ok(Json(OrderDetail { order: order_dto(st, o, lang).await?, timeline, payment, refunds, shipments, derivation }))
}

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShipLine {
    pub line_id: i64,
    pub quantity: i64,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShipRequest {
    /// e.g. 顺丰速运
    pub carrier: String,
    pub tracking_no: String,
    /// Lines and units in this parcel; omit to ship everything not yet shipped.
    pub lines: Option<Vec<ShipLine>>,
    /// What the carrier charges for this parcel, fen (posted as shipping cost). 0 by default.
    #[schema(minimum = 0, maximum = 10_000_000_000_i64)]
    pub cost: Option<i64>,
}

/// Ship an order, in full or in part.
#[utoipa::path(post, path = "/api/v1/admin/orders/{id}/ship", tag = "admin-orders", request_body = ShipRequest, params(("id" = i64, Path)),
    security(("bearer" = [])), responses((status = 200, body = OrderDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn ship(
    State(st): State<AppState>,
    admin: Admin<ManageOrders>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<ShipRequest>,
) -> ApiResult<Json<OrderDto>> {
    crate::orders::fulfilment::ship(&st, &admin, &Call::from_headers(&headers), id, req).await.map(Json)
}

/// Orders as CSV (UTF-8 with BOM), same filters as the list, at most 50,000 rows. The amount columns (商品金额,
/// 优惠, 运费, 实付, 已退款) are there only for roles that may see revenue.
///
/// Text cells that a spreadsheet would take as a formula start with `'`; amounts are plain numbers.
#[utoipa::path(get, path = "/api/v1/admin/orders/export", tag = "admin-orders", params(OrderQuery), security(("bearer" = [])),
    responses((status = 200, content_type = "text/csv", body = String)))]
pub async fn export(
    State(st): State<AppState>,
    admin: Admin<ReadOrders>,
    ApiQuery(q): ApiQuery<OrderQuery>,
) -> ApiResult<Response> {
    use minimall_core::catalog::csvio::text_field;
    let f = filter(&q)?;
    // Amounts only for roles that may see revenue: the columns are left out, not zeroed.
    let revenue = MoneyView::of(&st, &admin).await?.revenue;
    let mut out = String::from(if revenue {
        "\u{feff}订单号,状态,买家ID,商品金额,优惠,运费,实付,已退款,下单时间(ms),付款时间(ms)\r\n"
    } else {
        "\u{feff}订单号,状态,买家ID,下单时间(ms),付款时间(ms)\r\n"
    });
    let yuan = |fen: i64| minimall_core::Money::from_fen(fen).to_yuan_string();
    let mut offset = 0;
    while offset < 50_000 {
        let rows = st.store.list_orders(admin.merchant_id, &f, 500, offset).await?;
        if rows.items.is_empty() {
            break;
        }
        for o in &rows.items {
            out.push_str(&format!("{},{},{},", text_field(&o.order_no), text_field(o.status.as_str()), o.buyer_id));
            if revenue {
                let discount = o.list_total - o.goods_total + o.order_discount + o.coupon_discount + o.points_discount;
                out.push_str(&format!(
                    "{},{},{},{},{},",
                    yuan(o.list_total),
                    yuan(discount),
                    yuan(o.shipping),
                    yuan(o.payable),
                    yuan(o.refunded_amount)
                ));
            }
            out.push_str(&format!("{},{}\r\n", o.created_at, o.paid_at.map(|t| t.to_string()).unwrap_or_default()));
        }
        offset += 500;
    }
    let mut r = out.into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    r.headers_mut()
        .insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"orders.csv\""));
    Ok(r)
}
