//! Account use cases: console users, their roles and whether they may sign in.

use axum::http::StatusCode;
use minimall_core::auth::Role;
use minimall_core::validate::{display_text, Password, Username};
use minimall_store::admins::NewAdmin;
use minimall_store::audit::AuditEntry;

use crate::accounts::admin_api::AdminUserDto;
use crate::accounts::auth::{hash_password, Admin, ManageUsers};
use crate::accounts::refusals::AccountRefusal;
use crate::error::{ApiError, ApiResult};
use crate::http::idempotency::{self};
use crate::http::Paginated;
use crate::state::AppState;

use super::users_api::{CreateUserRequest, UpdateUserRequest, UserListQuery};
use crate::usecase::{Call, Stored};

/// Console users of this merchant.
pub async fn list_users(
    st: &AppState,
    admin: &Admin<ManageUsers>,
    lang: crate::web::i18n::Lang,
    q: UserListQuery,
) -> ApiResult<Paginated<AdminUserDto>> {
    let page = minimall_core::page::Page::parse(q.page, q.page_size)?;
    let role = match q.role.as_deref() {
        Some(r) if !r.is_empty() => Some(r.parse::<Role>().map_err(|r| ApiError::invalid_because("role", &r))?),
        _ => None,
    };
    let rows = st.store.list_admins(admin.merchant_id, role.map(Role::as_str), page.size(), page.offset()).await?;
    Ok(Paginated::new(rows.items.into_iter().map(|r| AdminUserDto::of(r, lang)).collect(), rows.total, page))
}

/// Create a console user. Accepts `Idempotency-Key`.
pub async fn create_user(
    st: &AppState,
    admin: &Admin<ManageUsers>,
    call: &Call,
    req: CreateUserRequest,
) -> ApiResult<Stored> {
    let key = call.idempotency_key()?;
    let username = Username::parse("username", &req.username)?;
    let display_name = display_text("display_name", req.display_name.as_deref().unwrap_or(username.as_str()), 32)?;
    let password = Password::parse("password", &req.password)?;
    let role: Role = req.role.parse().map_err(|r| ApiError::invalid_because("role", &r))?;
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
            return Ok(replay);
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
                ApiError::conflict_because(&AccountRefusal::UsernameTaken { username: username.to_string() })
                    .with_field("username")
            }
            other => other.into(),
        })?;
    let dto = AdminUserDto::of(row, call.lang);
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
                request_id: call.request_id.clone().as_deref(),
            },
        )
        .await?;
    let body = after.to_string();
    if let Some(k) = &key {
        idempotency::finish(&st.store, &mut tx, &scope, k, StatusCode::CREATED, &body).await?;
    }
    minimall_store::commit(tx).await?;
    Ok(Stored::fresh(StatusCode::CREATED, body))
}

/// Change a user's role or disable them. Their sessions are revoked when the role or the disabled flag
/// actually changes. The last owner cannot be demoted or disabled.
pub async fn update_user(
    st: &AppState,
    admin: &Admin<ManageUsers>,
    call: &Call,
    id: i64,
    req: UpdateUserRequest,
) -> ApiResult<AdminUserDto> {
    let role = match &req.role {
        Some(r) => Some(r.parse::<Role>().map_err(|r| ApiError::invalid_because("role", &r))?),
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
            return Err(ApiError::conflict_because(&AccountRefusal::LastOwner));
        }
    }
    if before.role != after.role || before.disabled != after.disabled {
        st.store.revoke_subject_sessions(&mut tx, "admin", id).await?;
    }
    let (b, a) = (AdminUserDto::of(before, call.lang), AdminUserDto::of(after, call.lang));
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
                request_id: call.request_id.clone().as_deref(),
            },
        )
        .await?;
    minimall_store::commit(tx).await?;
    Ok(a)
}
