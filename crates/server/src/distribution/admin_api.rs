//! The console's distribution API: promoters and applications, their decisions, a promoter's commissions, the
//! shop's distribution settings, and withdrawals (approve, pay, refuse).

use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;

use super::cases::{
    self, CommissionDto, CommissionQuery, CommissionReview, Decision, NoteInput, PayInput, PromoterDto, StatusQuery,
    WithdrawalDto, WithdrawalStep,
};
use super::settings::DistributionSettings;
use crate::accounts::auth::{Admin, ManageMembers, ManageSettings, ReadBuyers, ReadFinance};
use crate::error::{ApiResult, ErrorBody};
use crate::http::extract::{ApiJson, ApiQuery, Path};
use crate::http::Paginated;
use crate::state::AppState;
use crate::usecase::Call;

/// Promoters and applications, newest first; of one status (pending, active, rejected, suspended) when given.
#[utoipa::path(get, path = "/api/v1/admin/promoters", tag = "admin-distribution", params(StatusQuery), security(("bearer" = [])),
    responses((status = 200, body = Paginated<PromoterDto>), (status = 422, body = ErrorBody)))]
pub async fn list_promoters(
    State(st): State<AppState>,
    admin: Admin<ReadBuyers>,
    ApiQuery(q): ApiQuery<StatusQuery>,
) -> ApiResult<Json<Paginated<PromoterDto>>> {
    Ok(Json(cases::promoters(&st, &admin, &q).await?))
}

/// One promoter with their earnings by state.
#[utoipa::path(get, path = "/api/v1/admin/promoters/{id}", tag = "admin-distribution", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = PromoterDto)))]
pub async fn get_promoter(
    State(st): State<AppState>,
    admin: Admin<ReadBuyers>,
    Path(id): Path<i64>,
) -> ApiResult<Json<PromoterDto>> {
    Ok(Json(cases::promoter(&st, &admin, id).await?))
}

/// A promoter's commissions, newest first; of one status (frozen, held, settled, rejected) when given.
#[utoipa::path(get, path = "/api/v1/admin/promoters/{id}/commissions", tag = "admin-distribution", params(("id" = i64, Path), StatusQuery), security(("bearer" = [])),
    responses((status = 200, body = Paginated<CommissionDto>), (status = 422, body = ErrorBody)))]
pub async fn promoter_commissions(
    State(st): State<AppState>,
    admin: Admin<ReadBuyers>,
    Path(id): Path<i64>,
    ApiQuery(q): ApiQuery<StatusQuery>,
) -> ApiResult<Json<Paginated<CommissionDto>>> {
    Ok(Json(cases::promoter_commissions(&st, &admin, id, &q).await?))
}

async fn decide(
    st: AppState,
    admin: Admin<ManageMembers>,
    headers: HeaderMap,
    id: i64,
    d: Decision,
    n: NoteInput,
) -> ApiResult<Json<PromoterDto>> {
    Ok(Json(cases::decide(&st, &admin, &Call::from_headers(&headers), id, d, &n).await?))
}

/// Approve an application.
#[utoipa::path(post, path = "/api/v1/admin/promoters/{id}/approve", tag = "admin-distribution", params(("id" = i64, Path)), request_body = NoteInput,
    security(("bearer" = [])), responses((status = 200, body = PromoterDto), (status = 409, body = ErrorBody)))]
pub async fn approve_promoter(
    State(st): State<AppState>,
    admin: Admin<ManageMembers>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    ApiJson(n): ApiJson<NoteInput>,
) -> ApiResult<Json<PromoterDto>> {
    decide(st, admin, headers, id, Decision::Approve, n).await
}

/// Refuse an application (the buyer may apply again).
#[utoipa::path(post, path = "/api/v1/admin/promoters/{id}/reject", tag = "admin-distribution", params(("id" = i64, Path)), request_body = NoteInput,
    security(("bearer" = [])), responses((status = 200, body = PromoterDto), (status = 409, body = ErrorBody)))]
pub async fn reject_promoter(
    State(st): State<AppState>,
    admin: Admin<ManageMembers>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    ApiJson(n): ApiJson<NoteInput>,
) -> ApiResult<Json<PromoterDto>> {
    decide(st, admin, headers, id, Decision::Reject, n).await
}

/// Suspend a promoter: nobody binds to them and their buyers' orders earn them nothing until reinstated.
#[utoipa::path(post, path = "/api/v1/admin/promoters/{id}/suspend", tag = "admin-distribution", params(("id" = i64, Path)), request_body = NoteInput,
    security(("bearer" = [])), responses((status = 200, body = PromoterDto), (status = 409, body = ErrorBody)))]
pub async fn suspend_promoter(
    State(st): State<AppState>,
    admin: Admin<ManageMembers>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    ApiJson(n): ApiJson<NoteInput>,
) -> ApiResult<Json<PromoterDto>> {
    decide(st, admin, headers, id, Decision::Suspend, n).await
}

/// Reinstate a suspended promoter.
#[utoipa::path(post, path = "/api/v1/admin/promoters/{id}/reinstate", tag = "admin-distribution", params(("id" = i64, Path)), request_body = NoteInput,
    security(("bearer" = [])), responses((status = 200, body = PromoterDto), (status = 409, body = ErrorBody)))]
pub async fn reinstate_promoter(
    State(st): State<AppState>,
    admin: Admin<ManageMembers>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    ApiJson(n): ApiJson<NoteInput>,
) -> ApiResult<Json<PromoterDto>> {
    decide(st, admin, headers, id, Decision::Reinstate, n).await
}

/// The shop's distribution settings: approval, binding, commission rates, settlement, withdrawal limits.
#[utoipa::path(get, path = "/api/v1/admin/distribution/settings", tag = "admin-distribution", security(("bearer" = [])),
    responses((status = 200, body = DistributionSettings)))]
pub async fn get_distribution_settings(
    State(st): State<AppState>,
    admin: Admin<ManageMembers>,
) -> ApiResult<Json<DistributionSettings>> {
    Ok(Json(cases::get_settings(&st, &admin).await?))
}

/// Save the shop's distribution settings (the owner's).
#[utoipa::path(put, path = "/api/v1/admin/distribution/settings", tag = "admin-distribution", request_body = DistributionSettings,
    security(("bearer" = [])), responses((status = 200, body = DistributionSettings)))]
pub async fn put_distribution_settings(
    State(st): State<AppState>,
    admin: Admin<ManageSettings>,
    headers: HeaderMap,
    ApiJson(s): ApiJson<DistributionSettings>,
) -> ApiResult<Json<DistributionSettings>> {
    Ok(Json(cases::put_settings(&st, &admin, &Call::from_headers(&headers), &s).await?))
}

/// Promoters' withdrawal requests, newest first; of one status (requested, approved, paid, rejected) when given.
#[utoipa::path(get, path = "/api/v1/admin/promoter-withdrawals", tag = "admin-distribution", params(StatusQuery), security(("bearer" = [])),
    responses((status = 200, body = Paginated<WithdrawalDto>), (status = 422, body = ErrorBody)))]
pub async fn list_withdrawals(
    State(st): State<AppState>,
    admin: Admin<ReadFinance>,
    ApiQuery(q): ApiQuery<StatusQuery>,
) -> ApiResult<Json<Paginated<WithdrawalDto>>> {
    Ok(Json(cases::withdrawals(&st, &admin, &q).await?))
}

/// Approve a withdrawal request (it is paid next).
#[utoipa::path(post, path = "/api/v1/admin/promoter-withdrawals/{id}/approve", tag = "admin-distribution", params(("id" = i64, Path)), request_body = NoteInput,
    security(("bearer" = [])), responses((status = 200, body = WithdrawalDto), (status = 409, body = ErrorBody)))]
pub async fn approve_withdrawal(
    State(st): State<AppState>,
    admin: Admin<ReadFinance>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    ApiJson(n): ApiJson<NoteInput>,
) -> ApiResult<Json<WithdrawalDto>> {
    let call = Call::from_headers(&headers);
    Ok(Json(cases::decide_withdrawal(&st, &admin, &call, id, WithdrawalStep::Approve, &n.note).await?))
}

/// Record an approved withdrawal as paid: to the promoter's stored value, or by hand from the bank.
#[utoipa::path(post, path = "/api/v1/admin/promoter-withdrawals/{id}/pay", tag = "admin-distribution", params(("id" = i64, Path)), request_body = PayInput,
    security(("bearer" = [])), responses((status = 200, body = WithdrawalDto), (status = 409, body = ErrorBody)))]
pub async fn pay_withdrawal(
    State(st): State<AppState>,
    admin: Admin<ReadFinance>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    ApiJson(p): ApiJson<PayInput>,
) -> ApiResult<Json<WithdrawalDto>> {
    let call = Call::from_headers(&headers);
    Ok(Json(cases::decide_withdrawal(&st, &admin, &call, id, WithdrawalStep::Pay(p.payout), &p.note).await?))
}

/// Refuse a withdrawal: the amount is the promoter's again (less what they owe by now).
#[utoipa::path(post, path = "/api/v1/admin/promoter-withdrawals/{id}/reject", tag = "admin-distribution", params(("id" = i64, Path)), request_body = NoteInput,
    security(("bearer" = [])), responses((status = 200, body = WithdrawalDto), (status = 409, body = ErrorBody)))]
pub async fn reject_withdrawal(
    State(st): State<AppState>,
    admin: Admin<ReadFinance>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    ApiJson(n): ApiJson<NoteInput>,
) -> ApiResult<Json<WithdrawalDto>> {
    let call = Call::from_headers(&headers);
    Ok(Json(cases::decide_withdrawal(&st, &admin, &call, id, WithdrawalStep::Reject, &n.note).await?))
}

/// The shop's commissions, newest first; `status=held` is the review queue of what the risk check held.
#[utoipa::path(get, path = "/api/v1/admin/commissions", tag = "admin-distribution", params(CommissionQuery), security(("bearer" = [])),
    responses((status = 200, body = Paginated<CommissionDto>), (status = 422, body = ErrorBody)))]
pub async fn list_commissions(
    State(st): State<AppState>,
    admin: Admin<ReadBuyers>,
    ApiQuery(q): ApiQuery<CommissionQuery>,
) -> ApiResult<Json<Paginated<CommissionDto>>> {
    Ok(Json(cases::commissions(&st, &admin, &q).await?))
}

/// Release a held commission: it settles with its order, at once when the order's settlement period is over
/// (audited).
#[utoipa::path(post, path = "/api/v1/admin/commissions/{id}/release", tag = "admin-distribution", params(("id" = i64, Path)),
    security(("bearer" = [])), responses((status = 200, body = CommissionDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn release_commission(
    State(st): State<AppState>,
    admin: Admin<ManageMembers>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> ApiResult<Json<CommissionDto>> {
    let call = Call::from_headers(&headers);
    Ok(Json(cases::review_commission(&st, &admin, &call, id, CommissionReview::Release).await?))
}

/// Reject a held commission: reversed in full by a new posting, never settled (audited).
#[utoipa::path(post, path = "/api/v1/admin/commissions/{id}/reject", tag = "admin-distribution", params(("id" = i64, Path)),
    security(("bearer" = [])), responses((status = 200, body = CommissionDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn reject_commission(
    State(st): State<AppState>,
    admin: Admin<ManageMembers>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> ApiResult<Json<CommissionDto>> {
    let call = Call::from_headers(&headers);
    Ok(Json(cases::review_commission(&st, &admin, &call, id, CommissionReview::Reject).await?))
}
