use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use minimall_core::auth::Role;
use minimall_core::validate::{display_text, Password, Username};
use minimall_store::admins::NewAdmin;
use minimall_store::audit::AuditEntry;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::accounts::admin_api::{request_id, AdminUserDto};
use crate::accounts::auth::{hash_password, Admin, ManageUsers};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::http::extract::{ApiJson, ApiQuery, Path};
use crate::http::idempotency::{self, IdemKey};
use crate::http::Paginated;
use crate::state::AppState;

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
    ApiQuery(q): ApiQuery<UserListQuery>,
) -> ApiResult<Json<Paginated<AdminUserDto>>> {
    let page = minimall_core::page::Page::parse(q.page, q.page_size)?;
    let role = match q.role.as_deref() {
        Some(r) if !r.is_empty() => Some(r.parse::<Role>().map_err(|m| ApiError::invalid("role", m))?),
        _ => None,
    };
    let rows = st.store.list_admins(admin.merchant_id, role.map(Role::as_str), page.size(), page.offset()).await?;
    Ok(Json(Paginated::new(rows.items.into_iter().map(Into::into).collect(), rows.total, page)))
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
    let key = IdemKey::from_headers(&headers)?;
    let username = Username::parse("username", &req.username)?;
    let display_name = display_text("display_name", req.display_name.as_deref().unwrap_or(username.as_str()), 32)?;
    let password = Password::parse("password", &req.password)?;
    let role: Role = req.role.parse().map_err(|m| ApiError::invalid("role", m))?;
    let hash = hash_password(password.expose().to_string()).await?;

    let scope = format!("admin:{}:create_user", admin.id);
    let fingerprint = idempotency::request_hash(
        "POST",
        "/api/v1/admin/users",
        &serde_json::to_value(&req).map_err(ApiError::internal)?,
    );
    let mut tx = st.store.begin().await?;
    if let Some(k) = &key {
        if let Some(replay) = idempotency::begin(&st.store, &mut tx, admin.merchant_id, &scope, k, &fingerprint).await?
        {
            return Ok(replay.into_response());
        }
    }
    let row = st
        .store
        .insert_admin(
            &mut tx,
            &NewAdmin {
                merchant_id: admin.merchant_id,
                username: username.as_str(),
                display_name: &display_name,
                password_hash: &hash,
                role: role.as_str(),
            },
        )
        .await
        .map_err(|e| match e {
            minimall_store::StoreError::Duplicate(_) => {
                ApiError::conflict(format!("username '{username}' is taken")).with_field("username")
            }
            other => other.into(),
        })?;
    let dto = AdminUserDto::from(row);
    let after = serde_json::to_value(&dto).map_err(ApiError::internal)?;
    st.store
        .audit(
            &mut tx,
            &AuditEntry {
                merchant_id: admin.merchant_id,
                actor_id: admin.id,
                actor_name: &admin.username,
                action: "user.create",
                target: &format!("admin_user:{}", dto.id),
                before: None,
                after: Some(&after),
                request_id: request_id(&headers).as_deref(),
            },
        )
        .await?;
    let body = after.to_string();
    if let Some(k) = &key {
        idempotency::finish(&st.store, &mut tx, &scope, k, StatusCode::CREATED, &body).await?;
    }
    minimall_store::commit(tx).await?;
    Ok((StatusCode::CREATED, [(axum::http::header::CONTENT_TYPE, "application/json")], body).into_response())
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
    let role = match &req.role {
        Some(r) => Some(r.parse::<Role>().map_err(|m| ApiError::invalid("role", m))?),
        None => None,
    };
    let mut tx = st.store.begin().await?;
    let (before, after) =
        st.store.update_admin(&mut tx, admin.merchant_id, id, role.map(Role::as_str), req.disabled).await.map_err(
            |e| match e {
                minimall_store::StoreError::NotFound => ApiError::not_found("user"),
                other => other.into(),
            },
        )?;
    if before.role == "owner" && (after.role != "owner" || after.disabled != 0) {
        let owners = st.store.list_admins(admin.merchant_id, Some("owner"), 100, 0).await?;
        let active_other = owners.items.iter().filter(|o| o.id != id && o.disabled == 0).count();
        if active_other == 0 {
            return Err(ApiError::conflict("the last active owner cannot be demoted or disabled"));
        }
    }
    if before.role != after.role || before.disabled != after.disabled {
        st.store.revoke_subject_sessions(&mut tx, "admin", id).await?;
    }
    let (b, a) = (AdminUserDto::from(before), AdminUserDto::from(after));
    let (bj, aj) =
        (serde_json::to_value(&b).map_err(ApiError::internal)?, serde_json::to_value(&a).map_err(ApiError::internal)?);
    st.store
        .audit(
            &mut tx,
            &AuditEntry {
                merchant_id: admin.merchant_id,
                actor_id: admin.id,
                actor_name: &admin.username,
                action: "user.update",
                target: &format!("admin_user:{id}"),
                before: Some(&bj),
                after: Some(&aj),
                request_id: request_id(&headers).as_deref(),
            },
        )
        .await?;
    minimall_store::commit(tx).await?;
    Ok(Json(a))
}
