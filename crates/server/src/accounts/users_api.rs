use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::accounts::admin_api::AdminUserDto;
use crate::accounts::auth::{Admin, ManageUsers};
use crate::error::{ApiResult, ErrorBody};
use crate::http::extract::{ApiJson, ApiQuery, Path};
use crate::http::Paginated;
use crate::state::AppState;
use crate::usecase::Call;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UserListQuery {
    pub page: Option<i64>,
    pub page_size: Option<i64>,
    /// Only this role.
    pub role: Option<String>,
}

/// Console users of this merchant.
#[utoipa::path(get, path = "/api/v1/admin/users", tag = "admin-users", params(UserListQuery), security(("bearer" = [])),
    responses((status = 200, body = Paginated<AdminUserDto>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_users(
    State(st): State<AppState>,
    admin: Admin<ManageUsers>,
    crate::error::ReqLang(lang): crate::error::ReqLang,
    ApiQuery(q): ApiQuery<UserListQuery>,
) -> ApiResult<Json<Paginated<AdminUserDto>>> {
    crate::accounts::users::list_users(&st, &admin, lang, q).await.map(Json)
}

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserRequest {
    pub username: String,
    pub display_name: Option<String>,
    pub password: String,
    /// owner, operator, finance or service.
    pub role: String,
}

/// Create a console user. Accepts `Idempotency-Key`.
#[utoipa::path(post, path = "/api/v1/admin/users", tag = "admin-users", request_body = CreateUserRequest, security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for the same key and body")),
    responses((status = 201, body = AdminUserDto), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_user(
    State(st): State<AppState>,
    admin: Admin<ManageUsers>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<CreateUserRequest>,
) -> ApiResult<Response> {
    crate::accounts::users::create_user(&st, &admin, &Call::from_headers(&headers), req)
        .await
        .map(IntoResponse::into_response)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    pub role: Option<String>,
    pub disabled: Option<bool>,
}

/// Change a user's role or disable them. Their sessions are revoked when the role or the disabled flag
/// actually changes. The last owner cannot be demoted or disabled.
#[utoipa::path(patch, path = "/api/v1/admin/users/{id}", tag = "admin-users", request_body = UpdateUserRequest, security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = AdminUserDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_user(
    State(st): State<AppState>,
    admin: Admin<ManageUsers>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<UpdateUserRequest>,
) -> ApiResult<Json<AdminUserDto>> {
    crate::accounts::users::update_user(&st, &admin, &Call::from_headers(&headers), id, req).await.map(Json)
}
