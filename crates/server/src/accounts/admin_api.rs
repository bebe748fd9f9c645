use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use minimall_store::admins::AdminRow;
use minimall_store::audit::AuditEntry;
use minimall_store::now_ms;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::accounts::auth::{self, Admin, Session, ADMIN_COOKIE};
use crate::accounts::login_throttle::Attempt;
use crate::accounts::refusals::AccountRefusal;
use crate::accounts::two_factor_api::LoginStep;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::http::extract::ApiJson;
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer <token>`; also set as an HttpOnly cookie for the console.
    pub token: String,
    /// Epoch ms.
    pub expires_at: i64,
    pub user: AdminUserDto,
}

#[derive(Serialize, ToSchema)]
pub struct AdminUserDto {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    /// owner, operator, finance or service.
    pub role: String,
    pub role_label: String,
    pub disabled: bool,
    pub created_at: i64,
}

impl AdminUserDto {
    /// A console user, the role worded in `lang`.
    pub fn of(r: minimall_store::admins::AdminRow, lang: crate::web::i18n::Lang) -> Self {
        let label = crate::labels::label(lang, "role", &r.role);
        AdminUserDto {
            id: r.id,
            username: r.username,
            display_name: r.display_name,
            role: r.role,
            role_label: label,
            disabled: r.disabled != 0,
            created_at: r.created_at,
        }
    }
}

/// Console login. Failed attempts are counted per account and client address together: after
/// `login.max_failures` of them that pair waits (429 with `Retry-After`), longer after each further
/// failure; the right password from another address is not refused. Failures on any accounts from one
/// address past `login.max_failures_per_ip` make that address wait. The client address is the peer's,
/// or `X-Forwarded-For` when the peer is one of `trusted_proxies`. A user with two-factor login gets 202 and
/// a short-lived challenge to send with a code to `/api/v1/admin/auth/login/two-factor`; an owner who must
/// enrol first (the shop requires it) gets 202 and a token that serves only the enrolment routes.
#[utoipa::path(post, path = "/api/v1/admin/auth/login", tag = "admin-auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 202, body = LoginStep), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(
    State(st): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<Response> {
    crate::accounts::sessions::login(&st, peer, &headers, req).await
}

/// The console user whose username and password these are, through the login throttle: refused while
/// this account from this address (or this address) must wait; a wrong password counts a failure. The
/// failures are forgotten (`Attempt::succeeded`) only once every factor has passed.
pub async fn check_password(
    st: &AppState,
    attempt: &Attempt,
    username: &str,
    password: String,
    headers: &HeaderMap,
) -> ApiResult<AdminRow> {
    attempt.check(st).await?;
    let user = st.store.admin_by_username(st.merchant_id, username).await?;
    let ok = auth::verify_password(password, user.as_ref().map(|u| u.password_hash.clone())).await?;
    let user = match user {
        Some(u) if ok => u,
        other => {
            let account = other.as_ref().map(|u| (u.id, u.username.as_str()));
            attempt.failed(st, account, request_id(headers).as_deref()).await?;
            return Err(ApiError::unauthorized_because(&AccountRefusal::WrongPassword));
        }
    };
    if user.disabled != 0 {
        return Err(ApiError::unauthorized_because(&AccountRefusal::Disabled));
    }
    Ok(user)
}

/// Open a console session for a user who has proven who they are: token, audit entry, cookie.
/// `second_factor` names what finished the login (`totp`, `recovery_code`, `enrolment`), if anything did.
pub async fn start_session(
    st: &AppState,
    user: AdminRow,
    ip: &str,
    headers: &HeaderMap,
    second_factor: Option<&str>,
) -> ApiResult<(LoginResponse, HeaderValue)> {
    let mut after = serde_json::json!({ "ip": ip });
    if let Some(f) = second_factor {
        after["second_factor"] = f.into();
    }
    let token = auth::new_token("mma_");
    let ttl_ms = st.cfg.token_ttl_hours * 3_600_000;
    st.store.create_session(&auth::token_hash(&token), "admin", user.id, user.merchant_id, ttl_ms).await?;
    let mut tx = st.store.begin().await?;
    st.store
        .audit(
            &mut tx,
            &AuditEntry {
                merchant_id: user.merchant_id,
                actor_id: user.id,
                actor_name: &user.username,
                action: "auth.login",
                target: &format!("admin_user:{}", user.id),
                before: None,
                after: Some(&after),
                request_id: request_id(headers).as_deref(),
            },
        )
        .await?;
    minimall_store::commit(tx).await?;
    let cookie = session_cookie(ADMIN_COOKIE, &token, st.cfg.token_ttl_hours * 3600, headers);
    Ok((
        LoginResponse {
            token,
            expires_at: now_ms() + ttl_ms,
            user: AdminUserDto::of(user, crate::error::request_lang(headers)),
        },
        cookie,
    ))
}

/// The JSON answer of a login with its session cookie.
pub fn session_response<T: Serialize>(body: T, cookie: HeaderValue) -> Response {
    let mut resp = Json(body).into_response();
    resp.headers_mut().insert(header::SET_COOKIE, cookie);
    resp
}

/// Revoke the token used for this request.
#[utoipa::path(post, path = "/api/v1/admin/auth/logout", tag = "admin-auth", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn logout(State(st): State<AppState>, admin: Admin<Session>, headers: HeaderMap) -> ApiResult<Response> {
    crate::accounts::sessions::logout(&st, &admin, &headers).await
}

#[derive(Serialize, ToSchema)]
pub struct MeResponse {
    pub user: AdminUserDto,
    /// What this role may do, for menus.
    pub permissions: Vec<String>,
}

/// The logged-in console user and their permissions.
#[utoipa::path(get, path = "/api/v1/admin/me", tag = "admin-auth", security(("bearer" = [])),
    responses((status = 200, body = MeResponse), (status = 401, body = ErrorBody)))]
pub async fn me(
    State(st): State<AppState>,
    admin: Admin<Session>,
    crate::error::ReqLang(lang): crate::error::ReqLang,
) -> ApiResult<Json<MeResponse>> {
    use minimall_core::auth::Permission::*;
    let row = st.store.admin_by_id(admin.merchant_id, admin.id).await?;
    let all = [
        ("manage_users", ManageUsers),
        ("read_audit", ReadAudit),
        ("read_buyers", ReadBuyers),
        ("read_messages", ReadMessages),
        ("manage_jobs", ManageJobs),
        ("manage_catalog", ManageCatalog),
        ("read_catalog", ReadCatalog),
        ("read_orders", ReadOrders),
        ("manage_orders", ManageOrders),
        ("read_finance", ReadFinance),
        ("read_revenue", ReadRevenue),
        ("read_cost", ReadCost),
        ("manage_settings", ManageSettings),
        ("verify_pickup", VerifyPickup),
    ];
    let shop = crate::accounts::auth::shop_roles(&st, &admin).await?;
    let permissions = all.iter().filter(|(_, p)| admin.role.allows_in(*p, shop)).map(|(n, _)| n.to_string()).collect();
    Ok(Json(MeResponse { user: AdminUserDto::of(row, lang), permissions }))
}

/// `Set-Cookie` for a session token: HttpOnly, SameSite=Strict, Secure behind HTTPS.
pub fn session_cookie(name: &str, token: &str, max_age_secs: i64, headers: &HeaderMap) -> HeaderValue {
    let secure = behind_https(headers);
    let v = format!(
        "{name}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{}",
        if secure { "; Secure" } else { "" }
    );
    HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// True when the request reached us over HTTPS (as told by the proxy in front).
pub fn behind_https(headers: &HeaderMap) -> bool {
    headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()).is_some_and(|p| p.eq_ignore_ascii_case("https"))
}

pub fn request_id(headers: &HeaderMap) -> Option<String> {
    headers.get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_string)
}
