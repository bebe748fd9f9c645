//! Two-factor login of console users (TOTP): enrolment with a QR code and recovery codes, the login's
//! second step, turning it off, the owner's reset of another user, and the shop's rule that owners must
//! use it.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use minimall_core::auth::Role;
use minimall_core::two_factor as tf;
use minimall_store::admins::AdminRow;
use minimall_store::now_ms;
use minimall_store::two_factor::ChallengePurpose;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::accounts::admin_api::{self as admin_auth, LoginResponse};
use crate::accounts::auth::{self, Admin, AdminUser, ManageUsers, Session};
use crate::accounts::login_throttle::Attempt;
use crate::accounts::refusals::AccountRefusal;
use crate::accounts::two_factor;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::http::extract::{ApiJson, Path};
use crate::state::AppState;
use crate::usecase::Call;

/// How long the challenge between the password and the code lives.
pub const CHALLENGE_TTL_MS: i64 = 5 * 60_000;
/// How long a token that serves only enrolment lives.
pub const ENROL_TTL_MS: i64 = 15 * 60_000;
/// The issuer shown in authenticator apps.
pub(crate) const ISSUER: &str = "Minimall";

/// The password was right; one more step before a session.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct LoginStep {
    /// `two_factor_required`: send `challenge` with a code to `POST /api/v1/admin/auth/login/two-factor`.
    /// `two_factor_enrolment_required`: the shop requires two-factor login of owners; `challenge` is a bearer
    /// token for the enrolment routes only, and confirming the enrolment logs in.
    pub code: String,
    pub message: String,
    pub challenge: String,
    /// Epoch ms.
    pub expires_at: i64,
}

/// The step after a correct password for this user, if any.
pub async fn second_step(st: &AppState, user: &AdminRow) -> ApiResult<Option<LoginStep>> {
    let enrolled = st.store.two_factor(user.merchant_id, user.id).await?.is_some_and(|r| r.enabled != 0);
    let (purpose, ttl, code, message) = if enrolled {
        (ChallengePurpose::Code, CHALLENGE_TTL_MS, "two_factor_required", "send a code from your authenticator app")
    } else {
        let role: Role = user.role.parse().map_err(|_| ApiError::internal(format!("unknown role {}", user.role)))?;
        let required = st.store.owner_two_factor_required(user.merchant_id).await?;
        if !tf::must_enrol(role, required, false) {
            return Ok(None);
        }
        (
            ChallengePurpose::Enrol,
            ENROL_TTL_MS,
            "two_factor_enrolment_required",
            "the shop requires two-factor login of owners: enrol before anything else",
        )
    };
    let token = auth::new_token(if purpose == ChallengePurpose::Code { "mmc_" } else { "mme_" });
    st.store.create_login_challenge(&auth::token_hash(&token), purpose, user.merchant_id, user.id, ttl).await?;
    Ok(Some(LoginStep { code: code.into(), message: message.into(), challenge: token, expires_at: now_ms() + ttl }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginCodeRequest {
    /// From the login's 202 answer.
    pub challenge: String,
    /// Six digits from the authenticator app, or an unused recovery code.
    pub code: String,
}

/// The second step of a console login: the challenge and a TOTP code (the current 30 s step or one either
/// side, each step accepted once) or a recovery code (used up). A wrong code counts as a failed login.
#[utoipa::path(post, path = "/api/v1/admin/auth/login/two-factor", tag = "admin-auth", request_body = LoginCodeRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login_code(
    State(st): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<LoginCodeRequest>,
) -> ApiResult<Response> {
    crate::accounts::two_factor_cases::login_code(&st, peer, &headers, req).await
}

/// The client's address as the login throttle sees it.
pub fn client_ip(st: &AppState, peer: SocketAddr, headers: &HeaderMap) -> String {
    crate::http::client_addr::client_ip(peer, headers, &crate::http::client_addr::trusted(&st.cfg.trusted_proxies))
        .to_string()
}

// ---- who may enrol ----------------------------------------------------------------------------------

/// A console user who may enrol: logged in, or holding the token a login gave an owner who must enrol first.
#[derive(Debug, Clone)]
pub struct Enroller {
    pub id: i64,
    pub merchant_id: i64,
    pub username: String,
    pub role: Role,
    /// The hash of the enrolment-only token, when that is what the request carried.
    pub enrol_token: Option<String>,
}

impl From<AdminUser> for Enroller {
    fn from(u: AdminUser) -> Self {
        Enroller { id: u.id, merchant_id: u.merchant_id, username: u.username, role: u.role, enrol_token: None }
    }
}

impl Enroller {
    /// The holder of an enrolment-only token (the bearer token itself), if it is live.
    pub async fn from_enrol_token(st: &AppState, token: &str) -> ApiResult<Enroller> {
        let hash = auth::token_hash(token.trim());
        let ch = st
            .store
            .live_login_challenge(&hash, ChallengePurpose::Enrol)
            .await?
            .ok_or_else(|| ApiError::unauthorized_because(&AccountRefusal::TokenInvalid))?;
        let u = st.store.admin_by_id(ch.merchant_id, ch.admin_id).await?;
        if u.disabled != 0 {
            return Err(ApiError::unauthorized_because(&AccountRefusal::Disabled));
        }
        Ok(Enroller {
            id: u.id,
            merchant_id: u.merchant_id,
            username: u.username,
            role: u.role.parse().map_err(|_| ApiError::internal(format!("unknown role {}", u.role)))?,
            enrol_token: Some(hash),
        })
    }
}

impl FromRequestParts<AppState> for Enroller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Self::Rejection> {
        match AdminUser::from_request_parts(parts, st).await {
            Ok(u) => Ok(u.into()),
            Err(e) if e.status == StatusCode::UNAUTHORIZED => {
                let token = parts
                    .headers
                    .get(axum::http::header::AUTHORIZATION)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.strip_prefix("Bearer "))
                    .filter(|t| t.starts_with("mme_"))
                    .ok_or(e)?;
                Enroller::from_enrol_token(st, token).await
            }
            Err(e) => Err(e),
        }
    }
}

// ---- status and enrolment ---------------------------------------------------------------------------

#[derive(Serialize, ToSchema)]
pub struct TwoFactorStatus {
    /// Two-factor login is on for this user.
    pub enabled: bool,
    /// Unused recovery codes.
    pub recovery_codes_left: i64,
    /// The shop requires two-factor login of its owners.
    pub owner_required: bool,
    /// This user must enrol before using the console.
    pub must_enrol: bool,
}

/// Two-factor login of the logged-in console user.
#[utoipa::path(get, path = "/api/v1/admin/two-factor", tag = "admin-auth", security(("bearer" = [])),
    responses((status = 200, body = TwoFactorStatus), (status = 401, body = ErrorBody)))]
pub async fn status(State(st): State<AppState>, me: Enroller) -> ApiResult<Json<TwoFactorStatus>> {
    Ok(Json(status_of(&st, &me).await?))
}

pub async fn status_of(st: &AppState, me: &Enroller) -> ApiResult<TwoFactorStatus> {
    let enabled = st.store.two_factor(me.merchant_id, me.id).await?.is_some_and(|r| r.enabled != 0);
    let left = if enabled { st.store.recovery_codes_left(me.merchant_id, me.id).await? } else { 0 };
    let required = st.store.owner_two_factor_required(me.merchant_id).await?;
    Ok(TwoFactorStatus {
        enabled,
        recovery_codes_left: left,
        owner_required: required,
        must_enrol: tf::must_enrol(me.role, required, enabled),
    })
}

#[derive(Serialize, ToSchema)]
pub struct EnrolmentStart {
    /// Base32, for typing into an app that cannot scan.
    pub secret: String,
    /// `otpauth://totp/…`, what the QR code holds.
    pub otpauth_uri: String,
    /// The QR code of `otpauth_uri`, an SVG document.
    pub qr_svg: String,
}

/// Start enrolment (or start it over): a new secret, its `otpauth://` URI and QR code. Confirm with a
/// current code. 409 when two-factor login is already on.
#[utoipa::path(post, path = "/api/v1/admin/two-factor/enrolment", tag = "admin-auth", security(("bearer" = [])),
    responses((status = 200, body = EnrolmentStart), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn start_enrolment(State(st): State<AppState>, me: Enroller) -> ApiResult<Json<EnrolmentStart>> {
    crate::accounts::two_factor_cases::start_enrolment(&st, &me).await.map(Json)
}

/// The enrolment under way (its secret, URI and QR code), to show again after a wrong code.
pub async fn pending_enrolment(st: &AppState, me: &Enroller) -> ApiResult<Option<EnrolmentStart>> {
    let Some(row) = st.store.two_factor(me.merchant_id, me.id).await?.filter(|r| r.enabled == 0) else {
        return Ok(None);
    };
    let otpauth_uri = two_factor::otpauth_uri(&row.secret, ISSUER, &me.username)?;
    let qr_svg = two_factor::qr_svg(&otpauth_uri)?;
    Ok(Some(EnrolmentStart { secret: row.secret, otpauth_uri, qr_svg }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeRequest {
    /// Six digits from the authenticator app (disabling also takes a recovery code).
    pub code: String,
}

#[derive(Serialize, ToSchema)]
pub struct EnrolmentDone {
    /// Ten single-use recovery codes. Shown this once; only their hashes are kept.
    pub recovery_codes: Vec<String>,
    /// When the request carried an enrolment-only token: the session of the login it finishes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub login: Option<LoginResponse>,
}

/// Confirm enrolment with a current code: two-factor login is on from now, and the answer holds the
/// recovery codes. With an enrolment-only token it also finishes the login (a session, as a login gives).
#[utoipa::path(post, path = "/api/v1/admin/two-factor/enrolment/confirm", tag = "admin-auth", security(("bearer" = [])),
    request_body = CodeRequest,
    responses((status = 200, body = EnrolmentDone), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn confirm_enrolment(
    State(st): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    me: Enroller,
    headers: HeaderMap,
    ApiJson(req): ApiJson<CodeRequest>,
) -> ApiResult<Response> {
    let (done, cookie) = confirm(&st, &me, &client_ip(&st, peer, &headers), &headers, &req.code).await?;
    Ok(match cookie {
        Some(c) => admin_auth::session_response(done, c),
        None => Json(done).into_response(),
    })
}

/// Confirm enrolment; with an enrolment-only token, also the session and its cookie.
pub async fn confirm(
    st: &AppState,
    me: &Enroller,
    ip: &str,
    headers: &HeaderMap,
    code: &str,
) -> ApiResult<(EnrolmentDone, Option<axum::http::HeaderValue>)> {
    let row = st
        .store
        .two_factor(me.merchant_id, me.id)
        .await?
        .ok_or_else(|| ApiError::conflict_because(&AccountRefusal::EnrolFirst))?;
    if row.enabled != 0 {
        return Err(ApiError::conflict_because(&AccountRefusal::TwoFactorAlreadyOn));
    }
    let wrong = || ApiError::invalid_because("code", &AccountRefusal::TotpWrong);
    let Some(tf::SecondFactor::Totp(code)) = tf::parse_code(code) else {
        return Err(wrong());
    };
    let step = two_factor::accepted_step(&row, &code, now_ms())?.ok_or_else(wrong)?;
    let (codes, hashes) = two_factor::new_recovery_codes();
    let mut tx = st.store.begin().await?;
    if !st.store.enable_two_factor(&mut tx, me.merchant_id, me.id, step, &hashes).await? {
        return Err(ApiError::conflict_because(&AccountRefusal::TwoFactorAlreadyOn));
    }
    audit(st, &mut tx, me, headers, "auth.two_factor.enable", me.id, None).await?;
    minimall_store::commit(tx).await?;
    let mut done = EnrolmentDone { recovery_codes: codes, login: None };
    let mut cookie = None;
    if let Some(hash) = &me.enrol_token {
        if st.store.end_login_challenge(hash).await? {
            let user = st.store.admin_by_id(me.merchant_id, me.id).await?;
            Attempt::new(st, &user.username, ip).succeeded(st).await?;
            let (login, c) = admin_auth::start_session(st, user, ip, headers, Some("enrolment")).await?;
            done.login = Some(login);
            cookie = Some(c);
        }
    }
    Ok((done, cookie))
}

/// Turn two-factor login off for the logged-in user, with a current code or a recovery code. A wrong code
/// counts as a failed login.
#[utoipa::path(post, path = "/api/v1/admin/two-factor/disable", tag = "admin-auth", security(("bearer" = [])),
    request_body = CodeRequest,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn disable(
    State(st): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    admin: Admin<Session>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<CodeRequest>,
) -> ApiResult<StatusCode> {
    crate::accounts::two_factor_cases::disable(&st, &admin, peer, &headers, req).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The owner turns two-factor login off for another console user (a lost phone). Audited.
#[utoipa::path(post, path = "/api/v1/admin/users/{id}/two-factor/reset", tag = "admin-users", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn reset(
    State(st): State<AppState>,
    admin: Admin<ManageUsers>,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> ApiResult<StatusCode> {
    crate::accounts::two_factor_cases::reset(&st, &admin, &Call::from_headers(&headers), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- the shop's rule --------------------------------------------------------------------------------

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TwoFactorPolicy {
    /// Owners must log in with a second factor; an owner without one is sent to enrolment at login.
    pub owner_required: bool,
}

/// Whether the shop requires two-factor login of its owners.
#[utoipa::path(get, path = "/api/v1/admin/settings/two-factor", tag = "admin-auth", security(("bearer" = [])),
    responses((status = 200, body = TwoFactorPolicy), (status = 401, body = ErrorBody)))]
pub async fn get_policy(State(st): State<AppState>, admin: Admin<Session>) -> ApiResult<Json<TwoFactorPolicy>> {
    Ok(Json(TwoFactorPolicy { owner_required: st.store.owner_two_factor_required(admin.merchant_id).await? }))
}

/// Require (or stop requiring) two-factor login of owners. Only an owner may, and only one who uses it
/// (so that turning it on cannot lock the caller out). Audited.
#[utoipa::path(put, path = "/api/v1/admin/settings/two-factor", tag = "admin-auth", security(("bearer" = [])),
    request_body = TwoFactorPolicy,
    responses((status = 200, body = TwoFactorPolicy), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn put_policy(
    State(st): State<AppState>,
    admin: Admin<Session>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<TwoFactorPolicy>,
) -> ApiResult<Json<TwoFactorPolicy>> {
    crate::accounts::two_factor_cases::put_policy(&st, &admin, &Call::from_headers(&headers), req).await.map(Json)
}

pub(crate) async fn audit(
    st: &AppState,
    tx: &mut minimall_store::Tx,
    who: &Enroller,
    headers: &impl crate::ops::audit::Asked,
    action: &str,
    target_id: i64,
    change: Option<(serde_json::Value, serde_json::Value)>,
) -> ApiResult<()> {
    let target = if action.starts_with("settings.") {
        format!("merchant:{target_id}")
    } else {
        format!("admin_user:{target_id}")
    };
    let (before, after) = change.unzip();
    crate::ops::audit::audit(st, tx, who, headers, action, target, before, after).await
}

impl crate::ops::audit::Acting for Enroller {
    fn actor(&self) -> (i64, i64, &str) {
        (self.merchant_id, self.id, &self.username)
    }
}
