//! Two-step verification use cases: enrolment, the second login step, turning it off, the owner's reset and rule.

use std::net::SocketAddr;

use axum::http::HeaderMap;
use axum::response::Response;
use minimall_core::auth::Role;
use minimall_core::error::Reason;
use minimall_core::two_factor as tf;
use minimall_store::now_ms;
use minimall_store::two_factor::ChallengePurpose;

use super::two_factor_api::{audit, client_ip, ISSUER};
use super::two_factor_api::{CodeRequest, Enroller, EnrolmentStart, LoginCodeRequest, TwoFactorPolicy};
use crate::accounts::admin_api::{self as admin_auth};
use crate::accounts::auth::{self, Admin, ManageUsers, Session};
use crate::accounts::login_throttle::Attempt;
use crate::accounts::refusals::AccountRefusal;
use crate::accounts::two_factor;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::usecase::Call;

/// Start enrolment (or start it over): a new secret, its `otpauth://` URI and QR code. Confirm with a
/// current code. 409 when two-factor login is already on.
pub async fn start_enrolment(st: &AppState, me: &Enroller) -> ApiResult<EnrolmentStart> {
    let secret = two_factor::new_secret();
    if !st.store.start_two_factor(me.merchant_id, me.id, &secret).await? {
        return Err(ApiError::conflict_because(&AccountRefusal::TwoFactorOnTurnOff));
    }
    let otpauth_uri = two_factor::otpauth_uri(&secret, ISSUER, &me.username)?;
    let qr_svg = two_factor::qr_svg(&otpauth_uri)?;
    Ok(EnrolmentStart { secret, otpauth_uri, qr_svg })
}

/// The owner turns two-factor login off for another console user (a lost phone). Audited.
pub async fn reset(st: &AppState, admin: &Admin<ManageUsers>, call: &Call, id: i64) -> ApiResult<()> {
    if admin.role != Role::Owner {
        return Err(ApiError::forbidden_because(&AccountRefusal::TwoFactorResetOwner));
    }
    if id == admin.id {
        return Err(ApiError::conflict_because(&AccountRefusal::TwoFactorOwnWithCode).with_field("id"));
    }
    let target = st.store.admin_by_id(admin.merchant_id, id).await.map_err(|e| match e {
        minimall_store::StoreError::NotFound => ApiError::not_found("user"),
        other => other.into(),
    })?;
    let me = Enroller::from(admin.user.clone());
    let mut tx = st.store.begin().await?;
    if !st.store.remove_two_factor(&mut tx, admin.merchant_id, target.id).await? {
        return Err(ApiError::conflict_because(&AccountRefusal::TwoFactorOffForUser));
    }
    audit(st, &mut tx, &me, call, "user.two_factor.reset", target.id, None).await?;
    minimall_store::commit(tx).await?;
    Ok(())
}

/// Require (or stop requiring) two-factor login of owners. Only an owner may, and only one who uses it
/// (so that turning it on cannot lock the caller out). Audited.
pub async fn put_policy(
    st: &AppState,
    admin: &Admin<Session>,
    call: &Call,
    req: TwoFactorPolicy,
) -> ApiResult<TwoFactorPolicy> {
    if admin.role != Role::Owner {
        return Err(ApiError::forbidden_because(&AccountRefusal::TwoFactorRuleOwner));
    }
    let before = st.store.owner_two_factor_required(admin.merchant_id).await?;
    if req.owner_required && st.store.two_factor(admin.merchant_id, admin.id).await?.is_none_or(|r| r.enabled == 0) {
        return Err(ApiError::conflict_because(&AccountRefusal::TwoFactorSelfFirst).with_field("owner_required"));
    }
    let me = Enroller::from(admin.user.clone());
    let mut tx = st.store.begin().await?;
    st.store.set_owner_two_factor_required(&mut tx, admin.merchant_id, req.owner_required).await?;
    let change = Some((
        serde_json::json!({ "owner_required": before }),
        serde_json::json!({ "owner_required": req.owner_required }),
    ));
    audit(st, &mut tx, &me, call, "settings.two_factor", admin.merchant_id, change).await?;
    minimall_store::commit(tx).await?;
    Ok(TwoFactorPolicy { owner_required: req.owner_required })
}

/// Turn two-factor login off for the logged-in user, with a current code or a recovery code. A wrong code
/// counts as a failed login.
pub async fn disable(
    st: &AppState,
    admin: &Admin<Session>,
    peer: SocketAddr,
    headers: &HeaderMap,
    req: CodeRequest,
) -> ApiResult<()> {
    let me = Enroller::from(admin.user.clone());
    let row = st
        .store
        .two_factor(me.merchant_id, me.id)
        .await?
        .filter(|r| r.enabled != 0)
        .ok_or_else(|| ApiError::conflict_because(&AccountRefusal::TwoFactorOff))?;
    let attempt = Attempt::new(st, &me.username, &client_ip(st, peer, headers));
    attempt.check(st).await?;
    if !two_factor::verify_and_use(&st.store, &row, &req.code, now_ms()).await? {
        attempt.failed(st, Some((me.id, &me.username)), admin_auth::request_id(headers).as_deref()).await?;
        return Err(ApiError::invalid_because("code", &AccountRefusal::TwoFactorCodeWrong));
    }
    let mut tx = st.store.begin().await?;
    st.store.remove_two_factor(&mut tx, me.merchant_id, me.id).await?;
    audit(st, &mut tx, &me, &headers, "auth.two_factor.disable", me.id, None).await?;
    minimall_store::commit(tx).await?;
    Ok(())
}

/// The second step of a console login: the challenge and a TOTP code (the current 30 s step or one either
/// side, each step accepted once) or a recovery code (used up). A wrong code counts as a failed login.
pub async fn login_code(
    st: &AppState,
    peer: SocketAddr,
    headers: &HeaderMap,
    req: LoginCodeRequest,
) -> ApiResult<Response> {
    if req.code.trim().is_empty() || req.code.len() > 32 {
        return Err(ApiError::invalid_because("code", &Reason::Length { min: 1, max: 32 }));
    }
    let hash = auth::token_hash(req.challenge.trim());
    let expired = || ApiError::unauthorized_because(&AccountRefusal::LoginStepExpired).with_field("challenge");
    let ch = st.store.live_login_challenge(&hash, ChallengePurpose::Code).await?.ok_or_else(expired)?;
    let user = st.store.admin_by_id(ch.merchant_id, ch.admin_id).await?;
    let ip = client_ip(st, peer, headers);
    let attempt = Attempt::new(st, &user.username, &ip);
    attempt.check(st).await?;
    if user.disabled != 0 {
        return Err(ApiError::unauthorized_because(&AccountRefusal::Disabled));
    }
    let row = st.store.two_factor(user.merchant_id, user.id).await?.filter(|r| r.enabled != 0).ok_or_else(expired)?;
    let method = match tf::parse_code(&req.code) {
        Some(tf::SecondFactor::Totp(_)) => "totp",
        _ => "recovery_code",
    };
    if !two_factor::verify_and_use(&st.store, &row, &req.code, now_ms()).await? {
        attempt.failed(st, Some((user.id, &user.username)), admin_auth::request_id(headers).as_deref()).await?;
        return Err(ApiError::unauthorized_because(&AccountRefusal::TwoFactorCodeWrong).with_field("code"));
    }
    if !st.store.end_login_challenge(&hash).await? {
        return Err(expired());
    }
    attempt.succeeded(st).await?;
    let (body, cookie) = admin_auth::start_session(st, user, &ip, headers, Some(method)).await?;
    Ok(admin_auth::session_response(body, cookie))
}
