//! The JSON API of stored value: the buyer's own balance and movements; any buyer's for the owner and finance,
//! and finance's adjustments.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::{StoredValueAdjustment, StoredValueMoveDto, StoredValueSummary};
use crate::accounts::auth::{Admin, Buyer, ManageFinance, ReadFinance};
use crate::error::{ApiResult, ErrorBody};
use crate::http::extract::{ApiJson, ApiQuery, Path};
use crate::http::{PageQuery, Paginated};
use crate::state::AppState;
use crate::usecase::Call;

/// The buyer's stored value (余额), in fen.
#[utoipa::path(get, path = "/api/v1/shop/stored-value", tag = "shop-stored-value", security(("bearer" = [])),
    responses((status = 200, body = StoredValueSummary)))]
pub async fn own_balance(State(st): State<AppState>, buyer: Buyer) -> ApiResult<Json<StoredValueSummary>> {
    super::own_summary(&st, &buyer).await.map(Json)
}

/// The movements of the buyer's stored value, newest first.
#[utoipa::path(get, path = "/api/v1/shop/stored-value/moves", tag = "shop-stored-value", params(PageQuery),
    security(("bearer" = [])), responses((status = 200, body = Paginated<StoredValueMoveDto>)))]
pub async fn own_moves(
    State(st): State<AppState>,
    buyer: Buyer,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Paginated<StoredValueMoveDto>>> {
    super::moves(&st, buyer.merchant_id, buyer.id, &q).await.map(Json)
}

/// A buyer's stored value (owner, finance).
#[utoipa::path(get, path = "/api/v1/admin/buyers/{id}/stored-value", tag = "admin-stored-value",
    params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = StoredValueSummary), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn buyer_balance(
    State(st): State<AppState>,
    admin: Admin<ReadFinance>,
    Path(id): Path<i64>,
) -> ApiResult<Json<StoredValueSummary>> {
    super::buyer_summary(&st, &admin, id).await.map(Json)
}

/// The movements of a buyer's stored value, newest first (owner, finance).
#[utoipa::path(get, path = "/api/v1/admin/buyers/{id}/stored-value/moves", tag = "admin-stored-value",
    params(("id" = i64, Path), PageQuery), security(("bearer" = [])),
    responses((status = 200, body = Paginated<StoredValueMoveDto>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn buyer_moves(
    State(st): State<AppState>,
    admin: Admin<ReadFinance>,
    Path(id): Path<i64>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Paginated<StoredValueMoveDto>>> {
    super::buyer_moves(&st, &admin, id, &q).await.map(Json)
}

/// Adjust a buyer's stored value (finance; audited): `counter` for money received or paid out at the counter
/// (against the bank), `goodwill` for credit given or taken back (against operating expenses). Taking back more
/// than the balance is a 409 `stored_value.insufficient`. Needs `Idempotency-Key`.
#[utoipa::path(post, path = "/api/v1/admin/buyers/{id}/stored-value/adjustments", tag = "admin-stored-value",
    request_body = StoredValueAdjustment, params(("id" = i64, Path), ("Idempotency-Key" = String, Header)),
    security(("bearer" = [])),
    responses((status = 201, body = StoredValueMoveDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn adjust(
    State(st): State<AppState>,
    admin: Admin<ManageFinance>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<StoredValueAdjustment>,
) -> ApiResult<Response> {
    super::adjust(&st, &admin, &Call::from_headers(&headers), id, req).await.map(IntoResponse::into_response)
}
